//! The web session: a login form whose success sets the `dmptool_session` cookie (the
//! session's refresh token: HttpOnly, SameSite=Lax, Secure behind an https public URL), the
//! CSRF token every state-changing request carries, logout (which revokes the session, so
//! the cookie is useless after), the password form and the language picker.

use poem::http::{StatusCode, header};
use poem::web::{Data, Form};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::i18n::{Lang, t};
use super::layout::{self, Fail};
use crate::api::ApiState;
use crate::service::Caller;
use crate::service::tokens::{Claims, TokenKind};

/// The session cookie's name.
pub const COOKIE: &str = "dmptool_session";
/// The form field and the header that carry the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A logged-in request.
pub struct Sess {
    pub caller: Caller,
    pub claims: Claims,
    pub csrf: String,
}

/// What every page needs: the language, the session if any, the request's path.
pub struct Ctx {
    pub lang: Lang,
    pub sess: Option<Sess>,
    pub path: String,
}

impl Ctx {
    /// The session, or a redirect to the login page.
    pub fn user(&self) -> Result<&Sess, Fail> {
        self.sess.as_ref().ok_or_else(Fail::login)
    }
}

fn cookie_value(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == COOKIE && !v.is_empty()).then(|| v.to_owned())
        })
}

/// The language from the `Accept-Language` header alone (pages without a session).
pub fn header_lang(req: &Request) -> Lang {
    Lang::choose(
        None,
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The request's context: a valid cookie gives the session (an invalid or revoked one is
/// ignored: the page is then the login page's), and the language.
pub async fn ctx(state: &ApiState, req: &Request) -> Result<Ctx, Fail> {
    Ok(ctx_then(state, req, |_, _| Ok(())).await?.0)
}

/// `ctx`, and what `then` reads for the session's caller, in the same call off the async
/// workers (a page's reads cost one hop, not two); `None` without a session.
pub async fn ctx_then<T, F>(
    state: &ApiState,
    req: &Request,
    then: F,
) -> Result<(Ctx, Option<T>), Fail>
where
    T: Send + 'static,
    F: FnOnce(&crate::service::Services, &Caller) -> crate::service::Result<T> + Send + 'static,
{
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let path = req
        .extensions()
        .get::<super::FullPath>()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.0.clone());
    let Some(token) = cookie_value(req) else {
        let ctx = Ctx {
            lang: Lang::choose(None, accept.as_deref()),
            sess: None,
            path,
        };
        return Ok((ctx, None));
    };
    let found = state
        .run(move |s| {
            let Ok((caller, claims)) = s.authenticate(&token, TokenKind::Refresh) else {
                return Ok(None);
            };
            let locale = s.locale_of(&caller)?;
            let csrf = s.csrf_token(&claims);
            let read = then(s, &caller)?;
            Ok(Some((caller, claims, csrf, locale, read)))
        })
        .await
        .map_err(Fail::from_api)?;
    Ok(match found {
        Some((caller, claims, csrf, locale, read)) => {
            if let Some(slot) = req.data::<crate::api::middleware::UserSlot>() {
                slot.set(&caller.username);
            }
            let ctx = Ctx {
                lang: Lang::choose(locale.as_deref(), accept.as_deref()),
                sess: Some(Sess {
                    caller,
                    claims,
                    csrf,
                }),
                path,
            };
            (ctx, Some(read))
        }
        None => {
            let ctx = Ctx {
                lang: Lang::choose(None, accept.as_deref()),
                sess: None,
                path,
            };
            (ctx, None)
        }
    })
}

/// The session of a state-changing request, which must carry the session's CSRF token (in
/// the form, or in `X-CSRF-Token` from the scripts); 403 otherwise.
pub fn checked<'a>(
    ctx: &'a Ctx,
    req: &Request,
    form_token: Option<&str>,
) -> Result<&'a Sess, Fail> {
    let sess = ctx.user()?;
    let given = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .or(form_token)
        .unwrap_or("");
    let want = &sess.csrf;
    let same = want.len() == given.len()
        && want
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(sess)
    } else {
        Err(Fail::status(
            StatusCode::FORBIDDEN,
            "the form's CSRF token is missing or wrong; reload the page and try again",
        ))
    }
}

/// The `Set-Cookie` value for a session token (`None` clears the cookie).
fn set_cookie(state: &ApiState, token: Option<&str>) -> String {
    let secure = state
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!("{COOKIE}={t}; Path=/; HttpOnly; SameSite=Lax{secure}"),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// A 303 redirect to a local path.
pub fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

/// A local path to go back to after a form (never another site's).
pub fn local_path(back: Option<&str>) -> String {
    match back {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.into(),
        _ => "/".into(),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

#[handler]
pub async fn login(
    state: Data<&ApiState>,
    req: &Request,
    Form(form): Form<LoginForm>,
) -> Result<Response, Fail> {
    let lang = header_lang(req);
    let ip = state.client_ip(req);
    let (username, password) = (form.username.clone(), form.password);
    let out = state
        .run_hashing(move |s| s.login(&username, &password, ip))
        .await;
    match out {
        Ok(out) => {
            let mut resp = see_other("/");
            if let Ok(v) = set_cookie(&state, Some(&out.tokens.refresh_token)).parse() {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(resp)
        }
        Err(e) => {
            let fail = Fail::from_api(e);
            let message = match fail.status.as_u16() {
                401 | 400 => t(lang, "login-failed"),
                429 => t(lang, "login-throttled"),
                _ => return Err(fail),
            };
            let mut resp = layout::login_page(lang, Some(&message), &form.username);
            resp.set_status(fail.status);
            Ok(resp)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

#[handler]
pub async fn logout(
    state: Data<&ApiState>,
    req: &Request,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Fail> {
    let ctx = ctx(&state, req).await?;
    let sess = checked(&ctx, req, form.csrf.as_deref())?;
    let claims = sess.claims.clone();
    state
        .run(move |s| s.logout(&claims))
        .await
        .map_err(Fail::from_api)?;
    let mut resp = see_other("/");
    if let Ok(v) = set_cookie(&state, None).parse() {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[handler]
pub async fn password_page(state: Data<&ApiState>, req: &Request) -> Result<Response, Fail> {
    let ctx = ctx(&state, req).await?;
    ctx.user()?;
    Ok(layout::password_page(&ctx, None, StatusCode::OK))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: Option<String>,
    current: String,
    new: String,
    confirm: String,
}

#[handler]
pub async fn password_change(
    state: Data<&ApiState>,
    req: &Request,
    Form(form): Form<PasswordForm>,
) -> Result<Response, Fail> {
    let ctx = ctx(&state, req).await?;
    let sess = checked(&ctx, req, form.csrf.as_deref())?;
    let l = ctx.lang;
    if form.new != form.confirm {
        return Ok(layout::password_page(
            &ctx,
            Some(&t(l, "password-mismatch")),
            StatusCode::BAD_REQUEST,
        ));
    }
    let caller = sess.caller.clone();
    let ip = state.client_ip(req);
    let (current, new) = (form.current, form.new);
    match state
        .run_hashing(move |s| s.change_password(&caller, &current, &new, ip))
        .await
    {
        Ok(tokens) => {
            let mut resp = see_other("/?changed=password");
            if let Ok(v) = set_cookie(&state, Some(&tokens.refresh_token)).parse() {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(resp)
        }
        Err(e) => {
            let fail = Fail::from_api(e);
            Ok(layout::password_page(
                &ctx,
                Some(&fail.message),
                fail.status,
            ))
        }
    }
}

#[derive(Deserialize)]
pub struct LocaleForm {
    csrf: Option<String>,
    lang: String,
    back: Option<String>,
}

/// The picker: stores the choice on the account (a page without a session has no picker).
#[handler]
pub async fn set_locale(
    state: Data<&ApiState>,
    req: &Request,
    Form(form): Form<LocaleForm>,
) -> Result<Response, Fail> {
    let ctx = ctx(&state, req).await?;
    let sess = checked(&ctx, req, form.csrf.as_deref())?;
    let caller = sess.caller.clone();
    let lang = Lang::from_code(&form.lang).map(Lang::code);
    state
        .run(move |s| s.set_locale(&caller, lang, &Lang::codes()))
        .await
        .map_err(Fail::from_api)?;
    Ok(see_other(&local_path(form.back.as_deref())))
}

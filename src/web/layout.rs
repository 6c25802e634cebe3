//! The frame of every page (language, skip link, header with navigation, the language
//! picker and logout), the login and password pages, and error pages.

use maud::{DOCTYPE, Markup, html};
use poem::http::StatusCode;
use poem::{IntoResponse, Response};

use super::assets;
use super::i18n::{Lang, t};
use super::session::{CSRF_FIELD, Ctx};
use crate::api::error::ApiError;

/// A refusal of a web request: its status and message, rendered as an HTML page (or as
/// JSON to the scripts). A 412 keeps the current revision and what changed.
#[derive(Debug)]
pub struct Fail {
    pub status: StatusCode,
    pub message: String,
    pub revision: Option<u64>,
    pub changed: Option<Vec<String>>,
    /// Not logged in: the answer is a redirect to the login page.
    pub to_login: bool,
}

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Fail {}

impl Fail {
    pub fn status(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            message: message.to_owned(),
            revision: None,
            changed: None,
            to_login: false,
        }
    }

    pub fn login() -> Self {
        Self {
            to_login: true,
            ..Self::status(StatusCode::UNAUTHORIZED, "log in first")
        }
    }

    pub fn not_found() -> Self {
        Self::status(StatusCode::NOT_FOUND, "not found")
    }

    /// The status and message the API gives for the same error (one mapping).
    pub fn from_api(e: ApiError) -> Self {
        let (status, body) = match e {
            ApiError::BadRequest(b) => (StatusCode::BAD_REQUEST, b.0),
            ApiError::Unauthorized(b) => (StatusCode::UNAUTHORIZED, b.0),
            ApiError::Forbidden(b) => (StatusCode::FORBIDDEN, b.0),
            ApiError::NotFound(b) => (StatusCode::NOT_FOUND, b.0),
            ApiError::Conflict(b) => (StatusCode::CONFLICT, b.0),
            ApiError::PreconditionFailed(b) => (StatusCode::PRECONDITION_FAILED, b.0),
            ApiError::PayloadTooLarge(b) => (StatusCode::PAYLOAD_TOO_LARGE, b.0),
            ApiError::UnsupportedMediaType(b) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, b.0),
            ApiError::TooManyRequests(b, _) => (StatusCode::TOO_MANY_REQUESTS, b.0),
            ApiError::Internal(b) => (StatusCode::INTERNAL_SERVER_ERROR, b.0),
            ApiError::Unavailable(b) => (StatusCode::SERVICE_UNAVAILABLE, b.0),
            ApiError::InsufficientStorage(b) => (StatusCode::INSUFFICIENT_STORAGE, b.0),
        };
        Self {
            status,
            message: body.error,
            revision: body.revision,
            changed: body.changed,
            to_login: false,
        }
    }

    /// The refusal as a page in `lang`.
    pub fn page(&self, lang: Lang) -> Response {
        if self.to_login {
            return super::session::see_other("/");
        }
        let title = t(lang, "error-title");
        let markup = html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                (head(&title))
                body {
                    a.skip href="#main" { (t(lang, "skip-to-content")) }
                    main #main {
                        h1 { (title) }
                        p.error role="alert" { (self.message) }
                        p { a href="/" { (t(lang, "back-to-plans")) } }
                    }
                }
            }
        };
        let mut resp = html_response(markup);
        resp.set_status(self.status);
        resp
    }
}

impl From<crate::service::ServiceError> for Fail {
    fn from(e: crate::service::ServiceError) -> Self {
        Self::from_api(ApiError::from(e))
    }
}

impl poem::error::ResponseError for Fail {
    fn status(&self) -> StatusCode {
        self.status
    }
    fn as_response(&self) -> Response {
        self.page(Lang::En)
    }
}

/// An error page for an error that is not a `Fail` (routing, a form that does not parse).
pub fn error_response(status: StatusCode, message: &str) -> Response {
    Fail::status(status, message).page(Lang::En)
}

pub fn html_response(markup: Markup) -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · dmptool" }
            link rel="stylesheet" href=(assets::url("app.css"));
            script src=(assets::url("app.js")) defer {}
        }
    }
}

/// A hidden CSRF field for a form of this session.
pub fn csrf(ctx: &Ctx) -> Markup {
    let token = ctx.sess.as_ref().map(|s| s.csrf.as_str()).unwrap_or("");
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

/// A page for a logged-in user: header (plans, administration, password, language, log
/// out) and `body` as the main content; `scripts` are further assets it loads.
pub fn page(ctx: &Ctx, title: &str, scripts: &[&str], body: Markup) -> Response {
    let l = ctx.lang;
    let admin = ctx.sess.as_ref().is_some_and(|s| s.caller.admin);
    let user = ctx
        .sess
        .as_ref()
        .map(|s| s.caller.username.as_str())
        .unwrap_or("");
    html_response(html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(title))
            body {
                a.skip href="#main" { (t(l, "skip-to-content")) }
                header.top {
                    nav aria-label=(t(l, "nav-label")) {
                        a.brand href="/" { "dmptool" }
                        a href="/" { (t(l, "nav-plans")) }
                        @if admin { a href="/ui/admin" { (t(l, "nav-admin")) } }
                        a href="/ui/password" { (t(l, "nav-password")) }
                    }
                    div.account {
                        span.who { (t(l, "signed-in-as")) " " strong { (user) } }
                        form.inline method="post" action="/ui/locale" {
                            (csrf(ctx))
                            input type="hidden" name="back" value=(ctx.path);
                            label for="lang-pick" { (t(l, "language")) }
                            select #lang-pick name="lang" {
                                @for choice in Lang::ALL {
                                    option value=(choice.code()) lang=(choice.code()) selected[choice == l] { (choice.native_name()) }
                                }
                            }
                            button type="submit" { (t(l, "language-apply")) }
                        }
                        form.inline method="post" action="/ui/logout" {
                            (csrf(ctx))
                            button type="submit" { (t(l, "log-out")) }
                        }
                    }
                }
                main #main tabindex="-1" {
                    (body)
                }
                @for s in scripts {
                    script src=(assets::url(s)) defer {}
                }
            }
        }
    })
}

/// The login page (no session): a form posting to `/ui/login`.
pub fn login_page(lang: Lang, error: Option<&str>, username: &str) -> Response {
    let l = lang;
    let title = t(l, "login-title");
    html_response(html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(&title))
            body {
                a.skip href="#main" { (t(l, "skip-to-content")) }
                main #main.narrow {
                    h1 { (title) }
                    p { (t(l, "login-intro")) }
                    @if let Some(e) = error { p.error role="alert" { (e) } }
                    form.stack method="post" action="/ui/login" {
                        label for="username" { (t(l, "username")) }
                        input #username type="text" name="username" autocomplete="username" required value=(username);
                        label for="password" { (t(l, "password")) }
                        input #password type="password" name="password" autocomplete="current-password" required;
                        button.primary type="submit" { (t(l, "log-in")) }
                    }
                }
            }
        }
    })
}

pub fn password_page(ctx: &Ctx, error: Option<&str>, status: StatusCode) -> Response {
    let l = ctx.lang;
    let title = t(l, "password-title");
    let mut resp = page(
        ctx,
        &title,
        &[],
        html! {
            h1 { (title) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.stack method="post" action="/ui/password" {
                (csrf(ctx))
                label for="current" { (t(l, "password-current")) }
                input #current type="password" name="current" autocomplete="current-password" required;
                label for="new" { (t(l, "password-new")) }
                input #new type="password" name="new" autocomplete="new-password" required minlength="8";
                label for="confirm" { (t(l, "password-confirm")) }
                input #confirm type="password" name="confirm" autocomplete="new-password" required minlength="8";
                button.primary type="submit" { (t(l, "password-change")) }
            }
        },
    );
    resp.set_status(status);
    resp
}

/// Turns a handler's result into the response, rendering a refusal in `lang`.
pub fn finish(lang: Lang, r: Result<Response, Fail>) -> Response {
    r.unwrap_or_else(|f| f.page(lang)).into_response()
}

/// A plan id from a page's path; one that is not an id is a page that does not exist.
pub fn plan_id(id: &str) -> Result<crate::domain::DmpId, Fail> {
    crate::domain::DmpId::parse(id).map_err(|_| Fail::not_found())
}

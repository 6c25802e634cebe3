//! The web editor: server-rendered pages (maud) for researchers and administrators, under
//! `/` and `/ui/...`, outside the OpenAPI document. Handlers are thin: they call the same
//! `Services` methods the API calls, with the caller taken from the session cookie.
//!
//! Every page works as plain HTML forms; the scripts in `assets/web/` only add autosave,
//! the conflict dialog, the Markdown preview and the visibility of conditional fields.

mod admin;
pub mod assets;
mod comments;
mod documents;
mod editor;
mod history;
pub mod i18n;
mod layout;
mod plans;
mod session;
mod sharing;

use poem::http::{HeaderValue, header};
use poem::{Endpoint, EndpointExt, IntoResponse, Middleware, Request, Response, Route};

pub use session::COOKIE;

/// The Content-Security-Policy of every web response: nothing from another origin, no
/// inline script or style.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

/// The request's path before any nest took its prefix off (for "back to this page").
#[derive(Clone)]
pub struct FullPath(pub String);

/// Sends `/` to the web editor's index (the login page or the plan list), and every other
/// path to the routes given (the API's nest at `/` would otherwise take it).
pub struct WithRoot<E> {
    index: poem::endpoint::BoxEndpoint<'static, Response>,
    rest: E,
}

impl<E: Endpoint> WithRoot<E> {
    pub fn new(rest: E) -> Self {
        Self {
            index: poem::get(plans::index)
                .head(plans::index)
                .with(WebHeaders)
                .boxed(),
            rest,
        }
    }
}

impl<E: Endpoint> Endpoint for WithRoot<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let path = req.uri().path().to_owned();
        req.extensions_mut().insert(FullPath(path));
        if req.uri().path() == "/" {
            self.index.call(req).await
        } else {
            self.rest.call(req).await.map(IntoResponse::into_response)
        }
    }
}

/// The pages and assets under `/ui`.
pub fn ui_routes() -> impl Endpoint<Output = Response> + 'static {
    ui().with(WebHeaders)
}

fn ui() -> Route {
    Route::new()
        .at("/assets/:name", poem::get(assets::serve))
        .at("/login", poem::post(session::login))
        .at("/logout", poem::post(session::logout))
        .at(
            "/password",
            poem::get(session::password_page).post(session::password_change),
        )
        .at("/locale", poem::post(session::set_locale))
        .at("/preview", poem::post(editor::preview))
        .at("/plans", poem::post(plans::create))
        .at("/plans/new", poem::get(plans::new_page))
        .at("/plans/import", poem::post(plans::import))
        .at("/plans/:id", poem::get(editor::page).post(editor::save))
        .at("/plans/:id/diff", poem::get(history::diff_fragment))
        .at(
            "/plans/:id/documents",
            poem::get(documents::page).post(documents::generate),
        )
        .at("/plans/:id/pdf", poem::get(documents::pdf))
        .at("/plans/:id/madmp", poem::get(documents::madmp))
        .at(
            "/plans/:id/share",
            poem::get(sharing::page).post(sharing::act),
        )
        .at("/plans/:id/history", poem::get(history::page))
        .at(
            "/plans/:id/comments",
            poem::get(comments::page).post(comments::act),
        )
        .at("/plans/:id/restore", poem::post(history::restore))
        .at("/plans/:id/delete", poem::post(plans::delete))
        .at("/admin", poem::get(admin::page).post(admin::act))
        .at("/admin/backup", poem::get(admin::backup))
}

/// Adds the CSP and its companions to every web response (errors included).
pub struct WebHeaders;

impl<E: Endpoint> Middleware<E> for WebHeaders {
    type Output = WebHeadersEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        WebHeadersEndpoint(ep)
    }
}

pub struct WebHeadersEndpoint<E>(E);

impl<E: Endpoint> Endpoint for WebHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let lang = session::header_lang(&req);
        let mut resp = match self.0.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => match e.downcast_ref::<layout::Fail>() {
                Some(f) => f.page(lang),
                None => layout::error_response(e.status(), &e.to_string()),
            },
        };
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        h.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
        Ok(resp)
    }
}

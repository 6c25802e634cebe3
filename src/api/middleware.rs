//! Cross-cutting HTTP concerns: request logging, body size limit, CORS, and response
//! headers every answer carries.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use tracing::Instrument;

use super::error::{Surface, error_response, json_error};

/// Where the authentication check leaves the username, for the request log line.
#[derive(Clone, Default)]
pub struct UserSlot(Arc<OnceLock<String>>);

impl UserSlot {
    /// Names the request's user, in its log line and in its span (so everything logged
    /// while handling it, a 500's causes included, says whose request it was).
    pub fn set(&self, name: &str) {
        let _ = self.0.set(name.to_owned());
        tracing::Span::current().record("user", name);
    }
    fn get(&self) -> &str {
        self.0.get().map(String::as_str).unwrap_or("-")
    }
}

/// One log line and one tracing span per request: method, path, status, latency, user.
pub struct RequestLog;

impl<E: Endpoint> Middleware<E> for RequestLog {
    type Output = RequestLogEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        RequestLogEndpoint(ep)
    }
}

pub struct RequestLogEndpoint<E>(E);

impl<E: Endpoint> Endpoint for RequestLogEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let start = Instant::now();
        let slot = UserSlot::default();
        req.extensions_mut().insert(slot.clone());
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        // One span per request: what is logged while handling it carries these fields.
        let span = tracing::info_span!(
            "request",
            method = %method,
            route = %path,
            user = tracing::field::Empty
        );
        let resp = self.0.get_response(req).instrument(span).await;
        let status = resp.status().as_u16();
        let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            target: "dmptool::http",
            method = %method,
            path = %path,
            status,
            latency_ms = format_args!("{latency_ms:.2}"),
            user = slot.get(),
            "request"
        );
        Ok(resp)
    }
}

/// Refuses bodies over `max` bytes with 413, whether or not they declare their length.
pub struct BodyLimit(pub usize);

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint {
            inner: ep,
            max: self.0,
        }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    max: usize,
}

fn too_large(surface: Surface, max: usize) -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        surface,
        &format!("request body larger than {max} bytes"),
        None,
        None,
    )
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let surface = Surface::of(&req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max as u64) {
            return Ok(too_large(surface, self.max));
        }
        if declared != Some(0) && req.method() != Method::GET && req.method() != Method::HEAD {
            let body = req.take_body();
            match body.into_bytes_limit(self.max).await {
                Ok(bytes) => req.set_body(bytes),
                Err(poem::error::ReadBodyError::PayloadTooLarge) => {
                    return Ok(too_large(surface, self.max));
                }
                Err(e) => {
                    return Ok(error_response(
                        StatusCode::BAD_REQUEST,
                        surface,
                        &format!("cannot read the body: {e}"),
                        None,
                        None,
                    ));
                }
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// Refuses requests whose head (request line and headers) is over `max` bytes with a JSON
/// 431. hyper's own buffer (`net::head_buffer`) bounds what a head may use before this runs.
pub struct HeadLimit(pub usize);

impl<E: Endpoint> Middleware<E> for HeadLimit {
    type Output = HeadLimitEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        HeadLimitEndpoint {
            inner: ep,
            max: self.0,
        }
    }
}

pub struct HeadLimitEndpoint<E> {
    inner: E,
    max: usize,
}

/// The size of a request's head as HTTP/1.1 would carry it.
fn head_size(req: &Request) -> usize {
    let line = req.method().as_str().len() + req.uri().to_string().len() + 12;
    req.headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + line
}

impl<E: Endpoint> Endpoint for HeadLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if head_size(&req) > self.max {
            return Ok(error_response(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                Surface::of(&req),
                &format!(
                    "request head (request line and headers) larger than {} bytes",
                    self.max
                ),
                None,
                None,
            ));
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// Which origins may call the API from a browser.
#[derive(Clone, Debug)]
pub enum AllowedOrigins {
    /// Development mode: any origin.
    Any,
    /// Exactly these origins (scheme://host[:port]); empty allows none.
    List(Vec<String>),
}

/// CORS for the browser frontend: answers preflights from allowed origins (without asking
/// for a token) and marks every response to them, errors included, so the app can read it.
pub struct Cors(pub AllowedOrigins);

impl<E: Endpoint> Middleware<E> for Cors {
    type Output = CorsEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        CorsEndpoint {
            inner: ep,
            origins: self.0.clone(),
        }
    }
}

pub struct CorsEndpoint<E> {
    inner: E,
    origins: AllowedOrigins,
}

const ALLOW_METHODS: &str = "GET, POST, PUT, DELETE, OPTIONS";
const ALLOW_HEADERS: &str =
    "Authorization, Content-Type, Accept, newpassword, If-Match, If-Unmodified-Since";
const EXPOSE_HEADERS: &str = "X-Total-Count, Retry-After, Content-Disposition, ETag, Last-Modified";

impl<E> CorsEndpoint<E> {
    fn allows(&self, origin: &str) -> bool {
        match &self.origins {
            AllowedOrigins::Any => true,
            AllowedOrigins::List(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        }
    }
}

impl<E: Endpoint> Endpoint for CorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
            return Ok(self.inner.get_response(req).await);
        };
        let allowed = origin.to_str().is_ok_and(|o| self.allows(o));
        let preflight = req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if preflight {
            if !allowed {
                return Ok(json_error(
                    StatusCode::FORBIDDEN,
                    "this origin is not allowed to call the API",
                ));
            }
            let mut resp = Response::builder().status(StatusCode::NO_CONTENT).finish();
            let h = resp.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOW_METHODS),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            h.insert(header::VARY, HeaderValue::from_static("Origin"));
            return Ok(resp);
        }
        let mut resp = self.inner.get_response(req).await;
        if allowed {
            let h = resp.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSE_HEADERS),
            );
            h.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        Ok(resp)
    }
}

/// Headers on every response: no MIME sniffing, no caching of API answers by default.
pub struct StandardHeaders;

impl<E: Endpoint> Middleware<E> for StandardHeaders {
    type Output = StandardHeadersEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        StandardHeadersEndpoint(ep)
    }
}

pub struct StandardHeadersEndpoint<E>(E);

impl<E: Endpoint> Endpoint for StandardHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path().to_owned();
        let mut resp = self.0.get_response(req).await;
        let h = resp.headers_mut();
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        // RFC 9110: a 405 says which methods the resource has.
        if resp.status() == StatusCode::METHOD_NOT_ALLOWED
            && let Some(allow) = allowed_methods(&path)
            && let Ok(v) = HeaderValue::from_str(&allow)
        {
            resp.headers_mut().insert(header::ALLOW, v);
        }
        let h = resp.headers_mut();
        if !h.contains_key(header::CACHE_CONTROL) {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        Ok(resp)
    }
}

/// The methods the OpenAPI document lists for a concrete path (`/dmps/abc` matches
/// `/dmps/{id}`), as an `Allow` value; `None` for a path it does not describe.
pub fn allowed_methods(path: &str) -> Option<String> {
    static ROUTES: OnceLock<Vec<(Vec<String>, Vec<String>)>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        let spec = super::spec();
        let mut out = Vec::new();
        if let Some(paths) = spec.get("paths").and_then(|p| p.as_object()) {
            for (template, ops) in paths {
                let segments = template.split('/').map(str::to_owned).collect();
                let methods = ops
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                out.push((segments, methods));
            }
        }
        out
    });
    let parts: Vec<&str> = path.split('/').collect();
    let matching: Vec<&(Vec<String>, Vec<String>)> = routes
        .iter()
        .filter(|(t, _)| {
            t.len() == parts.len()
                && t.iter()
                    .zip(&parts)
                    .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
        })
        .collect();
    // `/dmps/import` is its own resource, not an instance of `/dmps/{id}`: the template
    // with the most literal segments wins.
    let literal = |t: &Vec<String>| t.iter().filter(|s| !s.starts_with('{')).count();
    let best = matching.iter().map(|(t, _)| literal(t)).max()?;
    let mut methods: Vec<String> = matching
        .iter()
        .filter(|(t, _)| literal(t) == best)
        .flat_map(|(_, m)| m.iter().cloned())
        .collect();
    methods.sort();
    methods.dedup();
    Some(methods.join(", "))
}

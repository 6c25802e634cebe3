//! Content negotiation and the error shape for everything under `/rda`: picks the response
//! media type from `Accept` (406 when neither maDMP JSON nor plain JSON is acceptable),
//! refuses request bodies in other media types (415), and rewrites errors raised outside
//! the operations (authentication, routing, limits) into `{error_code, error_message}`.

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use serde_json::{Value, json};

use super::errors::code_for;
use crate::madmp::MEDIA_TYPE;

const JSON: &str = "application/json";

/// Whether a request path belongs to the RDA surface.
pub fn is_rda_path(path: &str) -> bool {
    path == "/rda" || path.starts_with("/rda/")
}

/// The media type to answer with, or `None` when `Accept` allows neither. Without an
/// `Accept` header, or when plain JSON (or a wildcard) wins, the answer is `application/json`.
pub fn negotiate(accept: Option<&str>) -> Option<&'static str> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(JSON);
    };
    // (quality, position, media type we would serve)
    let mut best: Option<(u32, usize, &'static str)> = None;
    for (pos, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';');
        let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1000u32;
        for p in parts {
            if let Some(v) = p
                .trim()
                .strip_prefix("q=")
                .or_else(|| p.trim().strip_prefix("Q="))
            {
                q = v
                    .trim()
                    .parse::<f32>()
                    .map_or(0, |f| (f.clamp(0.0, 1.0) * 1000.0) as u32);
            }
        }
        let served = match essence.as_str() {
            e if e == MEDIA_TYPE => MEDIA_TYPE,
            "application/json" | "application/*" | "*/*" => JSON,
            _ => continue,
        };
        if q == 0 {
            continue;
        }
        // Higher quality wins; at equal quality the more specific maDMP type, then order.
        let rank = |m: &str| u32::from(m == MEDIA_TYPE);
        let better = match best {
            None => true,
            Some((bq, bpos, bm)) => {
                (q, rank(served), std::cmp::Reverse(pos)) > (bq, rank(bm), std::cmp::Reverse(bpos))
            }
        };
        if better {
            best = Some((q, pos, served));
        }
    }
    best.map(|(_, _, m)| m)
}

/// Whether a request body's media type is one this surface reads.
pub fn readable(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            let essence = m.essence_str().to_ascii_lowercase();
            essence == JSON || essence == MEDIA_TYPE
        })
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(json!({"error_code": code, "error_message": message}).to_string())
}

pub struct RdaSurface;

impl<E: Endpoint> Middleware<E> for RdaSurface {
    type Output = RdaSurfaceEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        RdaSurfaceEndpoint(ep)
    }
}

pub struct RdaSurfaceEndpoint<E>(E);

impl<E: Endpoint> Endpoint for RdaSurfaceEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if !is_rda_path(req.uri().path()) || req.method() == Method::OPTIONS {
            return Ok(self.0.call(req).await?.into_response());
        }
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let Some(media) = negotiate(accept.as_deref()) else {
            return Ok(error_response(
                StatusCode::NOT_ACCEPTABLE,
                "not_acceptable",
                &format!("this API answers in {MEDIA_TYPE} or {JSON} only"),
            ));
        };
        if matches!(*req.method(), Method::POST | Method::PUT) {
            let ct = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            if !readable(ct) {
                return Ok(error_response(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    &format!("send the DMP as {MEDIA_TYPE} or {JSON}"),
                ));
            }
        }
        let listing =
            req.method() == Method::GET && req.uri().path().trim_end_matches('/') == "/rda/dmps";
        let resp = self.0.get_response(req).await;
        let status = resp.status();
        let mut resp = if status.is_client_error() || status.is_server_error() {
            rewrite_error(resp, listing).await
        } else {
            resp
        };
        if resp.status() != StatusCode::NO_CONTENT {
            let ct = if media == MEDIA_TYPE {
                MEDIA_TYPE
            } else {
                "application/json; charset=utf-8"
            };
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        resp.headers_mut()
            .append(header::VARY, HeaderValue::from_static("Accept"));
        Ok(resp)
    }
}

/// Turns an `{"error": ...}` body into the RDA shape, keeping status and headers.
async fn rewrite_error(resp: Response, listing: bool) -> Response {
    let (parts, body) = resp.into_parts();
    let bytes = body.into_bytes().await.unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
    let rewritten = match parsed {
        Some(v) if v.get("error_code").is_some() => None,
        Some(v) => {
            let message = v
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("the request failed")
                .to_owned();
            let code = code_for(parts.status, v.get("pointer").is_some(), listing);
            Some(json!({"error_code": code, "error_message": message}))
        }
        None => {
            let code = code_for(parts.status, false, listing);
            let message = parts
                .status
                .canonical_reason()
                .unwrap_or("the request failed");
            Some(json!({"error_code": code, "error_message": message}))
        }
    };
    let mut resp = Response::from_parts(parts, poem::Body::empty());
    match rewritten {
        Some(v) => resp.set_body(v.to_string()),
        None => resp.set_body(bytes),
    }
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_preferred_acceptable_type() {
        assert_eq!(negotiate(None), Some(JSON));
        assert_eq!(negotiate(Some("application/json")), Some(JSON));
        assert_eq!(negotiate(Some(MEDIA_TYPE)), Some(MEDIA_TYPE));
        assert_eq!(negotiate(Some("*/*")), Some(JSON));
        let both = format!("application/json;q=0.5, {MEDIA_TYPE}");
        assert_eq!(negotiate(Some(&both)), Some(MEDIA_TYPE));
        let json_first = format!("application/json, {MEDIA_TYPE};q=0.9");
        assert_eq!(negotiate(Some(&json_first)), Some(JSON));
        assert_eq!(negotiate(Some("text/html, application/xml")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
        assert_eq!(
            negotiate(Some("application/vnd.com.example.dmp+json")),
            None
        );
    }

    #[test]
    fn reads_only_json_bodies() {
        assert!(readable(Some("application/json; charset=utf-8")));
        assert!(readable(Some(MEDIA_TYPE)));
        assert!(!readable(Some("text/plain")));
        assert!(!readable(Some("application/xml")));
        assert!(!readable(None));
    }
}

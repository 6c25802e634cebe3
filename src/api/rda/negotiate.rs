//! Content negotiation and the error shape for everything under `/rda`: picks the response
//! media type from `Accept` (406 when neither maDMP JSON nor plain JSON is acceptable),
//! and refuses request bodies in other media types (415). Errors under `/rda` are written
//! in `{error_code, error_message}` where they arise (`api::error::Surface`).

use crate::madmp::Version;
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

const JSON: &str = "application/json";

/// Whether a request path belongs to the RDA surface (its own OpenAPI document and its
/// Swagger UI excepted: they are ordinary pages).
pub fn is_rda_path(path: &str) -> bool {
    (path == "/rda" || path.starts_with("/rda/"))
        && path != "/rda/openapi.json"
        && path != "/rda/docs"
        && !path.starts_with("/rda/docs/")
}

/// What a request to the RDA surface gets: the response's media type, the maDMP version
/// written in it, and the version an incoming body is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub media: &'static str,
    pub version: Version,
    pub input: Version,
}

impl Default for Negotiated {
    fn default() -> Self {
        Negotiated {
            media: Version::V1_3.media_type(),
            version: Version::V1_3,
            input: Version::V1_3,
        }
    }
}

/// The quality (0-1000) `accept` gives a media type: that of the most specific range that
/// matches it (exact, then `application/*`, then `*/*`); 0 when none does.
fn quality(ranges: &[(String, u32)], media: &str) -> u32 {
    let mut best: Option<(u8, u32)> = None;
    for (essence, q) in ranges {
        let specificity = if essence == media {
            3
        } else if essence == "application/*" {
            2
        } else if essence == "*/*" {
            1
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, *q));
        }
    }
    best.map_or(0, |(_, q)| q)
}

/// The media ranges of an `Accept` value with their qualities (0-1000).
// By hand: poem's `Accept` extractor drops the q-values and keeps `q=0` ranges (which here
// must refuse a type), and `mime` parses one type, not a weighted list.
fn ranges(accept: &str) -> Vec<(String, u32)> {
    accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            if essence.is_empty() {
                return None;
            }
            let mut q = 1000u32;
            for p in parts {
                let p = p.trim();
                if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                    q = v
                        .trim()
                        .parse::<f32>()
                        .map_or(0, |f| (f.clamp(0.0, 1.0) * 1000.0) as u32);
                }
            }
            Some((essence, q))
        })
        .collect()
}

/// The media type and maDMP version to answer with, or `None` when `Accept` allows none.
/// `asked` is the `version` query parameter. The maDMP v1.3 type wins ties (so it is the
/// answer to no `Accept`, `*/*` and `application/*`), then v1.2, then plain JSON; with
/// `version` only that version's maDMP type (and plain JSON) can be chosen.
pub fn negotiate(accept: Option<&str>, asked: Option<Version>) -> Option<(&'static str, Version)> {
    let accept = accept
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or("*/*");
    let ranges = ranges(accept);
    let mut candidates: Vec<(&'static str, Version)> = [Version::V1_3, Version::V1_2]
        .into_iter()
        .filter(|v| asked.is_none_or(|a| a == *v))
        .map(|v| (v.media_type(), v))
        .collect();
    candidates.push((JSON, asked.unwrap_or_default()));
    let mut best: Option<(u32, &'static str, Version)> = None;
    for (media, version) in candidates {
        let q = quality(&ranges, media);
        if q > 0 && best.is_none_or(|(bq, _, _)| q > bq) {
            best = Some((q, media, version));
        }
    }
    best.map(|(_, m, v)| (m, v))
}

/// The maDMP version a request body in this media type is read as, or `None` when this
/// surface does not read that type. Plain JSON is read as 1.3, which accepts every 1.2
/// document too.
pub fn readable(content_type: Option<&str>) -> Option<Version> {
    let m = content_type.and_then(|ct| ct.parse::<mime::Mime>().ok())?;
    let essence = m.essence_str().to_ascii_lowercase();
    if essence == JSON {
        return Some(Version::V1_3);
    }
    Version::of_media_type(&essence)
}

/// The `version` query parameter, when it names a version served (anything else is left
/// to the operation's own parameter check: 400).
fn asked_version(req: &Request) -> Option<Version> {
    let query = req.uri().query()?;
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "version")
        .find_map(|(_, v)| Version::parse(v))
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    crate::api::error::error_response(
        status,
        crate::api::error::Surface::Rda { listing: false },
        message,
        None,
        Some(code),
    )
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
        let asked = asked_version(&req);
        let Some((media, version)) = negotiate(accept.as_deref(), asked) else {
            let served = match asked {
                Some(v) => format!("{} or {JSON}", v.media_type()),
                None => format!(
                    "{}, {} or {JSON}",
                    Version::V1_3.media_type(),
                    Version::V1_2.media_type()
                ),
            };
            return Ok(error_response(
                StatusCode::NOT_ACCEPTABLE,
                "not_acceptable",
                &format!("this API answers in {served} only"),
            ));
        };
        let mut input = Version::V1_3;
        if matches!(*req.method(), Method::POST | Method::PUT) {
            let ct = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            match readable(ct) {
                Some(v) => input = v,
                None => {
                    return Ok(error_response(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        &format!(
                            "send the DMP as {}, {} or {JSON}",
                            Version::V1_3.media_type(),
                            Version::V1_2.media_type()
                        ),
                    ));
                }
            }
        }
        let mut req = req;
        req.extensions_mut().insert(Negotiated {
            media,
            version,
            input,
        });
        // Errors are written in the RDA shape where they arise (`api::error::Surface`).
        let mut resp = self.0.get_response(req).await;
        if resp.status() != StatusCode::NO_CONTENT {
            let ct = if media == JSON {
                "application/json; charset=utf-8"
            } else {
                media
            };
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        resp.headers_mut()
            .append(header::VARY, HeaderValue::from_static("Accept"));
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V13: &str = "application/vnd.org.rd-alliance.dmp-common.v1.3+json";
    const V12: &str = "application/vnd.org.rd-alliance.dmp-common.v1.2+json";

    #[test]
    fn picks_the_preferred_acceptable_type() {
        let n = |a: Option<&str>| negotiate(a, None).map(|(m, _)| m);
        assert_eq!(n(None), Some(V13));
        assert_eq!(n(Some("*/*")), Some(V13));
        assert_eq!(n(Some("application/*")), Some(V13));
        assert_eq!(n(Some("application/json")), Some(JSON));
        assert_eq!(n(Some(V13)), Some(V13));
        assert_eq!(negotiate(Some(V12), None), Some((V12, Version::V1_2)));
        let both = format!("application/json;q=0.5, {V12}");
        assert_eq!(n(Some(&both)), Some(V12));
        let json_first = format!("application/json, {V13};q=0.9");
        assert_eq!(n(Some(&json_first)), Some(JSON));
        assert_eq!(n(Some("text/html, application/xml")), None);
        assert_eq!(n(Some("application/json;q=0")), None);
        assert_eq!(n(Some("application/vnd.com.example.dmp+json")), None);
        assert_eq!(n(Some("*/*, application/json;q=0")), Some(V13));
        // ?version=1.2
        let v12 = Some(Version::V1_2);
        assert_eq!(negotiate(None, v12), Some((V12, Version::V1_2)));
        assert_eq!(
            negotiate(Some("application/json"), v12),
            Some((JSON, Version::V1_2))
        );
        assert_eq!(negotiate(Some(V13), v12), None);
    }

    #[test]
    fn reads_only_json_bodies() {
        assert_eq!(
            readable(Some("application/json; charset=utf-8")),
            Some(Version::V1_3)
        );
        assert_eq!(readable(Some(V12)), Some(Version::V1_2));
        assert_eq!(readable(Some(V13)), Some(Version::V1_3));
        assert_eq!(readable(Some("text/plain")), None);
        assert_eq!(readable(Some("application/xml")), None);
        assert_eq!(readable(None), None);
    }
}

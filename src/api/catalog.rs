//! API discovery (RFC 9727): `GET` and `HEAD /.well-known/api-catalog`, a Linkset
//! (RFC 9264) naming this server's two APIs, the RDA Common maDMP API at `/rda` and
//! dmptool's own, each with its OpenAPI document (`service-desc`) and its documentation
//! (`service-doc`).

use poem::http::{HeaderValue, Method, header};
use poem::web::Data;
use poem::{Request, Response, handler};
use serde_json::{Value, json};

use super::ApiState;

/// Where the catalog lives (RFC 9727 section 3).
pub const PATH: &str = "/.well-known/api-catalog";
/// Its media type, with the profile RFC 9727 registers.
pub const CONTENT_TYPE: &str =
    "application/linkset+json; profile=\"https://www.rfc-editor.org/info/rfc9727\"";
/// The Common maDMP API's baseline specification, which `/rda` implements.
pub const RDA_BASELINE: &str =
    "https://github.com/RDA-DMP-Common/common-madmp-api/blob/v1.0.0/openapi.yaml";

/// The catalog for a server whose identifiers start with `base`.
pub fn linkset(base: &str) -> Value {
    let openapi = "application/vnd.oai.openapi+json";
    json!({"linkset": [
        {
            "anchor": format!("{base}{PATH}"),
            "item": [
                {"href": format!("{base}/rda"), "title": "RDA Common maDMP API 1.0.0"},
                {"href": format!("{base}/"), "title": "dmptool API"}
            ]
        },
        {
            "anchor": format!("{base}/rda"),
            "service-desc": [
                {"href": format!("{base}/rda/openapi.json"), "type": openapi},
                {"href": RDA_BASELINE, "type": "application/vnd.oai.openapi",
                 "title": "the Common maDMP API's baseline specification"}
            ],
            "service-doc": [
                {"href": format!("{base}/rda/docs"), "type": "text/html"}
            ]
        },
        {
            "anchor": format!("{base}/"),
            "service-desc": [
                {"href": format!("{base}/openapi.json"), "type": openapi},
                {"href": format!("{base}/openapi.yaml"), "type": "application/vnd.oai.openapi"}
            ],
            "service-doc": [
                {"href": format!("{base}/docs"), "type": "text/html"}
            ]
        }
    ]})
}

/// `GET` (the Linkset) and `HEAD` (headers only) of the catalog; both carry a `Link`
/// header with rel `api-catalog`.
#[handler]
pub fn api_catalog(req: &Request, state: Data<&ApiState>) -> Response {
    let base = state.served(req).base_url;
    let link = format!("<{base}{PATH}>; rel=\"api-catalog\"");
    let mut resp = if req.method() == Method::HEAD {
        Response::builder().content_type(CONTENT_TYPE).finish()
    } else {
        Response::builder()
            .content_type(CONTENT_TYPE)
            .body(linkset(&base).to_string())
    };
    if let Ok(v) = HeaderValue::from_str(&link) {
        resp.headers_mut().insert(header::LINK, v);
    }
    resp
}

//! Bodies poem-openapi's own payloads do not fit: a JSON response body the server has
//! already written as text (`JsonText`), and an optional JSON request body (`OptionalJson`).
//!
//! poem-openapi's `Json<T>` turns a response into a `serde_json::Value` first (`ToJSON`),
//! which for a DMP means building and copying the whole document before writing it out.
//! A DMP is stored as JSON text, so the API hands that text out with its own keys added
//! (`dmps::document`). `JsonText<T>` documents itself exactly like `Json<T>` would (same
//! media type, `T`'s schema) and sends the text as it is.

use std::marker::PhantomData;

use poem::{IntoResponse, Request, RequestBody, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{
    MetaMediaType, MetaRequest, MetaResponse, MetaResponses, MetaSchemaRef, Registry,
};
use poem_openapi::types::{ParseFromJSON, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions};
use serde_json::Value;

use super::error::{ApiError, body as error_body};

const JSON: &str = "application/json; charset=utf-8";

/// JSON text (well-formed by construction: only the server builds it) documented as `T`.
pub struct JsonText<T> {
    body: poem::Body,
    schema: PhantomData<fn() -> T>,
}

impl<T> JsonText<T> {
    pub fn new(text: String) -> Self {
        Self::streamed(poem::Body::from_string(text))
    }

    /// JSON text written as it is sent (see `dmps::DmpArray`).
    pub fn streamed(body: poem::Body) -> Self {
        Self {
            body,
            schema: PhantomData,
        }
    }
}

impl<T: Type> Payload for JsonText<T> {
    const CONTENT_TYPE: &'static str = JSON;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Send> IntoResponse for JsonText<T> {
    fn into_response(self) -> Response {
        Response::builder().content_type(JSON).body(self.body)
    }
}

impl<T: Type> ApiResponse for JsonText<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: JSON,
                    schema: T::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// An optional JSON request body: absent (empty) is `None`; present, it must be JSON.
pub struct OptionalJson<T>(pub Option<T>);

fn is_json(content_type: &str) -> bool {
    content_type
        .parse::<mime::Mime>()
        .is_ok_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
}

impl<'a, T: ParseFromJSON> ApiExtractor<'a> for OptionalJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: "application/json",
                schema: T::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bytes = match body.take() {
            Ok(b) => b
                .into_bytes()
                .await
                .map_err(|e| ApiError::BadRequest(error_body(e.to_string())))?,
            Err(_) => return Ok(Self(None)),
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        if let Some(ct) = request.content_type()
            && !is_json(ct)
        {
            return Err(ApiError::UnsupportedMediaType(error_body(format!(
                "the body must be application/json, not {ct}"
            )))
            .into());
        }
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::BadRequest(error_body(format!("malformed JSON: {e}"))))?;
        let parsed = T::parse_from_json(Some(value))
            .map_err(|e| ApiError::BadRequest(error_body(e.into_message())))?;
        Ok(Self(Some(parsed)))
    }
}

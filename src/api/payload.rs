//! A JSON response body the server has already written as text.
//!
//! poem-openapi's `Json<T>` turns a response into a `serde_json::Value` first (`ToJSON`),
//! which for a DMP means building and copying the whole document before writing it out.
//! A DMP is stored as JSON text, so the API hands that text out with its own keys added
//! (`dmps::document`). `JsonText<T>` documents itself exactly like `Json<T>` would (same
//! media type, `T`'s schema) and sends the text as it is.

use std::marker::PhantomData;

use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;

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

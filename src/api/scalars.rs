//! Payload types whose schema poem-openapi cannot derive: free-form DMP objects (documented
//! with their fixed keys), and an optional JSON body.

use std::borrow::Cow;

use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde_json::Value;

use super::error::{ApiError, body as error_body};

fn string_schema(format: Option<&'static str>, description: &'static str) -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        format,
        description: Some(description),
        ..MetaSchema::new("string")
    }))
}

fn any_object() -> Box<MetaSchemaRef> {
    Box::new(MetaSchemaRef::Inline(Box::new(MetaSchema::ANY)))
}

/// The two `Type` methods of a type that is its own raw value (every type here).
macro_rules! raw_value_is_self {
    () => {
        fn as_raw_value(&self) -> Option<&Self::RawValueType> {
            Some(self)
        }

        fn raw_element_iter<'a>(
            &'a self,
        ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
            Box::new(self.as_raw_value().into_iter())
        }
    };
}
pub(crate) use raw_value_is_self;

/// A DMP as returned: the questionnaire's fields as stored, plus the server's keys. Only
/// the schema: the API writes DMPs out as JSON text (`payload::JsonText<DmpDocument>`).
#[derive(Debug, Clone)]
pub struct DmpDocument;

impl Type for DmpDocument {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "Dmp".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference(Self::name().into_owned())
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<Self, _>(Self::name().into_owned(), |_| MetaSchema {
            description: Some(
                "A data management plan: the fields the questionnaire posted (free-form), plus \
                 `_id`, `user` (the owner's username), `purpose` (always a string), and the \
                 server's `_created`, `_updated` (ISO-8601 UTC) and `_version`.",
            ),
            required: vec!["_id", "user", "purpose"],
            properties: vec![
                ("_id", string_schema(None, "24-hex-character id")),
                ("user", string_schema(None, "owner's username")),
                (
                    "purpose",
                    string_schema(None, "purpose of the plan (\"\" when none)"),
                ),
                (
                    "_created",
                    string_schema(Some("date-time"), "creation time (UTC)"),
                ),
                (
                    "_updated",
                    string_schema(Some("date-time"), "last change (UTC)"),
                ),
                (
                    "_version",
                    MetaSchemaRef::Inline(Box::new(MetaSchema {
                        format: Some("int64"),
                        description: Some("1 at creation, +1 at every update"),
                        ..MetaSchema::new("integer")
                    })),
                ),
            ],
            additional_properties: Some(any_object()),
            ..MetaSchema::new("object")
        });
    }

    raw_value_is_self!();
}

/// A DMP as sent by a client: any JSON object. `_id`, `user` and the other server keys are
/// ignored.
#[derive(Debug, Clone)]
pub struct DmpInput(pub Value);

impl Type for DmpInput {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "DmpInput".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference(Self::name().into_owned())
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<Self, _>(Self::name().into_owned(), |_| MetaSchema {
            description: Some(
                "The questionnaire's answers as a JSON object (e.g. name, purpose, description, \
                 project, sharing, license, ...). Values may be strings, numbers, booleans, lists \
                 or objects. `_id`, `user`, `_created`, `_updated` and `_version` are ignored.",
            ),
            additional_properties: Some(any_object()),
            example: Some(serde_json::json!({
                "name": "Night-sky brightness DMP",
                "purpose": "Collect night-sky brightness measurements from volunteers.",
                "project": "azotea",
                "sharing": "Yes",
                "license": "CC BY",
                "tags": []
            })),
            ..MetaSchema::new("object")
        });
    }

    raw_value_is_self!();
}

impl ParseFromJSON for DmpInput {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(v @ Value::Object(_)) => Ok(Self(v)),
            Some(other) => Err(ParseError::custom(format!(
                "the body must be a JSON object, not {}",
                crate::domain::dmp::kind_of(&other)
            ))),
            None => Err(ParseError::custom("a JSON object body is required")),
        }
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

/// `Type` for a newtype over `String` whose OpenAPI schema is `$schema` (an inline string
/// schema): the parts poem-openapi needs that are the same for every such type.
macro_rules! string_type {
    ($ty:ty, $name:expr, $schema:expr) => {
        impl poem_openapi::types::Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                #[allow(unused_imports)]
                use poem_openapi::registry::MetaSchema;
                poem_openapi::registry::MetaSchemaRef::Inline(Box::new($schema))
            }

            $crate::api::types::raw_value_is_self!();
        }
    };
}
pub(crate) use string_type;

/// A JSON string, strictly: unlike poem-openapi's `String`, a number or a boolean is not
/// turned into text but refused (400), as the OpenAPI document promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

string_type!(Text, "string", MetaSchema::new("string"));

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(s)) => Ok(Text(s)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A DMP or task id as it appears in paths, queries and bodies: 24 hexadecimal characters,
/// documented as that pattern and checked without a regular expression (poem-openapi's
/// `pattern` validator compiles its regex on every request; ids are on every hot path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexId(pub String);

const HEX_ID_PATTERN: &str = "^[0-9a-fA-F]{24}$";

impl HexId {
    fn check(s: &str) -> Result<Self, String> {
        if s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(HexId(s.to_owned()))
        } else {
            Err(format!("'{s}' is not an id (24 hex characters expected)"))
        }
    }
}

string_type!(
    HexId,
    "string(hex-id)",
    MetaSchema {
        pattern: Some(HEX_ID_PATTERN.to_owned()),
        ..MetaSchema::new("string")
    }
);

impl poem_openapi::types::ParseFromParameter for HexId {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        HexId::check(value).map_err(ParseError::custom)
    }
}

impl ParseFromJSON for HexId {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(s)) => HexId::check(&s).map_err(ParseError::custom),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for HexId {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

impl std::ops::Deref for HexId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

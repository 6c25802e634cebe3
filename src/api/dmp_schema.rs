//! The OpenAPI schemas of a DMP, which poem-openapi cannot derive: free-form objects
//! documented with their fixed keys, as returned (`DmpDocument`) and as sent (`DmpInput`).

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, Type};
use serde_json::Value;

use super::scalars::raw_value_is_self;

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

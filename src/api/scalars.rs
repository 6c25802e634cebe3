//! String scalars of the API whose parsing poem-openapi cannot be told: `Text` (a JSON
//! string, strictly) and `HexId` (a 24-hex-character id), and the `Type` boilerplate such
//! hand-written types share (`raw_value_is_self!`, `string_type!`).

use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON};
use serde_json::Value;

/// The two `Type` methods of a type that is its own raw value (every hand-written type of
/// the API: these, `dmp_schema`'s, `rda::LanguageCode`).
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

            $crate::api::scalars::raw_value_is_self!();
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

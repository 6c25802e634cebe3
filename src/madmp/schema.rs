//! The official maDMP 1.2 JSON Schema, embedded, compiled once, and checked against.

use std::sync::OnceLock;

use serde_json::Value;

/// Where a document first breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the document does not conform to maDMP 1.2 at {}: {message}", if pointer.is_empty() { "its root" } else { pointer.as_str() })]
pub struct Violation {
    /// JSON pointer (RFC 6901) of the offending value; empty for the document itself.
    pub pointer: String,
    pub message: String,
}

const SCHEMA_PATH: &str = "standards/maDMP-schema-1.2.json";

struct Compiled {
    validator: jsonschema::Validator,
    languages: Vec<String>,
}

fn compiled() -> Result<&'static Compiled, String> {
    static COMPILED: OnceLock<Result<Compiled, String>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let bytes = crate::assets::bytes(SCHEMA_PATH)
                .ok_or_else(|| format!("{SCHEMA_PATH} is not embedded"))?;
            let schema: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
            let languages = schema
                .pointer("/$defs/LanguageCode/enum")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            // Formats (date, date-time, email, uri) are checked too: draft 2020-12 leaves
            // them as annotations by default, but a plan with "start": "soon" is not valid.
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| e.to_string())?;
            Ok(Compiled {
                validator,
                languages,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Checks a document against the maDMP 1.2 schema. `Err(Ok(v))` is a violation of the
/// document; `Err(Err(msg))` means the embedded schema itself could not be used.
pub fn validate(doc: &Value) -> Result<(), Result<Violation, String>> {
    let compiled = compiled().map_err(Err)?;
    match compiled.validator.validate(doc) {
        Ok(()) => Ok(()),
        Err(e) => Err(Ok(Violation {
            pointer: e.instance_path().to_string(),
            message: e.to_string(),
        })),
    }
}

/// The ISO 639-3 codes the schema allows for `language`.
pub fn languages() -> &'static [String] {
    compiled().map_or(&[], |c| c.languages.as_slice())
}

/// Whether `code` is one of the ISO 639-3 codes the schema allows for `language`.
pub fn is_language(code: &str) -> bool {
    compiled().is_ok_and(|c| c.languages.iter().any(|l| l == code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_the_pointer_of_the_first_violation() {
        let doc = json!({"dmp": {"title": 5}});
        let v = validate(&doc).unwrap_err().unwrap();
        assert!(v.pointer.starts_with("/dmp"), "{v:?}");
        assert!(validate(&json!([])).is_err());
        let mut doc: Value = serde_json::from_str(
            r#"{"dmp": {"title": "t", "language": "eng", "created": "2020-01-01T00:00:00Z",
                "modified": "2020-01-01T00:00:00Z", "ethical_issues_exist": "no",
                "dmp_id": {"identifier": "x", "type": "other"}, "dataset": [],
                "contact": {"name": "a", "mbox": "a@example.org",
                            "contact_id": {"identifier": "a", "type": "other"}}}}"#,
        )
        .unwrap();
        assert!(validate(&doc).is_ok());
        doc["dmp"]["created"] = json!("yesterday");
        assert_eq!(validate(&doc).unwrap_err().unwrap().pointer, "/dmp/created");
        doc["dmp"]["created"] = json!("2020-01-01T00:00:00Z");
        doc["dmp"]["contact"]["mbox"] = json!("nobody");
        assert_eq!(
            validate(&doc).unwrap_err().unwrap().pointer,
            "/dmp/contact/mbox"
        );
        assert!(is_language("eng") && !is_language("xx"));
    }
}

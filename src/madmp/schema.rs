//! The official maDMP JSON Schemas (1.2 and 1.3), embedded, compiled once, and checked
//! against. Output is checked against the official schema of its version as published;
//! input against the same schema with `Host.pid_system` relaxed to any string (the
//! Common maDMP API 1.0.0 turned its fixed list into suggested values, #146).

use std::sync::OnceLock;

use serde_json::Value;

/// A version of the RDA DMP Common Standard that dmptool reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Version {
    V1_2,
    /// The default: what the Common maDMP API 1.0.0 serves unless asked otherwise.
    #[default]
    V1_3,
}

impl Version {
    pub const ALL: [Version; 2] = [Version::V1_2, Version::V1_3];

    /// `"1.2"` or `"1.3"`.
    pub fn label(self) -> &'static str {
        match self {
            Version::V1_2 => "1.2",
            Version::V1_3 => "1.3",
        }
    }

    /// The version a label such as `"1.3"` names.
    pub fn parse(label: &str) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.label() == label.trim())
    }

    /// The media type of documents of this version (RDA Common maDMP API).
    pub fn media_type(self) -> &'static str {
        match self {
            Version::V1_2 => "application/vnd.org.rd-alliance.dmp-common.v1.2+json",
            Version::V1_3 => "application/vnd.org.rd-alliance.dmp-common.v1.3+json",
        }
    }

    /// The version whose media type this is (parameters and case ignored).
    pub fn of_media_type(media_type: &str) -> Option<Version> {
        let essence = media_type.split(';').next().unwrap_or("").trim();
        Version::ALL
            .into_iter()
            .find(|v| v.media_type().eq_ignore_ascii_case(essence))
    }

    fn schema_path(self) -> &'static str {
        match self {
            Version::V1_2 => "standards/maDMP-schema-1.2.json",
            Version::V1_3 => "standards/maDMP-schema-1.3.json",
        }
    }

    /// The allowed values of `data_access`.
    pub fn data_access(self) -> &'static [&'static str] {
        match self {
            Version::V1_2 => &["open", "shared", "closed"],
            Version::V1_3 => &["open", "restricted", "closed", "shared"],
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Where a document first breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the document does not conform to maDMP {version} at {}: {message}", if pointer.is_empty() { "its root" } else { pointer.as_str() })]
pub struct Violation {
    /// JSON pointer (RFC 6901) of the offending value; empty for the document itself.
    pub pointer: String,
    pub message: String,
    /// The schema broken.
    pub version: Version,
}

/// Why a maDMP document could not be checked, imported or exported.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MadmpError {
    /// The document breaks the schema (the client's document: HTTP 400 with its pointer).
    #[error(transparent)]
    Violation(#[from] Violation),
    /// An export of ours broke the schema: a fault of ours.
    #[error("export produced an invalid document")]
    InvalidExport(#[source] Violation),
    /// The embedded schema itself could not be used: a fault of ours. (The reason is kept
    /// as text: the compiled schema is built once and its failure shared by every caller.)
    #[error("the embedded maDMP {version} schema cannot be used: {reason}")]
    Schema { version: Version, reason: String },
}

impl MadmpError {
    /// The same failure of an export: a violation is ours, not the client's.
    pub fn in_export(self) -> Self {
        match self {
            MadmpError::Violation(v) => MadmpError::InvalidExport(v),
            other => other,
        }
    }
}

struct Compiled {
    /// The official schema, as published: what every export must meet.
    strict: jsonschema::Validator,
    /// The same with `pid_system` open: what imports must meet.
    lenient: jsonschema::Validator,
    languages: Vec<String>,
    pid_systems: Vec<String>,
    currencies: Vec<String>,
}

fn strings_at(schema: &Value, pointer: &str) -> Vec<String> {
    super::mapping::strings(schema.pointer(pointer))
}

fn build(schema: &Value) -> Result<jsonschema::Validator, String> {
    // Formats (date, date-time, email, uri) are checked too: draft 2020-12 leaves
    // them as annotations by default, but a plan with "start": "soon" is not valid.
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

fn compile(version: Version) -> Result<Compiled, String> {
    let path = version.schema_path();
    let bytes = crate::assets::bytes(path).ok_or_else(|| format!("{path} is not embedded"))?;
    let schema: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let mut relaxed = schema.clone();
    if let Some(t) = relaxed.pointer_mut("/$defs/PIDSystemType") {
        *t = serde_json::json!({"type": "string", "title": "PID System Type"});
    }
    Ok(Compiled {
        strict: build(&schema)?,
        lenient: build(&relaxed)?,
        languages: strings_at(&schema, "/$defs/LanguageCode/enum"),
        pid_systems: strings_at(&schema, "/$defs/PIDSystemType/enum"),
        currencies: strings_at(&schema, "/$defs/CurrencyCode/enum"),
    })
}

fn compiled(version: Version) -> Result<&'static Compiled, MadmpError> {
    static V12: OnceLock<Result<Compiled, String>> = OnceLock::new();
    static V13: OnceLock<Result<Compiled, String>> = OnceLock::new();
    let cell = match version {
        Version::V1_2 => &V12,
        Version::V1_3 => &V13,
    };
    cell.get_or_init(|| compile(version))
        .as_ref()
        .map_err(|reason| MadmpError::Schema {
            version,
            reason: reason.clone(),
        })
}

fn check(
    validator: &jsonschema::Validator,
    doc: &Value,
    version: Version,
) -> Result<(), MadmpError> {
    match validator.validate(doc) {
        Ok(()) => Ok(()),
        Err(e) => Err(MadmpError::Violation(Violation {
            pointer: e.instance_path().to_string(),
            message: e.to_string(),
            version,
        })),
    }
}

/// Checks a document against the official schema of `version`, as published (what an
/// export must meet).
pub fn validate_as(doc: &Value, version: Version) -> Result<(), MadmpError> {
    let c = compiled(version)?;
    check(&c.strict, doc, version)
}

/// Checks a document against the maDMP 1.3 schema as published.
pub fn validate(doc: &Value) -> Result<(), MadmpError> {
    validate_as(doc, Version::V1_3)
}

/// Checks an incoming document: the schema of `version` with any `pid_system` value
/// allowed.
pub fn validate_input(doc: &Value, version: Version) -> Result<(), MadmpError> {
    let c = compiled(version)?;
    check(&c.lenient, doc, version)
}

/// Whether the schema's ISO 4217 list has this currency code (the same in 1.2 and 1.3).
pub fn is_currency(code: &str) -> bool {
    compiled(Version::V1_2).is_ok_and(|c| c.currencies.iter().any(|x| x == code))
        && compiled(Version::V1_3).is_ok_and(|c| c.currencies.iter().any(|x| x == code))
}

/// The ISO 639-3 codes the schema allows for `language` (the same in 1.2 and 1.3).
pub fn languages() -> &'static [String] {
    compiled(Version::V1_3).map_or(&[], |c| c.languages.as_slice())
}

/// Whether `code` is one of the ISO 639-3 codes the schema allows for `language`.
pub fn is_language(code: &str) -> bool {
    compiled(Version::V1_3).is_ok_and(|c| c.languages.iter().any(|l| l == code))
}

/// Whether `value` is one of the schema's `PIDSystemType` values.
pub fn is_pid_system(value: &str) -> bool {
    compiled(Version::V1_3).is_ok_and(|c| c.pid_systems.iter().any(|l| l == value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violation(r: Result<(), MadmpError>) -> Violation {
        match r {
            Err(MadmpError::Violation(v)) => v,
            other => panic!("a violation expected: {other:?}"),
        }
    }

    #[test]
    fn reports_the_pointer_of_the_first_violation() {
        let doc = json!({"dmp": {"title": 5}});
        let v = violation(validate(&doc));
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
        assert_eq!(violation(validate(&doc)).pointer, "/dmp/created");
        doc["dmp"]["created"] = json!("2020-01-01T00:00:00Z");
        doc["dmp"]["contact"]["mbox"] = json!("nobody");
        assert_eq!(violation(validate(&doc)).pointer, "/dmp/contact/mbox");
        assert!(is_language("eng") && !is_language("xx"));
    }

    #[test]
    fn the_versions_differ_where_the_standard_says() {
        let host = |h: Value| {
            json!({"dmp": {"title": "t", "language": "eng", "created": "2020-01-01T00:00:00Z",
                "modified": "2020-01-01T00:00:00Z", "ethical_issues_exist": "no",
                "dmp_id": {"identifier": "x", "type": "other"},
                "contact": {"name": "a", "mbox": "a@example.org",
                            "contact_id": {"identifier": "a", "type": "other"}},
                "dataset": [{"title": "d", "personal_data": "no", "sensitive_data": "no",
                    "dataset_id": {"identifier": "d", "type": "other"},
                    "distribution": [{"title": "x", "data_access": "restricted", "host": h}]}]}})
        };
        let no_url = host(json!({"title": "NAS"}));
        assert!(validate_as(&no_url, Version::V1_3).is_ok());
        assert!(validate_as(&no_url, Version::V1_2).is_err());
        let odd_pid = host(json!({"title": "NAS", "pid_system": ["w3id"]}));
        assert!(validate_as(&odd_pid, Version::V1_3).is_err());
        assert!(validate_input(&odd_pid, Version::V1_3).is_ok());
        assert_eq!(Version::parse("1.2"), Some(Version::V1_2));
        assert_eq!(
            Version::of_media_type("application/vnd.org.rd-alliance.dmp-common.v1.3+json; x=y"),
            Some(Version::V1_3)
        );
        assert!(is_pid_system("doi") && !is_pid_system("w3id"));
    }
}

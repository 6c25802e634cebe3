//! A DMP as clients see it, written as JSON text: the stored fields in their order, then
//! `_id`, `user` (the owner's username), `_created`, `_updated` (ISO-8601 UTC) and
//! `_version` (and `role`, the caller's, for a plan shared with them); `purpose` is always a string ("" when absent or null, the JSON text of any
//! other value).
//!
//! A DMP is stored as JSON text, and almost every stored document can be handed out as it
//! is, with the server's keys appended: that is what happens here, without building the
//! document in memory. Only a document whose `purpose` is not a string, or that holds one of
//! the server's keys (which `client_fields` keeps out of anything stored), is taken apart
//! and rebuilt.

use std::fmt::{self, Write as _};

use serde::Deserializer as _;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::domain::dmp::RESERVED_KEYS;
use crate::domain::time::iso8601;
use crate::service::ServiceError;
use crate::service::dmps::DmpView;

/// Appends the DMP's JSON text to `out`.
pub fn write(v: &DmpView, out: &mut String) -> Result<(), ServiceError> {
    let stored = v.doc.get();
    let fields = stored
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .map(str::trim);
    match (fields, plain_shape(stored)) {
        (Some(fields), Some(has_purpose)) => {
            out.push('{');
            out.push_str(fields);
            let mut first = fields.is_empty();
            if !has_purpose {
                separate(out, &mut first);
                out.push_str(r#""purpose":"""#);
            }
            server_keys(v, out, first);
            Ok(())
        }
        _ => rebuild(v, out),
    }
}

/// The slow way, for documents that cannot be handed out as stored.
fn rebuild(v: &DmpView, out: &mut String) -> Result<(), ServiceError> {
    let corrupt = |e: serde_json::Error| ServiceError::json(format!("stored DMP {}", v.id), e);
    let mut doc: Map<String, Value> = serde_json::from_str(v.doc.get()).map_err(corrupt)?;
    for key in RESERVED_KEYS {
        doc.shift_remove(key);
    }
    match doc.get("purpose") {
        Some(Value::String(_)) => {}
        None | Some(Value::Null) => {
            doc.insert("purpose".into(), Value::String(String::new()));
        }
        Some(other) => {
            let text = other.to_string();
            doc.insert("purpose".into(), Value::String(text));
        }
    }
    let text = serde_json::to_string(&doc).map_err(corrupt)?;
    out.push_str(text.strip_suffix('}').unwrap_or(&text));
    server_keys(v, out, doc.is_empty());
    Ok(())
}

/// Appends the server's keys and closes the object.
fn server_keys(v: &DmpView, out: &mut String, mut first: bool) {
    separate(out, &mut first);
    // Writing to a String cannot fail.
    let _ = write!(out, r#""_id":"{}","user":"#, v.id);
    json_string(&v.owner_name, out);
    let _ = write!(
        out,
        r#","_created":"{}","_updated":"{}","_version":{}}}"#,
        iso8601(v.created),
        iso8601(v.updated),
        v.version
    );
    if let Some(role) = v.role {
        out.pop();
        let _ = write!(out, r#","role":"{role}"}}"#);
    }
}

fn separate(out: &mut String, first: &mut bool) {
    if !*first {
        out.push(',');
    }
    *first = false;
}

fn json_string(s: &str, out: &mut String) {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        // A &str always serialises; this keeps the output well-formed regardless.
        Err(_) => out.push_str(r#""""#),
    }
}

/// `Some(has_purpose)` when a stored document can be handed out as it is: its `purpose`
/// is absent or a string, and it holds none of the server's keys. `None` otherwise, and
/// for a key written with escapes (which cannot be borrowed to compare).
fn plain_shape(text: &str) -> Option<bool> {
    struct Shape;

    impl<'de> Visitor<'de> for Shape {
        type Value = Option<bool>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut has_purpose = false;
            while let Some(key) = map.next_key::<&'de str>()? {
                if key == "purpose" {
                    has_purpose = true;
                    let value: &'de RawValue = map.next_value()?;
                    if !value.get().starts_with('"') {
                        return Ok(None);
                    }
                } else if RESERVED_KEYS.contains(&key) {
                    return Ok(None);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(Some(has_purpose))
        }
    }

    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(Shape).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DmpId, UserId};

    /// The JSON text of a plan stored as `stored`, owned by `ana "the" owner`, version 3.
    fn written(stored: &str) -> String {
        let v = DmpView {
            id: DmpId::parse("0123456789abcdef01234567").unwrap(),
            owner: UserId(1),
            owner_name: "ana \"the\" owner".into(),
            role: None,
            created: 0,
            updated: 1_000,
            version: 3,
            doc: RawValue::from_string(stored.to_owned()).unwrap(),
        };
        let mut out = String::new();
        write(&v, &mut out).unwrap();
        out
    }

    fn text_of(stored: &str) -> Value {
        serde_json::from_str(&written(stored)).unwrap()
    }

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn stored_fields_first_then_the_servers_keys() {
        let v = text_of(r#"{"name":"Plan","purpose":"Study","n":[1,{"a":null}]}"#);
        assert_eq!(
            keys(&v),
            [
                "name", "purpose", "n", "_id", "user", "_created", "_updated", "_version"
            ]
        );
        assert_eq!(v["purpose"], "Study");
        assert_eq!(v["n"], serde_json::json!([1, {"a": null}]));
        assert_eq!(v["_id"], "0123456789abcdef01234567");
        assert_eq!(v["user"], "ana \"the\" owner");
        assert_eq!(v["_created"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["_updated"], "1970-01-01T00:00:01.000Z");
        assert_eq!(v["_version"], 3);
    }

    #[test]
    fn purpose_is_always_a_string_in_place() {
        let v = text_of(r#"{"name":"Plan"}"#);
        assert_eq!(keys(&v)[..2], ["name", "purpose"]);
        assert_eq!(v["purpose"], "");
        let v = text_of(r#"{"purpose":null,"name":"Plan"}"#);
        assert_eq!(keys(&v)[..2], ["purpose", "name"]);
        assert_eq!(v["purpose"], "");
        let v = text_of(r#"{"purpose":{"a":1},"name":"Plan"}"#);
        assert_eq!(keys(&v)[..2], ["purpose", "name"]);
        assert_eq!(v["purpose"], r#"{"a":1}"#);
        let v = text_of(r#"{"purpose":7}"#);
        assert_eq!(v["purpose"], "7");
    }

    #[test]
    fn empty_documents_and_escaped_keys() {
        let v = text_of("{}");
        assert_eq!(
            keys(&v),
            ["purpose", "_id", "user", "_created", "_updated", "_version"]
        );
        // "purpos\u0065" is "purpose": the escaped key takes the slow way and still counts.
        let v = text_of(r#"{"purpos\u0065":5,"k\"ey":"x"}"#);
        assert_eq!(v["purpose"], "5");
        assert_eq!(v["k\"ey"], "x");
    }

    #[test]
    fn a_stored_server_key_never_shows_twice() {
        let out = written(r#"{"_id":"forged","user":"mallory","_version":99,"name":"Plan"}"#);
        assert_eq!(out.matches("\"_id\"").count(), 1, "{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["_id"], "0123456789abcdef01234567");
        assert_eq!(v["user"], "ana \"the\" owner");
        assert_eq!(v["_version"], 3);
        assert_eq!(keys(&v)[0], "name");
    }
}

//! A DMP is a free-form JSON object (the questionnaire's answers) plus metadata the server
//! keeps. Some top-level keys belong to the server and are never taken from a client.

use serde_json::{Map, Value};

use super::InvalidValue;

/// Keys the server sets in what it returns, and drops from what it receives.
pub const RESERVED_KEYS: [&str; 6] = ["_id", "user", "_created", "_updated", "_version", "role"];

/// Checks that a body is a JSON object and removes the server's keys from it.
pub fn client_fields(body: Value) -> Result<Map<String, Value>, InvalidValue> {
    match body {
        Value::Object(mut map) => {
            for k in RESERVED_KEYS {
                map.remove(k);
            }
            Ok(map)
        }
        other => Err(InvalidValue(format!(
            "the body must be a JSON object, not {}",
            kind_of(&other)
        ))),
    }
}

/// Answers that hold a date: when given (not absent, null or ""), an RFC 3339 full-date.
pub const DATE_KEYS: [&str; 1] = ["embargo_date"];

/// Checks the answers that must have a fixed form, naming the first that has not.
pub fn check_answers(fields: &Map<String, Value>) -> Result<(), InvalidValue> {
    for key in DATE_KEYS {
        match fields.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() || super::time::is_full_date(s) => {}
            Some(Value::String(s)) => {
                return Err(InvalidValue(format!(
                    "'{key}' must be a date written YYYY-MM-DD (RFC 3339 full-date), not {s:?}"
                )));
            }
            Some(other) => {
                return Err(InvalidValue(format!(
                    "'{key}' must be a date written YYYY-MM-DD (RFC 3339 full-date), not {}",
                    kind_of(other)
                )));
            }
        }
    }
    super::plan::check(fields)
}

pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_server_keys_and_refuses_non_objects() {
        let m = client_fields(json!({"_id": "x", "user": "eve", "name": "n"})).unwrap();
        assert_eq!(Value::Object(m), json!({"name": "n"}));
        for bad in [json!([]), json!("s"), json!(null), json!(1)] {
            assert!(client_fields(bad).is_err());
        }
    }
}

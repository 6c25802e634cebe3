//! A DMP is a free-form JSON object (the questionnaire's answers) plus metadata the server
//! keeps. Some top-level keys belong to the server and are never taken from a client.

use serde_json::{Map, Value};

use super::InvalidValue;

/// Keys the server sets in what it returns, and drops from what it receives.
pub const RESERVED_KEYS: [&str; 5] = ["_id", "user", "_created", "_updated", "_version"];

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
    check_own_answers(fields.get("answers"))
}

/// Longest own answer to one question, in characters.
pub const MAX_OWN_ANSWER_CHARS: usize = 100_000;

/// `answers`: the plan's own words per template question, `{"<question id>": "text"}`;
/// null (or "") means not answered. Errors name the JSON pointer of the bad value.
fn check_own_answers(answers: Option<&Value>) -> Result<(), InvalidValue> {
    let map = match answers {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(InvalidValue(format!(
                "/answers must be an object of question id -> text, not {}",
                kind_of(other)
            )));
        }
    };
    for (id, v) in map {
        let at = format!("/answers/{}", id.replace('~', "~0").replace('/', "~1"));
        let id_ok = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !id_ok {
            return Err(InvalidValue(format!(
                "{at}: a question id is 1 to 64 letters, digits, '_' or '-'"
            )));
        }
        match v {
            Value::Null => {}
            Value::String(s) if s.chars().count() <= MAX_OWN_ANSWER_CHARS => {}
            Value::String(_) => {
                return Err(InvalidValue(format!(
                    "{at} is longer than {MAX_OWN_ANSWER_CHARS} characters"
                )));
            }
            other => {
                return Err(InvalidValue(format!(
                    "{at} must be text (or null), not {}",
                    kind_of(other)
                )));
            }
        }
    }
    Ok(())
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
    fn own_answers_are_text_keyed_by_question_id_and_errors_name_the_pointer() {
        let ok = json!({"answers": {"reuse": "Our words", "open": null, "2-a_b": ""}});
        assert!(check_answers(ok.as_object().unwrap()).is_ok());
        for (bad, says) in [
            (json!({"answers": []}), "/answers must be an object"),
            (
                json!({"answers": {"reuse": 5}}),
                "/answers/reuse must be text",
            ),
            (
                json!({"answers": {"a/b": "x"}}),
                "/answers/a~1b: a question id",
            ),
            (json!({"answers": {"": "x"}}), "/answers/: a question id"),
            (
                json!({"answers": {"q": "x".repeat(MAX_OWN_ANSWER_CHARS + 1)}}),
                "/answers/q is longer",
            ),
        ] {
            let e = check_answers(bad.as_object().unwrap()).unwrap_err();
            assert!(e.0.starts_with(says), "{} / {says}", e.0);
        }
    }

    #[test]
    fn strips_server_keys_and_refuses_non_objects() {
        let m = client_fields(json!({"_id": "x", "user": "eve", "name": "n"})).unwrap();
        assert_eq!(Value::Object(m), json!({"name": "n"}));
        for bad in [json!([]), json!("s"), json!(null), json!(1)] {
            assert!(client_fields(bad).is_err());
        }
    }
}

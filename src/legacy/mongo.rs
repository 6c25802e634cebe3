//! `mongoexport` output: one document per line, or a JSON array (`--jsonArray`), in relaxed
//! or canonical Extended JSON. ObjectIds become their 24-hex strings, dates ISO-8601 UTC
//! strings, and wrapped numbers plain numbers.

use std::path::Path;

use serde_json::{Map, Number, Value};

use super::{Collection, LegacyError};
use crate::domain::time::iso8601;

/// Turns Extended JSON into plain JSON, recursively.
pub fn plain(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            if map.len() == 1 {
                let (k, inner) = map
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_default();
                match (k.as_str(), &inner) {
                    ("$oid", Value::String(s)) => return Value::String(s.to_lowercase()),
                    ("$date", _) => {
                        if let Some(ms) = date_millis(&inner) {
                            return Value::String(iso8601(ms));
                        }
                    }
                    ("$numberLong" | "$numberInt", Value::String(s)) => {
                        if let Ok(n) = s.parse::<i64>() {
                            return Value::Number(n.into());
                        }
                    }
                    ("$numberDouble", Value::String(s)) => {
                        if let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64) {
                            return Value::Number(n);
                        }
                        return Value::String(s.clone());
                    }
                    ("$numberDecimal", Value::String(s)) => return Value::String(s.clone()),
                    _ => {}
                }
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, plain(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(plain).collect()),
        other => other,
    }
}

/// Milliseconds of a `$date` value: an ISO string, `{"$numberLong": "..."}`, or a number.
fn date_millis(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => crate::domain::time::parse_iso8601(s),
        Value::Number(n) => n.as_i64(),
        Value::Object(m) => m
            .get("$numberLong")
            .and_then(|s| s.as_str())
            .and_then(|s| s.parse().ok()),
        _ => None,
    }
}

/// Reads a collection dump. A line (or array item) that is not a JSON object is listed in
/// `unreadable`, not dropped silently.
pub fn read_collection(path: &Path) -> Result<Collection, LegacyError> {
    let text = std::fs::read_to_string(path).map_err(|e| LegacyError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Collection::default();
    if text.trim_start().starts_with('[') {
        let items: Vec<Value> = serde_json::from_str(&text).map_err(|e| LegacyError::Read {
            path: path.display().to_string(),
            message: format!("not a JSON array: {e}"),
        })?;
        for (i, item) in items.into_iter().enumerate() {
            match plain(item) {
                Value::Object(m) => out.documents.push(m),
                _ => out
                    .unreadable
                    .push(format!("{name} item {}: not an object", i + 1)),
            }
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(line).map(plain) {
                Ok(Value::Object(m)) => out.documents.push(m),
                Ok(_) => out
                    .unreadable
                    .push(format!("{name} line {}: not an object", i + 1)),
                Err(e) => out
                    .unreadable
                    .push(format!("{name} line {}: not JSON ({e})", i + 1)),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn relaxed_and_canonical_forms() {
        let v = plain(json!({
            "_id": {"$oid": "5F4788901670A9821BC72985"},
            "a": {"$date": "2020-08-27T10:18:56.000Z"},
            "b": {"$date": {"$numberLong": "1598523536000"}},
            "c": {"$date": 1598523536000i64},
            "n": {"$numberLong": "42"}, "d": {"$numberDouble": "1.5"}, "i": {"$numberInt": "7"},
            "deep": [{"$oid": "5f4788901670a9821bc72985"}],
            "plain": {"x": 1, "y": 2}
        }));
        assert_eq!(v["_id"], "5f4788901670a9821bc72985");
        for k in ["a", "b", "c"] {
            assert_eq!(v[k], "2020-08-27T10:18:56.000Z", "{k}");
        }
        assert_eq!(
            (v["n"].clone(), v["d"].clone(), v["i"].clone()),
            (json!(42), json!(1.5), json!(7))
        );
        assert_eq!(v["deep"][0], "5f4788901670a9821bc72985");
        assert_eq!(v["plain"], json!({"x": 1, "y": 2}));
    }

    #[test]
    fn lines_and_arrays_with_bad_entries_reported() {
        let dir = tempfile::tempdir().unwrap();
        let lines = dir.path().join("dmps.json");
        std::fs::write(
            &lines,
            "{\"_id\": {\"$oid\": \"5f4788901670a9821bc72985\"}}\n\nnot json\n[1]\n",
        )
        .unwrap();
        let c = read_collection(&lines).unwrap();
        assert_eq!(c.documents.len(), 1);
        assert_eq!(c.unreadable.len(), 2, "{:?}", c.unreadable);
        let array = dir.path().join("tasks.json");
        std::fs::write(&array, "[{\"a\": 1}, 2]").unwrap();
        let c = read_collection(&array).unwrap();
        assert_eq!((c.documents.len(), c.unreadable.len()), (1, 1));
    }
}

//! Reading and writing answers and the parts of a maDMP document the units share: text and
//! yes/no answers, first elements of arrays, the one dataset.

use serde_json::{Value, json};

use super::Obj;

/// An answer as text, exactly as given ("" when absent, blank or not text).
pub fn text<'a>(answers: &'a Obj, key: &str) -> &'a str {
    match answers.get(key).and_then(Value::as_str) {
        Some(t) if !t.trim().is_empty() => t,
        _ => "",
    }
}

/// A yes/no answer: `Some(true)` for "Yes", `Some(false)` for "No", else `None`.
pub(super) fn yes_no(answers: &Obj, key: &str) -> Option<bool> {
    match text(answers, key).trim().to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

pub(super) fn booleanish(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

pub(super) fn answer_of_booleanish(v: Option<&Value>) -> &'static str {
    match v.and_then(Value::as_str) {
        Some("yes") => "Yes",
        Some("no") => "No",
        _ => "",
    }
}

pub(super) fn set_text(answers: &mut Obj, key: &str, value: impl Into<String>) {
    answers.insert(key.to_owned(), Value::String(value.into()));
}

pub(super) fn str_at<'a>(v: &'a Obj, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Sets `key` to a string, or removes it when the string is empty.
pub(super) fn put_or_remove(obj: &mut Obj, key: &str, value: &str) {
    if value.is_empty() {
        obj.remove(key);
    } else {
        obj.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

/// The first element of an array member, if it is an object.
pub(super) fn first<'a>(obj: &'a Obj, key: &str) -> Option<&'a Obj> {
    obj.get(key)?.as_array()?.first()?.as_object()
}

/// The first element of an array member, created (with `seed`) when absent.
pub(super) fn first_mut<'a>(
    obj: &'a mut Obj,
    key: &str,
    seed: impl FnOnce() -> Obj,
) -> &'a mut Obj {
    let arr = obj.entry(key.to_owned()).or_insert_with(|| json!([]));
    if !arr.is_array() {
        *arr = json!([]);
    }
    let Value::Array(items) = arr else {
        unreachable!("made an array above")
    };
    if !items.first().is_some_and(Value::is_object) {
        items.insert(0, Value::Object(seed()));
    }
    match items.first_mut() {
        Some(Value::Object(o)) => o,
        _ => unreachable!("an object was put first above"),
    }
}

/// Removes the first element of an array member, and the member once it is empty.
pub(super) fn remove_first(obj: &mut Obj, key: &str) {
    if let Some(Value::Array(items)) = obj.get_mut(key) {
        if !items.is_empty() {
            items.remove(0);
        }
        if items.is_empty() {
            obj.remove(key);
        }
    }
}

/// The first dataset (the questionnaire describes one).
pub fn dataset(dmp: &Obj) -> Option<&Obj> {
    first(dmp, "dataset")
}

pub(super) fn dataset_mut(dmp: &mut Obj) -> &mut Obj {
    let title = str_at(dmp, "title").to_owned();
    let id = dataset_id_for(
        dmp.get("dmp_id")
            .and_then(|d| d.get("identifier"))
            .and_then(Value::as_str),
    );
    first_mut(dmp, "dataset", || new_dataset(&title, id))
}

/// The identifier of the plan's one dataset: `{dmp_id}#dataset-1` (type `url`) when the
/// plan's identifier is a URL, else `dataset-1` (type `other`).
pub fn dataset_id_for(dmp_id: Option<&str>) -> Value {
    match dmp_id.filter(|d| d.starts_with("http://") || d.starts_with("https://")) {
        Some(url) => json!({"identifier": format!("{url}#dataset-1"), "type": "url"}),
        None => json!({"identifier": "dataset-1", "type": "other"}),
    }
}

/// A dataset with the fields the schema requires.
pub fn new_dataset(title: &str, dataset_id: Value) -> Obj {
    let title = if title.is_empty() {
        "Data of the plan"
    } else {
        title
    };
    let mut o = Obj::new();
    o.insert("title".into(), json!(title));
    o.insert("dataset_id".into(), dataset_id);
    o.insert("personal_data".into(), json!("unknown"));
    o.insert("sensitive_data".into(), json!("unknown"));
    o
}

pub(super) fn ds_str<'a>(dmp: &'a Obj, key: &str) -> &'a str {
    dataset(dmp).map_or("", |d| str_at(d, key))
}

/// Splits a free-text list on commas, semicolons and line breaks.
pub(super) fn split_list(s: &str) -> Vec<String> {
    s.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The strings of a JSON array (nothing for anything else).
pub(crate) fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

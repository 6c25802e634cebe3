//! Between maDMP 1.2 and 1.3. dmptool keeps and builds documents in 1.3 form; these
//! functions lift an incoming 1.2 document to 1.3, write a 1.3 document down to 1.2 for
//! a client that asks for 1.2, and tidy a document for output.
//!
//! What differs (the standard's CHANGES): `data_access` gains `restricted` and deprecates
//! `shared`; `Host.url` is optional in 1.3 and required in 1.2. Every 1.2 document is a
//! 1.3 document, so lifting is renaming `shared`; writing down needs a `url` for each host
//! that has none, and records where it put one (`x_dmptool.filled_for_1_2`) so the 1.2
//! document imports back to the same 1.3 one.

use serde_json::{Value, json};

use super::EXTENSION;
use super::schema::is_pid_system;

/// The extension key listing the JSON pointers of values a 1.2 export had to invent.
pub const FILLED: &str = "filled_for_1_2";
/// The `url` given to a host without one in a 1.2 export when its `host_id` is no URL:
/// the URI that stands for nothing (RFC 6694), so no client mistakes it for an address.
pub const NO_URL: &str = "about:blank";

fn distributions_mut(doc: &mut Value) -> Vec<(String, &mut serde_json::Map<String, Value>)> {
    let mut out = Vec::new();
    let Some(datasets) = doc
        .pointer_mut("/dmp/dataset")
        .and_then(Value::as_array_mut)
    else {
        return out;
    };
    for (i, ds) in datasets.iter_mut().enumerate() {
        let Some(dists) = ds.get_mut("distribution").and_then(Value::as_array_mut) else {
            continue;
        };
        for (j, dist) in dists.iter_mut().enumerate() {
            if let Some(o) = dist.as_object_mut() {
                out.push((format!("/dmp/dataset/{i}/distribution/{j}"), o));
            }
        }
    }
    out
}

/// Renames the official schema a `$schema` names to the schema of `to` ("1.2" or "1.3").
fn repoint_schema(doc: &mut Value, from: &str, to: &str) {
    if let Some(Value::String(s)) = doc.get_mut("$schema") {
        let old = format!("{from}/maDMP-schema-{from}.json");
        if s.ends_with(&old) {
            let keep = s.len() - old.len();
            *s = format!("{}{to}/maDMP-schema-{to}.json", &s[..keep]);
        }
    }
}

fn extension_mut(doc: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    let dmp = doc.get_mut("dmp")?.as_object_mut()?;
    let ext = dmp.entry(EXTENSION).or_insert_with(|| json!({}));
    if !ext.is_object() {
        *ext = json!({});
    }
    ext.as_object_mut()
}

fn note(doc: &mut Value, text: String) {
    if let Some(ext) = extension_mut(doc) {
        let notes = ext.entry("notes").or_insert_with(|| json!([]));
        if let Some(a) = notes.as_array_mut() {
            a.push(Value::String(text));
        }
    }
}

/// Lifts a (valid 1.2 or 1.3) document to its 1.3 form: `shared` becomes `restricted`,
/// values a dmptool 1.2 export invented are taken out again, and a `$schema` naming the
/// official 1.2 schema names the 1.3 one.
pub fn up_to_1_3(doc: &mut Value) {
    for (_, dist) in distributions_mut(doc) {
        if dist.get("data_access").and_then(Value::as_str) == Some("shared") {
            dist.insert("data_access".into(), json!("restricted"));
        }
    }
    let filled = super::mapping::strings(doc.pointer(&format!("/dmp/{EXTENSION}/{FILLED}")));
    for pointer in filled {
        let Some((parent, key)) = pointer.rsplit_once('/') else {
            continue;
        };
        if key == "url"
            && parent.ends_with("/host")
            && let Some(host) = doc.pointer_mut(parent).and_then(Value::as_object_mut)
        {
            host.remove("url");
        }
    }
    if let Some(ext) = doc
        .pointer_mut(&format!("/dmp/{EXTENSION}"))
        .and_then(Value::as_object_mut)
    {
        ext.remove(FILLED);
    }
    repoint_schema(doc, "1.2", "1.3");
}

/// What every output gets: `pid_system` values outside the schema's list are sent as
/// `other` (the stored document keeps them; a note says so), and the base URL assumed
/// for identifiers is said when none is configured.
pub fn for_output(doc: &mut Value, assumed_base: Option<&str>) {
    let mut notes = Vec::new();
    for (at, dist) in distributions_mut(doc) {
        let Some(systems) = dist
            .get_mut("host")
            .and_then(|h| h.get_mut("pid_system"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for (k, s) in systems.iter_mut().enumerate() {
            if let Some(v) = s.as_str().filter(|v| !is_pid_system(v)) {
                notes.push(format!(
                    "{at}/host/pid_system/{k}: {v:?} is not in the schema's list; sent as \"other\""
                ));
                *s = json!("other");
            }
        }
    }
    for n in notes {
        note(doc, n);
    }
    if let Some(base) = assumed_base
        && let Some(ext) = extension_mut(doc)
    {
        ext.insert("assumed_base_url".into(), json!(base));
    }
}

/// Writes a 1.3 document down to 1.2: `restricted` becomes `shared`, a host without `url`
/// gets its `host_id` when that is a URL, else `about:blank` (recorded in
/// `x_dmptool.filled_for_1_2`), and `$schema` names the 1.2 schema.
pub fn down_to_1_2(mut doc: Value) -> Value {
    let mut filled = Vec::new();
    for (at, dist) in distributions_mut(&mut doc) {
        if dist.get("data_access").and_then(Value::as_str) == Some("restricted") {
            dist.insert("data_access".into(), json!("shared"));
        }
        if let Some(host) = dist.get_mut("host").and_then(Value::as_object_mut)
            && !host.contains_key("url")
        {
            let ids = match host.get("host_id") {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(one) => vec![one],
                None => Vec::new(),
            };
            let url = ids
                .into_iter()
                .filter_map(|h| h.get("identifier").and_then(Value::as_str))
                .find(|u| u.starts_with("https://") || u.starts_with("http://"))
                .unwrap_or(NO_URL)
                .to_owned();
            host.insert("url".into(), Value::String(url));
            filled.push(Value::String(format!("{at}/host/url")));
        }
    }
    if !filled.is_empty() {
        let n = filled.len();
        if let Some(ext) = extension_mut(&mut doc) {
            ext.insert(FILLED.into(), Value::Array(filled));
        }
        note(
            &mut doc,
            format!(
                "{n} host(s) without a url (optional in 1.3, required in 1.2) got one for 1.2; see {FILLED}"
            ),
        );
    }
    repoint_schema(&mut doc, "1.3", "1.2");
    doc
}

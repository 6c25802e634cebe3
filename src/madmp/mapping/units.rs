//! The units, each in both directions: `*_out` writes its answers into the `dmp` object,
//! `*_in` reads them back. `super::UNITS` lists them with the keys each owns.

use serde_json::{Value, json};

use super::json::*;
use super::{Obj, UnitCtx};
use crate::madmp::license;

pub const PERSONAL_TITLE: &str = "Personal data";
pub const GEOLOCATION_TITLE: &str = "Protected geolocation";
pub const DEFAULT_LANGUAGE: &str = "eng";

pub fn title_text(answers: &Obj) -> &str {
    match text(answers, "name") {
        "" => "Untitled data management plan",
        t => t,
    }
}

pub(super) fn title_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    dmp.insert("title".into(), Value::String(title_text(a).to_owned()));
}
pub(super) fn title_in(dmp: &Obj, a: &mut Obj) {
    set_text(a, "name", str_at(dmp, "title"));
}

pub(super) fn purpose_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    put_or_remove(dmp, "description", text(a, "purpose"));
}
pub(super) fn purpose_in(dmp: &Obj, a: &mut Obj) {
    set_text(a, "purpose", str_at(dmp, "description"));
}

pub(super) fn language_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    let given = text(a, "language").trim();
    // A plan names its language by ISO 639-1 (`en`), maDMP by ISO 639-3 (`eng`).
    let lang = crate::domain::language::to_639_3(given).unwrap_or(given);
    let lang = if crate::madmp::schema::is_language(lang) {
        lang
    } else {
        DEFAULT_LANGUAGE
    };
    dmp.insert("language".into(), Value::String(lang.to_owned()));
}
pub(super) fn language_in(dmp: &Obj, a: &mut Obj) {
    let code = str_at(dmp, "language");
    set_text(
        a,
        "language",
        crate::domain::language::to_639_1(code).unwrap_or(code),
    );
}

pub(super) fn project_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    let (title, description) = (text(a, "project"), text(a, "project_description"));
    if title.is_empty() && description.is_empty() {
        // Drop the project only if it holds nothing but what this unit wrote.
        if first(dmp, "project")
            .is_some_and(|p| p.keys().all(|k| k == "title" || k == "description"))
        {
            remove_first(dmp, "project");
        }
        return;
    }
    let project = first_mut(dmp, "project", Obj::new);
    let title = if title.is_empty() {
        "Untitled project"
    } else {
        title
    };
    project.insert("title".into(), Value::String(title.to_owned()));
    put_or_remove(project, "description", description);
}
pub(super) fn project_in(dmp: &Obj, a: &mut Obj) {
    let p = first(dmp, "project");
    set_text(a, "project", p.map_or("", |p| str_at(p, "title")));
    set_text(
        a,
        "project_description",
        p.map_or("", |p| str_at(p, "description")),
    );
}

pub(super) fn ethics_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    let personal = yes_no(a, "personal");
    let geo = yes_no(a, "protected_geolocation");
    let exist = match (personal, geo) {
        (Some(true), _) | (_, Some(true)) => "yes",
        (Some(false), Some(false)) => "no",
        _ => "unknown",
    };
    dmp.insert("ethical_issues_exist".into(), json!(exist));
    let (ptext, gtext) = (
        text(a, "personal_text"),
        text(a, "protected_geolocation_text"),
    );
    let mut parts = Vec::new();
    if !ptext.is_empty() {
        parts.push(format!("{PERSONAL_TITLE}: {ptext}"));
    }
    if !gtext.is_empty() {
        parts.push(format!("{GEOLOCATION_TITLE}: {gtext}"));
    }
    put_or_remove(dmp, "ethical_issues_description", &parts.join("\n"));

    let ds = dataset_mut(dmp);
    ds.insert("personal_data".into(), json!(booleanish(personal)));
    ds.insert("sensitive_data".into(), json!(booleanish(geo)));
    let mut items: Vec<Value> = ds
        .get("security_and_privacy")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|i| {
                    let t = i.get("title").and_then(Value::as_str);
                    t != Some(PERSONAL_TITLE) && t != Some(GEOLOCATION_TITLE)
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for (title, description) in [(PERSONAL_TITLE, ptext), (GEOLOCATION_TITLE, gtext)] {
        if !description.is_empty() {
            items.push(json!({"title": title, "description": description}));
        }
    }
    if items.is_empty() {
        ds.remove("security_and_privacy");
    } else {
        ds.insert("security_and_privacy".into(), Value::Array(items));
    }
}
pub(super) fn ethics_in(dmp: &Obj, a: &mut Obj) {
    let ds = dataset(dmp);
    set_text(
        a,
        "personal",
        answer_of_booleanish(ds.and_then(|d| d.get("personal_data"))),
    );
    set_text(
        a,
        "protected_geolocation",
        answer_of_booleanish(ds.and_then(|d| d.get("sensitive_data"))),
    );
    let item = |title: &str| -> String {
        ds.and_then(|d| d.get("security_and_privacy"))
            .and_then(Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i.get("title").and_then(Value::as_str) == Some(title))
            })
            .and_then(|i| i.get("description"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut personal = item(PERSONAL_TITLE);
    // A document written elsewhere may describe its ethical issues only at plan level.
    if personal.is_empty() && item(GEOLOCATION_TITLE).is_empty() {
        personal = str_at(dmp, "ethical_issues_description").to_owned();
    }
    set_text(a, "personal_text", personal);
    set_text(a, "protected_geolocation_text", item(GEOLOCATION_TITLE));
}

pub(super) fn description_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    put_or_remove(dataset_mut(dmp), "description", text(a, "description"));
}
pub(super) fn description_in(dmp: &Obj, a: &mut Obj) {
    set_text(a, "description", ds_str(dmp, "description"));
}

pub(super) fn keywords_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    let words = split_list(text(a, "keywords"));
    let ds = dataset_mut(dmp);
    if words.is_empty() {
        ds.remove("keyword");
    } else {
        ds.insert("keyword".into(), json!(words));
    }
}
pub(super) fn keywords_in(dmp: &Obj, a: &mut Obj) {
    set_text(
        a,
        "keywords",
        strings(dataset(dmp).and_then(|d| d.get("keyword"))).join(", "),
    );
}

pub(super) fn quality_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    let t = text(a, "quality_text");
    let ds = dataset_mut(dmp);
    if t.is_empty() {
        ds.remove("data_quality_assurance");
    } else {
        ds.insert("data_quality_assurance".into(), json!([t]));
    }
}
pub(super) fn quality_in(dmp: &Obj, a: &mut Obj) {
    let t = strings(dataset(dmp).and_then(|d| d.get("data_quality_assurance"))).join("\n");
    set_text(a, "quality", if t.is_empty() { "" } else { "Yes" });
    set_text(a, "quality_text", t);
}

pub(super) fn vocabulary_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    let items: Vec<Value> = text(a, "vocabulary_text")
        .split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let kind = if s.starts_with("http://") || s.starts_with("https://") {
                "url"
            } else {
                "other"
            };
            json!({
                "description": s,
                "language": DEFAULT_LANGUAGE,
                "metadata_standard_id": {"identifier": s, "type": kind},
            })
        })
        .collect();
    let ds = dataset_mut(dmp);
    if items.is_empty() {
        ds.remove("metadata");
    } else {
        ds.insert("metadata".into(), Value::Array(items));
    }
}
pub(super) fn vocabulary_in(dmp: &Obj, a: &mut Obj) {
    let names: Vec<String> = dataset(dmp)
        .and_then(|d| d.get("metadata"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_object)
                .map(|m| {
                    let d = str_at(m, "description");
                    if !d.is_empty() {
                        return d.to_owned();
                    }
                    let id = m.get("metadata_standard_id");
                    let id = id.and_then(|v| v.as_array().and_then(|a| a.first()).or(Some(v)));
                    id.and_then(|v| v.get("identifier"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                })
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    set_text(a, "vocabulary", if names.is_empty() { "" } else { "Yes" });
    set_text(a, "vocabulary_text", names.join("; "));
}

pub(super) fn reuse_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    let reuse = yes_no(a, "reuse");
    let ds = dataset_mut(dmp);
    match reuse {
        Some(b) => ds.insert("is_reused".into(), json!(b)),
        None => ds.remove("is_reused"),
    };
    // maDMP 1.3: the data reused are linked with `related_identifier`, `IsDerivedFrom`.
    let url = text(a, "reuse_url").trim();
    let list = ds.entry("related_identifier").or_insert_with(|| json!([]));
    if let Some(items) = list.as_array_mut() {
        let at = items
            .iter()
            .position(|i| i.get("relation_type").and_then(Value::as_str) == Some(DERIVED_FROM));
        match (at, url.is_empty()) {
            (Some(i), true) => {
                items.remove(i);
            }
            (Some(i), false) => {
                if items[i].get("identifier").and_then(Value::as_str) != Some(url) {
                    items[i] = related(url);
                }
            }
            (None, false) => items.push(related(url)),
            (None, true) => {}
        }
    }
    if ds
        .get("related_identifier")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        ds.remove("related_identifier");
    }
}

pub(super) const DERIVED_FROM: &str = "IsDerivedFrom";

pub(super) fn related(url: &str) -> Value {
    let ty = if url.starts_with("https://doi.org/") {
        "doi"
    } else {
        "url"
    };
    json!({"identifier": url, "relation_type": DERIVED_FROM, "type": ty})
}
pub(super) fn reuse_in(dmp: &Obj, a: &mut Obj) {
    let v = dataset(dmp)
        .and_then(|d| d.get("is_reused"))
        .and_then(Value::as_bool);
    set_text(
        a,
        "reuse",
        match v {
            Some(true) => "Yes",
            Some(false) => "No",
            None => "",
        },
    );
    let url = dataset(dmp)
        .and_then(|d| d.get("related_identifier"))
        .and_then(Value::as_array)
        .and_then(|items| {
            items
                .iter()
                .find(|i| i.get("relation_type").and_then(Value::as_str) == Some(DERIVED_FROM))
        })
        .and_then(|i| i.get("identifier"))
        .and_then(Value::as_str)
        .unwrap_or("");
    set_text(a, "reuse_url", url);
}

pub(super) fn conditions_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    put_or_remove(dataset_mut(dmp), "rights", text(a, "conditions"));
}
pub(super) fn conditions_in(dmp: &Obj, a: &mut Obj) {
    set_text(a, "conditions", ds_str(dmp, "rights"));
}

/// Size labels the frontend offers, with the upper bound used as an estimate.
pub(super) const SIZES: [(&str, Option<i64>); 3] = [
    ("Small (less than 100MB)", Some(100_000_000)),
    ("Medium (more than 100MB to 1GB)", Some(1_000_000_000)),
    ("Big (more than 1GB)", None),
];

/// `"5 MB"` → 5,000,000 (decimal units; KiB-style binary units too).
pub(super) fn parse_size(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(s.len());
    let number: f64 = s[..split].replace(',', "").parse().ok()?;
    let unit = s[split..].trim().to_ascii_uppercase();
    let factor = match unit.as_str() {
        "" | "B" | "BYTES" => 1.0,
        "KB" | "K" => 1e3,
        "MB" | "M" => 1e6,
        "GB" | "G" => 1e9,
        "TB" | "T" => 1e12,
        "KIB" => 1024.0,
        "MIB" => 1024.0 * 1024.0,
        "GIB" => 1024.0 * 1024.0 * 1024.0,
        "TIB" => 1024f64.powi(4),
        _ => return None,
    };
    Some(number * factor)
}

/// An estimate of the data's size in bytes: contributions × size of one when both are
/// given, else the upper bound of the chosen size class (none for the open-ended class).
pub fn byte_size(a: &Obj) -> Option<i64> {
    let count = text(a, "number_contributions")
        .replace([',', '_', ' '], "")
        .parse::<f64>()
        .ok();
    if let (Some(n), Some(each)) = (count, parse_size(text(a, "contribution_size"))) {
        let total = n * each;
        if (0.0..9.0e18).contains(&total) {
            return Some(total.round() as i64);
        }
    }
    let label = text(a, "size_dataset").trim();
    SIZES
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case(label))
        .and_then(|(_, bound)| *bound)
}

pub(super) fn size_label(bytes: i64) -> &'static str {
    match bytes {
        b if b <= 100_000_000 => SIZES[0].0,
        b if b <= 1_000_000_000 => SIZES[1].0,
        _ => SIZES[2].0,
    }
}

/// A `YYYY-MM-DD` date (RFC 3339 full-date, strictly), if the answer is one.
pub(super) fn date(s: &str) -> Option<&str> {
    crate::domain::time::is_full_date(s).then_some(s)
}

/// What the answers say that the mapping had to leave out, for a person to read (the
/// answers themselves travel unchanged in the extension block).
pub fn notes(a: &Obj) -> Vec<String> {
    let mut notes = Vec::new();
    let embargo_date = text(a, "embargo_date").trim();
    if !embargo_date.is_empty() && date(embargo_date).is_none() {
        notes.push(format!(
            "embargo_date {embargo_date:?} is not a YYYY-MM-DD date; the licence starts at the plan's creation instead"
        ));
    }
    notes
}

pub(super) fn distribution_out(a: &Obj, dmp: &mut Obj, ctx: &UnitCtx) {
    let sharing = yes_no(a, "sharing");
    let embargo = yes_no(a, "embargo") == Some(true);
    let license_url = license::url_of(text(a, "license"));
    let access_url = text(a, "use_data_url").trim();
    let bytes = byte_size(a);
    let ds = dataset_mut(dmp);
    if sharing.is_none() && license_url.is_none() && access_url.is_empty() && bytes.is_none() {
        if first(ds, "distribution").is_some() {
            remove_first(ds, "distribution");
        }
        return;
    }
    let title = str_at(ds, "title").to_owned();
    let dist = first_mut(ds, "distribution", || {
        let mut o = Obj::new();
        o.insert("title".into(), Value::String(title));
        o
    });
    let access = match (sharing, embargo) {
        (Some(true), _) => "open",
        (Some(false), true) => "restricted",
        _ => "closed",
    };
    dist.insert("data_access".into(), json!(access));
    put_or_remove(dist, "access_url", access_url);
    match license_url {
        Some(url) => {
            let start = match date(text(a, "embargo_date").trim()) {
                Some(d) if embargo => d,
                _ => ctx.created_date,
            };
            dist.insert(
                "license".into(),
                json!([{"license_ref": url, "start_date": start}]),
            );
        }
        None => {
            dist.remove("license");
        }
    }
    match bytes {
        Some(b) => dist.insert("byte_size".into(), json!(b)),
        None => dist.remove("byte_size"),
    };
}
pub(super) fn distribution_in(dmp: &Obj, a: &mut Obj) {
    let created = str_at(dmp, "created").get(..10).unwrap_or("");
    let dist = dataset(dmp).and_then(|d| first(d, "distribution"));
    let access = dist.map_or("", |d| str_at(d, "data_access"));
    set_text(
        a,
        "sharing",
        match access {
            "open" => "Yes",
            "restricted" | "shared" | "closed" => "No",
            _ => "",
        },
    );
    let lic = dist.and_then(|d| first(d, "license"));
    let start = lic.map_or("", |l| str_at(l, "start_date"));
    let embargoed = !start.is_empty() && !created.is_empty() && start > created;
    set_text(
        a,
        "embargo",
        if embargoed {
            "Yes"
        } else if dist.is_some() {
            "No"
        } else {
            ""
        },
    );
    set_text(a, "embargo_date", if embargoed { start } else { "" });
    set_text(
        a,
        "license",
        lic.map_or(String::new(), |l| {
            license::answer_of(str_at(l, "license_ref"))
        }),
    );
    let url = dist.map_or("", |d| match str_at(d, "access_url") {
        "" => str_at(d, "download_url"),
        u => u,
    });
    set_text(a, "use_data", if url.is_empty() { "" } else { "Yes" });
    set_text(a, "use_data_url", url);
    let bytes = dist
        .and_then(|d| d.get("byte_size"))
        .and_then(Value::as_i64);
    set_text(a, "size_dataset", bytes.map_or("", size_label));
    set_text(a, "number_contributions", "");
    set_text(a, "contribution_size", "");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Obj {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn estimates_sizes() {
        let a = obj(json!({"number_contributions": "43617", "contribution_size": "5 MB"}));
        assert_eq!(byte_size(&a), Some(218_085_000_000));
        let a = obj(json!({"size_dataset": "Small (less than 100MB)"}));
        assert_eq!(byte_size(&a), Some(100_000_000));
        let a = obj(json!({"size_dataset": "Big (more than 1GB)", "contribution_size": "lots"}));
        assert_eq!(byte_size(&a), None);
    }

    #[test]
    fn data_access_follows_sharing_and_embargo() {
        let ctx = UnitCtx {
            created_date: "2026-01-02",
        };
        for (sharing, embargo, want) in [
            ("Yes", "Yes", "open"),
            ("No", "Yes", "restricted"),
            ("No", "No", "closed"),
        ] {
            let a = obj(
                json!({"sharing": sharing, "embargo": embargo, "embargo_date": "2030-01-31", "license": "CC BY"}),
            );
            let mut dmp = Obj::new();
            distribution_out(&a, &mut dmp, &ctx);
            let d = dataset(&dmp)
                .and_then(|d| first(d, "distribution"))
                .cloned()
                .unwrap_or_default();
            assert_eq!(d["data_access"], want);
            let start = if embargo == "Yes" {
                "2030-01-31"
            } else {
                "2026-01-02"
            };
            assert_eq!(d["license"][0]["start_date"], start);
        }
    }
}

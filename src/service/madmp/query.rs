//! The query engine of the RDA list: which of a user's maDMP documents a listing's filters
//! keep, and in which order. It reads documents only; `super::list_madmp` picks the
//! candidates from the time indexes and pages the result.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::MadmpDoc;
use crate::madmp;
use crate::store::dmps::TimeKey;

/// Sort keys of the RDA list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Title,
    Created,
    Modified,
    Language,
    Embargo,
    Keyword,
}

/// A listing of the caller's DMPs as the RDA API asks for it. Times are milliseconds;
/// `*_before` and `*_after` are exclusive bounds. List filters match any of their values.
#[derive(Debug, Clone, Default)]
pub struct MadmpQuery {
    pub offset: usize,
    pub count: usize,
    /// `(key, descending)`, most significant first; empty means newest first.
    pub sort: Vec<(SortKey, bool)>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub modified_after: Option<i64>,
    pub modified_before: Option<i64>,
    pub languages: Vec<String>,
    pub contact_ids: Vec<String>,
    pub contributor_ids: Vec<String>,
    pub dataset_ids: Vec<String>,
    pub metadata_standard_ids: Vec<String>,
    pub dmp_ids: Vec<String>,
    pub funder_ids: Vec<String>,
    pub grant_ids: Vec<String>,
    pub query: Option<String>,
    pub ethical_issues_exist: Option<bool>,
    /// `YYYY-MM-DD`, exclusive.
    pub embargo_before: Option<String>,
    pub embargo_after: Option<String>,
    /// Identifiers of the DMP besides `dmp_id`: its `alternate_identifier`s, and its URL
    /// on this server (`{base}/rda/dmps/{id}`) when it carries another `dmp_id`.
    pub dmp_alternate_identifiers: Vec<String>,
    /// `yes`, `no`, `unknown`: any dataset's `personal_data`.
    pub dataset_personal_data: Vec<String>,
    pub dataset_sensitive_data: Vec<String>,
    /// Any distribution's `format` (media types, as the document writes them).
    pub distribution_formats: Vec<String>,
    /// Any distribution's `data_access`; `shared` and `restricted` are the same.
    pub distribution_data_access: Vec<String>,
    /// Any host's `host_id.identifier`, or its `url`.
    pub host_ids: Vec<String>,
    /// Any host's `title` (case-insensitive).
    pub host_titles: Vec<String>,
    /// Any licence's `license_ref`.
    pub license_refs: Vec<String>,
}

impl MadmpQuery {
    /// Whether any filter needs the documents themselves (not only the time indexes).
    pub(super) fn filters_documents(&self) -> bool {
        !(self.languages.is_empty()
            && self.contact_ids.is_empty()
            && self.contributor_ids.is_empty()
            && self.dataset_ids.is_empty()
            && self.metadata_standard_ids.is_empty()
            && self.dmp_ids.is_empty()
            && self.funder_ids.is_empty()
            && self.grant_ids.is_empty()
            && self.query.is_none()
            && self.ethical_issues_exist.is_none()
            && self.embargo_before.is_none()
            && self.embargo_after.is_none()
            && self.dmp_alternate_identifiers.is_empty()
            && self.dataset_personal_data.is_empty()
            && self.dataset_sensitive_data.is_empty()
            && self.distribution_formats.is_empty()
            && self.distribution_data_access.is_empty()
            && self.host_ids.is_empty()
            && self.host_titles.is_empty()
            && self.license_refs.is_empty())
    }

    pub(super) fn range(&self, key: TimeKey) -> (i64, i64) {
        let (after, before) = match key {
            TimeKey::Created => (self.created_after, self.created_before),
            TimeKey::Modified => (self.modified_after, self.modified_before),
        };
        (
            after.map_or(i64::MIN, |t| t.saturating_add(1)),
            before.map_or(i64::MAX, |t| t.saturating_sub(1)),
        )
    }
}

/// A page of maDMP documents and how many the listing covers.
pub struct MadmpPage {
    pub total: u64,
    pub items: Vec<MadmpDoc>,
}

// ---- filters and ordering over documents ---------------------------------------------

fn dmp_of(d: &MadmpDoc) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    d.doc
        .get("dmp")
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

fn str_of<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The `identifier`s of an id member that may be one object or a list of them.
fn identifiers(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.get("identifier").and_then(Value::as_str))
            .collect(),
        Some(o) => o
            .get("identifier")
            .and_then(Value::as_str)
            .into_iter()
            .collect(),
        None => Vec::new(),
    }
}

fn each<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// The date the plan's data open after an embargo: the latest licence start after the
/// plan's creation date, if any.
fn embargo_of(d: &MadmpDoc) -> Option<String> {
    let dmp = d.doc.get("dmp")?;
    let created = str_of(dmp, "/created").get(..10).unwrap_or("").to_owned();
    each(dmp, "dataset")
        .flat_map(|ds| each(ds, "distribution"))
        .flat_map(|dist| each(dist, "license"))
        .filter_map(|l| l.get("start_date").and_then(Value::as_str))
        .filter(|s| *s > created.as_str())
        .max()
        .map(str::to_owned)
}

/// Funder ids as asked, plus the other spelling of each that dmptool knows (a fundref id
/// finds the plan whose 1.3 export names the funder's ROR id, and the other way round).
fn with_funder_aliases(ids: &[String]) -> Vec<String> {
    let mut out = ids.to_vec();
    for id in ids {
        out.extend(madmp::funders::aliases(id));
    }
    out
}

fn any_in(values: &[&str], wanted: &[String]) -> bool {
    wanted.is_empty() || values.iter().any(|v| wanted.iter().any(|w| w == v))
}

pub(super) fn matches(d: &MadmpDoc, q: &MadmpQuery) -> bool {
    let Some(dmp) = d.doc.get("dmp") else {
        return false;
    };
    let datasets: Vec<&Value> = each(dmp, "dataset").collect();
    let fundings: Vec<&Value> = each(dmp, "project")
        .flat_map(|p| each(p, "funding"))
        .collect();
    let contributors: Vec<&str> = each(dmp, "contributor")
        .flat_map(|c| identifiers(c.get("contributor_id")))
        .collect();
    let dataset_ids: Vec<&str> = datasets
        .iter()
        .flat_map(|ds| identifiers(ds.get("dataset_id")))
        .collect();
    let standards: Vec<&str> = datasets
        .iter()
        .flat_map(|ds| each(ds, "metadata"))
        .flat_map(|m| identifiers(m.get("metadata_standard_id")))
        .collect();
    let funders: Vec<&str> = fundings
        .iter()
        .flat_map(|f| identifiers(f.get("funder_id")))
        .collect();
    let grants: Vec<&str> = fundings
        .iter()
        .flat_map(|f| identifiers(f.get("grant_id")))
        .collect();
    if !any_in(&[str_of(dmp, "/language")], &q.languages)
        || !any_in(
            &identifiers(dmp.pointer("/contact/contact_id")),
            &q.contact_ids,
        )
        || !any_in(&contributors, &q.contributor_ids)
        || !any_in(&dataset_ids, &q.dataset_ids)
        || !any_in(&standards, &q.metadata_standard_ids)
        || !any_in(&identifiers(dmp.get("dmp_id")), &q.dmp_ids)
        || !any_in(&funders, &with_funder_aliases(&q.funder_ids))
        || !any_in(&grants, &q.grant_ids)
    {
        return false;
    }
    if !q.dmp_alternate_identifiers.is_empty() {
        let own = d.own_url.as_str();
        let mut ids = identifiers(dmp.get("alternate_identifier"));
        ids.push(own);
        if !any_in(&ids, &q.dmp_alternate_identifiers) {
            return false;
        }
    }
    let distributions: Vec<&Value> = datasets
        .iter()
        .flat_map(|ds| each(ds, "distribution"))
        .collect();
    let ds_values = |key: &str| -> Vec<&str> {
        datasets
            .iter()
            .filter_map(|ds| ds.get(key).and_then(Value::as_str))
            .collect()
    };
    let access: Vec<&str> = distributions
        .iter()
        .filter_map(|x| x.get("data_access").and_then(Value::as_str))
        .map(|a| if a == "shared" { "restricted" } else { a })
        .collect();
    let wanted_access: Vec<String> = q
        .distribution_data_access
        .iter()
        .map(|a| {
            if a == "shared" {
                "restricted".to_owned()
            } else {
                a.clone()
            }
        })
        .collect();
    let formats: Vec<&str> = distributions
        .iter()
        .flat_map(|x| each(x, "format"))
        .filter_map(Value::as_str)
        .collect();
    let hosts: Vec<&Value> = distributions.iter().filter_map(|x| x.get("host")).collect();
    let host_ids: Vec<&str> = hosts
        .iter()
        .flat_map(|h| {
            let mut v = identifiers(h.get("host_id"));
            v.extend(h.get("url").and_then(Value::as_str));
            v
        })
        .collect();
    let host_titles: Vec<String> = hosts
        .iter()
        .filter_map(|h| h.get("title").and_then(Value::as_str))
        .map(str::to_lowercase)
        .collect();
    let wanted_titles: Vec<String> = q.host_titles.iter().map(|t| t.to_lowercase()).collect();
    let host_title_refs: Vec<&str> = host_titles.iter().map(String::as_str).collect();
    let licences: Vec<&str> = distributions
        .iter()
        .flat_map(|x| each(x, "license"))
        .filter_map(|l| l.get("license_ref").and_then(Value::as_str))
        .collect();
    if !any_in(&ds_values("personal_data"), &q.dataset_personal_data)
        || !any_in(&ds_values("sensitive_data"), &q.dataset_sensitive_data)
        || !any_in(&access, &wanted_access)
        || !any_in(&formats, &q.distribution_formats)
        || !any_in(&host_ids, &q.host_ids)
        || !any_in(&host_title_refs, &wanted_titles)
        || !any_in(&licences, &q.license_refs)
    {
        return false;
    }
    if let Some(text) = &q.query {
        let needle = text.to_lowercase();
        let hay =
            format!("{}\n{}", str_of(dmp, "/title"), str_of(dmp, "/description")).to_lowercase();
        if !hay.contains(&needle) {
            return false;
        }
    }
    if let Some(want) = q.ethical_issues_exist {
        let has = str_of(dmp, "/ethical_issues_exist");
        if has != if want { "yes" } else { "no" } {
            return false;
        }
    }
    if q.embargo_before.is_some() || q.embargo_after.is_some() {
        let Some(date) = embargo_of(d) else {
            return false;
        };
        if q.embargo_before
            .as_ref()
            .is_some_and(|b| date.as_str() >= b.as_str())
            || q.embargo_after
                .as_ref()
                .is_some_and(|a| date.as_str() <= a.as_str())
        {
            return false;
        }
    }
    true
}

fn sort_value(d: &MadmpDoc, key: SortKey) -> Option<String> {
    let dmp = dmp_of(d);
    let s = |k: &str| dmp.get(k).and_then(Value::as_str).map(str::to_lowercase);
    match key {
        SortKey::Title => s("title"),
        SortKey::Language => s("language"),
        SortKey::Embargo => embargo_of(d),
        SortKey::Keyword => dmp
            .get("dataset")
            .and_then(|ds| ds.pointer("/0/keyword/0"))
            .and_then(Value::as_str)
            .map(str::to_lowercase),
        SortKey::Created | SortKey::Modified => None,
    }
}

/// Orders by the keys in turn, then by id; absent values sort last either way.
pub(super) fn compare(a: &MadmpDoc, b: &MadmpDoc, sort: &[(SortKey, bool)]) -> Ordering {
    for (key, desc) in sort {
        let ord = match key {
            SortKey::Created => a.created.cmp(&b.created),
            SortKey::Modified => a.modified.cmp(&b.modified),
            _ => match (sort_value(a, *key), sort_value(b, *key)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => return Ordering::Less,
                (None, Some(_)) => return Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
        };
        let ord = if *desc { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.id.bytes().cmp(&b.id.bytes())
}

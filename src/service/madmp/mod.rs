//! DMPs as maDMP documents (1.3, or 1.2 on request): export, import, and the RDA Common maDMP API's reads and
//! writes (list with filters and sorting, overwrite with preconditions). Only the owner
//! sees or changes a DMP through these; another user's DMP is "not found".

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::dmps::{delete_own_in, insert_new, not_found};
use super::error::{Result, ServiceError};
use super::{Caller, Services};
use crate::domain::DmpId;
// Services take it as an input; it is a domain value (`domain::precondition`).
pub use crate::domain::precondition::Precondition;
use crate::domain::precondition::etag;
use crate::domain::time::now_millis;
use crate::madmp::{self, ExportCtx, Version};
use crate::store::dmps::{self, TimeKey};
use crate::store::records::DmpRecord;
use crate::store::{ReadTx, users};

/// How documents are served: the base URL of identifiers, whether it was configured
/// (`public_url`) or assumed from the request, the version to write, and the version of
/// an incoming body.
#[derive(Debug, Clone)]
pub struct Served {
    pub base_url: String,
    /// `false`: the base is assumed, and the document says so.
    pub configured: bool,
    pub version: Version,
    pub input: Version,
    /// Creates refuse a `dmp_id` that one of the caller's DMPs has (`AlreadyExists`):
    /// the RDA API's rule; `POST /dmps/import` does not ask for it.
    pub unique_dmp_id: bool,
}

impl Served {
    /// maDMP 1.3 in and out, with identifiers under an assumed base URL.
    pub fn assumed(base_url: &str) -> Self {
        Served {
            base_url: base_url.trim_end_matches('/').to_owned(),
            configured: false,
            version: Version::V1_3,
            input: Version::V1_3,
            unique_dmp_id: false,
        }
    }

    /// This DMP's URL: `{base}/rda/dmps/{id}`.
    pub fn dmp_url(&self, id: DmpId) -> String {
        format!("{}/rda/dmps/{id}", self.base_url)
    }
}

/// A DMP as a maDMP document, with what HTTP caching needs.
#[derive(Debug, Clone)]
pub struct MadmpDoc {
    pub id: DmpId,
    /// The whole document: `{"dmp": {...}}`.
    pub doc: Value,
    pub created: i64,
    pub modified: i64,
    pub version: u64,
    /// The DMP's URL on this server (`{base}/rda/dmps/{id}`).
    pub own_url: String,
}

impl MadmpDoc {
    /// An entity tag for the DMP's current state.
    pub fn etag(&self) -> String {
        etag(self.id, self.version)
    }
}

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
    fn filters_documents(&self) -> bool {
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

    fn range(&self, key: TimeKey) -> (i64, i64) {
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

/// The owner's name and e-mail address, for the plan's contact.
fn owner_of(tx: &impl ReadTx, owner: u64) -> Result<(String, Option<String>)> {
    Ok(users::get(tx, owner)?
        .map(|u| (u.username, u.email))
        .unwrap_or_default())
}

/// A username as one path segment of a URL (RFC 3986 unreserved characters kept).
fn path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn to_doc(
    id: DmpId,
    rec: &DmpRecord,
    owner: &(String, Option<String>),
    served: &Served,
) -> Result<MadmpDoc> {
    let url = served.dmp_url(id);
    let contact = format!("{}/users/{}", served.base_url, path_segment(&owner.0));
    let ctx = ExportCtx {
        dmp_url: &url,
        contact_url: &contact,
        assumed_base: (!served.configured).then_some(served.base_url.as_str()),
        owner_name: &owner.0,
        owner_email: owner.1.as_deref(),
        created: rec.created,
        modified: rec.updated,
    };
    let doc = madmp::export(&rec.doc, &ctx, served.version).map_err(ServiceError::from)?;
    Ok(MadmpDoc {
        id,
        doc,
        created: rec.created,
        modified: rec.updated,
        version: rec.version,
        own_url: url,
    })
}

impl Services {
    /// A DMP as a maDMP document of `served.version` (its owner, or an administrator).
    pub fn export_madmp(&self, caller: &Caller, id: &str, served: &Served) -> Result<MadmpDoc> {
        let id = DmpId::parse(id)?;
        self.store.read(|tx| {
            let rec = dmps::get(tx, id.bytes())?.ok_or_else(|| not_found(id))?;
            if rec.owner != caller.id.0 && !caller.admin {
                return Err(not_found(id));
            }
            to_doc(id, &rec, &owner_of(tx, rec.owner)?, served)
        })
    }

    /// One of the caller's own DMPs as a maDMP document (RDA API: owners only).
    pub fn get_own_madmp(&self, caller: &Caller, id: &str, served: &Served) -> Result<MadmpDoc> {
        let id = DmpId::parse(id).map_err(|_| not_found(id))?;
        self.store.read(|tx| {
            let rec = dmps::get(tx, id.bytes())?
                .filter(|r| r.owner == caller.id.0)
                .ok_or_else(|| not_found(id))?;
            to_doc(id, &rec, &owner_of(tx, rec.owner)?, served)
        })
    }

    /// Creates a DMP owned by the caller from a maDMP document (of `served.input`), kept
    /// whole. With `served.unique_dmp_id`, a document whose `dmp_id` is that of one of the
    /// caller's DMPs (an imported one's, or this server's URL of one) is refused:
    /// `AlreadyExists`.
    pub fn import_madmp(&self, caller: &Caller, doc: Value, served: &Served) -> Result<MadmpDoc> {
        let imported = madmp::import(doc, served.input).map_err(ServiceError::from)?;
        let dmp_id = served
            .unique_dmp_id
            .then_some(&imported.fields)
            .and_then(|f| f.get(madmp::STORED_KEY))
            .and_then(|d| d.pointer("/dmp/dmp_id/identifier"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let now = now_millis();
        let rec = DmpRecord {
            owner: caller.id.0,
            created: imported.created.map_or(now, |c| c.min(now)),
            updated: now,
            version: 1,
            doc: imported.fields,
        };
        self.store.write(|tx| {
            if let Some(wanted) = &dmp_id
                && let Some(other) = own_dmp_with_id(tx, caller.id.0, wanted, served)?
            {
                return Err(ServiceError::AlreadyExists(format!(
                    "a DMP with dmp_id {wanted:?} exists already: {other}; PUT /rda/dmps/{other} to change it"
                )));
            }
            let id = insert_new(tx, &rec)?;
            to_doc(id, &rec, &owner_of(tx, rec.owner)?, served)
        })
    }

    /// Overwrites one of the caller's DMPs with a maDMP document, if `pre` holds.
    pub fn replace_madmp(
        &self,
        caller: &Caller,
        id: &str,
        doc: Value,
        pre: &Precondition,
        served: &Served,
    ) -> Result<MadmpDoc> {
        let id = DmpId::parse(id).map_err(|_| not_found(id))?;
        let imported = madmp::import(doc, served.input).map_err(ServiceError::from)?;
        self.store.write(|tx| {
            let mut rec = dmps::get(tx, id.bytes())?
                .filter(|r| r.owner == caller.id.0)
                .ok_or_else(|| not_found(id))?;
            pre.check(id, rec.version, rec.updated)?;
            rec.doc = imported.fields.clone();
            rec.version += 1;
            rec.updated = now_millis().max(rec.updated);
            dmps::update(tx, id.bytes(), &rec)?;
            to_doc(id, &rec, &owner_of(tx, rec.owner)?, served)
        })
    }

    /// Deletes one of the caller's DMPs (with its tasks and documents), if `pre` holds.
    pub fn delete_own_dmp(&self, caller: &Caller, id: &str, pre: &Precondition) -> Result<()> {
        let id = DmpId::parse(id).map_err(|_| not_found(id))?;
        let disk = self.store.write(|tx| delete_own_in(tx, caller, id, pre))?;
        self.remove_disk_files(&disk);
        Ok(())
    }

    /// A page of the caller's DMPs as maDMP documents. Candidates come from the caller's
    /// time indexes (bounded by the created/modified ranges); when no filter needs the
    /// documents and the order is by a time, only the page's records are read.
    pub fn list_madmp(
        &self,
        caller: &Caller,
        q: &MadmpQuery,
        served: &Served,
    ) -> Result<MadmpPage> {
        let owner = caller.id.0;
        self.store.read(|tx| {
            let person = owner_of(tx, owner)?;
            let sort: Vec<(SortKey, bool)> = if q.sort.is_empty() {
                vec![(SortKey::Created, true)]
            } else {
                q.sort.clone()
            };
            let time_sort = match sort.as_slice() {
                [(SortKey::Created, desc)] => Some((TimeKey::Created, *desc)),
                [(SortKey::Modified, desc)] => Some((TimeKey::Modified, *desc)),
                _ => None,
            };
            if let Some((key, desc)) = time_sort.filter(|_| !q.filters_documents()) {
                let other_ranged = match key {
                    TimeKey::Created => q.modified_after.is_some() || q.modified_before.is_some(),
                    TimeKey::Modified => q.created_after.is_some() || q.created_before.is_some(),
                };
                if !other_ranged {
                    let (from, to) = q.range(key);
                    let mut ids = dmps::ids_by_time(tx, owner, key, from, to)?;
                    if desc {
                        ids.reverse();
                    }
                    let total = ids.len() as u64;
                    let mut items = Vec::new();
                    for (_, raw) in ids.into_iter().skip(q.offset).take(q.count) {
                        let id = DmpId::from_bytes(raw);
                        let rec = dmps::get(tx, raw)?.ok_or_else(|| {
                            ServiceError::Fault(format!("index points at missing DMP {id}"))
                        })?;
                        items.push(to_doc(id, &rec, &person, served)?);
                    }
                    return Ok(MadmpPage { total, items });
                }
            }

            // Narrow by one time range through its index, then read and filter documents.
            let key = if q.created_after.is_some() || q.created_before.is_some() {
                TimeKey::Created
            } else {
                TimeKey::Modified
            };
            let (from, to) = q.range(key);
            let mut docs = Vec::new();
            for (_, raw) in dmps::ids_by_time(tx, owner, key, from, to)? {
                let id = DmpId::from_bytes(raw);
                let rec = dmps::get(tx, raw)?.ok_or_else(|| {
                    ServiceError::Fault(format!("index points at missing DMP {id}"))
                })?;
                let (ma, mb) = q.range(TimeKey::Modified);
                let (ca, cb) = q.range(TimeKey::Created);
                if !(ma..=mb).contains(&rec.updated) || !(ca..=cb).contains(&rec.created) {
                    continue;
                }
                let doc = to_doc(id, &rec, &person, served)?;
                if matches(&doc, q) {
                    docs.push(doc);
                }
            }
            docs.sort_by(|a, b| compare(a, b, &sort));
            let total = docs.len() as u64;
            let items = docs.into_iter().skip(q.offset).take(q.count).collect();
            Ok(MadmpPage { total, items })
        })
    }
}

/// The caller's DMP whose `dmp_id` is `wanted`: one imported with that identifier, or
/// the one whose URL on this server it is. Reads the caller's DMPs only (their own index).
fn own_dmp_with_id(
    tx: &impl ReadTx,
    owner: u64,
    wanted: &str,
    served: &Served,
) -> Result<Option<DmpId>> {
    let wanted = wanted.trim();
    for (_, raw) in dmps::ids_by_time(tx, owner, TimeKey::Created, i64::MIN, i64::MAX)? {
        let id = DmpId::from_bytes(raw);
        if served.dmp_url(id) == wanted {
            return Ok(Some(id));
        }
        let Some(rec) = dmps::get(tx, raw)? else {
            continue;
        };
        let stored = rec
            .doc
            .get(madmp::STORED_KEY)
            .and_then(|d| d.pointer("/dmp/dmp_id/identifier"))
            .and_then(Value::as_str);
        if stored.is_some_and(|s| s.trim() == wanted) {
            return Ok(Some(id));
        }
    }
    Ok(None)
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

fn matches(d: &MadmpDoc, q: &MadmpQuery) -> bool {
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
fn compare(a: &MadmpDoc, b: &MadmpDoc, sort: &[(SortKey, bool)]) -> Ordering {
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

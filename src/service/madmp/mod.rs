//! DMPs as maDMP documents (1.3, or 1.2 on request): export, import, and the RDA Common maDMP API's reads and
//! writes (list with filters and sorting, overwrite with preconditions). Only the owner
//! sees or changes a DMP through these; another user's DMP is "not found".

use serde_json::Value;

mod query;

pub use query::{MadmpPage, MadmpQuery, SortKey};
use query::{compare, matches};

use super::access;
use super::dmps::{delete_own_in, insert_new, not_found};
use super::error::{Result, ServiceError};
use super::{Caller, Services};
use crate::domain::DmpId;
use crate::domain::Role;
use crate::store::revisions::Edit;
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
    /// A DMP the caller may read as a maDMP document of `served.version`.
    pub fn export_madmp(&self, caller: &Caller, id: &str, served: &Served) -> Result<MadmpDoc> {
        let id = DmpId::parse(id)?;
        self.store.read(|tx| {
            let (rec, _) = access::load(tx, caller, id, Role::Viewer)?;
            to_doc(id, &rec, &owner_of(tx, rec.owner)?, served)
        })
    }

    /// A DMP the caller may read as a maDMP document (RDA API; an id that is not a DMP id
    /// is "not found").
    pub fn get_own_madmp(&self, caller: &Caller, id: &str, served: &Served) -> Result<MadmpDoc> {
        let id = DmpId::parse(id).map_err(|_| not_found(id))?;
        self.store.read(|tx| {
            let (rec, _) = access::load(tx, caller, id, Role::Viewer)?;
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
            let id = insert_new(tx, &rec, &Edit::by(caller.id.0, "madmp-import"))?;
            to_doc(id, &rec, &owner_of(tx, rec.owner)?, served)
        })
    }

    /// Overwrites a DMP the caller may write with a maDMP document, if `pre` holds.
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
            let (mut rec, _) = access::load(tx, caller, id, Role::Editor)?;
            pre.check(id, rec.version, rec.updated)?;
            rec.doc = imported.fields.clone();
            rec.version += 1;
            rec.updated = now_millis().max(rec.updated);
            dmps::update(tx, id.bytes(), &rec, &Edit::by(caller.id.0, "rda"))?;
            to_doc(id, &rec, &owner_of(tx, rec.owner)?, served)
        })
    }

    /// Deletes a DMP the caller owns (with its tasks and documents), if `pre` holds.
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

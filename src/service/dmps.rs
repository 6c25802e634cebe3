//! DMPs: only the owner sees or changes one; administrators may read all. Another user's
//! DMP is "not found", never "forbidden", so ids do not leak.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::error::{Result, ServiceError};
use super::{Caller, Services, files};
use crate::domain::dmp::{check_answers, client_fields};
use crate::domain::time::now_millis;
use crate::domain::{DmpId, Precondition, UserId};
use crate::store::records::{DmpRecord, DmpRecordText};
use crate::store::tables::Oid;
use crate::store::{ReadTx, dmps, users};
use redb::WriteTransaction;

/// A DMP with its metadata, as the services hand it out.
#[derive(Debug, Clone)]
pub struct DmpView {
    pub id: DmpId,
    pub owner: UserId,
    pub owner_name: String,
    pub created: i64,
    pub updated: i64,
    pub version: u64,
    /// The questionnaire's fields as stored: a JSON object, left as text (the API writes it
    /// out as it is, without building it in memory).
    pub doc: Box<RawValue>,
}

/// A page of DMPs and the total number the listing covers.
pub struct DmpPage {
    pub items: Vec<DmpView>,
    pub total: u64,
}

pub(crate) fn not_found(id: impl std::fmt::Display) -> ServiceError {
    ServiceError::NotFound(format!("no DMP with id {id}"))
}

/// A record as handed out. The caller's own DMP needs no lookup of the owner's name.
fn view(tx: &impl ReadTx, caller: &Caller, id: DmpId, rec: DmpRecordText) -> Result<DmpView> {
    let owner_name = if rec.owner == caller.id.0 {
        caller.username.clone()
    } else {
        users::get(tx, rec.owner)?
            .map(|u| u.username)
            .unwrap_or_default()
    };
    Ok(DmpView {
        id,
        owner: UserId(rec.owner),
        owner_name,
        created: rec.created,
        updated: rec.updated,
        version: rec.version,
        doc: rec.doc,
    })
}

/// A new plan of the caller's, version 1.
fn new_record(caller: &Caller, doc: Map<String, Value>) -> DmpRecord {
    let now = now_millis();
    DmpRecord {
        owner: caller.id.0,
        created: now,
        updated: now,
        version: 1,
        doc,
    }
}

/// Stores a new DMP under a fresh id. A generated id cannot collide in practice; retry
/// rather than assume.
pub(crate) fn insert_new(tx: &WriteTransaction, rec: &DmpRecord) -> Result<DmpId> {
    for _ in 0..4 {
        let id = DmpId::generate();
        if dmps::insert(tx, id.bytes(), rec)? {
            return Ok(id);
        }
    }
    Err(ServiceError::fault("could not allocate a DMP id"))
}

/// Deletes one of the caller's DMPs, with its tasks and files, if `pre` holds; returns the
/// files to remove from disk once the transaction has committed.
pub(crate) fn delete_own_in(
    tx: &WriteTransaction,
    caller: &Caller,
    id: DmpId,
    pre: &Precondition,
) -> Result<Vec<String>> {
    let rec = dmps::get(tx, id.bytes())?
        .filter(|r| r.owner == caller.id.0)
        .ok_or_else(|| not_found(id))?;
    pre.check(id, rec.version, rec.updated)?;
    Ok(files::delete_dmp_in(tx, id.bytes())?.disk_names)
}

/// The write of `update_dmp`: merges `fields` into `owner`'s plan `id`; the new version.
fn update_in(
    tx: &WriteTransaction,
    owner: u64,
    id: DmpId,
    fields: &Map<String, Value>,
) -> Result<u64> {
    let mut rec = dmps::get(tx, id.bytes())?.ok_or_else(|| not_found(id))?;
    if rec.owner != owner {
        return Err(not_found(id));
    }
    rec.doc
        .extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
    rec.version += 1;
    rec.updated = now_millis().max(rec.updated);
    dmps::update(tx, id.bytes(), &rec)?;
    Ok(rec.version)
}

impl Services {
    /// Refuses a `template` field that names no template.
    fn check_template(&self, fields: &Map<String, Value>) -> Result<()> {
        match fields.get("template") {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(()),
            Some(Value::String(s)) => match self.templates().get(s.trim()) {
                Ok(_) => Ok(()),
                Err(e @ crate::render::template::TemplateError::Unknown { .. }) => {
                    Err(ServiceError::Invalid(e.to_string()))
                }
                Err(e) => Err(ServiceError::Template(e)),
            },
            Some(_) => Err(ServiceError::Invalid(
                "'template' must be the name of a template".into(),
            )),
        }
    }

    /// Creates a DMP owned by the caller from a JSON object. Server keys in it are ignored.
    pub fn create_dmp(&self, caller: &Caller, body: Value) -> Result<DmpId> {
        let doc = client_fields(body)?;
        check_answers(&doc)?;
        self.check_template(&doc)?;
        let rec = new_record(caller, doc);
        self.store.write(|tx| insert_new(tx, &rec))
    }

    /// `create_dmp` for asynchronous callers: the write goes to the writer thread, so the
    /// caller waits for its commit as a future, not on a thread of its own. Only a plan
    /// that names a template needs the blocking pool first (the check reads the templates
    /// folder).
    pub async fn create_dmp_queued(
        self: &std::sync::Arc<Self>,
        caller: &Caller,
        body: Value,
    ) -> Result<DmpId> {
        let mut doc = client_fields(body)?;
        check_answers(&doc)?;
        if doc.contains_key("template") {
            let services = std::sync::Arc::clone(self);
            doc = tokio::task::spawn_blocking(move || {
                services.check_template(&doc)?;
                Ok::<_, ServiceError>(doc)
            })
            .await
            .map_err(|source| ServiceError::Task {
                context: "a template check failed",
                source,
            })??;
        }
        let rec = new_record(caller, doc);
        self.writer.write(move |tx| insert_new(tx, &rec)).await
    }

    /// One DMP, if the caller owns it or is an administrator.
    pub fn get_dmp(&self, caller: &Caller, id: DmpId) -> Result<DmpView> {
        self.store.read(|tx| {
            let rec = dmps::get_text(tx, id.bytes())?.ok_or_else(|| not_found(id))?;
            if rec.owner != caller.id.0 && !caller.admin {
                return Err(not_found(id));
            }
            view(tx, caller, id, rec)
        })
    }

    /// The caller's DMPs, oldest first; with `all`, every user's (administrators only).
    pub fn list_dmps(
        &self,
        caller: &Caller,
        all: bool,
        offset: usize,
        limit: usize,
    ) -> Result<DmpPage> {
        let (ids, total) = self.list_dmp_ids(caller, all, offset, limit)?;
        let items = self.dmp_views(caller, &ids)?;
        Ok(DmpPage { items, total })
    }

    /// The ids of a page of `list_dmps`, and the total; `dmp_views` reads them (a page
    /// handed out a few at a time holds only its ids meanwhile).
    pub fn list_dmp_ids(
        &self,
        caller: &Caller,
        all: bool,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Oid>, u64)> {
        if all && !caller.admin {
            return Err(ServiceError::Forbidden(
                "only administrators may list every user's DMPs".into(),
            ));
        }
        self.store.read(|tx| {
            Ok(if all {
                dmps::page_all(tx, offset, limit)?
            } else {
                dmps::page_by_owner(tx, caller.id.0, offset, limit)?
            })
        })
    }

    /// The DMPs with these ids (from `list_dmp_ids`), in order; one deleted since it was
    /// listed is left out.
    pub fn dmp_views(&self, caller: &Caller, ids: &[Oid]) -> Result<Vec<DmpView>> {
        self.store.read(|tx| {
            let mut items = Vec::with_capacity(ids.len());
            for raw in ids {
                let id = DmpId::from_bytes(*raw);
                if let Some(rec) = dmps::get_text(tx, *raw)? {
                    items.push(view(tx, caller, id, rec)?);
                }
            }
            Ok(items)
        })
    }

    /// Merges the top-level keys of `patch` into the caller's DMP. Returns the new version.
    pub fn update_dmp(&self, caller: &Caller, id: DmpId, patch: Value) -> Result<u64> {
        let fields = client_fields(patch)?;
        check_answers(&fields)?;
        self.check_template(&fields)?;
        self.store
            .write(|tx| update_in(tx, caller.id.0, id, &fields))
    }

    /// `update_dmp` for asynchronous callers: the write goes to the writer thread (see
    /// `create_dmp_queued`, whose template rule it shares).
    pub async fn update_dmp_queued(
        self: &std::sync::Arc<Self>,
        caller: &Caller,
        id: DmpId,
        patch: Value,
    ) -> Result<u64> {
        let mut fields = client_fields(patch)?;
        check_answers(&fields)?;
        if fields.contains_key("template") {
            let services = std::sync::Arc::clone(self);
            fields = tokio::task::spawn_blocking(move || {
                services.check_template(&fields)?;
                Ok::<_, ServiceError>(fields)
            })
            .await
            .map_err(|source| ServiceError::Task {
                context: "a template check failed",
                source,
            })??;
        }
        let owner = caller.id.0;
        self.writer
            .write(move |tx| update_in(tx, owner, id, &fields))
            .await
    }

    /// Deletes the caller's DMP with its tasks and generated files.
    pub fn delete_dmp(&self, caller: &Caller, id: DmpId) -> Result<()> {
        let disk = self
            .store
            .write(|tx| delete_own_in(tx, caller, id, &Precondition::default()))?;
        self.remove_disk_files(&disk);
        Ok(())
    }
}

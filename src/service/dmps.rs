//! DMPs: the owner, administrators and the members a plan is shared with (see `access`)
//! see and change one, each as their role allows. Someone else's DMP is "not found", never
//! "forbidden", so ids do not leak.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::error::{Result, ServiceError};
use super::{Caller, Services, access, files};
use crate::domain::dmp::{check_answers, client_fields};
use crate::domain::time::now_millis;
use crate::domain::{DmpId, Grantee, Precondition, Role, UserId};
use crate::store::records::{DmpRecord, DmpRecordText};
use crate::store::revisions::{self, Edit};
use crate::store::tables::Oid;
use crate::store::{ReadTx, dmps, grants, projects, users};
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
    /// The caller's role, shown for a plan that is not their own (and in a listing of
    /// shared plans).
    pub role: Option<Role>,
    /// The questionnaire's fields as stored: a JSON object, left as text (the API writes it
    /// out as it is, without building it in memory).
    pub doc: Box<RawValue>,
}

/// A plan of a listing, with the caller's role when the listing shows it.
pub type ListedId = (Oid, Option<Role>);

/// A page of DMPs and the total number the listing covers.
pub struct DmpPage {
    pub items: Vec<DmpView>,
    pub total: u64,
}

pub(crate) fn not_found(id: impl std::fmt::Display) -> ServiceError {
    ServiceError::NotFound(format!("no DMP with id {id}"))
}

/// What a write of a plan's content answers: the revision it made and the one it replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revised {
    pub revision: u64,
    /// The revision the write replaced; none when it changed nothing (no revision made).
    pub replaced: Option<u64>,
}

/// A record as handed out. The caller's own DMP needs no lookup of the owner's name.
fn view(
    tx: &impl ReadTx,
    caller: &Caller,
    id: DmpId,
    rec: DmpRecordText,
    role: Option<Role>,
) -> Result<DmpView> {
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
        role,
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
pub(crate) fn insert_new(tx: &WriteTransaction, rec: &DmpRecord, edit: &Edit) -> Result<DmpId> {
    for _ in 0..4 {
        let id = DmpId::generate();
        if dmps::insert(tx, id.bytes(), rec, edit)? {
            return Ok(id);
        }
    }
    Err(ServiceError::fault("could not allocate a DMP id"))
}

/// Deletes a DMP the caller owns (or, as an administrator, any), with its tasks and files,
/// if `pre` holds; returns the files to remove from disk once the transaction has committed.
pub(crate) fn delete_own_in(
    tx: &WriteTransaction,
    caller: &Caller,
    id: DmpId,
    pre: &Precondition,
) -> Result<Vec<String>> {
    let (rec, _) = access::load(tx, caller, id, Role::Owner)?;
    pre.check(id, rec.version, rec.updated)?;
    Ok(files::delete_dmp_in(tx, id.bytes())?.disk_names)
}

/// `If-Match` on a write of plan `id`, now at `current`: when it names another revision,
/// the refusal says which is current and what changed since the one named.
pub(crate) fn check_revision(
    tx: &impl ReadTx,
    id: DmpId,
    current: &DmpRecord,
    pre: &Precondition,
) -> Result<()> {
    if pre.if_match.is_none() || pre.check(id, current.version, current.updated).is_ok() {
        return pre
            .check(id, current.version, current.updated)
            .map_err(Into::into);
    }
    let named = pre.named_version(id);
    let mut changed: Vec<String> = match named {
        Some(n) if n < current.version => revisions::between(tx, id.bytes(), n, current.version)?
            .into_iter()
            .flat_map(|(_, h)| h.changed)
            .collect(),
        _ => current.doc.keys().cloned().collect(),
    };
    changed.sort_unstable();
    changed.dedup();
    let said = named.map_or_else(
        || "an entity tag of another plan or state".to_owned(),
        |n| format!("revision {n}"),
    );
    Err(ServiceError::Outdated {
        message: format!(
            "DMP {id} has changed: If-Match names {said}, the current revision is {}; nothing was written",
            current.version
        ),
        revision: current.version,
        changed,
    })
}

/// The write of `update_dmp`: merges `fields` into plan `id` if the caller may write it and
/// `pre` holds.
fn update_in(
    tx: &WriteTransaction,
    caller: &Caller,
    id: DmpId,
    fields: &Map<String, Value>,
    pre: &Precondition,
) -> Result<Revised> {
    let (mut rec, _) = access::load(tx, caller, id, Role::Editor)?;
    check_revision(tx, id, &rec, pre)?;
    let replaced = rec.version;
    if fields.iter().all(|(k, v)| rec.doc.get(k) == Some(v)) {
        // Nothing changes (an autosave of what is stored): no new revision, same version.
        return Ok(Revised {
            revision: rec.version,
            replaced: None,
        });
    }
    rec.doc
        .extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
    rec.version += 1;
    rec.updated = now_millis().max(rec.updated);
    dmps::update(tx, id.bytes(), &rec, &Edit::by(caller.id.0, "api"))?;
    Ok(Revised {
        revision: rec.version,
        replaced: Some(replaced),
    })
}

/// The plans shared with `user` (by name or through a project), best role each, by id;
/// their own plans are left out.
pub(super) fn shared_with(tx: &impl ReadTx, user: u64) -> Result<Vec<(Oid, Role)>> {
    let mut best = std::collections::BTreeMap::<Oid, Role>::new();
    let mut take = |held: Vec<(Oid, Role)>| {
        for (dmp, role) in held {
            let slot = best.entry(dmp).or_insert(role);
            *slot = (*slot).max(role);
        }
    };
    take(grants::of_grantee(tx, Grantee::User(user))?);
    for p in projects::projects_of(tx, user)? {
        take(grants::of_grantee(tx, Grantee::Project(p))?);
    }
    let mut out = Vec::with_capacity(best.len());
    for (dmp, role) in best {
        if dmps::owner_of(tx, dmp)?.is_some_and(|o| o != user) {
            out.push((dmp, role));
        }
    }
    Ok(out)
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
        let edit = Edit::by(caller.id.0, "api");
        self.store.write(|tx| insert_new(tx, &rec, &edit))
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
        let edit = Edit::by(caller.id.0, "api");
        self.writer
            .write(move |tx| insert_new(tx, &rec, &edit))
            .await
    }

    /// One DMP the caller may read.
    pub fn get_dmp(&self, caller: &Caller, id: DmpId) -> Result<DmpView> {
        self.store.read(|tx| {
            let (rec, role) = access::load_text(tx, caller, id, Role::Viewer)?;
            let shown = (rec.owner != caller.id.0).then_some(role);
            view(tx, caller, id, rec, shown)
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
        let (ids, total) = self.list_dmp_ids(caller, all, false, offset, limit)?;
        let items = self.dmp_views(caller, &ids)?;
        Ok(DmpPage { items, total })
    }

    /// The ids of a page of `list_dmps`, and the total; `dmp_views` reads them (a page
    /// handed out a few at a time holds only its ids meanwhile). With `shared`, the plans
    /// shared with the caller follow their own, each with the caller's role.
    pub fn list_dmp_ids(
        &self,
        caller: &Caller,
        all: bool,
        shared: bool,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<ListedId>, u64)> {
        if all && !caller.admin {
            return Err(ServiceError::Forbidden(
                "only administrators may list every user's DMPs".into(),
            ));
        }
        self.store.read(|tx| {
            let plain = |(ids, total): (Vec<Oid>, u64)| {
                (ids.into_iter().map(|id| (id, None)).collect(), total)
            };
            if all {
                return Ok(plain(dmps::page_all(tx, offset, limit)?));
            }
            if !shared {
                return Ok(plain(dmps::page_by_owner(tx, caller.id.0, offset, limit)?));
            }
            let (own, own_total) = dmps::page_by_owner(tx, caller.id.0, offset, limit)?;
            let others = shared_with(tx, caller.id.0)?;
            let total = own_total + others.len() as u64;
            let skip = offset.saturating_sub(usize::try_from(own_total).unwrap_or(usize::MAX));
            let mut page: Vec<ListedId> =
                own.into_iter().map(|id| (id, Some(Role::Owner))).collect();
            let room = limit.saturating_sub(page.len());
            page.extend(
                others
                    .into_iter()
                    .skip(skip)
                    .take(room)
                    .map(|(id, r)| (id, Some(r))),
            );
            Ok((page, total))
        })
    }

    /// The DMPs with these ids (from `list_dmp_ids`), in order; one deleted since it was
    /// listed is left out.
    pub fn dmp_views(&self, caller: &Caller, ids: &[(Oid, Option<Role>)]) -> Result<Vec<DmpView>> {
        self.store.read(|tx| {
            let mut items = Vec::with_capacity(ids.len());
            for (raw, role) in ids {
                let id = DmpId::from_bytes(*raw);
                if let Some(rec) = dmps::get_text(tx, *raw)? {
                    items.push(view(tx, caller, id, rec, *role)?);
                }
            }
            Ok(items)
        })
    }

    /// Merges the top-level keys of `patch` into a DMP the caller may write, if `pre`
    /// holds. Returns the revision made and the one replaced.
    pub fn update_dmp(
        &self,
        caller: &Caller,
        id: DmpId,
        patch: Value,
        pre: &Precondition,
    ) -> Result<Revised> {
        let fields = client_fields(patch)?;
        check_answers(&fields)?;
        self.check_template(&fields)?;
        self.store
            .write(|tx| update_in(tx, caller, id, &fields, pre))
    }

    /// `update_dmp` for asynchronous callers: the write goes to the writer thread (see
    /// `create_dmp_queued`, whose template rule it shares).
    pub async fn update_dmp_queued(
        self: &std::sync::Arc<Self>,
        caller: &Caller,
        id: DmpId,
        patch: Value,
        pre: Precondition,
    ) -> Result<Revised> {
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
        let caller = caller.clone();
        self.writer
            .write(move |tx| update_in(tx, &caller, id, &fields, &pre))
            .await
    }

    /// Deletes a DMP the caller owns with its tasks, generated files, history, grants and
    /// comments.
    pub fn delete_dmp(&self, caller: &Caller, id: DmpId) -> Result<()> {
        let disk = self
            .store
            .write(|tx| delete_own_in(tx, caller, id, &Precondition::default()))?;
        self.remove_disk_files(&disk);
        Ok(())
    }
}

//! A plan's history: every revision kept, read back, compared and restored. A restore makes
//! a new revision; history is never rewritten.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::dmps::{Revised, check_revision};
use super::error::{Result, ServiceError};
use super::{Caller, Services, access};
use crate::domain::diff::{self, Change};
use crate::domain::time::now_millis;
use crate::domain::{DmpId, Precondition, Role};
use crate::store::revisions::{self, Edit, RevisionRecord};
use crate::store::{ReadTx, dmps, users};

/// One revision's summary.
#[derive(Debug, Clone)]
pub struct RevisionView {
    pub number: u64,
    pub time: i64,
    /// The author's username ("administrator" for the command line, "" once deleted).
    pub author: String,
    pub via: String,
    pub changed: Vec<String>,
    pub replaced: Option<u64>,
    pub restored_from: Option<u64>,
    pub size: u64,
}

/// Usernames by id, looked up once each.
pub(crate) struct Names(HashMap<u64, String>);

impl Names {
    pub(crate) fn new() -> Self {
        Self(HashMap::new())
    }

    pub(crate) fn of(&mut self, tx: &impl ReadTx, id: u64) -> Result<String> {
        if id == 0 {
            return Ok("administrator".into());
        }
        if let Some(n) = self.0.get(&id) {
            return Ok(n.clone());
        }
        let name = users::get(tx, id)?.map(|u| u.username).unwrap_or_default();
        self.0.insert(id, name.clone());
        Ok(name)
    }
}

fn view(
    tx: &impl ReadTx,
    names: &mut Names,
    number: u64,
    h: RevisionRecord,
) -> Result<RevisionView> {
    Ok(RevisionView {
        number,
        time: h.time,
        author: names.of(tx, h.author)?,
        via: h.via,
        changed: h.changed,
        replaced: h.replaced,
        restored_from: h.restored_from,
        size: h.size,
    })
}

fn no_revision(id: DmpId, n: u64) -> ServiceError {
    ServiceError::NotFound(format!("DMP {id} has no revision {n}"))
}

/// Revision `n`'s document (the plan's current one when `n` is its version).
fn document_at(tx: &impl ReadTx, id: DmpId, n: u64) -> Result<Map<String, Value>> {
    revisions::document(tx, id.bytes(), n)?.ok_or_else(|| no_revision(id, n))
}

/// A comparison of two revisions.
#[derive(Debug, Clone)]
pub struct RevisionDiff {
    pub from: u64,
    pub to: u64,
    pub changes: Vec<Change>,
}

impl Services {
    /// A page of a plan's revisions, newest first, and how many there are (viewers and up).
    pub fn list_revisions(
        &self,
        caller: &Caller,
        id: DmpId,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<RevisionView>, u64)> {
        self.store.read(|tx| {
            access::check(tx, caller, id, Role::Viewer)?;
            let (page, total) = revisions::page(tx, id.bytes(), offset, limit)?;
            let mut names = Names::new();
            let items = page
                .into_iter()
                .map(|(n, h)| view(tx, &mut names, n, h))
                .collect::<Result<_>>()?;
            Ok((items, total))
        })
    }

    /// One revision with its document.
    pub fn get_revision(
        &self,
        caller: &Caller,
        id: DmpId,
        n: u64,
    ) -> Result<(RevisionView, Map<String, Value>)> {
        self.store.read(|tx| {
            access::check(tx, caller, id, Role::Viewer)?;
            let h = revisions::header(tx, id.bytes(), n)?.ok_or_else(|| no_revision(id, n))?;
            let doc = document_at(tx, id, n)?;
            Ok((view(tx, &mut Names::new(), n, h)?, doc))
        })
    }

    /// What changed from revision `from` to revision `to` (either order).
    pub fn diff_revisions(
        &self,
        caller: &Caller,
        id: DmpId,
        from: u64,
        to: u64,
    ) -> Result<RevisionDiff> {
        let (old, new) = self.store.read(|tx| {
            access::check(tx, caller, id, Role::Viewer)?;
            Ok::<_, ServiceError>((document_at(tx, id, from)?, document_at(tx, id, to)?))
        })?;
        Ok(RevisionDiff {
            from,
            to,
            changes: diff::diff(&old, &new),
        })
    }

    /// Makes revision `n`'s document the plan's current one, as a new revision (editors and
    /// up), if `pre` holds.
    pub fn restore_revision(
        &self,
        caller: &Caller,
        id: DmpId,
        n: u64,
        pre: &Precondition,
    ) -> Result<Revised> {
        self.store.write(|tx| {
            let (mut rec, _) = access::load(tx, caller, id, Role::Editor)?;
            check_revision(tx, id, &rec, pre)?;
            let doc = document_at(tx, id, n)?;
            let replaced = rec.version;
            rec.doc = doc;
            rec.version += 1;
            rec.updated = now_millis().max(rec.updated);
            let edit = Edit {
                author: caller.id.0,
                via: "restore",
                restored_from: Some(n),
            };
            dmps::update(tx, id.bytes(), &rec, &edit)?;
            Ok(Revised {
                revision: rec.version,
                replaced: Some(replaced),
            })
        })
    }
}

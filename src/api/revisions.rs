//! `/dmps/{id}/revisions`, `/dmps/{id}/diff`: a plan's history, compared and restored.

use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde_json::Value;

use super::ApiState;
use super::dmps::DmpChanged;
use super::error::ApiError;
use super::scalars::HexId;
use super::security::Authed;
use crate::domain::diff::{Change, Op, RunOp};
use crate::domain::time::iso8601;
use crate::domain::{DmpId, Precondition, precondition::etag};
use crate::service::ServiceError;
use crate::service::revisions::RevisionView;

#[derive(Tags)]
enum RevisionTags {
    /// Every revision of a plan, compared and restored.
    Revisions,
}

/// One revision of a plan.
#[derive(Object)]
pub struct Revision {
    /// The revision's number: the plan's `_version` then.
    pub number: u64,
    /// When it was made (ISO-8601, UTC).
    pub time: String,
    /// Who made it (`administrator` for the command line).
    pub author: String,
    /// Through what: `api`, `rda`, `madmp-import`, `restore`, `admin-import`,
    /// `legacy-import`, `upgrade` (the plan's state when history began to be kept).
    pub via: String,
    /// What differs from the revision before: top-level keys, `answers/<question id>`.
    pub changed: Vec<String>,
    /// The revision it followed.
    #[oai(skip_serializing_if_is_none)]
    pub replaced: Option<u64>,
    /// For a restore: the revision brought back.
    #[oai(skip_serializing_if_is_none)]
    pub restored_from: Option<u64>,
    /// Bytes of the plan's JSON.
    pub size: u64,
}

impl From<RevisionView> for Revision {
    fn from(v: RevisionView) -> Self {
        Revision {
            number: v.number,
            time: iso8601(v.time),
            author: v.author,
            via: v.via,
            changed: v.changed,
            replaced: v.replaced,
            restored_from: v.restored_from,
            size: v.size,
        }
    }
}

/// One revision with the plan as it was.
#[derive(Object)]
pub struct RevisionWithDocument {
    #[oai(flatten)]
    pub revision: Revision,
    /// The plan's fields at that revision (as stored: without the server's keys).
    pub document: Value,
}

/// A run of words in a text diff.
#[derive(Object)]
pub struct WordRun {
    /// `same`, `inserted` or `deleted`.
    pub op: String,
    pub text: String,
}

/// One difference between two revisions.
#[derive(Object)]
pub struct DiffChange {
    /// JSON pointer (RFC 6901): into the newer revision for `added` and `changed`, the
    /// older for `removed`.
    pub pointer: String,
    /// `added`, `removed` or `changed`.
    pub op: String,
    #[oai(skip_serializing_if_is_none)]
    pub old: Option<Value>,
    #[oai(skip_serializing_if_is_none)]
    pub new: Option<Value>,
    /// For a changed text: its words, kept, inserted and deleted, in order.
    #[oai(skip_serializing_if_is_none)]
    pub words: Option<Vec<WordRun>>,
}

impl From<Change> for DiffChange {
    fn from(c: Change) -> Self {
        let op = match c.op {
            Op::Added => "added",
            Op::Removed => "removed",
            Op::Changed => "changed",
        };
        DiffChange {
            pointer: c.pointer,
            op: op.into(),
            old: c.old,
            new: c.new,
            words: c.words.map(|runs| {
                runs.into_iter()
                    .map(|r| WordRun {
                        op: match r.op {
                            RunOp::Same => "same",
                            RunOp::Inserted => "inserted",
                            RunOp::Deleted => "deleted",
                        }
                        .into(),
                        text: r.text,
                    })
                    .collect()
            }),
        }
    }
}

/// What changed from one revision to another.
#[derive(Object)]
pub struct RevisionDiff {
    pub from: u64,
    pub to: u64,
    pub changes: Vec<DiffChange>,
}

#[derive(ApiResponse)]
pub enum RevisionList {
    /// The revisions, newest first. `X-Total-Count` gives how many the plan has.
    #[oai(status = 200)]
    Ok(Json<Vec<Revision>>, #[oai(header = "X-Total-Count")] u64),
}

#[derive(ApiResponse)]
pub enum Restored {
    /// Restored as a new revision; `ETag` names it.
    #[oai(status = 200)]
    Ok(Json<DmpChanged>, #[oai(header = "ETag")] String),
}

fn dmp(id: &HexId) -> Result<DmpId, ApiError> {
    Ok(DmpId::parse(&id.0).map_err(ServiceError::from)?)
}

pub struct RevisionsApi;

#[OpenApi(tag = "RevisionTags::Revisions")]
impl RevisionsApi {
    /// The plan's revisions, newest first (any member). Every change of its content made
    /// one, in the same transaction as the change.
    #[oai(
        path = "/dmps/:id/revisions",
        method = "get",
        operation_id = "listRevisions"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        /// How many to skip.
        #[oai(
            default,
            validator(minimum(value = "0"), maximum(value = "1000000000"))
        )]
        offset: Query<u64>,
        /// How many at most (the maximum page size when absent).
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
        limit: Query<Option<u64>>,
    ) -> Result<RevisionList, ApiError> {
        let id = dmp(&id.0)?;
        let offset = usize::try_from(offset.0).unwrap_or(usize::MAX);
        let limit = super::page_limit(limit.0, state.max_page);
        let (items, total) = state
            .run(move |s| s.list_revisions(&auth.0, id, offset, limit))
            .await?;
        Ok(RevisionList::Ok(
            Json(items.into_iter().map(Into::into).collect()),
            total,
        ))
    }

    /// One revision with the plan as it was then (any member).
    #[oai(
        path = "/dmps/:id/revisions/:n",
        method = "get",
        operation_id = "getRevision"
    )]
    async fn get(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        /// The revision's number.
        #[oai(validator(minimum(value = "1"), maximum(value = "1000000000000")))]
        n: Path<u64>,
    ) -> Result<Json<RevisionWithDocument>, ApiError> {
        let id = dmp(&id.0)?;
        let n = n.0;
        let (rev, doc) = state.run(move |s| s.get_revision(&auth.0, id, n)).await?;
        Ok(Json(RevisionWithDocument {
            revision: rev.into(),
            document: Value::Object(doc),
        }))
    }

    /// What changed from revision `from` to revision `to` (any member): values added,
    /// removed and changed by JSON pointer; datasets, contributors and costs matched by
    /// their identifiers rather than their positions; texts compared word by word.
    #[oai(
        path = "/dmps/:id/diff",
        method = "get",
        operation_id = "diffRevisions"
    )]
    async fn diff(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        /// The older revision.
        #[oai(validator(minimum(value = "1"), maximum(value = "1000000000000")))]
        from: Query<u64>,
        /// The newer revision.
        #[oai(validator(minimum(value = "1"), maximum(value = "1000000000000")))]
        to: Query<u64>,
    ) -> Result<Json<RevisionDiff>, ApiError> {
        let id = dmp(&id.0)?;
        let (from, to) = (from.0, to.0);
        let d = state
            .run(move |s| s.diff_revisions(&auth.0, id, from, to))
            .await?;
        Ok(Json(RevisionDiff {
            from: d.from,
            to: d.to,
            changes: d.changes.into_iter().map(Into::into).collect(),
        }))
    }

    /// Make revision `n` the plan's content again (editors and the owner), as a new
    /// revision: history is never rewritten. `If-Match` works as for `PUT /dmps/{id}`.
    #[oai(
        path = "/dmps/:id/revisions/:n/restore",
        method = "post",
        operation_id = "restoreRevision"
    )]
    async fn restore(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        /// The revision to bring back.
        #[oai(validator(minimum(value = "1"), maximum(value = "1000000000000")))]
        n: Path<u64>,
        /// `ETag`s of an earlier read; the restore is made only if one is current.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> Result<Restored, ApiError> {
        let id = dmp(&id.0)?;
        let n = n.0;
        let pre = Precondition::from_if_match(if_match.0);
        let done = state
            .run(move |s| s.restore_revision(&auth.0, id, n, &pre))
            .await?;
        Ok(Restored::Ok(
            Json(DmpChanged {
                id: id.to_string(),
                ok: true,
                msg: format!("revision {n} restored as revision {}", done.revision),
                revision: Some(done.revision),
                replaced: done.replaced,
            }),
            etag(id, done.revision),
        ))
    }
}

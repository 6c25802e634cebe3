//! Document tasks: created for one of the caller's DMPs, listed newest first. A worker
//! (see `worker/`) moves them from pending to done or error.

use super::error::{Result, ServiceError};
use super::{Caller, Services, access};
use crate::domain::time::now_millis;
use crate::domain::{DmpId, Role, TaskId, TaskStatus, UserId};
use crate::store::events::{self, EventRecord};
use crate::store::records::{DmpRecord, TaskInput, TaskRecord};
use crate::store::{dmps, revisions, tasks, users};
use redb::WriteTransaction;

#[derive(Debug, Clone)]
pub struct TaskView {
    pub id: TaskId,
    pub dmp: String,
    pub owner: UserId,
    pub status: TaskStatus,
    pub created: i64,
    pub updated: i64,
    pub dmp_version: u64,
    pub docx: Option<String>,
    pub pdf: Option<String>,
    pub error: Option<String>,
    /// The newer task whose documents replaced this one's (see `complete_task_with_documents`).
    pub superseded_by: Option<String>,
    /// What the render could not do as written (see `TaskRecord::warnings`).
    pub warnings: Vec<String>,
}

impl TaskView {
    fn new(id: TaskId, r: TaskRecord) -> Self {
        Self {
            id,
            dmp: r.dmp,
            owner: UserId(r.owner),
            status: r.status,
            created: r.created,
            updated: r.updated,
            dmp_version: r.dmp_version,
            docx: r.docx,
            pdf: r.pdf,
            error: r.error,
            superseded_by: r.superseded_by,
            warnings: r.warnings,
        }
    }
}

/// A task taken by the worker, with the DMP snapshot it renders (`None`: the DMP is gone).
#[derive(Debug)]
pub struct ClaimedTask {
    pub id: TaskId,
    pub dmp: String,
    pub input: Option<TaskInput>,
}

/// What a task renders: the DMP as it is now, with its owner's name.
fn snapshot(tx: &impl crate::store::ReadTx, dmp: DmpRecord) -> Result<TaskInput> {
    Ok(TaskInput {
        owner_name: users::get(tx, dmp.owner)?
            .map(|u| u.username)
            .unwrap_or_default(),
        version: dmp.version,
        doc: dmp.doc,
    })
}

/// Which of the caller's tasks `list_tasks` answers with.
#[derive(Debug, Clone, Copy)]
pub struct TaskFilter {
    /// Only tasks of this DMP.
    pub dmp: Option<DmpId>,
    /// Only tasks with this status.
    pub status: Option<TaskStatus>,
    /// At most this many (newest first).
    pub limit: usize,
}

impl TaskFilter {
    /// Every task of the caller's, up to `limit`.
    pub fn all(limit: usize) -> Self {
        Self {
            dmp: None,
            status: None,
            limit,
        }
    }
}

/// What a refused task request suggests waiting, in seconds: about one render.
const RETRY_AFTER_SECS: u64 = 5;

/// Whether the caller may read the plan with this id (24 hex characters; false for
/// anything else, or a plan that is gone).
pub(crate) fn may_read_plan(
    tx: &impl crate::store::ReadTx,
    caller: &Caller,
    dmp: &str,
) -> Result<bool> {
    let Ok(id) = DmpId::parse(dmp) else {
        return Ok(caller.admin);
    };
    let Some(owner) = dmps::owner_of(tx, id.bytes())? else {
        return Ok(caller.admin);
    };
    Ok(access::role_on(tx, caller, id.bytes(), owner)?.is_some())
}

fn not_found(id: impl std::fmt::Display) -> ServiceError {
    ServiceError::NotFound(format!("no task with id {id}"))
}

/// The write of `create_task`: a pending task of the caller's for plan `dmp` (which they
/// may read) as it is, or as it was at `revision`, if fewer than `cap` of theirs are waiting.
fn create_task_in(
    tx: &WriteTransaction,
    caller: &Caller,
    dmp: DmpId,
    revision: Option<u64>,
    cap: usize,
) -> Result<TaskId> {
    let (mut rec, _) = access::load(tx, caller, dmp, Role::Viewer)?;
    if let Some(n) = revision.filter(|n| *n != rec.version) {
        rec.doc = revisions::document(tx, dmp.bytes(), n)?
            .ok_or_else(|| ServiceError::NotFound(format!("DMP {dmp} has no revision {n}")))?;
        rec.version = n;
    }
    let owner = caller.id.0;
    let waiting = tasks::waiting_of_owner(tx, owner)?;
    if waiting >= cap {
        return Err(ServiceError::Limited {
            message: format!(
                "you already have {waiting} document task(s) waiting (at most {cap}); try again when they are done"
            ),
            retry_after: RETRY_AFTER_SECS,
        });
    }
    let now = now_millis();
    let task = TaskRecord {
        dmp: dmp.to_string(),
        owner,
        status: TaskStatus::Pending,
        created: now,
        updated: now,
        dmp_version: rec.version,
        docx: None,
        pdf: None,
        error: None,
        superseded_by: None,
        warnings: Vec::new(),
    };
    let input = snapshot(tx, rec)?;
    for _ in 0..4 {
        let id = TaskId::generate();
        if tasks::insert(tx, id.bytes(), &task)? {
            tasks::put_input(tx, id.bytes(), &input)?;
            let detail = serde_json::json!({ "task": id.to_string(), "revision": input.version });
            events::append(
                tx,
                dmp.bytes(),
                &EventRecord {
                    time: now,
                    actor: owner,
                    kind: "documents".into(),
                    detail,
                },
            )?;
            return Ok(id);
        }
    }
    Err(ServiceError::fault("could not allocate a task id"))
}

impl Services {
    /// Creates a pending task for a DMP the caller may read (as it is, or at `revision`). A
    /// user may have `max_pending_tasks` tasks waiting (pending or running) at once; beyond
    /// that the request is refused (`Limited`, HTTP 429).
    pub fn create_task(
        &self,
        caller: &Caller,
        dmp: DmpId,
        revision: Option<u64>,
    ) -> Result<TaskId> {
        let cap = self.settings.max_pending_tasks;
        self.store
            .write(|tx| create_task_in(tx, caller, dmp, revision, cap))
            .inspect(|_| self.wakeup.notify_one())
    }

    /// `create_task` for asynchronous callers: the write goes to the writer thread, and the
    /// caller waits for its commit as a future, not on a thread of its own.
    pub async fn create_task_queued(
        &self,
        caller: &Caller,
        dmp: DmpId,
        revision: Option<u64>,
    ) -> Result<TaskId> {
        let (caller, cap) = (caller.clone(), self.settings.max_pending_tasks);
        self.writer
            .write(move |tx| create_task_in(tx, &caller, dmp, revision, cap))
            .await
            .inspect(|_| self.wakeup.notify_one())
    }

    /// Takes the oldest pending task and marks it running; with it comes what it renders.
    /// A task without its snapshot (imported) renders the DMP as it is now.
    pub fn claim_next_task(&self) -> Result<Option<ClaimedTask>> {
        self.store.write(|tx| {
            let Some(raw) = tasks::ids_by_status(tx, TaskStatus::Pending, 1)?
                .into_iter()
                .next()
            else {
                return Ok(None);
            };
            let id = TaskId::from_bytes(raw);
            let mut rec = tasks::get(tx, raw)?.ok_or_else(|| {
                ServiceError::Fault(format!("status index names missing task {id}"))
            })?;
            rec.status = TaskStatus::Running;
            rec.updated = now_millis().max(rec.updated);
            tasks::update(tx, raw, &rec)?;
            let input = match tasks::get_input(tx, raw)? {
                Some(input) => Some(input),
                None => match DmpId::parse(&rec.dmp)
                    .ok()
                    .map(|d| dmps::get(tx, d.bytes()))
                    .transpose()?
                    .flatten()
                {
                    Some(d) => Some(snapshot(tx, d)?),
                    None => None,
                },
            };
            Ok(Some(ClaimedTask {
                id,
                dmp: rec.dmp,
                input,
            }))
        })
    }

    /// Marks a task failed with a message for its owner.
    pub fn fail_task(&self, id: TaskId, message: &str) -> Result<()> {
        self.store.write(|tx| {
            let Some(mut rec) = tasks::get(tx, id.bytes())? else {
                return Ok(());
            };
            rec.status = TaskStatus::Error;
            rec.error = Some(message.to_owned());
            rec.updated = now_millis().max(rec.updated);
            tasks::update(tx, id.bytes(), &rec)?;
            tasks::delete_input(tx, id.bytes())?;
            Ok(())
        })
    }

    /// Puts tasks left running (by a crash or a stop) back in the queue. Returns how many.
    pub fn requeue_running_tasks(&self) -> Result<usize> {
        self.store.write(|tx| {
            let ids = tasks::ids_by_status(tx, TaskStatus::Running, usize::MAX)?;
            for raw in &ids {
                if let Some(mut rec) = tasks::get(tx, *raw)? {
                    rec.status = TaskStatus::Pending;
                    tasks::update(tx, *raw, &rec)?;
                }
            }
            Ok(ids.len())
        })
    }

    /// One task, if the caller made it, may read its plan, or is an administrator.
    pub fn get_task(&self, caller: &Caller, id: TaskId) -> Result<TaskView> {
        self.store.read(|tx| {
            let rec = tasks::get(tx, id.bytes())?.ok_or_else(|| not_found(id))?;
            if rec.owner != caller.id.0 && !may_read_plan(tx, caller, &rec.dmp)? {
                return Err(not_found(id));
            }
            Ok(TaskView::new(id, rec))
        })
    }

    /// A plan's latest documents: its newest finished task, whoever asked for it (every
    /// member may read them), for a caller who may read the plan.
    pub fn latest_documents(&self, caller: &Caller, dmp: DmpId) -> Result<Option<TaskView>> {
        self.store.read(|tx| {
            super::access::check(tx, caller, dmp, crate::domain::Role::Viewer)?;
            Ok(tasks::latest_done(tx, dmp.bytes())?
                .map(|(id, rec)| TaskView::new(TaskId::from_bytes(id), rec)))
        })
    }

    /// The caller's tasks, newest first, as `filter` selects. Tasks of another user's DMP
    /// are never listed.
    pub fn list_tasks(&self, caller: &Caller, filter: &TaskFilter) -> Result<Vec<TaskView>> {
        let TaskFilter { dmp, status, limit } = *filter;
        self.store.read(|tx| {
            let ids = match dmp {
                Some(d) => tasks::ids_by_dmp(tx, d.bytes())?,
                None => tasks::ids_by_owner(tx, caller.id.0)?,
            };
            let mut out = Vec::new();
            for raw in ids {
                if out.len() >= limit {
                    break;
                }
                let Some(rec) = tasks::get(tx, raw)? else {
                    continue;
                };
                if rec.owner != caller.id.0 || status.is_some_and(|s| s != rec.status) {
                    continue;
                }
                out.push(TaskView::new(TaskId::from_bytes(raw), rec));
            }
            Ok(out)
        })
    }
}

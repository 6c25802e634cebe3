//! The document worker: turns pending tasks into DOCX and PDF files, in-process.
//!
//! `POST /tasks` wakes it at once (no polling). It claims the oldest pending task (marked
//! running), renders the DMP snapshot the task recorded, writes both files durably and only
//! then marks the task done. Any failure (an unknown template, a render that panics, a disk
//! that is full) marks that one task `error` with a message for its owner, and the worker
//! goes on with the next. At most `concurrency` renders run at once; the queue itself is the
//! database, so a burst of tasks costs no memory. Tasks left running by a crash are put back
//! in the queue at start-up.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::domain::TaskId;
use crate::render::template::{DEFAULT_TEMPLATE, TemplateError};
use crate::render::{DocModel, RenderError, RenderInput, Rendered};
use crate::service::tasks::ClaimedTask;
use crate::service::{ServiceError, Services};

/// What happened to one claimed task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Marked `error` with this message.
    Failed(String),
    /// The task vanished meanwhile (its DMP was deleted).
    Gone,
}

/// Why a task's documents could not be made. The Display is the message for the task's
/// owner (stored in the task's `error`); the cause, when there is one, is its `source`.
#[derive(Debug, thiserror::Error)]
pub enum TaskFailure {
    #[error("the DMP was deleted before its document could be made")]
    DmpDeleted,
    #[error("the DMP's 'template' field must be the name of a template")]
    TemplateNotAName,
    /// The template is unknown or unusable (the message names it).
    #[error("{0}")]
    Template(#[source] TemplateError),
    /// The render took longer than `render_limit`.
    #[error("{0}")]
    TimeLimit(#[source] RenderError),
    #[error("the document could not be rendered: {0}")]
    Render(#[source] RenderError),
    /// The render step panicked (logged; the owner is told no more).
    #[error(
        "the document could not be rendered because of an internal error (details are in the server log)"
    )]
    Panicked,
}

/// How a claimed task becomes documents.
pub type RenderFn = dyn Fn(&Services, &ClaimedTask) -> Result<Rendered, TaskFailure> + Sync;

/// One step: claims the oldest pending task and handles it. `None` when the queue is
/// empty. Tests drive the worker with this instead of sleeping.
pub fn try_execute_task(services: &Services) -> Result<Option<(TaskId, Outcome)>, ServiceError> {
    try_execute_task_with(services, &render)
}

/// `try_execute_task` with another render step (tests use it to make one fail or panic).
pub fn try_execute_task_with(
    services: &Services,
    render_fn: &RenderFn,
) -> Result<Option<(TaskId, Outcome)>, ServiceError> {
    let Some(claimed) = services.claim_next_task()? else {
        return Ok(None);
    };
    let id = claimed.id;
    Ok(Some((id, execute(services, claimed, render_fn))))
}

/// The render step: the task's DMP snapshot, through its template, to DOCX and PDF.
pub fn render(services: &Services, claimed: &ClaimedTask) -> Result<Rendered, TaskFailure> {
    let Some(input) = &claimed.input else {
        return Err(TaskFailure::DmpDeleted);
    };
    let name = match input.doc.get("template") {
        None | Some(serde_json::Value::Null) => DEFAULT_TEMPLATE.to_owned(),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => DEFAULT_TEMPLATE.to_owned(),
        Some(serde_json::Value::String(s)) => s.trim().to_owned(),
        Some(_) => return Err(TaskFailure::TemplateNotAName),
    };
    let (template, _) = services
        .templates()
        .get(&name)
        .map_err(TaskFailure::Template)?;
    let model = DocModel::build(&RenderInput {
        doc: &input.doc,
        template: &template,
        dmp_id: &claimed.dmp,
        owner: &input.owner_name,
        version: input.version,
        rendered_at: chrono::Utc::now(),
    });
    let deadline = crate::render::Deadline::after(services.settings().render_limit);
    let fonts =
        crate::render::FontPaths::new(services.data_dir(), &services.settings().system_font_dirs);
    crate::render::render_with(&model, deadline, &fonts).map_err(|e| match e {
        RenderError::TimeLimit(_) => TaskFailure::TimeLimit(e),
        e => TaskFailure::Render(e),
    })
}

fn execute(services: &Services, claimed: ClaimedTask, render_fn: &RenderFn) -> Outcome {
    let id = claimed.id;
    let rendered = match catch_unwind(AssertUnwindSafe(|| render_fn(services, &claimed))) {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(task = %id, panic = %what, "rendering panicked");
            Err(TaskFailure::Panicked)
        }
    };
    let outcome = match rendered {
        Ok(docs) => match services.complete_task_with_documents_and_warnings(
            id,
            &docs.docx,
            &docs.pdf,
            &docs.warnings,
        ) {
            Ok(()) => Outcome::Done,
            Err(ServiceError::NotFound(_)) => Outcome::Gone,
            Err(e) if e.is_disk_full() => Outcome::Failed(
                "the documents could not be saved: the server's disk is full".into(),
            ),
            Err(e) => {
                tracing::error!(task = %id, error = %crate::service::chain(&e), "saving documents failed");
                Outcome::Failed(
                    "the documents could not be saved (details are in the server log)".into(),
                )
            }
        },
        Err(failure) => {
            if matches!(failure, TaskFailure::Render(_)) {
                tracing::warn!(task = %id, error = %crate::service::chain(&failure), "rendering failed");
            }
            Outcome::Failed(failure.to_string())
        }
    };
    if let Outcome::Failed(message) = &outcome
        && let Err(e) = services.fail_task(id, message)
    {
        tracing::error!(task = %id, error = %e, "could not mark the task failed; it is retried at the next start");
    }
    tracing::info!(task = %id, outcome = ?outcome, "document task handled");
    outcome
}

/// Prepares the queue after a start: requeues tasks a crash left running and removes stray
/// files. Blocking.
pub fn recover(services: &Services) -> Result<(), ServiceError> {
    let requeued = services.requeue_running_tasks()?;
    if requeued > 0 {
        tracing::warn!(
            tasks = requeued,
            "requeued document tasks left running by the last stop"
        );
    }
    let swept = services.sweep_documents()?;
    if swept > 0 {
        tracing::info!(files = swept, "removed document files no task points at");
    }
    Ok(())
}

/// Runs the worker until the task running it is dropped.
pub async fn run(services: Arc<Services>, concurrency: usize) {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let wakeup = services.task_wakeup();
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let s = services.clone();
        let claimed = tokio::task::spawn_blocking(move || s.claim_next_task()).await;
        match claimed {
            Ok(Ok(Some(task))) => {
                let s = services.clone();
                tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    execute(&s, task, &render);
                });
            }
            Ok(Ok(None)) => {
                drop(permit);
                wakeup.notified().await;
            }
            Ok(Err(e)) => {
                drop(permit);
                tracing::error!(error = %e, "the document worker cannot read the queue; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => {
                drop(permit);
                tracing::error!(error = %e, "the document worker failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

//! `/tasks`: requests to render a DMP into documents, and their progress.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};

use poem::web::Data;

use super::ApiState;
use super::error::ApiError;
use super::security::Authed;
use crate::domain::time::iso8601;
use crate::domain::{DmpId, TaskId};
use crate::domain::{FileKind, TaskStatus};
use crate::service::tasks::{TaskFilter, TaskView};
use crate::service::{ServiceError, Services};

#[derive(Tags)]
enum TaskTags {
    /// Document generation tasks.
    Tasks,
}

/// Where a task stands. Clients should treat anything but `done` as not ready.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum TaskState {
    Pending,
    Running,
    Done,
    Error,
}

impl From<TaskStatus> for TaskState {
    fn from(s: TaskStatus) -> Self {
        match s {
            TaskStatus::Pending => Self::Pending,
            TaskStatus::Running => Self::Running,
            TaskStatus::Done => Self::Done,
            TaskStatus::Error => Self::Error,
        }
    }
}

impl From<TaskState> for TaskStatus {
    fn from(s: TaskState) -> Self {
        match s {
            TaskState::Pending => Self::Pending,
            TaskState::Running => Self::Running,
            TaskState::Done => Self::Done,
            TaskState::Error => Self::Error,
        }
    }
}

/// A task.
#[derive(Object)]
pub struct TaskOut {
    #[oai(rename = "_id")]
    pub id: String,
    /// The DMP it renders.
    pub dmp: String,
    pub status: TaskState,
    /// When the task was created (ISO-8601 UTC).
    pub timestamp: String,
    /// When the task last changed (ISO-8601 UTC).
    pub updated: String,
    /// The DMP version the task renders.
    pub dmp_version: u64,
    /// When done: append to `/resources/docx/` for a download link (signed, expiring).
    #[oai(skip_serializing_if_is_none)]
    pub url_docx: Option<String>,
    /// When done: append to `/resources/pdf/` for a download link (signed, expiring).
    #[oai(skip_serializing_if_is_none)]
    pub url_pdf: Option<String>,
    /// When failed: why, for a person to read.
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
    /// When done and its documents were replaced by a newer task's (only the newest
    /// documents of a plan are kept): that task's id. Such a task has no download links.
    #[oai(skip_serializing_if_is_none)]
    pub superseded_by: Option<String>,
    /// Anything else the task's owner should know, for a person to read.
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
    /// When done: what the documents could not show as written (e.g. characters no font
    /// on the server covers, drawn as U+FFFD in the PDF), each for a person to read.
    /// Absent when there is nothing to say.
    #[oai(default, skip_serializing_if_is_empty)]
    pub warnings: Vec<String>,
}

/// A new task: which DMP to render. Other fields are ignored.
#[derive(Object)]
pub struct NewTask {
    /// Id of a DMP the caller may read.
    pub dmp: super::scalars::HexId,
    /// Render this revision of it instead of the current one.
    #[oai(validator(minimum(value = "1"), maximum(value = "1000000000000")))]
    pub revision: Option<u64>,
}

#[derive(Object)]
pub struct TaskCreatedBody {
    pub id: String,
    pub ok: bool,
    pub msg: String,
}

#[derive(ApiResponse)]
pub enum TaskCreated {
    /// Created, status `pending`.
    #[oai(status = 201)]
    Created(Json<TaskCreatedBody>),
}

fn link(s: &Services, kind: FileKind, file_id: Option<String>) -> Option<String> {
    file_id.map(|f| format!("{f}?sig={}", s.sign_download(kind, &f)))
}

/// The task as clients see it, with download links signed now.
pub fn task_out(s: &Services, t: TaskView) -> TaskOut {
    TaskOut {
        id: t.id.to_string(),
        dmp: t.dmp,
        status: t.status.into(),
        timestamp: iso8601(t.created),
        updated: iso8601(t.updated),
        dmp_version: t.dmp_version,
        url_docx: link(s, FileKind::Docx, t.docx),
        url_pdf: link(s, FileKind::Pdf, t.pdf),
        error: t.error,
        note: t.superseded_by.as_ref().map(|newer| {
            format!("the documents of this task were replaced by those of the newer task {newer}")
        }),
        superseded_by: t.superseded_by,
        warnings: t.warnings,
    }
}

pub struct TasksApi;

#[OpenApi(tag = "TaskTags::Tasks")]
impl TasksApi {
    /// Ask for a DMP the caller may read to be rendered as DOCX and PDF: as it is, or as it
    /// was at `revision` (see `/dmps/{id}/revisions`).
    ///
    /// A user may have a limited number of tasks waiting (10 by default); beyond that: 429
    /// with `Retry-After`. Only the newest documents of a plan are kept: when this task is done,
    /// the plan's older tasks lose theirs (and name this one in `superseded_by`).
    #[oai(path = "/tasks", method = "post", operation_id = "createTask")]
    async fn create(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        body: Json<NewTask>,
    ) -> Result<TaskCreated, ApiError> {
        let dmp = DmpId::parse(&body.0.dmp).map_err(ServiceError::from)?;
        let id = state
            .services
            .create_task_queued(&auth.0, dmp, body.0.revision)
            .await?;
        Ok(TaskCreated::Created(Json(TaskCreatedBody {
            id: id.to_string(),
            ok: true,
            msg: "task created".into(),
        })))
    }

    /// The caller's tasks, newest first; filter by DMP (`id_dmp`) and/or `status`.
    #[oai(path = "/tasks", method = "get", operation_id = "listTasks")]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        /// Only tasks of this DMP.
        id_dmp: Query<Option<super::scalars::HexId>>,
        /// Only tasks with this status.
        status: Query<Option<TaskState>>,
        /// How many at most: the maximum page size (1000 unless configured) when absent,
        /// and lowered to it when larger.
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<Vec<TaskOut>>, ApiError> {
        let filter = TaskFilter {
            dmp: id_dmp
                .0
                .as_deref()
                .map(DmpId::parse)
                .transpose()
                .map_err(ServiceError::from)?,
            status: status.0.map(TaskStatus::from),
            limit: super::page_limit(limit.0, state.max_page),
        };
        state
            .run(move |s| {
                let tasks = s.list_tasks(&auth.0, &filter)?;
                Ok(Json(tasks.into_iter().map(|t| task_out(s, t)).collect()))
            })
            .await
    }

    /// One task of the caller's.
    #[oai(path = "/tasks/:id", method = "get", operation_id = "getTask")]
    async fn get(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<super::scalars::HexId>,
    ) -> Result<Json<TaskOut>, ApiError> {
        // A point read (the frontend polls it): on the async worker (redb readers never
        // wait for a writer), where the hand-off to another thread would cost more.
        let id = TaskId::parse(&id.0).map_err(ServiceError::from)?;
        let s = &state.services;
        Ok(Json(task_out(s, s.get_task(&auth.0, id)?)))
    }
}

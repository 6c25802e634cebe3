//! The catalogue: every redb table dmptool keeps, with its key and value layout.
//!
//! Table names carry a version suffix: a change of layout gets a new name and a migration
//! (see `migrations.rs`), never a silent reinterpretation. Keys are fixed-width (integers,
//! 12-byte ObjectIds, 16-byte session ids) except where a name is the key. Record values
//! are JSON documents (`records.rs`); index tables map to `()`.

use redb::TableDefinition;

/// Object ids as stored: 12 raw bytes (time-ordered).
pub type Oid = [u8; 12];

/// `name → u64`: `schema_version`, `next_user_id`, `next_project_id`, `token_epoch`.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta-1");

/// `user id → UserRecord (JSON)`.
pub const USERS: TableDefinition<u64, &[u8]> = TableDefinition::new("users-1");
/// `username → user id`. Uniqueness of usernames is claimed here.
pub const USER_BY_NAME: TableDefinition<&str, u64> = TableDefinition::new("user-by-name-1");

/// `folded username → user id` (schema 4): names are unique in their folded form (NFKC, case
/// folding; see `domain::Username::folded`), so `ADMIN` or fullwidth `ａｄｍｉｎ` cannot sit
/// beside `admin`. Look-alikes that an older schema let in keep their exact-name row; the
/// first of them (by id) holds the folded one.
pub const USER_BY_FOLD: TableDefinition<&str, u64> = TableDefinition::new("user-by-fold-1");

/// `project id → ProjectRecord (JSON)`.
pub const PROJECTS: TableDefinition<u64, &[u8]> = TableDefinition::new("projects-1");
/// `project name → project id`. Uniqueness of project names is claimed here.
pub const PROJECT_BY_NAME: TableDefinition<&str, u64> = TableDefinition::new("project-by-name-1");
/// `(user id, project id) → ()`: the projects of a user.
pub const USER_PROJECTS: TableDefinition<(u64, u64), ()> = TableDefinition::new("user-projects-1");
/// `(project id, user id) → ()`: the members of a project.
pub const PROJECT_USERS: TableDefinition<(u64, u64), ()> = TableDefinition::new("project-users-1");

/// `dmp id → DmpRecord (JSON)`.
pub const DMPS: TableDefinition<Oid, &[u8]> = TableDefinition::new("dmps-1");
/// `(owner user id, dmp id) → ()`: a user's DMPs, oldest first.
pub const DMPS_BY_OWNER: TableDefinition<(u64, Oid), ()> = TableDefinition::new("dmps-by-owner-1");
/// `(owner user id, created millis, dmp id) → ()`: a user's DMPs by creation time (schema 3).
pub const DMPS_BY_CREATED: TableDefinition<(u64, i64, Oid), ()> =
    TableDefinition::new("dmps-by-created-1");
/// `(owner user id, modified millis, dmp id) → ()`: a user's DMPs by last change (schema 3).
pub const DMPS_BY_MODIFIED: TableDefinition<(u64, i64, Oid), ()> =
    TableDefinition::new("dmps-by-modified-1");

/// `task id → TaskRecord (JSON)`.
pub const TASKS: TableDefinition<Oid, &[u8]> = TableDefinition::new("tasks-1");
/// `(dmp id, task id) → ()`: a DMP's tasks; read in reverse for newest first.
pub const TASKS_BY_DMP: TableDefinition<(Oid, Oid), ()> = TableDefinition::new("tasks-by-dmp-1");
/// `(owner user id, task id) → ()`: a user's tasks; read in reverse for newest first.
pub const TASKS_BY_OWNER: TableDefinition<(u64, Oid), ()> =
    TableDefinition::new("tasks-by-owner-1");
/// `(status code, task id) → ()`: tasks by status (see `tasks::status_code`), oldest first.
pub const TASKS_BY_STATUS: TableDefinition<(u8, Oid), ()> =
    TableDefinition::new("tasks-by-status-1");

/// `task id → TaskInput (JSON)`: the DMP as it was when the task was made, kept until the
/// task is done or failed, so a document shows the plan as it was at the request (schema 2).
pub const TASK_INPUTS: TableDefinition<Oid, &[u8]> = TableDefinition::new("task-inputs-1");

/// `file id → FileRecord (JSON)`: generated documents. The file id is what download URLs
/// carry; the record names the file on disk, which the server chose.
pub const FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("files-1");

/// `session id → expiry (seconds since the epoch)`: logged-out sessions. A session is one
/// login: its access and refresh tokens share the id. Rows are purged once expired.
pub const REVOKED_SESSIONS: TableDefinition<[u8; 16], u64> =
    TableDefinition::new("revoked-sessions-1");

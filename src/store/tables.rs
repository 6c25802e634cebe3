//! The catalogue: every redb table dmptool keeps, with its key and value layout.
//!
//! Table names carry a version suffix: a change of layout gets a new name and a migration
//! (see `migrations.rs`), never a silent reinterpretation. Keys are fixed-width (integers,
//! 12-byte ObjectIds, 16-byte session ids) except where a name is the key. Record values
//! are JSON documents (`records.rs`); index tables map to `()`.

use redb::TableDefinition;

/// Object ids as stored: 12 raw bytes (time-ordered).
pub type Oid = [u8; 12];

/// One table of the catalogue, as `ALL` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableInfo {
    /// The redb name, with its layout version.
    pub name: &'static str,
    /// The key and value types, as declared.
    pub key: &'static str,
    pub value: &'static str,
    /// The schema version whose migration created it.
    pub since: u64,
}

/// Declares every table once: its constant, its row in `ALL`, and its place in
/// `each_table!` (which generic code over tables of different types calls). `$d` is a `$`,
/// so that the macro can define a macro of its own.
macro_rules! catalogue {
    ($d:tt $( $(#[$doc:meta])* $name:ident: $k:ty => $v:ty = $table:literal, since $since:literal; )*) => {
        $( $(#[$doc])* pub const $name: TableDefinition<$k, $v> = TableDefinition::new($table); )*

        /// Every table of the catalogue, in declaration order.
        pub const ALL: &[TableInfo] = &[$(
            TableInfo { name: $table, key: stringify!($k), value: stringify!($v), since: $since },
        )*];

        /// `each_table!(m)` expands to `m!((TABLE, since), ...)` with every table of the
        /// catalogue: for code that does one thing to each table, whatever its types.
        macro_rules! each_table {
            ($d m:ident) => { $d m!($( ($name, $since) ),*) };
        }
        pub(crate) use each_table;
    };
}

catalogue! {$
    /// `name → u64`: `schema_version`, `next_user_id`, `next_project_id`, `token_epoch`.
    META: &str => u64 = "meta-1", since 1;
    /// `user id → UserRecord (JSON)`.
    USERS: u64 => &[u8] = "users-1", since 1;
    /// `username → user id`. Uniqueness of usernames is claimed here.
    USER_BY_NAME: &str => u64 = "user-by-name-1", since 1;
    /// `folded username → user id` (schema 4): names are unique in their folded form (NFKC, case
    /// folding; see `domain::Username::folded`), so `ADMIN` or fullwidth `ａｄｍｉｎ` cannot sit
    /// beside `admin`. Look-alikes that an older schema let in keep their exact-name row; the
    /// first of them (by id) holds the folded one.
    USER_BY_FOLD: &str => u64 = "user-by-fold-1", since 4;
    /// `project id → ProjectRecord (JSON)`.
    PROJECTS: u64 => &[u8] = "projects-1", since 1;
    /// `project name → project id`. Uniqueness of project names is claimed here.
    PROJECT_BY_NAME: &str => u64 = "project-by-name-1", since 1;
    /// `(user id, project id) → ()`: the projects of a user.
    USER_PROJECTS: (u64, u64) => () = "user-projects-1", since 1;
    /// `(project id, user id) → ()`: the members of a project.
    PROJECT_USERS: (u64, u64) => () = "project-users-1", since 1;
    /// `dmp id → DmpRecord (JSON)`.
    DMPS: Oid => &[u8] = "dmps-1", since 1;
    /// `(owner user id, dmp id) → ()`: a user's DMPs, oldest first.
    DMPS_BY_OWNER: (u64, Oid) => () = "dmps-by-owner-1", since 1;
    /// `(owner user id, created millis, dmp id) → ()`: a user's DMPs by creation time (schema 3).
    DMPS_BY_CREATED: (u64, i64, Oid) => () = "dmps-by-created-1", since 3;
    /// `(owner user id, modified millis, dmp id) → ()`: a user's DMPs by last change (schema 3).
    DMPS_BY_MODIFIED: (u64, i64, Oid) => () = "dmps-by-modified-1", since 3;
    /// `task id → TaskRecord (JSON)`.
    TASKS: Oid => &[u8] = "tasks-1", since 1;
    /// `(dmp id, task id) → ()`: a DMP's tasks; read in reverse for newest first.
    TASKS_BY_DMP: (Oid, Oid) => () = "tasks-by-dmp-1", since 1;
    /// `(owner user id, task id) → ()`: a user's tasks; read in reverse for newest first.
    TASKS_BY_OWNER: (u64, Oid) => () = "tasks-by-owner-1", since 1;
    /// `(status code, task id) → ()`: tasks by status (see `tasks::status_code`), oldest first.
    TASKS_BY_STATUS: (u8, Oid) => () = "tasks-by-status-1", since 1;
    /// `task id → TaskInput (JSON)`: the DMP as it was when the task was made, kept until the
    /// task is done or failed, so a document shows the plan as it was at the request (schema 2).
    TASK_INPUTS: Oid => &[u8] = "task-inputs-1", since 2;
    /// `file id → FileRecord (JSON)`: generated documents. The file id is what download URLs
    /// carry; the record names the file on disk, which the server chose.
    FILES: &str => &[u8] = "files-1", since 1;
    /// `session id → expiry (seconds since the epoch)`: logged-out sessions. A session is one
    /// login: its access and refresh tokens share the id. Rows are purged once expired.
    REVOKED_SESSIONS: [u8; 16] => u64 = "revoked-sessions-1", since 1;
    /// `(dmp id, grantee kind, grantee id) → role code`: who a plan is shared with (schema 5).
    /// Kind 0 is a user, 1 a project (`domain::Grantee`); codes are `domain::Role::code`.
    DMP_GRANTS: (Oid, u8, u64) => u8 = "dmp-grants-1", since 5;
    /// `(user id, dmp id) → role code`: the plans shared with a user by name (schema 5).
    USER_GRANTS: (u64, Oid) => u8 = "user-grants-1", since 5;
    /// `(project id, dmp id) → role code`: the plans shared with a project (schema 5).
    PROJECT_GRANTS: (u64, Oid) => u8 = "project-grants-1", since 5;
    /// `(dmp id, revision) → RevisionRecord (JSON)`: every state a plan's content has had, its
    /// time, author and what changed (schema 5). The revision number is the plan's version.
    REVISIONS: (Oid, u64) => &[u8] = "revisions-1", since 5;
    /// `(dmp id, revision) → the plan document's JSON, deflated` (schema 5): apart from
    /// `REVISIONS`, so that listing the history does not read the documents.
    REVISION_DOCS: (Oid, u64) => &[u8] = "revision-docs-1", since 5;
    /// `(dmp id, comment id) → CommentRecord (JSON)`: comments and replies (schema 5).
    COMMENTS: (Oid, Oid) => &[u8] = "comments-1", since 5;
    /// `(dmp id, event id) → EventRecord (JSON)`: what happened to a plan besides its
    /// revisions (shared, commented, documents made...), in time order (schema 5).
    EVENTS: (Oid, Oid) => &[u8] = "events-1", since 5;
    /// `dmp id → DmpSummary (JSON)`: a plan's owner, times, version, title and template, for
    /// lists that show many plans without reading their documents (schema 6).
    DMP_SUMMARIES: Oid => &[u8] = "dmp-summaries-1", since 6;
    /// `owner user id → how many DMPs they own` (schema 6): a list's total without counting.
    DMP_COUNTS: u64 => u64 = "dmp-counts-1", since 6;
}

/// The bounds of object ids: `(prefix, OID_MIN)..=(prefix, OID_MAX)` is every row of an
/// index under one prefix.
pub const OID_MIN: Oid = [0; 12];
pub const OID_MAX: Oid = [0xff; 12];

/// Every row of a `(prefix, Oid)` index under `prefix`.
pub fn oids_under<P: Copy>(prefix: P) -> std::ops::RangeInclusive<(P, Oid)> {
    (prefix, OID_MIN)..=(prefix, OID_MAX)
}

/// Every row of a `(prefix, u64)` index under `prefix`.
pub fn ids_under(prefix: u64) -> std::ops::RangeInclusive<(u64, u64)> {
    (prefix, 0)..=(prefix, u64::MAX)
}

/// Creates the tables that schema version `version` added (a migration's first step).
pub fn create_added_in(tx: &redb::WriteTransaction, version: u64) -> Result<(), redb::TableError> {
    macro_rules! create {
        ($(($t:ident, $since:literal)),*) => {$(
            if $since == version {
                tx.open_table($t)?;
            }
        )*};
    }
    each_table!(create);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_listed_once_and_added_by_a_known_version() {
        let mut names: Vec<&str> = ALL.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        let newest = crate::store::SCHEMA_VERSION;
        assert!(ALL.iter().all(|t| (1..=newest).contains(&t.since)));
        assert_eq!(
            ALL.iter().find(|t| t.name == "users-1").map(|t| t.key),
            Some("u64")
        );
    }

    #[test]
    fn a_new_database_holds_exactly_the_tables_of_the_catalogue() {
        use redb::TableHandle;
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("t.redb")).unwrap();
        let mut made: Vec<String> = store
            .read(|tx| {
                Ok::<_, crate::store::StoreError>(
                    tx.list_tables()?.map(|t| t.name().to_owned()).collect(),
                )
            })
            .unwrap();
        made.sort_unstable();
        let mut listed: Vec<String> = ALL.iter().map(|t| t.name.to_owned()).collect();
        listed.sort_unstable();
        assert_eq!(made, listed);
    }
}

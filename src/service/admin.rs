//! Administration: the operations of `dmptool admin`, as one request type that the CLI runs
//! either directly on the database (server stopped) or through the running server's admin
//! socket. Both paths end in [`Services::execute_admin`], so they behave the same.

use redb::TableHandle;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::{Result, ServiceError};
use super::sharing::GranteeName;
use super::{Caller, DB_FILE, Services};
use crate::domain::{DmpId, Role, UserId};
use crate::store::{SCHEMA_VERSION, Store, StoreError, integrity, meta, tables::*};

/// One administrative operation. Backup and restore move a database file, which the
/// transport carries beside the request (see `admin_socket::protocol`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum AdminRequest {
    /// Is anyone there? Answers the data dir and schema version.
    Status,
    /// Create or upgrade the database (done on open; reports the version).
    Init,
    /// Delete every user, project, plan, task, file and revocation.
    Reset,
    CreateUser {
        username: String,
        email: Option<String>,
        password: String,
        admin: bool,
    },
    /// What deleting a user would remove.
    DeleteUserPreview {
        username: String,
    },
    DeleteUser {
        username: String,
    },
    SetPassword {
        username: String,
        password: String,
    },
    ListUsers,
    CreateProject {
        name: String,
        description: String,
    },
    DeleteProject {
        name: String,
    },
    ListProjects,
    CreateRelation {
        username: String,
        project: String,
    },
    DeleteRelation {
        username: String,
        project: String,
    },
    /// Give a user or a project (exactly one of them) a role on a plan.
    Share {
        dmp: String,
        username: Option<String>,
        project: Option<String>,
        role: String,
    },
    /// Take back a user's or a project's grant on a plan.
    Unshare {
        dmp: String,
        username: Option<String>,
        project: Option<String>,
    },
    /// Make a user a plan's owner.
    Transfer {
        dmp: String,
        username: String,
    },
}

impl AdminRequest {
    /// The operation's name, for logs (never its arguments: they may hold a password).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Init => "init",
            Self::Reset => "reset",
            Self::CreateUser { .. } => "create-user",
            Self::DeleteUserPreview { .. } => "delete-user-preview",
            Self::DeleteUser { .. } => "delete-user",
            Self::SetPassword { .. } => "set-password",
            Self::ListUsers => "list-users",
            Self::CreateProject { .. } => "create-project",
            Self::DeleteProject { .. } => "delete-project",
            Self::ListProjects => "list-projects",
            Self::CreateRelation { .. } => "create-relation",
            Self::DeleteRelation { .. } => "delete-relation",
            Self::Share { .. } => "share",
            Self::Unshare { .. } => "unshare",
            Self::Transfer { .. } => "transfer",
        }
    }
}

impl Services {
    /// Runs an administrative operation; the answer is JSON for the CLI to print.
    pub fn execute_admin(&self, req: AdminRequest) -> Result<Value> {
        match req {
            AdminRequest::Status | AdminRequest::Init => Ok(json!({
                "data_dir": self.data_dir().display().to_string(),
                "database": self.data_dir().join(DB_FILE).display().to_string(),
                "schema_version": SCHEMA_VERSION,
            })),
            AdminRequest::Reset => to_json(self.reset_all()?),
            AdminRequest::CreateUser {
                username,
                email,
                password,
                admin,
            } => {
                let id = self.create_user(&username, email.as_deref(), &password, admin)?;
                Ok(json!({ "id": id.0, "username": username, "admin": admin }))
            }
            AdminRequest::DeleteUserPreview { username } => {
                to_json(self.user_deletion_preview(&username)?)
            }
            AdminRequest::DeleteUser { username } => to_json(self.delete_user(&username)?),
            AdminRequest::SetPassword { username, password } => {
                self.set_password(&username, &password)?;
                Ok(json!({ "username": username }))
            }
            AdminRequest::ListUsers => to_json(self.list_users()?),
            AdminRequest::CreateProject { name, description } => {
                let id = self.create_project(&name, &description)?;
                Ok(json!({ "id": id, "name": name }))
            }
            AdminRequest::DeleteProject { name } => {
                let members = self.delete_project(&name)?;
                Ok(json!({ "name": name, "memberships_removed": members }))
            }
            AdminRequest::ListProjects => to_json(self.list_projects()?),
            AdminRequest::CreateRelation { username, project } => {
                self.add_member(&username, &project)?;
                Ok(json!({ "username": username, "project": project }))
            }
            AdminRequest::DeleteRelation { username, project } => {
                self.remove_member(&username, &project)?;
                Ok(json!({ "username": username, "project": project }))
            }
            AdminRequest::Share {
                dmp,
                username,
                project,
                role,
            } => {
                let to = grantee_name(username, project)?;
                let role = Role::grantable(&role)?;
                let (list, new) =
                    self.share_dmp(&Caller::cli_admin(), DmpId::parse(&dmp)?, &to, role)?;
                let mut v = to_json(list)?;
                v["new"] = new.into();
                Ok(v)
            }
            AdminRequest::Unshare {
                dmp,
                username,
                project,
            } => {
                let from = grantee_name(username, project)?;
                to_json(self.unshare_dmp(&Caller::cli_admin(), DmpId::parse(&dmp)?, &from)?)
            }
            AdminRequest::Transfer { dmp, username } => {
                to_json(self.transfer_dmp(&Caller::cli_admin(), DmpId::parse(&dmp)?, &username)?)
            }
        }
    }

    /// Deletes all data in one transaction (the schema version and id counters stay, and a
    /// new token epoch ends every session), then the generated files.
    pub fn reset_all(&self) -> Result<ResetSummary> {
        let summary = self.store.write(|tx| {
            let counts = self.counts_in(tx)?;
            clear_all(tx)?;
            meta::new_epoch(tx)?;
            Ok::<_, ServiceError>(counts)
        })?;
        let dir = self.documents_dir();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_file()) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        Ok(summary)
    }

    fn counts_in(&self, tx: &impl crate::store::ReadTx) -> Result<ResetSummary, StoreError> {
        use redb::ReadableTableMetadata;
        Ok(ResetSummary {
            users: tx.table(USERS)?.len()?,
            projects: tx.table(PROJECTS)?.len()?,
            dmps: tx.table(DMPS)?.len()?,
            tasks: tx.table(TASKS)?.len()?,
        })
    }

    /// Writes a consistent snapshot of the whole database to `dest` (a new file; an existing
    /// one is replaced atomically). Serving goes on meanwhile.
    pub fn backup_to(&self, dest: &std::path::Path) -> Result<()> {
        let tmp = sibling_tmp(dest);
        let _ = std::fs::remove_file(&tmp);
        let result = self
            .store
            .backup_to(&tmp)
            .map_err(ServiceError::from)
            .and_then(|()| {
                std::fs::rename(&tmp, dest)
                    .map_err(|e| ServiceError::io(format!("cannot write {}", dest.display()), e))
            });
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Replaces all data with the contents of a backup file, in one transaction. The backup
    /// is first copied and brought to the current schema, so the file itself is not changed.
    pub fn restore_from(&self, backup: &std::path::Path) -> Result<ResetSummary> {
        let work = self.data_dir().join(format!(
            ".restore-{}.redb",
            crate::domain::ObjectId::generate()
        ));
        let result = (|| {
            // The working copy is private (0600) like the database it fills.
            std::fs::File::open(backup)
                .and_then(|mut from| {
                    let mut to = crate::store::private::create(&work)?;
                    std::io::copy(&mut from, &mut to)
                })
                .map_err(|e| {
                    ServiceError::Invalid(format!("cannot read {}: {e}", backup.display()))
                })?;
            let source = Store::open(&work).map_err(|e| match e {
                StoreError::SchemaTooNew { .. } => ServiceError::Invalid(e.to_string()),
                other => ServiceError::Invalid(format!(
                    "{} is not a dmptool backup: {other}",
                    backup.display()
                )),
            })?;
            let problems = source.read(integrity::check)?;
            if let Some(first) = problems.first() {
                return Err(ServiceError::Invalid(format!(
                    "{} is inconsistent ({} problems, first: {first})",
                    backup.display(),
                    problems.len()
                )));
            }
            let summary = source.read(|from| {
                self.store.write(|to| {
                    // Ids handed out since the backup stay used, and every token issued
                    // before the restore ends (revocations since the backup are not in it).
                    let counters = meta::counters(to)?;
                    clear_all(to)?;
                    integrity::copy_all(from, to)?;
                    meta::keep_counters(to, &counters)?;
                    meta::new_epoch(to)?;
                    let version = meta::get(to, meta::SCHEMA_VERSION_KEY)?;
                    if version != Some(SCHEMA_VERSION) {
                        return Err(ServiceError::fault("restored schema version mismatch"));
                    }
                    Ok(self.counts_in(to)?)
                })
            })?;
            Ok(summary)
        })();
        let _ = std::fs::remove_file(&work);
        result
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResetSummary {
    pub users: u64,
    pub projects: u64,
    pub dmps: u64,
    pub tasks: u64,
}

impl Caller {
    /// The administrator's command line (`dmptool admin`): an administrator with id 0,
    /// which the plan's activity shows as `administrator`.
    pub fn cli_admin() -> Self {
        Caller {
            id: UserId(0),
            username: "administrator".into(),
            admin: true,
        }
    }
}

/// Exactly one of a username and a project name.
fn grantee_name(username: Option<String>, project: Option<String>) -> Result<GranteeName> {
    match (username, project) {
        (Some(u), None) => Ok(GranteeName::User(u)),
        (None, Some(p)) => Ok(GranteeName::Project(p)),
        _ => Err(ServiceError::Invalid(
            "name exactly one of a user (--username) and a project (--project)".into(),
        )),
    }
}

fn to_json<T: Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| ServiceError::json("encoding an answer", e))
}

/// `dir/.name.tmp` beside `path`.
pub fn sibling_tmp(path: &std::path::Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    path.with_file_name(format!(".{name}.tmp"))
}

/// Empties every table but `meta` (schema version and counters stay).
fn clear_all(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    macro_rules! clear {
        ($(($t:ident, $since:literal)),*) => {$(
            if $t.name() != META.name() {
                tx.delete_table($t)?;
                tx.open_table($t)?;
            }
        )*};
    }
    each_table!(clear);
    Ok(())
}

//! User accounts: creation, passwords, deletion with everything the user owns, listing.

use super::error::{Result, ServiceError};
use super::{Services, files, passwords};
use crate::domain::time::now_millis;
use crate::domain::{Email, Password, UserId, Username};
use crate::store::records::UserRecord;
use crate::store::{dmps, projects, tasks, users};

/// A user as shown to administrators (never the hash).
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserSummary {
    pub id: u64,
    pub username: String,
    pub email: Option<String>,
    pub admin: bool,
    pub created: i64,
    pub projects: Vec<String>,
    /// The plans shared with the user by name (not through a project), with the role.
    pub grants: Vec<GrantSummary>,
}

/// A plan a user or project was given a role on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GrantSummary {
    pub dmp: String,
    pub role: crate::domain::Role,
}

/// The grants `grantee` holds itself, by plan id.
pub(crate) fn grants_of(
    tx: &impl crate::store::ReadTx,
    grantee: crate::domain::Grantee,
) -> Result<Vec<GrantSummary>> {
    Ok(crate::store::grants::of_grantee(tx, grantee)?
        .into_iter()
        .map(|(dmp, role)| GrantSummary {
            dmp: crate::domain::DmpId::from_bytes(dmp).to_string(),
            role,
        })
        .collect())
}

/// What went with a deleted user.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct UserDeletion {
    pub dmps: usize,
    pub tasks: usize,
    pub files: usize,
}

/// The first administrator, made when the database has no user at all.
#[derive(Debug, Clone)]
pub struct InitialAdmin {
    pub username: String,
    /// Set when the password was generated (to be shown once).
    pub generated_password: Option<String>,
}

/// The conflict for a name that is taken, naming the account that holds it (which may be
/// spelt differently: names equal in their folded form are one name).
fn taken(tx: &impl crate::store::ReadTx, given: &str, name: &Username) -> Result<ServiceError> {
    let holder = match users::id_by_name(tx, name.as_str())? {
        Some(id) => users::get(tx, id)?.map(|r| r.username),
        None => None,
    };
    Ok(ServiceError::Conflict(match holder {
        Some(h) if h != given.trim() => format!(
            "user '{}' cannot be created: it is the same name as the existing user '{h}' (names that differ only in case or character width are one name)",
            given.trim()
        ),
        _ => format!("user '{name}' already exists"),
    }))
}

impl Services {
    pub fn create_user(
        &self,
        username: &str,
        email: Option<&str>,
        password: &str,
        admin: bool,
    ) -> Result<UserId> {
        let given = username;
        let username = Username::parse_new(given)?;
        let email = email
            .filter(|e| !e.trim().is_empty())
            .map(Email::parse)
            .transpose()?;
        let password = Password::parse(password)?;
        let hash = passwords::hash(password.as_str())?;
        let now = now_millis();
        let rec = UserRecord {
            username: username.as_str().to_owned(),
            email: email.map(|e| e.as_str().to_owned()),
            password_hash: hash,
            admin,
            created: now,
            updated: now,
            token_gen: 0,
            legacy_id: None,
            locale: None,
        };
        let id = self
            .store
            .write(|tx| match users::insert(tx, &rec, None)? {
                Some(id) => Ok(id),
                None => Err(taken(tx, given, &username)?),
            })?;
        Ok(UserId(id))
    }

    /// Creates `admin` when there is no user yet, with `password` or a generated one.
    pub fn ensure_initial_admin(&self, password: Option<&str>) -> Result<Option<InitialAdmin>> {
        let count = self
            .store
            .read(|tx| Ok::<_, ServiceError>(users::count(tx)?))?;
        if count > 0 {
            return Ok(None);
        }
        let generated = match password {
            Some(p) => {
                Password::parse(p)?;
                None
            }
            None => Some(random_password()),
        };
        let pw = password
            .map(str::to_owned)
            .or_else(|| generated.clone())
            .unwrap_or_default();
        match self.create_user("admin", None, &pw, true) {
            Ok(_) => Ok(Some(InitialAdmin {
                username: "admin".into(),
                generated_password: generated,
            })),
            // Someone made the first user meanwhile: nothing to do.
            Err(ServiceError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sets a user's password (administrators; the user's tokens stop working).
    pub fn set_password(&self, username: &str, password: &str) -> Result<()> {
        let id = self
            .store
            .read(|tx| users::id_by_name(tx, username).map_err(ServiceError::from))?
            .ok_or_else(|| no_user(username))?;
        self.replace_password(id, password, || no_user(username))
            .map(|_| ())
    }

    /// Stores a new password for user `id` and bumps its token generation, so every token
    /// issued before stops working. Returns the new generation; `missing` when the user is gone.
    pub(crate) fn replace_password(
        &self,
        id: u64,
        password: &str,
        missing: impl Fn() -> ServiceError + Sync,
    ) -> Result<u64> {
        let password = Password::parse(password)?;
        let hash = passwords::hash(password.as_str())?;
        self.store.write(|tx| {
            let mut rec = users::get(tx, id)?.ok_or_else(&missing)?;
            rec.password_hash = hash.clone();
            rec.token_gen += 1;
            rec.updated = now_millis();
            users::update(tx, id, &rec)?;
            Ok(rec.token_gen)
        })
    }

    /// What deleting `username` would remove, without removing it.
    pub fn user_deletion_preview(&self, username: &str) -> Result<UserDeletion> {
        self.store.read(|tx| {
            let id = users::id_by_name(tx, username)?.ok_or_else(|| no_user(username))?;
            let mut out = UserDeletion::default();
            for dmp in dmps::ids_by_owner(tx, id)? {
                out.dmps += 1;
                for t in tasks::ids_by_dmp(tx, dmp)? {
                    out.tasks += 1;
                    if let Some(rec) = tasks::get(tx, t)? {
                        out.files +=
                            usize::from(rec.docx.is_some()) + usize::from(rec.pdf.is_some());
                    }
                }
            }
            Ok(out)
        })
    }

    /// Deletes a user with their DMPs, tasks, generated files and the grants they held, in one
    /// transaction; the
    /// files on disk go after the commit. Their tokens stop working at once.
    pub fn delete_user(&self, username: &str) -> Result<UserDeletion> {
        let (summary, disk_files) = self.store.write(|tx| {
            let id = users::id_by_name(tx, username)?.ok_or_else(|| no_user(username))?;
            let mut summary = UserDeletion::default();
            let mut disk = Vec::new();
            for dmp in dmps::ids_by_owner(tx, id)? {
                let removed = files::delete_dmp_in(tx, dmp)?;
                summary.dmps += 1;
                summary.tasks += removed.tasks;
                summary.files += removed.disk_names.len();
                disk.extend(removed.disk_names);
            }
            // Tasks whose DMP is gone already (e.g. imported) still belong to the user.
            for t in tasks::ids_by_owner(tx, id)? {
                if let Some(rec) = tasks::delete(tx, t)? {
                    summary.tasks += 1;
                    disk.extend(files::delete_task_files_in(tx, &rec)?);
                }
            }
            // What was shared with them goes with them.
            crate::store::grants::remove_all_of_grantee(tx, crate::domain::Grantee::User(id))?;
            users::delete(tx, id)?;
            Ok::<_, ServiceError>((summary, disk))
        })?;
        self.remove_disk_files(&disk_files);
        Ok(summary)
    }

    pub fn list_users(&self) -> Result<Vec<UserSummary>> {
        self.store.read(|tx| {
            let mut out = Vec::new();
            for (id, rec) in users::list(tx)? {
                let mut names = Vec::new();
                for p in projects::projects_of(tx, id)? {
                    if let Some(p) = projects::get(tx, p)? {
                        names.push(p.name);
                    }
                }
                out.push(UserSummary {
                    id,
                    username: rec.username,
                    email: rec.email,
                    admin: rec.admin,
                    created: rec.created,
                    projects: names,
                    grants: grants_of(tx, crate::domain::Grantee::User(id))?,
                });
            }
            Ok(out)
        })
    }

    /// A username by id (for showing a DMP's owner).
    pub fn username_of(&self, id: UserId) -> Result<Option<String>> {
        self.store
            .read(|tx| Ok(users::get(tx, id.0)?.map(|r| r.username)))
    }
}

pub(crate) fn no_user(username: &str) -> ServiceError {
    ServiceError::NotFound(format!("no user named '{username}'"))
}

/// 20 characters from an unambiguous alphabet (~115 bits).
pub fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

impl Services {
    /// The language the caller chose for the web editor, if any.
    pub fn locale_of(&self, caller: &super::Caller) -> Result<Option<String>> {
        self.store
            .read(|tx| Ok(users::get(tx, caller.id.0)?.and_then(|r| r.locale)))
    }

    /// Stores the caller's choice of language (`None` forgets it). Only the languages the
    /// web editor has are accepted (`known`).
    pub fn set_locale(
        &self,
        caller: &super::Caller,
        locale: Option<&str>,
        known: &[&str],
    ) -> Result<()> {
        if let Some(l) = locale
            && !known.contains(&l)
        {
            return Err(ServiceError::Invalid(format!(
                "unknown language '{}' (available: {})",
                l.chars().take(16).collect::<String>(),
                known.join(", ")
            )));
        }
        self.store.write(|tx| {
            let mut rec = users::get(tx, caller.id.0)?
                .ok_or_else(|| ServiceError::Unauthorized("the account no longer exists".into()))?;
            rec.locale = locale.map(str::to_owned);
            users::update(tx, caller.id.0, &rec)?;
            Ok(())
        })
    }
}

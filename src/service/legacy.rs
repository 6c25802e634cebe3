//! Importing a legacy deployment in one transaction: accounts, plans, tasks, documents.
//!
//! Plans and tasks keep their ObjectIds (bookmarks and task→plan links keep resolving);
//! password hashes are kept as they are (verified at login, then replaced by argon2id);
//! task times are kept, or taken from the ObjectId. Whatever cannot be imported as it is
//! gets a reason in the report. Without `allow_skips`, a run with anything skipped writes
//! nothing; `dry_run` never writes. Running it twice imports nothing twice: accounts are
//! recognised by their legacy id, plans, tasks and files by their own ids.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::Services;
use super::error::{Result, ServiceError};
use super::files::is_safe_name;
use crate::domain::dmp::client_fields;
use crate::domain::time::{now_millis, parse_iso8601};
use crate::domain::{DmpId, Email, FileKind, ObjectId, TaskId, TaskStatus, Username};
use crate::legacy::{Collection, LegacyAccounts};
use crate::store::records::{DmpRecord, FileRecord, ProjectRecord, TaskRecord, UserRecord};
use crate::store::{StoreError, dmps, files, projects, tasks, users};

/// What was read from the legacy deployment.
pub struct LegacyImport {
    pub accounts: LegacyAccounts,
    pub dmps: Collection,
    pub tasks: Collection,
    /// The legacy documents folder, when given.
    pub documents: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Owner for plans whose owner no longer exists or was skipped (else they are skipped).
    pub orphans_to: Option<String>,
    pub dry_run: bool,
    pub allow_skips: bool,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Tally {
    pub imported: usize,
    pub present: usize,
    pub skipped: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub users: Tally,
    pub projects: Tally,
    pub relations: Tally,
    pub dmps: Tally,
    pub tasks: Tally,
    pub documents: Tally,
    /// Why each skipped item was skipped, and what was changed on the way in.
    pub reasons: Vec<String>,
    /// Whether the import was committed.
    pub written: bool,
}

impl ImportReport {
    pub fn skipped(&self) -> usize {
        [
            self.users,
            self.projects,
            self.relations,
            self.dmps,
            self.tasks,
            self.documents,
        ]
        .iter()
        .map(|t| t.skipped)
        .sum()
    }

    pub fn rows(&self) -> [(&'static str, Tally); 6] {
        [
            ("users", self.users),
            ("projects", self.projects),
            ("relations", self.relations),
            ("DMPs", self.dmps),
            ("tasks", self.tasks),
            ("documents", self.documents),
        ]
    }
}

/// How a run ends without committing.
enum Stop {
    Report(Box<ImportReport>),
    Error(ServiceError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Error(e.into())
    }
}

impl From<ServiceError> for Stop {
    fn from(e: ServiceError) -> Self {
        Stop::Error(e)
    }
}

fn str_field<'a>(d: &'a serde_json::Map<String, Value>, k: &str) -> Option<&'a str> {
    d.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Progress of a long step: (what, done, of).
pub type Progress<'a> = &'a mut (dyn FnMut(&str, usize, usize) + Send);

impl Services {
    pub fn import_legacy(
        &self,
        input: LegacyImport,
        opts: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        let docs_dir = self.documents_dir();
        // Files copied so far, removed again if the import fails. (The write may run twice,
        // see `Store::write`: a second run copies the same files and may list them twice.)
        let mut copied: Vec<String> = Vec::new();
        let available: HashMap<String, PathBuf> = match &input.documents {
            Some(dir) => std::fs::read_dir(dir)
                .map_err(|e| {
                    ServiceError::Invalid(format!(
                        "cannot read the documents folder {}: {e}",
                        dir.display()
                    ))
                })?
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect(),
            None => HashMap::new(),
        };
        let outcome = self.store.write(|tx| -> std::result::Result<ImportReport, Stop> {
            let mut r = ImportReport::default();
            let now = now_millis();

            // Accounts. A record follows its legacy account (by the account's legacy id),
            // never an account that merely has the same name.
            let mut user_ids: HashMap<i64, u64> = HashMap::new();
            let legacy_by_name: HashMap<&str, i64> =
                input.accounts.users.iter().map(|u| (u.username.trim(), u.id)).collect();
            for u in &input.accounts.users {
                let Ok(name) = Username::parse(&u.username) else {
                    r.users.skipped += 1;
                    r.reasons.push(format!("user {:?}: not a valid username", u.username));
                    continue;
                };
                if let Some(id) = users::id_by_name(tx, name.as_str())? {
                    let existing = users::get(tx, id)?.ok_or_else(|| StoreError::Corrupt("user index".into()))?;
                    if existing.legacy_id == Some(u.id) {
                        r.users.present += 1;
                        user_ids.insert(u.id, id);
                    } else {
                        r.users.skipped += 1;
                        r.reasons.push(format!(
                            "user '{name}': the name is taken by an account that was not imported from this deployment"
                        ));
                    }
                    continue;
                }
                let email = match u.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                    Some(e) => match Email::parse(e) {
                        Ok(e) => Some(e.as_str().to_owned()),
                        Err(_) => {
                            r.reasons.push(format!("user '{name}': e-mail {e:?} is not valid and was left out"));
                            None
                        }
                    },
                    None => None,
                };
                let rec = UserRecord {
                    username: name.as_str().to_owned(),
                    email,
                    password_hash: u.password_hash.clone(),
                    admin: u.admin,
                    created: now,
                    updated: now,
                    token_gen: 0,
                    legacy_id: Some(u.id),
                };
                let id = users::insert(tx, &rec, None)?.ok_or_else(|| StoreError::Corrupt("user name claim".into()))?;
                user_ids.insert(u.id, id);
                r.users.imported += 1;
            }
            let mut project_ids: HashMap<i64, u64> = HashMap::new();
            for p in &input.accounts.projects {
                let name = p.name.trim();
                if name.is_empty() {
                    r.projects.skipped += 1;
                    r.reasons.push(format!("project {}: it has no name", p.id));
                    continue;
                }
                if let Some(id) = projects::id_by_name(tx, name)? {
                    let existing = projects::get(tx, id)?.ok_or_else(|| StoreError::Corrupt("project index".into()))?;
                    if existing.legacy_id == Some(p.id) {
                        r.projects.present += 1;
                        project_ids.insert(p.id, id);
                    } else {
                        r.projects.skipped += 1;
                        r.reasons.push(format!(
                            "project '{name}': the name is taken by a project that was not imported from this deployment"
                        ));
                    }
                    continue;
                }
                let rec = ProjectRecord {
                    name: name.to_owned(),
                    description: p.description.clone().unwrap_or_default(),
                    created: now,
                    legacy_id: Some(p.id),
                };
                let id = projects::insert(tx, &rec, None)?.ok_or_else(|| StoreError::Corrupt("project name claim".into()))?;
                project_ids.insert(p.id, id);
                r.projects.imported += 1;
            }
            for (u, p) in &input.accounts.relations {
                match (user_ids.get(u), project_ids.get(p)) {
                    (Some(&uid), Some(&pid)) => {
                        if projects::add_member(tx, uid, pid)? {
                            r.relations.imported += 1;
                        } else {
                            r.relations.present += 1;
                        }
                    }
                    _ => {
                        r.relations.skipped += 1;
                        r.reasons.push(format!("membership of user {u} in project {p}: the user or project was not imported"));
                    }
                }
            }

            // Plans.
            for line in &input.dmps.unreadable {
                r.dmps.skipped += 1;
                r.reasons.push(line.clone());
            }
            let mut orphan_owner: Option<u64> = None;
            let mut skipped_dmps = std::collections::HashSet::new();
            let total = input.dmps.documents.len();
            for (i, d) in input.dmps.documents.iter().enumerate() {
                progress("DMPs", i + 1, total);
                let Some(id) = str_field(d, "_id").and_then(|s| DmpId::parse(s).ok()) else {
                    r.dmps.skipped += 1;
                    r.reasons.push(format!("a DMP without a valid _id ({:?})", d.get("_id")));
                    continue;
                };
                if dmps::get(tx, id.bytes())?.is_some() {
                    r.dmps.present += 1;
                    continue;
                }
                let owner_name = str_field(d, "user").unwrap_or("");
                // The plan's owner is the account imported for its legacy account, if any.
                let legacy = legacy_by_name.get(owner_name);
                let why = match legacy {
                    Some(legacy_id) => match user_ids.get(legacy_id) {
                        Some(&o) => Ok(o),
                        None => Err(format!("its owner '{owner_name}' was not imported (see the user's line)")),
                    },
                    None => Err(format!("owner '{owner_name}' does not exist")),
                };
                let owner = match why {
                    Ok(o) => o,
                    Err(why) => match &opts.orphans_to {
                        Some(to) => {
                            let o = match orphan_owner {
                                Some(o) => o,
                                None => users::id_by_name(tx, to)?.ok_or_else(|| {
                                    ServiceError::Invalid(format!("--orphans-to: no user named '{to}'"))
                                })?,
                            };
                            orphan_owner = Some(o);
                            r.reasons.push(format!("DMP {id}: {why}; assigned to '{to}'"));
                            o
                        }
                        None => {
                            r.dmps.skipped += 1;
                            skipped_dmps.insert(id);
                            r.reasons.push(format!(
                                "DMP {id}: {why}; skipped with its tasks and documents (use --orphans-to USER to keep it)"
                            ));
                            continue;
                        }
                    },
                };
                let created = i64::from(id.0.timestamp_secs()) * 1000;
                let doc = client_fields(Value::Object(d.clone())).map_err(ServiceError::from)?;
                let rec = DmpRecord { owner, created, updated: created, version: 1, doc };
                dmps::insert(tx, id.bytes(), &rec)?;
                r.dmps.imported += 1;
            }

            // Tasks and their documents.
            for line in &input.tasks.unreadable {
                r.tasks.skipped += 1;
                r.reasons.push(line.clone());
            }
            let total = input.tasks.documents.len();
            let mut seen_files = std::collections::HashSet::new();
            for (i, t) in input.tasks.documents.iter().enumerate() {
                progress("tasks", i + 1, total);
                let Some(id) = str_field(t, "_id").and_then(|s| TaskId::parse(s).ok()) else {
                    r.tasks.skipped += 1;
                    r.reasons.push(format!("a task without a valid _id ({:?})", t.get("_id")));
                    continue;
                };
                if tasks::get(tx, id.bytes())?.is_some() {
                    r.tasks.present += 1;
                    for name in [str_field(t, "url_docx"), str_field(t, "url_pdf")].into_iter().flatten() {
                        if files::get(tx, name)?.is_some() && seen_files.insert(name.to_owned()) {
                            r.documents.present += 1;
                        }
                    }
                    continue;
                }
                let dmp_id = str_field(t, "dmp").and_then(|s| DmpId::parse(s).ok());
                if let Some(d) = dmp_id.filter(|d| skipped_dmps.contains(d)) {
                    let docs = [str_field(t, "url_docx"), str_field(t, "url_pdf")].into_iter().flatten().count();
                    r.tasks.skipped += 1;
                    r.documents.skipped += docs;
                    r.reasons.push(format!("task {id}: its DMP {d} was skipped, so the task and its {docs} document(s) were too"));
                    continue;
                }
                let Some((dmp_id, dmp)) = dmp_id.and_then(|d| dmps::get(tx, d.bytes()).ok().flatten().map(|rec| (d, rec)))
                else {
                    r.tasks.skipped += 1;
                    r.reasons.push(format!("task {id}: its DMP {:?} does not exist", t.get("dmp")));
                    continue;
                };
                let status = match str_field(t, "status").unwrap_or("pending") {
                    "pending" | "running" => TaskStatus::Pending,
                    "done" => TaskStatus::Done,
                    "error" => TaskStatus::Error,
                    other => {
                        r.tasks.skipped += 1;
                        r.reasons.push(format!("task {id}: unknown status '{other}'"));
                        continue;
                    }
                };
                let created = str_field(t, "timestamp")
                    .and_then(parse_iso8601)
                    .unwrap_or(i64::from(id.0.timestamp_secs()) * 1000);
                let mut attach = |field: &str, kind: FileKind, r: &mut ImportReport| -> std::result::Result<Option<String>, Stop> {
                    let Some(name) = str_field(t, field) else { return Ok(None) };
                    if !is_safe_name(name) {
                        r.documents.skipped += 1;
                        r.reasons.push(format!("task {id}: document name {name:?} is not a plain file name"));
                        return Ok(None);
                    }
                    if files::get(tx, name)?.is_some() {
                        if seen_files.insert(name.to_owned()) {
                            r.documents.present += 1;
                        }
                        return Ok(Some(name.to_owned()));
                    }
                    let Some(src) = available.get(name) else {
                        r.documents.skipped += 1;
                        r.reasons.push(match &input.documents {
                            Some(dir) => format!("task {id}: document '{name}' is not in {}", dir.display()),
                            None => format!("task {id}: document '{name}' not imported (no --documents folder given)"),
                        });
                        return Ok(None);
                    };
                    let disk_name = format!("{}.{}", ObjectId::generate(), kind.extension());
                    let size = if opts.dry_run {
                        std::fs::metadata(src).map(|m| m.len()).unwrap_or(0)
                    } else {
                        copy_durably(src, &docs_dir.join(&disk_name)).map_err(|e| {
                            ServiceError::io(format!("copying {}", src.display()), e)
                        })?;
                        copied.push(disk_name.clone());
                        std::fs::metadata(docs_dir.join(&disk_name)).map(|m| m.len()).unwrap_or(0)
                    };
                    let rec = FileRecord {
                        owner: dmp.owner,
                        dmp: dmp_id.to_string(),
                        kind,
                        disk_name,
                        size,
                        created,
                    };
                    files::put(tx, name, &rec)?;
                    seen_files.insert(name.to_owned());
                    r.documents.imported += 1;
                    Ok(Some(name.to_owned()))
                };
                let docx = attach("url_docx", FileKind::Docx, &mut r)?;
                let pdf = attach("url_pdf", FileKind::Pdf, &mut r)?;
                let rec = TaskRecord {
                    dmp: dmp_id.to_string(),
                    owner: dmp.owner,
                    status,
                    created,
                    updated: created,
                    dmp_version: 0,
                    docx,
                    pdf,
                    error: str_field(t, "error").map(str::to_owned),
                    superseded_by: None,
                };
                tasks::insert(tx, id.bytes(), &rec)?;
                r.tasks.imported += 1;
            }

            if opts.dry_run || (r.skipped() > 0 && !opts.allow_skips) {
                return Err(Stop::Report(Box::new(r)));
            }
            r.written = true;
            Ok(r)
        });
        let remove_copies = || {
            for name in &copied {
                let _ = std::fs::remove_file(docs_dir.join(name));
            }
        };
        match outcome {
            Ok(report) => {
                if let Ok(dir) = std::fs::File::open(&docs_dir) {
                    let _ = dir.sync_all();
                }
                Ok(report)
            }
            Err(Stop::Report(report)) => {
                remove_copies();
                Ok(*report)
            }
            Err(Stop::Error(e)) => {
                remove_copies();
                Err(e)
            }
        }
    }
}

/// Copies a regular file (never through a symbolic link) to a private (0600) file and
/// fsyncs the copy.
fn copy_durably(src: &Path, dest: &Path) -> std::io::Result<()> {
    crate::store::private::copy_regular(src, dest).map(|_| ())
}

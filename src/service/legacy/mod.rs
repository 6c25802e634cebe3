//! Importing a legacy deployment in one transaction: accounts, plans, tasks, documents.
//!
//! Plans and tasks keep their ObjectIds (bookmarks and task→plan links keep resolving);
//! password hashes are kept as they are (verified at login, then replaced by argon2id);
//! task times are kept, or taken from the ObjectId. Whatever cannot be imported as it is
//! gets a reason in the report. Without `allow_skips`, a run with anything skipped writes
//! nothing; `dry_run` never writes. Running it twice imports nothing twice: accounts are
//! recognised by their legacy id, plans, tasks and files by their own ids.

//!
//! One transaction, in steps: `accounts` (users, projects, memberships), `plans` (DMPs and
//! their owners), `tasks` (tasks and the documents they name).

mod accounts;
mod plans;
mod tasks;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::Services;
use super::error::{Result, ServiceError};
use crate::domain::time::now_millis;
use crate::legacy::{Collection, LegacyAccounts};
use crate::store::StoreError;

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
        let available = documents_in(input.documents.as_deref())?;
        let outcome = self
            .store
            .write(|tx| -> std::result::Result<ImportReport, Stop> {
                let mut r = ImportReport::default();
                let now = now_millis();
                let accounts = accounts::import(tx, &input.accounts, now, &mut r)?;
                let skipped_dmps =
                    plans::import(tx, &input.dmps, &accounts, opts, &mut r, progress)?;
                let mut docs = tasks::Documents {
                    from: input.documents.as_deref(),
                    available: &available,
                    to: &docs_dir,
                    dry_run: opts.dry_run,
                    copied: &mut copied,
                    seen: HashSet::new(),
                };
                tasks::import(tx, &input.tasks, &skipped_dmps, &mut docs, &mut r, progress)?;

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

/// The regular files of the legacy documents folder, by name (none without a folder).
fn documents_in(dir: Option<&Path>) -> Result<HashMap<String, PathBuf>> {
    Ok(match dir {
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
    })
}

/// Copies a regular file (never through a symbolic link) to a private (0600) file and
/// fsyncs the copy.
fn copy_durably(src: &Path, dest: &Path) -> std::io::Result<()> {
    crate::store::private::copy_regular(src, dest).map(|_| ())
}

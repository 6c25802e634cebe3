//! The last step of a legacy import: tasks, and the documents they name, copied from the
//! legacy documents folder.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use redb::WriteTransaction;

use super::{ImportReport, Stop, copy_durably, str_field};
use crate::domain::time::parse_iso8601;
use crate::domain::{DmpId, FileKind, ObjectId, TaskId, TaskStatus};
use crate::legacy::Collection;
use crate::service::error::ServiceError;
use crate::service::files::is_safe_name;
use crate::store::records::{FileRecord, TaskRecord};
use crate::store::{dmps, files, tasks};

/// Where documents come from and go to, and what this run has done with them.
pub(super) struct Documents<'a> {
    /// The legacy documents folder, when given.
    pub from: Option<&'a Path>,
    /// Its regular files, by name.
    pub available: &'a HashMap<String, PathBuf>,
    /// The documents folder of this server.
    pub to: &'a Path,
    pub dry_run: bool,
    /// Disk names copied so far (removed again if the import does not commit).
    pub copied: &'a mut Vec<String>,
    /// File ids counted already (a file two tasks name counts once).
    pub seen: HashSet<String>,
}

/// Imports the tasks whose DMP is there (and was not skipped), with their documents.
pub(super) fn import(
    tx: &WriteTransaction,
    input: &Collection,
    skipped_dmps: &HashSet<DmpId>,
    docs: &mut Documents<'_>,
    r: &mut ImportReport,
    progress: super::Progress<'_>,
) -> Result<(), Stop> {
    for line in &input.unreadable {
        r.tasks.skipped += 1;
        r.reasons.push(line.clone());
    }
    let total = input.documents.len();
    for (i, t) in input.documents.iter().enumerate() {
        progress("tasks", i + 1, total);
        let Some(id) = str_field(t, "_id").and_then(|s| TaskId::parse(s).ok()) else {
            r.tasks.skipped += 1;
            r.reasons
                .push(format!("a task without a valid _id ({:?})", t.get("_id")));
            continue;
        };
        if tasks::get(tx, id.bytes())?.is_some() {
            r.tasks.present += 1;
            for name in [str_field(t, "url_docx"), str_field(t, "url_pdf")]
                .into_iter()
                .flatten()
            {
                if files::get(tx, name)?.is_some() && docs.seen.insert(name.to_owned()) {
                    r.documents.present += 1;
                }
            }
            continue;
        }
        let dmp_id = str_field(t, "dmp").and_then(|s| DmpId::parse(s).ok());
        if let Some(d) = dmp_id.filter(|d| skipped_dmps.contains(d)) {
            let docs = [str_field(t, "url_docx"), str_field(t, "url_pdf")]
                .into_iter()
                .flatten()
                .count();
            r.tasks.skipped += 1;
            r.documents.skipped += docs;
            r.reasons.push(format!(
                "task {id}: its DMP {d} was skipped, so the task and its {docs} document(s) were too"
            ));
            continue;
        }
        let Some((dmp_id, dmp)) =
            dmp_id.and_then(|d| dmps::get(tx, d.bytes()).ok().flatten().map(|rec| (d, rec)))
        else {
            r.tasks.skipped += 1;
            r.reasons.push(format!(
                "task {id}: its DMP {:?} does not exist",
                t.get("dmp")
            ));
            continue;
        };
        let status = match str_field(t, "status").unwrap_or("pending") {
            "pending" | "running" => TaskStatus::Pending,
            "done" => TaskStatus::Done,
            "error" => TaskStatus::Error,
            other => {
                r.tasks.skipped += 1;
                r.reasons
                    .push(format!("task {id}: unknown status '{other}'"));
                continue;
            }
        };
        let created = str_field(t, "timestamp")
            .and_then(parse_iso8601)
            .unwrap_or(i64::from(id.0.timestamp_secs()) * 1000);
        let mut rec = TaskRecord {
            dmp: dmp_id.to_string(),
            owner: dmp.owner,
            status,
            created,
            updated: created,
            dmp_version: 0,
            docx: None,
            pdf: None,
            error: str_field(t, "error").map(str::to_owned),
            superseded_by: None,
            warnings: Vec::new(),
        };
        rec.docx = docs.attach(tx, id, str_field(t, "url_docx"), FileKind::Docx, &rec, r)?;
        rec.pdf = docs.attach(tx, id, str_field(t, "url_pdf"), FileKind::Pdf, &rec, r)?;
        tasks::insert(tx, id.bytes(), &rec)?;
        r.tasks.imported += 1;
    }
    Ok(())
}

impl Documents<'_> {
    /// The document `name` of task `id` (for `task`'s DMP and owner): recorded as it is when
    /// its file id is known, else copied from the legacy folder under a new disk name and
    /// recorded. `None` (with a reason) when it cannot be had.
    fn attach(
        &mut self,
        tx: &WriteTransaction,
        id: TaskId,
        name: Option<&str>,
        kind: FileKind,
        task: &TaskRecord,
        r: &mut ImportReport,
    ) -> Result<Option<String>, Stop> {
        let Some(name) = name else { return Ok(None) };
        if !is_safe_name(name) {
            r.documents.skipped += 1;
            r.reasons.push(format!(
                "task {id}: document name {name:?} is not a plain file name"
            ));
            return Ok(None);
        }
        if files::get(tx, name)?.is_some() {
            if self.seen.insert(name.to_owned()) {
                r.documents.present += 1;
            }
            return Ok(Some(name.to_owned()));
        }
        let Some(src) = self.available.get(name) else {
            r.documents.skipped += 1;
            r.reasons.push(match self.from {
                Some(dir) => format!("task {id}: document '{name}' is not in {}", dir.display()),
                None => format!(
                    "task {id}: document '{name}' not imported (no --documents folder given)"
                ),
            });
            return Ok(None);
        };
        let disk_name = format!("{}.{}", ObjectId::generate(), kind.extension());
        let size = if self.dry_run {
            std::fs::metadata(src).map(|m| m.len()).unwrap_or(0)
        } else {
            copy_durably(src, &self.to.join(&disk_name))
                .map_err(|e| ServiceError::io(format!("copying {}", src.display()), e))?;
            self.copied.push(disk_name.clone());
            std::fs::metadata(self.to.join(&disk_name))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        let rec = FileRecord {
            owner: task.owner,
            dmp: task.dmp.clone(),
            kind,
            disk_name,
            size,
            created: task.created,
        };
        files::put(tx, name, &rec)?;
        self.seen.insert(name.to_owned());
        r.documents.imported += 1;
        Ok(Some(name.to_owned()))
    }
}

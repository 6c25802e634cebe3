//! Completing a task: its rendered documents written durably to the documents folder, then
//! one transaction that records them, marks the task done and retires the DMP's older
//! documents. Files are written atomically (temp file, fsync, rename, fsync of the folder)
//! before the commit that points the task at them.

use std::fs;
use std::io::Write;
use std::path::Path;

use redb::WriteTransaction;

use super::Services;
use super::error::{Result, ServiceError};
use super::files::delete_task_files_in;
use crate::domain::time::now_millis;
use crate::domain::{FileKind, ObjectId, TaskId, TaskStatus};
use crate::store::records::FileRecord;
use crate::store::{StoreError, files, tasks};

/// Keeps the documents of the newest task of a DMP that has any (newest by task id, the
/// order `GET /tasks` lists them in) and removes every older task's, inside `tx`: those
/// tasks stay `done`, without download links, naming the task that replaced them in
/// `superseded_by`. Returns the names on disk to delete once the transaction commits.
pub fn keep_newest_documents_in(
    tx: &WriteTransaction,
    dmp: &str,
) -> Result<Vec<String>, StoreError> {
    let mut key = [0u8; 12];
    if hex::decode_to_slice(dmp, &mut key).is_err() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    let mut kept: Vec<TaskId> = Vec::new();
    // Files the kept tasks point at (imported tasks may share one), never deleted here.
    let mut kept_files = std::collections::HashSet::new();
    for raw in tasks::ids_by_dmp(tx, key)? {
        let Some(mut rec) = tasks::get(tx, raw)? else {
            continue;
        };
        if rec.docx.is_none() && rec.pdf.is_none() {
            continue;
        }
        if kept.len() < super::DOCUMENTS_KEPT_PER_PLAN {
            kept.push(TaskId::from_bytes(raw));
            kept_files.extend([rec.docx, rec.pdf].into_iter().flatten());
            continue;
        }
        for id in [&rec.docx, &rec.pdf].into_iter().flatten() {
            if !kept_files.contains(id)
                && let Some(f) = files::delete(tx, id)?
            {
                names.push(f.disk_name);
            }
        }
        rec.docx = None;
        rec.pdf = None;
        rec.superseded_by = kept.first().map(ToString::to_string);
        tasks::update(tx, raw, &rec)?;
    }
    Ok(names)
}

/// Writes each `(name, bytes)` into `dir` atomically and durably: every file goes to a temp
/// name and is fsynced, then all are renamed, then the folder is fsynced once. On an error
/// nothing of them is left behind.
fn write_atomic(dir: &Path, files: &[(&str, &[u8])]) -> std::io::Result<()> {
    let tmp = |name: &str| dir.join(format!(".{name}.tmp"));
    let result = (|| {
        for (name, bytes) in files {
            // 0600, and never through a symbolic link planted at the temp name.
            let mut f = crate::store::private::create(&tmp(name))?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        for (name, _) in files {
            fs::rename(tmp(name), dir.join(name))?;
        }
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        for (name, _) in files {
            let _ = fs::remove_file(tmp(name));
            let _ = fs::remove_file(dir.join(name));
        }
    }
    result
}

impl Services {
    /// Stores the rendered documents of a task and marks it done, in that order: both files
    /// are durable on disk before the commit that points the task at them. If the task or
    /// its DMP vanished meanwhile, the files are removed again and `NotFound` is returned.
    pub fn complete_task_with_documents(
        &self,
        task: TaskId,
        docx: &[u8],
        pdf: &[u8],
    ) -> Result<()> {
        self.complete_task_with_documents_and_warnings(task, docx, pdf, &[])
    }

    /// `complete_task_with_documents`, recording the render's `warnings` on the task.
    pub fn complete_task_with_documents_and_warnings(
        &self,
        task: TaskId,
        docx: &[u8],
        pdf: &[u8],
        warnings: &[String],
    ) -> Result<()> {
        let dir = self.documents_dir();
        let docx_id = format!("{}.docx", ObjectId::generate());
        let pdf_id = format!("{}.pdf", ObjectId::generate());
        let written = write_atomic(&dir, &[(&docx_id, docx), (&pdf_id, pdf)]);
        if let Err(e) = written {
            self.remove_disk_files(&[docx_id, pdf_id]);
            return Err(if crate::store::is_disk_full(&e) {
                ServiceError::Store(StoreError::DiskFull)
            } else {
                ServiceError::io("cannot write the document", e)
            });
        }
        let result = self.store.write(|tx| {
            let mut rec = tasks::get(tx, task.bytes())?
                .ok_or_else(|| ServiceError::NotFound(format!("task {task} no longer exists")))?;
            let now = now_millis();
            for (id, kind, bytes) in [
                (&docx_id, FileKind::Docx, docx),
                (&pdf_id, FileKind::Pdf, pdf),
            ] {
                let file = FileRecord {
                    owner: rec.owner,
                    dmp: rec.dmp.clone(),
                    kind,
                    disk_name: id.clone(),
                    size: bytes.len() as u64,
                    created: now,
                };
                files::put(tx, id, &file)?;
            }
            let mut old = delete_task_files_in(tx, &rec)?;
            rec.docx = Some(docx_id.clone());
            rec.pdf = Some(pdf_id.clone());
            rec.status = TaskStatus::Done;
            rec.error = None;
            rec.superseded_by = None;
            rec.warnings = warnings.to_vec();
            rec.updated = now.max(rec.updated);
            tasks::update(tx, task.bytes(), &rec)?;
            tasks::delete_input(tx, task.bytes())?;
            old.extend(keep_newest_documents_in(tx, &rec.dmp)?);
            Ok::<_, ServiceError>(old)
        });
        match result {
            Ok(old) => {
                self.remove_disk_files(&old);
                Ok(())
            }
            Err(e) => {
                self.remove_disk_files(&[docx_id, pdf_id]);
                Err(e)
            }
        }
    }
}

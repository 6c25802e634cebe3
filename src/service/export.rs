//! The whole database as JSON files, and back: the documented way to move between versions
//! and machines. `export` reads any store (the live one, or a backup snapshot taken while a
//! server runs); `import` fills an empty database in one transaction.
//!
//! A folder holds `manifest.json`, `users.json` (without password hashes unless asked),
//! `projects.json`, `relations.json`, `dmps.json`, `tasks.json`, `task_inputs.json`,
//! `files.json`, and `documents/` with the generated files; since format 2 also the plans'
//! `grants.json`, `revisions.json` (every revision with its document), `comments.json` and
//! `events.json` (an export of format 1 imports without them: each plan then starts its
//! history at its current state).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::Services;
use super::error::{Result, ServiceError};
use super::files::is_safe_name;
use crate::store::records::{
    DmpRecord, FileRecord, ProjectRecord, TaskInput, TaskRecord, UserRecord,
};
use crate::store::{SCHEMA_VERSION, Store, dmps, dump, files, private, projects, tasks, users};

pub const FORMAT: &str = "dmptool-export";
pub const FORMAT_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub schema_version: u64,
    pub dmptool_version: String,
    pub exported_at: String,
    pub with_hashes: bool,
    pub counts: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct UserOut {
    id: u64,
    #[serde(flatten)]
    rec: UserRecord,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct ProjectOut {
    id: u64,
    #[serde(flatten)]
    rec: ProjectRecord,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct RelationOut {
    user: u64,
    project: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct IdOut<T> {
    #[serde(rename = "_id")]
    id: String,
    #[serde(flatten)]
    rec: T,
}

/// A grant of a plan: to a user or a project, by id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct GrantOut {
    dmp: String,
    /// `user` or `project`.
    kind: String,
    id: u64,
    role: crate::domain::Role,
}

/// One revision of a plan with its document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct RevisionOut {
    dmp: String,
    number: u64,
    #[serde(flatten)]
    header: crate::store::revisions::RevisionRecord,
    document: serde_json::Map<String, serde_json::Value>,
}

/// A comment or an event of a plan, under its id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct PlanRowOut<T> {
    dmp: String,
    #[serde(rename = "_id")]
    id: String,
    #[serde(flatten)]
    rec: T,
}

type CommentOut = PlanRowOut<crate::store::comments::CommentRecord>;
type EventOut = PlanRowOut<crate::store::events::EventRecord>;

/// The grants, revisions, comments and events of the exported plans.
type Together = (
    Vec<GrantOut>,
    Vec<RevisionOut>,
    Vec<CommentOut>,
    Vec<EventOut>,
);

/// What plans share, keep and say besides their records, for `export`.
fn collaboration(tx: &impl crate::store::ReadTx, dmps: &[IdOut<DmpRecord>]) -> Result<Together> {
    use crate::domain::Grantee;
    use crate::store::{comments, events, grants, revisions};
    let (mut g, mut r, mut c, mut e) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for d in dmps {
        let id = oid(&d.id)?;
        for (who, role) in grants::of_dmp(tx, id)? {
            let (kind, gid) = match who {
                Grantee::User(u) => ("user", u),
                Grantee::Project(p) => ("project", p),
            };
            g.push(GrantOut {
                dmp: d.id.clone(),
                kind: kind.into(),
                id: gid,
                role,
            });
        }
        let (mut headers, _) = revisions::page(tx, id, 0, usize::MAX)?;
        headers.reverse();
        for (n, header) in headers {
            let document = revisions::document(tx, id, n)?.ok_or_else(|| {
                ServiceError::Fault(format!("DMP {} has no document for revision {n}", d.id))
            })?;
            r.push(RevisionOut {
                dmp: d.id.clone(),
                number: n,
                header,
                document,
            });
        }
        for (cid, rec) in comments::of_dmp(tx, id)? {
            c.push(PlanRowOut {
                dmp: d.id.clone(),
                id: hex::encode(cid),
                rec,
            });
        }
        for (eid, rec) in events::of_dmp(tx, id)? {
            e.push(PlanRowOut {
                dmp: d.id.clone(),
                id: hex::encode(eid),
                rec,
            });
        }
    }
    Ok((g, r, c, e))
}

/// A file of a newer format that an older export does not have: absent reads as empty.
fn read_json_or_empty<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<Vec<T>> {
    if dir.join(name).exists() {
        read_json(dir, name)
    } else {
        Ok(Vec::new())
    }
}

fn with_ids<T>(rows: Vec<(String, T)>) -> Vec<IdOut<T>> {
    rows.into_iter()
        .map(|(id, rec)| IdOut { id, rec })
        .collect()
}

fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| ServiceError::json("encoding the export", e))?;
    private::write(&dir.join(name), (text + "\n").as_bytes()).map_err(|e| {
        ServiceError::Invalid(format!("cannot write {}: {e}", dir.join(name).display()))
    })
}

fn read_json<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<T> {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ServiceError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| ServiceError::Invalid(format!("{}: {e}", path.display())))
}

/// Writes every record of `store` to `dir` (created; must be empty or absent), and copies
/// the generated files from `documents`.
pub fn export(store: &Store, documents: &Path, dir: &Path, with_hashes: bool) -> Result<Manifest> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(ServiceError::Invalid(format!(
            "{} exists and is not empty",
            dir.display()
        )));
    }
    // Owner only: the folder (0700) and every file in it (0600), whatever the umask; with
    // `with_hashes` it holds every password hash.
    private::create_dir_all(dir)
        .and_then(|_| private::restrict_dir(dir))
        .and_then(|()| private::create_dir_all(&dir.join("documents")))
        .map_err(|e| ServiceError::Invalid(format!("cannot create {}: {e}", dir.display())))?;
    let (users, projects, relations, dmps, tasks, inputs, files, together) = store.read(|tx| {
        let users: Vec<UserOut> = users::list(tx)?
            .into_iter()
            .map(|(id, mut rec)| {
                if !with_hashes {
                    rec.password_hash = String::new();
                }
                UserOut { id, rec }
            })
            .collect();
        let projects: Vec<ProjectOut> = projects::list(tx)?
            .into_iter()
            .map(|(id, rec)| ProjectOut { id, rec })
            .collect();
        let relations: Vec<RelationOut> = dump::memberships(tx)?
            .into_iter()
            .map(|(user, project)| RelationOut { user, project })
            .collect();
        let dmps: Vec<IdOut<DmpRecord>> = with_ids(dump::dmps(tx)?);
        let tasks: Vec<IdOut<TaskRecord>> = with_ids(dump::tasks(tx)?);
        let inputs: Vec<IdOut<TaskInput>> = with_ids(dump::task_inputs(tx)?);
        let files: Vec<IdOut<FileRecord>> = with_ids(dump::files(tx)?);
        let together = collaboration(tx, &dmps)?;
        Ok::<_, ServiceError>((
            users, projects, relations, dmps, tasks, inputs, files, together,
        ))
    })?;
    let (grants, revisions, comments, events) = together;
    for f in &files {
        // Only regular files, never through a symbolic link planted in `documents/`.
        let src = documents.join(&f.rec.disk_name);
        if is_safe_name(&f.rec.disk_name)
            && std::fs::symlink_metadata(&src).is_ok_and(|m| m.file_type().is_file())
        {
            private::copy_regular(&src, &dir.join("documents").join(&f.rec.disk_name))
                .map_err(|e| ServiceError::io(format!("copying {}", f.rec.disk_name), e))?;
        }
    }
    let counts = BTreeMap::from([
        ("users".to_owned(), users.len()),
        ("projects".to_owned(), projects.len()),
        ("relations".to_owned(), relations.len()),
        ("dmps".to_owned(), dmps.len()),
        ("tasks".to_owned(), tasks.len()),
        ("task_inputs".to_owned(), inputs.len()),
        ("files".to_owned(), files.len()),
        ("grants".to_owned(), grants.len()),
        ("revisions".to_owned(), revisions.len()),
        ("comments".to_owned(), comments.len()),
        ("events".to_owned(), events.len()),
    ]);
    write_json(dir, "users.json", &users)?;
    write_json(dir, "projects.json", &projects)?;
    write_json(dir, "relations.json", &relations)?;
    write_json(dir, "dmps.json", &dmps)?;
    write_json(dir, "tasks.json", &tasks)?;
    write_json(dir, "task_inputs.json", &inputs)?;
    write_json(dir, "files.json", &files)?;
    write_json(dir, "grants.json", &grants)?;
    write_json(dir, "revisions.json", &revisions)?;
    write_json(dir, "comments.json", &comments)?;
    write_json(dir, "events.json", &events)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        schema_version: SCHEMA_VERSION,
        dmptool_version: env!("CARGO_PKG_VERSION").into(),
        exported_at: crate::domain::time::iso8601(crate::domain::time::now_millis()),
        with_hashes,
        counts,
    };
    write_json(dir, "manifest.json", &manifest)?;
    Ok(manifest)
}

fn oid(s: &str) -> Result<[u8; 12]> {
    let mut b = [0u8; 12];
    hex::decode_to_slice(s, &mut b)
        .map_err(|_| ServiceError::Invalid(format!("'{s}' is not an id")))?;
    Ok(b)
}

impl Services {
    /// Reads an export into this database, which must hold no data. One transaction; the
    /// documents are copied before it commits and removed again if it does not.
    pub fn import_export(&self, dir: &Path) -> Result<Manifest> {
        let manifest: Manifest = read_json(dir, "manifest.json")?;
        if manifest.format != FORMAT || manifest.format_version > FORMAT_VERSION {
            return Err(ServiceError::Invalid(format!(
                "{} is not a dmptool export this version can read (format {} v{})",
                dir.display(),
                manifest.format,
                manifest.format_version
            )));
        }
        let users: Vec<UserOut> = read_json(dir, "users.json")?;
        let projects_in: Vec<ProjectOut> = read_json(dir, "projects.json")?;
        let relations: Vec<RelationOut> = read_json(dir, "relations.json")?;
        let dmps_in: Vec<IdOut<DmpRecord>> = read_json(dir, "dmps.json")?;
        let tasks_in: Vec<IdOut<TaskRecord>> = read_json(dir, "tasks.json")?;
        let inputs: Vec<IdOut<TaskInput>> = read_json(dir, "task_inputs.json")?;
        let files_in: Vec<IdOut<FileRecord>> = read_json(dir, "files.json")?;
        let grants_in: Vec<GrantOut> = read_json_or_empty(dir, "grants.json")?;
        let revisions_in: Vec<RevisionOut> = read_json_or_empty(dir, "revisions.json")?;
        let comments_in: Vec<CommentOut> = read_json_or_empty(dir, "comments.json")?;
        let events_in: Vec<EventOut> = read_json_or_empty(dir, "events.json")?;
        // The documents folder itself must be a folder of the export, not a link to one
        // elsewhere (`documents -> /etc` would make `shadow` an importable document).
        let docs_in = dir.join("documents");
        match std::fs::symlink_metadata(&docs_in) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(_) => {
                return Err(ServiceError::Invalid(format!(
                    "{} is not a folder (a symbolic link?); nothing was imported",
                    docs_in.display()
                )));
            }
            Err(_) => {}
        }
        let docs = self.documents_dir();
        // Files copied so far, removed again if the import fails. (The write may run twice,
        // see `Store::write`: a second run copies the same files and may list them twice.)
        let mut copied = Vec::new();
        let result = self.store.write(|tx| {
            if !dump::is_empty(tx)? {
                return Err(ServiceError::Invalid(
                    "the database holds data: import into an empty data dir (or `dmptool admin reset` first)".into(),
                ));
            }
            let dup = |what: &str, id: &str| ServiceError::Invalid(format!("the export lists {what} {id} twice"));
            for u in &users {
                users::insert(tx, &u.rec, Some(u.id))?.ok_or_else(|| dup("user", &u.rec.username))?;
            }
            for p in &projects_in {
                projects::insert(tx, &p.rec, Some(p.id))?.ok_or_else(|| dup("project", &p.rec.name))?;
            }
            for r in &relations {
                if users::get(tx, r.user)?.is_none() || projects::get(tx, r.project)?.is_none() {
                    return Err(ServiceError::Invalid(format!("relation ({}, {}) names a missing user or project", r.user, r.project)));
                }
                projects::add_member(tx, r.user, r.project)?;
            }
            // A plan's revisions go in before the plan, whose insert then finds its current
            // one already there.
            let mut ordered: Vec<&RevisionOut> = revisions_in.iter().collect();
            ordered.sort_by(|a, b| (&a.dmp, a.number).cmp(&(&b.dmp, b.number)));
            for r in ordered {
                if !crate::store::revisions::put(tx, oid(&r.dmp)?, r.number, &r.header, &r.document)? {
                    return Err(dup("revision", &format!("{} of DMP {}", r.number, r.dmp)));
                }
            }
            for d in &dmps_in {
                if !dmps::insert(
                    tx,
                    oid(&d.id)?,
                    &d.rec,
                    &crate::store::revisions::Edit::by(d.rec.owner, "admin-import"),
                )? {
                    return Err(dup("DMP", &d.id));
                }
            }
            for g in &grants_in {
                use crate::domain::Grantee;
                let dmp = oid(&g.dmp)?;
                let grantee = match g.kind.as_str() {
                    "user" if users::get(tx, g.id)?.is_some() => Grantee::User(g.id),
                    "project" if projects::get(tx, g.id)?.is_some() => Grantee::Project(g.id),
                    _ => return Err(ServiceError::Invalid(format!("grant on DMP {} names a missing {} {}", g.dmp, g.kind, g.id))),
                };
                if dmps::owner_of(tx, dmp)?.is_none() {
                    return Err(ServiceError::Invalid(format!("grant on missing DMP {}", g.dmp)));
                }
                crate::store::grants::set(tx, dmp, grantee, g.role)?;
            }
            for c in &comments_in {
                crate::store::comments::put(tx, oid(&c.dmp)?, oid(&c.id)?, &c.rec)?;
            }
            for e in &events_in {
                crate::store::events::put(tx, oid(&e.dmp)?, oid(&e.id)?, &e.rec)?;
            }
            for t in &tasks_in {
                if !tasks::insert(tx, oid(&t.id)?, &t.rec)? {
                    return Err(dup("task", &t.id));
                }
            }
            for i in &inputs {
                tasks::put_input(tx, oid(&i.id)?, &i.rec)?;
            }
            for f in &files_in {
                if !is_safe_name(&f.rec.disk_name) {
                    return Err(ServiceError::Invalid(format!("file {}: unsafe name {:?}", f.id, f.rec.disk_name)));
                }
                let src = dir.join("documents").join(&f.rec.disk_name);
                // lstat: a symbolic link (to /etc/shadow, say) or anything else that is not
                // a regular file is refused, never followed; the copy opens with O_NOFOLLOW.
                match std::fs::symlink_metadata(&src) {
                    Ok(m) if m.file_type().is_file() => {
                        private::copy_regular(&src, &docs.join(&f.rec.disk_name))
                            .map_err(|e| ServiceError::Invalid(format!("copying {}: {e}", src.display())))?;
                        copied.push(f.rec.disk_name.clone());
                    }
                    Ok(_) => {
                        return Err(ServiceError::Invalid(format!(
                            "{} is not a regular file (a symbolic link?); nothing was imported",
                            src.display()
                        )));
                    }
                    Err(_) => {}
                }
                files::put(tx, &f.id, &f.rec)?;
            }
            let problems = crate::store::integrity::check(tx)?;
            if let Some(first) = problems.first() {
                return Err(ServiceError::Invalid(format!("the export is inconsistent: {first}")));
            }
            // No token issued before the import names an account of it.
            crate::store::meta::new_epoch(tx)?;
            Ok(())
        });
        if let Err(e) = result {
            for name in &copied {
                let _ = std::fs::remove_file(docs.join(name));
            }
            return Err(e);
        }
        Ok(manifest)
    }
}

//! Bench-only seeding: fills a data dir straight through the store (no HTTP, no per-user
//! password hashing) with USERS users named bench0, bench1, ... (password "bench-password"),
//! DMPS plans spread evenly over them (each a copy of the fixture plan), and TASKS done
//! tasks on bench0's first plan; with REVISIONS, each plan is changed until it has that many
//! revisions (its name and purpose edited each time). Prints the raw JSON size of the plans
//! as they are now and of all their revisions.
//!
//! cargo run --release --example seed -- DATA_DIR USERS DMPS TASKS [REVISIONS]

use std::path::PathBuf;

use dmptool::domain::time::now_millis;
use dmptool::domain::{DmpId, TaskId, TaskStatus};
use dmptool::service::passwords;
use dmptool::store::records::{DmpRecord, TaskRecord, UserRecord};
use dmptool::store::revisions::Edit;
use dmptool::store::{Store, dmps, tasks, users};
use serde_json::{Map, Value};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().collect();
    let (dir, n_users, n_dmps, n_tasks, n_revisions) = match args.as_slice() {
        [_, d, u, p, t] => (d, u, p, t, "1"),
        [_, d, u, p, t, r] => (d, u, p, t, r.as_str()),
        _ => return Err("usage: seed DATA_DIR USERS DMPS TASKS [REVISIONS]".into()),
    };
    let (n_users, n_dmps, n_tasks, n_revisions): (u64, u64, u64, u64) = (
        n_users.parse()?,
        n_dmps.parse()?,
        n_tasks.parse()?,
        n_revisions.parse::<u64>()?.max(1),
    );
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    let store = Store::open(&dir.join(dmptool::service::DB_FILE))?;
    let fixture: Map<String, Value> = serde_json::from_slice(&std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dmp-posted-by-frontend.json"
    ))?)?;
    let hash = passwords::hash("bench-password")?;
    let now = now_millis();
    let mut ids = Vec::new();
    store.write(|tx| {
        for u in 0..n_users {
            let rec = UserRecord {
                username: format!("bench{u}"),
                email: Some(format!("bench{u}@example.org")),
                password_hash: hash.clone(),
                admin: u == 0,
                created: now,
                updated: now,
                token_gen: 0,
                legacy_id: None,
                locale: None,
            };
            ids.push(users::insert(tx, &rec, None)?.ok_or("user exists")?);
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    })?;
    let mut raw = 0u64;
    let mut raw_history = 0u64;
    let mut first = None;
    let per_batch = (20_000 / n_revisions).max(1);
    let mut done = 0;
    while done < n_dmps {
        let upto = (done + per_batch).min(n_dmps);
        store.write(|tx| {
            for i in done..upto {
                let owner = ids[(i % n_users) as usize];
                let mut doc = fixture.clone();
                doc.insert("name".into(), Value::String(format!("Plan {i}")));
                let size = serde_json::to_vec(&doc)?.len() as u64;
                raw_history += size;
                let mut rec = DmpRecord {
                    owner,
                    created: now,
                    updated: now,
                    version: 1,
                    doc,
                };
                let id = DmpId::generate();
                let edit = Edit::by(owner, "api");
                dmps::insert(tx, id.bytes(), &rec, &edit)?;
                let mut last = size;
                for r in 2..=n_revisions {
                    rec.version = r;
                    rec.updated = now + r as i64;
                    rec.doc
                        .insert("name".into(), Value::String(format!("Plan {i}, draft {r}")));
                    let purpose = format!("Revision {r} of the purpose of plan {i}.");
                    rec.doc.insert("purpose".into(), Value::String(purpose));
                    last = serde_json::to_vec(&rec.doc)?.len() as u64;
                    raw_history += last;
                    dmps::update(tx, id.bytes(), &rec, &edit)?;
                }
                raw += last;
                if first.is_none() {
                    first = Some((id, owner));
                }
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })?;
        done = upto;
        eprint!("\r{done} plans");
    }
    eprintln!();
    if let Some((dmp, owner)) = first {
        store.write(|tx| {
            for _ in 0..n_tasks {
                let rec = TaskRecord {
                    dmp: dmp.to_string(),
                    owner,
                    status: TaskStatus::Done,
                    created: now,
                    updated: now,
                    dmp_version: 1,
                    docx: None,
                    pdf: None,
                    error: None,
                    superseded_by: None,
                    warnings: Vec::new(),
                };
                tasks::insert(tx, TaskId::generate().bytes(), &rec)?;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })?;
        println!("first_dmp={dmp}");
    }
    println!("raw_json_bytes={raw}");
    println!("raw_history_bytes={raw_history}");
    Ok(())
}

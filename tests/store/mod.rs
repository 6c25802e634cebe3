//! Storage tests on real redb files: indexes agree with records through create, update and
//! delete; the consistency check does catch a broken index; key encodings are pinned; a
//! database from a newer dmptool is refused.

use dmptool::domain::{TaskId, UserId};
use dmptool::service::madmp::Served;
use dmptool::service::{Caller, Services, Settings};
use dmptool::store::{Store, StoreError, integrity, meta, tables};
use redb::Value as _;
use serde_json::json;

fn services(dir: &std::path::Path) -> Services {
    Services::open(dir, Settings::default(), None).unwrap()
}

fn caller(s: &Services, name: &str) -> Caller {
    let id = s.create_user(name, None, "pw", false).unwrap();
    Caller {
        id: UserId(id.0),
        username: name.into(),
        admin: false,
    }
}

#[test]
fn indexes_agree_with_records_through_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let s = services(dir.path());
    let check = |s: &Services| {
        let problems = s.store.read(integrity::check).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");
    };
    let ana = caller(&s, "ana");
    let bob = caller(&s, "bob");
    s.create_project("azotea", "").unwrap();
    s.create_project("spectra", "").unwrap();
    s.add_member("ana", "azotea").unwrap();
    s.add_member("bob", "azotea").unwrap();
    s.add_member("ana", "spectra").unwrap();
    check(&s);
    let mut dmps = Vec::new();
    for i in 0..20 {
        let who = if i % 2 == 0 { &ana } else { &bob };
        dmps.push((who.clone(), s.create_dmp(who, json!({"name": i})).unwrap()));
    }
    for (who, id) in &dmps[..10] {
        s.update_dmp(who, *id, json!({"name": "changed"}), &Default::default())
            .unwrap();
        let t = s.create_task(who, *id, None).unwrap();
        s.complete_task_with_documents(t, b"d", b"p").unwrap();
        s.create_task(who, *id, None).unwrap();
    }
    check(&s);
    // maDMP imports, overwrites and conditional deletes move the time indexes too.
    let doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/madmp/ex9-dmp-long.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let imported = s
        .import_madmp(&ana, doc.clone(), &Served::assumed("http://x"))
        .unwrap();
    let pre = dmptool::service::madmp::Precondition::default();
    s.replace_madmp(
        &ana,
        &imported.id.to_string(),
        doc.clone(),
        &pre,
        &Served::assumed("http://x"),
    )
    .unwrap();
    // The same plan again is `dmp_already_exists`; under another identifier it is new.
    let unique = Served {
        unique_dmp_id: true,
        ..Served::assumed("http://x")
    };
    let again = s.import_madmp(&ana, doc.clone(), &unique);
    assert!(matches!(
        again,
        Err(dmptool::service::ServiceError::AlreadyExists(_))
    ));
    let mut doc = doc;
    doc["dmp"]["dmp_id"]["identifier"] = json!("10.0000/another");
    let second = s
        .import_madmp(&ana, doc, &Served::assumed("http://x"))
        .unwrap();
    check(&s);
    s.delete_own_dmp(&ana, &second.id.to_string(), &pre)
        .unwrap();
    check(&s);
    for (who, id) in &dmps[5..15] {
        s.delete_dmp(who, *id).unwrap();
    }
    check(&s);
    s.remove_member("ana", "spectra").unwrap();
    s.delete_project("azotea").unwrap();
    check(&s);
    s.delete_user("bob").unwrap();
    check(&s);
    assert_eq!(s.list_dmps(&ana, false, 0, usize::MAX).unwrap().total, 6);
    assert_eq!(s.list_users().unwrap().len(), 1);
}

#[test]
fn the_check_reports_a_broken_index() {
    let dir = tempfile::tempdir().unwrap();
    let s = services(dir.path());
    let ana = caller(&s, "ana");
    let id = s.create_dmp(&ana, json!({})).unwrap();
    s.store
        .write(|tx| {
            tx.open_table(tables::DMPS_BY_OWNER)?
                .remove((ana.id.0, id.bytes()))?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let problems = s.store.read(integrity::check).unwrap();
    // The missing row, and the owner's count of plans that no longer matches the index.
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("owner index"), "{problems:?}");
    assert!(
        problems[1].contains("owns 0 DMPs but their count says 1"),
        "{problems:?}"
    );
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let s = services(dir.path());
    caller(&s, "ana");
    // A duplicate name is refused inside the transaction that would have claimed it.
    assert!(s.create_user("ana", None, "pw", false).is_err());
    assert_eq!(s.list_users().unwrap().len(), 1);
    let err = s.create_user("bad name", None, "pw", false).unwrap_err();
    assert!(err.to_string().contains("username"), "{err}");
    let problems = s.store.read(integrity::check).unwrap();
    assert!(problems.is_empty());
}

#[test]
fn tasks_of_a_dmp_come_newest_first_from_the_index() {
    let dir = tempfile::tempdir().unwrap();
    // Fifty waiting tasks of one user: past the default cap.
    let settings = Settings {
        max_pending_tasks: 50,
        ..Settings::default()
    };
    let s = Services::open(dir.path(), settings, None).unwrap();
    let ana = caller(&s, "ana");
    let dmp = s.create_dmp(&ana, json!({})).unwrap();
    let ids: Vec<TaskId> = (0..50)
        .map(|_| s.create_task(&ana, dmp, None).unwrap())
        .collect();
    let listed: Vec<TaskId> = s
        .list_tasks(
            &ana,
            &dmptool::service::tasks::TaskFilter {
                dmp: Some(dmp),
                ..dmptool::service::tasks::TaskFilter::all(usize::MAX)
            },
        )
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(listed, expected);
}

#[test]
fn key_encodings_are_pinned() {
    // The on-disk layout of the index keys: if a redb upgrade changes it, this fails and a
    // migration is due.
    let owner_key =
        <(u64, [u8; 12]) as redb::Value>::as_bytes(&(0x0102_0304_0506_0708, [0xaa; 12]));
    let mut expected = 0x0102_0304_0506_0708u64.to_le_bytes().to_vec();
    expected.extend([0xaa; 12]);
    assert_eq!(owner_key, expected);
    let status_key = <(u8, [u8; 12]) as redb::Value>::as_bytes(&(2, [0x01; 12]));
    let mut expected = vec![2u8];
    expected.extend([0x01; 12]);
    assert_eq!(status_key, expected);
    assert_eq!(<[u8; 12]>::fixed_width(), Some(12));
    assert_eq!(<(u64, [u8; 12])>::fixed_width(), Some(20));
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dmptool.redb");
    {
        let store = Store::open(&path).unwrap();
        store
            .write(|tx| {
                meta::set(
                    tx,
                    meta::SCHEMA_VERSION_KEY,
                    dmptool::store::SCHEMA_VERSION + 1,
                )?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
    match Store::open(&path) {
        Err(StoreError::SchemaTooNew { found, .. }) => {
            assert_eq!(found, dmptool::store::SCHEMA_VERSION + 1)
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a newer schema was accepted"),
    }
}

#[test]
fn opening_twice_reports_the_lock_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dmptool.redb");
    let _first = Store::open(&path).unwrap();
    match Store::open(&path) {
        Err(e @ StoreError::Locked { .. }) => {
            assert!(e.to_string().contains(path.to_str().unwrap()))
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("opened twice"),
    }
}

#[test]
fn an_upgrade_keeps_a_copy_of_the_old_database_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dmptool.redb");
    {
        // A version-1 database: no task-inputs table yet.
        let store = Store::open(&path).unwrap();
        store
            .write(|tx| {
                tx.delete_table(tables::TASK_INPUTS)?;
                meta::set(tx, meta::SCHEMA_VERSION_KEY, 1)?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store
            .read(|tx| meta::get(tx, meta::SCHEMA_VERSION_KEY))
            .unwrap(),
        Some(dmptool::store::SCHEMA_VERSION)
    );
    let backups: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("dmptool.redb.v1-") && n.ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    // Owner only, like the database itself (it holds the same password hashes).
    for f in [path.clone(), dir.path().join(&backups[0])] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    drop(store);
    // The copy is the old database, untouched.
    let old = redb::Database::open(dir.path().join(&backups[0])).unwrap();
    let tx = redb::ReadableDatabase::begin_read(&old).unwrap();
    let v = tx
        .open_table(tables::META)
        .unwrap()
        .get(meta::SCHEMA_VERSION_KEY)
        .unwrap()
        .unwrap()
        .value();
    assert_eq!(v, 1);
    assert!(
        tx.open_table(tables::TASK_INPUTS).is_err(),
        "the copy was not migrated"
    );
    // A second open finds nothing to upgrade and copies nothing.
    drop(tx);
    drop(old);
    Store::open(&path).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn the_version_3_upgrade_indexes_existing_dmps_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let ana;
    {
        let s = services(dir.path());
        ana = caller(&s, "ana");
        for i in 0..5 {
            s.create_dmp(&ana, json!({"name": i})).unwrap();
        }
        // As a version-2 database had it: no time indexes.
        s.store
            .write(|tx| {
                tx.delete_table(tables::DMPS_BY_CREATED)?;
                tx.delete_table(tables::DMPS_BY_MODIFIED)?;
                meta::set(tx, meta::SCHEMA_VERSION_KEY, 2)?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
    let s = services(dir.path());
    let problems = s.store.read(integrity::check).unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    let q = dmptool::service::madmp::MadmpQuery {
        count: 100,
        ..Default::default()
    };
    assert_eq!(
        s.list_madmp(&ana, &q, &Served::assumed("http://x"))
            .unwrap()
            .total,
        5
    );
}

#[derive(Debug)]
enum Refusal {
    Store(#[allow(dead_code)] StoreError),
    Refused,
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e)
    }
}

/// Group commit: writers that arrive together share a transaction, so one writer failing
/// (after writing) or panicking must not take its neighbours' writes with it, nor leave
/// anything of its own; and every acknowledged write is there after a reopen.
#[test]
fn concurrent_writers_share_commits_without_sharing_failures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let store = std::sync::Arc::new(Store::open(&path).unwrap());
    let threads: u64 = 16;
    let per_thread = 60;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for i in 0..per_thread {
                    let key = format!("test-{t}-{i}");
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        store.write(|tx| {
                            meta::set(tx, &key, i)?;
                            match i % 7 {
                                3 => Err(Refusal::Refused),
                                5 if t.is_multiple_of(4) => {
                                    panic!("a writer panics mid-transaction")
                                }
                                _ => Ok(()),
                            }
                        })
                    }));
                    match outcome {
                        Ok(Ok(())) => acked.push(key),
                        Ok(Err(Refusal::Refused)) => assert_eq!(i % 7, 3),
                        Ok(Err(e)) => panic!("{key}: {e:?}"),
                        Err(_) => assert!(i % 7 == 5 && t.is_multiple_of(4)),
                    }
                }
                acked
            })
        })
        .collect();
    let acked: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let refused_or_panicked = |key: &str| {
        let mut parts = key.rsplit('-');
        let i: u64 = parts.next().unwrap().parse().unwrap();
        let t: u64 = parts.next().unwrap().parse().unwrap();
        i % 7 == 3 || (i % 7 == 5 && t.is_multiple_of(4))
    };
    let expected = (0..threads)
        .flat_map(|t| (0..per_thread).map(move |i| format!("test-{t}-{i}")))
        .filter(|k| !refused_or_panicked(k))
        .count();
    assert_eq!(acked.len(), expected);
    drop(store);
    let store = Store::open(&path).unwrap();
    store
        .read(|tx| {
            for t in 0..threads {
                for i in 0..per_thread {
                    let key = format!("test-{t}-{i}");
                    let found = meta::get(tx, &key)?;
                    if refused_or_panicked(&key) {
                        assert_eq!(found, None, "{key} failed, yet was written");
                    } else {
                        assert_eq!(found, Some(i), "{key} was acknowledged, yet is missing");
                    }
                }
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

/// The writer thread (writes from async code): the same rule as blocking writers, with
/// both kinds writing at once.
#[test]
fn the_writer_thread_keeps_every_acknowledged_write_and_nothing_of_a_failed_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let store = std::sync::Arc::new(Store::open(&path).unwrap());
    let writer = std::sync::Arc::new(dmptool::store::writer::Writer::start(store.clone()).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let fails = |i: u64| i % 5 == 2;
    let panics = |i: u64| i % 11 == 7;
    // Blocking writers alongside, in the same batches.
    let blocking = {
        let store = store.clone();
        std::thread::spawn(move || {
            for i in 0..200u64 {
                store
                    .write(|tx| meta::set(tx, &format!("sync-{i}"), i))
                    .unwrap();
            }
        })
    };
    let acked: Vec<u64> = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..400u64 {
            // Each write on its own task, so many wait for the writer at once.
            let writer = writer.clone();
            set.spawn(async move {
                let key = format!("async-{i}");
                let result = writer
                    .write(move |tx| {
                        meta::set(tx, &key, i)?;
                        if panics(i) {
                            panic!("a write panics mid-transaction");
                        }
                        if fails(i) {
                            return Err(Refusal::Refused);
                        }
                        Ok(i)
                    })
                    .await;
                match result {
                    Ok(i) => Some(i),
                    Err(Refusal::Refused) => {
                        assert!(fails(i));
                        None
                    }
                    Err(Refusal::Store(e)) => {
                        assert!(panics(i), "async-{i}: {e:?}");
                        None
                    }
                }
            });
        }
        let mut acked = Vec::new();
        while let Some(r) = set.join_next().await {
            acked.extend(r.unwrap());
        }
        acked
    });
    blocking.join().unwrap();
    assert_eq!(
        acked.len(),
        (0..400u64).filter(|&i| !fails(i) && !panics(i)).count()
    );
    drop(writer);
    drop(rt);
    drop(store);
    let store = Store::open(&path).unwrap();
    store
        .read(|tx| {
            for i in 0..400u64 {
                let found = meta::get(tx, &format!("async-{i}"))?;
                let expected = (!fails(i) && !panics(i)).then_some(i);
                assert_eq!(found, expected, "async-{i}");
            }
            for i in 0..200u64 {
                assert_eq!(meta::get(tx, &format!("sync-{i}"))?, Some(i), "sync-{i}");
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

#[test]
fn the_version_4_upgrade_indexes_folded_names_and_keeps_older_look_alikes_working() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = services(dir.path());
        caller(&s, "ana");
        // As a version-3 database could hold it: "ANA" beside "ana", no folded index.
        s.store
            .write(|tx| {
                let mut rec = dmptool::store::users::get(tx, 1)?.unwrap();
                rec.username = "ANA".into();
                tx.open_table(tables::USERS)?
                    .insert(7, dmptool::store::records::encode(&rec)?.as_slice())?;
                tx.open_table(tables::USER_BY_NAME)?.insert("ANA", 7)?;
                tx.delete_table(tables::USER_BY_FOLD)?;
                meta::set(tx, meta::SCHEMA_VERSION_KEY, 3)?;
                meta::set(tx, meta::NEXT_USER_ID, 8)?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
    let s = services(dir.path());
    let problems = s.store.read(integrity::check).unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    // Each keeps its exact name; a new look-alike is refused.
    assert_eq!(s.login("ana", "pw", None).unwrap().user_id, UserId(1));
    assert_eq!(s.login("ANA", "pw", None).unwrap().user_id, UserId(7));
    assert!(s.create_user("Ana", None, "pw", false).is_err());
    assert!(s.create_user("bob", None, "pw", false).is_ok());
    // Deleting the one that holds the folded name hands it to the other look-alike.
    s.delete_user("ana").unwrap();
    let problems = s.store.read(integrity::check).unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(s.create_user("ana", None, "pw", false).is_err());
    assert_eq!(s.login("ana", "pw", None).unwrap().user_id, UserId(7));
}

/// Holds the writer thread in a round (an async write whose closure waits for `open`), so
/// that writes handed over meanwhile are all queued when its closure returns, and join
/// that round. (Run again after a failure, the closure finds `open` gone and goes on.)
fn occupy_the_writer(
    rt: &tokio::runtime::Runtime,
    writer: &std::sync::Arc<dmptool::store::writer::Writer>,
) -> (
    std::sync::mpsc::Sender<()>,
    tokio::task::JoinHandle<Result<(), StoreError>>,
) {
    let (open, gate) = std::sync::mpsc::channel::<()>();
    let (running, started) = std::sync::mpsc::channel::<()>();
    let writer = writer.clone();
    let held = rt.spawn(async move {
        writer
            .write(move |tx| {
                let _ = running.send(());
                let _ = gate.recv_timeout(std::time::Duration::from_secs(10));
                meta::set(tx, "gate", 1)
            })
            .await
    });
    started
        .recv_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    (open, held)
}

/// Waits (at most a second) until `n` writes are queued behind the writer thread's round.
fn until_queued(store: &Store, n: usize) {
    let start = std::time::Instant::now();
    while store.queued_writes() < n && start.elapsed() < std::time::Duration::from_secs(1) {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// One queue for both doors: a blocking write (`Store::write`) and an asynchronous one
/// (`Writer::write`) that arrive while a round runs join it: one transaction and one
/// durable commit for all.
#[test]
fn a_blocking_and_an_async_write_that_arrive_together_share_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let store = std::sync::Arc::new(Store::open(&path).unwrap());
    let writer = std::sync::Arc::new(dmptool::store::writer::Writer::start(store.clone()).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let (open, held) = occupy_the_writer(&rt, &writer);
    let before = store.commits();
    let blocking = {
        let store = store.clone();
        std::thread::spawn(move || store.write(|tx| meta::set(tx, "blocking", 2)))
    };
    let queued = {
        let writer = writer.clone();
        rt.spawn(async move { writer.write(|tx| meta::set(tx, "async", 3)).await })
    };
    until_queued(&store, 2);
    open.send(()).unwrap();
    drop(open);
    rt.block_on(held).unwrap().unwrap();
    blocking.join().unwrap().unwrap();
    rt.block_on(queued).unwrap().unwrap();
    // Both joined the held write's round: one commit for the three.
    assert_eq!(store.commits() - before, 1);
    drop(writer);
    drop(rt);
    drop(store);
    let store = Store::open(&path).unwrap();
    store
        .read(|tx| {
            assert_eq!(meta::get(tx, "blocking")?, Some(2));
            assert_eq!(meta::get(tx, "async")?, Some(3));
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

/// In one round: a blocking write that panics, an async one that panics and a blocking one
/// that fails are each answered alone (the blocking panic resumed in its caller's thread),
/// and the others of the round are committed together; nothing of the failed ones is kept.
#[test]
fn a_panicking_write_in_a_round_does_not_lose_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let store = std::sync::Arc::new(Store::open(&path).unwrap());
    let writer = std::sync::Arc::new(dmptool::store::writer::Writer::start(store.clone()).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let (open, held) = occupy_the_writer(&rt, &writer);
    let before = store.commits();
    let blocking = |key: &'static str, how: u8| {
        let store = store.clone();
        std::thread::spawn(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                store.write(|tx| {
                    meta::set(tx, key, 1)?;
                    match how {
                        1 => panic!("a blocking write panics mid-transaction"),
                        2 => Err(Refusal::Refused),
                        _ => Ok(()),
                    }
                })
            }))
        })
    };
    let queued = |key: &'static str, panics: bool| {
        let writer = writer.clone();
        rt.spawn(async move {
            writer
                .write(move |tx| {
                    meta::set(tx, key, 1)?;
                    if panics {
                        panic!("an async write panics mid-transaction");
                    }
                    Ok::<_, StoreError>(())
                })
                .await
        })
    };
    let first = blocking("blocking-ok-1", 0);
    until_queued(&store, 1);
    let panicking = blocking("blocking-panics", 1);
    until_queued(&store, 2);
    let async_ok = queued("async-ok", false);
    until_queued(&store, 3);
    let async_panics = queued("async-panics", true);
    until_queued(&store, 4);
    let refused = blocking("blocking-refused", 2);
    until_queued(&store, 5);
    let last = blocking("blocking-ok-2", 0);
    until_queued(&store, 6);
    open.send(()).unwrap();
    drop(open);
    rt.block_on(held).unwrap().unwrap();
    assert!(matches!(first.join().unwrap(), Ok(Ok(()))));
    assert!(
        panicking.join().unwrap().is_err(),
        "the panic was not resumed"
    );
    assert!(rt.block_on(async_ok).unwrap().is_ok());
    assert!(matches!(
        rt.block_on(async_panics).unwrap(),
        Err(StoreError::Commit(_))
    ));
    assert!(matches!(refused.join().unwrap(), Ok(Err(Refusal::Refused))));
    assert!(matches!(last.join().unwrap(), Ok(Ok(()))));
    // One round: run again after each failure, committed once.
    assert_eq!(store.commits() - before, 1);
    drop(writer);
    drop(rt);
    drop(store);
    let store = Store::open(&path).unwrap();
    store
        .read(|tx| {
            for key in ["blocking-ok-1", "async-ok", "blocking-ok-2"] {
                assert_eq!(
                    meta::get(tx, key)?,
                    Some(1),
                    "{key} was acknowledged, yet is missing"
                );
            }
            for key in ["blocking-panics", "async-panics", "blocking-refused"] {
                assert_eq!(meta::get(tx, key)?, None, "{key} failed, yet was written");
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

#[test]
fn a_plans_events_keep_the_order_they_were_appended_in_whatever_their_ids() {
    use dmptool::store::events::{self, EventRecord};
    let dir = tempfile::tempdir().unwrap();
    let s = services(dir.path());
    let ana = caller(&s, "ana");
    let dmp = s.create_dmp(&ana, json!({"name": "p"})).unwrap().bytes();
    let event = |kind: &str| EventRecord {
        time: 0,
        actor: 0,
        kind: kind.into(),
        detail: serde_json::Value::Null,
    };
    // An event whose id sorts after any made now (another process's, a clock set back).
    let later = dmptool::domain::ObjectId::generate_at(u32::MAX - 1).bytes();
    s.store
        .write(|tx| {
            tx.open_table(tables::EVENTS)?.insert(
                (dmp, later),
                serde_json::to_vec(&event("first")).unwrap().as_slice(),
            )?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    s.store
        .write(|tx| events::append(tx, dmp, &event("second")))
        .unwrap();
    let newest: Vec<String> = s
        .store
        .read(|tx| events::newest(tx, dmp, 0, 10))
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(newest, ["second", "first"]);
}

#[test]
fn a_plans_comments_list_in_the_order_they_were_made_whatever_their_ids() {
    use dmptool::service::comments::{NewComment, ThreadFilter};
    use dmptool::store::comments::{self, Anchor, CommentRecord};
    let dir = tempfile::tempdir().unwrap();
    let s = services(dir.path());
    let ana = caller(&s, "ana");
    let dmp = s.create_dmp(&ana, json!({"name": "p"})).unwrap();
    // A comment whose id sorts after any made now (made before a restart in the same
    // second, by a process whose ids had a larger random part).
    let later = dmptool::domain::ObjectId::generate_at(u32::MAX - 1).bytes();
    let first = CommentRecord {
        author: ana.id.0,
        created: 0,
        updated: 0,
        anchor: Anchor::Plan,
        text: "first".into(),
        parent: None,
        revision: 1,
        resolved: false,
        resolved_by: None,
        resolved_at: None,
    };
    s.store
        .write(|tx| comments::put(tx, dmp.bytes(), later, &first))
        .unwrap();
    let new = NewComment {
        text: "second".into(),
        ..NewComment::default()
    };
    s.add_comment(&ana, dmp, &new).unwrap();
    let texts: Vec<String> = s
        .list_comments(&ana, dmp, &ThreadFilter::default())
        .unwrap()
        .into_iter()
        .map(|t| t.comment.text)
        .collect();
    assert_eq!(texts, ["first", "second"]);
}

#[test]
fn the_version_5_upgrade_gives_every_plan_its_current_state_as_a_revision() {
    let dir = tempfile::tempdir().unwrap();
    let (id, edited) = {
        let s = services(dir.path());
        let ana = caller(&s, "ana");
        let id = s.create_dmp(&ana, json!({"name": "old plan"})).unwrap();
        let edited = s.create_dmp(&ana, json!({"name": "edited"})).unwrap();
        s.update_dmp(
            &ana,
            edited,
            json!({"name": "edited twice"}),
            &Default::default(),
        )
        .unwrap();
        // As a version-4 database holds them: no history, no grants.
        s.store
            .write(|tx| {
                tx.delete_table(tables::REVISIONS)?;
                tx.delete_table(tables::REVISION_DOCS)?;
                tx.delete_table(tables::DMP_GRANTS)?;
                meta::set(tx, meta::SCHEMA_VERSION_KEY, 4)?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        (id, edited)
    };
    let s = services(dir.path());
    let problems = s.store.read(integrity::check).unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    let ana = Caller {
        id: UserId(1),
        username: "ana".into(),
        admin: false,
    };
    let (revs, total) = s.list_revisions(&ana, id, 0, 10).unwrap();
    assert_eq!(total, 1);
    assert_eq!((revs[0].number, revs[0].via.as_str()), (1, "upgrade"));
    assert_eq!(revs[0].author, "ana");
    // A plan at version 2 keeps that number for its first kept revision.
    let (revs, _) = s.list_revisions(&ana, edited, 0, 10).unwrap();
    assert_eq!(revs.iter().map(|r| r.number).collect::<Vec<_>>(), [2]);
    let (_, doc) = s.get_revision(&ana, edited, 2).unwrap();
    assert_eq!(doc["name"], "edited twice");
    // A copy of the version-4 file was kept beside it.
    let backups = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".v4-"))
        .count();
    assert_eq!(backups, 1);
}

#[test]
fn every_revision_reads_back_as_written_across_keyframes_and_deltas() {
    let dir = tempfile::tempdir().unwrap();
    let s = services(dir.path());
    let ana = caller(&s, "ana");
    let id = s
        .create_dmp(&ana, json!({"name": "draft 1", "purpose": "words 1"}))
        .unwrap();
    let mut expected = vec![json!({"name": "draft 1", "purpose": "words 1"})];
    for n in 2..=40 {
        let purpose = format!("words {n}, {}", "and more ".repeat(n));
        s.update_dmp(
            &ana,
            id,
            json!({"name": format!("draft {n}"), "purpose": purpose}),
            &Default::default(),
        )
        .unwrap();
        expected.push(json!({"name": format!("draft {n}"), "purpose": purpose}));
    }
    for (i, want) in expected.iter().enumerate() {
        let (rev, doc) = s.get_revision(&ana, id, i as u64 + 1).unwrap();
        assert_eq!(rev.number, i as u64 + 1);
        assert_eq!(&serde_json::Value::Object(doc), want, "revision {}", i + 1);
    }
    // A restore of an old one (its keyframe long past) makes revision 41 of it.
    s.restore_revision(&ana, id, 3, &Default::default())
        .unwrap();
    let (_, doc) = s.get_revision(&ana, id, 41).unwrap();
    assert_eq!(serde_json::Value::Object(doc), expected[2]);
}

#[test]
fn the_version_6_upgrade_gives_every_plan_its_summary_and_every_owner_a_count() {
    use dmptool::service::plan_list::{PlanOrder, PlanQuery};
    let dir = tempfile::tempdir().unwrap();
    {
        let s = services(dir.path());
        let ana = caller(&s, "ana");
        s.create_dmp(&ana, json!({"name": "Zeta", "template": "horizon-europe"}))
            .unwrap();
        let id = s.create_dmp(&ana, json!({"name": "alpha"})).unwrap();
        s.update_dmp(
            &ana,
            id,
            json!({"name": "Alpha, edited"}),
            &Default::default(),
        )
        .unwrap();
        s.create_dmp(&ana, json!({"name": 7})).unwrap();
        // As a version-5 database holds them: no summaries.
        s.store
            .write(|tx| {
                tx.delete_table(tables::DMP_SUMMARIES)?;
                tx.delete_table(tables::DMP_COUNTS)?;
                meta::set(tx, meta::SCHEMA_VERSION_KEY, 5)?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
    let s = services(dir.path());
    let problems = s.store.read(integrity::check).unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    let ana = Caller {
        id: UserId(1),
        username: "ana".into(),
        admin: false,
    };
    let q = PlanQuery {
        order: PlanOrder::Title,
        limit: 10,
        ..Default::default()
    };
    let (plans, total) = s.plan_list(&ana, &q).unwrap();
    assert_eq!(total, 3);
    let titles: Vec<&str> = plans.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["", "Alpha, edited", "Zeta"]);
    assert_eq!(plans[1].version, 2);
    assert_eq!(plans[2].template, "Horizon Europe Data Management Plan");
    let backups = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".v5-"))
        .count();
    assert_eq!(backups, 1);
}

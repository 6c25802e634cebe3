//! `dmptool admin import-legacy`, `export` and `import` through the real binary, on the
//! legacy deployment fixture (tests/fixtures/legacy-deployment, with its manifest).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::{BIN, consistent, free_port, start};
use dmptool::domain::{DmpId, FileKind, TaskId, TaskStatus};
use dmptool::service::files::DownloadAuth;
use dmptool::service::{Caller, Services, Settings};
use serde_json::{Value, json};

fn legacy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-deployment")
}

fn admin(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data")
        .arg(data)
        .arg("admin")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn import_args(l: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "import-legacy".into(),
        "--sqlite".into(),
        l.join("dbase.db").display().to_string(),
        "--dmps".into(),
        l.join("dmps.json").display().to_string(),
        "--tasks".into(),
        l.join("tasks.json").display().to_string(),
    ];
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn run_import(data: &Path, l: &Path, extra: &[&str]) -> Output {
    let args = import_args(l, extra);
    admin(data, &args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn row(report: &str, what: &str) -> (usize, usize, usize) {
    let line = report
        .lines()
        .find(|l| l.starts_with(what))
        .unwrap_or_else(|| panic!("no {what} row: {report}"));
    let n: Vec<usize> = line
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect();
    (n[0], n[1], n[2])
}

fn manifest() -> Value {
    serde_json::from_str(&std::fs::read_to_string(legacy().join("manifest.json")).unwrap()).unwrap()
}

fn open(data: &Path) -> Services {
    Services::open(data, Settings::default(), None).unwrap()
}

fn caller(s: &Services, name: &str) -> Caller {
    let out = s.login(name, &password_of(name), None).unwrap();
    Caller {
        id: out.user_id,
        username: name.into(),
        admin: out.admin,
    }
}

fn password_of(name: &str) -> String {
    manifest()["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == name)
        .unwrap()["password"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_fixture_deployment_imports_completely() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let l = legacy();
    let out = run_import(
        &data,
        &l,
        &["--documents", l.join("documents").to_str().unwrap()],
    );
    let report = stdout(&out);
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = manifest();
    assert_eq!(
        row(&report, "users"),
        (m["users"].as_array().unwrap().len(), 0, 0)
    );
    assert_eq!(row(&report, "DMPs"), (15, 0, 0));
    assert_eq!(row(&report, "tasks"), (20, 0, 0));
    assert_eq!(row(&report, "documents"), (8, 0, 0));

    let s = open(&data);
    consistent(&s);
    // Every user logs in with the old password; the hash becomes argon2id.
    let projects: BTreeMap<i64, String> = m["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_i64().unwrap(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for u in m["users"].as_array().unwrap() {
        let name = u["username"].as_str().unwrap();
        let out = s
            .login(name, u["password"].as_str().unwrap(), None)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.admin, u["admin"].as_bool().unwrap(), "{name}");
        assert_eq!(out.email.as_deref(), u["email"].as_str());
        let mut want: Vec<String> = u["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| projects[&p.as_i64().unwrap()].clone())
            .collect();
        let mut got: Vec<String> = out.projects.iter().map(|p| p.name.clone()).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{name}'s projects");
        let id = dmptool::store::users::id_by_name;
        let hash = s
            .store
            .read(|tx| {
                Ok::<_, dmptool::store::StoreError>(
                    dmptool::store::users::get(tx, id(tx, name)?.unwrap())?
                        .unwrap()
                        .password_hash,
                )
            })
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{name}: hash not upgraded");
        assert!(s.login(name, "wrong", None).is_err());
        assert!(
            s.login(name, u["password"].as_str().unwrap(), None).is_ok(),
            "{name}: after upgrade"
        );
    }
    // Every DMP with its id, owner and time; every task with its id, DMP and timestamp.
    for (dmp, owner) in m["dmp_owner"].as_object().unwrap() {
        let c = caller(&s, owner.as_str().unwrap());
        let v = s
            .get_dmp(&c, dmptool::domain::DmpId::parse(dmp).unwrap())
            .unwrap();
        assert_eq!(v.owner_name, owner.as_str().unwrap());
        assert_eq!(
            v.created / 1000,
            i64::from(DmpId::parse(dmp).unwrap().0.timestamp_secs())
        );
    }
    let tasks: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(l.join("tasks.json")).unwrap()).unwrap();
    for t in &tasks {
        let id = t["_id"]["$oid"].as_str().unwrap();
        let dmp = t["dmp"].as_str().unwrap();
        let owner = m["dmp_owner"][dmp].as_str().unwrap();
        let c = caller(&s, owner);
        let view = s
            .get_task(&c, dmptool::domain::TaskId::parse(id).unwrap())
            .unwrap();
        assert_eq!(view.dmp, dmp);
        let when = match &t["timestamp"]["$date"] {
            Value::String(iso) => dmptool::domain::time::parse_iso8601(iso).unwrap(),
            other => panic!("fixture timestamp {other}"),
        };
        assert_eq!(view.created, when, "task {id} keeps its timestamp");
        // Documents download, byte for byte.
        if let Some(name) = t["url_docx"].as_str() {
            assert_eq!(view.docx.as_deref(), Some(name));
            let d = s
                .open_download(FileKind::Docx, name, DownloadAuth::Caller(&c))
                .unwrap();
            assert_eq!(
                std::fs::read(d.path).unwrap(),
                std::fs::read(l.join("documents").join(name)).unwrap()
            );
            let other = caller(&s, if owner == "jaime" { "esteban" } else { "jaime" });
            assert!(
                s.open_download(FileKind::Docx, name, DownloadAuth::Caller(&other))
                    .is_err(),
                "protected"
            );
        }
    }
    // The documents survive the server's start-up sweep.
    drop(s);
    let mut server = start(&data, free_port(), None);
    server.ready();
    server.terminate();
    let docx_files = std::fs::read_dir(data.join("documents"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".docx")
        })
        .count();
    assert!(
        docx_files >= 8,
        "{docx_files} DOCX files left after the start-up sweep"
    );
    let s = open(&data);
    let c = caller(&s, "rafael");
    let d = s
        .open_download(
            FileKind::Docx,
            "docbook-5fc3a48f09b8f52972b481ad.docx",
            DownloadAuth::Caller(&c),
        )
        .unwrap();
    assert!(d.path.is_file());
}

#[test]
fn running_it_twice_imports_nothing_twice_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let l = legacy();
    let docs = l.join("documents");
    let dry = run_import(
        &data,
        &l,
        &["--documents", docs.to_str().unwrap(), "--dry-run"],
    );
    assert!(dry.status.success());
    assert!(stdout(&dry).contains("nothing was written"));
    assert!(open(&data).list_users().unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(data.join("documents")).unwrap().count(),
        0
    );

    assert!(
        run_import(&data, &l, &["--documents", docs.to_str().unwrap()])
            .status
            .success()
    );
    let again = run_import(&data, &l, &["--documents", docs.to_str().unwrap()]);
    let report = stdout(&again);
    assert!(again.status.success(), "{report}");
    assert_eq!(row(&report, "users"), (0, 5, 0));
    assert_eq!(row(&report, "DMPs"), (0, 15, 0));
    assert_eq!(row(&report, "tasks"), (0, 20, 0));
    assert_eq!(row(&report, "documents"), (0, 8, 0));
    assert_eq!(
        std::fs::read_dir(data.join("documents")).unwrap().count(),
        8
    );
    consistent(&open(&data));
}

/// A dump with what cannot be imported as it is: an orphan plan, a task of a missing plan,
/// a taken username, an unreadable line, a missing document; canonical Extended JSON as
/// an array; a task without a timestamp.
fn broken_dump(dir: &Path) -> PathBuf {
    let l = legacy();
    let out = dir.join("broken");
    std::fs::create_dir_all(out.join("documents")).unwrap();
    std::fs::copy(l.join("dbase.db"), out.join("dbase.db")).unwrap();
    let mut dmps = std::fs::read_to_string(l.join("dmps.json")).unwrap();
    dmps.push_str("{\"_id\": {\"$oid\": \"5f0000000000000000000001\"}, \"user\": \"ghost\", \"name\": \"orphan\"}\n");
    dmps.push_str("this line is not JSON\n");
    std::fs::write(out.join("dmps.json"), dmps).unwrap();
    let tasks = json!([
        {"_id": {"$oid": "5f1fe45fa845a5b64b74b352"}, "dmp": "5f1fe3e71ccc9f2f584a112a", "status": "done",
         "timestamp": {"$date": {"$numberLong": "1595925599000"}}, "url_docx": "docbook-5f1fe3e71ccc9f2f584a112a.docx"},
        {"_id": {"$oid": "5f4788901670a9821bc72986"}, "dmp": "5f478818da087a3ebecc676a", "status": "pending"},
        {"_id": {"$oid": "5f4788901670a9821bc72987"}, "dmp": "5f0000000000000000000099", "status": "done"}
    ]);
    std::fs::write(
        out.join("tasks.json"),
        serde_json::to_string_pretty(&tasks).unwrap(),
    )
    .unwrap();
    out
}

#[test]
fn what_cannot_be_imported_is_reported_and_nothing_is_written_without_allow_skips() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let b = broken_dump(dir.path());
    // An account named like a legacy one, made here first.
    {
        let s = open(&data);
        s.create_user(
            "jaime",
            Some("other@example.org"),
            "not-the-legacy-one",
            false,
        )
        .unwrap();
    }
    let docs = b.join("documents");
    let out = run_import(&data, &b, &["--documents", docs.to_str().unwrap()]);
    let report = stdout(&out);
    assert!(!out.status.success(), "{report}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was written"));
    for reason in [
        "user 'jaime': the name is taken",
        "DMP 5f0000000000000000000001: owner 'ghost' does not exist",
        "dmps.json line 17: not JSON",
        "task 5f4788901670a9821bc72987: its DMP",
        "document 'docbook-5f1fe3e71ccc9f2f584a112a.docx' is not in",
    ] {
        assert!(report.contains(reason), "{reason:?} missing from\n{report}");
    }
    assert_eq!(
        open(&data).list_users().unwrap().len(),
        1,
        "nothing written"
    );

    // --allow-skips imports the rest; --orphans-to keeps the orphan.
    let out = run_import(
        &data,
        &b,
        &[
            "--documents",
            docs.to_str().unwrap(),
            "--allow-skips",
            "--orphans-to",
            "esteban",
        ],
    );
    let report = stdout(&out);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("owner 'ghost' does not exist; assigned to 'esteban'"),
        "{report}"
    );
    let s = open(&data);
    consistent(&s);
    let esteban = caller(&s, "esteban");
    let doc = s
        .get_dmp(
            &esteban,
            dmptool::domain::DmpId::parse("5f0000000000000000000001").unwrap(),
        )
        .unwrap()
        .doc;
    let doc: serde_json::Value = serde_json::from_str(doc.get()).unwrap();
    assert_eq!(doc["name"], "orphan");
    // The jaime of this installation is untouched; the legacy jaime's plans went to the
    // --orphans-to account, never to this jaime.
    assert!(s.login("jaime", "not-the-legacy-one", None).is_ok());
    // A task without a timestamp takes its ObjectId's time.
    let t = s
        .get_task(
            &esteban,
            dmptool::domain::TaskId::parse("5f4788901670a9821bc72986").unwrap(),
        )
        .unwrap();
    assert_eq!(
        t.created / 1000,
        i64::from(
            TaskId::parse("5f4788901670a9821bc72986")
                .unwrap()
                .0
                .timestamp_secs()
        )
    );
    assert_eq!(t.status, TaskStatus::Pending);
    // Canonical $numberLong dates are read.
    let done = s
        .get_task(
            &esteban,
            dmptool::domain::TaskId::parse("5f1fe45fa845a5b64b74b352").unwrap(),
        )
        .unwrap();
    assert_eq!(done.created, 1_595_925_599_000);
    assert!(done.docx.is_none(), "its document was missing");
}

#[test]
fn an_interrupted_import_leaves_the_database_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let dump = dir.path().join("big");
    std::fs::create_dir_all(&dump).unwrap();
    std::fs::copy(legacy().join("dbase.db"), dump.join("dbase.db")).unwrap();
    let mut lines = String::new();
    for i in 0..60_000u32 {
        lines.push_str(&format!(
            "{{\"_id\": {{\"$oid\": \"6000000000000000{i:08x}\"}}, \"user\": \"esteban\", \"name\": \"plan {i}\", \"purpose\": \"{}\"}}\n",
            "p".repeat(200)
        ));
    }
    std::fs::write(dump.join("dmps.json"), lines).unwrap();
    std::fs::write(dump.join("tasks.json"), "[]").unwrap();
    {
        // Something already there, which must survive.
        open(&data).create_user("keeper", None, "pw", true).unwrap();
    }
    let args = import_args(&dump, &[]);
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(&data)
        .arg("admin")
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it once it reports progress on the plans: the transaction is open, not committed.
    use std::io::BufRead;
    let stderr = child.stderr.take().unwrap();
    let mut seen = false;
    for line in std::io::BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
    {
        if line.starts_with("importing DMPs:") && !line.ends_with("60000/60000") {
            seen = true;
            child.kill().unwrap();
            break;
        }
    }
    child.wait().unwrap();
    assert!(seen, "no progress line before the end");
    let s = open(&data);
    let users = s.list_users().unwrap();
    assert_eq!(
        users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["keeper"]
    );
    assert_eq!(
        s.store
            .read(|tx| dmptool::store::dmps::page_all(tx, 0, 1))
            .unwrap()
            .1,
        0
    );
    consistent(&s);
    drop(s);
    // And it can simply be run again.
    let out = run_import(&data, &dump, &[]);
    assert!(out.status.success());
    assert_eq!(row(&stdout(&out), "DMPs"), (60_000, 0, 0));
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            for (k, v) in tree(&p) {
                out.insert(format!("{}/{k}", e.file_name().to_string_lossy()), v);
            }
        } else if e.file_name() != "manifest.json" {
            out.insert(
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            );
        }
    }
    out
}

#[test]
fn export_then_import_yields_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let l = legacy();
    assert!(
        run_import(
            &a,
            &l,
            &["--documents", l.join("documents").to_str().unwrap()]
        )
        .status
        .success()
    );
    {
        // Some activity on top: a rendered task, a pending one with its snapshot.
        let s = open(&a);
        let c = caller(&s, "rafael");
        let t = s
            .create_task(
                &c,
                dmptool::domain::DmpId::parse("5fc3a48f09b8f52972b481ad").unwrap(),
                None,
            )
            .unwrap();
        s.complete_task_with_documents(t, b"docx", b"pdf").unwrap();
        s.create_task(
            &c,
            dmptool::domain::DmpId::parse("5fc3a48f09b8f52972b481ad").unwrap(),
            None,
        )
        .unwrap();
        // And a plan written together: a revision, a grant, a comment (with its events).
        let d = dmptool::domain::DmpId::parse("5fc3a48f09b8f52972b481ad").unwrap();
        s.update_dmp(
            &c,
            d,
            json!({"name": "Renamed together"}),
            &Default::default(),
        )
        .unwrap();
        s.share_dmp(
            &c,
            d,
            &dmptool::service::sharing::GranteeName::User("maria.lopez".into()),
            dmptool::domain::Role::Commenter,
        )
        .unwrap();
        let new = dmptool::service::comments::NewComment {
            text: "Which licence?".into(),
            ..Default::default()
        };
        s.add_comment(&c, d, &new).unwrap();
    }
    let (e1, e2) = (dir.path().join("export1"), dir.path().join("export2"));
    let out = admin(&a, &["export", e1.to_str().unwrap(), "--with-hashes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(&b, &["import", e1.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = admin(&b, &["export", e2.to_str().unwrap(), "--with-hashes"]);
    assert!(out.status.success());
    let (t1, t2) = (tree(&e1), tree(&e2));
    assert_eq!(t1.keys().collect::<Vec<_>>(), t2.keys().collect::<Vec<_>>());
    for (k, v) in &t1 {
        assert!(v == &t2[k], "{k} differs after the round trip");
    }
    assert!(t1.keys().any(|k| k.starts_with("documents/")));
    // The history, grants, comments and events came along.
    let listed = |name: &str| -> Vec<Value> {
        serde_json::from_slice::<Vec<Value>>(&std::fs::read(e1.join(name)).unwrap()).unwrap()
    };
    let revisions = listed("revisions.json");
    assert!(
        revisions
            .iter()
            .any(|r| r["document"]["name"] == "Renamed together")
    );
    assert!(
        revisions.len() > listed("dmps.json").len(),
        "{}",
        revisions.len()
    );
    assert_eq!(listed("grants.json")[0]["role"], "commenter");
    assert_eq!(listed("comments.json")[0]["text"], "Which licence?");
    assert!(listed("events.json").iter().any(|e| e["kind"] == "shared"));
    {
        let s = open(&b);
        consistent(&s);
        assert!(
            s.login("maria.lopez", &password_of("maria.lopez"), None)
                .is_ok()
        );
    }
    // Import refuses a database with data, and a folder that is not an export.
    let out = admin(&b, &["import", e1.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds data"), "{err}");
    let out = admin(&dir.path().join("c"), &["import", l.to_str().unwrap()]);
    assert!(!out.status.success());
}

#[test]
fn export_works_while_the_server_runs_and_imports_ask_to_stop_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut s = start(&data, free_port(), Some("pw"));
    s.ready();
    let e = dir.path().join("export");
    let out = admin(&data, &["export", e.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let users: Value =
        serde_json::from_str(&std::fs::read_to_string(e.join("users.json")).unwrap()).unwrap();
    assert_eq!(users[0]["username"], "admin");
    assert_eq!(
        users[0]["password_hash"], "",
        "no hashes unless --with-hashes"
    );
    let out = run_import(&data, &legacy(), &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop the dmptool server"));
    s.terminate();
}

/// An export of a data dir with one user, one plan and its documents, made under `root`;
/// returns an empty data dir to import into, the export, and its DOCX's name on disk.
fn export_with_one_document(
    root: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let (a, b) = (root.join("a"), root.join("b"));
    let disk_name = {
        let s = open(&a);
        let id = s.create_user("ana", None, "pw", false).unwrap();
        let c = Caller {
            id,
            username: "ana".into(),
            admin: false,
        };
        let dmp = s.create_dmp(&c, json!({"name": "plan"})).unwrap();
        let t = s.create_task(&c, dmp, None).unwrap();
        s.complete_task_with_documents(t, b"docx", b"pdf").unwrap();
        let docx = s.get_task(&c, t).unwrap().docx.unwrap();
        s.store
            .read(|tx| dmptool::store::files::get(tx, &docx))
            .unwrap()
            .unwrap()
            .disk_name
    };
    let e = root.join("export");
    assert!(admin(&a, &["export", e.to_str().unwrap()]).status.success());
    (b, e, disk_name)
}

#[test]
fn import_refuses_a_symbolic_link_in_the_exports_documents_and_copies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (b, e, disk_name) = export_with_one_document(dir.path());
    // The export's document is swapped for a link to a file only its owner should read.
    let secret = dir.path().join("shadow");
    std::fs::write(&secret, b"root:$6$secret").unwrap();
    let planted = e.join("documents").join(&disk_name);
    std::fs::remove_file(&planted).unwrap();
    std::os::unix::fs::symlink(&secret, &planted).unwrap();
    let out = admin(&b, &["import", e.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    let copied: Vec<_> = std::fs::read_dir(b.join("documents"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(copied.is_empty(), "{copied:?}");
    let s = open(&b);
    assert!(s.list_users().unwrap().is_empty(), "nothing imported");
}

/// The ids of the legacy DMPs owned by `user` in the fixture.
fn legacy_dmps_of(user: &str) -> Vec<String> {
    std::fs::read_to_string(legacy().join("dmps.json"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|d| d["user"] == user)
        .map(|d| d["_id"]["$oid"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_skipped_users_plans_tasks_and_documents_never_go_to_another_account_of_that_name() {
    let dir = tempfile::tempdir().unwrap();
    let l = legacy();
    let docs = l.join("documents");
    let theirs = legacy_dmps_of("esteban");
    assert_eq!(theirs.len(), 4);
    for orphans_to in [None, Some("rafael")] {
        let data = dir.path().join(orphans_to.unwrap_or("plain"));
        {
            // This installation's own "esteban", not the legacy one.
            let s = open(&data);
            s.create_user("esteban", None, "local-esteban", false)
                .unwrap();
        }
        let mut extra = vec!["--documents", docs.to_str().unwrap(), "--allow-skips"];
        if let Some(to) = orphans_to {
            extra.extend(["--orphans-to", to]);
        }
        let out = run_import(&data, &l, &extra);
        let report = stdout(&out);
        assert!(out.status.success(), "{report}");
        assert!(
            report.contains("user 'esteban': the name is taken"),
            "{report}"
        );
        let s = open(&data);
        consistent(&s);
        let local = s.login("esteban", "local-esteban", None).unwrap();
        let local = Caller {
            id: local.user_id,
            username: "esteban".into(),
            admin: false,
        };
        assert_eq!(
            s.list_dmps(&local, false, 0, 100).unwrap().total,
            0,
            "the local esteban got none of the legacy esteban's plans"
        );
        assert!(
            s.list_tasks(&local, &dmptool::service::tasks::TaskFilter::all(100))
                .unwrap()
                .is_empty()
        );
        let gone = s.user_deletion_preview("esteban").unwrap();
        assert_eq!((gone.dmps, gone.tasks, gone.files), (0, 0, 0));
        match orphans_to {
            None => {
                for id in &theirs {
                    assert!(
                        report.contains(&format!("DMP {id}: its owner 'esteban' was not imported")),
                        "{id} not reported in\n{report}"
                    );
                }
                assert!(report.contains("was skipped, so the task"), "{report}");
                let (_, _, skipped) = row(&report, "DMPs");
                assert_eq!(skipped, 4, "{report}");
                let (_, _, skipped) = row(&report, "tasks");
                assert_eq!(skipped, 2, "{report}");
            }
            Some(to) => {
                let rafael = caller(&s, to);
                for id in &theirs {
                    assert!(
                        report.contains(&format!(
                            "DMP {id}: its owner 'esteban' was not imported (see the user's line); assigned to 'rafael'"
                        )),
                        "{report}"
                    );
                    assert!(
                        s.get_dmp(&rafael, dmptool::domain::DmpId::parse(id).unwrap())
                            .is_ok()
                    );
                }
                let (_, _, skipped) = row(&report, "DMPs");
                assert_eq!(skipped, 0, "{report}");
            }
        }
    }
}

#[test]
fn import_refuses_an_exports_documents_folder_that_is_a_link_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let (b, e, disk_name) = export_with_one_document(dir.path());
    // documents/ becomes a link to a folder elsewhere holding a "document" of that name.
    let elsewhere = dir.path().join("etc");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join(&disk_name), b"root:$6$secret").unwrap();
    std::fs::remove_dir_all(e.join("documents")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, e.join("documents")).unwrap();
    let out = admin(&b, &["import", e.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a folder"), "{err}");
    let s = open(&b);
    assert!(s.list_users().unwrap().is_empty(), "nothing imported");
}

//! A full disk: the data dir on a small tmpfs. Writes fail with a JSON 507, the server stays
//! up and serves reads, nothing acknowledged is lost, and writes work again once space is
//! freed. A document that cannot be written marks its task `error`, never `done`.
//! Needs root (to mount a tmpfs), as CI has; elsewhere it says so and stops, unless
//! DMPTOOL_REQUIRE_ROOT_TESTS=1 (set by .ci/run) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{self, Server, call, login, start};
use serde_json::{Value, json};

const PW: &str = "disk-full-admin-pw";

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Self> {
        if unsafe { libc::geteuid() } != 0 {
            assert!(
                std::env::var_os("DMPTOOL_REQUIRE_ROOT_TESTS").is_none(),
                "the disk-full test needs root to mount a tmpfs"
            );
            eprintln!("skipped: the disk-full test needs root to mount a tmpfs");
            return None;
        }
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mount tmpfs failed");
        Some(Tmpfs(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Polls task `id` until it ends in error (within 20 s); it must never be `done`
/// (`done_means` says why that would be wrong). Returns the task.
fn task_error(s: &Server, token: &str, id: &str, done_means: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, v) = call(s, "GET", &format!("/tasks/{id}"), token, None);
        let st = v["status"].as_str().unwrap_or("").to_owned();
        assert_ne!(st, "done", "{done_means}: {v}");
        if st == "error" {
            return v;
        }
        assert!(Instant::now() < deadline, "task never finished: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_full_disk_refuses_writes_with_507_keeps_what_was_acknowledged_and_recovers() {
    let root = tempfile::tempdir().unwrap();
    let Some(_mount) = Tmpfs::mount(root.path(), "24m") else {
        return;
    };
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut s = start(&data, support::free_port(), Some(PW));
    s.ready();
    let (status, v) = login(&s, "admin", PW);
    assert_eq!(status, 200);
    let t = v["access_token"].as_str().unwrap().to_owned();

    // Ballast to free later.
    let ballast = root.path().join("ballast");
    std::fs::write(&ballast, vec![1u8; 4 << 20]).unwrap();

    // Fill the disk with plans of ~200 KB until the server refuses.
    let filler = "x".repeat(200 * 1024);
    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..400 {
        let (status, v) = call(
            &s,
            "POST",
            "/dmps",
            &t,
            Some(&json!({"name": format!("p{i}"), "notes": filler})),
        );
        match status {
            201 => acked.push((v["id"].as_str().unwrap().to_owned(), format!("p{i}"))),
            507 | 503 => {
                assert!(v["error"].is_string(), "{v}");
                refused = Some(status);
                break;
            }
            other => panic!("POST /dmps answered {other}: {v}"),
        }
    }
    assert!(refused.is_some(), "the disk never filled");
    assert!(!acked.is_empty());
    eprintln!("{} plans stored before the disk was full", acked.len());

    // Still up: reads work, writes keep failing cleanly.
    for (id, name) in &acked {
        let (status, v) = call(&s, "GET", &format!("/dmps/{id}"), &t, None);
        assert_eq!(status, 200);
        assert_eq!(v["name"], name.as_str());
    }
    let (status, _) = call(
        &s,
        "PUT",
        &format!("/dmps/{}", acked[0].0),
        &t,
        Some(&json!({"notes": filler})),
    );
    assert!(status == 507 || status == 503 || status == 200, "{status}");

    // A document that cannot be written: its task ends in error, never done.
    let (status, v) = call(&s, "POST", "/tasks", &t, Some(&json!({"dmp": acked[0].0})));
    if status == 201 {
        let id = v["id"].as_str().unwrap().to_owned();
        let v = task_error(&s, &t, &id, "a document was reported done on a full disk");
        assert!(v["error"].is_string());
        eprintln!("task on a full disk: error: {}", v["error"]);
    } else {
        eprintln!("POST /tasks on a full disk: {status}");
        assert!(
            status == 507 || status == 503,
            "POST /tasks answered {status}: {v}"
        );
    }

    // Space freed: writes work again, and everything acknowledged is still there.
    std::fs::remove_file(&ballast).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        let (status, v) = call(&s, "POST", "/dmps", &t, Some(&json!({"name": "after"})));
        if status == 201 {
            break v["id"].as_str().unwrap().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "writes did not recover: {status} {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let (status, _) = call(&s, "GET", &format!("/dmps/{id}"), &t, None);
    assert_eq!(status, 200);
    let (status, list) = call(&s, "GET", "/dmps", &t, None);
    assert_eq!(status, 200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    for (_, name) in &acked {
        assert!(names.contains(&name.as_str()), "{name} lost");
    }
    // And after a restart too.
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    drop(s);
    let mut s = start(&data, support::free_port(), Some(PW));
    s.ready();
    let (_, v) = login(&s, "admin", PW);
    let t = v["access_token"].as_str().unwrap().to_owned();
    for (id, name) in &acked {
        let (status, v) = call(&s, "GET", &format!("/dmps/{id}"), &t, None);
        assert_eq!(status, 200);
        assert_eq!(v["name"], name.as_str());
    }
}

#[test]
fn a_document_that_cannot_be_written_marks_its_task_error_never_done() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let docs = data.join("documents");
    std::fs::create_dir_all(&docs).unwrap();
    // Room for the database, none for documents: a 16 KB file system under documents/.
    let Some(_mount) = Tmpfs::mount(&docs, "16k") else {
        return;
    };
    std::fs::write(docs.join("ballast"), vec![1u8; 12 * 1024]).unwrap_or(());
    let mut s = start(&data, support::free_port(), Some(PW));
    s.ready();
    let (_, v) = login(&s, "admin", PW);
    let t = v["access_token"].as_str().unwrap().to_owned();
    let fixture: Value = serde_json::from_slice(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/dmp-posted-by-frontend.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let (status, v) = call(&s, "POST", "/dmps", &t, Some(&fixture));
    assert_eq!(status, 201);
    let dmp = v["id"].as_str().unwrap().to_owned();
    let (status, v) = call(&s, "POST", "/tasks", &t, Some(&json!({"dmp": dmp})));
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let v = task_error(
        &s,
        &t,
        &id,
        "a document was reported done without room to write it",
    );
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("space") || msg.contains("full"), "{msg}");
    assert!(v["url_docx"].is_null() || v["url_docx"] == "", "{v}");
    // No half-written file is left behind.
    let left: Vec<String> = std::fs::read_dir(&docs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "ballast")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // The server still works.
    let (status, _) = call(&s, "GET", &format!("/dmps/{dmp}"), &t, None);
    assert_eq!(status, 200);
}

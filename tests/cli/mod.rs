//! The real binary: help, configuration errors, and a server run end to end (start, log in,
//! write, log out, SIGTERM, restart, a second instance refused).

mod admin;
mod config_reference;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;

use crate::support::{BIN, Server, agent, free_port, login, start, start_with};
use serde_json::{Value, json};

fn dmptool(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("DMPTOOL_DATA")
        .env_remove("DMPTOOL_CONFIG")
        .output()
        .unwrap()
}

fn stderr_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_owned()
}

#[test]
fn help_with_question_mark_and_long_flag() {
    for args in [&["-?"][..], &["--help"], &["-h"]] {
        let out = dmptool(args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        for cmd in ["serve", "runserver", "runprodserver", "openapi"] {
            assert!(text.contains(cmd), "{cmd} missing from help");
        }
    }
    let out = dmptool(&["runserver", "-?"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("-h, --host"), "{text}");
    assert!(text.contains("-p, --port"), "{text}");
}

#[test]
fn version_is_printed() {
    let out = dmptool(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn openapi_subcommand_prints_the_committed_document() {
    let out = dmptool(&["openapi"]);
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.yaml"))
            .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        committed.trim_end()
    );
    let json_out = dmptool(&["openapi", "--format", "json"]);
    let v: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert!(v["paths"]["/dmps"].is_object());
}

#[test]
fn bad_configuration_fails_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("dmptool.toml");
    std::fs::write(&cfg, "prot = 5000\n").unwrap();
    let data = dir.path().join("data");
    let out = dmptool(&[
        "--config",
        cfg.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "serve",
    ]);
    assert!(!out.status.success());
    let err = stderr_line(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("prot") && err.contains("dmptool.toml"),
        "{err}"
    );

    let out = dmptool(&[
        "--data",
        data.to_str().unwrap(),
        "serve",
        "--access-token-ttl",
        "soon",
    ]);
    assert!(!out.status.success());
    assert!(stderr_line(&out).contains("soon"));
    let out = dmptool(&[
        "--data",
        data.to_str().unwrap(),
        "serve",
        "--cors-origin",
        "example.org",
    ]);
    assert!(!out.status.success());
    assert!(stderr_line(&out).contains("http"));
    for bad in [
        "dmp.example.org",
        "https://dmp.example.org/?x=1",
        "ftp://dmp.example.org",
    ] {
        let out = dmptool(&[
            "--data",
            data.to_str().unwrap(),
            "serve",
            "--public-url",
            bad,
        ]);
        assert!(!out.status.success(), "{bad}");
        let err = stderr_line(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("public_url"), "{err}");
    }
    let out = dmptool(&["--config", "/nonexistent/dmptool.toml", "serve"]);
    assert!(!out.status.success());
    assert!(stderr_line(&out).contains("/nonexistent/dmptool.toml"));
}

#[test]
fn server_runs_end_to_end_and_keeps_revocations_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let mut s = start(&data, port, Some("first-admin-pw"));
    s.ready();

    let (status, v) = login(&s, "admin", "first-admin-pw");
    assert_eq!(status, 200, "{v}");
    let token = v["access_token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {token}");
    let mut r = agent()
        .post(&s.url("/dmps"))
        .header("Authorization", &bearer)
        .send_json(json!({"name": "Plan kept across restarts", "purpose": "p"}))
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let id = r.body_mut().read_json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A second server on the same data dir is refused at once, naming the data dir.
    let second = Command::new(BIN)
        .args([
            "--data",
            data.to_str().unwrap(),
            "serve",
            "--port",
            &free_port().to_string(),
        ])
        .env("DMPTOOL_ADMIN_PASSWORD", "x")
        .output()
        .unwrap();
    assert!(!second.status.success());
    let err = stderr_line(&second);
    assert!(
        err.contains("in use by another process") && err.contains(data.to_str().unwrap()),
        "{err}"
    );

    // The signing secret was generated into the data dir, owner-only.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("jwt-secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The health probe containers use.
    let probe = Command::new(BIN)
        .args(["health", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    assert!(String::from_utf8_lossy(&probe.stdout).contains("\"status\":\"ok\""));
    let r = agent()
        .delete(&s.url("/logout"))
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (status, log) = s.terminate();
    assert!(status.success(), "exit {status}: {log:#?}");
    assert!(
        log.iter()
            .any(|l| l.contains("\"status\":201") && l.contains("/dmps")),
        "request log: {log:#?}"
    );

    let mut s = start(&data, port, None);
    s.ready();
    let r = agent()
        .get(&s.url("/dmps"))
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        401,
        "a logged-out token works again after a restart"
    );
    let (_, v) = login(&s, "admin", "first-admin-pw");
    let bearer = format!("Bearer {}", v["access_token"].as_str().unwrap());
    let mut r = agent()
        .get(&s.url(&format!("/dmps/{id}")))
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.body_mut().read_json::<Value>().unwrap()["name"],
        "Plan kept across restarts"
    );
    let (status, _) = s.terminate();
    assert!(status.success());
}

#[test]
fn first_start_logs_a_generated_admin_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut s = start(&data, free_port(), None);
    s.ready();
    s.drain();
    let line = s
        .log
        .iter()
        .find(|l| l.contains("first administrator"))
        .unwrap_or_else(|| panic!("no admin line: {:#?}", s.log))
        .clone();
    let v: Value = serde_json::from_str(&line).unwrap();
    let password = v["password"].as_str().unwrap().to_owned();
    let (status, body) = login(&s, "admin", &password);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["admin"], true);
    let (status, _) = s.terminate();
    assert!(status.success());
    let mut s = start(&data, free_port(), None);
    s.ready();
    let (_, log) = s.terminate();
    assert!(
        !log.iter().any(|l| l.contains("first administrator")),
        "admin made twice"
    );
}

#[test]
fn the_health_probe_fails_without_a_server() {
    let out = Command::new(BIN)
        .args(["health", "--port", &free_port().to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr_line(&out).contains("no server at 127.0.0.1"),
        "{}",
        stderr_line(&out)
    );
}

#[test]
fn a_busy_port_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(BIN)
        .args([
            "--data",
            dir.path().join("d").to_str().unwrap(),
            "serve",
            "--port",
            &port,
        ])
        .env("DMPTOOL_ADMIN_PASSWORD", "x")
        .env("DMPTOOL_LOG", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr_line(&out);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
}

/// The frontend's flow from the compatibility contract, as a browser at another origin runs
/// it against the real binary: preflight before each call, then the call itself.
#[test]
fn frontend_contract_flow_against_the_binary() {
    const ORIGIN: &str = "https://dmp.example.org";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.args([
        "--data",
        data.to_str().unwrap(),
        "serve",
        "--port",
        &port.to_string(),
        "--cors-origin",
        ORIGIN,
    ])
    .env("DMPTOOL_ADMIN_PASSWORD", "pw")
    .env("DMPTOOL_LOG", "warn")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let mut s = Server {
        child: cmd.spawn().unwrap(),
        port,
        lines: mpsc::channel().1,
        log: Vec::new(),
    };
    s.ready();
    let a = agent();
    let preflight = |method: &str, path: &str| {
        let r = a
            .options(&s.url(path))
            .header("Origin", ORIGIN)
            .header("Access-Control-Request-Method", method)
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type",
            )
            .call()
            .unwrap();
        assert!(
            r.status().is_success(),
            "preflight {method} {path}: {}",
            r.status()
        );
        let allow = r
            .headers()
            .get("access-control-allow-headers")
            .unwrap()
            .to_str()
            .unwrap()
            .to_lowercase();
        assert!(allow.contains("authorization") && allow.contains("content-type"));
    };
    let cors = |r: &ureq::http::Response<ureq::Body>| {
        assert_eq!(
            r.headers().get("access-control-allow-origin").unwrap(),
            ORIGIN
        );
    };

    // 1. Login.
    preflight("GET", "/login");
    let mut r = a
        .get(&s.url("/login"))
        .header("Origin", ORIGIN)
        .header("Authorization", "Basic YWRtaW46cHc=")
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    cors(&r);
    let v: Value = r.body_mut().read_json().unwrap();
    for k in ["access_token", "username", "project", "project_description"] {
        assert!(v[k].is_string(), "{k}");
    }
    let bearer = format!("Bearer {}", v["access_token"].as_str().unwrap());

    // 4. Create with the exact body the frontend posts, then the task.
    let body = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dmp-posted-by-frontend.json"),
    )
    .unwrap();
    preflight("POST", "/dmps");
    let mut r = a
        .post(&s.url("/dmps"))
        .header("Origin", ORIGIN)
        .header("Authorization", &bearer)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .send(body.as_bytes())
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    cors(&r);
    let id = r.body_mut().read_json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    preflight("POST", "/tasks");
    let mut r = a
        .post(&s.url("/tasks"))
        .header("Origin", ORIGIN)
        .header("Authorization", &bearer)
        .send_json(json!({"dmp": id}))
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let task = r.body_mut().read_json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // 3. List (a GET carrying Content-Type with no body).
    preflight("GET", "/dmps");
    let mut r = a
        .get(&s.url("/dmps"))
        .header("Origin", ORIGIN)
        .header("Authorization", &bearer)
        .header("Content-Type", "application/json")
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    cors(&r);
    let list: Value = r.body_mut().read_json().unwrap();
    assert_eq!(list[0]["_id"], id.as_str());
    assert!(list[0]["purpose"].is_string());

    // 7. Document status, newest first.
    let mut r = a
        .get(&s.url(&format!("/tasks?id_dmp={id}")))
        .header("Origin", ORIGIN)
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    let tasks: Value = r.body_mut().read_json().unwrap();
    assert_eq!(tasks[0]["_id"], task.as_str());
    assert!(
        ["pending", "running", "done", "error"].contains(&tasks[0]["status"].as_str().unwrap())
    );
    // 8. One task; the worker makes the documents right away.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let done = loop {
        let mut r = a
            .get(&s.url(&format!("/tasks/{task}")))
            .header("Authorization", &bearer)
            .call()
            .unwrap();
        let t: Value = r.body_mut().read_json().unwrap();
        assert_eq!(t["dmp"], id.as_str());
        if t["status"] == "done" {
            break t;
        }
        assert_ne!(t["status"], "error", "{t}");
        assert!(
            std::time::Instant::now() < deadline,
            "the task never finished: {t}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    // The download is a plain link: no Authorization header.
    let mut r = a
        .get(&s.url(&format!(
            "/resources/docx/{}",
            done["url_docx"].as_str().unwrap()
        )))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=")
    );
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert!(
        r.body_mut()
            .read_to_vec()
            .unwrap()
            .starts_with(b"PK\x03\x04")
    );
    let mut r = a
        .get(&s.url(&format!(
            "/resources/pdf/{}",
            done["url_pdf"].as_str().unwrap()
        )))
        .call()
        .unwrap();
    assert!(r.body_mut().read_to_vec().unwrap().starts_with(b"%PDF-"));

    // 5. Edit: GET then PUT the whole form, then a task again.
    let mut r = a
        .get(&s.url(&format!("/dmps/{id}")))
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    let mut form: Value = r.body_mut().read_json().unwrap();
    form["name"] = json!("Edited in the browser");
    preflight("PUT", &format!("/dmps/{id}"));
    let mut r = a
        .put(&s.url(&format!("/dmps/{id}")))
        .header("Origin", ORIGIN)
        .header("Authorization", &bearer)
        .send_json(&form)
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    cors(&r);
    assert_eq!(
        r.body_mut().read_json::<Value>().unwrap()["id"],
        id.as_str()
    );

    // 6. Delete.
    preflight("DELETE", &format!("/dmps/{id}"));
    let mut r = a
        .delete(&s.url(&format!("/dmps/{id}")))
        .header("Origin", ORIGIN)
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    cors(&r);
    assert!(r.body_mut().read_json::<Value>().unwrap().is_object());

    // An error still carries the CORS grant, so the app can read it.
    let r = a
        .get(&s.url(&format!("/dmps/{id}")))
        .header("Origin", ORIGIN)
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    cors(&r);
    let (status, _) = s.terminate();
    assert!(status.success());
}

/// `dmptool ARGS` run under `umask 000`, so any mode left to the umask shows as 0666/0777.
fn under_umask_000(args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .env_remove("DMPTOOL_CONFIG")
        .env_remove("DMPTOOL_JWT_SECRET");
    cmd
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_data_dir_database_documents_backups_and_exports_are_owner_only_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let port = free_port();
    let mut s = Server {
        child: under_umask_000(&["--data", d, "serve", "--port", &port.to_string()])
            .env("DMPTOOL_ADMIN_PASSWORD", "pw")
            .env("DMPTOOL_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        port,
        lines: mpsc::channel().1,
        log: Vec::new(),
    };
    s.ready();
    let (_, v) = login(&s, "admin", "pw");
    let bearer = format!("Bearer {}", v["access_token"].as_str().unwrap());
    let a = agent();
    let mut r = a
        .post(&s.url("/dmps"))
        .header("Authorization", &bearer)
        .send_json(json!({"name": "plan"}))
        .unwrap();
    let id = r.body_mut().read_json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut r = a
        .post(&s.url("/tasks"))
        .header("Authorization", &bearer)
        .send_json(json!({"dmp": id}))
        .unwrap();
    let task = r.body_mut().read_json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let v: Value = a
            .get(&s.url(&format!("/tasks/{task}")))
            .header("Authorization", &bearer)
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap();
        if v["status"] == "done" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "task not done: {v}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // A backup taken through the running server lands in the caller's file, 0600.
    let online = dir.path().join("online.redb");
    let out = under_umask_000(&["--data", d, "admin", "backup", online.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    s.terminate();

    assert_eq!(mode(&data), 0o700, "data dir");
    assert_eq!(mode(&data.join("documents")), 0o700, "documents dir");
    assert_eq!(mode(&data.join("dmptool.redb")), 0o600, "database");
    assert_eq!(mode(&data.join("jwt-secret")), 0o600, "signing secret");
    let docs: Vec<_> = std::fs::read_dir(data.join("documents"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(docs.len(), 2, "{docs:?}");
    for doc in &docs {
        assert_eq!(mode(doc), 0o600, "{}", doc.display());
    }
    assert_eq!(mode(&online), 0o600, "backup through the server");

    let offline = dir.path().join("offline.redb");
    let export = dir.path().join("export");
    for args in [
        &["--data", d, "admin", "backup", offline.to_str().unwrap()][..],
        &[
            "--data",
            d,
            "admin",
            "export",
            export.to_str().unwrap(),
            "--with-hashes",
        ],
    ] {
        let out = under_umask_000(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    assert_eq!(mode(&offline), 0o600, "backup with the server stopped");
    assert_eq!(mode(&export), 0o700, "export dir");
    assert_eq!(
        mode(&export.join("documents")),
        0o700,
        "export documents dir"
    );
    let mut exported = 0;
    for sub in [export.clone(), export.join("documents")] {
        for e in std::fs::read_dir(sub).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                exported += 1;
                assert_eq!(mode(&p), 0o600, "{}", p.display());
            }
        }
    }
    assert!(exported >= 10, "{exported} exported files");
}

#[test]
fn a_data_dir_open_to_other_accounts_is_warned_about_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut s = start(&data, free_port(), Some("pw"));
    s.ready();
    let (_, log) = s.terminate();
    let warning = log
        .iter()
        .find(|l| l.contains("the data dir is open to other accounts"))
        .unwrap_or_else(|| panic!("no warning in {log:#?}"));
    assert!(
        warning.contains("\"WARN\"") && warning.contains("0755"),
        "{warning}"
    );
    assert_eq!(mode(&data), 0o755, "an existing data dir keeps its mode");
    assert_eq!(mode(&data.join("dmptool.redb")), 0o600);

    // A private one is not warned about.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut s = start(&data, free_port(), Some("pw"));
    s.ready();
    let (_, log) = s.terminate();
    assert!(
        !log.iter().any(|l| l.contains("open to other accounts")),
        "{log:#?}"
    );
}

#[test]
fn the_public_url_setting_makes_identifiers_and_the_api_catalog_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let mut s = start_with(
        &data,
        port,
        Some("first-admin-pw"),
        &["--public-url", "https://dmp.example.org/"],
    );
    s.ready();
    let (_, v) = login(&s, "admin", "first-admin-pw");
    let bearer = format!("Bearer {}", v["access_token"].as_str().unwrap());
    let mut r = agent()
        .post(&s.url("/dmps"))
        .header("Authorization", &bearer)
        .send_json(json!({"name": "Plan", "purpose": "p"}))
        .unwrap();
    let id = r.body_mut().read_json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut r = agent()
        .get(&s.url(&format!("/rda/dmps/{id}")))
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    let doc = r.body_mut().read_json::<Value>().unwrap();
    assert_eq!(
        doc["dmp"]["dmp_id"]["identifier"],
        format!("https://dmp.example.org/rda/dmps/{id}")
    );
    let mut r = agent()
        .get(&s.url("/.well-known/api-catalog"))
        .call()
        .unwrap();
    let link = r
        .headers()
        .get("link")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        link,
        "<https://dmp.example.org/.well-known/api-catalog>; rel=\"api-catalog\""
    );
    let cat = r.body_mut().read_json::<Value>().unwrap();
    assert_eq!(cat["linkset"][1]["anchor"], "https://dmp.example.org/rda");
    let (status, _) = s.terminate();
    assert!(status.success());
}

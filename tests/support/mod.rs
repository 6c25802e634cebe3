//! What the tests share, one set of names for both ways of running the app:
//! - the real binary (this module): `start`/`start_with` give a `Server`; `login(s, user,
//!   password)` is GET /login's answer (status and JSON), `token(s, user, password)` the
//!   access token of a login that must succeed, `call(s, method, path, token, body)` one
//!   request with a bearer token;
//! - the app in process through poem's TestClient (`app`): `TestApp`, whose
//!   `login(user, password)` is the answer, `tokens(user)` (access, refresh) of a login that
//!   must succeed, `req(method, path).token(t)` a request with a bearer token;
//! - reading documents back (`docs`), fixtures and checks on a `Services`.
#![allow(dead_code)]

pub mod app;
pub mod docs;

pub use app::{PASSWORD, Resp, TestApp};

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_dmptool");

/// A server process with its stderr collected line by line.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub lines: mpsc::Receiver<String>,
    pub log: Vec<String>,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn start(data: &Path, port: u16, admin_password: Option<&str>) -> Server {
    start_with(data, port, admin_password, &[])
}

/// Like `start`, with more `serve` arguments.
pub fn start_with(data: &Path, port: u16, admin_password: Option<&str>, extra: &[&str]) -> Server {
    spawn(command(data, port, admin_password, extra), port)
}

/// The command `start_with` runs, to adjust (environment, limits) before `spawn`.
pub fn command(data: &Path, port: u16, admin_password: Option<&str>, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "--data",
        data.to_str().unwrap(),
        "serve",
        "--port",
        &port.to_string(),
    ])
    .args(extra)
    .env_remove("DMPTOOL_JWT_SECRET")
    .env_remove("DMPTOOL_CONFIG")
    .env("DMPTOOL_LOG_FORMAT", "json")
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    match admin_password {
        Some(p) => cmd.env("DMPTOOL_ADMIN_PASSWORD", p),
        None => cmd.env_remove("DMPTOOL_ADMIN_PASSWORD"),
    };
    cmd
}

/// Runs a server command from `command`, collecting its stderr.
pub fn spawn(mut cmd: Command, port: u16) -> Server {
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Server {
        child,
        port,
        lines,
        log: Vec::new(),
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits until /health answers (or the process dies).
    pub fn ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            self.drain();
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("server exited with {status}: {:#?}", self.log);
            }
            if ureq::get(&self.url("/health")).call().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not become ready: {:#?}", self.log);
    }

    pub fn drain(&mut self) {
        while let Ok(l) = self.lines.try_recv() {
            self.log.push(l);
        }
    }

    pub fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(50));
                self.drain();
                return (status, std::mem::take(&mut self.log));
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub fn login(s: &Server, user: &str, password: &str) -> (u16, Value) {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let mut r = agent()
        .get(&s.url("/login"))
        .header("Authorization", &format!("Basic {basic}"))
        .call()
        .unwrap();
    (r.status().as_u16(), r.body_mut().read_json().unwrap())
}

/// `METHOD path` with a bearer token (and a JSON body for POST and PUT); the status and the
/// JSON answer (`null` when there is none).
pub fn call(
    s: &Server,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let a = agent();
    let url = s.url(path);
    let auth = format!("Bearer {token}");
    let r = match (method, body) {
        ("GET", _) => a.get(&url).header("Authorization", &auth).call(),
        ("POST", Some(b)) => a.post(&url).header("Authorization", &auth).send_json(b),
        ("PUT", Some(b)) => a.put(&url).header("Authorization", &auth).send_json(b),
        ("DELETE", _) => a.delete(&url).header("Authorization", &auth).call(),
        _ => unreachable!(),
    };
    let mut r = r.unwrap();
    let status = r.status().as_u16();
    let v = r
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_json()
        .unwrap_or(Value::Null);
    (status, v)
}

/// The access token of a login that must succeed.
pub fn token(s: &Server, user: &str, password: &str) -> String {
    let (status, v) = login(s, user, password);
    assert_eq!(status, 200, "{v}");
    v["access_token"].as_str().unwrap().to_owned()
}

/// A JSON fixture from tests/fixtures.
pub fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A maDMP document without what the server sets on every export.
pub fn comparable(mut doc: Value) -> Value {
    if let Some(dmp) = doc.get_mut("dmp").and_then(Value::as_object_mut) {
        dmp.remove("modified");
        dmp.remove(dmptool::madmp::EXTENSION);
    }
    doc
}

/// Every index agrees with its records.
pub fn consistent(s: &dmptool::service::Services) {
    let problems = s.store.read(dmptool::store::integrity::check).unwrap();
    assert!(problems.is_empty(), "index problems: {problems:#?}");
}

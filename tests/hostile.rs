//! Hostile input against the real binary: slow clients, many idle connections, oversized
//! headers and bodies, deeply nested JSON, invalid UTF-8, huge numbers of keys. After each,
//! the server still answers others promptly and has lost nothing.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Server, agent, login, start_with};
use serde_json::Value;

const PW: &str = "hostile-admin-pw";

fn server(dir: &std::path::Path) -> Server {
    let mut s = start_with(
        dir,
        common::free_port(),
        Some(PW),
        &["--request-timeout", "2s", "--idle-timeout", "3s"],
    );
    s.ready();
    s
}

fn token(s: &Server) -> String {
    let (status, v) = login(s, "admin", PW);
    assert_eq!(status, 200);
    v["access_token"].as_str().unwrap().to_owned()
}

/// GET /health answers within a second.
fn served_promptly(s: &Server) {
    let start = Instant::now();
    let r = agent().get(&s.url("/health")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

/// Reads until the peer closes; returns what came and how long it took.
fn read_to_close(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    (out, start.elapsed())
}

fn raw(s: &Server, bytes: &[u8]) -> (u16, Vec<u8>) {
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    // The server may answer and close before it has read everything (431, 413).
    let _ = c.write_all(bytes);
    let (out, _) = read_to_close(&mut c, Duration::from_secs(10));
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or("")
        .as_bytes()
        .to_vec();
    (status, body)
}

fn post(s: &Server, token: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut req = format!(
        "POST /dmps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    raw(s, &req)
}

/// GET `path` as JSON, allowing a body of up to 10 MiB.
fn get_large(s: &Server, token: &str, path: &str) -> Value {
    let mut r = agent()
        .get(&s.url(path))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    r.body_mut()
        .with_config()
        .limit(10 << 20)
        .read_json()
        .unwrap()
}

fn json_error(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).expect("a JSON error body");
    v["error"].as_str().expect("an error message").to_owned()
}

#[test]
fn a_client_sending_one_byte_a_second_is_cut_off_and_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path());
    let mut slow = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let request =
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let start = Instant::now();
    let mut cut_off = None;
    for b in request.iter() {
        if slow.write_all(&[*b]).is_err() {
            cut_off = Some(start.elapsed());
            break;
        }
        served_promptly(&s);
        std::thread::sleep(Duration::from_millis(500));
        // Once closed by the server, reads return end of file at once.
        slow.set_nonblocking(true).unwrap();
        let mut probe = [0u8; 1];
        if let Ok(0) = slow.read(&mut probe) {
            cut_off = Some(start.elapsed());
            break;
        }
        slow.set_nonblocking(false).unwrap();
    }
    let after = cut_off.expect("the slow client was never cut off");
    assert!(
        after < Duration::from_secs(6),
        "cut off only after {after:?}"
    );
}

#[test]
fn a_thousand_idle_connections_do_not_stop_others_and_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path());
    let mut idle: Vec<TcpStream> = (0..1000)
        .map(|_| TcpStream::connect(("127.0.0.1", s.port)).unwrap())
        .collect();
    for _ in 0..5 {
        served_promptly(&s);
    }
    let t = token(&s);
    let r = agent()
        .get(&s.url("/dmps"))
        .header("Authorization", &format!("Bearer {t}"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Silent connections are closed after the idle timeout (3 s here).
    std::thread::sleep(Duration::from_secs(4));
    let mut closed = 0;
    for c in idle.iter_mut().take(50) {
        let (_, took) = read_to_close(c, Duration::from_secs(2));
        if took < Duration::from_secs(2) {
            closed += 1;
        }
    }
    assert_eq!(closed, 50, "idle connections were not closed");
    served_promptly(&s);
}

#[test]
fn oversized_headers_and_bodies_are_refused_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path());
    let t = token(&s);
    // A 1 MB header (hyper keeps at most ~400 KB of request head).
    let big = "a".repeat(1024 * 1024);
    let (status, _) = raw(
        &s,
        format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert!(
        status == 431 || status == 400 || status == 0,
        "status {status}"
    );
    served_promptly(&s);
    // A 5 MB body (the limit is 1 MB): 413 as JSON.
    let body = vec![b' '; 5 * 1024 * 1024];
    let (status, body) = post(&s, &t, "application/json", &body);
    assert_eq!(status, 413);
    assert!(json_error(&body).contains("larger than"));
    served_promptly(&s);
}

#[test]
fn malformed_json_bodies_get_clear_400s() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path());
    let t = token(&s);
    // 100,000 levels of nesting.
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (status, body) = post(&s, &t, "application/json", nested.as_bytes());
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    json_error(&body);
    let nested = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let (status, body) = post(&s, &t, "application/json", nested.as_bytes());
    assert_eq!(status, 400);
    json_error(&body);
    // Invalid UTF-8 inside a string.
    let (status, body) = post(&s, &t, "application/json", b"{\"name\": \"\xff\xfe\"}");
    assert_eq!(status, 400);
    json_error(&body);
    // 60,000 keys (under the size limit): stored, read back whole.
    let mut obj = serde_json::Map::new();
    for i in 0..60_000 {
        obj.insert(format!("k{i}"), Value::from(i));
    }
    let bytes = serde_json::to_vec(&Value::Object(obj)).unwrap();
    assert!(bytes.len() < 1024 * 1024);
    let (status, body) = post(&s, &t, "application/json", &bytes);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let id = serde_json::from_slice::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = get_large(&s, &t, &format!("/dmps/{id}"));
    assert_eq!(v["k59999"], 59_999);
    served_promptly(&s);
    // Nothing of the refused requests was stored.
    let list = get_large(&s, &t, "/dmps");
    assert_eq!(list.as_array().unwrap().len(), 1);
}

/// journald restarting, or the terminal the server was started from closing, leaves the
/// server writing its log into a broken pipe: requests must go on being answered.
#[test]
fn a_broken_log_pipe_does_not_break_requests() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let mut child = std::process::Command::new(common::BIN)
        .args(["--data"])
        .arg(dir.path())
        .args(["serve", "--port", &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/health");
    let deadline = Instant::now() + Duration::from_secs(20);
    while agent().get(&url).call().is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The reader of the server's log goes away.
    drop(child.stdout.take());
    drop(child.stderr.take());
    for _ in 0..3 {
        let r = agent().get(&url).call();
        assert!(
            r.is_ok_and(|r| r.status() == 200),
            "a request failed once the log pipe broke"
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The server's resident memory, in bytes.
fn rss(s: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.child.id())).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// `GET /login` with Basic credentials from `client` (X-Forwarded-For, the server trusting
/// its proxy); the status and the body.
fn login_from(s: &Server, user: &str, password: &str, client: &str) -> (u16, Value) {
    login_at(s.port, user, password, client)
}

/// The same over a raw connection (an HTTP client library refuses headers this large).
fn login_at(port: u16, user: &str, password: &str, client: &str) -> (u16, Value) {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = format!(
        "GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {basic}\r\nX-Forwarded-For: {client}\r\nConnection: close\r\n\r\n"
    );
    let _ = c.write_all(request.as_bytes());
    let (out, _) = read_to_close(&mut c, Duration::from_secs(30));
    let text = String::from_utf8_lossy(&out);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn proxied_server(dir: &std::path::Path) -> Server {
    let mut s = start_with(dir, common::free_port(), Some(PW), &["--trust-proxy"]);
    s.ready();
    s
}

#[test]
fn a_storm_of_failed_logins_with_huge_usernames_does_not_grow_memory() {
    let dir = tempfile::tempdir().unwrap();
    let s = proxied_server(dir.path());
    // Warm up: one real login (its hash memory), one refused one.
    assert_eq!(login_from(&s, "admin", PW, "192.0.2.1").0, 200);
    login_from(&s, &"w".repeat(300_000), "x", "192.0.2.1");
    let before = rss(&s);
    // 500 failed logins, each with its own ~300 KB username, from 20 addresses at once.
    let port = s.port;
    std::thread::scope(|scope| {
        for t in 0..20 {
            scope.spawn(move || {
                for i in 0..25 {
                    let name = format!("{t}-{i}-{}", "u".repeat(300_000));
                    let (status, v) = login_at(port, &name, "guess", &format!("198.51.100.{t}"));
                    assert!(matches!(status, 400 | 401 | 429 | 431), "{status} {v}");
                }
            });
        }
    });
    let after = rss(&s);
    let grown = after.saturating_sub(before);
    assert!(
        grown < 20 << 20,
        "resident memory grew by {} MiB ({} -> {} MiB)",
        grown >> 20,
        before >> 20,
        after >> 20
    );
    served_promptly(&s);
}

#[test]
fn the_right_password_from_a_clean_address_gets_in_however_many_guesses_others_make() {
    let dir = tempfile::tempdir().unwrap();
    let s = proxied_server(dir.path());
    let (status, _) = login_from(&s, "admin", PW, "192.0.2.1");
    assert_eq!(status, 200);
    // Forty wrong guesses for the account, each from its own address: the account is well
    // past its allowance.
    for i in 0..40 {
        let (status, _) = login_from(&s, "admin", "wrong", &format!("203.0.113.{i}"));
        assert!(matches!(status, 401 | 429), "{status}");
    }
    // A guesser's address is held back ...
    let (status, v) = login_from(&s, "admin", "wrong", "203.0.113.39");
    assert_eq!(status, 429, "{v}");
    // ... and the real user, from an address that has not failed, gets in at once.
    let (status, v) = login_from(&s, "admin", PW, "192.0.2.77");
    assert_eq!(status, 200, "locked out: {v}");
}

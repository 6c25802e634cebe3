//! Hostile input against the real binary: slow clients, many idle connections, oversized
//! headers and bodies, deeply nested JSON, invalid UTF-8, huge numbers of keys. After each,
//! the server still answers others promptly and has lost nothing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{self, Server, agent, start_with};
use serde_json::Value;

const PW: &str = "hostile-admin-pw";

fn server(dir: &std::path::Path) -> Server {
    let mut s = start_with(
        dir,
        support::free_port(),
        Some(PW),
        &["--request-timeout", "2s", "--idle-timeout", "3s"],
    );
    s.ready();
    s
}

fn token(s: &Server) -> String {
    support::token(s, "admin", PW)
}

/// GET /health answers within two seconds (the machine may be busy with other tests).
fn served_promptly(s: &Server) {
    let start = Instant::now();
    let r = agent().get(&s.url("/health")).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        start.elapsed() < Duration::from_secs(2),
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
    let port = support::free_port();
    let mut child = std::process::Command::new(support::BIN)
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

/// A server with `serve` flags and DMPTOOL_* variables (variables, so that the same test
/// can run against a build without the setting).
fn server_env(dir: &std::path::Path, flags: &[&str], env: &[(&str, &str)]) -> Server {
    let port = support::free_port();
    let mut cmd = support::command(dir, port, Some(PW), flags);
    cmd.envs(env.iter().copied());
    let mut s = support::spawn(cmd, port);
    s.ready();
    s
}

fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An HTTP/2 connection with prior knowledge: preface and empty SETTINGS sent.
fn h2_connect(s: &Server) -> TcpStream {
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
    c.write_all(&h2_frame(4, 0, 0, &[])).unwrap();
    c
}

/// Reads what has arrived without waiting; false once the peer has closed.
fn h2_drain(c: &mut TcpStream, into: &mut Vec<u8>) -> bool {
    c.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4096];
    let open = loop {
        match c.read(&mut buf) {
            Ok(0) => break false,
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break true,
            Err(_) => break false,
        }
    };
    c.set_nonblocking(false).unwrap();
    open
}

/// Sends `step` (PINGs, a byte of body) every 300 ms until the server closes the
/// connection; returns how long that took (panics past `limit`).
fn h2_until_closed(
    c: &mut TcpStream,
    limit: Duration,
    mut step: impl FnMut(&mut TcpStream),
) -> Duration {
    let start = Instant::now();
    let mut got = Vec::new();
    loop {
        let elapsed = start.elapsed();
        assert!(
            elapsed < limit,
            "the HTTP/2 connection is still open after {elapsed:?}"
        );
        step(c);
        let _ = c.write_all(&h2_frame(6, 0, 0, b"pingpong"));
        std::thread::sleep(Duration::from_millis(300));
        if !h2_drain(c, &mut got) {
            return start.elapsed();
        }
    }
}

/// Item 5 of issue 12: over HTTP/2, PINGs and a body trickled a byte at a time kept a
/// connection open for ever (every PING answer restarted the deadline).
#[test]
fn http2_connections_are_held_to_the_request_and_idle_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let s = server_env(
        dir.path(),
        &["--request-timeout", "1s", "--idle-timeout", "2s"],
        &[],
    );
    // HPACK, static table: :method GET (0x82) / POST (0x83), :scheme http (0x86),
    // :path as a literal, :authority "x".
    let headers = |method: u8, path: &str| {
        let mut h = vec![method, 0x86, 0x04, path.len() as u8];
        h.extend_from_slice(path.as_bytes());
        h.extend_from_slice(&[0x01, 0x01, b'x']);
        h
    };
    let slow_body = std::thread::spawn({
        let port = s.port;
        move || {
            let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
            c.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
            c.write_all(&h2_frame(4, 0, 0, &[])).unwrap();
            // POST /dmps, END_HEADERS but not END_STREAM: a body follows, a byte at a time.
            c.write_all(&h2_frame(1, 0x4, 1, &headers(0x83, "/dmps")))
                .unwrap();
            h2_until_closed(&mut c, Duration::from_secs(6), |c| {
                let _ = c.write_all(&h2_frame(0, 0, 1, b"["));
            })
        }
    });
    // A request answered over HTTP/2, then only PINGs.
    let mut c = h2_connect(&s);
    c.write_all(&h2_frame(1, 0x5, 1, &headers(0x82, "/health")))
        .unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    // A HEADERS frame (type 1) of stream 1 that starts with :status 200 (0x88).
    let answered = |b: &[u8]| {
        let mut i = 0;
        while i + 9 <= b.len() {
            let len =
                (usize::from(b[i]) << 16) | (usize::from(b[i + 1]) << 8) | usize::from(b[i + 2]);
            if b[i + 3] == 1 && b[i + 8] == 1 && b.get(i + 9) == Some(&0x88) {
                return true;
            }
            i += 9 + len;
        }
        false
    };
    while !answered(&got) {
        assert!(
            Instant::now() < deadline,
            "no HTTP/2 answer to GET /health: {got:?}"
        );
        assert!(h2_drain(&mut c, &mut got), "closed before answering");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pings_only = h2_until_closed(&mut c, Duration::from_secs(6), |_| {});
    assert!(pings_only < Duration::from_secs(3), "{pings_only:?}");
    let trickled = slow_body.join().unwrap();
    assert!(trickled < Duration::from_secs(3), "{trickled:?}");
    served_promptly(&s);
}

/// Item 8 of issue 12: the read deadline ran until the server wrote, so requests read in
/// full but queued behind others (password hashing) were cut off unanswered.
#[test]
fn a_request_read_in_full_is_answered_however_long_the_server_takes() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let s = server_env(dir.path(), &["--request-timeout", "1s"], &[]);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{PW}"));
    let request = format!(
        "GET /login HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {basic}\r\nConnection: close\r\n\r\n"
    );
    // The server hashes one password per core at a time: enough logins to queue well past
    // 1 s, counted from how long one takes here.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let one = Instant::now();
    for _ in 0..3 {
        let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        c.write_all(request.as_bytes()).unwrap();
        read_to_close(&mut c, Duration::from_secs(30));
    }
    let per_login = one.elapsed() / 3;
    let needed = (3 * cores as u128 * 1000 / per_login.as_millis().max(1)) as usize;
    let start = Instant::now();
    let mut conns: Vec<TcpStream> = (0..needed.clamp(24 * cores, 600))
        .map(|_| {
            let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
            c.write_all(request.as_bytes()).unwrap();
            c
        })
        .collect();
    let mut answered = 0;
    for c in &mut conns {
        let (out, _) = read_to_close(c, Duration::from_secs(30));
        if String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200") {
            answered += 1;
        }
    }
    let took = start.elapsed();
    assert_eq!(
        answered,
        conns.len(),
        "answered {answered} of {} in {took:?}",
        conns.len()
    );
    // The logins must have queued past the request timeout for this to test anything.
    assert!(
        took > Duration::from_millis(1100),
        "the logins took only {took:?}"
    );
}

/// The server's resident memory, in MB.
fn rss_mb(s: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap()
        / 1024
}

fn create_plans(s: &Server, t: &str, n: usize, filler: usize) {
    let body = serde_json::json!({ "title": "plan", "purpose": "p", "notes": "n".repeat(filler) });
    for _ in 0..n {
        let r = agent()
            .post(&s.url("/dmps"))
            .header("Authorization", &format!("Bearer {t}"))
            .send_json(&body)
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
}

/// Item 6 of issue 12: a client that asks for a large list and never reads it kept the
/// whole answer in the server's memory for as long as it liked (20 of them: 1.2 GB).
#[test]
fn a_client_that_does_not_read_its_answer_is_cut_off_at_the_write_timeout() {
    use std::os::fd::AsRawFd;
    let dir = tempfile::tempdir().unwrap();
    let s = server_env(
        dir.path(),
        &["--request-timeout", "2s", "--idle-timeout", "30s"],
        &[("DMPTOOL_WRITE_TIMEOUT", "1s")],
    );
    let t = token(&s);
    // About 12 MB of list: more than the socket buffers on both sides hold.
    create_plans(&s, &t, 200, 60_000);
    let whole = agent()
        .get(&s.url("/dmps"))
        .header("Authorization", &format!("Bearer {t}"))
        .call()
        .unwrap()
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap()
        .len();
    assert!(whole > 10_000_000, "{whole}");
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let small: libc::c_int = 32 * 1024;
    // SAFETY: setsockopt reads an int from a valid pointer.
    unsafe {
        libc::setsockopt(
            c.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&small as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    let request = format!(
        "GET /dmps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nConnection: close\r\n\r\n"
    );
    c.write_all(request.as_bytes()).unwrap();
    // Twenty more that never read: the server must not hold twenty copies of the list.
    let before = rss_mb(&s);
    let _others: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut o = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
            o.write_all(request.as_bytes()).unwrap();
            o
        })
        .collect();
    // Not reading for longer than the write timeout ...
    std::thread::sleep(Duration::from_millis(2500));
    served_promptly(&s);
    let grown = rss_mb(&s).saturating_sub(before);
    assert!(
        grown < 100,
        "the server grew by {grown} MB for 21 readers of a {whole}-byte list"
    );
    // ... the server has given up: what is left is what the buffers held.
    let (out, took) = read_to_close(&mut c, Duration::from_secs(10));
    assert!(
        out.len() < whole,
        "the whole answer ({} bytes) still came after {took:?}",
        out.len()
    );
    served_promptly(&s);
}

/// Item 6 of issue 12: lists had no page size, so one request could ask for everything.
#[test]
fn list_pages_hold_at_most_the_maximum_page_size_and_link_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let s = server_env(dir.path(), &[], &[("DMPTOOL_MAX_PAGE_SIZE", "3")]);
    let t = token(&s);
    create_plans(&s, &t, 5, 10);
    let get = |path: &str| {
        let mut r = agent()
            .get(&s.url(path))
            .header("Authorization", &format!("Bearer {t}"))
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let total = r
            .headers()
            .get("x-total-count")
            .map(|v| v.to_str().unwrap().to_owned());
        let link = r
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned());
        let v: Value = r.body_mut().read_json().unwrap();
        (v.as_array().unwrap().len(), total, link)
    };
    // No limit asked: the maximum page, the total, and where the next page is.
    let (n, total, link) = get("/dmps");
    assert_eq!((n, total.as_deref()), (3, Some("5")));
    assert_eq!(
        link.as_deref(),
        Some("</dmps?offset=3&limit=3>; rel=\"next\"")
    );
    // A larger limit is lowered to the maximum.
    assert_eq!(get("/dmps?limit=100").0, 3);
    let (n, _, link) = get("/dmps?offset=3");
    assert_eq!((n, link), (2, None));
    let list: Value = agent()
        .get(&s.url("/dmps?offset=0&limit=3"))
        .header("Authorization", &format!("Bearer {t}"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    // Two tasks for each of three plans: six, listed three at a time.
    for d in list
        .as_array()
        .unwrap()
        .iter()
        .chain(list.as_array().unwrap())
    {
        let r = agent()
            .post(&s.url("/tasks"))
            .header("Authorization", &format!("Bearer {t}"))
            .send_json(serde_json::json!({ "dmp": d["_id"] }))
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    assert_eq!(get("/tasks").0, 3);
    assert_eq!(get("/tasks?limit=100").0, 3);
}

/// Item 7 of issue 12: at the common limit of 1,024 open files, idle sockets used every
/// descriptor: new clients timed out and `dmptool admin` hung.
#[test]
fn idle_sockets_at_the_open_file_limit_leave_room_for_new_clients_and_the_admin() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    // This process needs more than 1,100 descriptors of its own.
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max.min(8192);
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
    let port = support::free_port();
    let mut cmd = support::command(dir.path(), port, Some(PW), &["--idle-timeout", "60s"]);
    // SAFETY: the closure only calls setrlimit, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 1024,
                rlim_max: 1024,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut s = support::spawn(cmd, port);
    s.ready();
    let idle: Vec<TcpStream> = (0..1100)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // A new client is answered.
    let quick: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(3)))
        .build()
        .into();
    let start = Instant::now();
    let r = quick.get(&s.url("/health")).call();
    assert!(
        r.is_ok_and(|r| r.status() == 200),
        "/health from a new connection failed after {:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    // So is the administrator, over the admin socket.
    let mut admin = std::process::Command::new(support::BIN)
        .arg("--data")
        .arg(dir.path())
        .args(["admin", "list-users"])
        .env_remove("DMPTOOL_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = admin.try_wait().unwrap() {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = admin.kill();
            let _ = admin.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.is_some_and(|st| st.success()),
        "dmptool admin list-users did not answer: {status:?}"
    );
    let mut out = String::new();
    admin
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(out.contains("admin"), "{out}");
    drop(idle);
}

/// Item 17 of issue 12: a 200 KB header was accepted.
#[test]
fn a_request_head_over_the_limit_is_refused_with_a_json_431() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path());
    let head = |size: usize| {
        format!(
            "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(size)
        )
    };
    // Within the default limit (32 KiB): served.
    let (status, _) = raw(&s, head(20 * 1024).as_bytes());
    assert_eq!(status, 200);
    // Over it: 431 with a JSON error, at 40 KB as at 200 KB.
    for size in [40 * 1024, 200 * 1024] {
        let (status, body) = raw(&s, head(size).as_bytes());
        assert_eq!(status, 431, "a {size}-byte header");
        assert!(json_error(&body).contains("larger than"), "{size}");
    }
    // Far over it (1 MB): hyper stops buffering and refuses it itself.
    let (status, _) = raw(&s, head(1024 * 1024).as_bytes());
    assert!(status == 431 || status == 0, "status {status}");
    served_promptly(&s);
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

fn proxied_server(dir: &std::path::Path, extra: &[&str]) -> Server {
    let flags: Vec<&str> = ["--trust-proxy"].iter().chain(extra).copied().collect();
    let mut s = start_with(dir, support::free_port(), Some(PW), &flags);
    s.ready();
    s
}

#[test]
fn a_storm_of_failed_logins_with_huge_usernames_does_not_grow_memory() {
    let dir = tempfile::tempdir().unwrap();
    // A head limit large enough to let the names reach the login route (the default 32K
    // would refuse them before it).
    let s = proxied_server(dir.path(), &["--max-header-bytes", "1M"]);
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
                    assert!(matches!(status, 400 | 401 | 429), "{status} {v}");
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
    let s = proxied_server(dir.path(), &[]);
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

#[test]
fn a_login_storm_gives_its_memory_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = proxied_server(dir.path(), &[]);
    // Warm up: the first logins make the memory a login needs at all.
    for i in 0..4 {
        assert_eq!(login_from(&s, "admin", PW, &format!("192.0.2.{i}")).0, 200);
    }
    let before = rss(&s);
    let port = s.port;
    // 16 clients logging in at once, 6 times each (each hash fills 19 MiB).
    std::thread::scope(|scope| {
        for t in 0..16 {
            scope.spawn(move || {
                for _ in 0..6 {
                    let (status, v) = login_at(port, "admin", PW, &format!("198.51.100.{t}"));
                    assert_eq!(status, 200, "{v}");
                }
            });
        }
    });
    let after = rss(&s);
    let grown = after.saturating_sub(before);
    assert!(
        grown < 20 << 20,
        "resident memory stayed {} MiB higher after the storm ({} -> {} MiB)",
        grown >> 20,
        before >> 20,
        after >> 20
    );
}

//! `dmptool admin` through the real binary: every command with the server stopped and with
//! it running on the same data dir, prompts on a pseudo-terminal, the error cases, and a
//! backup taken under write load.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{self, BIN, Server, agent, free_port, login, start};
use dmptool::domain::TaskId;
use dmptool::service::{Caller, Services, Settings};
use serde_json::{Value, json};

/// Runs `dmptool --data DIR admin ARGS` with `stdin` piped in (no terminal).
fn admin(data: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .arg("--data")
        .arg(data)
        .arg("admin")
        .args(args)
        .env_remove("DMPTOOL_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before reading stdin (an invalid e-mail) may have exited by now.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "admin {args:?} hangs");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts failure with one line on stderr containing `needle`.
fn fails(out: &Output, needle: &str) {
    assert!(
        !out.status.success(),
        "expected failure: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.trim().lines().last().unwrap_or_default();
    assert!(last.starts_with("dmptool: "), "{err}");
    assert!(last.contains(needle), "{needle:?} not in {err:?}");
}

fn users_json(data: &Path) -> Vec<Value> {
    let out = admin(data, &["list-users", "--json"], "");
    serde_json::from_str::<Value>(&ok(&out))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The whole command set, run the same way whether or not a server holds the data dir.
fn exercise_every_command(data: &Path, existing: usize) {
    // init is idempotent
    assert!(ok(&admin(data, &["init"], "")).contains("schema version"));
    assert!(ok(&admin(data, &["create_tables"], "")).contains("schema version"));

    // users
    ok(&admin(
        data,
        &[
            "create-user",
            "--username",
            "ana",
            "--email",
            "ana@example.org",
            "--password-stdin",
        ],
        "pw-ana\n",
    ));
    ok(&admin(
        data,
        &[
            "create_admin",
            "--username",
            "boss",
            "--email",
            "boss@example.org",
            "--password-stdin",
        ],
        "pw-boss\n",
    ));
    fails(
        &admin(
            data,
            &[
                "create-user",
                "--username",
                "ana",
                "--email",
                "a@example.org",
                "--password-stdin",
            ],
            "x\n",
        ),
        "already exists",
    );
    fails(
        &admin(
            data,
            &[
                "create-user",
                "--username",
                "bob",
                "--email",
                "nope",
                "--password-stdin",
            ],
            "x\n",
        ),
        "e-mail",
    );
    fails(
        &admin(
            data,
            &[
                "create-user",
                "--username",
                "bob",
                "--email",
                "bob@example.org",
                "--password-stdin",
            ],
            "\n",
        ),
        "empty",
    );
    fails(
        &admin(
            data,
            &[
                "create-user",
                "--username",
                "bob",
                "--email",
                "bob@example.org",
            ],
            "",
        ),
        "--password-stdin",
    );
    fails(
        &admin(
            data,
            &[
                "create-user",
                "--email",
                "bob@example.org",
                "--password-stdin",
            ],
            "x\n",
        ),
        "--username",
    );
    fails(
        &admin(
            data,
            &["set-password", "--username", "ghost", "--password-stdin"],
            "x\n",
        ),
        "no user named 'ghost'",
    );
    fails(
        &admin(data, &["delete-user", "--username", "ghost", "--yes"], ""),
        "no user named 'ghost'",
    );

    // projects and relations
    ok(&admin(
        data,
        &[
            "create-project",
            "--name",
            "azotea",
            "--description",
            "Sky brightness",
        ],
        "",
    ));
    ok(&admin(
        data,
        &["create_project", "--name", "spectra", "--description", ""],
        "",
    ));
    fails(
        &admin(
            data,
            &[
                "create-project",
                "--name",
                "azotea",
                "--description",
                "again",
            ],
            "",
        ),
        "already exists",
    );
    fails(
        &admin(data, &["create-project", "--name", "x"], ""),
        "--description",
    );
    ok(&admin(
        data,
        &[
            "create-relation",
            "--username",
            "ana",
            "--project",
            "azotea",
        ],
        "",
    ));
    ok(&admin(
        data,
        &[
            "create_relation",
            "--username",
            "boss",
            "--project",
            "azotea",
        ],
        "",
    ));
    fails(
        &admin(
            data,
            &[
                "create-relation",
                "--username",
                "ana",
                "--project",
                "azotea",
            ],
            "",
        ),
        "already a member",
    );
    fails(
        &admin(
            data,
            &["create-relation", "--username", "ana", "--project", "nope"],
            "",
        ),
        "no project named 'nope'",
    );
    fails(
        &admin(
            data,
            &[
                "create-relation",
                "--username",
                "ghost",
                "--project",
                "azotea",
            ],
            "",
        ),
        "no user named 'ghost'",
    );
    fails(
        &admin(
            data,
            &[
                "delete-relation",
                "--username",
                "ana",
                "--project",
                "spectra",
            ],
            "",
        ),
        "not a member",
    );

    let table = ok(&admin(data, &["list-users"], ""));
    assert!(
        table.starts_with("ID") && table.contains("ana@example.org") && table.contains("azotea"),
        "{table}"
    );
    let users = users_json(data);
    assert_eq!(users.len(), existing + 2);
    assert!(users.iter().all(|u| u.get("password_hash").is_none()));
    let projects: Value =
        serde_json::from_str(&ok(&admin(data, &["list-projects", "--json"], ""))).unwrap();
    let azotea = projects
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "azotea")
        .unwrap();
    assert_eq!(azotea["members"], 2);
    assert!(ok(&admin(data, &["list_projects"], "")).contains("Sky brightness"));

    ok(&admin(
        data,
        &[
            "delete-relation",
            "--username",
            "boss",
            "--project",
            "azotea",
        ],
        "",
    ));
    ok(&admin(data, &["delete-project", "--name", "spectra"], ""));
    fails(
        &admin(data, &["delete-project", "--name", "spectra"], ""),
        "no project named 'spectra'",
    );
    ok(&admin(
        data,
        &["set-password", "--username", "ana", "--password-stdin"],
        "pw-ana-2\n",
    ));

    // delete-user says what goes and asks first
    let out = admin(data, &["delete-user", "--username", "boss"], "");
    fails(&out, "--yes");
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 DMP(s)"));
    assert_eq!(
        users_json(data).len(),
        existing + 2,
        "nothing deleted without confirmation"
    );
    ok(&admin(
        data,
        &["delete_user", "--username", "boss", "--yes"],
        "",
    ));
    assert_eq!(users_json(data).len(), existing + 1);
}

#[test]
fn every_command_works_with_the_server_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fails(&admin(&data, &["list-users"], ""), "dmptool admin init");
    exercise_every_command(&data, 0);
    // The server then sees what the CLI made.
    let mut s = start(&data, free_port(), None);
    s.ready();
    assert_eq!(login(&s, "ana", "pw-ana-2").0, 200);
    s.terminate();
}

#[test]
fn every_command_works_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut s = start(&data, free_port(), Some("root-pw"));
    s.ready();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("admin.sock"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "admin socket is owner-only");
    }
    exercise_every_command(&data, 1);
    assert_eq!(users_json(&data).len(), 2, "admin from first start + ana");

    // Changes are visible to the server at once.
    let (status, v) = login(&s, "ana", "pw-ana-2");
    assert_eq!(status, 200, "{v}");
    let bearer = format!("Bearer {}", v["access_token"].as_str().unwrap());
    let r = agent()
        .get(&s.url("/dmps"))
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    ok(&admin(
        &data,
        &["set-password", "--username", "ana", "--password-stdin"],
        "pw-ana-3\n",
    ));
    let r = agent()
        .get(&s.url("/dmps"))
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        401,
        "a password set ends the old tokens"
    );
    assert_eq!(login(&s, "ana", "pw-ana-2").0, 401);
    let (_, v) = login(&s, "ana", "pw-ana-3");
    let bearer = format!("Bearer {}", v["access_token"].as_str().unwrap());
    ok(&admin(
        &data,
        &["delete-user", "--username", "ana", "--yes"],
        "",
    ));
    let r = agent()
        .get(&s.url("/dmps"))
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        401,
        "a deleted user's tokens stop working"
    );

    // reset asks first, then empties everything; the server keeps running.
    fails(&admin(&data, &["reset"], ""), "--yes");
    ok(&admin(&data, &["drop_tables", "--yes"], ""));
    assert!(users_json(&data).is_empty());
    assert_eq!(login(&s, "admin", "root-pw").0, 401);
    let (status, log) = s.terminate();
    assert!(status.success(), "{log:#?}");
    assert!(
        !data.join("admin.sock").exists(),
        "socket removed at shutdown"
    );
}

#[test]
fn delete_user_removes_their_plans_tasks_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let s = Services::open(&data, Settings::default(), None).unwrap();
        let id = s
            .create_user("ana", Some("ana@example.org"), "pw", false)
            .unwrap();
        let ana = Caller {
            id,
            username: "ana".into(),
            admin: false,
        };
        for _ in 0..2 {
            let dmp = s.create_dmp(&ana, json!({"name": "plan"})).unwrap();
            let task: TaskId = s.create_task(&ana, dmp, None).unwrap();
            s.complete_task_with_documents(task, b"docx", b"pdf")
                .unwrap();
        }
    }
    assert_eq!(
        std::fs::read_dir(data.join("documents")).unwrap().count(),
        4
    );
    let out = admin(&data, &["delete-user", "--username", "ana", "--yes"], "");
    let said = ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 DMP(s), 2 task(s) and 4 document file(s)")
    );
    assert!(said.contains("deleted user ana"), "{said}");
    assert_eq!(
        std::fs::read_dir(data.join("documents")).unwrap().count(),
        0
    );
    let s = Services::open(&data, Settings::default(), None).unwrap();
    assert!(
        s.store
            .read(dmptool::store::integrity::check)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.store
            .read(|tx| dmptool::store::dmps::page_all(tx, 0, 10))
            .unwrap()
            .1,
        0
    );
}

#[test]
fn backup_and_restore_with_the_server_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backup = dir.path().join("backup.redb");
    ok(&admin(&data, &["init"], ""));
    ok(&admin(
        &data,
        &[
            "create-user",
            "--username",
            "ana",
            "--email",
            "ana@example.org",
            "--password-stdin",
        ],
        "pw\n",
    ));
    assert!(
        ok(&admin(&data, &["backup", backup.to_str().unwrap()], "")).contains("backup written")
    );
    ok(&admin(
        &data,
        &[
            "create-user",
            "--username",
            "bob",
            "--email",
            "bob@example.org",
            "--password-stdin",
        ],
        "pw\n",
    ));
    fails(
        &admin(&data, &["restore", backup.to_str().unwrap()], ""),
        "--yes",
    );
    assert_eq!(users_json(&data).len(), 2);
    ok(&admin(
        &data,
        &["restore", backup.to_str().unwrap(), "--yes"],
        "",
    ));
    let names: Vec<Value> = users_json(&data)
        .iter()
        .map(|u| u["username"].clone())
        .collect();
    assert_eq!(names, [json!("ana")]);
    fails(
        &admin(
            &data,
            &[
                "restore",
                dir.path().join("missing.redb").to_str().unwrap(),
                "--yes",
            ],
            "",
        ),
        "no backup file",
    );
    let junk = dir.path().join("junk.redb");
    std::fs::write(&junk, b"not a database").unwrap();
    fails(
        &admin(&data, &["restore", junk.to_str().unwrap(), "--yes"], ""),
        "not a dmptool backup",
    );
    assert_eq!(
        users_json(&data).len(),
        1,
        "a failed restore changes nothing"
    );
    // Into an empty data dir, no confirmation is needed.
    let fresh = dir.path().join("fresh");
    ok(&admin(&fresh, &["restore", backup.to_str().unwrap()], ""));
    assert_eq!(users_json(&fresh).len(), 1);
}

/// Writers post DMPs while a backup is taken through the running server: the backup holds
/// every DMP whose creation was acknowledged before the backup started, and restores into a
/// database that opens and is consistent.
#[test]
fn backup_under_write_load_holds_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut s = start(&data, free_port(), Some("root-pw"));
    s.ready();
    let (_, v) = login(&s, "admin", "root-pw");
    let bearer = Arc::new(format!("Bearer {}", v["access_token"].as_str().unwrap()));
    let acked: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let url = s.url("/dmps");
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (acked, stop, bearer, url) =
                (acked.clone(), stop.clone(), bearer.clone(), url.clone());
            std::thread::spawn(move || {
                let a = agent();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let mut r = a
                        .post(&url)
                        .header("Authorization", bearer.as_str())
                        .send_json(
                            json!({"name": format!("w{w}-{i}"), "description": "x".repeat(500)}),
                        )
                        .unwrap();
                    if r.status().as_u16() == 201 {
                        let id = r.body_mut().read_json::<Value>().unwrap()["id"]
                            .as_str()
                            .unwrap()
                            .to_owned();
                        acked.lock().unwrap().push((Instant::now(), id));
                    }
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let backup = dir.path().join("under-load.redb");
    let started = Instant::now();
    ok(&admin(&data, &["backup", backup.to_str().unwrap()], ""));
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    s.terminate();
    let before: Vec<String> = acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| *t < started)
        .map(|(_, id)| id.clone())
        .collect();
    let total = acked.lock().unwrap().len();
    assert!(
        before.len() > 10 && total > before.len(),
        "load too light: {} then {total}",
        before.len()
    );

    let restored = dir.path().join("restored");
    ok(&admin(
        &restored,
        &["restore", backup.to_str().unwrap()],
        "",
    ));
    let svc = Services::open(&restored, Settings::default(), None).unwrap();
    assert!(
        svc.store
            .read(dmptool::store::integrity::check)
            .unwrap()
            .is_empty()
    );
    for id in &before {
        let raw = dmptool::domain::DmpId::parse(id).unwrap();
        let found = svc
            .store
            .read(|tx| dmptool::store::dmps::get(tx, raw.bytes()))
            .unwrap();
        assert!(
            found.is_some(),
            "acknowledged DMP {id} missing from the backup"
        );
    }
}

#[test]
fn help_lists_and_explains_commands() {
    let out = Command::new(BIN).args(["admin", "-?"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "init",
        "reset",
        "create-user",
        "create-admin",
        "delete-user",
        "set-password",
        "list-users",
        "create-project",
        "delete-project",
        "list-projects",
        "create-relation",
        "delete-relation",
        "backup",
        "restore",
        "share",
        "unshare",
        "transfer",
    ] {
        assert!(text.contains(cmd), "{cmd} missing: {text}");
    }
    let out = Command::new(BIN)
        .args(["admin", "create_user", "-?"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--username") && text.contains("--password-stdin"),
        "{text}"
    );
    assert!(!text.contains("--password "), "passwords are never flags");
}

#[test]
fn a_locked_database_without_a_server_socket_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // This test process holds the database, as a server without an admin socket would.
    let _held = Services::open(&data, Settings::default(), None).unwrap();
    fails(&admin(&data, &["list-users"], ""), "does not answer");
}

mod pty {
    //! A pseudo-terminal to answer prompts the way a person would.
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    use std::process::{Command, ExitStatus};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    pub fn run(mut cmd: Command, dialogue: &[(&str, &str)]) -> (ExitStatus, String) {
        let (mut master, mut slave) = (0, 0);
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty");
        let master = unsafe { std::fs::File::from_raw_fd(master) };
        let slave = unsafe { OwnedFd::from_raw_fd(slave) };
        cmd.stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave.try_clone().unwrap());
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().unwrap();
        drop(slave);
        let seen = Arc::new(Mutex::new(String::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut writer = master;
        let mut from = 0;
        for (prompt, answer) in dialogue {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let text = seen.lock().unwrap().clone();
                if let Some(at) = text[from..].find(prompt) {
                    from += at + prompt.len();
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "no prompt {prompt:?} in {text:?}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            writer.write_all(format!("{answer}\n").as_bytes()).unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "command did not finish: {}",
                seen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(100));
        let text = seen.lock().unwrap().clone();
        (status, text)
    }
}

fn admin_cmd(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data").arg(data).arg("admin").args(args);
    cmd
}

#[test]
fn prompts_on_a_terminal_with_a_hidden_confirmed_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&admin(&data, &["init"], ""));
    let (status, text) = pty::run(
        admin_cmd(&data, &["create-user"]),
        &[
            ("Username: ", "maria.lopez"),
            ("E-mail: ", "maria@example.org"),
            ("Password: ", "s3cret-pw"),
            ("Password (again): ", "s3cret-pw"),
        ],
    );
    assert!(status.success(), "{text}");
    assert!(
        !text.contains("s3cret-pw"),
        "the password was echoed: {text}"
    );
    assert!(text.contains("created user maria.lopez"), "{text}");

    // Mistyped confirmation: nothing is created.
    let (status, text) = pty::run(
        admin_cmd(
            &data,
            &[
                "create-user",
                "--username",
                "jaime",
                "--email",
                "jaime@example.org",
            ],
        ),
        &[("Password: ", "one"), ("Password (again): ", "two")],
    );
    assert!(!status.success());
    assert!(text.contains("differ"), "{text}");

    // Confirmation on the terminal for a destructive step.
    let (status, text) = pty::run(
        admin_cmd(&data, &["delete-user", "--username", "maria.lopez"]),
        &[("Type \"yes\"", "no")],
    );
    assert!(!status.success() && text.contains("cancelled"), "{text}");
    let (status, text) = pty::run(
        admin_cmd(&data, &["reset"]),
        &[(data.to_str().unwrap(), "yes")],
    );
    assert!(status.success(), "{text}");
    assert!(users_json(&data).is_empty());

    // The server running, the prompt path is the same.
    let mut s: Server = start(&data, free_port(), Some("root-pw"));
    s.ready();
    let (status, text) = pty::run(
        admin_cmd(&data, &["set-password", "--username", "admin"]),
        &[
            ("Password: ", "new-root"),
            ("Password (again): ", "new-root"),
        ],
    );
    assert!(status.success(), "{text}");
    assert_eq!(login(&s, "admin", "new-root").0, 200);
    s.terminate();
}

fn create_user(data: &Path, name: &str, pw: &str) {
    ok(&admin(
        data,
        &[
            "create-user",
            "--username",
            name,
            "--email",
            &format!("{name}@example.org"),
            "--password-stdin",
        ],
        &format!("{pw}\n"),
    ));
}

fn bearer_status(s: &Server, token: &str, path: &str) -> (u16, Value) {
    support::call(s, "GET", path, token, None)
}

#[test]
fn a_restore_ends_every_earlier_session_and_never_reuses_an_account_id() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backup = dir.path().join("backup.redb");
    let mut s = start(&data, free_port(), Some("root-pw"));
    s.ready();
    create_user(&data, "ana", "pw-ana");
    let ana = support::token(&s, "ana", "pw-ana");
    ok(&admin(&data, &["backup", backup.to_str().unwrap()], ""));

    // Scenario 1: a token logged out after the backup must stay dead after the restore.
    assert_eq!(support::call(&s, "DELETE", "/logout", &ana, None).0, 200);
    assert_eq!(bearer_status(&s, &ana, "/dmps").0, 401);

    // Scenario 2: a user made after the backup vanishes with the restore; the next new
    // user must not receive that id, and the vanished user's token must not read their plans.
    create_user(&data, "vic", "pw-vic");
    let vic = support::token(&s, "vic", "pw-vic");
    let vic_id = users_json(&data)
        .iter()
        .find(|u| u["username"] == "vic")
        .unwrap()["id"]
        .clone();

    ok(&admin(
        &data,
        &["restore", backup.to_str().unwrap(), "--yes"],
        "",
    ));
    assert_eq!(
        bearer_status(&s, &ana, "/dmps").0,
        401,
        "logged-out token revived"
    );
    let (status, v) = bearer_status(&s, &vic, "/dmps");
    assert_eq!(status, 401, "vanished user's token accepted: {v}");
    assert!(v["error"].as_str().is_some(), "{v}");

    create_user(&data, "wes", "pw-wes");
    let wes_id = users_json(&data)
        .iter()
        .find(|u| u["username"] == "wes")
        .unwrap()["id"]
        .clone();
    assert_ne!(wes_id, vic_id, "an account id was handed out twice");
    let wes = support::token(&s, "wes", "pw-wes");
    let plan = json!({"name": "wes's private plan"});
    assert_eq!(support::call(&s, "POST", "/dmps", &wes, Some(&plan)).0, 201);
    let (status, v) = bearer_status(&s, &vic, "/dmps");
    assert_eq!(
        status, 401,
        "the vanished user's token reads another's plans: {v}"
    );
    // Logging in again works as usual.
    assert_eq!(
        bearer_status(&s, &support::token(&s, "ana", "pw-ana"), "/dmps").0,
        200
    );
}

#[test]
fn a_reset_and_an_import_end_every_earlier_session() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let export = dir.path().join("export");
    let port = free_port();
    let mut s = start(&data, port, Some("root-pw"));
    s.ready();
    create_user(&data, "ana", "pw-ana");
    let before_reset = support::token(&s, "ana", "pw-ana");
    ok(&admin(
        &data,
        &["export", export.to_str().unwrap(), "--with-hashes"],
        "",
    ));
    ok(&admin(&data, &["reset", "--yes"], ""));
    assert_eq!(bearer_status(&s, &before_reset, "/dmps").0, 401);
    // An account made after the reset, then the export imported (it takes a stopped server
    // and an empty database): no earlier token answers for the import's accounts.
    create_user(&data, "ana", "pw-other");
    let between = support::token(&s, "ana", "pw-other");
    assert_eq!(bearer_status(&s, &between, "/dmps").0, 200);
    let (status, _) = s.terminate();
    assert!(status.success());
    ok(&admin(&data, &["reset", "--yes"], ""));
    ok(&admin(&data, &["import", export.to_str().unwrap()], ""));
    let mut s = start(&data, port, None);
    s.ready();
    assert_eq!(bearer_status(&s, &before_reset, "/dmps").0, 401);
    assert_eq!(bearer_status(&s, &between, "/dmps").0, 401);
    assert_eq!(
        bearer_status(&s, &support::token(&s, "ana", "pw-ana"), "/dmps").0,
        200
    );
}

/// The grants `list-users --json` shows for `user`, and `list-projects --json` for `project`.
fn grants_listed(data: &Path, command: &str, key: &str, name: &str) -> Value {
    let out = admin(data, &[command, "--json"], "");
    let list: Value = serde_json::from_str(&ok(&out)).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|u| u[key] == name)
        .unwrap_or_else(|| panic!("{name} not in {list}"))["grants"]
        .clone()
}

/// share, unshare, transfer and the errors, on the data dir `data` (server or not);
/// `dmp` is ana's plan, `bob` and `cat` users, `sky` a project.
fn exercise_sharing(data: &Path, dmp: &str) {
    let said = ok(&admin(
        data,
        &[
            "share",
            "--dmp",
            dmp,
            "--username",
            "bob",
            "--role",
            "editor",
        ],
        "",
    ));
    assert!(
        said.contains("shared DMP") && said.contains("user bob: editor"),
        "{said}"
    );
    assert_eq!(
        grants_listed(data, "list-users", "username", "bob"),
        json!([{"dmp": dmp, "role": "editor"}])
    );
    assert_eq!(
        grants_listed(data, "list-users", "username", "cat"),
        json!([])
    );
    ok(&admin(
        data,
        &[
            "share",
            "--dmp",
            dmp,
            "--project",
            "sky",
            "--role",
            "viewer",
        ],
        "",
    ));
    assert_eq!(
        grants_listed(data, "list-projects", "name", "sky"),
        json!([{"dmp": dmp, "role": "viewer"}])
    );
    // A table still lists the projects.
    assert!(ok(&admin(data, &["list-projects"], "")).contains("sky"));

    for (args, needle) in [
        (
            vec![
                "share",
                "--dmp",
                dmp,
                "--username",
                "bob",
                "--role",
                "owner",
            ],
            "role must be one of",
        ),
        (
            vec![
                "share",
                "--dmp",
                dmp,
                "--username",
                "nobody",
                "--role",
                "viewer",
            ],
            "no user named 'nobody'",
        ),
        (
            vec![
                "share",
                "--dmp",
                dmp,
                "--project",
                "nope",
                "--role",
                "viewer",
            ],
            "no project named 'nope'",
        ),
        (
            vec![
                "share",
                "--dmp",
                "0123456789abcdef01234567",
                "--username",
                "bob",
                "--role",
                "viewer",
            ],
            "no DMP",
        ),
        (
            vec![
                "share",
                "--dmp",
                "xyz",
                "--username",
                "bob",
                "--role",
                "viewer",
            ],
            "not a valid DMP id",
        ),
        (
            vec![
                "share",
                "--dmp",
                dmp,
                "--username",
                "bob",
                "--project",
                "sky",
                "--role",
                "viewer",
            ],
            "exactly one",
        ),
        (vec!["unshare", "--dmp", dmp], "exactly one"),
        (
            vec!["unshare", "--dmp", dmp, "--username", "cat"],
            "not shared with that user",
        ),
        (
            vec!["transfer", "--dmp", dmp, "--username", "ana"],
            "owns the plan already",
        ),
    ] {
        fails(&admin(data, &args, ""), needle);
    }

    let said = ok(&admin(
        data,
        &["unshare", "--dmp", dmp, "--project", "sky"],
        "",
    ));
    assert!(said.contains("no longer shared with project sky"), "{said}");
    assert_eq!(
        grants_listed(data, "list-projects", "name", "sky"),
        json!([])
    );
    ok(&admin(
        data,
        &["unshare", "--dmp", dmp, "--username", "bob"],
        "",
    ));
    assert_eq!(
        grants_listed(data, "list-users", "username", "bob"),
        json!([])
    );
    let said = ok(&admin(
        data,
        &["transfer", "--dmp", dmp, "--username", "cat"],
        "",
    ));
    assert!(
        said.contains("now belongs to cat") && said.contains("user ana: editor"),
        "{said}"
    );
    assert_eq!(
        grants_listed(data, "list-users", "username", "ana"),
        json!([{"dmp": dmp, "role": "editor"}]),
        "the former owner stays an editor"
    );
}

/// Users ana (with a plan), bob and cat and the project sky, made on the file; ana's plan id.
fn sharing_fixture(data: &Path) -> String {
    let s = Services::open(data, Settings::default(), None).unwrap();
    let mut ids = Vec::new();
    for name in ["ana", "bob", "cat"] {
        let id = s
            .create_user(
                name,
                Some(&format!("{name}@example.org")),
                &format!("pw-{name}"),
                false,
            )
            .unwrap();
        ids.push(id);
    }
    s.create_project("sky", "Night sky").unwrap();
    let ana = Caller {
        id: ids[0],
        username: "ana".into(),
        admin: false,
    };
    s.create_dmp(&ana, json!({"name": "shared plan"}))
        .unwrap()
        .to_string()
}

#[test]
fn share_unshare_and_transfer_work_on_the_file_with_no_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let dmp = sharing_fixture(&data);
    exercise_sharing(&data, &dmp);

    // The acts are in the plan's activity, by the administrator.
    let s = Services::open(&data, Settings::default(), None).unwrap();
    let cat = s
        .store
        .read(|tx| dmptool::store::users::id_by_name(tx, "cat"))
        .unwrap()
        .unwrap();
    let cat = Caller {
        id: dmptool::domain::UserId(cat),
        username: "cat".into(),
        admin: false,
    };
    let id = dmptool::domain::DmpId::parse(&dmp).unwrap();
    let page = s.dmp_activity(&cat, id, 0, 10).unwrap();
    let kinds: Vec<&str> = page.items.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "transferred",
            "unshared",
            "unshared",
            "shared",
            "shared",
            "created"
        ]
    );
    assert!(page.items[..5].iter().all(|i| i.actor == "administrator"));
    assert_eq!(page.items[5].actor, "ana");
    support::consistent(&s);
}

#[test]
fn share_unshare_and_transfer_work_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let dmp = sharing_fixture(&data);
    let mut s = start(&data, free_port(), None);
    s.ready();
    let bob = support::token(&s, "bob", "pw-bob");
    let path = format!("/dmps/{dmp}");
    assert_eq!(support::call(&s, "GET", &path, &bob, None).0, 404);
    ok(&admin(
        &data,
        &[
            "share",
            "--dmp",
            &dmp,
            "--username",
            "bob",
            "--role",
            "commenter",
        ],
        "",
    ));
    // The server sees the grant at once, with bob's token of before.
    assert_eq!(support::call(&s, "GET", &path, &bob, None).0, 200);
    let (status, v) = support::call(
        &s,
        "POST",
        &format!("{path}/comments"),
        &bob,
        Some(&json!({"text": "hello"})),
    );
    assert_eq!(status, 201, "{v}");
    ok(&admin(
        &data,
        &["unshare", "--dmp", &dmp, "--username", "bob"],
        "",
    ));
    assert_eq!(support::call(&s, "GET", &path, &bob, None).0, 404);

    exercise_sharing(&data, &dmp);
    let cat = support::token(&s, "cat", "pw-cat");
    let (status, v) = support::call(&s, "GET", &path, &cat, None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["user"], "cat", "cat owns the plan now");
    let (status, v) = support::call(&s, "GET", &format!("{path}/activity"), &cat, None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v[0]["kind"], "transferred");
    assert_eq!(v[0]["actor"], "administrator");
    assert_eq!(v[0]["detail"], json!({"from": "ana", "to": "cat"}));
    let (status, log) = s.terminate();
    assert!(status.success(), "{log:#?}");
}

//! Crash consistency: writers POST, PUT and DELETE plans and note what was acknowledged;
//! the server is killed with SIGKILL at a random moment; on reopening, the database passes
//! the index check and every acknowledged write is there. 3 rounds here; the long variant
//! runs 20: `cargo test --test integration faults::crash -- --ignored`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::support::{self, agent, login, start};
use dmptool::service::{Caller, Services, Settings};
use dmptool::store::integrity;
use serde_json::{Value, json};

const PW: &str = "crash-admin-pw";
const WRITERS: usize = 4;

/// What a writer knows about one of its plans.
#[derive(Debug, Clone)]
struct Known {
    /// The acknowledged name, or None once the deletion was acknowledged.
    acked: Option<String>,
    /// A write sent but not acknowledged when the server died: Some(None) = a deletion.
    in_flight: Option<Option<String>>,
}

fn writer(
    base: String,
    token: String,
    who: usize,
    stop: Arc<AtomicBool>,
) -> HashMap<String, Known> {
    let a = agent();
    let auth = format!("Bearer {token}");
    let mut known: HashMap<String, Known> = HashMap::new();
    let mut ids: Vec<String> = Vec::new();
    let mut n = 0u64;
    let mut rng = (who as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let name = format!("w{who}-{n}");
        let op = next() % 10;
        if ids.is_empty() || op < 5 {
            // Create. An unacknowledged create has no id to check: it may or may not exist.
            match a
                .post(&format!("{base}/dmps"))
                .header("Authorization", &auth)
                .send_json(json!({"name": name, "purpose": "crash test"}))
            {
                Ok(mut r) if r.status().as_u16() == 201 => {
                    let v: Value = r.body_mut().read_json().unwrap();
                    let id = v["id"].as_str().unwrap().to_owned();
                    known.insert(
                        id.clone(),
                        Known {
                            acked: Some(name),
                            in_flight: None,
                        },
                    );
                    ids.push(id);
                }
                Ok(r) => panic!("create answered {}", r.status()),
                Err(_) => break,
            }
        } else {
            let id = ids[(next() as usize) % ids.len()].clone();
            let delete = op == 9;
            let k = known.get_mut(&id).unwrap();
            k.in_flight = Some(if delete { None } else { Some(name.clone()) });
            let url = format!("{base}/dmps/{id}");
            let result = if delete {
                a.delete(&url).header("Authorization", &auth).call()
            } else {
                a.put(&url)
                    .header("Authorization", &auth)
                    .send_json(json!({"name": name}))
            };
            match result {
                Ok(r) if r.status().as_u16() == 200 => {
                    k.acked = if delete { None } else { Some(name) };
                    k.in_flight = None;
                    if delete {
                        ids.retain(|i| *i != id);
                    }
                }
                Ok(r) => panic!("write answered {}", r.status()),
                Err(_) => break,
            }
        }
    }
    known
}

fn round(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), support::free_port(), Some(PW));
    s.ready();
    let (status, v) = login(&s, "admin", PW);
    assert_eq!(status, 200);
    let token = v["access_token"].as_str().unwrap().to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (base, token, stop) = (s.url(""), token.clone(), stop.clone());
            std::thread::spawn(move || writer(base, token, w, stop))
        })
        .collect();
    // A random moment (the clock's nanoseconds), 0.3 to 1.8 s into the writing.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    let after = 300 + (nanos ^ seed.wrapping_mul(7919)) % 1500;
    eprintln!("round {seed}: killing after {after} ms");
    std::thread::sleep(Duration::from_millis(after));
    s.child.kill().unwrap(); // SIGKILL
    s.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    let known: Vec<HashMap<String, Known>> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    drop(s);

    let services = Services::open(dir.path(), Settings::default(), None).unwrap();
    let problems = services.store.read(integrity::check).unwrap();
    assert!(problems.is_empty(), "round {seed}: {problems:#?}");
    let admin = services
        .list_users()
        .unwrap()
        .into_iter()
        .find(|u| u.username == "admin")
        .unwrap();
    let caller = Caller {
        id: dmptool::domain::UserId(admin.id),
        username: "admin".into(),
        admin: true,
    };
    let mut checked = 0;
    for (id, k) in known.iter().flatten() {
        let got = services
            .get_dmp(&caller, dmptool::domain::DmpId::parse(id).unwrap())
            .ok()
            .map(|d| {
                let doc: serde_json::Value = serde_json::from_str(d.doc.get()).unwrap();
                doc["name"].as_str().unwrap_or("").to_owned()
            });
        let mut allowed = vec![k.acked.clone()];
        if let Some(pending) = &k.in_flight {
            allowed.push(pending.clone());
        }
        assert!(
            allowed.contains(&got),
            "round {seed}: dmp {id}: found {got:?}, acknowledged {:?}",
            k
        );
        checked += 1;
    }
    assert!(
        checked > 0,
        "round {seed}: no write was acknowledged before the kill"
    );
    eprintln!("round {seed}: {checked} acknowledged plans checked");
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    for seed in 0..3 {
        round(seed);
    }
}

#[test]
#[ignore = "long: 20 rounds"]
fn acknowledged_writes_survive_sigkill_long() {
    for seed in 0..20 {
        round(seed);
    }
}

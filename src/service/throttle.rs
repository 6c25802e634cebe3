//! Slowing down password guessing without locking real users out for long.
//!
//! Failed logins are counted per (account, client), per account and per client, each in a
//! window that forgets 15 minutes after the last failure. Past a free allowance, each further
//! failure makes the key wait, doubling from 1 s up to a cap (60 s for accounts, 300 s for a
//! client address). A wait is short by design: an attacker can delay a user, not shut them out.
//! A success clears the (account, client) and account counters.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_KEYS: usize = 100_000;

#[derive(Clone, Copy)]
struct Policy {
    free: u32,
    cap_secs: u64,
}

const PAIR: Policy = Policy {
    free: 5,
    cap_secs: 60,
};
const ACCOUNT: Policy = Policy {
    free: 20,
    cap_secs: 60,
};
const CLIENT: Policy = Policy {
    free: 30,
    cap_secs: 300,
};

#[derive(Hash, PartialEq, Eq, Clone)]
enum Key {
    Pair(String, Option<IpAddr>),
    Account(String),
    Client(IpAddr),
}

struct Entry {
    failures: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl LoginThrottle {
    fn keys(username: &str, client: Option<IpAddr>) -> Vec<(Key, Policy)> {
        let mut keys = vec![
            (Key::Pair(username.to_owned(), client), PAIR),
            (Key::Account(username.to_owned()), ACCOUNT),
        ];
        if let Some(ip) = client {
            keys.push((Key::Client(ip), CLIENT));
        }
        keys
    }

    /// `Some(seconds)` when this attempt must wait before it is even checked.
    pub fn check(&self, username: &str, client: Option<IpAddr>) -> Option<u64> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(username, client)
            .iter()
            .filter_map(|(k, _)| entries.get(k)?.blocked_until)
            .filter(|until| *until > now)
            .map(|until| (until - now).as_secs().max(1))
            .max()
    }

    pub fn failure(&self, username: &str, client: Option<IpAddr>) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > MAX_KEYS {
            entries.retain(|_, e| now.duration_since(e.last) < WINDOW);
        }
        for (key, policy) in Self::keys(username, client) {
            let e = entries.entry(key).or_insert(Entry {
                failures: 0,
                last: now,
                blocked_until: None,
            });
            if now.duration_since(e.last) >= WINDOW {
                e.failures = 0;
            }
            e.failures += 1;
            e.last = now;
            if e.failures > policy.free {
                let exp = (e.failures - policy.free - 1).min(16);
                let wait = (1u64 << exp).min(policy.cap_secs);
                e.blocked_until = Some(now + Duration::from_secs(wait));
            }
        }
    }

    pub fn success(&self, username: &str, client: Option<IpAddr>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(&Key::Pair(username.to_owned(), client));
        entries.remove(&Key::Account(username.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_failures_then_a_short_wait() {
        let t = LoginThrottle::default();
        let ip = Some("10.0.0.1".parse().unwrap());
        for _ in 0..5 {
            assert_eq!(t.check("ann", ip), None);
            t.failure("ann", ip);
        }
        assert_eq!(t.check("ann", ip), None);
        t.failure("ann", ip);
        let wait = t.check("ann", ip).unwrap();
        assert!((1..=60).contains(&wait));
        // Another client is not held back by this client's pair counter.
        assert_eq!(t.check("ann", Some("10.0.0.2".parse().unwrap())), None);
    }

    #[test]
    fn success_clears_the_account() {
        let t = LoginThrottle::default();
        for _ in 0..6 {
            t.failure("bob", None);
        }
        assert!(t.check("bob", None).is_some());
        t.success("bob", None);
        assert_eq!(t.check("bob", None), None);
    }

    #[test]
    fn waits_are_capped() {
        let t = LoginThrottle::default();
        for _ in 0..40 {
            t.failure("eve", None);
        }
        assert!(t.check("eve", None).unwrap() <= 60);
    }
}

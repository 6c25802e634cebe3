//! Slowing down password guessing without locking real users out.
//!
//! Failed logins are counted per (account, client), per account and per client, each in a
//! window that forgets 15 minutes after the last failure. Past a free allowance, each further
//! failure makes the key wait, doubling from 1 s up to a cap (60 s for accounts, 300 s for a
//! client address). A wait is short by design: an attacker can delay a user, not shut them out.
//! The account's own wait holds back only clients that have failed for that account (and
//! clients without a known address): the right password from an address that has not failed
//! always gets in, however many guesses others make. A success clears the (account, client)
//! and account counters.
//!
//! Memory is bounded in bytes, whatever the usernames tried: a key holds a keyed 64-bit hash
//! of the username, never the name, so every entry has the same small size, and the table
//! holds at most `MAX_KEYS` entries (expired ones are dropped first, then the oldest).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
/// At most this many keys (about 64 bytes each with the map's overhead: a few MiB).
const MAX_KEYS: usize = 50_000;

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

/// A username as the throttle knows it: a keyed hash (the key is random per process, so
/// nobody can aim collisions at a real account).
type Name = u64;

#[derive(Hash, PartialEq, Eq, Clone, Copy)]
enum Key {
    Pair(Name, Option<IpAddr>),
    Account(Name),
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
    names: RandomState,
}

impl LoginThrottle {
    fn name(&self, username: &str) -> Name {
        self.names.hash_one(username)
    }

    fn keys(&self, username: &str, client: Option<IpAddr>) -> Vec<(Key, Policy)> {
        let name = self.name(username);
        let client = client.map(group);
        let mut keys = vec![
            (Key::Pair(name, client), PAIR),
            (Key::Account(name), ACCOUNT),
        ];
        if let Some(ip) = client {
            keys.push((Key::Client(ip), CLIENT));
        }
        keys
    }

    /// `Some(seconds)` when this login must wait before it is even checked.
    pub fn check(&self, username: &str, client: Option<IpAddr>) -> Option<u64> {
        self.wait(username, client, false)
    }

    /// As [`LoginThrottle::check`], with the account's wait applying to every client: for
    /// checks of a password by someone already holding a token (changing the password),
    /// where no real user can be locked out and a thief could otherwise rotate addresses.
    pub fn check_strict(&self, username: &str, client: Option<IpAddr>) -> Option<u64> {
        self.wait(username, client, true)
    }

    fn wait(&self, username: &str, client: Option<IpAddr>, strict: bool) -> Option<u64> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let live = |k: &Key| {
            entries
                .get(k)
                .filter(|e| now.duration_since(e.last) < WINDOW)
        };
        let keys = self.keys(username, client);
        // Has this client failed for this account (lately)? If not, the account's wait is
        // not its concern.
        let pair_failed = keys
            .iter()
            .find(|(k, _)| matches!(k, Key::Pair(..)))
            .and_then(|(k, _)| live(k))
            .is_some_and(|e| e.failures > 0);
        keys.iter()
            .filter(|(k, _)| {
                !matches!(k, Key::Account(_)) || strict || pair_failed || client.is_none()
            })
            .filter_map(|(k, _)| live(k)?.blocked_until)
            .filter(|until| *until > now)
            .map(|until| (until - now).as_secs().max(1))
            .max()
    }

    pub fn failure(&self, username: &str, client: Option<IpAddr>) {
        let now = Instant::now();
        let keys = self.keys(username, client);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() + keys.len() > MAX_KEYS {
            make_room(&mut entries, now);
        }
        for (key, policy) in keys {
            let e = entries.entry(key).or_insert(Entry {
                failures: 0,
                last: now,
                blocked_until: None,
            });
            if now.duration_since(e.last) >= WINDOW {
                e.failures = 0;
                e.blocked_until = None;
            }
            e.failures = e.failures.saturating_add(1);
            e.last = now;
            if e.failures > policy.free {
                let exp = (e.failures - policy.free - 1).min(16);
                let wait = (1u64 << exp).min(policy.cap_secs);
                e.blocked_until = Some(now + Duration::from_secs(wait));
            }
        }
    }

    pub fn success(&self, username: &str, client: Option<IpAddr>) {
        let name = self.name(username);
        let client = client.map(group);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(&Key::Pair(name, client));
        entries.remove(&Key::Account(name));
    }

    /// Keys held now (for tests and the bound).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// The address a client is counted under: IPv6 addresses by their /64 (one machine, or
/// one customer of a provider, holds a whole /64 and could otherwise rotate through it).
fn group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// Drops expired entries; if that is not enough, the least recently failed quarter.
fn make_room(entries: &mut HashMap<Key, Entry>, now: Instant) {
    entries.retain(|_, e| now.duration_since(e.last) < WINDOW);
    if entries.len() + 8 > MAX_KEYS {
        let mut ages: Vec<Instant> = entries.values().map(|e| e.last).collect();
        let cut = ages.len() / 4;
        ages.select_nth_unstable(cut);
        let oldest = ages[cut];
        entries.retain(|_, e| e.last > oldest);
    }
    entries.shrink_to(MAX_KEYS);
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
    fn a_clean_address_is_not_held_back_by_others_guessing_the_account() {
        let t = LoginThrottle::default();
        for i in 0..100u8 {
            let ip = Some(IpAddr::from([10, 0, 1, i]));
            t.failure("ann", ip);
        }
        // The account is past its allowance: a client that failed for it waits ...
        assert!(t.check("ann", Some(IpAddr::from([10, 0, 1, 7]))).is_some());
        assert!(t.check("ann", None).is_some());
        // ... and an address that never failed is let through to the password check.
        assert_eq!(t.check("ann", Some(IpAddr::from([192, 0, 2, 1]))), None);
    }

    #[test]
    fn ipv6_clients_count_by_their_slash_64_and_strict_checks_hold_every_client() {
        let t = LoginThrottle::default();
        for i in 0..40u16 {
            let ip = IpAddr::from([0x2001, 0xdb8, 1, 2, i, 0, 0, i]);
            t.failure("ann", Some(ip));
        }
        // Another address of the same /64 is the same client, which has failed.
        let same = IpAddr::from([0x2001, 0xdb8, 1, 2, 9, 9, 9, 9]);
        assert!(t.check("ann", Some(same)).is_some());
        let other = IpAddr::from([0x2001, 0xdb8, 1, 3, 0, 0, 0, 1]);
        assert_eq!(t.check("ann", Some(other)), None);
        assert!(t.check_strict("ann", Some(other)).is_some());
    }

    #[test]
    fn the_table_stays_within_its_bound_whatever_the_names() {
        let t = LoginThrottle::default();
        for i in 0..(MAX_KEYS as u32 * 2) {
            let ip = Some(IpAddr::from(i.to_be_bytes()));
            t.failure(&format!("user{i}"), ip);
        }
        assert!(t.len() <= MAX_KEYS, "{}", t.len());
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

//! Record identifiers.
//!
//! DMPs and tasks carry MongoDB-compatible ObjectIds (12 bytes, shown as 24 lowercase hex
//! characters): 4 bytes of seconds since the epoch, 5 bytes random per process, 3 bytes of
//! counter. They sort by creation time, so "newest first" is a reverse range scan, and ids
//! imported from the legacy MongoDB keep working. Users and projects have integer ids, as in
//! the legacy SQLite database.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use super::InvalidValue;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId([u8; 12]);

fn process_unique() -> &'static ([u8; 5], AtomicU32) {
    static STATE: OnceLock<([u8; 5], AtomicU32)> = OnceLock::new();
    STATE.get_or_init(|| {
        let bytes: [u8; 5] = rand::random();
        (bytes, AtomicU32::new(rand::random::<u32>() & 0x00ff_ffff))
    })
}

impl ObjectId {
    /// A fresh id for the current second.
    pub fn generate() -> Self {
        let secs = u32::try_from(crate::domain::time::now_millis() / 1000).unwrap_or(u32::MAX);
        Self::generate_at(secs)
    }

    /// A fresh id whose time part is `secs` (seconds since the Unix epoch).
    pub fn generate_at(secs: u32) -> Self {
        let (random, counter) = process_unique();
        let count = counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&secs.to_be_bytes());
        b[4..9].copy_from_slice(random);
        b[9..].copy_from_slice(&count.to_be_bytes()[1..]);
        Self(b)
    }

    pub fn from_bytes(bytes: [u8; 12]) -> Self {
        Self(bytes)
    }

    pub fn bytes(&self) -> [u8; 12] {
        self.0
    }

    /// Seconds since the Unix epoch at which the id was made.
    pub fn timestamp_secs(&self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]])
    }

    /// Parses the 24-hex-character form (either case).
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let invalid = || {
            InvalidValue(format!(
                "'{}' is not a valid id (24 hex characters expected)",
                truncate(s)
            ))
        };
        if s.len() != 24 {
            return Err(invalid());
        }
        let mut b = [0u8; 12];
        hex::decode_to_slice(s, &mut b).map_err(|_| invalid())?;
        Ok(Self(b))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

macro_rules! object_id_type {
    ($name:ident, $what:literal) => {
        #[doc = concat!("Id of a ", $what, ".")]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub struct $name(pub ObjectId);

        impl $name {
            pub fn generate() -> Self {
                Self(ObjectId::generate())
            }
            pub fn parse(s: &str) -> Result<Self, InvalidValue> {
                ObjectId::parse(s).map(Self).map_err(|_| {
                    InvalidValue(format!(
                        concat!(
                            "'{}' is not a valid ",
                            $what,
                            " id (24 hex characters expected)"
                        ),
                        truncate(s)
                    ))
                })
            }
            pub fn bytes(&self) -> [u8; 12] {
                self.0.bytes()
            }
            pub fn from_bytes(b: [u8; 12]) -> Self {
                Self(ObjectId::from_bytes(b))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

object_id_type!(DmpId, "DMP");
object_id_type!(TaskId, "task");

/// Id of a user account (an integer, as in the legacy SQLite database).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct UserId(pub u64);

/// Id of a project.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ProjectId(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_id_round_trips_and_orders_by_time() {
        let a = ObjectId::generate_at(1_600_000_000);
        let b = ObjectId::generate_at(1_600_000_001);
        assert!(a < b);
        assert_eq!(ObjectId::parse(&a.to_string()), Ok(a));
        assert_eq!(a.timestamp_secs(), 1_600_000_000);
        assert_eq!(a.to_string().len(), 24);
    }

    #[test]
    fn legacy_ids_parse_with_their_time() {
        let id = ObjectId::parse("5f4788901670a9821bc72985").unwrap();
        assert_eq!(id.timestamp_secs(), 0x5f47_8890);
        assert_eq!(id.to_string(), "5f4788901670a9821bc72985");
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "5f47",
            "5f4788901670a9821bc7298z",
            "../../etc/passwd",
            "5f4788901670a9821bc729850",
        ] {
            assert!(ObjectId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_from_one_second_stay_unique() {
        let ids: std::collections::HashSet<_> =
            (0..10_000).map(|_| ObjectId::generate_at(7)).collect();
        assert_eq!(ids.len(), 10_000);
    }
}

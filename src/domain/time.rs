//! Time as stored (milliseconds since the Unix epoch) and as shown (ISO-8601 UTC).

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// The time every expiry decision reads (tokens, download links, session revocations): the
/// system clock, moved forward by what [`Clock::advance`] added. Clones share the offset,
/// so a test holding a clone of the services' `Settings::clock` moves their time instead
/// of sleeping. Nothing but tests advances it; the default is the system clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_millis: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// Moves this clock (and every clone of it) forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_millis
            .fetch_add(by, std::sync::atomic::Ordering::Relaxed);
    }

    /// Milliseconds since the Unix epoch, by this clock.
    pub fn now_millis(&self) -> i64 {
        now_millis().saturating_add(
            self.offset_millis
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// Seconds since the Unix epoch, by this clock.
    pub fn now_secs(&self) -> u64 {
        u64::try_from(self.now_millis() / 1000).unwrap_or(0)
    }
}

/// `2026-11-27T01:29:57.123Z`
pub fn iso8601(millis: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 / ISO-8601 date-time into milliseconds since the epoch.
pub fn parse_iso8601(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// Whether `s` is an RFC 3339 `full-date`: `YYYY-MM-DD`, zero-padded, a real day.
pub fn is_full_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_and_its_clones_move_together_by_what_is_added() {
        let clock = Clock::default();
        let clone = clock.clone();
        let before = clock.now_secs();
        assert!(
            before.abs_diff(now_secs()) <= 1,
            "the default is the system clock"
        );
        clone.advance(std::time::Duration::from_secs(3600));
        assert!(clock.now_secs() >= before + 3600);
        assert!(clock.now_secs() <= now_secs() + 3601);
    }

    #[test]
    fn full_dates_are_strict() {
        assert!(is_full_date("2030-01-05"));
        assert!(is_full_date("2024-02-29"));
        for bad in [
            "2030-1-5",
            "2030-01-5",
            "2023-02-29",
            "2030-13-01",
            "05/01/2030",
            "2030-01-05T00:00:00Z",
            " 2030-01-05",
            "",
            "+030-01-05",
        ] {
            assert!(!is_full_date(bad), "{bad}");
        }
    }

    #[test]
    fn formats_utc_with_millis() {
        assert_eq!(iso8601(1_598_523_536_000), "2020-08-27T10:18:56.000Z");
        assert_eq!(
            parse_iso8601("2020-08-27T10:18:56.000Z"),
            Some(1_598_523_536_000)
        );
    }
}

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

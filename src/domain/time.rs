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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_millis() {
        assert_eq!(iso8601(1_598_523_536_000), "2020-08-27T10:18:56.000Z");
        assert_eq!(
            parse_iso8601("2020-08-27T10:18:56.000Z"),
            Some(1_598_523_536_000)
        );
    }
}

//! Conditions a write of a DMP must meet (`If-Match`, `If-Unmodified-Since`), and the entity
//! tag they compare against. The services check them inside the write's transaction.

use super::DmpId;

/// A DMP's entity tag for one state of it.
pub fn etag(id: DmpId, version: u64) -> String {
    format!("\"{id}-{version}\"")
}

/// A precondition that no longer holds; the message says which and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Stale(pub String);

/// Conditions a write must meet (`If-Match`, `If-Unmodified-Since`).
#[derive(Debug, Clone, Default)]
pub struct Precondition {
    /// Entity tags one of which must be current (`*` matches any).
    pub if_match: Option<Vec<String>>,
    /// The DMP must not have changed after this time (milliseconds since the epoch).
    pub unmodified_since: Option<i64>,
}

impl Precondition {
    /// The condition of an `If-Match` header (a comma-separated list of entity tags).
    /// An empty header (or one of commas only) names no tag: it is no condition.
    pub fn from_if_match(header: Option<String>) -> Self {
        let tags: Option<Vec<String>> = header.map(|v| {
            v.split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect()
        });
        Self {
            if_match: tags.filter(|t| !t.is_empty()),
            unmodified_since: None,
        }
    }

    /// Checks the DMP `id` at `version`, last changed at `updated` (milliseconds).
    pub fn check(&self, id: DmpId, version: u64, updated: i64) -> Result<(), Stale> {
        let current = etag(id, version);
        if let Some(tags) = &self.if_match {
            let weak = |t: &str| t.trim().trim_start_matches("W/").to_owned();
            if !tags.iter().any(|t| t.trim() == "*" || weak(t) == current) {
                return Err(Stale(format!(
                    "the DMP has changed: its entity tag is now {current}"
                )));
            }
        }
        if self.unmodified_since.is_some_and(|since| updated > since) {
            return Err(Stale(
                "the DMP has been modified since the given time".into(),
            ));
        }
        Ok(())
    }

    /// The oldest version of DMP `id` that an `If-Match` tag names (`"<id>-<version>"`).
    pub fn named_version(&self, id: DmpId) -> Option<u64> {
        let prefix = format!("{id}-");
        self.if_match
            .iter()
            .flatten()
            .filter_map(|t| {
                let t = t.trim().trim_start_matches("W/").trim_matches('"');
                t.strip_prefix(&prefix)?.parse::<u64>().ok()
            })
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_precondition_holds_for_the_current_tag_and_an_unchanged_dmp() {
        let id = DmpId::parse("0123456789abcdef01234567").unwrap();
        let tag = etag(id, 3);
        let pre = |m: &[&str], since| Precondition {
            if_match: Some(m.iter().map(|s| (*s).to_owned()).collect()),
            unmodified_since: since,
        };
        assert_eq!(pre(&[&tag], None).check(id, 3, 10), Ok(()));
        assert_eq!(pre(&["*"], Some(10)).check(id, 3, 10), Ok(()));
        assert_eq!(pre(&[&format!("W/{tag}")], None).check(id, 3, 10), Ok(()));
        assert!(pre(&[&tag], None).check(id, 4, 10).is_err());
        assert!(pre(&["*"], Some(9)).check(id, 3, 10).is_err());
        assert_eq!(Precondition::default().check(id, 9, 99), Ok(()));
    }
}

//! A plan's activity: who created, edited (which parts), restored, shared, unshared,
//! transferred, commented and made documents, newest first. Merged from two sources written
//! in the transactions of the acts: the revisions (every change of content) and the events
//! table (everything else).

use serde_json::{Value, json};

use super::comments::user_name;
use super::error::Result;
use super::{Caller, Services, access};
use crate::domain::{DmpId, Role};
use crate::store::events::{self, EventRecord};
use crate::store::revisions::{self, RevisionRecord};

/// One thing that happened to a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityItem {
    /// Milliseconds since the epoch.
    pub time: i64,
    /// The username of who acted (`administrator` for the command line).
    pub actor: String,
    /// `created`, `edited`, `restored` (from the revisions); `shared`, `unshared`,
    /// `transferred`, `commented`, `replied`, `resolved`, `reopened`, `comment-deleted`,
    /// `documents` (from the events).
    pub kind: String,
    /// What it concerned: for a revision `revision`, `via`, `changed` (and `replaced`,
    /// `restored_from`); for an event what the act recorded.
    pub detail: Value,
}

/// A page of activity and how many items there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityPage {
    pub items: Vec<ActivityItem>,
    pub total: u64,
}

/// A revision as an activity item (its actor still an id).
fn from_revision(n: u64, r: RevisionRecord) -> (i64, u64, String, Value) {
    let kind = if r.restored_from.is_some() {
        "restored"
    } else if r.replaced.is_none() {
        "created"
    } else {
        "edited"
    };
    let mut detail = json!({ "revision": n, "via": r.via, "changed": r.changed });
    if let Some(p) = r.replaced {
        detail["replaced"] = p.into();
    }
    if let Some(f) = r.restored_from {
        detail["restored_from"] = f.into();
    }
    (r.time, r.author, kind.to_owned(), detail)
}

fn from_event(e: EventRecord) -> (i64, u64, String, Value) {
    let detail = match e.detail {
        Value::Null => json!({}),
        other => other,
    };
    (e.time, e.actor, e.kind, detail)
}

/// Merges two newest-first lists, newest first; at the same time an event comes before a
/// revision (an act on a plan follows the change it was made on: a plan is created, then
/// shared).
fn merge<T>(revs: Vec<T>, evs: Vec<T>, time: impl Fn(&T) -> i64) -> Vec<T> {
    let mut out = Vec::with_capacity(revs.len() + evs.len());
    let mut revs = revs.into_iter().peekable();
    let mut evs = evs.into_iter().peekable();
    loop {
        let take_event = match (revs.peek(), evs.peek()) {
            (None, None) => break,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some(r), Some(e)) => time(e) >= time(r),
        };
        let next = if take_event { evs.next() } else { revs.next() };
        out.extend(next);
    }
    out
}

impl Services {
    /// Items `offset .. offset + limit` of a plan's activity, newest first (any member).
    pub fn dmp_activity(
        &self,
        caller: &Caller,
        id: DmpId,
        offset: usize,
        limit: usize,
    ) -> Result<ActivityPage> {
        self.store.read(|tx| {
            access::check(tx, caller, id, Role::Viewer)?;
            // The page's items are among the first offset + limit of each source.
            let want = offset.saturating_add(limit);
            let (revs, rev_total) = revisions::page(tx, id.bytes(), 0, want)?;
            let evs = events::newest(tx, id.bytes(), 0, want)?;
            let ev_total = events::count(tx, id.bytes())?;
            let merged = merge(
                revs.into_iter().map(|(n, r)| from_revision(n, r)).collect(),
                evs.into_iter().map(from_event).collect(),
                |i| i.0,
            );
            let mut names = std::collections::HashMap::new();
            let mut items = Vec::new();
            for (time, actor, kind, detail) in merged.into_iter().skip(offset).take(limit) {
                let actor = match names.get(&actor) {
                    Some(n) => String::clone(n),
                    None => {
                        let n = user_name(tx, actor)?;
                        names.insert(actor, n.clone());
                        n
                    }
                };
                items.push(ActivityItem {
                    time,
                    actor,
                    kind,
                    detail,
                });
            }
            Ok(ActivityPage {
                items,
                total: rev_total + ev_total,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_newest_first_lists_merge_newest_first_events_before_revisions_at_a_tie() {
        let revs = vec![(9, "r9"), (5, "r5"), (1, "r1")];
        let evs = vec![(10, "e10"), (5, "e5"), (2, "e2")];
        let merged: Vec<&str> = merge(revs, evs, |i| i.0).into_iter().map(|i| i.1).collect();
        assert_eq!(merged, ["e10", "r9", "e5", "r5", "e2", "r1"]);
        assert_eq!(merge(Vec::<(i64, ())>::new(), vec![], |i| i.0), vec![]);
    }
}

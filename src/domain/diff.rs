//! What changed between two states of a plan. (Interim: the parts summary only; the full
//! semantic diff replaces this file.)

use serde_json::{Map, Value};

/// The parts that differ: top-level keys, `answers` per question as `answers/<qid>`.
pub fn changed_parts(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let empty = Map::new();
    for key in old.keys().chain(new.keys()) {
        if old.get(key) == new.get(key) {
            continue;
        }
        if key == "answers" {
            let a = old.get(key).and_then(Value::as_object).unwrap_or(&empty);
            let b = new.get(key).and_then(Value::as_object).unwrap_or(&empty);
            for q in a.keys().chain(b.keys()) {
                if a.get(q) != b.get(q) {
                    out.push(format!("answers/{q}"));
                }
            }
        } else {
            out.push(key.clone());
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

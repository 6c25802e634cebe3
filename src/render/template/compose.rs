//! Composing a question's answer from a plan: its own words, then the template's parts
//! filled from the plan's fields and lists (see the module doc of `super`).

use serde_json::{Map, Value};

use super::{Condition, Each, Part, Question, Template};

/// A DMP value as text: strings trimmed, numbers as written, booleans as Yes/No, lists
/// joined with commas, objects as compact JSON; null and empty values are "".
pub fn value_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Bool(b)) => if *b { "Yes" } else { "No" }.to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| value_text(Some(i)))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        Some(o @ Value::Object(_)) => o.to_string(),
    }
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

pub(super) fn holds(cond: &Condition, actual: &str) -> bool {
    let one = |expected: &str| match expected {
        "*" => !actual.is_empty(),
        e if e.starts_with('!') => !actual.is_empty() && norm(actual) != norm(&e[1..]),
        e => norm(actual) == norm(e),
    };
    match cond {
        Condition::One(e) => one(e),
        Condition::AnyOf(list) => list.iter().any(|e| one(e)),
    }
}

/// Values that stand for "nothing" in a form: never printed as data.
pub fn is_placeholder(text: &str) -> bool {
    matches!(norm(text).as_str(), "" | "none" | "n/a" | "-" | "null")
}

impl Template {
    /// A field's value as the document may print it: "" when not answered, when a
    /// placeholder, a structured part, or when the answer controlling it hides it (see
    /// `visibility`).
    pub fn shown(&self, doc: &Map<String, Value>, field: &str) -> String {
        // The plan model's structured parts are printed by parts with `each` (and the
        // title block), never as JSON text.
        if crate::domain::plan::STRUCTURED_KEYS.contains(&field)
            && doc
                .get(field)
                .is_some_and(|v| v.is_object() || v.is_array())
        {
            return String::new();
        }
        let text = value_text(doc.get(field));
        if is_placeholder(&text) {
            return String::new();
        }
        if let Some(conds) = self.visibility.get(field) {
            // One level: the controlling answers are read as given (placeholders aside).
            let visible = conds.iter().all(|(on, cond)| {
                let v = value_text(doc.get(on));
                holds(cond, if is_placeholder(&v) { "" } else { &v })
            });
            if !visible {
                return String::new();
            }
        }
        text
    }

    /// Whether a form shows `field` for this plan: the conditions of its `visibility` hold
    /// (a field without any is always shown). The web editor hides the others.
    pub fn visible(&self, doc: &Map<String, Value>, field: &str) -> bool {
        self.visibility.get(field).is_none_or(|conds| {
            conds.iter().all(|(on, cond)| {
                let v = value_text(doc.get(on));
                holds(cond, if is_placeholder(&v) { "" } else { &v })
            })
        })
    }

    /// The paragraphs composed from the plan's fields for `q`; empty when nothing applies.
    pub fn compose(&self, q: &Question, doc: &Map<String, Value>) -> Vec<String> {
        self.compose_without(q, doc, None)
    }

    /// The paragraphs of the parts of `q` over `list` for one of its items only (a
    /// dataset's own subsection answers its per-dataset questions this way).
    pub fn compose_item(&self, q: &Question, item: &Value, list: Each) -> Vec<String> {
        q.answers
            .iter()
            .filter(|p| p.each == Some(list))
            .filter_map(|p| {
                fill(
                    p,
                    |field| item_text(item, field),
                    |field, cond| item_holds(item, field, cond),
                )
            })
            .collect()
    }

    /// [`Template::compose`], leaving out the parts over `skip` (when they are printed
    /// item by item elsewhere).
    pub fn compose_without(
        &self,
        q: &Question,
        doc: &Map<String, Value>,
        skip: Option<Each>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(p) = q.answers.get(i) {
            let Some(list) = p.each else {
                out.extend(fill(
                    p,
                    |field| self.shown(doc, field),
                    |field, cond| holds(cond, &self.shown(doc, field)),
                ));
                i += 1;
                continue;
            };
            // Consecutive parts over the same list go item by item, so each item's
            // sentences stay together and the items keep the plan's order.
            let run = q.answers[i..]
                .iter()
                .take_while(|r| r.each == Some(list))
                .count();
            if skip == Some(list) {
                i += run;
                continue;
            }
            if let Some(Value::Array(items)) = doc.get(list.key()) {
                for item in items.iter().filter(|it| it.is_object()) {
                    for r in &q.answers[i..i + run] {
                        out.extend(fill(
                            r,
                            |field| item_text(item, field),
                            |field, cond| item_holds(item, field, cond),
                        ));
                    }
                }
            }
            i += run;
        }
        out
    }
}

/// A part's text with its placeholders filled, if its conditions hold and every
/// placeholder has a value.
fn fill(
    p: &Part,
    value: impl Fn(&str) -> String,
    cond_holds: impl Fn(&str, &Condition) -> bool,
) -> Option<String> {
    if !p.when.iter().all(|(field, cond)| cond_holds(field, cond)) {
        return None;
    }
    let mut text = String::new();
    let mut rest = p.text.as_str();
    let mut had_placeholder = false;
    while let Some(start) = rest.find('{') {
        text.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('}')?;
        let v = value(&after[..end]);
        if v.is_empty() {
            return None;
        }
        had_placeholder = true;
        text.push_str(&v);
        rest = &after[end + 1..];
    }
    text.push_str(rest);
    let text = text.trim().to_owned();
    (!text.is_empty() && (had_placeholder || !p.when.is_empty())).then_some(text)
}

/// The value at a dotted path inside a list item.
fn item_value<'a>(item: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(item, |v, seg| v.get(seg))
}

/// An item's field as printed: enumerated values by their label (`data_steward` → "data
/// steward", `doi` → "DOI"), lists joined with commas, placeholders as nothing.
pub fn item_text(item: &Value, path: &str) -> String {
    let key = path.rsplit('.').next().unwrap_or(path);
    let one = |v: &Value| {
        let t = value_text(Some(v));
        match crate::domain::plan::label(key, &t) {
            Some(label) => label.to_owned(),
            None if is_placeholder(&t) => String::new(),
            None => t,
        }
    };
    match item_value(item, path) {
        Some(Value::Array(list)) => list
            .iter()
            .map(one)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        Some(v) => one(v),
        None => String::new(),
    }
}

/// A condition on an item's field; on a list it holds when it holds for one of its
/// values (`"roles": "data_steward"`), and `""` when the list is empty.
fn item_holds(item: &Value, path: &str, cond: &Condition) -> bool {
    let raw = |v: &Value| {
        let t = value_text(Some(v));
        if is_placeholder(&t) { String::new() } else { t }
    };
    match item_value(item, path) {
        Some(Value::Array(list)) if !list.is_empty() => list.iter().any(|v| holds(cond, &raw(v))),
        Some(Value::Array(_)) | None => holds(cond, ""),
        Some(v) => holds(cond, &raw(v)),
    }
}

/// The plan's own words for question `id` (`answers.<id>`), as paragraphs: blank lines
/// separate them.
pub fn own_answer(doc: &Map<String, Value>, id: &str) -> Vec<String> {
    let text = match doc.get("answers").and_then(|a| a.get(id)) {
        Some(Value::String(s)) => s.replace("\r\n", "\n").replace('\r', "\n"),
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    for line in text.split('\n') {
        if line.trim().is_empty() {
            if !para.is_empty() {
                out.push(para.join("\n").trim().to_owned());
                para.clear();
            }
        } else {
            para.push(line);
        }
    }
    if !para.is_empty() {
        out.push(para.join("\n").trim().to_owned());
    }
    out.retain(|p| !is_placeholder(p));
    out
}

//! Checking a template file: every problem with where it is (`dmptool admin
//! check-template`, and every load).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Section, Template};

/// One problem of a template file and where it is: a JSON pointer into the file, or its
/// line and column when the file is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

fn problem(at: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        at: at.into(),
        message: message.into(),
    }
}

/// The JSON pointer of where serde stopped.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        out.push('/');
        match seg {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push_str(&key.replace('~', "~0").replace('/', "~1"))
            }
            Segment::Unknown => out.push('?'),
        }
    }
    if out.is_empty() { "/".into() } else { out }
}

/// A question id or field name: what a plan's `answers` and a placeholder may name.
fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Template {
    /// Reads a template file and lists every problem it has (the template when it has
    /// none). `name`, when given, is the name the file must declare.
    pub fn check(name: Option<&str>, bytes: &[u8]) -> Result<Self, Vec<Problem>> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            vec![problem(
                format!("line {} column {}", e.line(), e.column()),
                format!("not JSON: {e}"),
            )]
        })?;
        let t: Template = serde_path_to_error::deserialize(&value).map_err(|e| {
            let at = pointer(e.path());
            vec![problem(at, e.into_inner().to_string())]
        })?;
        let mut problems = Vec::new();
        if let Some(name) = name
            && t.name != name
        {
            problems.push(problem(
                "/name",
                format!("it is '{}', but the file must declare '{name}'", t.name),
            ));
        }
        if !is_key(&t.name) {
            problems.push(problem(
                "/name",
                "a name is 1 to 64 letters, digits, '_' or '-'",
            ));
        }
        if t.title.trim().is_empty() {
            problems.push(problem("/title", "the template has no title"));
        }
        if t.sections.is_empty() {
            problems.push(problem("/sections", "the template has no sections"));
        }
        for (field, conds) in &t.visibility {
            let at = format!(
                "/visibility/{}",
                field.replace('~', "~0").replace('/', "~1")
            );
            if !is_key(field) {
                problems.push(problem(&at, format!("'{field}' is not a field name")));
            }
            if conds.is_empty() {
                problems.push(problem(&at, "names no condition"));
            }
            for on in conds.keys() {
                if on == field {
                    problems.push(problem(&at, "a field cannot control itself"));
                } else if !is_key(on) {
                    problems.push(problem(&at, format!("'{on}' is not a field name")));
                }
            }
        }
        let mut ids = BTreeMap::new();
        for (i, s) in t.sections.iter().enumerate() {
            check_section(s, &format!("/sections/{i}"), &mut ids, &mut problems);
        }
        if problems.is_empty() {
            Ok(t)
        } else {
            Err(problems)
        }
    }
}

fn check_section(
    s: &Section,
    at: &str,
    ids: &mut BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) {
    if s.title.trim().is_empty() {
        problems.push(problem(format!("{at}/title"), "the section has no title"));
    }
    if s.questions.is_empty() && s.subsections.is_empty() {
        problems.push(problem(
            at,
            format!("section '{}' has no questions", s.title.trim()),
        ));
    }
    for (j, q) in s.questions.iter().enumerate() {
        let qat = format!("{at}/questions/{j}");
        if !is_key(&q.id) {
            problems.push(problem(
                format!("{qat}/id"),
                format!(
                    "'{}' is not an id: 1 to 64 letters, digits, '_' or '-'",
                    q.id
                ),
            ));
        } else if let Some(first) = ids.insert(q.id.clone(), qat.clone()) {
            problems.push(problem(
                format!("{qat}/id"),
                format!("'{}' is the id of {first} already", q.id),
            ));
        }
        if q.question.trim().is_empty() {
            problems.push(problem(
                format!("{qat}/question"),
                "the question has no text",
            ));
        }
        for (k, p) in q.answers.iter().enumerate() {
            let pat = format!("{qat}/answers/{k}");
            match placeholders(&p.text) {
                Err(e) => problems.push(problem(format!("{pat}/text"), e)),
                Ok(names) if p.each.is_none() => {
                    if let Some(dotted) = names.iter().find(|n| n.contains('.')) {
                        problems.push(problem(
                            format!("{pat}/text"),
                            format!("{{{dotted}}} reaches into an object, which only a part with \"each\" can"),
                        ));
                    }
                }
                Ok(_) => {}
            }
            for field in p.when.keys() {
                let ok = if p.each.is_some() {
                    field.split('.').all(is_key)
                } else {
                    is_key(field)
                };
                if !ok {
                    problems.push(problem(
                        format!("{pat}/when"),
                        format!("'{field}' is not a field name"),
                    ));
                }
            }
        }
    }
    for (j, sub) in s.subsections.iter().enumerate() {
        check_section(sub, &format!("{at}/subsections/{j}"), ids, problems);
    }
}

/// The names between braces in a part's text.
pub(super) fn placeholders(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in {text:?}"))?;
        let name = &after[..end];
        let segment_ok = |seg: &str| {
            !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if !name.split('.').all(segment_ok) {
            return Err(format!("bad placeholder {{{name}}} in {text:?}"));
        }
        out.push(name.to_owned());
        rest = &after[end + 1..];
    }
    Ok(out)
}

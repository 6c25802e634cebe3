//! Funder templates: sections, the questions as headings, and how each answer is composed
//! from the fields of a DMP.
//!
//! A template is a JSON data file (`assets/templates/<name>.json`, built in; a file of the
//! same name in `<data>/templates/` overrides it). Each question lists answer parts; a part
//! applies when its `when` conditions hold, and its `text` has `{field}` placeholders. A
//! part whose placeholders are all empty adds nothing, so a question whose parts add nothing
//! renders as "Not answered yet".
//!
//! Conditions map a field to what it must be: `"yes"` (equal, ignoring case and spaces
//! around), `["no", ""]` (any of these), `""` (not answered), `"*"` (answered), or
//! `"!others"` (answered, and not that value).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub funder: String,
    #[serde(default)]
    pub description: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub title: String,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub subsections: Vec<Section>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub question: String,
    pub answers: Vec<Part>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    #[serde(default)]
    pub when: BTreeMap<String, Condition>,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Condition {
    One(String),
    AnyOf(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown template '{name}' (available: {available})")]
    Unknown { name: String, available: String },
    #[error("template '{name}' is invalid: {reason}")]
    Invalid { name: String, reason: String },
}

/// Where a template came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Builtin,
    Override,
}

/// The default template of a DMP without a `template` field.
pub const DEFAULT_TEMPLATE: &str = "h2020";

impl Template {
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, TemplateError> {
        let invalid = |reason: String| TemplateError::Invalid {
            name: name.to_owned(),
            reason,
        };
        let t: Template = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        if t.name != name {
            return Err(invalid(format!(
                "its \"name\" is '{}', not '{name}'",
                t.name
            )));
        }
        if t.sections.is_empty() {
            return Err(invalid("it has no sections".into()));
        }
        fn check(
            s: &Section,
            invalid: &dyn Fn(String) -> TemplateError,
        ) -> Result<(), TemplateError> {
            if s.title.trim().is_empty() {
                return Err(invalid("a section has no title".into()));
            }
            if s.questions.is_empty() && s.subsections.is_empty() {
                return Err(invalid(format!("section '{}' has no questions", s.title)));
            }
            for q in &s.questions {
                if q.question.trim().is_empty() {
                    return Err(invalid(format!("question '{}' has no text", q.id)));
                }
                for p in &q.answers {
                    placeholders(&p.text)
                        .map_err(|e| invalid(format!("question '{}': {e}", q.id)))?;
                }
            }
            s.subsections.iter().try_for_each(|sub| check(sub, invalid))
        }
        t.sections.iter().try_for_each(|s| check(s, &invalid))?;
        Ok(t)
    }

    /// Every field the template reads, sorted: what a form built from it asks for.
    pub fn fields(&self) -> Vec<String> {
        let mut out = std::collections::BTreeSet::new();
        fn walk(s: &Section, out: &mut std::collections::BTreeSet<String>) {
            for q in &s.questions {
                for p in &q.answers {
                    out.extend(p.when.keys().cloned());
                    out.extend(placeholders(&p.text).unwrap_or_default());
                }
            }
            s.subsections.iter().for_each(|sub| walk(sub, out));
        }
        self.sections.iter().for_each(|s| walk(s, &mut out));
        out.into_iter().collect()
    }
}

/// The names between braces in a part's text.
fn placeholders(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in {text:?}"))?;
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("bad placeholder {{{name}}} in {text:?}"));
        }
        out.push(name.to_owned());
        rest = &after[end + 1..];
    }
    Ok(out)
}

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

fn holds(cond: &Condition, actual: &str) -> bool {
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

/// The paragraphs answering `q` for this DMP; empty when nothing applies.
pub fn compose(q: &Question, doc: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    'parts: for p in &q.answers {
        for (field, cond) in &p.when {
            if !holds(cond, &value_text(doc.get(field))) {
                continue 'parts;
            }
        }
        let mut text = String::new();
        let mut rest = p.text.as_str();
        let mut had_placeholder = false;
        while let Some(start) = rest.find('{') {
            text.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else { break };
            let value = value_text(doc.get(&after[..end]));
            if value.is_empty() {
                continue 'parts;
            }
            had_placeholder = true;
            text.push_str(&value);
            rest = &after[end + 1..];
        }
        text.push_str(rest);
        let text = text.trim().to_owned();
        if !text.is_empty() && (had_placeholder || !p.when.is_empty()) {
            out.push(text);
        }
    }
    out
}

/// Built-in templates, overridable by files in `<data>/templates/`. The override folder is
/// listed, never joined with a requested name: a name only selects among the files found.
pub struct Templates<'a> {
    override_dir: &'a Path,
}

impl<'a> Templates<'a> {
    pub fn new(override_dir: &'a Path) -> Self {
        Self { override_dir }
    }

    fn overrides(&self) -> BTreeMap<String, std::path::PathBuf> {
        let mut out = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(self.override_dir) {
            for e in entries.flatten() {
                let path = e.path();
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".json"));
                if let Some(name) = name
                    && !name.is_empty()
                    && !name.starts_with('.')
                    && e.file_type().is_ok_and(|t| t.is_file())
                {
                    out.insert(name.to_owned(), path);
                }
            }
        }
        out
    }

    /// Every template name with its source, sorted.
    pub fn names(&self) -> Vec<(String, Source)> {
        let mut all: BTreeMap<String, Source> = crate::assets::template_names()
            .into_iter()
            .map(|n| (n, Source::Builtin))
            .collect();
        for name in self.overrides().into_keys() {
            all.insert(name, Source::Override);
        }
        all.into_iter().collect()
    }

    pub fn get(&self, name: &str) -> Result<(Template, Source), TemplateError> {
        if let Some(path) = self.overrides().get(name) {
            let bytes = std::fs::read(path).map_err(|e| TemplateError::Invalid {
                name: name.to_owned(),
                reason: e.to_string(),
            })?;
            return Ok((Template::parse(name, &bytes)?, Source::Override));
        }
        let builtin = crate::assets::template_names()
            .into_iter()
            .find(|n| n == name);
        match builtin.and_then(|n| crate::assets::bytes(&format!("templates/{n}.json"))) {
            Some(bytes) => Ok((Template::parse(name, bytes)?, Source::Builtin)),
            None => Err(TemplateError::Unknown {
                name: name.chars().take(64).collect(),
                available: self
                    .names()
                    .into_iter()
                    .map(|(n, _)| n)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn question(parts: Value) -> Question {
        serde_json::from_value(json!({"id": "q", "question": "Q?", "answers": parts})).unwrap()
    }

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn branches_on_yes_no_and_empty() {
        let q = question(json!([
            {"when": {"sharing": "yes"}, "text": "Open."},
            {"when": {"sharing": "no", "embargo": "yes"}, "text": "Closed until {embargo_date}."},
            {"when": {"sharing": ["no", ""]}, "text": "Reason: {reason}"}
        ]));
        assert_eq!(compose(&q, &doc(json!({"sharing": "Yes"}))), ["Open."]);
        assert_eq!(
            compose(
                &q,
                &doc(
                    json!({"sharing": "No", "embargo": "Yes", "embargo_date": "2030-01-01", "reason": "privacy"})
                )
            ),
            ["Closed until 2030-01-01.", "Reason: privacy"]
        );
        assert!(compose(&q, &doc(json!({}))).is_empty());
        assert_eq!(compose(&q, &doc(json!({"reason": "r"}))), ["Reason: r"]);
    }

    #[test]
    fn placeholders_need_values_and_values_of_any_kind_render() {
        let q = question(
            json!([{"text": "{a}"}, {"text": "n={n} b={b} l={l}"}, {"when": {"x": "!others"}, "text": "licence {x}"}]),
        );
        let d = doc(json!({"a": "  ", "n": 5, "b": true, "l": ["x", "", 2], "x": "CC BY"}));
        assert_eq!(compose(&q, &d), ["n=5 b=Yes l=x, 2", "licence CC BY"]);
        let d = doc(json!({"x": "Others"}));
        assert!(compose(&q, &d).is_empty());
    }

    #[test]
    fn builtin_templates_parse_and_name_their_fields() {
        let dir = tempfile::tempdir().unwrap();
        let t = Templates::new(dir.path());
        let names: Vec<String> = t.names().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["h2020", "horizon-europe"]);
        for n in &names {
            let (tpl, src) = t.get(n).unwrap();
            assert_eq!(src, Source::Builtin);
            let fields = tpl.fields();
            for f in [
                "purpose",
                "sharing",
                "embargo",
                "license",
                "keywords",
                "personal_text",
            ] {
                assert!(fields.iter().any(|x| x == f), "{n} lacks {f}");
            }
        }
        assert!(matches!(
            t.get("../../etc/passwd"),
            Err(TemplateError::Unknown { .. })
        ));
    }

    #[test]
    fn a_file_in_the_data_dir_overrides_and_bad_ones_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let own = json!({"name": "h2020", "title": "Ours", "sections": [{"title": "S", "questions": [{"id": "a", "question": "A?", "answers": [{"text": "{purpose}"}]}]}]});
        std::fs::write(dir.path().join("h2020.json"), own.to_string()).unwrap();
        std::fs::write(dir.path().join("broken.json"), "{").unwrap();
        let t = Templates::new(dir.path());
        let (tpl, src) = t.get("h2020").unwrap();
        assert_eq!((tpl.title.as_str(), src), ("Ours", Source::Override));
        assert!(matches!(
            t.get("broken"),
            Err(TemplateError::Invalid { .. })
        ));
    }
}

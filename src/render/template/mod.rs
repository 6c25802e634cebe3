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
//!
//! A template's `visibility` names the detail fields a form shows only under a condition
//! (`"personal_text": {"personal": "yes"}`): while the condition does not hold the field
//! counts as not answered, so a value the form had hidden is never printed. Placeholder
//! values (`none`, `n/a`, `-`, `null`) count as not answered too.
//!
//! A plan's own words for a question (`answers.<question id>`) come first, and the text
//! composed from its fields follows: both are the plan's, so neither replaces the other.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Conditions on fields, all of which must hold.
pub type Conditions = BTreeMap<String, Condition>;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub funder: String,
    /// The official template's version and date, e.g. "1.0" and "2021-05-05".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Where the official template is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub official_document: Option<String>,
    /// The licence of the template's wording, where it has one (e.g. CC BY 4.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(default)]
    pub description: String,
    /// Detail field → the conditions under which a form shows it (see the module doc).
    #[serde(default)]
    pub visibility: BTreeMap<String, Conditions>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// The official number ("2.1"), printed before the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub title: String,
    /// Text the official template prints after the section's questions (not a question).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing_text: Option<String>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub subsections: Vec<Section>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The key of the plan's own answer (`answers.<id>`): letters, digits, `_` and `-`.
    pub id: String,
    /// The question's position in the official template ("2.2.4"); not printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The official wording.
    pub question: String,
    /// A sub-heading of the official template the question stands under ("Repository").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The official guidance for answering, where the template gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
    /// Whether the template asks it once per dataset.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_dataset: bool,
    /// How the answer is composed from the plan's fields; empty when only the plan's own
    /// words answer it.
    #[serde(default)]
    pub answers: Vec<Part>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// A list of the plan the part is composed for once per item (`datasets`, `costs`,
    /// `contributors`): its conditions and placeholders then name the item's fields
    /// (`{repository.name}` reaches into an object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<Each>,
    #[serde(default)]
    pub when: Conditions,
    pub text: String,
}

/// The lists of a plan a part can go through (docs/plan-model.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Each {
    Datasets,
    Costs,
    Contributors,
}

impl Each {
    pub fn key(self) -> &'static str {
        match self {
            Each::Datasets => "datasets",
            Each::Costs => "costs",
            Each::Contributors => "contributors",
        }
    }
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

mod check;
mod compose;

pub use check::Problem;
use check::placeholders;
pub use compose::{is_placeholder, item_text, own_answer, value_text};

impl Template {
    /// Calls `f` for every question, in the template's order.
    pub fn each_question<'a>(&'a self, f: &mut dyn FnMut(&'a Question)) {
        fn walk<'a>(s: &'a Section, f: &mut dyn FnMut(&'a Question)) {
            s.questions.iter().for_each(&mut *f);
            s.subsections.iter().for_each(|sub| walk(sub, f));
        }
        self.sections.iter().for_each(|s| walk(s, f));
    }

    /// Whether the plan answers `q`: its own words, or text composed from its fields.
    pub fn is_answered(
        &self,
        q: &Question,
        doc: &serde_json::Map<String, serde_json::Value>,
    ) -> bool {
        !own_answer(doc, &q.id).is_empty() || !self.compose(q, doc).is_empty()
    }

    /// Questions the plan answers, and questions asked.
    pub fn progress(&self, doc: &serde_json::Map<String, serde_json::Value>) -> (usize, usize) {
        let mut answered = 0;
        let mut total = 0;
        self.each_question(&mut |q| {
            total += 1;
            if self.is_answered(q, doc) {
                answered += 1;
            }
        });
        (answered, total)
    }

    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, TemplateError> {
        Self::check(Some(name), bytes).map_err(|problems| TemplateError::Invalid {
            name: name.to_owned(),
            reason: problems
                .iter()
                .map(Problem::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        })
    }

    /// How many questions the template asks.
    pub fn question_count(&self) -> usize {
        fn count(s: &Section) -> usize {
            s.questions.len() + s.subsections.iter().map(count).sum::<usize>()
        }
        self.sections.iter().map(count).sum()
    }

    /// The questions asked once per dataset (`per_dataset`), in the template's order.
    pub fn per_dataset_questions(&self) -> Vec<&Question> {
        fn walk<'a>(s: &'a Section, out: &mut Vec<&'a Question>) {
            out.extend(s.questions.iter().filter(|q| q.per_dataset));
            s.subsections.iter().for_each(|sub| walk(sub, out));
        }
        let mut out = Vec::new();
        self.sections.iter().for_each(|s| walk(s, &mut out));
        out
    }

    /// Every field the template reads, sorted: what a form built from it asks for.
    pub fn fields(&self) -> Vec<String> {
        let mut out = std::collections::BTreeSet::new();
        fn walk(s: &Section, out: &mut std::collections::BTreeSet<String>) {
            for q in &s.questions {
                out.extend(q.fields());
            }
            s.subsections.iter().for_each(|sub| walk(sub, out));
        }
        self.sections.iter().for_each(|s| walk(s, &mut out));
        for (field, conds) in &self.visibility {
            out.insert(field.clone());
            out.extend(conds.keys().cloned());
        }
        out.into_iter().collect()
    }
}

impl Question {
    /// The fields this question's composed answer reads, sorted.
    pub fn fields(&self) -> Vec<String> {
        let mut out = std::collections::BTreeSet::new();
        for p in self.answers.iter().filter(|p| p.each.is_none()) {
            out.extend(p.when.keys().cloned());
            out.extend(placeholders(&p.text).unwrap_or_default());
        }
        out.into_iter().collect()
    }

    /// The lists of the plan its answer goes through (`datasets`, `costs`,
    /// `contributors`), in the order of first use.
    pub fn lists(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for key in self.answers.iter().filter_map(|p| p.each.map(Each::key)) {
            if !out.contains(&key) {
                out.push(key);
            }
        }
        out
    }
}

/// Built-in templates, overridable by files in `<data>/templates/`. The override folder is
/// listed, never joined with a requested name: a name only selects among the files found.
///
/// Parsed templates are kept in memory (see `cache`): a page or a document asks for its
/// template on every request, and parsing and checking one costs far more than the page.
pub struct Templates<'a> {
    override_dir: &'a Path,
}

impl<'a> Templates<'a> {
    pub fn new(override_dir: &'a Path) -> Self {
        Self { override_dir }
    }

    fn overrides(&self) -> std::sync::Arc<BTreeMap<String, std::path::PathBuf>> {
        cache::listing(self.override_dir, |dir| {
            let mut out = BTreeMap::new();
            if let Ok(entries) = std::fs::read_dir(dir) {
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
        })
    }

    /// Every template name with its source, sorted.
    pub fn names(&self) -> Vec<(String, Source)> {
        let mut all: BTreeMap<String, Source> = crate::assets::template_names()
            .into_iter()
            .map(|n| (n, Source::Builtin))
            .collect();
        for name in self.overrides().keys() {
            all.insert(name.clone(), Source::Override);
        }
        all.into_iter().collect()
    }

    /// The template `name` (shared: it is parsed once, until its file changes).
    pub fn get(&self, name: &str) -> Result<(std::sync::Arc<Template>, Source), TemplateError> {
        if let Some(path) = self.overrides().get(name) {
            let parsed = cache::file(path, |bytes| match bytes {
                Ok(bytes) => Template::parse(name, &bytes),
                Err(e) => Err(TemplateError::Invalid {
                    name: name.to_owned(),
                    reason: e.to_string(),
                }),
            })?;
            return Ok((parsed, Source::Override));
        }
        let builtin = crate::assets::template_names()
            .into_iter()
            .find(|n| n == name);
        match builtin.and_then(|n| crate::assets::bytes(&format!("templates/{n}.json"))) {
            Some(bytes) => Ok((
                cache::builtin(name, || Template::parse(name, bytes))?,
                Source::Builtin,
            )),
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

/// The parsed templates and override listings, kept while their files stay the same.
///
/// A file or folder is known unchanged by its inode, length, and modification and change
/// times. Those times come from a clock that ticks only every few milliseconds, so a write in
/// the same tick as the read that cached it could go unseen: an entry is only trusted once its
/// file last changed more than `SETTLED` ago (the way git treats "racily clean" files).
mod cache {
    use std::collections::{BTreeMap, HashMap};
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex, OnceLock, PoisonError};
    use std::time::{Duration, SystemTime};

    use super::{Template, TemplateError};

    const SETTLED: Duration = Duration::from_secs(2);
    /// More entries than this (override folders of tests, say) and the cache starts over.
    const MAX_ENTRIES: usize = 1024;

    /// What identifies a file's content: its inode, length, and modification and change
    /// times (the change time moves on every write, rename or `chmod` and cannot be set by a
    /// program, so a copy that keeps the modification time is still seen).
    #[derive(Clone, Copy, PartialEq, Eq)]
    struct Stamp {
        ino: u64,
        len: u64,
        modified: SystemTime,
        changed: (i64, i64),
    }

    /// The stamp of `path`, if its file can be trusted to be as cached.
    fn settled_stamp(path: &Path) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        let changed = (m.ctime(), m.ctime_nsec());
        let ctime = u64::try_from(changed.0).ok()?;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .ok()?
            .as_secs();
        (now.saturating_sub(ctime) >= SETTLED.as_secs()).then_some(Stamp {
            ino: m.ino(),
            len: m.len(),
            modified: m.modified().ok()?,
            changed,
        })
    }

    type Map<V> = Mutex<HashMap<PathBuf, (Stamp, V)>>;

    fn lookup<V: Clone>(map: &Map<V>, path: &Path, make: impl FnOnce() -> V) -> V {
        let Some(stamp) = settled_stamp(path) else {
            return make();
        };
        if let Some((s, v)) = map.lock().unwrap_or_else(PoisonError::into_inner).get(path)
            && *s == stamp
        {
            return v.clone();
        }
        let v = make();
        let mut m = map.lock().unwrap_or_else(PoisonError::into_inner);
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(path.to_owned(), (stamp, v.clone()));
        v
    }

    /// The template files of an override folder.
    pub fn listing(
        dir: &Path,
        list: impl FnOnce(&Path) -> BTreeMap<String, PathBuf>,
    ) -> Arc<BTreeMap<String, PathBuf>> {
        static LISTINGS: OnceLock<Map<Arc<BTreeMap<String, PathBuf>>>> = OnceLock::new();
        let map = LISTINGS.get_or_init(Default::default);
        lookup(map, dir, || Arc::new(list(dir)))
    }

    /// An override file, parsed (or its error, until the file changes).
    pub fn file(
        path: &Path,
        parse: impl FnOnce(std::io::Result<Vec<u8>>) -> Result<Template, TemplateError>,
    ) -> Result<Arc<Template>, TemplateError> {
        static FILES: OnceLock<Map<Result<Arc<Template>, TemplateError>>> = OnceLock::new();
        let map = FILES.get_or_init(Default::default);
        lookup(map, path, || parse(std::fs::read(path)).map(Arc::new))
    }

    /// A built-in template, parsed once.
    pub fn builtin(
        name: &str,
        parse: impl FnOnce() -> Result<Template, TemplateError>,
    ) -> Result<Arc<Template>, TemplateError> {
        static BUILTIN: OnceLock<Mutex<HashMap<String, Arc<Template>>>> = OnceLock::new();
        let map = BUILTIN.get_or_init(Default::default);
        if let Some(t) = map.lock().unwrap_or_else(PoisonError::into_inner).get(name) {
            return Ok(t.clone());
        }
        let t = Arc::new(parse()?);
        map.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), t.clone());
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn question(parts: Value) -> Question {
        serde_json::from_value(json!({"id": "q", "question": "Q?", "answers": parts})).unwrap()
    }

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    /// A template with the given visibility and no sections: enough to compose with.
    fn bare(visibility: Value) -> Template {
        serde_json::from_value(
            json!({"name": "t", "title": "T", "visibility": visibility, "sections": []}),
        )
        .unwrap()
    }

    #[test]
    fn branches_on_yes_no_and_empty() {
        let q = question(json!([
            {"when": {"sharing": "yes"}, "text": "Open."},
            {"when": {"sharing": "no", "embargo": "yes"}, "text": "Closed until {embargo_date}."},
            {"when": {"sharing": ["no", ""]}, "text": "Reason: {reason}"}
        ]));
        let t = bare(json!({}));
        assert_eq!(t.compose(&q, &doc(json!({"sharing": "Yes"}))), ["Open."]);
        assert_eq!(
            t.compose(
                &q,
                &doc(
                    json!({"sharing": "No", "embargo": "Yes", "embargo_date": "2030-01-01", "reason": "privacy"})
                )
            ),
            ["Closed until 2030-01-01.", "Reason: privacy"]
        );
        assert!(t.compose(&q, &doc(json!({}))).is_empty());
        assert_eq!(t.compose(&q, &doc(json!({"reason": "r"}))), ["Reason: r"]);
    }

    #[test]
    fn placeholders_need_values_and_values_of_any_kind_render() {
        let q = question(
            json!([{"text": "{a}"}, {"text": "n={n} b={b} l={l}"}, {"when": {"x": "!others"}, "text": "licence {x}"}]),
        );
        let t = bare(json!({}));
        let d = doc(json!({"a": "  ", "n": 5, "b": true, "l": ["x", "", 2], "x": "CC BY"}));
        assert_eq!(t.compose(&q, &d), ["n=5 b=Yes l=x, 2", "licence CC BY"]);
        let d = doc(json!({"x": "Others"}));
        assert!(t.compose(&q, &d).is_empty());
    }

    #[test]
    fn a_field_its_controlling_answer_hides_is_never_printed() {
        let t =
            bare(json!({"personal_text": {"personal": "yes"}, "reason": {"sharing": ["no", ""]}}));
        let q = question(json!([
            {"when": {"personal": "no"}, "text": "No personal data."},
            {"text": "Notes: {personal_text}"},
            {"when": {"personal_text": "*"}, "text": "There are notes."},
            {"text": "Reason: {reason}"}
        ]));
        let hidden = doc(
            json!({"personal": "No", "personal_text": "typed, then hidden", "sharing": "Yes", "reason": "old"}),
        );
        assert_eq!(t.compose(&q, &hidden), ["No personal data."]);
        let shown = doc(
            json!({"personal": "Yes", "personal_text": "anonymised", "sharing": "", "reason": "r"}),
        );
        assert_eq!(
            t.compose(&q, &shown),
            ["Notes: anonymised", "There are notes.", "Reason: r"]
        );
    }

    #[test]
    fn placeholder_values_are_not_printed_as_data() {
        let t = bare(json!({}));
        let q = question(
            json!([{"text": "Project: {project}"}, {"when": {"project": "*"}, "text": "Has one."}]),
        );
        for v in ["none", " None ", "n/a", "-", "null", ""] {
            assert!(
                t.compose(&q, &doc(json!({"project": v}))).is_empty(),
                "{v:?}"
            );
        }
        assert_eq!(
            t.compose(&q, &doc(json!({"project": "Nonesuch"}))),
            ["Project: Nonesuch", "Has one."]
        );
    }

    #[test]
    fn a_plans_own_answer_is_split_into_paragraphs() {
        let d = doc(
            json!({"answers": {"q": "First line\nsame paragraph\r\n\r\n\nSecond.\n\n  \n", "n": 5, "e": "none"}}),
        );
        assert_eq!(
            own_answer(&d, "q"),
            ["First line\nsame paragraph", "Second."]
        );
        assert!(own_answer(&d, "n").is_empty());
        assert!(own_answer(&d, "e").is_empty());
        assert!(own_answer(&d, "missing").is_empty());
        assert!(own_answer(&doc(json!({"answers": "q"})), "q").is_empty());
    }

    #[test]
    fn builtin_templates_parse_and_name_their_fields() {
        let dir = tempfile::tempdir().unwrap();
        let t = Templates::new(dir.path());
        let names: Vec<String> = t.names().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["h2020", "horizon-europe", "science-europe"]);
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

    #[test]
    fn check_lists_every_problem_with_its_json_pointer() {
        let bad = json!({"name": "mine", "title": " ", "visibility": {"x": {}, "y": {"y": "yes"}},
        "sections": [
            {"title": "One", "questions": [
                {"id": "a", "question": "A?", "answers": [{"text": "{unclosed"}]},
                {"id": "a", "question": "", "answers": []}
            ]},
            {"title": "Two", "subsections": [{"title": "", "questions": [{"id": "b c", "question": "B?"}]}]}
        ]});
        let problems = Template::check(Some("other"), bad.to_string().as_bytes()).unwrap_err();
        let at: Vec<&str> = problems.iter().map(|p| p.at.as_str()).collect();
        assert_eq!(
            at,
            [
                "/name",
                "/title",
                "/visibility/x",
                "/visibility/y",
                "/sections/0/questions/0/answers/0/text",
                "/sections/0/questions/1/id",
                "/sections/0/questions/1/question",
                "/sections/1/subsections/0/title",
                "/sections/1/subsections/0/questions/0/id",
            ],
            "{problems:?}"
        );
        assert!(problems[5].message.contains("/sections/0/questions/0"));
        // A structural error names where serde stopped; a syntax error its line and column.
        let wrong_type = json!({"name": "t", "title": "T", "sections": [{"title": "S", "questions": [{"id": "a", "question": 5}]}]});
        let p = Template::check(None, wrong_type.to_string().as_bytes()).unwrap_err();
        assert_eq!(p[0].at, "/sections/0/questions/0/question", "{p:?}");
        let p = Template::check(None, b"{\n  \"name\": \"t\",\n  oops\n}").unwrap_err();
        assert_eq!(p[0].at, "line 3 column 3", "{p:?}");
    }

    #[test]
    fn each_parts_go_through_a_list_item_by_item_with_labels_and_list_conditions() {
        let t = bare(json!({}));
        let q = question(json!([
            {"text": "Overall: {costs}"},
            {"text": "{ethics}"},
            {"each": "contributors", "when": {"roles": "data_steward"}, "text": "Steward: {name} ({roles})."},
            {"each": "contributors", "when": {"roles": ""}, "text": "No role: {name}."},
            {"each": "datasets", "when": {"pid_type": "!none"}, "text": "{title}: {pid_type} by {repository.name}."},
            {"each": "datasets", "when": {"pid_type": "!none", "repository.name": ""}, "text": "{title}: {pid_type}."},
            {"each": "datasets", "text": "{title} formats: {formats}."}
        ]));
        let d = doc(json!({
            "costs": [{"title": "never printed as JSON"}],
            "ethics": "text of a structured key still prints",
            "contributors": [
                {"name": "Ana", "roles": ["contact", "data_steward"]},
                {"name": "Bo", "roles": []},
                {"name": "Cy", "roles": ["researcher"]},
                "not an object"
            ],
            "datasets": [
                {"title": "A", "pid_type": "doi", "repository": {"name": "Zenodo"}, "formats": ["CSV", "none", "FITS"]},
                {"title": "B", "pid_type": "handle"},
                {"title": "C", "pid_type": "none", "formats": []}
            ]
        }));
        assert_eq!(
            t.compose(&q, &d),
            [
                "text of a structured key still prints",
                "Steward: Ana (contact, data steward).",
                "No role: Bo.",
                "A: DOI by Zenodo.",
                "A formats: CSV, FITS.",
                "B: Handle.",
            ]
        );
        // A plan written before the plan model may hold `costs` as text: it still prints.
        let old = doc(json!({"costs": "about 2000 EUR"}));
        assert_eq!(t.compose(&q, &old), ["Overall: about 2000 EUR"]);
        let fields = q.fields();
        assert_eq!(fields, ["costs", "ethics"]);
        assert_eq!(q.lists(), ["contributors", "datasets"]);
    }

    #[test]
    fn a_dotted_placeholder_outside_an_each_part_is_a_problem() {
        let bad = json!({"name": "t", "title": "T", "sections": [{"title": "S", "questions": [
            {"id": "a", "question": "A?", "answers": [{"text": "{grant.title}"}]},
            {"id": "b", "question": "B?", "answers": [{"each": "datasets", "when": {"repository.name": "*"}, "text": "{repository.url}"}]}
        ]}]});
        let p = Template::check(None, bad.to_string().as_bytes()).unwrap_err();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].at, "/sections/0/questions/0/answers/0/text");
        let bad = json!({"name": "t", "title": "T", "sections": [{"title": "S", "questions": [
            {"id": "a", "question": "A?", "answers": [{"each": "people", "text": "{name}"}]}]}]});
        let p = Template::check(None, bad.to_string().as_bytes()).unwrap_err();
        assert_eq!(p[0].at, "/sections/0/questions/0/answers/0/each", "{p:?}");
    }

    #[test]
    fn the_builtin_templates_ask_every_official_question() {
        let dir = tempfile::tempdir().unwrap();
        let t = Templates::new(dir.path());
        for (name, questions, sections) in [
            ("horizon-europe", 41, 7),
            ("h2020", 40, 6),
            ("science-europe", 16, 7),
        ] {
            let (tpl, _) = t.get(name).unwrap();
            assert_eq!(tpl.question_count(), questions, "{name}");
            assert_eq!(tpl.sections.len(), sections, "{name}");
        }
    }
}

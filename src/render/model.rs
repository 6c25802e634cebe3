//! The document model: what a DMP document says, in order, before any format is chosen.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::template::{Section, Template, is_placeholder, own_answer, value_text};

/// Shown wherever a question has no answer yet.
pub const NOT_ANSWERED: &str = "Not answered yet";

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A template section (Heading 1).
    Section(String),
    /// A subsection (Heading 2).
    Subsection(String),
    /// A sub-heading of the template inside a section ("Repository").
    Group(String),
    /// A question of the template (bold).
    Question(String),
    /// One paragraph of an answer.
    Answer(String),
    /// The question has no answer yet.
    NotAnswered,
}

#[derive(Debug, Clone)]
pub struct DocModel {
    /// The plan's name.
    pub title: String,
    /// The template's title, e.g. "Horizon 2020 Data Management Plan".
    pub subtitle: String,
    /// The title block: (label, value) lines.
    pub info: Vec<(String, String)>,
    pub blocks: Vec<Block>,
    /// The plan's owner, for the document properties.
    pub author: String,
    pub created: DateTime<Utc>,
    /// The plan's language (its `language` field: an ISO 639-1 code, two lowercase
    /// letters; anything else means "en"). Sets the DOCX `w:lang` and the PDF `/Lang`.
    pub language: String,
}

/// What a rendering needs: the DMP as it was when the task was made, and its context.
pub struct RenderInput<'a> {
    pub doc: &'a Map<String, Value>,
    pub template: &'a Template,
    pub dmp_id: &'a str,
    pub owner: &'a str,
    pub version: u64,
    pub rendered_at: DateTime<Utc>,
}

/// Removes control characters pasted from word processors (tabs become spaces; line breaks
/// stay as `\n`) and trims.
pub fn clean(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            c if c.is_control() => None,
            '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}' | '\u{200B}' => None,
            c => Some(c),
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The plan's `language` as ISO 639-1 (`en`; a maDMP ISO 639-3 code such as `eng` is
/// converted), else "en".
pub fn language(doc: &Map<String, Value>) -> String {
    doc.get("language")
        .and_then(Value::as_str)
        .and_then(crate::domain::language::as_639_1)
        .unwrap_or("en")
        .to_owned()
}

/// A plan field for the title block: "" when not answered or a placeholder (`none`).
fn field(doc: &Map<String, Value>, name: &str) -> String {
    let text = clean(&value_text(doc.get(name)));
    if is_placeholder(&text) {
        String::new()
    } else {
        text
    }
}

/// A text at a JSON pointer of the plan, for the cover: "" when absent or a placeholder.
fn at(doc: &Map<String, Value>, pointer: &str) -> String {
    let mut parts = pointer.trim_start_matches('/').split('/');
    let first = parts.next().and_then(|k| doc.get(k));
    let v = parts.try_fold(first, |v, k| Some(v?.get(k)));
    let text = clean(&value_text(v.flatten()));
    if is_placeholder(&text) {
        String::new()
    } else {
        text
    }
}

/// A YYYY-MM-DD date as the cover prints it ("1 January 2024"); anything else as given.
fn long_date(s: &str) -> String {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| s.to_owned())
}

/// The title block: the project and its funding, the people, the version, the
/// dissemination level; lines without a value are left out.
fn cover(input: &RenderInput<'_>) -> Vec<(String, String)> {
    let doc = input.doc;
    let mut info: Vec<(String, String)> = Vec::new();
    let mut line = |label: &str, value: String| {
        if !value.is_empty() {
            info.push((label.to_owned(), value));
        }
    };
    let grant_title = at(doc, "/grant/title");
    line(
        "Project",
        if grant_title.is_empty() {
            field(doc, "project")
        } else {
            grant_title
        },
    );
    line("Acronym", at(doc, "/grant/acronym"));
    line("Grant agreement", at(doc, "/grant/grant_number"));
    line("Funder", at(doc, "/grant/funder/name"));
    line("Programme", at(doc, "/grant/programme"));
    line("Call", at(doc, "/grant/call"));
    let (start, end) = (at(doc, "/grant/start"), at(doc, "/grant/end"));
    line(
        "Duration",
        match (start.is_empty(), end.is_empty()) {
            (false, false) => format!("{} to {}", long_date(&start), long_date(&end)),
            (false, true) => format!("from {}", long_date(&start)),
            (true, false) => format!("until {}", long_date(&end)),
            (true, true) => String::new(),
        },
    );
    line("Coordinator", at(doc, "/grant/coordinator"));
    line("Institution", at(doc, "/grant/institution/name"));
    line("Project description", field(doc, "project_description"));
    let people: Vec<String> = match doc.get("contributors") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|p| {
                let name = clean(&value_text(p.get("name")));
                if name.is_empty() {
                    return None;
                }
                let roles: Vec<&str> = match p.get("roles") {
                    Some(Value::Array(r)) => r
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(|r| crate::domain::plan::label("roles", r))
                        .collect(),
                    _ => Vec::new(),
                };
                Some(if roles.is_empty() {
                    name
                } else {
                    format!("{name} ({})", roles.join(", "))
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    line("Contributors", people.join("; "));
    let dissemination = field(doc, "dissemination");
    line(
        "Dissemination level",
        crate::domain::plan::label("dissemination", &dissemination)
            .map(str::to_owned)
            .unwrap_or(dissemination),
    );
    let latest = match doc.get("versions") {
        Some(Value::Array(list)) => list.last(),
        _ => None,
    };
    if let Some(v) = latest {
        let version = clean(&value_text(v.get("version")));
        let date = clean(&value_text(v.get("date")));
        line(
            "Version",
            match (version.is_empty(), date.is_empty()) {
                (false, false) => format!("{version} of {}", long_date(&date)),
                (false, true) => version,
                _ => String::new(),
            },
        );
    }
    line("Owner", clean(input.owner));
    line("Date", input.rendered_at.format("%-d %B %Y").to_string());
    line("Template", clean(&input.template.title));
    let id = input.dmp_id.trim();
    if !id.is_empty() && id != "-" {
        line("Plan", format!("{id}, revision {}", input.version));
    }
    info
}

impl DocModel {
    pub fn build(input: &RenderInput<'_>) -> Self {
        let doc = input.doc;
        let name = field(doc, "name");
        let title = if name.is_empty() {
            "Data management plan".to_owned()
        } else {
            name
        };
        let info = cover(input);
        let mut blocks = Vec::new();
        fn walk(
            t: &Template,
            s: &Section,
            depth: usize,
            doc: &Map<String, Value>,
            blocks: &mut Vec<Block>,
        ) {
            let heading = match &s.number {
                Some(n) if !n.trim().is_empty() => clean(&format!("{}. {}", n.trim(), s.title)),
                _ => clean(&s.title),
            };
            blocks.push(if depth == 0 {
                Block::Section(heading)
            } else {
                Block::Subsection(heading)
            });
            let mut group: Option<&str> = None;
            for q in &s.questions {
                let this = q.group.as_deref().map(str::trim).filter(|g| !g.is_empty());
                if this.is_some() && this != group {
                    blocks.push(Block::Group(clean(this.unwrap_or_default())));
                }
                group = this;
                blocks.push(Block::Question(clean(&q.question)));
                // The plan's own words first, then what its fields say (template.rs).
                // Answers are the Markdown subset (markdown.rs): printed here as plain
                // paragraphs, one per paragraph or list item, marks removed.
                let answers: Vec<String> = own_answer(doc, &q.id)
                    .into_iter()
                    .chain(t.compose(q, doc))
                    .flat_map(|a| super::markdown::plain_paragraphs(&a))
                    .map(|a| clean(&a))
                    .filter(|a| !a.is_empty())
                    .collect();
                if answers.is_empty() {
                    blocks.push(Block::NotAnswered);
                } else {
                    blocks.extend(answers.into_iter().map(Block::Answer));
                }
            }
            for sub in &s.subsections {
                walk(t, sub, depth + 1, doc, blocks);
            }
        }
        for s in &input.template.sections {
            walk(input.template, s, 0, doc, &mut blocks);
        }
        Self {
            title: clean(&title),
            subtitle: clean(&input.template.title),
            info,
            blocks,
            author: clean(input.owner),
            created: input.rendered_at,
            language: language(doc),
        }
    }

    /// Every text of the document in reading order (for tests and checks).
    pub fn texts(&self) -> Vec<String> {
        let mut out = vec![self.title.clone(), self.subtitle.clone()];
        out.extend(self.info.iter().map(|(k, v)| format!("{k}: {v}")));
        out.extend(self.blocks.iter().map(|b| match b {
            Block::Section(t)
            | Block::Subsection(t)
            | Block::Group(t)
            | Block::Question(t)
            | Block::Answer(t) => t.clone(),
            Block::NotAnswered => NOT_ANSWERED.to_owned(),
        }));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_go_line_breaks_stay() {
        assert_eq!(clean("a\u{0}b\u{7}c\td\r\ne\u{FEFF}"), "abc d\ne");
    }

    #[test]
    fn the_language_is_two_lowercase_letters_else_english() {
        let doc = |v: Value| {
            let mut m = Map::new();
            m.insert("language".into(), v);
            m
        };
        assert_eq!(language(&doc(Value::from("he"))), "he");
        assert_eq!(language(&doc(Value::from(" ar "))), "ar");
        for bad in [
            Value::from("EN"),
            Value::from("eng"),
            Value::from("e1"),
            Value::from("\"/>"),
            Value::from(3),
            Value::Null,
        ] {
            assert_eq!(language(&doc(bad)), "en");
        }
        assert_eq!(language(&Map::new()), "en");
    }
}

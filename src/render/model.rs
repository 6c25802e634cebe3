//! The document model: what a DMP document says, in order, before any format is chosen.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::template::{Section, Template, compose, value_text};

/// Shown wherever a question has no answer yet.
pub const NOT_ANSWERED: &str = "Not answered yet";

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A template section (Heading 1).
    Section(String),
    /// A subsection (Heading 2).
    Subsection(String),
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

/// The plan's `language`: two lowercase ASCII letters (ISO 639-1), else "en".
pub fn language(doc: &Map<String, Value>) -> String {
    match doc.get("language").and_then(Value::as_str).map(str::trim) {
        Some(l) if l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()) => l.to_owned(),
        _ => "en".to_owned(),
    }
}

fn field(doc: &Map<String, Value>, name: &str) -> String {
    clean(&value_text(doc.get(name)))
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
        let mut info = Vec::new();
        let project = field(doc, "project");
        if !project.is_empty() {
            info.push(("Project".to_owned(), project));
        }
        let description = field(doc, "project_description");
        if !description.is_empty() {
            info.push(("Project description".to_owned(), description));
        }
        let owner = clean(input.owner);
        if !owner.is_empty() {
            info.push(("Owner".to_owned(), owner));
        }
        info.push((
            "Date".to_owned(),
            input.rendered_at.format("%-d %B %Y").to_string(),
        ));
        info.push(("Template".to_owned(), clean(&input.template.title)));
        info.push((
            "Plan".to_owned(),
            format!("{} (version {})", input.dmp_id, input.version),
        ));

        let mut blocks = Vec::new();
        fn walk(s: &Section, depth: usize, doc: &Map<String, Value>, blocks: &mut Vec<Block>) {
            let heading = clean(&s.title);
            blocks.push(if depth == 0 {
                Block::Section(heading)
            } else {
                Block::Subsection(heading)
            });
            for q in &s.questions {
                blocks.push(Block::Question(clean(&q.question)));
                let answers: Vec<String> = compose(q, doc)
                    .iter()
                    .map(|a| clean(a))
                    .filter(|a| !a.is_empty())
                    .collect();
                if answers.is_empty() {
                    blocks.push(Block::NotAnswered);
                } else {
                    blocks.extend(answers.into_iter().map(Block::Answer));
                }
            }
            for sub in &s.subsections {
                walk(sub, depth + 1, doc, blocks);
            }
        }
        for s in &input.template.sections {
            walk(s, 0, doc, &mut blocks);
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
            Block::Section(t) | Block::Subsection(t) | Block::Question(t) | Block::Answer(t) => {
                t.clone()
            }
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

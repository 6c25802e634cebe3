//! The document model: what a DMP document says, in order, before any format is chosen.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::template::{Each, Section, Template, is_placeholder, item_text, own_answer, value_text};

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
    /// One paragraph or list item of an answer: its Markdown source (`markdown::piece`).
    Answer(String),
    /// The question has no answer yet.
    NotAnswered,
}

/// A table of the plan's structured parts, printed after the title block.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Each column's share of the width, summing to 1.
    pub widths: Vec<f32>,
}

#[derive(Debug, Clone)]
pub struct DocModel {
    /// The plan's name.
    pub title: String,
    /// The template's title, e.g. "Horizon 2020 Data Management Plan".
    pub subtitle: String,
    /// The title block: (label, value) lines.
    pub info: Vec<(String, String)>,
    /// The version history, contributors, datasets and costs, as tables (those the plan has).
    pub tables: Vec<Table>,
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

/// The objects of a list part of the plan.
fn objects<'a>(doc: &'a Map<String, Value>, key: &str) -> Vec<&'a Value> {
    match doc.get(key) {
        Some(Value::Array(list)) => list.iter().filter(|v| v.is_object()).collect(),
        _ => Vec::new(),
    }
}

/// A cell: the item's field as the composed answers print it (`template::item_text`).
fn cell(item: &Value, path: &str) -> String {
    clean(&item_text(item, path))
}

/// A number as a person reads an amount: thousands grouped with commas, at most two
/// decimals.
fn amount(v: Option<&Value>) -> String {
    let Some(n) = v.and_then(Value::as_f64) else {
        return String::new();
    };
    let text = format!("{n:.2}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 && c.is_ascii_digit() {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac == "00" {
        grouped
    } else {
        format!("{grouped}.{frac}")
    }
}

/// The tables of the plan's structured parts (docs/plan-model.md), those it has.
fn tables(doc: &Map<String, Value>) -> Vec<Table> {
    let table = |caption: &str, header: &[&str], widths: &[f32], rows: Vec<Vec<String>>| Table {
        caption: caption.to_owned(),
        header: header.iter().map(|h| (*h).to_owned()).collect(),
        rows,
        widths: widths.to_vec(),
    };
    let mut out = Vec::new();
    let versions: Vec<Vec<String>> = objects(doc, "versions")
        .into_iter()
        .map(|v| {
            vec![
                cell(v, "version"),
                long_date(&cell(v, "date")),
                cell(v, "changes"),
            ]
        })
        .collect();
    if !versions.is_empty() {
        out.push(table(
            "Version history",
            &["Version", "Date", "Changes"],
            &[0.15, 0.25, 0.6],
            versions,
        ));
    }
    let people: Vec<Vec<String>> = objects(doc, "contributors")
        .into_iter()
        .map(|p| {
            vec![
                cell(p, "name"),
                cell(p, "roles"),
                cell(p, "affiliation"),
                cell(p, "orcid")
                    .trim_start_matches("https://orcid.org/")
                    .to_owned(),
            ]
        })
        .collect();
    if !people.is_empty() {
        out.push(table(
            "Contributors",
            &["Name", "Roles", "Affiliation", "ORCID iD"],
            &[0.24, 0.26, 0.28, 0.22],
            people,
        ));
    }
    let datasets: Vec<Vec<String>> = objects(doc, "datasets")
        .into_iter()
        .map(|d| {
            vec![
                cell(d, "title"),
                cell(d, "type"),
                cell(d, "formats"),
                cell(d, "expected_size"),
                cell(d, "access"),
                cell(d, "license"),
            ]
        })
        .collect();
    if !datasets.is_empty() {
        out.push(table(
            "Datasets",
            &["Dataset", "Type", "Formats", "Size", "Access", "Licence"],
            &[0.3, 0.13, 0.16, 0.11, 0.13, 0.17],
            datasets,
        ));
    }
    let costs: Vec<Vec<String>> = objects(doc, "costs")
        .into_iter()
        .map(|c| {
            let sum = amount(c.get("amount"));
            let currency = cell(c, "currency");
            let money = match (sum.is_empty(), currency.is_empty()) {
                (false, false) => format!("{sum} {currency}"),
                (false, true) => sum,
                _ => String::new(),
            };
            vec![cell(c, "title"), money, cell(c, "covered_by")]
        })
        .collect();
    if !costs.is_empty() {
        out.push(table(
            "Costs",
            &["Item", "Amount", "Covered by"],
            &[0.5, 0.2, 0.3],
            costs,
        ));
    }
    out
}

/// The section of the per-dataset subsections.
pub const DATASETS: &str = "Datasets";

/// Answer paragraphs as blocks: the Markdown subset (markdown.rs), one block per paragraph
/// or list item, holding its Markdown source.
fn answer_blocks(paragraphs: impl IntoIterator<Item = String>) -> Vec<Block> {
    paragraphs
        .into_iter()
        .flat_map(|a| super::markdown::sources(&a))
        .map(|a| clean(&a))
        .filter(|a| !a.is_empty())
        .map(Block::Answer)
        .collect()
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
        let datasets = objects(doc, "datasets");
        let per_dataset = input.template.per_dataset_questions();
        // The questions asked per dataset are answered in a subsection of each dataset,
        // right after the cover and its datasets table; where the template asks them, the
        // plan's own words and what its fields say stay, and a line points there.
        let split = !datasets.is_empty() && !per_dataset.is_empty();
        if split {
            blocks.push(Block::Section(DATASETS.to_owned()));
            for (n, d) in datasets.iter().enumerate() {
                let title = cell(d, "title");
                blocks.push(Block::Subsection(if title.is_empty() {
                    format!("Dataset {}", n + 1)
                } else {
                    format!("Dataset {}: {title}", n + 1)
                }));
                for q in &per_dataset {
                    blocks.push(Block::Question(clean(&q.question)));
                    let answers = answer_blocks(input.template.compose_item(q, d, Each::Datasets));
                    if answers.is_empty() {
                        blocks.push(Block::NotAnswered);
                    } else {
                        blocks.extend(answers);
                    }
                }
            }
        }
        let pointer = match datasets.len() {
            1 => format!("Answered for the dataset in “{DATASETS}”: Dataset 1."),
            n => format!("Answered for each dataset in “{DATASETS}”: Dataset 1 to Dataset {n}."),
        };
        fn walk(
            t: &Template,
            s: &Section,
            depth: usize,
            doc: &Map<String, Value>,
            pointer: Option<&str>,
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
                let mut answers = match pointer.filter(|_| q.per_dataset) {
                    Some(pointer) => {
                        let mut a = answer_blocks(
                            own_answer(doc, &q.id).into_iter().chain(t.compose_without(
                                q,
                                doc,
                                Some(Each::Datasets),
                            )),
                        );
                        a.push(Block::Answer(pointer.to_owned()));
                        a
                    }
                    None => {
                        answer_blocks(own_answer(doc, &q.id).into_iter().chain(t.compose(q, doc)))
                    }
                };
                if answers.is_empty() {
                    answers.push(Block::NotAnswered);
                }
                blocks.extend(answers);
            }
            for sub in &s.subsections {
                walk(t, sub, depth + 1, doc, pointer, blocks);
            }
        }
        let pointer = split.then_some(pointer.as_str());
        for s in &input.template.sections {
            walk(input.template, s, 0, doc, pointer, &mut blocks);
        }
        Self {
            title: clean(&title),
            subtitle: clean(&input.template.title),
            info,
            tables: tables(doc),
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
        for t in &self.tables {
            out.push(t.caption.clone());
            out.extend(t.header.iter().cloned());
            out.extend(t.rows.iter().flatten().filter(|c| !c.is_empty()).cloned());
        }
        for b in &self.blocks {
            match b {
                Block::Section(t) | Block::Subsection(t) | Block::Group(t) | Block::Question(t) => {
                    out.push(t.clone())
                }
                Block::Answer(t) => out.extend(super::markdown::fragments(t)),
                Block::NotAnswered => out.push(NOT_ANSWERED.to_owned()),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_group_thousands() {
        for (v, want) in [
            (1800.0, "1,800"),
            (15000.0, "15,000"),
            (1200.5, "1,200.50"),
            (999.0, "999"),
            (1234567.0, "1,234,567"),
        ] {
            assert_eq!(amount(Some(&Value::from(v))), want);
        }
        assert_eq!(amount(Some(&Value::from("x"))), "");
    }

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

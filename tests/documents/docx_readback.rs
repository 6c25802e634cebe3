//! The DOCX read back with python-docx (tests/support/read_docx.py): the complete plan in
//! every template. Needs python3 with python-docx (`pip install python-docx`); without it
//! the test fails, unless DMPTOOL_SKIP_PYTHON_DOCX=1 is set.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use super::{fixture, model};
use dmptool::render::markdown::{Piece, piece, sources};
use dmptool::render::template::{Section, Templates};

/// What read_docx.py prints for `docx`, or None when the test is to be skipped.
fn read_docx(docx: &[u8]) -> Option<Value> {
    if std::env::var("DMPTOOL_SKIP_PYTHON_DOCX").as_deref() == Ok("1") {
        eprintln!("DMPTOOL_SKIP_PYTHON_DOCX=1: the python-docx readback is skipped");
        return None;
    }
    let has = Command::new("python3")
        .args(["-c", "import docx"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        has,
        "python3 with python-docx is needed to read the DOCX back: `pip install python-docx` \
         (or set DMPTOOL_SKIP_PYTHON_DOCX=1 to skip this test)"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.docx");
    std::fs::write(&path, docx).unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/read_docx.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "read_docx.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn question_ids(s: &Section, out: &mut BTreeSet<String>) {
    out.extend(s.questions.iter().map(|q| q.id.clone()));
    s.subsections.iter().for_each(|sub| question_ids(sub, out));
}

#[test]
fn python_docx_reads_every_answer_dataset_cost_and_contributor_once_lists_as_numbering_and_links() {
    let doc = fixture("plan-complete.json");
    let dir = tempfile::tempdir().unwrap();
    let templates = Templates::new(dir.path());
    for name in ["h2020", "horizon-europe", "science-europe"] {
        let m = model(&doc, name);
        let docx = dmptool::render::render(&m).unwrap().docx;
        let Some(read) = read_docx(&docx) else {
            return;
        };
        let paragraphs = read["paragraphs"].as_array().unwrap();
        let count = |text: &str| paragraphs.iter().filter(|p| p["text"] == text).count();

        // The plan's own answers to this template's questions: each paragraph and list
        // item once; list items are numbering paragraphs.
        let (t, _) = templates.get(name).unwrap();
        let mut ids = BTreeSet::new();
        t.sections.iter().for_each(|s| question_ids(s, &mut ids));
        let mut own = 0;
        for (id, answer) in doc["answers"].as_object().unwrap() {
            if !ids.contains(id) {
                continue;
            }
            for source in sources(answer.as_str().unwrap()) {
                own += 1;
                let (runs, item) = match piece(&source) {
                    Piece::Paragraph(runs) => (runs, false),
                    Piece::Item { runs, .. } => (runs, true),
                };
                let text: String = runs.iter().map(|r| r.text.as_str()).collect();
                let found: Vec<&Value> = paragraphs
                    .iter()
                    .filter(|p| p["text"] == text.as_str())
                    .collect();
                assert_eq!(found.len(), 1, "{name}: {text:?}");
                assert_eq!(found[0]["numbered"], item, "{name}: {text:?} numbering");
                for r in runs.iter().filter(|r| r.link.is_some()) {
                    let links = found[0]["links"].as_array().unwrap();
                    assert!(
                        links.iter().any(|l| l["url"] == r.link.as_deref().unwrap()
                            && l["text"] == r.text.as_str()),
                        "{name}: the link {:?} of {text:?}: {links:?}",
                        r.link
                    );
                }
            }
        }
        if name == "horizon-europe" {
            assert!(own >= 6, "{own} own answer paragraphs");
        }
        // Every list item of the document is a numbering paragraph.
        for p in paragraphs.iter().filter(|p| p["style"] == "List Answer") {
            assert_eq!(p["numbered"], true, "{p}");
        }
        // Datasets, costs and contributors: one row each in their tables.
        let tables = read["tables"].as_array().unwrap();
        let rows_with = |header: &str, first: &str| {
            tables
                .iter()
                .filter(|t| t[0][0] == header)
                .flat_map(|t| t.as_array().unwrap().iter().skip(1))
                .filter(|r| r[0] == first)
                .count()
        };
        for (list, key, header) in [
            ("datasets", "title", "Dataset"),
            ("costs", "title", "Item"),
            ("contributors", "name", "Name"),
        ] {
            for item in doc[list].as_array().unwrap() {
                let first = item[key].as_str().unwrap();
                assert_eq!(rows_with(header, first), 1, "{name}: {list} {first:?}");
            }
        }
        // Per-dataset subsections: one heading per dataset where the template asks.
        if !t.per_dataset_questions().is_empty() {
            for (i, d) in doc["datasets"].as_array().unwrap().iter().enumerate() {
                let heading = format!("Dataset {}: {}", i + 1, d["title"].as_str().unwrap());
                let found: Vec<&Value> = paragraphs
                    .iter()
                    .filter(|p| p["text"] == heading.as_str())
                    .collect();
                assert_eq!(
                    found.iter().filter(|p| p["style"] == "Heading 2").count(),
                    1,
                    "{name}: {heading}"
                );
            }
        }
        // Hyperlinks: present, with their addresses; the repositories' ones among them.
        let links = read["hyperlinks"].as_array().unwrap();
        assert!(!links.is_empty(), "{name}: no hyperlinks");
        for l in links {
            let url = l["url"].as_str().unwrap_or("");
            assert!(
                url.starts_with("https://")
                    || url.starts_with("http://")
                    || url.starts_with("mailto:"),
                "{name}: {l}"
            );
        }
        assert!(
            links.iter().any(|l| l["url"] == "https://zenodo.org"),
            "{name}: {links:?}"
        );
        assert!(count(&m.title) >= 1);
    }
}

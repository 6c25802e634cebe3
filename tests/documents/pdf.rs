//! The PDF's answers as styled text, links and tables: bold and italic runs in their faces,
//! link annotations inside Link structure elements, long URLs broken only after `/`, `?`,
//! `&`, `-` and `.`, and the cover's tables tagged as tables.

use serde_json::{Value, json};

use super::{fixture, model};
use crate::support::docs::{
    contains_text, pdf_body_text, pdf_info, pdf_meta, pdf_struct, pdf_urls,
};
use dmptool::render::DocModel;
use dmptool::render::model::Block;

/// A 200-character address with every kind of break point.
const LONG_URL: &str = "https://data.example-repository.org/records/2024/photometry-calibration/series?station=villaverde-del-ducado&instrument=tess-w&from=2024-01-01&format=netcdf.v4&p=1&p=1&p=1&p=1&p=1&p=1&p=1&p=1&p=1&p=12";

/// The complete plan with more links in its answers: a bare address, a mail link, a link
/// to an address that may not be linked, and the long address.
fn plan_with_links() -> serde_json::Map<String, Value> {
    let mut doc = fixture("plan-complete.json");
    let answers = doc["answers"].as_object_mut().unwrap();
    answers.insert(
        "harvesting".into(),
        json!(format!(
            "Harvested over OAI-PMH from https://zenodo.org/oai2d by OpenAIRE.\n\n\
             Write to [the data desk](mailto:data@example.org), not [the archive](ftp://example.org/pub).\n\n\
             The full series: {LONG_URL} (all stations)."
        )),
    );
    doc
}

fn conforming(pdf: &[u8]) {
    assert!(pdf_info(pdf).contains("Tagged:          yes"));
    let meta = pdf_meta(pdf);
    assert!(
        meta.contains("<pdfaid:part>2</pdfaid:part>")
            && meta.contains("<pdfuaid:part>1</pdfuaid:part>"),
        "krilla's PDF/A-2u and PDF/UA-1 validators refused the file"
    );
}

fn one(blocks: Vec<Block>) -> DocModel {
    DocModel {
        title: "Plan".into(),
        subtitle: "Template".into(),
        info: Vec::new(),
        tables: Vec::new(),
        blocks,
        author: "maria.lopez".into(),
        created: chrono::Utc::now(),
        language: "en".into(),
    }
}

#[test]
fn an_answers_italic_is_drawn_in_the_italic_face_and_only_then() {
    let fonts = |answer: &str| {
        let m = one(vec![
            Block::Section("1. Data".into()),
            Block::Question("What data?".into()),
            Block::Answer(answer.into()),
        ]);
        let pdf = dmptool::render::render(&m).unwrap().pdf;
        conforming(&pdf);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let out = std::process::Command::new("pdffonts")
            .arg(&path)
            .output()
            .unwrap();
        (String::from_utf8(out.stdout).unwrap(), pdf_body_text(&pdf))
    };
    let (plain, _) = fonts("Readings every minute, in `CSV`.");
    assert!(!plain.contains("Italic"), "{plain}");
    let (styled, text) = fonts("Readings **every** minute, *calibrated* nightly.");
    assert!(styled.contains("LiberationSans-Italic"), "{styled}");
    assert!(styled.contains("LiberationSans-Bold"), "{styled}");
    assert!(
        text.contains("Readings every minute, calibrated nightly."),
        "{text}"
    );
}

#[test]
fn links_in_answers_are_link_annotations_inside_link_elements_and_the_text_reads_back() {
    let doc = plan_with_links();
    let m = model(&doc, "horizon-europe");
    let pdf = dmptool::render::render(&m).unwrap().pdf;
    conforming(&pdf);
    let urls = pdf_urls(&pdf);
    for want in [
        "https://zenodo.org/oai2d",
        "mailto:data@example.org",
        "https://example.org/azotea/wiki/calibration?version=3&lang=en",
        LONG_URL,
        // Composed from a dataset's repository.
        "https://zenodo.org",
    ] {
        assert!(
            urls.iter().any(|u| u == want),
            "no link to {want}: {urls:?}"
        );
    }
    assert!(!urls.iter().any(|u| u.starts_with("ftp:")), "{urls:?}");
    assert!(urls.iter().all(|u| u.starts_with("https://")
        || u.starts_with("http://")
        || u.starts_with("mailto:")));
    // Each link is a Link structure element holding its annotation (an object reference).
    let tree = pdf_struct(&pdf);
    let links = tree.matches("Link (inline)").count();
    assert!(links >= 6, "{links} Link elements");
    let lines: Vec<&str> = tree.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.trim() == "Link (inline)" {
            let indent = l.len() - l.trim_start().len();
            let inside: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|n| n.len() - n.trim_start().len() > indent)
                .copied()
                .collect();
            assert!(
                inside.iter().any(|n| n.trim().starts_with("Object ")),
                "a Link without its annotation: {inside:?}"
            );
        }
    }
    let text = pdf_body_text(&pdf);
    for want in [
        "Harvested over OAI-PMH from https://zenodo.org/oai2d by OpenAIRE.",
        "Write to the data desk (data@example.org), not [the archive](ftp://example.org/pub).",
        "see the project wiki (https://example.org/azotea/wiki/calibration?version=3&lang=en).",
    ] {
        assert!(contains_text(&text, want), "PDF lacks {want:?}");
    }
}

#[test]
fn a_200_character_url_breaks_only_after_a_slash_question_mark_ampersand_dash_or_dot() {
    assert_eq!(LONG_URL.len(), 200);
    let doc = plan_with_links();
    let m = model(&doc, "horizon-europe");
    let pdf = dmptool::render::render(&m).unwrap().pdf;
    let text = pdf_body_text(&pdf);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains("The full series: https://"))
        .expect("the long URL's first line");
    let mut url = String::new();
    let mut ends = Vec::new();
    for l in &lines[start..] {
        let part = l.trim_start_matches("The full series: ");
        let part = part.split(' ').next().unwrap_or("");
        url.push_str(part);
        if url.len() >= LONG_URL.len() {
            break;
        }
        ends.push(part.chars().last().unwrap_or(' '));
    }
    assert_eq!(url, LONG_URL, "{:?}", &lines[start..start + 5]);
    assert!(ends.len() >= 2, "the URL fits on {} lines", ends.len() + 1);
    for c in &ends {
        assert!(
            matches!(c, '/' | '?' | '&' | '-' | '.'),
            "a line of the URL ends in {c:?}: {:?}",
            &lines[start..start + ends.len() + 1]
        );
    }
}

#[test]
fn the_cover_tables_are_tagged_as_tables_with_column_header_cells() {
    let mut doc = fixture("plan-complete.json");
    // Enough datasets for the datasets table to run onto another page, where its header
    // row is repeated as an artifact.
    let first = doc["datasets"][0].clone();
    let list = doc["datasets"].as_array_mut().unwrap();
    for i in 0..60 {
        let mut d = first.clone();
        d["title"] = json!(format!("Station {i} series"));
        list.push(d);
    }
    for template in ["h2020", "horizon-europe", "science-europe"] {
        let m = model(&doc, template);
        let pdf = dmptool::render::render(&m).unwrap().pdf;
        conforming(&pdf);
        let tree = pdf_struct(&pdf);
        let count = |what: &str| tree.lines().filter(|l| l.trim() == what).count();
        assert_eq!(count("Table (block)"), m.tables.len(), "{template}");
        let header: usize = m.tables.iter().map(|t| t.header.len()).sum();
        let rows: usize = m.tables.iter().map(|t| t.rows.len() + 1).sum();
        let cells: usize = m.tables.iter().map(|t| t.rows.len() * t.header.len()).sum();
        assert_eq!(count("TH:"), header, "{template}: one header row per table");
        assert_eq!(tree.matches("/Scope /Column").count(), header);
        assert_eq!(count("TR"), rows, "{template}");
        assert_eq!(count("TD"), cells, "{template}");
        let text = pdf_body_text(&pdf);
        assert!(
            text.matches("Dataset").count() >= 2,
            "{template}: the header repeats on the next page"
        );
    }
}

//! Reading generated documents back: DOCX parts through a zip reader, PDF text through
//! poppler's pdftotext (CI installs poppler-utils).
#![allow(dead_code)]

use std::io::Read;
use std::process::Command;

/// One part of a DOCX package.
pub fn docx_part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the DOCX is a zip");
    let mut part = zip
        .by_name(name)
        .unwrap_or_else(|_| panic!("DOCX lacks {name}"));
    let mut s = String::new();
    part.read_to_string(&mut s).unwrap();
    s
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The text of word/document.xml, one line per paragraph, with each paragraph's style.
pub fn docx_paragraphs(bytes: &[u8]) -> Vec<(String, String)> {
    let xml = docx_part(bytes, "word/document.xml");
    let mut out = Vec::new();
    for p in xml.split("</w:p>") {
        let style = p
            .split("<w:pStyle w:val=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("Normal")
            .to_owned();
        let mut text = String::new();
        for piece in p.split("<w:t").skip(1) {
            if piece.starts_with(' ') || piece.starts_with('>') {
                let body = piece.split_once('>').map(|x| x.1).unwrap_or("");
                let body = body.split("</w:t>").next().unwrap_or("");
                text.push_str(&unescape(body));
            }
        }
        if p.contains("<w:p>") || p.contains("<w:p ") {
            out.push((style, text));
        }
    }
    out
}

/// The PDF's text as pdftotext extracts it.
pub fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is needed to read PDFs back: install poppler-utils");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The PDF's text without the page footers, so paragraphs that cross pages read on.
pub fn pdf_body_text(bytes: &[u8]) -> String {
    pdf_text(bytes)
        .lines()
        .filter(|l| {
            let l = l.trim().trim_start_matches('\u{c}');
            !(l.starts_with("Page ")
                && l.contains(" of ")
                && l[5..]
                    .split(" of ")
                    .all(|n| n.trim().parse::<u32>().is_ok()))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first characters of a text, for failure messages.
pub fn head(s: &str) -> String {
    s.chars().take(80).collect()
}

/// pdfinfo's `Key: value` lines.
pub fn pdf_info(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdfinfo")
        .arg(&path)
        .output()
        .expect("pdfinfo (poppler-utils)");
    String::from_utf8(out.stdout).unwrap()
}

/// `haystack` contains `needle` when all white space is ignored (lines wrap in PDFs).
pub fn contains_text(haystack: &str, needle: &str) -> bool {
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    squash(haystack).contains(&squash(needle))
}

/// The PDF's structure tree as `pdfinfo -struct` prints it (one element a line, indented).
pub fn pdf_struct(bytes: &[u8]) -> String {
    pdfinfo_with(bytes, "-struct")
}

/// The addresses of the PDF's link annotations, in page order (`pdfinfo -url`).
pub fn pdf_urls(bytes: &[u8]) -> Vec<String> {
    pdfinfo_with(bytes, "-url")
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect()
}

/// The XMP metadata (`pdfinfo -meta`).
pub fn pdf_meta(bytes: &[u8]) -> String {
    pdfinfo_with(bytes, "-meta")
}

fn pdfinfo_with(bytes: &[u8], flag: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdfinfo")
        .arg(flag)
        .arg(&path)
        .output()
        .expect("pdfinfo (poppler-utils)");
    assert!(out.status.success(), "pdfinfo {flag} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The PDF's outline (bookmarks) as `pdftohtml -xml` gives it: `<item page="N">title</item>`
/// lines, nested `<outline>` for children.
pub fn pdf_outline(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdftohtml")
        .args(["-q", "-xml", "-i", "-stdout"])
        .arg(&path)
        .output()
        .expect("pdftohtml (poppler-utils)");
    let xml = String::from_utf8_lossy(&out.stdout);
    xml.lines()
        .filter(|l| {
            l.starts_with("<outline") || l.starts_with("</outline") || l.starts_with("<item")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

//! The DOCX: WordprocessingML written straight into a zip. Real styles (Title, Heading 1,
//! Heading 2, and Question / Not answered for the body), so Word's navigation pane and a
//! table of contents work; A4 pages numbered "Page X of Y"; core properties.
//!
//! The plan's language is the documents' default `w:lang`. A paragraph whose base
//! direction is right to left carries `w:bidi`; its right-to-left pieces (by the Unicode
//! bidirectional algorithm) are runs with `w:rtl` and a `w:lang w:bidi` for their script.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::model::{Block, DocModel, NOT_ANSWERED, Table};
use super::text::{directional_runs, is_rtl};
use super::{Deadline, RenderError};

/// Languages written right to left, for the complex-script language of the defaults.
const RTL_LANGUAGES: [&str; 10] = ["ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ku"];
/// Of those, the ones written in the Arabic script.
const ARABIC_SCRIPT: [&str; 7] = ["ar", "fa", "ur", "ps", "sd", "ug", "ku"];

/// The complex-script language of a right-to-left piece: its script's, the plan's own
/// when the plan's language is written in that script.
fn bidi_lang(piece: &str, lang: &str) -> &'static str {
    use unicode_script::{Script, UnicodeScript};
    let script = piece
        .chars()
        .map(|c| c.script())
        .find(|s| !matches!(s, Script::Common | Script::Inherited));
    match script {
        Some(Script::Hebrew) => "he",
        Some(Script::Arabic) => ARABIC_SCRIPT
            .iter()
            .find(|l| **l == lang)
            .copied()
            .unwrap_or("ar"),
        Some(Script::Syriac) => "syr",
        Some(Script::Thaana) => "dv",
        _ => RTL_LANGUAGES
            .iter()
            .find(|l| **l == lang)
            .copied()
            .unwrap_or("ar"),
    }
}

/// Escapes text for XML content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Runs of `text` with `\n` as line breaks; `props` are run properties (`<w:b/>`...),
/// `rtl` the paragraph's base direction, `lang` the plan's language.
fn runs(text: &str, props: &str, rtl: bool, lang: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        for (k, (piece, piece_rtl)) in directional_runs(line, rtl).into_iter().enumerate() {
            out.push_str("<w:r>");
            if piece_rtl {
                out.push_str(&format!(
                    "<w:rPr>{props}<w:rtl/><w:lang w:bidi=\"{}\"/></w:rPr>",
                    bidi_lang(piece, lang)
                ));
            } else if !props.is_empty() {
                out.push_str(&format!("<w:rPr>{props}</w:rPr>"));
            }
            if i > 0 && k == 0 {
                out.push_str("<w:br/>");
            }
            out.push_str(&format!(
                "<w:t xml:space=\"preserve\">{}</w:t></w:r>",
                esc(piece)
            ));
        }
    }
    out
}

/// `<w:pPr>` with a style, and `w:bidi` when `text` reads right to left.
fn ppr(style: &str, rtl: bool) -> String {
    format!(
        "<w:pPr><w:pStyle w:val=\"{style}\"/>{}</w:pPr>",
        if rtl { "<w:bidi/>" } else { "" }
    )
}

fn para(style: &str, text: &str, lang: &str) -> String {
    let rtl = is_rtl(text);
    format!(
        "<w:p>{}{}</w:p>",
        ppr(style, rtl),
        runs(text, "", rtl, lang)
    )
}

/// Text width in twentieths of a point: A4 (11906) less both margins (1280 each).
const TEXT_WIDTH: f32 = 9346.0;

/// A table with a caption above it: a header row that repeats on every page, thin rules.
fn table(t: &Table, lang: &str) -> String {
    let mut out = para("TableCaption", &t.caption, lang);
    let grid: String = t
        .widths
        .iter()
        .map(|w| format!("<w:gridCol w:w=\"{}\"/>", (w * TEXT_WIDTH).round()))
        .collect();
    out.push_str(&format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"5000\" w:type=\"pct\"/><w:tblBorders>\
<w:top w:val=\"single\" w:sz=\"4\" w:color=\"8A94A6\"/><w:bottom w:val=\"single\" w:sz=\"4\" w:color=\"8A94A6\"/>\
<w:insideH w:val=\"single\" w:sz=\"4\" w:color=\"C8CED8\"/></w:tblBorders>\
<w:tblCellMar><w:top w:w=\"40\" w:type=\"dxa\"/><w:left w:w=\"80\" w:type=\"dxa\"/><w:bottom w:w=\"40\" w:type=\"dxa\"/><w:right w:w=\"80\" w:type=\"dxa\"/></w:tblCellMar>\
<w:tblLook w:val=\"0020\" w:firstRow=\"1\" w:noHBand=\"1\" w:noVBand=\"1\"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>"
    ));
    let row = |cells: &[String], header: bool| {
        let mut r = String::from("<w:tr>");
        if header {
            r.push_str("<w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>");
        } else {
            r.push_str("<w:trPr><w:cantSplit/></w:trPr>");
        }
        for (k, c) in cells.iter().enumerate() {
            let w = t.widths.get(k).copied().unwrap_or(0.0) * TEXT_WIDTH;
            let rtl = is_rtl(c);
            let props = if header { "<w:b/><w:bCs/>" } else { "" };
            r.push_str(&format!(
                "<w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/></w:tcPr><w:p>{}{}</w:p></w:tc>",
                w.round(),
                ppr("TableText", rtl),
                runs(c, props, rtl, lang)
            ));
        }
        r.push_str("</w:tr>");
        r
    };
    out.push_str(&row(&t.header, true));
    for cells in &t.rows {
        out.push_str(&row(cells, false));
    }
    out.push_str("</w:tbl>");
    out
}

/// The table of contents after the title block, then a page break: a real TOC field
/// (headings 1 to 3, as links), its result filled in with the headings so that it reads
/// right before any update; Word updates it on opening (`w:updateFields`).
fn contents(m: &DocModel, lang: &str) -> String {
    let mut out = para("TOCHeading", "Contents", lang);
    let entries: Vec<(&str, &str)> = m
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Section(t) => Some(("TOC1", t.as_str())),
            Block::Subsection(t) => Some(("TOC2", t.as_str())),
            _ => None,
        })
        .collect();
    let begin = "<w:r><w:fldChar w:fldCharType=\"begin\" w:dirty=\"true\"/></w:r>\
<w:r><w:instrText xml:space=\"preserve\"> TOC \\o \"1-3\" \\h \\z \\u </w:instrText></w:r>\
<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>";
    let end = "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>";
    if entries.is_empty() {
        out.push_str(&format!("<w:p>{}{begin}{end}</w:p>", ppr("TOC1", false)));
    }
    let last = entries.len().saturating_sub(1);
    for (i, (style, text)) in entries.iter().enumerate() {
        let rtl = is_rtl(text);
        out.push_str(&format!(
            "<w:p>{}{}{}{}</w:p>",
            ppr(style, rtl),
            if i == 0 { begin } else { "" },
            runs(text, "", rtl, lang),
            if i == last { end } else { "" }
        ));
    }
    out.push_str("<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>");
    out
}

/// What the document part refers to beyond itself: the targets of its hyperlinks (their
/// relationships) and the first number of each numbered list (its numbering instance).
#[derive(Default)]
struct Refs {
    links: Vec<String>,
    ordered: Vec<u64>,
    /// The last numbered item written: (its numbering instance, its number).
    last_item: Option<(usize, u64)>,
}

/// The numbering instance of bullet items; numbered lists get 2, 3, ... in order.
const BULLETS: usize = 1;

/// One answer block: a paragraph, or a list item numbered by Word (bullets, or a numbered
/// list that restarts where the plan's does), with bold, italic, code and hyperlink runs.
fn answer(source: &str, lang: &str, refs: &mut Refs) -> String {
    use super::markdown::{Piece, piece};
    let (style, num, runs_of) = match piece(source) {
        Piece::Paragraph(r) => {
            refs.last_item = None;
            ("Answer", None, r)
        }
        Piece::Item {
            ordered: false,
            runs: r,
            ..
        } => {
            refs.last_item = None;
            ("ListAnswer", Some(BULLETS), r)
        }
        Piece::Item {
            ordered: true,
            number,
            runs: r,
        } => {
            let id = match refs.last_item {
                Some((id, n)) if n + 1 == number => id,
                _ => {
                    refs.ordered.push(number);
                    BULLETS + refs.ordered.len()
                }
            };
            refs.last_item = Some((id, number));
            ("ListAnswer", Some(id), r)
        }
    };
    let text: String = runs_of.iter().map(|r| r.text.as_str()).collect();
    let rtl = is_rtl(&text);
    let numbering = num.map_or(String::new(), |id| {
        format!("<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"{id}\"/></w:numPr>")
    });
    let mut out = format!(
        "<w:p><w:pPr><w:pStyle w:val=\"{style}\"/>{numbering}{}</w:pPr>",
        if rtl { "<w:bidi/>" } else { "" }
    );
    for r in &runs_of {
        let mut props = String::new();
        if r.link.is_some() {
            props.push_str("<w:rStyle w:val=\"Hyperlink\"/>");
        }
        if r.code {
            props.push_str(
                "<w:rFonts w:ascii=\"Courier New\" w:hAnsi=\"Courier New\" w:cs=\"Courier New\"/>",
            );
        }
        if r.bold {
            props.push_str("<w:b/><w:bCs/>");
        }
        if r.italic {
            props.push_str("<w:i/><w:iCs/>");
        }
        let body = runs(&r.text, &props, rtl, lang);
        match &r.link {
            Some(url) => {
                refs.links.push(url.clone());
                out.push_str(&format!(
                    "<w:hyperlink r:id=\"rIdL{}\" w:history=\"1\">{body}</w:hyperlink>",
                    refs.links.len()
                ));
            }
            None => out.push_str(&body),
        }
    }
    out.push_str("</w:p>");
    out
}

/// The numbering definitions: bullets, and one instance per numbered list with its start.
fn numbering_xml(refs: &Refs) -> String {
    let mut nums = format!("<w:num w:numId=\"{BULLETS}\"><w:abstractNumId w:val=\"0\"/></w:num>");
    for (k, start) in refs.ordered.iter().enumerate() {
        nums.push_str(&format!(
            "<w:num w:numId=\"{}\"><w:abstractNumId w:val=\"1\"/><w:lvlOverride w:ilvl=\"0\"><w:startOverride w:val=\"{start}\"/></w:lvlOverride></w:num>",
            BULLETS + 1 + k
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="singleLevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="360" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum><w:abstractNum w:abstractNumId="1"><w:multiLevelType w:val="singleLevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="360" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>{nums}</w:numbering>"#
    )
}

/// The document part's relationships: styles, settings, footer, numbering, hyperlinks.
fn document_rels(refs: &Refs) -> String {
    let mut links = String::new();
    for (k, url) in refs.links.iter().enumerate() {
        links.push_str(&format!(
            "<Relationship Id=\"rIdL{}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink\" Target=\"{}\" TargetMode=\"External\"/>",
            k + 1,
            esc(url)
        ));
    }
    DOCUMENT_RELS.replace("</Relationships>", &format!("<Relationship Id=\"rId4\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering\" Target=\"numbering.xml\"/>{links}</Relationships>"))
}

fn document_xml(m: &DocModel, deadline: Deadline, refs: &mut Refs) -> Result<String, RenderError> {
    let lang = m.language.as_str();
    let mut body = String::new();
    body.push_str(&para("Title", &m.title, lang));
    body.push_str(&para("Subtitle", &m.subtitle, lang));
    for (k, v) in &m.info {
        body.push_str(&format!(
            "<w:p>{}{}{}</w:p>",
            ppr("Info", false),
            runs(&format!("{k}: "), "<w:b/><w:bCs/>", false, lang),
            runs(v, "", is_rtl(v), lang)
        ));
    }
    for t in &m.tables {
        deadline.check()?;
        body.push_str(&table(t, lang));
    }
    body.push_str(&contents(m, lang));
    for b in &m.blocks {
        deadline.check()?;
        if !matches!(b, Block::Answer(_)) {
            refs.last_item = None;
        }
        body.push_str(&match b {
            Block::Section(t) => para("Heading1", t, lang),
            Block::Subsection(t) => para("Heading2", t, lang),
            Block::Group(t) => para("Heading3", t, lang),
            Block::Question(t) => para("Question", t, lang),
            Block::Answer(t) => answer(t, lang, refs),
            Block::NotAnswered => para("NotAnswered", NOT_ANSWERED, lang),
        });
    }
    Ok(format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>{body}<w:sectPr><w:footerReference w:type="default" r:id="rId3"/><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1280" w:right="1280" w:bottom="1440" w:left="1280" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>"#
    ))
}

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:eastAsia="Arial" w:cs="Arial"/><w:sz w:val="21"/><w:szCs w:val="21"/><w:lang w:val="{LANG}" w:bidi="{BIDI}"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="80" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Subtitle"/><w:qFormat/><w:pPr><w:spacing w:after="80"/></w:pPr><w:rPr><w:b/><w:bCs/><w:color w:val="1F3A5F"/><w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Subtitle"><w:name w:val="Subtitle"/><w:basedOn w:val="Normal"/><w:next w:val="Info"/><w:qFormat/><w:pPr><w:spacing w:after="240"/></w:pPr><w:rPr><w:color w:val="555F6D"/><w:sz w:val="26"/><w:szCs w:val="26"/></w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="Info"><w:name w:val="Title Block"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="40"/></w:pPr><w:rPr><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Question"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="400" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:bCs/><w:color w:val="1F3A5F"/><w:sz w:val="30"/><w:szCs w:val="30"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Question"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="280" w:after="100"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:bCs/><w:color w:val="1F3A5F"/><w:sz w:val="25"/><w:szCs w:val="25"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading3"><w:name w:val="heading 3"/><w:basedOn w:val="Normal"/><w:next w:val="Question"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="200" w:after="60"/><w:outlineLvl w:val="2"/></w:pPr><w:rPr><w:b/><w:bCs/><w:color w:val="1F3A5F"/><w:sz w:val="22"/><w:szCs w:val="22"/></w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="Question"><w:name w:val="Question"/><w:basedOn w:val="Normal"/><w:next w:val="Answer"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="200" w:after="60"/></w:pPr><w:rPr><w:b/><w:bCs/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="TOCHeading"><w:name w:val="TOC Heading"/><w:basedOn w:val="Normal"/><w:next w:val="TOC1"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="320" w:after="120"/></w:pPr><w:rPr><w:b/><w:bCs/><w:color w:val="1F3A5F"/><w:sz w:val="26"/><w:szCs w:val="26"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="TOC1"><w:name w:val="toc 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:spacing w:after="40"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="TOC2"><w:name w:val="toc 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:spacing w:after="40"/><w:ind w:left="360"/></w:pPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="TableCaption"><w:name w:val="Table Caption"/><w:basedOn w:val="Normal"/><w:next w:val="TableText"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="80"/></w:pPr><w:rPr><w:b/><w:bCs/><w:color w:val="1F3A5F"/></w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="TableText"><w:name w:val="Table Text"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="Answer"><w:name w:val="Answer"/><w:basedOn w:val="Normal"/><w:qFormat/></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="ListAnswer"><w:name w:val="List Answer"/><w:basedOn w:val="Answer"/><w:qFormat/><w:pPr><w:spacing w:after="40"/></w:pPr></w:style>
<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:rPr><w:color w:val="1F5FAF"/><w:u w:val="single"/></w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="NotAnswered"><w:name w:val="Not Answered"/><w:basedOn w:val="Answer"/><w:rPr><w:i/><w:iCs/><w:color w:val="8A8A8A"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/><w:basedOn w:val="Normal"/><w:pPr><w:jc w:val="center"/></w:pPr><w:rPr><w:color w:val="777777"/><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>
</w:styles>"#;

/// The styles, with the plan's language as the default (and as the complex-script
/// language when it is written right to left).
fn styles_xml(m: &DocModel) -> String {
    let lang = m.language.as_str();
    let bidi = RTL_LANGUAGES
        .iter()
        .find(|l| **l == lang)
        .copied()
        .unwrap_or("ar-SA");
    STYLES.replace("{LANG}", lang).replace("{BIDI}", bidi)
}

const FOOTER: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:ftr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr><w:r><w:t xml:space="preserve">Page </w:t></w:r><w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple><w:r><w:t xml:space="preserve"> of </w:t></w:r><w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p></w:ftr>"#;

const SETTINGS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:updateFields w:val="true"/><w:defaultTabStop w:val="708"/><w:characterSpacingControl w:val="doNotCompress"/><w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>"#;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/><Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/></Relationships>"#;

fn core_xml(m: &DocModel) -> String {
    let when = m.created.format("%Y-%m-%dT%H:%M:%SZ");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{}</dc:title><dc:subject>{}</dc:subject><dc:creator>{}</dc:creator><dc:language>{}</dc:language><cp:lastModifiedBy>{}</cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified></cp:coreProperties>"#,
        esc(&m.title),
        esc(&m.subtitle),
        esc(&m.author),
        esc(&m.language),
        esc(&m.author)
    )
}

fn app_xml() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>dmptool {}</Application></Properties>"#,
        env!("CARGO_PKG_VERSION")
    )
}

pub fn write(m: &DocModel) -> Result<Vec<u8>, RenderError> {
    write_until(m, Deadline::none())
}

/// The DOCX, or [`RenderError::TimeLimit`] once `deadline` has passed.
pub fn write_until(m: &DocModel, deadline: Deadline) -> Result<Vec<u8>, RenderError> {
    let err = |e: &dyn std::fmt::Display| RenderError::Docx(e.to_string());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut refs = Refs::default();
    let document = document_xml(m, deadline, &mut refs)?;
    let parts: [(&str, String); 10] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", ROOT_RELS.to_owned()),
        ("word/document.xml", document),
        ("word/styles.xml", styles_xml(m)),
        ("word/settings.xml", SETTINGS.to_owned()),
        ("word/numbering.xml", numbering_xml(&refs)),
        ("word/footer1.xml", FOOTER.to_owned()),
        ("word/_rels/document.xml.rels", document_rels(&refs)),
        ("docProps/core.xml", core_xml(m)),
        ("docProps/app.xml", app_xml()),
    ];
    for (name, content) in parts {
        zip.start_file(name, opts).map_err(|e| err(&e))?;
        zip.write_all(content.as_bytes()).map_err(|e| err(&e))?;
    }
    Ok(zip.finish().map_err(|e| err(&e))?.into_inner())
}

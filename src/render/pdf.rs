//! The PDF: A4 pages laid out here (wrapping, page breaks that keep a question with the
//! start of its answer, "Page X of Y"), written by krilla with subsetted embedded fonts,
//! an outline of the sections, and document metadata. Text is ordered and shaped by
//! [`super::text`]; right-to-left paragraphs are set flush right.
//!
//! An answer's Markdown is parsed once per block: bold runs are set in Liberation Sans
//! Bold, italic ones in Liberation Sans Italic (bold and italic together in the bold face:
//! no bold italic face is bundled), code in the regular face (no monospace face is
//! bundled). Links (`http`, `https`, `mailto`) are blue, underlined and clickable: link
//! annotations over their text (and over the address printed after a link's text), with
//! "Link to ..." as alternate text. An answer in a right-to-left script is set as plain
//! text, without styles or links.
//!
//! The file is tagged (PDF/UA-1: headings H1-H4 with their titles (H4: a template's
//! sub-heading inside a subsection), paragraphs, Link elements holding a link's text and
//! its annotations, tables as Table / TR / TH (scope column) / TD, a table's header row
//! repeated on a following page, page numbers, rules and underlines as artifacts) and
//! PDF/A-2u, both checked by krilla's validators; the title is shown as the window title
//! and the plan's language is the document's `/Lang`.

use chrono::{Datelike, Timelike};
use std::collections::BTreeSet;
use std::num::NonZeroU16;

use krilla::action::{Action, LinkAction};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::color::rgb;
use krilla::configure::{Accessibility, Archival, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagKind, TagTree,
};
use krilla::{Document, SerializeSettings};

use super::model::{Block, DocModel, NOT_ANSWERED, Table};
use super::text::{FontPaths, Line, Seg, Style, Typesetter, is_rtl};
use super::{Deadline, RenderError};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 64.0;
const MARGIN_TOP: f32 = 64.0;
const BOTTOM: f32 = PAGE_H - 72.0;
const WIDTH: f32 = PAGE_W - 2.0 * MARGIN_X;
/// Measuring ignores kerning; keep a little room so shaped lines never overflow.
const SLACK: f32 = 2.0;

#[derive(Clone, Copy)]
struct Look {
    style: Style,
    size: f32,
    color: (u8, u8, u8),
    before: f32,
    leading: f32,
}

/// A look: font style, size (pt), colour, space before (pt), line height (× size).
const fn look(style: Style, size: f32, color: (u8, u8, u8), before: f32, leading: f32) -> Look {
    Look {
        style,
        size,
        color,
        before,
        leading,
    }
}

const NAVY: (u8, u8, u8) = (0x1f, 0x3a, 0x5f);
const INK: (u8, u8, u8) = (0x11, 0x11, 0x11);
const TITLE: Look = look(Style::Bold, 22.0, NAVY, 0.0, 1.2);
const SUBTITLE: Look = look(Style::Regular, 13.0, (0x55, 0x5f, 0x6d), 4.0, 1.3);
const INFO: Look = look(Style::Regular, 10.0, (0x22, 0x22, 0x22), 2.0, 1.35);
const SECTION: Look = look(Style::Bold, 15.0, NAVY, 20.0, 1.25);
const SUBSECTION: Look = look(Style::Bold, 12.5, NAVY, 14.0, 1.25);
/// A template's sub-heading inside a subsection ("Repository").
const GROUP: Look = look(Style::Bold, 11.0, NAVY, 12.0, 1.25);
const QUESTION: Look = look(Style::Bold, 10.5, INK, 10.0, 1.35);
const ANSWER: Look = look(Style::Regular, 10.5, INK, 4.0, 1.4);
const MISSING: Look = look(Style::Italic, 10.5, (0x8a, 0x8a, 0x8a), 4.0, 1.4);
const CAPTION: Look = look(Style::Bold, 10.5, NAVY, 14.0, 1.35);
const CELL_HEAD: Look = look(Style::Bold, 9.0, INK, 0.0, 1.3);
const CELL: Look = look(Style::Regular, 9.0, INK, 0.0, 1.3);
/// Space inside a table cell, left/right and above/below.
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;

/// One line of text placed on a page: its pieces, each in its own style, drawn one after
/// the other.
struct Placed {
    x: f32,
    baseline: f32,
    frags: Vec<Seg>,
    look: Look,
    /// The paragraph reads right to left.
    rtl: bool,
    /// Set flush right (`x` is then the right edge).
    right: bool,
    /// The structure element the line belongs to (an index into `Layout::groups`), or
    /// [`NO_GROUP`] for an artifact (a table's header row repeated on a new page).
    group: usize,
}

/// The group of text that is no content of the document's structure (an artifact).
const NO_GROUP: usize = usize::MAX;
/// The colour of links (the DOCX's Hyperlink style).
const LINK: (u8, u8, u8) = (0x1f, 0x5f, 0xaf);

struct Heading {
    text: String,
    page: usize,
    y: f32,
    level: u8,
}

/// A structure element of the tag tree.
enum Group {
    /// A heading: its level and title.
    Heading(u16, String),
    Paragraph,
    /// A table: its rows of cells (indices into `Layout::groups`), the header row first.
    Table(Vec<Vec<usize>>),
    /// A cell of a table, a header cell (TH, scope column) or a data cell (TD).
    Cell {
        header: bool,
    },
}

/// An answer block ready to set: its pieces parsed once, a list item with its marker.
enum Prepared {
    Paragraph(Vec<Seg>),
    Item { marker: String, segs: Vec<Seg> },
}

impl Prepared {
    fn segs(&self) -> &[Seg] {
        match self {
            Prepared::Paragraph(segs) | Prepared::Item { segs, .. } => segs,
        }
    }
}

/// The pieces of an answer's runs: bold in the bold face, italic in the italic one (no
/// bold italic face is bundled: bold wins), code in the regular face (no monospace face is
/// bundled). A link's text is linked, and so is its address, printed after it in
/// parentheses when it is not the text itself; `links` collects the addresses.
fn segs_of(runs: &[super::markdown::Run], links: &mut Vec<String>) -> Vec<Seg> {
    let mut out = Vec::with_capacity(runs.len());
    for r in runs {
        let style = if r.bold {
            Style::Bold
        } else if r.italic {
            Style::Italic
        } else {
            Style::Regular
        };
        let seg = |text: &str, link: Option<usize>| Seg {
            text: text.to_owned(),
            style,
            link,
        };
        match &r.link {
            None => out.push(seg(&r.text, None)),
            Some(url) => {
                links.push(url.clone());
                let k = Some(links.len() - 1);
                out.push(seg(&r.text, k));
                let shown = url.strip_prefix("mailto:").unwrap_or(url);
                if shown != r.text {
                    out.push(seg(" (", None));
                    out.push(seg(shown, k));
                    out.push(seg(")", None));
                }
            }
        }
    }
    out
}

/// Parses an answer block (once) into what the PDF sets. A paragraph or item in a
/// right-to-left script is one plain piece, set flush right, its marker as text.
fn prepare(source: &str, links: &mut Vec<String>) -> Prepared {
    use super::markdown::{Piece, piece, runs_text};
    let plain = |text: String| {
        Prepared::Paragraph(vec![Seg {
            text,
            style: ANSWER.style,
            link: None,
        }])
    };
    match piece(source) {
        Piece::Paragraph(runs) => {
            let text = runs_text(&runs);
            if is_rtl(&text) {
                plain(text)
            } else {
                Prepared::Paragraph(segs_of(&runs, links))
            }
        }
        Piece::Item {
            ordered,
            number,
            runs,
        } => {
            let text = runs_text(&runs);
            if is_rtl(&text) {
                plain(if ordered {
                    format!("{number}. {text}")
                } else {
                    format!("• {text}")
                })
            } else {
                Prepared::Item {
                    marker: if ordered {
                        format!("{number}.  ")
                    } else {
                        "•  ".to_owned()
                    },
                    segs: segs_of(&runs, links),
                }
            }
        }
    }
}

/// One piece of text in one style, not linked.
fn seg(text: &str, style: Style) -> Vec<Seg> {
    vec![Seg {
        text: text.to_owned(),
        style,
        link: None,
    }]
}

fn joined(segs: &[Seg]) -> String {
    segs.iter().map(|s| s.text.as_str()).collect()
}

struct Layout<'a> {
    ts: Typesetter<'a>,
    deadline: Deadline,
    pages: Vec<Vec<Placed>>,
    rules: Vec<(usize, f32)>,
    /// Thin rules between table rows: (page, y).
    hairlines: Vec<(usize, f32)>,
    headings: Vec<Heading>,
    groups: Vec<Group>,
    /// The addresses of the links, indexed by [`Seg::link`].
    links: Vec<String>,
    y: f32,
}

impl Layout<'_> {
    fn line_height(look: Look) -> f32 {
        look.size * look.leading
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
    }

    fn page(&self) -> usize {
        self.pages.len() - 1
    }

    fn group(&mut self, group: Group) -> usize {
        self.groups.push(group);
        self.groups.len() - 1
    }

    fn lines(&mut self, text: &str, look: Look, first: f32, rest: f32) -> Vec<String> {
        self.ts
            .wrap(text, look.style, look.size, first - SLACK, rest - SLACK)
    }

    fn seg_lines(&mut self, segs: &[Seg], look: Look, first: f32, rest: f32) -> Vec<Vec<Seg>> {
        self.ts
            .wrap_segs(segs, look.size, first - SLACK, rest - SLACK)
    }

    /// Places a paragraph of one style, breaking pages between lines. `keep` is extra
    /// height that must fit below the paragraph's first lines on the same page (what must
    /// not be orphaned).
    fn paragraph(&mut self, text: &str, look: Look, keep: f32, group: Group) {
        self.paragraph_segs(&seg(text, look.style), look, keep, group);
    }

    /// Places a paragraph of styled pieces (see [`Layout::paragraph`]).
    fn paragraph_segs(&mut self, segs: &[Seg], look: Look, keep: f32, group: Group) {
        let lines = self.seg_lines(segs, look, WIDTH, WIDTH);
        let rtl = is_rtl(&joined(segs));
        let group = self.group(group);
        let lh = Self::line_height(look);
        let on_top = self.y <= MARGIN_TOP + 0.5;
        let head = lh * lines.len().min(2) as f32;
        if !on_top && self.y + look.before + head + keep > BOTTOM {
            self.new_page();
        } else if !on_top {
            self.y += look.before;
        }
        for frags in lines {
            if self.y + lh > BOTTOM {
                self.new_page();
            }
            let baseline = self.y + look.size;
            if let Some(page) = self.pages.last_mut() {
                page.push(Placed {
                    x: if rtl { MARGIN_X + WIDTH } else { MARGIN_X },
                    baseline,
                    look,
                    rtl,
                    right: rtl,
                    frags,
                    group,
                });
            }
            self.y += lh;
        }
    }

    /// A table with its caption: a header row (repeated at the top of each page the table
    /// runs onto, as an artifact), rows that are never split across pages, thin rules
    /// between rows. Tagged as a table: TR rows of TH (scope column) and TD cells.
    fn table(&mut self, t: &Table) {
        let widths: Vec<f32> = t.widths.iter().map(|w| w * WIDTH).collect();
        let lines_of = |l: &mut Self, cells: &[String], look: Look| -> Vec<Vec<String>> {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| {
                    let inner = (w - 2.0 * CELL_PAD_X).max(10.0);
                    l.lines(c, look, inner, inner)
                })
                .collect()
        };
        let height = |lines: &[Vec<String>], look: Look| {
            let n = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
            n as f32 * Self::line_height(look) + 2.0 * CELL_PAD_Y
        };
        let head = lines_of(self, &t.header, CELL_HEAD);
        let head_h = height(&head, CELL_HEAD);
        let first_h = t
            .rows
            .first()
            .map_or(0.0, |r| height(&lines_of(self, r, CELL), CELL));
        self.paragraph(&t.caption, CAPTION, head_h + first_h, Group::Paragraph);
        let table = self.group(Group::Table(Vec::new()));
        self.y += 2.0;
        self.hairlines.push((self.page(), self.y));
        self.row(table, &t.header, &head, &widths, CELL_HEAD, head_h, false);
        for cells in &t.rows {
            let lines = lines_of(self, cells, CELL);
            let h = height(&lines, CELL);
            if self.y + h > BOTTOM {
                self.new_page();
                self.hairlines.push((self.page(), self.y));
                self.row(table, &t.header, &head, &widths, CELL_HEAD, head_h, true);
            }
            self.row(table, cells, &lines, &widths, CELL, h, false);
        }
    }

    /// One table row of wrapped cells at the current height, then a thin rule below it.
    /// A header row repeated on a new page is an artifact, not part of the table's
    /// structure.
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        table: usize,
        cells: &[String],
        lines: &[Vec<String>],
        widths: &[f32],
        look: Look,
        h: f32,
        repeated: bool,
    ) {
        let lh = Self::line_height(look);
        // The header row is the only one set in bold.
        let header = look.style == CELL_HEAD.style;
        let mut ids = Vec::with_capacity(cells.len());
        let mut x = MARGIN_X;
        for ((cell, cell_lines), w) in cells.iter().zip(lines).zip(widths) {
            let group = if repeated {
                NO_GROUP
            } else {
                self.group(Group::Cell { header })
            };
            ids.push(group);
            let rtl = is_rtl(cell);
            let mut y = self.y + CELL_PAD_Y;
            for line in cell_lines {
                let page = self.pages.len() - 1;
                self.pages[page].push(Placed {
                    x: if rtl {
                        x + w - CELL_PAD_X
                    } else {
                        x + CELL_PAD_X
                    },
                    baseline: y + look.size,
                    frags: seg(line, look.style),
                    look,
                    rtl,
                    right: rtl,
                    group,
                });
                y += lh;
            }
            x += w;
        }
        if !repeated && let Some(Group::Table(rows)) = self.groups.get_mut(table) {
            rows.push(ids);
        }
        self.y += h;
        self.hairlines.push((self.page(), self.y));
    }

    /// A "Label: value" line of the title block, the value wrapping under itself.
    fn info(&mut self, label: &str, value: &str) {
        let label_look = Look {
            style: Style::Bold,
            ..INFO
        };
        self.hanging(
            &format!("{label}: "),
            label_look,
            &seg(value, INFO.style),
            INFO,
        );
    }

    /// A lead (a label, a list marker) with the text after it wrapping under itself, not
    /// under the lead.
    fn hanging(&mut self, lead: &str, lead_look: Look, value: &[Seg], look: Look) {
        let lw = self.ts.width(lead, lead_look.style) * lead_look.size;
        let lines = self.seg_lines(value, look, WIDTH - lw, WIDTH - lw);
        let rtl = is_rtl(&joined(value));
        let group = self.group(Group::Paragraph);
        let lh = Self::line_height(look);
        let head = lh * lines.len().min(2) as f32;
        if self.y > MARGIN_TOP + 0.5 && self.y + look.before + head > BOTTOM {
            self.new_page();
        } else if self.y > MARGIN_TOP + 0.5 {
            self.y += look.before;
        }
        for (i, frags) in lines.into_iter().enumerate() {
            if self.y + lh > BOTTOM {
                self.new_page();
            }
            let baseline = self.y + look.size;
            let page = self.pages.len() - 1;
            if i == 0 {
                self.pages[page].push(Placed {
                    x: MARGIN_X,
                    baseline,
                    frags: seg(lead, lead_look.style),
                    look: lead_look,
                    rtl: false,
                    right: false,
                    group,
                });
            }
            self.pages[page].push(Placed {
                x: MARGIN_X + lw,
                baseline,
                look,
                rtl,
                right: false,
                frags,
                group,
            });
            self.y += lh;
        }
    }

    /// One answer block: a paragraph, or a list item with its marker hanging before it.
    fn answer(&mut self, prepared: &Prepared) {
        match prepared {
            Prepared::Item { marker, segs } => self.hanging(marker, ANSWER, segs, ANSWER),
            Prepared::Paragraph(segs) => self.paragraph_segs(segs, ANSWER, 0.0, Group::Paragraph),
        }
    }
}

/// What must follow block `i` on its page: the chain of headings and questions after it,
/// up to and including the first two lines of the answer.
fn keep_after(
    l: &mut Layout<'_>,
    blocks: &[Block],
    prepared: &[Option<Prepared>],
    i: usize,
) -> f32 {
    let mut need = 0.0;
    for (j, b) in blocks.iter().enumerate().skip(i + 1) {
        let (look, lines, heading) = match b {
            Block::Section(t) => (SECTION, l.lines(t, SECTION, WIDTH, WIDTH).len(), true),
            Block::Subsection(t) => (SUBSECTION, l.lines(t, SUBSECTION, WIDTH, WIDTH).len(), true),
            Block::Group(t) => (GROUP, l.lines(t, GROUP, WIDTH, WIDTH).len(), true),
            Block::Question(t) => (QUESTION, l.lines(t, QUESTION, WIDTH, WIDTH).len(), true),
            Block::Answer(_) => {
                let segs = prepared
                    .get(j)
                    .and_then(Option::as_ref)
                    .map_or(&[][..], Prepared::segs);
                (ANSWER, l.seg_lines(segs, ANSWER, WIDTH, WIDTH).len(), false)
            }
            Block::NotAnswered => (MISSING, 1, false),
        };
        need += look.before
            + Layout::line_height(look) * if heading { lines } else { lines.min(2) } as f32;
        if !heading {
            break;
        }
    }
    need
}

fn layout<'a>(
    model: &DocModel,
    deadline: Deadline,
    paths: &'a FontPaths,
) -> Result<Layout<'a>, RenderError> {
    let mut l = Layout {
        ts: Typesetter::new(paths)?,
        deadline,
        pages: vec![Vec::new()],
        rules: Vec::new(),
        hairlines: Vec::new(),
        headings: Vec::new(),
        groups: Vec::new(),
        links: Vec::new(),
        y: MARGIN_TOP,
    };
    l.paragraph(
        &model.title,
        TITLE,
        0.0,
        Group::Heading(1, model.title.clone()),
    );
    l.paragraph(&model.subtitle, SUBTITLE, 0.0, Group::Paragraph);
    l.y += 10.0;
    for (k, v) in &model.info {
        l.info(k, v);
    }
    l.y += 8.0;
    l.rules.push((l.page(), l.y));
    l.y += 4.0;
    for t in &model.tables {
        l.deadline.check()?;
        l.table(t);
    }
    // The title block and tables are the cover; the template starts on the next page (or
    // right after the cover when it already ran onto a second page, which would otherwise
    // be left nearly empty).
    if !model.blocks.is_empty() && l.page() == 0 {
        l.new_page();
    }

    // Each answer's Markdown is parsed here, once.
    let mut links = Vec::new();
    let prepared: Vec<Option<Prepared>> = model
        .blocks
        .iter()
        .map(|b| match b {
            Block::Answer(source) => Some(prepare(source, &mut links)),
            _ => None,
        })
        .collect();
    l.links = links;

    for (i, block) in model.blocks.iter().enumerate() {
        l.deadline.check()?;
        match block {
            Block::Section(t) | Block::Subsection(t) => {
                let (look, level) = if matches!(block, Block::Section(_)) {
                    (SECTION, 1)
                } else {
                    (SUBSECTION, 2)
                };
                let keep = keep_after(&mut l, &model.blocks, &prepared, i);
                l.paragraph(t, look, keep, Group::Heading(level + 1, t.clone()));
                let lines = l.lines(t, look, WIDTH, WIDTH).len() as f32;
                let top = l.y - lines * Layout::line_height(look);
                l.headings.push(Heading {
                    text: t.clone(),
                    page: l.page(),
                    y: top,
                    level: level as u8,
                });
            }
            Block::Group(t) => {
                let keep = keep_after(&mut l, &model.blocks, &prepared, i);
                l.paragraph(t, GROUP, keep, Group::Heading(4, t.clone()))
            }
            Block::Question(t) => {
                let keep = keep_after(&mut l, &model.blocks, &prepared, i);
                l.paragraph(t, QUESTION, keep, Group::Paragraph)
            }
            Block::Answer(_) => {
                if let Some(Some(p)) = prepared.get(i) {
                    l.answer(p);
                }
            }
            Block::NotAnswered => l.paragraph(NOT_ANSWERED, MISSING, 0.0, Group::Paragraph),
        }
    }
    Ok(l)
}

fn fill(c: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::default(),
    }
}

/// A written PDF and what the renderer could not do as asked.
pub struct Pdf {
    pub bytes: Vec<u8>,
    /// Characters no font has, drawn as U+FFFD.
    pub missing: BTreeSet<char>,
    /// Why the file is not PDF/A-2u and PDF/UA-1 after all (krilla's validators refused it),
    /// if they did; the file is then written without the claim.
    pub not_conforming: Option<String>,
}

pub fn write(model: &DocModel) -> Result<Vec<u8>, RenderError> {
    write_until(model, Deadline::none())
}

/// The PDF with the bundled fonts only, or [`RenderError::TimeLimit`] once `deadline` has
/// passed.
pub fn write_until(model: &DocModel, deadline: Deadline) -> Result<Vec<u8>, RenderError> {
    Ok(write_with(model, deadline, &FontPaths::none())?.bytes)
}

/// The PDF, with fonts from `paths` for characters the bundled fonts lack.
pub fn write_with(
    model: &DocModel,
    deadline: Deadline,
    paths: &FontPaths,
) -> Result<Pdf, RenderError> {
    let mut l = layout(model, deadline, paths)?;
    match serialize(model, &mut l, deadline, true)? {
        Ok(bytes) => Ok(Pdf {
            bytes,
            missing: l.ts.missing().clone(),
            not_conforming: None,
        }),
        Err(why) => {
            tracing::warn!(reason = %why, "the PDF does not pass the PDF/A-2u and PDF/UA-1 checks; written without them");
            let bytes = serialize(model, &mut l, deadline, false)?.map_err(RenderError::Pdf)?;
            Ok(Pdf {
                bytes,
                missing: l.ts.missing().clone(),
                not_conforming: Some(why),
            })
        }
    }
}

/// Writes the laid-out pages; the inner error is krilla's refusal (validation) as text.
fn serialize(
    model: &DocModel,
    l: &mut Layout<'_>,
    deadline: Deadline,
    conforming: bool,
) -> Result<Result<Vec<u8>, String>, RenderError> {
    let mut settings = SerializeSettings {
        enable_tagging: true,
        ..SerializeSettings::default()
    };
    if conforming {
        settings.configuration = ConfigurationBuilder::new()
            .with_archival_validator(Archival::A2_U)
            .with_accessibility_validator(Accessibility::UA1)
            .finish()
            .map_err(|e| RenderError::Pdf(format!("{e:?}")))?;
    }
    let total = l.pages.len();
    let mut document = Document::new_with(settings);
    // Each group's children in order: marked content, or a link (its own structure
    // element holding its text and its annotations).
    let mut children: Vec<Vec<Child>> = l.groups.iter().map(|_| Vec::new()).collect();
    let mut link_ids: Vec<Vec<Identifier>> = l.links.iter().map(|_| Vec::new()).collect();
    let mut link_placed = vec![false; l.links.len()];
    for (index, lines) in l.pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| RenderError::Pdf("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for (_, y) in l.rules.iter().filter(|(p, _)| *p == index) {
            artifact_rect(&mut surface, MARGIN_X, *y, WIDTH, 0.8, NAVY);
        }
        for (_, y) in l.hairlines.iter().filter(|(p, _)| *p == index) {
            artifact_rect(&mut surface, MARGIN_X, *y, WIDTH, 0.4, (0xc8, 0xce, 0xd8));
        }
        // The links drawn on this page: (link, left, baseline, width, size).
        let mut page_links: Vec<(usize, f32, f32, f32, f32)> = Vec::new();
        for placed in lines {
            deadline.check()?;
            let size = placed.look.size;
            let shaped: Vec<Line> = placed
                .frags
                .iter()
                .map(|f| l.ts.line(&f.text, f.style, placed.rtl))
                .collect();
            let total_w: f32 = shaped.iter().map(|s| s.width * size).sum();
            let mut x = if placed.right {
                placed.x - total_w
            } else {
                placed.x
            };
            for (frag, line) in placed.frags.iter().zip(&shaped) {
                let w = line.width * size;
                let color = if frag.link.is_some() {
                    LINK
                } else {
                    placed.look.color
                };
                if placed.group == NO_GROUP {
                    surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                        ArtifactType::Other,
                    )));
                    draw_line(&mut surface, line, x, placed.baseline, size, color);
                    surface.end_tagged();
                    x += w;
                    continue;
                }
                // No ActualText: poppler drops text marked with it on right-to-left lines;
                // each glyph's own text (ToUnicode) is already the logical text of its
                // cluster.
                let id = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
                draw_line(&mut surface, line, x, placed.baseline, size, color);
                surface.end_tagged();
                match frag.link {
                    Some(k) if k < link_ids.len() => {
                        link_ids[k].push(id);
                        page_links.push((k, x, placed.baseline, w, size));
                        if !link_placed[k] {
                            link_placed[k] = true;
                            if let Some(c) = children.get_mut(placed.group) {
                                c.push(Child::Link(k));
                            }
                        }
                    }
                    _ => {
                        if let Some(c) = children.get_mut(placed.group) {
                            c.push(Child::Content(id));
                        }
                    }
                }
                x += w;
            }
        }
        // Links are underlined.
        for &(_, x, baseline, w, size) in &page_links {
            artifact_rect(
                &mut surface,
                x,
                baseline + size * 0.12,
                w,
                size * 0.06,
                LINK,
            );
        }
        let text = format!("Page {} of {total}", index + 1);
        let size = 9.0;
        let line = l.ts.line(&text, Style::Regular, false);
        surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
            ArtifactType::PageNumber,
        )));
        draw_line(
            &mut surface,
            &line,
            (PAGE_W - line.width * size) / 2.0,
            PAGE_H - 40.0,
            size,
            (0x77, 0x77, 0x77),
        );
        surface.end_tagged();
        surface.finish();
        for (k, x, baseline, w, size) in page_links {
            let Some(rect) = Rect::from_xywh(x, baseline - size, w.max(0.5), size * 1.25) else {
                continue;
            };
            let url = l.links[k].clone();
            let alt = format!("Link to {}", url.strip_prefix("mailto:").unwrap_or(&url));
            let annotation = Annotation::new_link(
                LinkAnnotation::new(rect, Target::Action(Action::Link(LinkAction::new(url)))),
                Some(alt),
            );
            link_ids[k].push(page.add_tagged_annotation(annotation));
        }
        page.finish();
    }

    let mut tree = TagTree::new().with_lang(Some(model.language.clone()));
    for (i, group) in l.groups.iter().enumerate() {
        match group {
            // Set inside their table.
            Group::Cell { .. } => {}
            Group::Table(rows) => {
                let mut table = TagGroup::new(Tag::Table);
                for row in rows {
                    let mut tr = TagGroup::new(Tag::TR);
                    for &c in row {
                        let kind: TagKind = match l.groups.get(c) {
                            Some(Group::Cell { header: true }) => {
                                Tag::TH(TableHeaderScope::Column).into()
                            }
                            _ => Tag::TD.into(),
                        };
                        let mut cell = TagGroup::new(kind);
                        fill_group(
                            &mut cell,
                            children.get_mut(c).map(std::mem::take).unwrap_or_default(),
                            &mut link_ids,
                        );
                        tr.push(cell);
                    }
                    table.push(tr);
                }
                tree.push(table);
            }
            Group::Heading(..) | Group::Paragraph => {
                let kids = std::mem::take(&mut children[i]);
                if kids.is_empty() {
                    continue;
                }
                let mut g = match group {
                    Group::Heading(level, title) => TagGroup::new(Tag::Hn(
                        NonZeroU16::new(*level).unwrap_or(NonZeroU16::MIN),
                        Some(title.clone()),
                    )),
                    _ => TagGroup::new(Tag::P),
                };
                fill_group(&mut g, kids, &mut link_ids);
                tree.push(g);
            }
        }
    }
    document.set_tag_tree(tree);

    let mut outline = Outline::new();
    let mut current: Option<OutlineNode> = None;
    for h in &l.headings {
        let node = OutlineNode::new(
            h.text.clone(),
            XyzDestination::new(h.page, Point::from_xy(MARGIN_X, h.y.max(0.0))),
        );
        if h.level == 1 {
            if let Some(done) = current.take() {
                outline.push_child(done);
            }
            current = Some(node.with_open(true));
        } else if let Some(parent) = current.as_mut() {
            parent.push_child(node);
        } else {
            outline.push_child(node);
        }
    }
    if let Some(done) = current {
        outline.push_child(done);
    }
    if l.headings.is_empty() {
        // PDF/UA wants an outline: a document without sections gets its title as one.
        outline.push_child(OutlineNode::new(
            model.title.clone(),
            XyzDestination::new(0, Point::from_xy(MARGIN_X, MARGIN_TOP)),
        ));
    }
    document.set_outline(outline);

    let c = model.created;
    let date = DateTime::new(u16::try_from(c.year()).unwrap_or(2000))
        .month(c.month() as u8)
        .day(c.day() as u8)
        .hour(c.hour() as u8)
        .minute(c.minute() as u8)
        .second(c.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    let mut metadata = Metadata::new()
        .title(model.title.clone())
        .description(model.subtitle.clone())
        .creator("dmptool".to_owned())
        .producer(format!("dmptool {}", env!("CARGO_PKG_VERSION")))
        .creation_date(date)
        .language(model.language.clone());
    if !model.author.is_empty() {
        metadata = metadata.authors(vec![model.author.clone()]);
    }
    document.set_metadata(metadata);
    match document.finish() {
        Ok(bytes) => Ok(Ok(bytes)),
        Err(krilla::error::KrillaError::Validation(errors)) => Ok(Err(format!("{errors:?}"))),
        Err(e) => Err(RenderError::Pdf(format!("{e:?}"))),
    }
}

/// A child of a structure element: marked content, or a link (by its index).
enum Child {
    Content(Identifier),
    Link(usize),
}

/// Adds `kids` to `group`, each link as a Link element with its text and annotations.
fn fill_group(group: &mut TagGroup, kids: Vec<Child>, link_ids: &mut [Vec<Identifier>]) {
    for kid in kids {
        match kid {
            Child::Content(id) => group.push(id),
            Child::Link(k) => {
                let mut link = TagGroup::new(Tag::Link);
                for id in link_ids.get_mut(k).map(std::mem::take).unwrap_or_default() {
                    link.push(id);
                }
                group.push(link);
            }
        }
    }
}

/// A filled rectangle marked as an artifact (rules, underlines).
fn artifact_rect(
    surface: &mut krilla::surface::Surface<'_>,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
    color: (u8, u8, u8),
) {
    let mut pb = PathBuilder::new();
    if let Some(rect) = Rect::from_xywh(x, y, w, h) {
        pb.push_rect(rect);
    }
    if let Some(path) = pb.finish() {
        surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
            ArtifactType::Other,
        )));
        surface.set_fill(Some(fill(color)));
        surface.draw_path(&path);
        surface.end_tagged();
    }
}

/// Draws one shaped piece of a line from `x`.
fn draw_line(
    surface: &mut krilla::surface::Surface<'_>,
    line: &Line,
    mut x: f32,
    baseline: f32,
    size: f32,
    color: (u8, u8, u8),
) {
    surface.set_fill(Some(fill(color)));
    for run in &line.runs {
        surface.draw_glyphs(
            Point::from_xy(x, baseline),
            &run.glyphs,
            run.face.font.clone(),
            &run.text,
            size,
            false,
        );
        x += run.width * size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(blocks: Vec<Block>) -> DocModel {
        DocModel {
            title: "Plan".into(),
            subtitle: "Template".into(),
            info: Vec::new(),
            tables: Vec::new(),
            blocks,
            author: String::new(),
            created: chrono::Utc::now(),
            language: "en".into(),
        }
    }

    #[test]
    fn an_answers_marks_are_faces_and_its_links_are_collected_once_each() {
        let m = model(vec![
            Block::Section("1. Data".into()),
            Block::Question("What?".into()),
            Block::Answer(
                "Plain **bold** and *italic*, `code`, [wiki](https://e.org/w) and https://e.org/x"
                    .into(),
            ),
            Block::Answer("- an item with ***both***".into()),
        ]);
        let paths = FontPaths::none();
        let l = layout(&m, Deadline::none(), &paths).unwrap();
        let frags: Vec<&Seg> = l.pages.iter().flatten().flat_map(|p| &p.frags).collect();
        let find = |t: &str| {
            *frags
                .iter()
                .find(|s| s.text.contains(t))
                .unwrap_or_else(|| panic!("no {t:?} in {frags:?}"))
        };
        assert_eq!(find("Plain").style, Style::Regular);
        assert_eq!(find("bold").style, Style::Bold);
        assert_eq!(find("italic").style, Style::Italic);
        assert_eq!(find("code").style, Style::Regular);
        assert_eq!(find("both").style, Style::Bold);
        assert_eq!(l.links, ["https://e.org/w", "https://e.org/x"]);
        assert_eq!(find("wiki").link, Some(0));
        assert_eq!(find("e.org/w").link, Some(0));
        assert_eq!(find("e.org/x").link, Some(1));
        assert_eq!(find("•").link, None);
    }
}

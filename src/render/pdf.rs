//! The PDF: A4 pages laid out here (wrapping, page breaks that keep a question with the
//! start of its answer, "Page X of Y"), written by krilla with subsetted embedded fonts,
//! an outline of the sections, and document metadata. Text is ordered and shaped by
//! [`super::text`]; right-to-left paragraphs are set flush right.
//!
//! The file is tagged (PDF/UA-1: headings H1-H4 with their titles (H4: a template's
//! sub-heading inside a subsection), paragraphs, page numbers
//! and rules as artifacts) and PDF/A-2u, both checked by krilla's validators; the title is
//! shown as the window title and the plan's language is the document's `/Lang`.

use chrono::{Datelike, Timelike};
use std::collections::BTreeSet;
use std::num::NonZeroU16;

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
    Artifact, ArtifactType, ContentTag, Identifier, SpanTag, Tag, TagGroup, TagTree,
};
use krilla::{Document, SerializeSettings};

use super::model::{Block, DocModel, NOT_ANSWERED, Table};
use super::text::{FontPaths, Style, Typesetter, is_rtl};
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

/// One line of text placed on a page.
struct Placed {
    x: f32,
    baseline: f32,
    text: String,
    look: Look,
    /// The paragraph reads right to left.
    rtl: bool,
    /// Set flush right (`x` is then the right edge).
    right: bool,
    /// The structure element the line belongs to (an index into `Layout::groups`).
    group: usize,
}

struct Heading {
    text: String,
    page: usize,
    y: f32,
    level: u8,
}

/// A structure element of the tag tree: a heading (level, title) or a paragraph.
enum Group {
    Heading(u16, String),
    Paragraph,
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

    fn lines(&mut self, text: &str, look: Look, first: f32, rest: f32) -> Vec<String> {
        self.ts
            .wrap(text, look.style, look.size, first - SLACK, rest - SLACK)
    }

    /// Places a paragraph, breaking pages between lines. `keep` is extra height that must
    /// fit below the paragraph's first lines on the same page (what must not be orphaned).
    fn paragraph(&mut self, text: &str, look: Look, keep: f32, group: Group) {
        let lines = self.lines(text, look, WIDTH, WIDTH);
        let rtl = is_rtl(text);
        let group = {
            self.groups.push(group);
            self.groups.len() - 1
        };
        let lh = Self::line_height(look);
        let on_top = self.y <= MARGIN_TOP + 0.5;
        let head = lh * lines.len().min(2) as f32;
        if !on_top && self.y + look.before + head + keep > BOTTOM {
            self.new_page();
        } else if !on_top {
            self.y += look.before;
        }
        for line in lines {
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
                    text: line,
                    group,
                });
            }
            self.y += lh;
        }
    }

    /// A table with its caption: a header row (repeated at the top of each page the table
    /// runs onto), rows that are never split across pages, thin rules between rows.
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
        self.y += 2.0;
        self.hairlines.push((self.page(), self.y));
        self.row(&t.header, &head, &widths, CELL_HEAD, head_h);
        for cells in &t.rows {
            let lines = lines_of(self, cells, CELL);
            let h = height(&lines, CELL);
            if self.y + h > BOTTOM {
                self.new_page();
                self.hairlines.push((self.page(), self.y));
                self.row(&t.header, &head, &widths, CELL_HEAD, head_h);
            }
            self.row(cells, &lines, &widths, CELL, h);
        }
    }

    /// One table row of wrapped cells at the current height, then a thin rule below it.
    fn row(&mut self, cells: &[String], lines: &[Vec<String>], widths: &[f32], look: Look, h: f32) {
        let lh = Self::line_height(look);
        let mut x = MARGIN_X;
        for ((cell, cell_lines), w) in cells.iter().zip(lines).zip(widths) {
            self.groups.push(Group::Paragraph);
            let group = self.groups.len() - 1;
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
                    text: line.clone(),
                    look,
                    rtl,
                    right: rtl,
                    group,
                });
                y += lh;
            }
            x += w;
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
        self.hanging(&format!("{label}: "), label_look, value, INFO);
    }

    /// A lead (a label, a list marker) with the text after it wrapping under itself, not
    /// under the lead.
    fn hanging(&mut self, lead: &str, lead_look: Look, value: &str, look: Look) {
        let lw = self.ts.width(lead, lead_look.style) * lead_look.size;
        let lines = self.lines(value, look, WIDTH - lw, WIDTH - lw);
        let rtl = is_rtl(value);
        self.groups.push(Group::Paragraph);
        let group = self.groups.len() - 1;
        let lh = Self::line_height(look);
        let head = lh * lines.len().min(2) as f32;
        if self.y > MARGIN_TOP + 0.5 && self.y + look.before + head > BOTTOM {
            self.new_page();
        } else if self.y > MARGIN_TOP + 0.5 {
            self.y += look.before;
        }
        for (i, line) in lines.into_iter().enumerate() {
            if self.y + lh > BOTTOM {
                self.new_page();
            }
            let baseline = self.y + look.size;
            let page = self.pages.len() - 1;
            if i == 0 {
                self.pages[page].push(Placed {
                    x: MARGIN_X,
                    baseline,
                    text: lead.to_owned(),
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
                text: line,
                group,
            });
            self.y += lh;
        }
    }

    /// One answer block: a paragraph, or a list item with its marker hanging before it
    /// (an item in a right-to-left script is set as a paragraph, flush right).
    fn answer(&mut self, source: &str) {
        use super::markdown::{Piece, piece, plain_piece, runs_text};
        match piece(source) {
            Piece::Item {
                ordered,
                number,
                runs,
            } if !is_rtl(&runs_text(&runs)) => {
                let marker = if ordered {
                    format!("{number}.  ")
                } else {
                    "•  ".to_owned()
                };
                self.hanging(&marker, ANSWER, &runs_text(&runs), ANSWER);
            }
            _ => self.paragraph(&plain_piece(source), ANSWER, 0.0, Group::Paragraph),
        }
    }
}

fn look_of(b: &Block) -> (std::borrow::Cow<'_, str>, Look) {
    use std::borrow::Cow;
    match b {
        Block::Section(t) => (Cow::Borrowed(t.as_str()), SECTION),
        Block::Subsection(t) => (Cow::Borrowed(t.as_str()), SUBSECTION),
        Block::Group(t) => (Cow::Borrowed(t.as_str()), GROUP),
        Block::Question(t) => (Cow::Borrowed(t.as_str()), QUESTION),
        // Answers print as plain text (marks removed, "• " before an item, a link's
        // address after its text).
        Block::Answer(t) => (Cow::Owned(super::markdown::plain_piece(t)), ANSWER),
        Block::NotAnswered => (Cow::Borrowed(NOT_ANSWERED), MISSING),
    }
}

/// What must follow block `i` on its page: the chain of headings and questions after it,
/// up to and including the first two lines of the answer.
fn keep_after(l: &mut Layout<'_>, blocks: &[Block], i: usize) -> f32 {
    let mut need = 0.0;
    for b in &blocks[i + 1..] {
        let (text, look) = look_of(b);
        let lines = l.lines(&text, look, WIDTH, WIDTH).len();
        let heading = !matches!(b, Block::Answer(_) | Block::NotAnswered);
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

    for (i, block) in model.blocks.iter().enumerate() {
        l.deadline.check()?;
        match block {
            Block::Section(t) | Block::Subsection(t) => {
                let (look, level) = if matches!(block, Block::Section(_)) {
                    (SECTION, 1)
                } else {
                    (SUBSECTION, 2)
                };
                let keep = keep_after(&mut l, &model.blocks, i);
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
                let keep = keep_after(&mut l, &model.blocks, i);
                l.paragraph(t, GROUP, keep, Group::Heading(4, t.clone()))
            }
            Block::Question(t) => {
                let keep = keep_after(&mut l, &model.blocks, i);
                l.paragraph(t, QUESTION, keep, Group::Paragraph)
            }
            Block::Answer(t) => l.answer(t),
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
    let mut ids: Vec<Vec<Identifier>> = l.groups.iter().map(|_| Vec::new()).collect();
    for (index, lines) in l.pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| RenderError::Pdf("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for (_, y) in l.rules.iter().filter(|(p, _)| *p == index) {
            let mut pb = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(MARGIN_X, *y, WIDTH, 0.8) {
                pb.push_rect(rect);
            }
            if let Some(path) = pb.finish() {
                surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                    ArtifactType::Other,
                )));
                surface.set_fill(Some(fill((0x1f, 0x3a, 0x5f))));
                surface.draw_path(&path);
                surface.end_tagged();
            }
        }
        for (_, y) in l.hairlines.iter().filter(|(p, _)| *p == index) {
            let mut pb = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(MARGIN_X, *y, WIDTH, 0.4) {
                pb.push_rect(rect);
            }
            if let Some(path) = pb.finish() {
                surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                    ArtifactType::Other,
                )));
                surface.set_fill(Some(fill((0xc8, 0xce, 0xd8))));
                surface.draw_path(&path);
                surface.end_tagged();
            }
        }
        for placed in lines {
            deadline.check()?;
            // No ActualText: poppler drops text marked with it on right-to-left lines; each
            // glyph's own text (ToUnicode) is already the logical text of its cluster.
            let id = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
            draw(&mut surface, &mut l.ts, placed);
            surface.end_tagged();
            if let Some(group) = ids.get_mut(placed.group) {
                group.push(id);
            }
        }
        let text = format!("Page {} of {total}", index + 1);
        let size = 9.0;
        let footer = Placed {
            x: (PAGE_W - l.ts.width(&text, Style::Regular) * size) / 2.0,
            baseline: PAGE_H - 40.0,
            text,
            look: Look {
                style: Style::Regular,
                size,
                color: (0x77, 0x77, 0x77),
                before: 0.0,
                leading: 1.0,
            },
            rtl: false,
            right: false,
            group: usize::MAX,
        };
        surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
            ArtifactType::PageNumber,
        )));
        draw(&mut surface, &mut l.ts, &footer);
        surface.end_tagged();
        surface.finish();
        page.finish();
    }

    let mut tree = TagTree::new().with_lang(Some(model.language.clone()));
    for (group, children) in l.groups.iter().zip(ids) {
        if children.is_empty() {
            continue;
        }
        let mut g = match group {
            Group::Heading(level, title) => TagGroup::new(Tag::Hn(
                NonZeroU16::new(*level).unwrap_or(NonZeroU16::MIN),
                Some(title.clone()),
            )),
            Group::Paragraph => TagGroup::new(Tag::P),
        };
        for id in children {
            g.push(id);
        }
        tree.push(g);
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

/// Draws one placed line: shaped and ordered, flush right when asked.
fn draw(surface: &mut krilla::surface::Surface<'_>, ts: &mut Typesetter<'_>, placed: &Placed) {
    let size = placed.look.size;
    surface.set_fill(Some(fill(placed.look.color)));
    let line = ts.line(&placed.text, placed.look.style, placed.rtl);
    let mut x = if placed.right {
        placed.x - line.width * size
    } else {
        placed.x
    };
    for run in &line.runs {
        surface.draw_glyphs(
            Point::from_xy(x, placed.baseline),
            &run.glyphs,
            run.face.font.clone(),
            &run.text,
            size,
            false,
        );
        x += run.width * size;
    }
}

//! The PDF: A4 pages laid out here (wrapping, page breaks that keep a question with the
//! start of its answer, "Page X of Y"), written by krilla with subsetted embedded fonts,
//! an outline of the sections, and document metadata.

use chrono::{Datelike, Timelike};
use krilla::Document;
use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};

use super::model::{Block, DocModel, NOT_ANSWERED};
use super::text::{Fonts, Style, fonts};
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

const TITLE: Look = Look {
    style: Style::Bold,
    size: 22.0,
    color: (0x1f, 0x3a, 0x5f),
    before: 0.0,
    leading: 1.2,
};
const SUBTITLE: Look = Look {
    style: Style::Regular,
    size: 13.0,
    color: (0x55, 0x5f, 0x6d),
    before: 4.0,
    leading: 1.3,
};
const INFO: Look = Look {
    style: Style::Regular,
    size: 10.0,
    color: (0x22, 0x22, 0x22),
    before: 2.0,
    leading: 1.35,
};
const SECTION: Look = Look {
    style: Style::Bold,
    size: 15.0,
    color: (0x1f, 0x3a, 0x5f),
    before: 20.0,
    leading: 1.25,
};
const SUBSECTION: Look = Look {
    style: Style::Bold,
    size: 12.5,
    color: (0x1f, 0x3a, 0x5f),
    before: 14.0,
    leading: 1.25,
};
/// A template's sub-heading inside a section ("Repository:").
const GROUP: Look = Look {
    style: Style::Bold,
    size: 11.0,
    color: (0x1f, 0x3a, 0x5f),
    before: 12.0,
    leading: 1.25,
};
const QUESTION: Look = Look {
    style: Style::Bold,
    size: 10.5,
    color: (0x11, 0x11, 0x11),
    before: 10.0,
    leading: 1.35,
};
const ANSWER: Look = Look {
    style: Style::Regular,
    size: 10.5,
    color: (0x11, 0x11, 0x11),
    before: 4.0,
    leading: 1.4,
};
const MISSING: Look = Look {
    style: Style::Italic,
    size: 10.5,
    color: (0x8a, 0x8a, 0x8a),
    before: 4.0,
    leading: 1.4,
};

/// One line of text placed on a page.
struct Placed {
    x: f32,
    baseline: f32,
    text: String,
    look: Look,
}

struct Heading {
    text: String,
    page: usize,
    y: f32,
    level: u8,
}

struct Layout {
    fonts: &'static Fonts,
    deadline: Deadline,
    pages: Vec<Vec<Placed>>,
    rules: Vec<(usize, f32)>,
    headings: Vec<Heading>,
    y: f32,
}

impl Layout {
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

    fn lines(&self, text: &str, look: Look, first: f32, rest: f32) -> Vec<String> {
        self.fonts
            .wrap(text, look.style, look.size, first - SLACK, rest - SLACK)
    }

    /// Places a paragraph, breaking pages between lines. `keep` is extra height that must
    /// fit below the paragraph's first lines on the same page (what must not be orphaned).
    fn paragraph(&mut self, text: &str, look: Look, keep: f32) {
        let lines = self.lines(text, look, WIDTH, WIDTH);
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
                    x: MARGIN_X,
                    baseline,
                    text: line,
                    look,
                });
            }
            self.y += lh;
        }
    }

    /// A "Label: value" line of the title block, the value wrapping under itself.
    fn info(&mut self, label: &str, value: &str) {
        let label = format!("{label}: ");
        let lw = self.fonts.width(&label, Style::Bold) * INFO.size;
        let lines = self.lines(value, INFO, WIDTH - lw, WIDTH - lw);
        let lh = Self::line_height(INFO);
        self.y += INFO.before;
        for (i, line) in lines.into_iter().enumerate() {
            if self.y + lh > BOTTOM {
                self.new_page();
            }
            let baseline = self.y + INFO.size;
            let page = self.pages.len() - 1;
            if i == 0 {
                self.pages[page].push(Placed {
                    x: MARGIN_X,
                    baseline,
                    text: label.clone(),
                    look: Look {
                        style: Style::Bold,
                        ..INFO
                    },
                });
            }
            self.pages[page].push(Placed {
                x: MARGIN_X + lw,
                baseline,
                text: line,
                look: INFO,
            });
            self.y += lh;
        }
    }
}

fn layout(model: &DocModel, deadline: Deadline) -> Result<Layout, RenderError> {
    let mut l = Layout {
        fonts: fonts()?,
        deadline,
        pages: vec![Vec::new()],
        rules: Vec::new(),
        headings: Vec::new(),
        y: MARGIN_TOP,
    };
    l.paragraph(&model.title, TITLE, 0.0);
    l.paragraph(&model.subtitle, SUBTITLE, 0.0);
    l.y += 10.0;
    for (k, v) in &model.info {
        l.info(k, v);
    }
    l.y += 8.0;
    l.rules.push((l.page(), l.y));
    l.y += 4.0;

    // What must follow a heading or question on its page: the chain of headings and
    // questions after it, up to and including the first two lines of the answer.
    let keep_after = |l: &Layout, i: usize| -> f32 {
        let mut need = 0.0;
        for b in &model.blocks[i + 1..] {
            let (text, look) = match b {
                Block::Section(t) => (t.as_str(), SECTION),
                Block::Subsection(t) => (t.as_str(), SUBSECTION),
                Block::Group(t) => (t.as_str(), GROUP),
                Block::Question(t) => (t.as_str(), QUESTION),
                Block::Answer(t) => (t.as_str(), ANSWER),
                Block::NotAnswered => (NOT_ANSWERED, MISSING),
            };
            let lines = l.lines(text, look, WIDTH, WIDTH).len();
            let heading = !matches!(b, Block::Answer(_) | Block::NotAnswered);
            need += look.before
                + Layout::line_height(look) * if heading { lines } else { lines.min(2) } as f32;
            if !heading {
                break;
            }
        }
        need
    };
    for (i, block) in model.blocks.iter().enumerate() {
        l.deadline.check()?;
        match block {
            Block::Section(t) | Block::Subsection(t) => {
                let (look, level) = if matches!(block, Block::Section(_)) {
                    (SECTION, 1)
                } else {
                    (SUBSECTION, 2)
                };
                let keep = keep_after(&l, i);
                l.paragraph(t, look, keep);
                let lines = l.lines(t, look, WIDTH, WIDTH).len() as f32;
                let top = l.y - lines * Layout::line_height(look);
                l.headings.push(Heading {
                    text: t.clone(),
                    page: l.page(),
                    y: top,
                    level,
                });
            }
            Block::Group(t) => {
                let keep = keep_after(&l, i);
                l.paragraph(t, GROUP, keep)
            }
            Block::Question(t) => {
                let keep = keep_after(&l, i);
                l.paragraph(t, QUESTION, keep)
            }
            Block::Answer(t) => l.paragraph(t, ANSWER, 0.0),
            Block::NotAnswered => l.paragraph(NOT_ANSWERED, MISSING, 0.0),
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

pub fn write(model: &DocModel) -> Result<Vec<u8>, RenderError> {
    write_until(model, Deadline::none())
}

/// The PDF, or [`RenderError::TimeLimit`] once `deadline` has passed.
pub fn write_until(model: &DocModel, deadline: Deadline) -> Result<Vec<u8>, RenderError> {
    let l = layout(model, deadline)?;
    let total = l.pages.len();
    let mut document = Document::new();
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
                surface.set_fill(Some(fill((0x1f, 0x3a, 0x5f))));
                surface.draw_path(&path);
            }
        }
        let footer = Placed {
            x: 0.0,
            baseline: PAGE_H - 40.0,
            text: format!("Page {} of {total}", index + 1),
            look: Look {
                style: Style::Regular,
                size: 9.0,
                color: (0x77, 0x77, 0x77),
                before: 0.0,
                leading: 1.0,
            },
        };
        let footer_x = (PAGE_W - l.fonts.width(&footer.text, Style::Regular) * 9.0) / 2.0;
        for placed in lines.iter().chain(std::iter::once(&Placed {
            x: footer_x,
            ..footer
        })) {
            deadline.check()?;
            surface.set_fill(Some(fill(placed.look.color)));
            let mut x = placed.x;
            for run in l.fonts.runs(&placed.text, placed.look.style) {
                surface.draw_glyphs(
                    Point::from_xy(x, placed.baseline),
                    &run.glyphs,
                    run.face.font.clone(),
                    &run.text,
                    placed.look.size,
                    false,
                );
                x += run.width * placed.look.size;
            }
        }
        surface.finish();
        page.finish();
    }

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
    document.set_metadata(
        Metadata::new()
            .title(model.title.clone())
            .description(model.subtitle.clone())
            .authors(vec![model.author.clone()])
            .creator("dmptool".to_owned())
            .producer(format!("dmptool {}", env!("CARGO_PKG_VERSION")))
            .creation_date(date)
            .language("en".to_owned()),
    );
    document
        .finish()
        .map_err(|e| RenderError::Pdf(format!("{e:?}")))
}

//! Fonts, bidirectional ordering, shaping and line breaking for the PDF.
//!
//! Each character is set in the first font that has it: the style's Liberation Sans, then
//! the bundled Noto fonts (Arabic, Hebrew, Devanagari, Bengali, Tamil, Thai, Georgian,
//! Armenian, Ethiopic) and DejaVu Sans, then fonts in the operator's folders (`DATA/fonts`,
//! then the system font folders), which are only read when a character needs them. A
//! character no font has is drawn as U+FFFD and reported back (see [`Typesetter::missing`]).
//!
//! A line is ordered by the Unicode bidirectional algorithm (its paragraph's base direction,
//! rules P2–P3), each directional run is cut where the font or the script changes, and each
//! piece is shaped by rustybuzz in its direction. Every glyph keeps the logical text it came
//! from, so the PDF's text layer gives the text back in reading order.
//!
//! Lines break at spaces; a word longer than a line (a URL) breaks only after `/`, `?`,
//! `&`, `-` or `.` (see [`Typesetter::wrap_segs`]).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use unicode_bidi::{BidiClass, Level, ParagraphBidiInfo, bidi_class};
use unicode_script::{Script, UnicodeScript};

use super::RenderError;

pub struct Face {
    pub font: Font,
    rb: rustybuzz::Face<'static>,
    upem: f32,
}

impl Face {
    fn from_bytes(bytes: &'static [u8], index: u32, name: &str) -> Result<Self, String> {
        let rb = rustybuzz::Face::from_slice(bytes, index)
            .ok_or_else(|| format!("{name} is not a font"))?;
        let font =
            Font::new(bytes.into(), index).ok_or_else(|| format!("{name} is not a usable font"))?;
        let upem = rb.units_per_em() as f32;
        Ok(Self { font, rb, upem })
    }

    fn load(path: &str) -> Result<Self, String> {
        let bytes = crate::assets::bytes(path).ok_or_else(|| format!("{path} is not embedded"))?;
        Self::from_bytes(bytes, 0, path)
    }

    fn has(&self, c: char) -> bool {
        c.is_whitespace() || self.rb.glyph_index(c).is_some()
    }

    /// Advance of one character in em (no kerning: used to measure, with a margin).
    fn advance(&self, c: char) -> f32 {
        let id = self
            .rb
            .glyph_index(c)
            .unwrap_or(rustybuzz::ttf_parser::GlyphId(0));
        f32::from(self.rb.glyph_hor_advance(id).unwrap_or(0)) / self.upem
    }

    /// Shapes `text` in one direction into glyphs positioned in em, in drawing order (for
    /// right-to-left text the last character's glyph comes first).
    fn shape(&self, text: &str, rtl: bool) -> Vec<KrillaGlyph> {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        buffer.set_direction(if rtl {
            rustybuzz::Direction::RightToLeft
        } else {
            rustybuzz::Direction::LeftToRight
        });
        let out = rustybuzz::shape(&self.rb, &[], buffer);
        let infos = out.glyph_infos();
        let positions = out.glyph_positions();
        // A glyph's text is its cluster: from its cluster value up to the next greater
        // cluster value of the run (in either direction). Sorted starts and a binary search
        // per glyph keep this O(n log n) however the clusters are ordered.
        let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
        starts.sort_unstable();
        starts.dedup();
        let mut glyphs = Vec::with_capacity(infos.len());
        for (info, pos) in infos.iter().zip(positions) {
            let start = info.cluster as usize;
            let next = starts.partition_point(|&s| s <= start);
            let end = starts.get(next).copied().unwrap_or(text.len());
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                pos.x_advance as f32 / self.upem,
                pos.x_offset as f32 / self.upem,
                pos.y_offset as f32 / self.upem,
                pos.y_advance as f32 / self.upem,
                start..end.max(start),
                None,
            ));
        }
        split_long_clusters(text, &mut glyphs, rtl);
        glyphs
    }

    /// One U+FFFD glyph per character of `text`, each carrying its character as its text.
    fn replacement(&self, text: &str) -> Vec<KrillaGlyph> {
        let id = self
            .rb
            .glyph_index('\u{FFFD}')
            .unwrap_or(rustybuzz::ttf_parser::GlyphId(0));
        let advance = self.advance('\u{FFFD}');
        text.char_indices()
            .map(|(i, c)| {
                KrillaGlyph::new(
                    GlyphId::new(u32::from(id.0)),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    i..i + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }
}

/// Clusters longer than this (in bytes) have their text shared out among their glyphs.
const LONG_CLUSTER: usize = 64;

/// A cluster of many glyphs and a long text (a letter with thousands of combining marks)
/// gives each glyph a share of the text instead of all of it: with PDF/A-u and PDF/UA every
/// glyph must map to text, and krilla compares each glyph's text with its earlier mapping,
/// which for one cluster's text on each of its glyphs is quadratic. Ordinary clusters (a
/// ligature, a conjunct) are far shorter and keep their whole text on every glyph.
fn split_long_clusters(text: &str, glyphs: &mut [KrillaGlyph], rtl: bool) {
    let mut i = 0;
    while i < glyphs.len() {
        let range = glyphs[i].text_range.clone();
        let mut j = i + 1;
        while j < glyphs.len() && glyphs[j].text_range == range {
            j += 1;
        }
        let count = j - i;
        if count > 1 && range.len() > LONG_CLUSTER {
            let bounds: Vec<usize> = text[range.clone()]
                .char_indices()
                .map(|(k, _)| range.start + k)
                .chain(std::iter::once(range.end))
                .collect();
            let chars = bounds.len() - 1;
            if chars >= count {
                for k in 0..count {
                    // Logical order: for right-to-left text the cluster's last glyph first.
                    let g = if rtl { j - 1 - k } else { i + k };
                    glyphs[g].text_range =
                        bounds[k * chars / count]..bounds[(k + 1) * chars / count];
                }
            }
        }
        i = j;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Regular,
    Bold,
    Italic,
}

/// The bundled fallback fonts, in the order they are tried after the style's own face.
/// DejaVu Sans comes last and also draws U+FFFD for characters nothing covers.
const FALLBACKS: [&str; 10] = [
    "fonts/NotoSansArabic-Regular.ttf",
    "fonts/NotoSansHebrew-Regular.ttf",
    "fonts/NotoSansDevanagari-Regular.ttf",
    "fonts/NotoSansBengali-Regular.ttf",
    "fonts/NotoSansTamil-Regular.ttf",
    "fonts/NotoSansThai-Regular.ttf",
    "fonts/NotoSansGeorgian-Regular.ttf",
    "fonts/NotoSansArmenian-Regular.ttf",
    "fonts/NotoSansEthiopic-Regular.ttf",
    "fonts/DejaVuSans.ttf",
];

pub struct Fonts {
    regular: Face,
    bold: Face,
    italic: Face,
    fallbacks: Vec<Face>,
}

pub fn fonts() -> Result<&'static Fonts, RenderError> {
    static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Ok(Fonts {
                regular: Face::load("fonts/LiberationSans-Regular.ttf")?,
                bold: Face::load("fonts/LiberationSans-Bold.ttf")?,
                italic: Face::load("fonts/LiberationSans-Italic.ttf")?,
                fallbacks: FALLBACKS
                    .iter()
                    .map(|p| Face::load(p))
                    .collect::<Result<_, _>>()?,
            })
        })
        .as_ref()
        .map_err(|e| RenderError::Fonts(e.clone()))
}

impl Fonts {
    fn face(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
            Style::Italic => &self.italic,
        }
    }

    /// DejaVu Sans: the last fallback, which draws the replacement character.
    fn last(&self) -> &Face {
        self.fallbacks.last().unwrap_or(&self.regular)
    }

    /// The bundled face that has `c`, if any.
    fn bundled(&self, c: char, style: Style) -> Option<&Face> {
        let own = self.face(style);
        if own.has(c) {
            return Some(own);
        }
        self.fallbacks.iter().find(|f| f.has(c))
    }
}

/// Characters that draw nothing of their own (joiners, bidi controls, variation
/// selectors): the shaper handles them in whatever font surrounds them.
fn invisible(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{200C}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Whether `text` holds anything that makes bidi ordering necessary.
fn needs_bidi(text: &str) -> bool {
    text.chars().any(|c| {
        c >= '\u{590}'
            && matches!(
                bidi_class(c),
                BidiClass::R
                    | BidiClass::AL
                    | BidiClass::AN
                    | BidiClass::RLE
                    | BidiClass::RLO
                    | BidiClass::RLI
                    | BidiClass::LRE
                    | BidiClass::LRO
                    | BidiClass::LRI
                    | BidiClass::FSI
            )
    })
}

/// Whether a paragraph reads right to left: its first strong character is right-to-left
/// (rules P2–P3 of the bidirectional algorithm; no strong character means left to right).
pub fn is_rtl(text: &str) -> bool {
    needs_bidi(text) && unicode_bidi::get_base_direction(text) == unicode_bidi::Direction::Rtl
}

/// The logical pieces of `text` at right-to-left levels (true) and the others, in order.
pub fn directional_runs(text: &str, rtl_base: bool) -> Vec<(&str, bool)> {
    if !needs_bidi(text) {
        return vec![(text, false)];
    }
    let base = if rtl_base { Level::rtl() } else { Level::ltr() };
    let info = ParagraphBidiInfo::new(text, Some(base));
    let mut out: Vec<(&str, bool)> = Vec::new();
    let mut start = 0;
    let mut current: Option<bool> = None;
    for (i, _) in text.char_indices() {
        let rtl = info.levels[i].is_rtl();
        if current.is_some_and(|c| c != rtl) {
            out.push((&text[start..i], current.unwrap_or(false)));
            start = i;
        }
        current = Some(rtl);
    }
    out.push((&text[start..], current.unwrap_or(false)));
    out
}

/// A piece of a line set in one face and one direction.
pub struct Run {
    pub face: &'static Face,
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// Width in em.
    pub width: f32,
}

/// A line ready to draw: its runs in visual order (left to right on the page).
pub struct Line {
    pub runs: Vec<Run>,
    /// Width in em.
    pub width: f32,
}

/// The folders searched, in order, for a character no bundled font has.
#[derive(Debug, Clone, Default)]
pub struct FontPaths {
    pub dirs: Vec<PathBuf>,
}

impl FontPaths {
    /// Only the bundled fonts.
    pub fn none() -> Self {
        Self::default()
    }

    /// `DATA/fonts`, then `system` (see [`system_font_dirs`]).
    pub fn new(data_dir: &Path, system: &[PathBuf]) -> Self {
        let mut dirs = vec![data_dir.join("fonts")];
        dirs.extend(system.iter().cloned());
        Self { dirs }
    }
}

/// The usual system font folders: /usr/share/fonts, /usr/local/share/fonts, ~/.fonts and
/// ~/.local/share/fonts.
pub fn system_font_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/usr/share/fonts"),
        PathBuf::from("/usr/local/share/fonts"),
    ];
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        dirs.push(home.join(".fonts"));
        dirs.push(home.join(".local/share/fonts"));
    }
    dirs
}

/// Sets text for one document: picks faces (reading the operator's font folders only when
/// a character needs them), remembers the characters no font has.
pub struct Typesetter<'a> {
    fonts: &'static Fonts,
    paths: &'a FontPaths,
    /// Characters resolved beyond the bundled fonts (`None`: nothing has them).
    extra: HashMap<char, Option<&'static Face>>,
    missing: BTreeSet<char>,
}

impl<'a> Typesetter<'a> {
    pub fn new(paths: &'a FontPaths) -> Result<Self, RenderError> {
        Ok(Self {
            fonts: fonts()?,
            paths,
            extra: HashMap::new(),
            missing: BTreeSet::new(),
        })
    }

    /// The characters drawn as U+FFFD because no font has them.
    pub fn missing(&self) -> &BTreeSet<char> {
        &self.missing
    }

    /// The face that draws `c`, and whether it only draws a replacement for it.
    fn face_for(&mut self, c: char, style: Style) -> (&'static Face, bool) {
        let fonts = self.fonts;
        if let Some(f) = fonts.bundled(c, style) {
            return (f, false);
        }
        if invisible(c) || c.is_control() {
            return (fonts.face(style), false);
        }
        let paths = self.paths;
        let found = *self
            .extra
            .entry(c)
            .or_insert_with(|| registry::find(paths, c));
        match found {
            Some(f) => (f, false),
            None => {
                self.missing.insert(c);
                (fonts.last(), true)
            }
        }
    }

    fn advance(&mut self, c: char, style: Style) -> f32 {
        match self.face_for(c, style) {
            (f, false) => f.advance(c),
            (f, true) => f.advance('\u{FFFD}'),
        }
    }

    /// Width of `text` in em.
    pub fn width(&mut self, text: &str, style: Style) -> f32 {
        text.chars().map(|c| self.advance(c, style)).sum()
    }

    /// `text` (one directional run, logical order) cut where the face or the script
    /// changes, each piece shaped; in logical order. Spaces, punctuation and marks stay in
    /// the piece before them when its face has them.
    fn pieces(&mut self, text: &str, style: Style, rtl: bool) -> Vec<Run> {
        let mut cuts: Vec<(&'static Face, bool, Script, usize)> = Vec::new();
        for (i, c) in text.char_indices() {
            let script = c.script();
            let shared = matches!(script, Script::Common | Script::Inherited);
            if let Some(&(face, false, cur, _)) = cuts.last()
                && (shared || script == cur)
                && (face.has(c) || invisible(c))
            {
                continue;
            }
            let (face, missing) = self.face_for(c, style);
            if let Some(last) = cuts.last_mut() {
                if std::ptr::eq(last.0, face) && last.1 == missing && (shared || missing) {
                    continue;
                }
                if std::ptr::eq(last.0, face)
                    && last.1 == missing
                    && matches!(last.2, Script::Common | Script::Inherited)
                {
                    last.2 = script;
                    continue;
                }
            }
            cuts.push((face, missing, script, i));
        }
        let mut runs = Vec::with_capacity(cuts.len());
        for (k, &(face, missing, _, start)) in cuts.iter().enumerate() {
            let end = cuts.get(k + 1).map_or(text.len(), |c| c.3);
            let piece = &text[start..end];
            let glyphs = if missing {
                face.replacement(piece)
            } else {
                face.shape(piece, rtl)
            };
            let width = glyphs.iter().map(|g| g.x_advance).sum();
            runs.push(Run {
                face,
                text: piece.to_owned(),
                glyphs,
                width,
            });
        }
        runs
    }

    /// One line of a paragraph whose base direction is `rtl_base`, ordered for drawing.
    pub fn line(&mut self, text: &str, style: Style, rtl_base: bool) -> Line {
        let mut runs = Vec::new();
        if !rtl_base && !needs_bidi(text) {
            runs = self.pieces(text, style, false);
        } else if !text.is_empty() {
            let base = if rtl_base { Level::rtl() } else { Level::ltr() };
            let info = ParagraphBidiInfo::new(text, Some(base));
            let (levels, visual) = info.visual_runs(0..text.len());
            for range in visual {
                let rtl = levels.get(range.start).is_some_and(|l| l.is_rtl());
                let mut pieces = self.pieces(&text[range], style, rtl);
                if rtl {
                    pieces.reverse();
                }
                runs.extend(pieces);
            }
        }
        let width = runs.iter().map(|r| r.width).sum();
        Line { runs, width }
    }

    /// Breaks a paragraph into lines no wider than `first` points (the first line) and
    /// `rest` points (the others) at `size`. A word longer than a line (a URL) breaks
    /// after `/`, `?`, `&`, `-` or `.` (see [`Typesetter::wrap_segs`]).
    pub fn wrap(
        &mut self,
        text: &str,
        style: Style,
        size: f32,
        first: f32,
        rest: f32,
    ) -> Vec<String> {
        let seg = [Seg {
            text: text.to_owned(),
            style,
            link: None,
        }];
        self.wrap_segs(&seg, size, first, rest)
            .into_iter()
            .map(|line| line.into_iter().map(|s| s.text).collect())
            .collect()
    }

    /// Breaks a paragraph of styled pieces into lines no wider than `first` points (the
    /// first line) and `rest` points (the others) at `size`, each line its pieces. Lines
    /// break at spaces and at `\n`. A word longer than a whole line (a URL) fills what is
    /// left of the line and goes on on the next ones, each line of it ending after `/`,
    /// `?`, `&`, `-` or `.` (never right after the `//` of a scheme); only a stretch with no
    /// such character that is longer than a line is cut where it fills the line.
    pub fn wrap_segs(&mut self, segs: &[Seg], size: f32, first: f32, rest: f32) -> Vec<Vec<Seg>> {
        let mut chars: Vec<(char, usize)> = Vec::new();
        for (k, s) in segs.iter().enumerate() {
            chars.extend(s.text.chars().map(|c| (c, k)));
        }
        // pre[i]: the width of chars[..i].
        let mut pre = Vec::with_capacity(chars.len() + 1);
        let mut acc = 0.0f32;
        pre.push(acc);
        for &(c, k) in &chars {
            if c != '\n' {
                acc += self.advance(c, segs[k].style) * size;
            }
            pre.push(acc);
        }
        let width = |a: usize, b: usize| pre[b] - pre[a];
        let limit = |n: usize| if n == 0 { first } else { rest };
        // The last break point after `s` and before `e` with chars[from..b] within `lim`.
        let break_point = |from: usize, s: usize, e: usize, lim: f32| {
            let mut best = None;
            let mut b = s + 1;
            while b < e && pre[b] - pre[from] <= lim {
                let c = chars[b - 1].0;
                let scheme = c == '/' && (chars[b].0 == '/' || (b >= 2 && chars[b - 2].0 == '/'));
                if breaks_after(c) && !scheme {
                    best = Some(b);
                }
                b += 1;
            }
            best
        };
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        let mut hs = 0;
        loop {
            let he = chars[hs..]
                .iter()
                .position(|&(c, _)| c == '\n')
                .map_or(chars.len(), |p| hs + p);
            let mut cur: Option<(usize, usize)> = None;
            let mut i = hs;
            while i < he {
                if chars[i].0 == ' ' {
                    i += 1;
                    continue;
                }
                let ws = i;
                while i < he && chars[i].0 != ' ' {
                    i += 1;
                }
                let we = i;
                if let Some((cs, _)) = cur
                    && width(cs, we) <= limit(ranges.len())
                {
                    cur = Some((cs, we));
                    continue;
                }
                let next = ranges.len() + usize::from(cur.is_some());
                if width(ws, we) <= limit(next) {
                    ranges.extend(cur.take());
                    cur = Some((ws, we));
                    continue;
                }
                // Longer than a line: fill what is left of this one up to a break point.
                let mut s = ws;
                if let Some((cs, ce)) = cur.take() {
                    match break_point(cs, ws, we, limit(ranges.len())) {
                        Some(b) => {
                            ranges.push((cs, b));
                            s = b;
                        }
                        None => ranges.push((cs, ce)),
                    }
                }
                while width(s, we) > limit(ranges.len()) {
                    let lim = limit(ranges.len());
                    let b = break_point(s, s, we, lim).unwrap_or_else(|| {
                        // No break point fits: cut where the line is full (one character
                        // at least).
                        let mut b = s + 1;
                        while b < we && pre[b + 1] - pre[s] <= lim {
                            b += 1;
                        }
                        b
                    });
                    ranges.push((s, b));
                    s = b;
                }
                cur = Some((s, we));
            }
            ranges.push(cur.unwrap_or((hs, hs)));
            if he >= chars.len() {
                break;
            }
            hs = he + 1;
        }
        ranges
            .into_iter()
            .map(|(a, b)| {
                let mut line: Vec<Seg> = Vec::new();
                for &(c, k) in &chars[a..b] {
                    match line.last_mut() {
                        Some(last) if last.style == segs[k].style && last.link == segs[k].link => {
                            last.text.push(c)
                        }
                        _ => line.push(Seg {
                            text: c.to_string(),
                            style: segs[k].style,
                            link: segs[k].link,
                        }),
                    }
                }
                line
            })
            .collect()
    }
}

/// Where a word too long for a line (a URL) may break: after these characters.
fn breaks_after(c: char) -> bool {
    matches!(c, '/' | '?' | '&' | '-' | '.')
}

/// A piece of a paragraph in one style; `link` is the index of the address it links to.
#[derive(Debug, Clone, PartialEq)]
pub struct Seg {
    pub text: String,
    pub style: Style,
    pub link: Option<usize>,
}

/// The fonts found in the operator's folders: each folder indexed once (each font's
/// character coverage; rebuilt when the folder's modification time changes), a font read
/// into memory only when a character needs it, and then kept for the life of the process.
mod registry {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;
    use std::time::SystemTime;

    use super::Face;

    /// Fonts larger than this are skipped (a CJK collection is about 20–30 MB).
    const MAX_FONT_BYTES: u64 = 64 << 20;
    const MAX_FILES: usize = 10_000;
    const MAX_DEPTH: usize = 6;

    struct Indexed {
        path: PathBuf,
        index: u32,
        /// Sorted, disjoint ranges of the code points the font maps.
        ranges: Vec<(u32, u32)>,
    }

    impl Indexed {
        fn covers(&self, c: char) -> bool {
            let c = c as u32;
            let i = self.ranges.partition_point(|&(_, end)| end < c);
            self.ranges.get(i).is_some_and(|&(start, _)| start <= c)
        }
    }

    struct DirIndex {
        stamp: Option<SystemTime>,
        fonts: Vec<Indexed>,
    }

    #[derive(Default)]
    struct Registry {
        dirs: HashMap<PathBuf, DirIndex>,
        loaded: HashMap<(PathBuf, u32), Option<&'static Face>>,
    }

    fn registry() -> &'static Mutex<Registry> {
        static REGISTRY: std::sync::OnceLock<Mutex<Registry>> = std::sync::OnceLock::new();
        REGISTRY.get_or_init(|| Mutex::new(Registry::default()))
    }

    /// The first font of the folders, in order, that has `c`.
    pub(super) fn find(paths: &super::FontPaths, c: char) -> Option<&'static Face> {
        let mut reg = registry()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let reg = &mut *reg;
        for dir in &paths.dirs {
            let stamp = std::fs::metadata(dir).and_then(|m| m.modified()).ok();
            let fresh = reg.dirs.get(dir).is_some_and(|d| d.stamp == stamp);
            if !fresh {
                let fonts = if stamp.is_some() {
                    index(dir)
                } else {
                    Vec::new()
                };
                reg.dirs.insert(dir.clone(), DirIndex { stamp, fonts });
            }
            let Some(d) = reg.dirs.get(dir) else { continue };
            for f in d.fonts.iter().filter(|f| f.covers(c)) {
                let face = *reg
                    .loaded
                    .entry((f.path.clone(), f.index))
                    .or_insert_with(|| load(&f.path, f.index));
                if let Some(face) = face.filter(|face| face.has(c)) {
                    return Some(face);
                }
            }
        }
        None
    }

    fn load(path: &Path, index: u32) -> Option<&'static Face> {
        let bytes = std::fs::read(path).ok()?;
        // Kept for the life of the process, like the bundled fonts (loaded once per file).
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        match Face::from_bytes(bytes, index, &path.display().to_string()) {
            Ok(face) => Some(Box::leak(Box::new(face))),
            Err(e) => {
                tracing::warn!(font = %path.display(), error = %e, "a font file could not be used");
                None
            }
        }
    }

    fn index(dir: &Path) -> Vec<Indexed> {
        let mut files = Vec::new();
        walk(dir, 0, &mut files);
        files.sort();
        let mut out = Vec::new();
        for path in files {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let count = rustybuzz::ttf_parser::fonts_in_collection(&bytes).unwrap_or(1);
            for index in 0..count.min(64) {
                let Ok(face) = rustybuzz::ttf_parser::Face::parse(&bytes, index) else {
                    continue;
                };
                let mut points = Vec::new();
                if let Some(cmap) = face.tables().cmap {
                    for sub in cmap.subtables.into_iter().filter(|s| s.is_unicode()) {
                        sub.codepoints(|c| points.push(c));
                    }
                }
                points.sort_unstable();
                points.dedup();
                let mut ranges: Vec<(u32, u32)> = Vec::new();
                for p in points {
                    match ranges.last_mut() {
                        Some((_, end)) if *end + 1 == p => *end = p,
                        _ => ranges.push((p, p)),
                    }
                }
                if !ranges.is_empty() {
                    out.push(Indexed {
                        path: path.clone(),
                        index,
                        ranges,
                    });
                }
            }
        }
        out
    }

    fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) {
        if depth > MAX_DEPTH || files.len() >= MAX_FILES {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                walk(&path, depth + 1, files);
            } else if meta.len() <= MAX_FONT_BYTES
                && path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["ttf", "otf", "ttc", "otc"]
                        .iter()
                        .any(|x| e.eq_ignore_ascii_case(x))
                })
                && files.len() < MAX_FILES
            {
                files.push(path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(paths: &FontPaths) -> Typesetter<'_> {
        Typesetter::new(paths).unwrap()
    }

    #[test]
    fn wraps_within_the_width_and_cuts_long_tokens() {
        let paths = FontPaths::none();
        let mut f = ts(&paths);
        let text = "The quick brown fox jumps over the lazy dog. ".repeat(10);
        let lines = f.wrap(&text, Style::Regular, 10.0, 200.0, 200.0);
        assert!(lines.len() > 3);
        for l in &lines {
            assert!(f.width(l, Style::Regular) * 10.0 <= 200.0, "{l}");
        }
        let url = format!("https://example.org/{}", "a".repeat(300));
        let lines = f.wrap(&url, Style::Regular, 10.0, 200.0, 200.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), url);
    }

    /// A 200-character address with every kind of break point.
    fn long_url() -> String {
        let base = "https://data.example-repository.org/records/2024/photometry-calibration/series?station=villaverde-del-ducado&instrument=tess-w&from=2024-01-01&format=netcdf.v4";
        let mut url = format!("{base}{}", "&p=1".repeat(20));
        url.truncate(200);
        url
    }

    #[test]
    fn a_long_url_breaks_only_after_slash_query_ampersand_dash_or_dot() {
        let paths = FontPaths::none();
        let mut f = ts(&paths);
        let url = long_url();
        assert_eq!(url.len(), 200);
        for (first, rest) in [
            (150.0, 150.0),
            (60.0, 220.0),
            (300.0, 300.0),
            (400.0, 120.0),
        ] {
            let lines = f.wrap(&format!("See {url}"), Style::Regular, 10.0, first, rest);
            assert!(lines.len() > 1, "{lines:?}");
            let joined = lines.concat();
            assert_eq!(joined.trim_start_matches("See").trim_start(), url);
            // Every line of the address but its last ends after a break character, never
            // right after the scheme's `//`.
            for l in &lines[..lines.len() - 1] {
                if l != "See" {
                    assert!(l.ends_with(['/', '?', '&', '-', '.']), "{l:?} in {lines:?}");
                    assert!(!l.ends_with("//"), "{lines:?}");
                }
            }
            for (i, l) in lines.iter().enumerate() {
                let lim = if i == 0 { first } else { rest };
                assert!(
                    f.width(l, Style::Regular) * 10.0 <= lim,
                    "{l:?} is too wide"
                );
            }
        }
    }

    #[test]
    fn styled_pieces_keep_their_style_and_link_across_lines() {
        let paths = FontPaths::none();
        let mut f = ts(&paths);
        let segs = [
            Seg {
                text: "Plain words then ".into(),
                style: Style::Regular,
                link: None,
            },
            Seg {
                text: "some bold words".into(),
                style: Style::Bold,
                link: None,
            },
            Seg {
                text: long_url(),
                style: Style::Italic,
                link: Some(0),
            },
        ];
        let lines = f.wrap_segs(&segs, 10.0, 120.0, 120.0);
        assert!(lines.len() > 3, "{lines:?}");
        let all: Vec<&Seg> = lines.iter().flatten().collect();
        assert!(
            all.iter()
                .any(|s| s.style == Style::Bold && s.text.contains("bold"))
        );
        for s in &all {
            if s.text.contains("example") || s.text.contains("station") {
                assert_eq!((s.style, s.link), (Style::Italic, Some(0)), "{s:?}");
            }
            if s.text.contains("Plain") {
                assert_eq!((s.style, s.link), (Style::Regular, None));
            }
        }
        let text: String = all.iter().map(|s| s.text.as_str()).collect();
        assert!(text.contains("bold words"), "{text}");
    }

    #[test]
    fn missing_glyphs_fall_back_to_dejavu() {
        let paths = FontPaths::none();
        let mut f = ts(&paths);
        let line = f.line("Łódź ✓ ★ ok", Style::Regular, false);
        assert!(line.runs.len() >= 2, "{}", line.runs.len());
        assert_eq!(
            line.runs
                .iter()
                .map(|r| r.text.as_str())
                .collect::<String>(),
            "Łódź ✓ ★ ok"
        );
        assert!(f.missing().is_empty());
    }

    #[test]
    fn hebrew_and_arabic_runs_are_shaped_right_to_left_in_visual_order() {
        let paths = FontPaths::none();
        let mut f = ts(&paths);
        // A left-to-right paragraph holding a Hebrew phrase: the Hebrew run is drawn
        // after "Shalom " with its last word on the left.
        let line = f.line("Shalom שלום עולם 2024!", Style::Regular, false);
        let texts: Vec<&str> = line.runs.iter().map(|r| r.text.as_str()).collect();
        let joined = texts.concat();
        assert!(joined.starts_with("Shalom "), "{texts:?}");
        let hebrew: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| t.contains('ש') || t.contains('ע'))
            .collect();
        assert!(!hebrew.is_empty(), "{texts:?}");
        // Right-to-left glyphs come last character first.
        let run = line.runs.iter().find(|r| r.text.contains('ש')).unwrap();
        assert!(
            run.glyphs.first().unwrap().text_range.start
                > run.glyphs.last().unwrap().text_range.start,
            "{texts:?}"
        );
        // An Arabic paragraph is right to left, joins (fewer glyphs than characters are
        // not required, but the shaper picks contextual forms: no glyph equals the isolated
        // form of the same letter in the middle of a word) and the whole text is kept.
        assert!(is_rtl("مرحبا بالعالم (hello)"));
        let line = f.line("مرحبا بالعالم", Style::Regular, true);
        // Visual order: the first word is drawn rightmost, so the leftmost glyph is the
        // last letter of the last word.
        let first = &line.runs[0];
        let leftmost = &first.text[first.glyphs[0].text_range.clone()];
        assert_eq!(leftmost, "م", "{:?}", first.text);
        let isolated = f.line("ح", Style::Regular, true).runs[0].glyphs[0].glyph_id;
        let in_word = &line.runs.iter().find(|r| r.text.contains('ح')).unwrap();
        let pos = in_word
            .glyphs
            .iter()
            .find(|g| in_word.text[g.text_range.clone()].contains('ح'))
            .unwrap();
        assert_ne!(pos.glyph_id, isolated, "ح was not joined");
        assert!(f.missing().is_empty(), "{:?}", f.missing());
    }

    #[test]
    fn directional_runs_split_a_mixed_paragraph_in_logical_order() {
        let runs = directional_runs("Project שלום עולם ends", false);
        assert_eq!(
            runs,
            vec![("Project ", false), ("שלום עולם", true), (" ends", false)]
        );
        assert_eq!(directional_runs("plain", false), vec![("plain", false)]);
    }

    #[test]
    fn an_uncovered_character_is_a_replacement_and_recorded_and_a_folder_font_covers_it() {
        let empty = tempfile::tempdir().unwrap();
        let paths = FontPaths {
            dirs: vec![empty.path().to_owned()],
        };
        let mut f = ts(&paths);
        let line = f.line("a \u{1C5A} b", Style::Regular, false);
        assert_eq!(
            line.runs
                .iter()
                .map(|r| r.text.as_str())
                .collect::<String>(),
            "a \u{1C5A} b"
        );
        assert!(f.missing().contains(&'\u{1C5A}'));

        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/fonts/NotoSansOlChiki-Regular.ttf"),
            dir.path().join("OlChiki.ttf"),
        )
        .unwrap();
        let paths = FontPaths {
            dirs: vec![dir.path().to_owned()],
        };
        let mut f = ts(&paths);
        let line = f.line("a \u{1C5A} b", Style::Regular, false);
        assert!(f.missing().is_empty(), "{:?}", f.missing());
        assert!(
            line.runs
                .iter()
                .all(|r| r.glyphs.iter().all(|g| g.glyph_id.to_u32() != 0))
        );
    }
}

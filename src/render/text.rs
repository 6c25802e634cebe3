//! Fonts, shaping and line breaking for the PDF. The fonts are embedded (Liberation Sans,
//! with DejaVu Sans as fallback for glyphs it lacks), loaded once.

use std::sync::OnceLock;

use krilla::text::{Font, GlyphId, KrillaGlyph};

use super::RenderError;

pub struct Face {
    pub font: Font,
    rb: rustybuzz::Face<'static>,
    upem: f32,
}

impl Face {
    fn load(path: &str) -> Result<Self, String> {
        let bytes = crate::assets::bytes(path).ok_or_else(|| format!("{path} is not embedded"))?;
        let rb =
            rustybuzz::Face::from_slice(bytes, 0).ok_or_else(|| format!("{path} is not a font"))?;
        let font =
            Font::new(bytes.into(), 0).ok_or_else(|| format!("{path} is not a usable font"))?;
        let upem = rb.units_per_em() as f32;
        Ok(Self { font, rb, upem })
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

    /// Shapes `text` left to right into glyphs positioned in em.
    fn shape(&self, text: &str) -> Vec<KrillaGlyph> {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        let out = rustybuzz::shape(&self.rb, &[], buffer);
        let infos = out.glyph_infos();
        let positions = out.glyph_positions();
        // A glyph's text is its cluster: from its cluster value up to the next greater one
        // (left-to-right shaping keeps cluster values in order). One backward pass finds
        // every end; a forward search per glyph would be quadratic in a cluster's length.
        let mut ends = vec![text.len(); infos.len()];
        for i in (0..infos.len().saturating_sub(1)).rev() {
            let (here, after) = (infos[i].cluster, infos[i + 1].cluster);
            ends[i] = if after > here {
                after as usize
            } else {
                ends[i + 1]
            };
        }
        let mut glyphs = Vec::with_capacity(infos.len());
        for ((info, pos), end) in infos.iter().zip(positions).zip(ends) {
            let start = info.cluster as usize;
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
        glyphs
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Regular,
    Bold,
    Italic,
}

pub struct Fonts {
    regular: Face,
    bold: Face,
    italic: Face,
    fallback: Face,
}

/// A piece of a line set in one face.
pub struct Run {
    pub face: &'static Face,
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// Width in em.
    pub width: f32,
}

pub fn fonts() -> Result<&'static Fonts, RenderError> {
    static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Ok(Fonts {
                regular: Face::load("fonts/LiberationSans-Regular.ttf")?,
                bold: Face::load("fonts/LiberationSans-Bold.ttf")?,
                italic: Face::load("fonts/LiberationSans-Italic.ttf")?,
                fallback: Face::load("fonts/DejaVuSans.ttf")?,
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

    /// The face that draws `c`: the style's own, else the fallback, else the own (a box).
    fn face_for(&self, c: char, style: Style) -> &Face {
        let own = self.face(style);
        if own.has(c) || !self.fallback.has(c) {
            own
        } else {
            &self.fallback
        }
    }

    /// Width of `text` in em.
    pub fn width(&self, text: &str, style: Style) -> f32 {
        text.chars()
            .map(|c| self.face_for(c, style).advance(c))
            .sum()
    }

    /// Splits `text` into runs by face and shapes each.
    pub fn runs(&'static self, text: &str, style: Style) -> Vec<Run> {
        let mut runs: Vec<(&'static Face, String)> = Vec::new();
        for c in text.chars() {
            let face = self.face_for(c, style);
            match runs.last_mut() {
                Some((f, s)) if std::ptr::eq(*f, face) => s.push(c),
                _ => runs.push((face, c.to_string())),
            }
        }
        runs.into_iter()
            .map(|(face, text)| {
                let glyphs = face.shape(&text);
                let width = glyphs.iter().map(|g| g.x_advance).sum();
                Run {
                    face,
                    text,
                    glyphs,
                    width,
                }
            })
            .collect()
    }

    /// Breaks a paragraph into lines no wider than `first` points (the first line) and
    /// `rest` points (the others) at `size`. Words longer than a line (URLs) are cut.
    pub fn wrap(&self, text: &str, style: Style, size: f32, first: f32, rest: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let space = self.width(" ", style) * size;
        let limit = |lines: &Vec<String>| if lines.is_empty() { first } else { rest };
        for hard in text.split('\n') {
            let mut line = String::new();
            let mut width = 0.0f32;
            for word in hard.split(' ').filter(|w| !w.is_empty()) {
                let w = self.width(word, style) * size;
                if !line.is_empty() && width + space + w <= limit(&lines) {
                    line.push(' ');
                    line.push_str(word);
                    width += space + w;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if w <= limit(&lines) {
                    line = word.to_owned();
                    width = w;
                    continue;
                }
                // Too long for any line: cut it where it fills one.
                let mut piece = String::new();
                let mut pw = 0.0;
                for c in word.chars() {
                    let cw = self.face_for(c, style).advance(c) * size;
                    if !piece.is_empty() && pw + cw > limit(&lines) {
                        lines.push(std::mem::take(&mut piece));
                        pw = 0.0;
                    }
                    piece.push(c);
                    pw += cw;
                }
                line = piece;
                width = pw;
            }
            lines.push(line);
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_within_the_width_and_cuts_long_tokens() {
        let f = fonts().unwrap();
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

    #[test]
    fn missing_glyphs_fall_back_to_dejavu() {
        let f = fonts().unwrap();
        let runs = f.runs("Łódź ✓ ★ ok", Style::Regular);
        assert!(runs.len() >= 2, "{}", runs.len());
        assert_eq!(
            runs.iter().map(|r| r.text.as_str()).collect::<String>(),
            "Łódź ✓ ★ ok"
        );
    }
}

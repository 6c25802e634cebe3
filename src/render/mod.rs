//! Turning a DMP into the documents a funder accepts. One intermediate model
//! ([`model::DocModel`]) is built from the DMP and its template; DOCX and PDF are both
//! written from it, so they never disagree. No external tool runs: everything is in-process.

pub mod docx;
pub mod markdown;
pub mod model;
pub mod pdf;
pub mod template;
mod text;

pub use model::{DocModel, RenderInput};
pub use text::{FontPaths, system_font_dirs};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error("the embedded fonts could not be loaded: {0}")]
    Fonts(String),
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
    #[error("writing the DOCX failed: {0}")]
    Docx(String),
    #[error(
        "making the documents took longer than the limit of {0:?} and was stopped (is the plan very large, or does it hold unusual text?)"
    )]
    TimeLimit(std::time::Duration),
}

/// The time one render may take. Rendering checks it between lines and blocks, so a render
/// ends within about one line's work of the limit (shaping a line is linear in its length).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Option<(std::time::Instant, std::time::Duration)>,
}

impl Deadline {
    /// No limit (the CLI's `render`, benchmarks).
    pub fn none() -> Self {
        Self { at: None }
    }

    /// `limit` from now.
    pub fn after(limit: std::time::Duration) -> Self {
        Self {
            at: Some((std::time::Instant::now() + limit, limit)),
        }
    }

    pub fn check(&self) -> Result<(), RenderError> {
        match self.at {
            Some((at, limit)) if std::time::Instant::now() >= at => {
                Err(RenderError::TimeLimit(limit))
            }
            _ => Ok(()),
        }
    }
}

/// Both documents of one model, and what the owner should know about them.
pub struct Rendered {
    pub docx: Vec<u8>,
    pub pdf: Vec<u8>,
    /// Things the documents could not show as written (characters no font has), each a
    /// sentence saying what to do about it. Empty when all went well.
    pub warnings: Vec<String>,
}

/// Both documents, with the bundled fonts only and no time limit.
pub fn render(model: &DocModel) -> Result<Rendered, RenderError> {
    render_until(model, Deadline::none())
}

/// Both documents with the bundled fonts only, or [`RenderError::TimeLimit`] once
/// `deadline` has passed.
pub fn render_until(model: &DocModel, deadline: Deadline) -> Result<Rendered, RenderError> {
    render_with(model, deadline, &FontPaths::none())
}

/// Both documents; characters the bundled fonts lack are looked for in `fonts`' folders.
pub fn render_with(
    model: &DocModel,
    deadline: Deadline,
    fonts: &FontPaths,
) -> Result<Rendered, RenderError> {
    let docx = docx::write_until(model, deadline)?;
    deadline.check()?;
    let pdf = pdf::write_with(model, deadline, fonts)?;
    let mut warnings = Vec::new();
    if let Some(w) = missing_warning(&pdf.missing) {
        warnings.push(w);
    }
    Ok(Rendered {
        docx,
        pdf: pdf.bytes,
        warnings,
    })
}

/// The warning for characters no font has: which (U+XXXX, at most 20 named) and what to do.
fn missing_warning(missing: &std::collections::BTreeSet<char>) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let mut names: Vec<String> = missing
        .iter()
        .take(20)
        .map(|c| format!("U+{:04X}", *c as u32))
        .collect();
    if missing.len() > 20 {
        names.push(format!("and {} more", missing.len() - 20));
    }
    Some(format!(
        "the PDF shows the replacement mark U+FFFD for {} character{} that no available font covers ({}): add a font covering them to DATA/fonts (the data directory's fonts folder) and render again",
        missing.len(),
        if missing.len() == 1 { "" } else { "s" },
        names.join(", ")
    ))
}

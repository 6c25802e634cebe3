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

/// Both documents of one model.
pub struct Rendered {
    pub docx: Vec<u8>,
    pub pdf: Vec<u8>,
}

pub fn render(model: &DocModel) -> Result<Rendered, RenderError> {
    render_until(model, Deadline::none())
}

/// Both documents, or [`RenderError::TimeLimit`] once `deadline` has passed.
pub fn render_until(model: &DocModel, deadline: Deadline) -> Result<Rendered, RenderError> {
    let docx = docx::write_until(model, deadline)?;
    deadline.check()?;
    Ok(Rendered {
        docx,
        pdf: pdf::write_until(model, deadline)?,
    })
}

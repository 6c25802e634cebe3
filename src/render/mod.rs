//! Turning a DMP into the documents a funder accepts. One intermediate model
//! ([`model::DocModel`]) is built from the DMP and its template; DOCX and PDF are both
//! written from it, so they never disagree. No external tool runs: everything is in-process.

pub mod docx;
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
}

/// Both documents of one model.
pub struct Rendered {
    pub docx: Vec<u8>,
    pub pdf: Vec<u8>,
}

pub fn render(model: &DocModel) -> Result<Rendered, RenderError> {
    Ok(Rendered {
        docx: docx::write(model)?,
        pdf: pdf::write(model)?,
    })
}

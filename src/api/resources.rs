//! `/resources/docx/{file_id}` and `/resources/pdf/{file_id}`: generated documents, only for
//! the DMP's owner (bearer token) or a holder of a signed link.

use poem_openapi::param::Path;
use poem_openapi::payload::Binary;
use poem_openapi::{ApiResponse, OpenApi, Tags};

use poem::web::Data;

use super::ApiState;
use super::error::ApiError;
use super::security::DownloadAuth;
use crate::domain::FileKind;
use crate::service::files::DownloadAuth as Proof;

#[derive(Tags)]
enum ResourceTags {
    /// Generated documents.
    Resources,
}

#[derive(ApiResponse)]
pub enum DocxFile {
    /// The document, as an attachment.
    #[oai(
        status = 200,
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[derive(ApiResponse)]
pub enum PdfFile {
    /// The document, as an attachment.
    #[oai(status = 200, content_type = "application/pdf")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

pub struct ResourcesApi;

/// `attachment` with an ASCII `filename` for old clients and the Unicode name as RFC 6266's
/// `filename*=UTF-8''...` (RFC 8187 percent-encoding) for the others.
fn content_disposition(ascii: &str, utf8: &str) -> String {
    let mut encoded = String::new();
    for b in utf8.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    // The fallback is already ASCII letters, digits, `-`, `_` and `.`: nothing to quote.
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

impl ResourcesApi {
    async fn fetch(
        &self,
        state: &ApiState,
        kind: FileKind,
        file_id: String,
        auth: DownloadAuth,
    ) -> Result<(Vec<u8>, String), ApiError> {
        // Resolving and reading the file are one blocking job (see `Download::read`).
        let (bytes, download) = match auth {
            DownloadAuth::Bearer(b) => {
                state
                    .run(move |s| {
                        let d = s.open_download(kind, &file_id, Proof::Caller(&b.0))?;
                        Ok((d.read()?, d))
                    })
                    .await?
            }
            DownloadAuth::Signed(sig) => {
                state
                    .run(move |s| {
                        let d = s.open_download(kind, &file_id, Proof::Signature(&sig.0.key))?;
                        Ok((d.read()?, d))
                    })
                    .await?
            }
        };
        let disposition = content_disposition(&download.filename, &download.filename_utf8);
        Ok((bytes, disposition))
    }
}

#[OpenApi(tag = "ResourceTags::Resources")]
impl ResourcesApi {
    /// Download a generated DOCX. Use the task's `url_docx` (signed link) or a bearer token.
    #[oai(
        path = "/resources/docx/:file_id",
        method = "get",
        operation_id = "downloadDocx"
    )]
    async fn docx(
        &self,
        state: Data<&ApiState>,
        auth: DownloadAuth,
        file_id: Path<String>,
    ) -> Result<DocxFile, ApiError> {
        let (bytes, disposition) = self.fetch(&state, FileKind::Docx, file_id.0, auth).await?;
        Ok(DocxFile::Ok(Binary(bytes), disposition))
    }

    /// Download a generated PDF. Use the task's `url_pdf` (signed link) or a bearer token.
    #[oai(
        path = "/resources/pdf/:file_id",
        method = "get",
        operation_id = "downloadPdf"
    )]
    async fn pdf(
        &self,
        state: Data<&ApiState>,
        auth: DownloadAuth,
        file_id: Path<String>,
    ) -> Result<PdfFile, ApiError> {
        let (bytes, disposition) = self.fetch(&state, FileKind::Pdf, file_id.0, auth).await?;
        Ok(PdfFile::Ok(Binary(bytes), disposition))
    }
}

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
use crate::service::ServiceError;
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

impl ResourcesApi {
    async fn fetch(
        &self,
        state: &ApiState,
        kind: FileKind,
        file_id: String,
        auth: DownloadAuth,
    ) -> Result<(Vec<u8>, String), ApiError> {
        let download = match auth {
            DownloadAuth::Bearer(b) => {
                state
                    .as_caller(b.0, move |s, c| {
                        s.open_download(kind, &file_id, Proof::Caller(c))
                    })
                    .await?
            }
            DownloadAuth::Signed(sig) => {
                state
                    .run(move |s| s.open_download(kind, &file_id, Proof::Signature(&sig.0.key)))
                    .await?
            }
        };
        let bytes = tokio::fs::read(&download.path).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ApiError::from(ServiceError::NotFound(
                    "the file is no longer on disk".into(),
                ))
            } else {
                ApiError::from(ServiceError::Internal(format!(
                    "reading {}: {e}",
                    download.path.display()
                )))
            }
        })?;
        let disposition = format!("attachment; filename=\"{}\"", download.filename);
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

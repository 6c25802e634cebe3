//! maDMP (1.3, or 1.2 on request) on the DMP routes: `GET /dmps/{id}/madmp` and `POST /dmps/import`.

use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use serde_json::Value;

use super::ApiState;
use super::dmps::{DmpChanged, DmpCreated};
use super::error::ApiError;
use super::security::Authed;

#[derive(Tags)]
enum MadmpTags {
    /// DMPs as RDA DMP Common Standard (maDMP 1.3, or 1.2 on request) documents.
    Madmp,
}

#[derive(ApiResponse)]
pub enum MadmpDocument {
    /// The DMP as a maDMP document of the version asked for (1.3 by default); it
    /// validates against that version's official schema.
    /// `dmp.x_dmptool.answers` carries every questionnaire answer.
    #[oai(status = 200)]
    Ok(
        Json<Value>,
        #[oai(header = "Last-Modified")] String,
        #[oai(header = "ETag")] String,
    ),
}

pub struct MadmpApi;

#[OpenApi(tag = "MadmpTags::Madmp")]
impl MadmpApi {
    /// One DMP (the caller's; administrators: any) as a maDMP document: 1.3, or 1.2
    /// with `?version=1.2`. See docs/madmp.md for the mapping, field by field.
    #[oai(path = "/dmps/:id/madmp", method = "get", operation_id = "exportMadmp")]
    async fn export(
        &self,
        state: Data<&ApiState>,
        req: &Request,
        auth: Authed,
        id: Path<super::scalars::HexId>,
        /// The maDMP version (default 1.3).
        version: Query<Option<super::rda::VersionParam>>,
    ) -> Result<MadmpDocument, ApiError> {
        let mut served = state.served(req);
        if version.0 == Some(super::rda::VersionParam::V1_2) {
            served.version = crate::madmp::Version::V1_2;
        }
        let d = state
            .run(move |s| s.export_madmp(&auth.0, &id.0, &served))
            .await?;
        let etag = d.etag();
        Ok(MadmpDocument::Ok(
            Json(d.doc),
            super::rda::http_date(d.modified),
            etag,
        ))
    }

    /// Create a DMP owned by the caller from a maDMP document (1.3 or 1.2; a 1.2 `shared`
    /// becomes `restricted`). The questionnaire's
    /// fields are filled from it and the whole document is kept (key `madmp`), so it
    /// exports back as it came in. A document that does not conform to the schema is
    /// refused with 400 and the JSON pointer of its first violation (`pointer`).
    #[oai(path = "/dmps/import", method = "post", operation_id = "importMadmp")]
    async fn import(
        &self,
        state: Data<&ApiState>,
        req: &Request,
        auth: Authed,
        body: Json<Value>,
    ) -> Result<DmpCreated, ApiError> {
        let served = state.served(req);
        let d = state
            .run(move |s| s.import_madmp(&auth.0, body.0, &served))
            .await?;
        Ok(DmpCreated::Created(Json(DmpChanged {
            id: d.id.to_string(),
            ok: true,
            msg: "DMP imported".into(),
            revision: Some(1),
            replaced: None,
        })))
    }
}

//! `/dmps` and `/dmps/{id}`: a user's data management plans.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use poem::web::Data;

use super::ApiState;
use super::dmp_schema::{DmpDocument, DmpInput};
use super::document;
use super::error::ApiError;
use super::payload::JsonText;
use super::security::Authed;
use std::sync::Arc;

use bytes::Bytes;

use crate::domain::{DmpId, Precondition, Role, precondition::etag};
use crate::service::{Caller, ServiceError, Services};
use crate::store::tables::Oid;

#[derive(Tags)]
enum DmpTags {
    /// Data management plans.
    Dmps,
}

/// What `GET /dmps` adds to the caller's own plans.
#[derive(poem_openapi::Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Include {
    /// The plans shared with the caller.
    Shared,
}

/// The answer to a create, update or delete.
#[derive(Object)]
pub struct DmpChanged {
    /// The DMP's id.
    pub id: String,
    pub ok: bool,
    pub msg: String,
    /// The revision the write made (create, update).
    #[oai(skip_serializing_if_is_none)]
    pub revision: Option<u64>,
    /// The revision an update replaced: it stays in the history (`/dmps/{id}/revisions`).
    /// Absent when the update changed nothing: then no revision is made and `revision` is
    /// the current one.
    #[oai(skip_serializing_if_is_none)]
    pub replaced: Option<u64>,
}

#[derive(ApiResponse)]
pub enum DmpRead {
    /// The DMP. `ETag` names its current revision, for `If-Match` on a later write.
    #[oai(status = 200)]
    Ok(JsonText<DmpDocument>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub enum DmpUpdated {
    /// Updated. `ETag` names the new revision.
    #[oai(status = 200)]
    Ok(Json<DmpChanged>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub enum DmpList {
    /// The DMPs, oldest first. `X-Total-Count` gives the total the listing covers; when
    /// more follow this page, `Link` names the next page (`rel="next"`).
    #[oai(status = 200)]
    Ok(
        JsonText<Vec<DmpDocument>>,
        #[oai(header = "X-Total-Count")] u64,
        #[oai(header = "Link")] Option<String>,
    ),
}

#[derive(ApiResponse)]
pub enum DmpCreated {
    /// Created.
    #[oai(status = 201)]
    Created(Json<DmpChanged>),
}

/// A page of DMPs as one JSON array, read from the store and written out a few at a time
/// as the client takes it: a client that reads slowly (or not at all) holds the page's ids
/// and one piece of text, not the page's documents.
struct DmpArray {
    services: Arc<Services>,
    caller: Caller,
    ids: Vec<(Oid, Option<Role>)>,
    next: usize,
    opened: bool,
    wrote_one: bool,
    closed: bool,
    /// DMPs to read in the next transaction (see `BATCH`).
    batch: usize,
}

/// Text written out at once, roughly (a DMP is never split).
const PIECE: usize = 64 * 1024;
/// DMPs read in one transaction, while they are small: once plans average more than
/// `PIECE / BATCH` bytes, they are read one at a time, so a piece holds at most one large
/// plan beyond `PIECE` (and a slow reader pins no more than that).
const BATCH: usize = 16;

impl DmpArray {
    fn piece(&mut self) -> Result<String, ApiError> {
        let mut out = String::new();
        if !self.opened {
            self.opened = true;
            out.push('[');
        }
        while out.len() < PIECE && self.next < self.ids.len() {
            let end = (self.next + self.batch).min(self.ids.len());
            let views = self
                .services
                .dmp_views(&self.caller, &self.ids[self.next..end])?;
            self.next = end;
            let before = out.len();
            for v in &views {
                if self.wrote_one {
                    out.push(',');
                }
                self.wrote_one = true;
                document::write(v, &mut out)?;
            }
            let average = (out.len() - before) / views.len().max(1);
            self.batch = if average > PIECE / BATCH { 1 } else { BATCH };
        }
        if self.next >= self.ids.len() {
            out.push(']');
            self.closed = true;
        }
        Ok(out)
    }
}

impl http_body::Body for DmpArray {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        if self.closed {
            return std::task::Poll::Ready(None);
        }
        let piece = self.piece().map_err(|e| {
            // The status has gone out: all that is left is to cut the answer short.
            tracing::error!(error = ?e, "cannot write out a list of DMPs");
            self.closed = true;
            std::io::Error::other("cannot read the DMPs")
        });
        std::task::Poll::Ready(Some(piece.map(|p| http_body::Frame::data(Bytes::from(p)))))
    }

    fn is_end_stream(&self) -> bool {
        self.closed
    }
}

pub struct DmpsApi;

#[OpenApi(tag = "DmpTags::Dmps")]
impl DmpsApi {
    /// List the caller's DMPs (a JSON array). With `include=shared`, the plans shared with
    /// the caller (by name or through a project) follow their own, and every item carries
    /// the caller's `role` (`owner` for their own). Administrators may pass `all=true` for
    /// every user's. `offset` and `limit` page through the list; a page holds at most the
    /// server's maximum page size (1000 unless configured), also when no `limit` is given.
    #[oai(path = "/dmps", method = "get", operation_id = "listDmps")]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        /// Every user's DMPs (administrators only).
        #[oai(default)]
        all: Query<bool>,
        /// `shared`: add the plans shared with the caller.
        include: Query<Option<Include>>,
        /// How many to skip.
        #[oai(
            default,
            validator(minimum(value = "0"), maximum(value = "1000000000"))
        )]
        offset: Query<u64>,
        /// How many at most: the maximum page size when absent, and lowered to it when
        /// larger.
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
        limit: Query<Option<u64>>,
    ) -> Result<DmpList, ApiError> {
        let offset = usize::try_from(offset.0).unwrap_or(usize::MAX);
        let limit = super::page_limit(limit.0, state.max_page);
        let Authed(caller) = auth;
        let shared = include.0.is_some();
        let (caller, ids, total) = state
            .run(move |s| {
                let (ids, total) = s.list_dmp_ids(&caller, all.0, shared, offset, limit)?;
                Ok((caller, ids, total))
            })
            .await?;
        let next = offset.saturating_add(ids.len());
        let link = (!ids.is_empty() && (next as u64) < total).then(|| {
            let all = if all.0 { "all=true&" } else { "" };
            let include = if shared { "include=shared&" } else { "" };
            format!("</dmps?{all}{include}offset={next}&limit={limit}>; rel=\"next\"")
        });
        let body = DmpArray {
            services: state.services.clone(),
            caller,
            ids,
            next: 0,
            opened: false,
            wrote_one: false,
            closed: false,
            batch: BATCH,
        };
        let body = http_body_util::combinators::BoxBody::new(body);
        Ok(DmpList::Ok(
            JsonText::streamed(poem::Body::from(body)),
            total,
            link,
        ))
    }

    /// Create a DMP owned by the caller from a JSON object.
    #[oai(path = "/dmps", method = "post", operation_id = "createDmp")]
    async fn create(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        body: Json<DmpInput>,
    ) -> Result<DmpCreated, ApiError> {
        let Authed(caller) = auth;
        let id = state.services.create_dmp_queued(&caller, body.0.0).await?;
        Ok(DmpCreated::Created(Json(DmpChanged {
            id: id.to_string(),
            ok: true,
            msg: "DMP created".into(),
            revision: Some(1),
            replaced: None,
        })))
    }

    /// One DMP the caller may read: their own, one shared with them (it then carries
    /// their `role`), any for an administrator.
    #[oai(path = "/dmps/:id", method = "get", operation_id = "getDmp")]
    async fn get(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<super::scalars::HexId>,
    ) -> Result<DmpRead, ApiError> {
        // A point read: on the async worker (redb readers never wait for a writer).
        let id = DmpId::parse(&id.0).map_err(ServiceError::from)?;
        let v = state.services.get_dmp(&auth.0, id)?;
        let mut out = String::with_capacity(v.doc.get().len() + 200);
        document::write(&v, &mut out)?;
        Ok(DmpRead::Ok(JsonText::new(out), etag(id, v.version)))
    }

    /// Update a DMP (editors and the owner): the top-level keys of the body replace those
    /// stored; other keys stay. With `If-Match` (the `ETag` of an earlier read), the update
    /// is made only if the plan is still at that revision: otherwise 412, with the current
    /// `revision` and the parts `changed` since, and nothing written. Without it the update
    /// is made; the revision it replaced stays in the history and the answer names it.
    #[oai(path = "/dmps/:id", method = "put", operation_id = "updateDmp")]
    async fn update(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<super::scalars::HexId>,
        /// `ETag`s of an earlier read; the update is made only if one is current.
        #[oai(name = "If-Match")]
        if_match: poem_openapi::param::Header<Option<String>>,
        body: Json<DmpInput>,
    ) -> Result<DmpUpdated, ApiError> {
        let id = DmpId::parse(&id.0).map_err(ServiceError::from)?;
        let pre = Precondition::from_if_match(if_match.0);
        let done = state
            .services
            .update_dmp_queued(&auth.0, id, body.0.0, pre)
            .await?;
        let shown = id.to_string();
        Ok(DmpUpdated::Ok(
            Json(DmpChanged {
                id: shown,
                ok: true,
                msg: "DMP updated".into(),
                revision: Some(done.revision),
                replaced: done.replaced,
            }),
            etag(id, done.revision),
        ))
    }

    /// Delete a DMP with its tasks and generated documents.
    #[oai(path = "/dmps/:id", method = "delete", operation_id = "deleteDmp")]
    async fn delete(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<super::scalars::HexId>,
    ) -> Result<Json<DmpChanged>, ApiError> {
        let id = DmpId::parse(&id.0).map_err(ServiceError::from)?;
        state.run(move |s| s.delete_dmp(&auth.0, id)).await?;
        let shown = id.to_string();
        Ok(Json(DmpChanged {
            id: shown,
            ok: true,
            msg: "DMP deleted".into(),
            revision: None,
            replaced: None,
        }))
    }
}

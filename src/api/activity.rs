//! `/dmps/{id}/activity`: what happened to a plan, newest first.

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use super::ApiState;
use super::error::ApiError;
use super::scalars::HexId;
use super::security::Authed;
use crate::domain::DmpId;
use crate::domain::time::iso8601;
use crate::service::ServiceError;
use crate::service::activity::ActivityItem;

#[derive(Tags)]
enum ActivityTags {
    /// What happened to a plan.
    Activity,
}

/// One thing that happened to a plan.
#[derive(Object)]
pub struct Activity {
    pub time: String,
    /// The username of who acted (`administrator` for `dmptool admin`).
    pub actor: String,
    /// From the revisions: `created`, `edited`, `restored`. Otherwise `shared`, `unshared`,
    /// `transferred`, `commented`, `replied`, `resolved`, `reopened`, `comment-deleted`,
    /// `documents`.
    pub kind: String,
    /// For a revision: its number.
    #[oai(skip_serializing_if_is_none)]
    pub revision: Option<u64>,
    /// For a revision: how the change came (`api`, `rda`, `madmp-import`, `restore`,
    /// `admin-import`, `legacy-import`, `upgrade`).
    #[oai(skip_serializing_if_is_none)]
    pub via: Option<String>,
    /// For a revision: the parts that changed (top-level keys, `answers/<id>`).
    #[oai(skip_serializing_if_is_none)]
    pub changed: Option<Vec<String>>,
    /// For a restore: the revision brought back.
    #[oai(skip_serializing_if_is_none)]
    pub restored_from: Option<u64>,
    /// For anything else: what the act concerned (`user` or `project` and `role` for a
    /// share; `from`, `to` for a transfer; `comment`, `anchor`, `question`/`dataset`,
    /// `thread` for comments; `task`, `revision` for documents).
    #[oai(skip_serializing_if_is_none)]
    pub detail: Option<serde_json::Value>,
}

impl From<ActivityItem> for Activity {
    fn from(i: ActivityItem) -> Self {
        let from_revision = matches!(i.kind.as_str(), "created" | "edited" | "restored");
        let mut a = Activity {
            time: iso8601(i.time),
            actor: i.actor,
            kind: i.kind,
            revision: None,
            via: None,
            changed: None,
            restored_from: None,
            detail: None,
        };
        if from_revision {
            a.revision = i.detail.get("revision").and_then(|v| v.as_u64());
            a.via = i.detail.get("via").and_then(|v| v.as_str()).map(Into::into);
            a.changed = i.detail.get("changed").and_then(|v| v.as_array()).map(|l| {
                l.iter()
                    .filter_map(|s| s.as_str().map(Into::into))
                    .collect()
            });
            a.restored_from = i.detail.get("restored_from").and_then(|v| v.as_u64());
        } else {
            a.detail = Some(i.detail);
        }
        a
    }
}

#[derive(ApiResponse)]
pub enum ActivityList {
    /// Newest first. `X-Total-Count` gives how many items there are in all; when more
    /// follow this page, `Link` names the next page (`rel="next"`).
    #[oai(status = 200)]
    Ok(
        Json<Vec<Activity>>,
        #[oai(header = "X-Total-Count")] u64,
        #[oai(header = "Link")] Option<String>,
    ),
}

pub struct ActivityApi;

#[OpenApi(tag = "ActivityTags::Activity")]
impl ActivityApi {
    /// What happened to the plan, newest first (any member): who created, edited (which
    /// parts) or restored it, shared or unshared it, transferred it, commented, made its
    /// documents. `offset` and `limit` page through it (at most the server's maximum page
    /// size a page).
    #[oai(
        path = "/dmps/:id/activity",
        method = "get",
        operation_id = "getDmpActivity"
    )]
    async fn activity(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
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
    ) -> Result<ActivityList, ApiError> {
        let id = DmpId::parse(&id.0.0).map_err(ServiceError::from)?;
        let offset = usize::try_from(offset.0).unwrap_or(usize::MAX);
        let limit = super::page_limit(limit.0, state.max_page);
        let page = state
            .run(move |s| s.dmp_activity(&auth.0, id, offset, limit))
            .await?;
        let next = offset.saturating_add(page.items.len());
        let link = (!page.items.is_empty() && (next as u64) < page.total)
            .then(|| format!("</dmps/{id}/activity?offset={next}&limit={limit}>; rel=\"next\""));
        Ok(ActivityList::Ok(
            Json(page.items.into_iter().map(Into::into).collect()),
            page.total,
            link,
        ))
    }
}

//! `/dmps/{id}/access` and `/dmps/{id}/transfer`: who a plan is shared with, under which role.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};

use super::ApiState;
use super::error::ApiError;
use super::scalars::HexId;
use super::security::Authed;
use crate::domain::{DmpId, Role};
use crate::service::ServiceError;
use crate::service::sharing::{AccessList, GranteeName};

#[derive(Tags)]
enum SharingTags {
    /// Sharing a plan with users and projects under roles.
    Sharing,
}

/// A role on a plan.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum RoleName {
    /// Reads the plan and makes its documents.
    Viewer,
    /// A viewer who also comments.
    Commenter,
    /// A commenter who also writes the plan.
    Editor,
    /// Everything, including sharing, transferring and deleting.
    Owner,
}

impl From<Role> for RoleName {
    fn from(r: Role) -> Self {
        match r {
            Role::Viewer => RoleName::Viewer,
            Role::Commenter => RoleName::Commenter,
            Role::Editor => RoleName::Editor,
            Role::Owner => RoleName::Owner,
        }
    }
}

/// The role a grant gives.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum GrantRole {
    Viewer,
    Commenter,
    Editor,
}

impl From<GrantRole> for Role {
    fn from(r: GrantRole) -> Self {
        match r {
            GrantRole::Viewer => Role::Viewer,
            GrantRole::Commenter => Role::Commenter,
            GrantRole::Editor => Role::Editor,
        }
    }
}

#[derive(Object)]
pub struct GrantBody {
    pub role: GrantRole,
}

#[derive(Object)]
pub struct TransferBody {
    /// The user who becomes the owner; the former owner stays an editor.
    pub username: String,
}

/// One grant.
#[derive(Object)]
pub struct Grant {
    /// `user` or `project`.
    pub kind: String,
    pub name: String,
    pub role: RoleName,
}

/// Who has access to a plan.
#[derive(Object)]
pub struct Access {
    pub dmp: String,
    /// The owner's username.
    pub owner: String,
    pub grants: Vec<Grant>,
    /// The caller's own role.
    pub role: RoleName,
}

impl From<AccessList> for Access {
    fn from(a: AccessList) -> Self {
        Access {
            dmp: a.dmp,
            owner: a.owner,
            grants: a
                .grants
                .into_iter()
                .map(|g| Grant {
                    kind: g.kind.to_owned(),
                    name: g.name,
                    role: g.role.into(),
                })
                .collect(),
            role: a.role.into(),
        }
    }
}

#[derive(ApiResponse)]
pub enum Shared {
    /// The grant replaced one the grantee had.
    #[oai(status = 200)]
    Changed(Json<Access>),
    /// A new grant.
    #[oai(status = 201)]
    Created(Json<Access>),
}

fn dmp(id: &HexId) -> Result<DmpId, ApiError> {
    Ok(DmpId::parse(&id.0).map_err(ServiceError::from)?)
}

async fn share(
    state: &ApiState,
    auth: Authed,
    id: &HexId,
    to: GranteeName,
    role: GrantRole,
) -> Result<Shared, ApiError> {
    let id = dmp(id)?;
    let (list, new) = state
        .run(move |s| s.share_dmp(&auth.0, id, &to, role.into()))
        .await?;
    Ok(if new {
        Shared::Created(Json(list.into()))
    } else {
        Shared::Changed(Json(list.into()))
    })
}

async fn unshare(
    state: &ApiState,
    auth: Authed,
    id: &HexId,
    from: GranteeName,
) -> Result<Json<Access>, ApiError> {
    let id = dmp(id)?;
    let list = state
        .run(move |s| s.unshare_dmp(&auth.0, id, &from))
        .await?;
    Ok(Json(list.into()))
}

pub struct SharingApi;

#[OpenApi(tag = "SharingTags::Sharing")]
impl SharingApi {
    /// The plan's owner and every grant on it (any member may look).
    #[oai(
        path = "/dmps/:id/access",
        method = "get",
        operation_id = "getDmpAccess"
    )]
    async fn access(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
    ) -> Result<Json<Access>, ApiError> {
        let id = dmp(&id.0)?;
        let list = state.run(move |s| s.dmp_access(&auth.0, id)).await?;
        Ok(Json(list.into()))
    }

    /// Share the plan with a user under a role (owner or administrator only).
    #[oai(
        path = "/dmps/:id/access/users/:username",
        method = "put",
        operation_id = "shareDmpWithUser"
    )]
    async fn share_user(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        username: Path<String>,
        body: Json<GrantBody>,
    ) -> Result<Shared, ApiError> {
        share(
            &state,
            auth,
            &id.0,
            GranteeName::User(username.0),
            body.0.role,
        )
        .await
    }

    /// Share the plan with every member of a project, present and future (owner or
    /// administrator only).
    #[oai(
        path = "/dmps/:id/access/projects/:name",
        method = "put",
        operation_id = "shareDmpWithProject"
    )]
    async fn share_project(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        name: Path<String>,
        body: Json<GrantBody>,
    ) -> Result<Shared, ApiError> {
        share(
            &state,
            auth,
            &id.0,
            GranteeName::Project(name.0),
            body.0.role,
        )
        .await
    }

    /// Take back a user's grant (owner or administrator only).
    #[oai(
        path = "/dmps/:id/access/users/:username",
        method = "delete",
        operation_id = "unshareDmpWithUser"
    )]
    async fn unshare_user(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        username: Path<String>,
    ) -> Result<Json<Access>, ApiError> {
        unshare(&state, auth, &id.0, GranteeName::User(username.0)).await
    }

    /// Take back a project's grant (owner or administrator only).
    #[oai(
        path = "/dmps/:id/access/projects/:name",
        method = "delete",
        operation_id = "unshareDmpWithProject"
    )]
    async fn unshare_project(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        name: Path<String>,
    ) -> Result<Json<Access>, ApiError> {
        unshare(&state, auth, &id.0, GranteeName::Project(name.0)).await
    }

    /// Make another user the plan's owner (owner or administrator only). The former owner
    /// stays an editor.
    #[oai(
        path = "/dmps/:id/transfer",
        method = "post",
        operation_id = "transferDmp"
    )]
    async fn transfer(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        body: Json<TransferBody>,
    ) -> Result<Json<Access>, ApiError> {
        let id = dmp(&id.0)?;
        let to = body.0.username;
        let list = state.run(move |s| s.transfer_dmp(&auth.0, id, &to)).await?;
        Ok(Json(list.into()))
    }
}

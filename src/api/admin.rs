//! `/admin/...`: the `dmptool admin` operations over HTTP, for administrators (403 for
//! everyone else), so a web console can be built on them.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use super::ApiState;
use super::error::ApiError;
use super::scalars::Text;
use super::security::Admin;
use crate::domain::time::iso8601;
use crate::service::admin::ResetSummary;
use crate::service::{ServiceError, Services};

#[derive(Tags)]
enum AdminTags {
    /// Administration (administrators only).
    Admin,
}

#[derive(Object)]
#[oai(rename = "AdminUserOut")]
pub struct UserOut {
    pub id: u64,
    pub username: String,
    #[oai(skip_serializing_if_is_none)]
    pub email: Option<String>,
    pub admin: bool,
    /// ISO-8601 UTC.
    pub created: String,
    /// Names of the user's projects.
    pub projects: Vec<String>,
}

#[derive(Object)]
#[oai(rename = "AdminNewUser")]
pub struct NewUser {
    /// Letters, digits and `. _ - @`, at most 64.
    #[oai(validator(pattern = r"^[\w.@-]{1,64}$"))]
    pub username: Text,
    #[oai(validator(
        max_length = 254,
        pattern = r"^[^\s@\x00-\x1f\x7f-\x9f]+@[^\s@.\x00-\x1f\x7f-\x9f]+(\.[^\s@.\x00-\x1f\x7f-\x9f]+)+$"
    ))]
    pub email: Text,
    #[oai(validator(min_length = 1, max_length = 256))]
    pub password: Text,
    #[oai(default, nullable)]
    pub admin: bool,
}

#[derive(Object)]
#[oai(rename = "AdminNewPassword")]
pub struct NewPassword {
    #[oai(validator(min_length = 1, max_length = 256))]
    pub password: Text,
}

#[derive(Object)]
#[oai(rename = "AdminProjectOut")]
pub struct ProjectOut {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub members: u64,
}

#[derive(Object)]
#[oai(rename = "AdminNewProject")]
pub struct NewProject {
    /// At most 200 characters, not only spaces, no control characters.
    #[oai(validator(
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    ))]
    pub name: Text,
    #[oai(default = "no_description", nullable)]
    pub description: Text,
}

fn no_description() -> Text {
    Text(String::new())
}

#[derive(Object)]
#[oai(rename = "AdminCreated")]
pub struct Created {
    pub id: u64,
    pub ok: bool,
    pub msg: String,
}

#[derive(Object)]
#[oai(rename = "AdminDone")]
pub struct Done {
    pub ok: bool,
    pub msg: String,
}

#[derive(Object)]
#[oai(rename = "AdminUserDeleted")]
pub struct UserDeleted {
    pub ok: bool,
    pub dmps: u64,
    pub tasks: u64,
    pub files: u64,
}

/// Confirms a reset: must be exactly "delete everything".
#[derive(Object)]
#[oai(rename = "AdminResetConfirm")]
pub struct ResetConfirm {
    #[oai(validator(pattern = "^delete everything$"))]
    pub confirm: Text,
}

#[derive(Object)]
#[oai(rename = "AdminResetOut")]
pub struct ResetOut {
    pub users: u64,
    pub projects: u64,
    pub dmps: u64,
    pub tasks: u64,
}

impl From<ResetSummary> for ResetOut {
    fn from(r: ResetSummary) -> Self {
        Self {
            users: r.users,
            projects: r.projects,
            dmps: r.dmps,
            tasks: r.tasks,
        }
    }
}

#[derive(ApiResponse)]
pub enum CreatedResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<Created>),
}

#[derive(ApiResponse)]
pub enum BackupFile {
    /// A consistent snapshot of the whole database (a redb file).
    #[oai(status = 200, content_type = "application/octet-stream")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// Runs `f` on the blocking pool for an administrator (`Admin` is the check).
async fn as_admin<T, F>(state: &ApiState, _admin: Admin, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Services) -> Result<T, ServiceError> + Send + 'static,
{
    state.run(f).await
}

fn done(msg: String) -> Json<Done> {
    Json(Done { ok: true, msg })
}

pub struct AdminApi;

#[OpenApi(tag = "AdminTags::Admin", prefix_path = "/admin")]
impl AdminApi {
    /// Every user, with their projects.
    #[oai(path = "/users", method = "get", operation_id = "adminListUsers")]
    async fn list_users(
        &self,
        state: Data<&ApiState>,
        auth: Admin,
    ) -> Result<Json<Vec<UserOut>>, ApiError> {
        let users = as_admin(&state, auth, |s| s.list_users()).await?;
        Ok(Json(
            users
                .into_iter()
                .map(|u| UserOut {
                    id: u.id,
                    username: u.username,
                    email: u.email,
                    admin: u.admin,
                    created: iso8601(u.created),
                    projects: u.projects,
                })
                .collect(),
        ))
    }

    /// Create a user (or an administrator with `"admin": true`).
    #[oai(path = "/users", method = "post", operation_id = "adminCreateUser")]
    async fn create_user(
        &self,
        state: Data<&ApiState>,
        auth: Admin,
        body: Json<NewUser>,
    ) -> Result<CreatedResponse, ApiError> {
        let Admin(_) = auth;
        let NewUser {
            username,
            email,
            password,
            admin,
        } = body.0;
        let name = username.clone();
        let id = state
            .run_hashing(move |s| s.create_user(&username, Some(&email), &password, admin))
            .await?;
        Ok(CreatedResponse::Created(Json(Created {
            id: id.0,
            ok: true,
            msg: format!("created user {name}"),
        })))
    }

    /// Delete a user with their plans, tasks and documents.
    #[oai(
        path = "/users/:username",
        method = "delete",
        operation_id = "adminDeleteUser"
    )]
    async fn delete_user(
        &self,
        state: Data<&ApiState>,
        auth: Admin,
        username: Path<String>,
    ) -> Result<Json<UserDeleted>, ApiError> {
        let d = as_admin(&state, auth, move |s| s.delete_user(&username.0)).await?;
        Ok(Json(UserDeleted {
            ok: true,
            dmps: d.dmps as u64,
            tasks: d.tasks as u64,
            files: d.files as u64,
        }))
    }

    /// Set a user's password; their tokens stop working.
    #[oai(
        path = "/users/:username/password",
        method = "put",
        operation_id = "adminSetPassword"
    )]
    async fn set_password(
        &self,
        state: Data<&ApiState>,
        auth: Admin,
        username: Path<String>,
        body: Json<NewPassword>,
    ) -> Result<Json<Done>, ApiError> {
        let Admin(_) = auth;
        let name = username.0.clone();
        state
            .run_hashing(move |s| s.set_password(&username.0, &body.0.password))
            .await?;
        Ok(done(format!("password of {name} changed")))
    }

    /// Every project, with its member count.
    #[oai(path = "/projects", method = "get", operation_id = "adminListProjects")]
    async fn list_projects(
        &self,
        state: Data<&ApiState>,
        auth: Admin,
    ) -> Result<Json<Vec<ProjectOut>>, ApiError> {
        let projects = as_admin(&state, auth, |s| s.list_projects()).await?;
        Ok(Json(
            projects
                .into_iter()
                .map(|p| ProjectOut {
                    id: p.id,
                    name: p.name,
                    description: p.description,
                    members: p.members as u64,
                })
                .collect(),
        ))
    }

    /// Create a project.
    #[oai(
        path = "/projects",
        method = "post",
        operation_id = "adminCreateProject"
    )]
    async fn create_project(
        &self,
        state: Data<&ApiState>,
        auth: Admin,
        body: Json<NewProject>,
    ) -> Result<CreatedResponse, ApiError> {
        let name = body.0.name.clone();
        let id = as_admin(&state, auth, move |s| {
            s.create_project(&body.0.name, &body.0.description)
        })
        .await?;
        Ok(CreatedResponse::Created(Json(Created {
            id,
            ok: true,
            msg: format!("created project {name}"),
        })))
    }

    /// Delete a project and its memberships (users stay).
    #[oai(
        path = "/projects/:name",
        method = "delete",
        operation_id = "adminDeleteProject"
    )]
    async fn delete_project(
        &self,
        state: Data<&ApiState>,
        auth: Admin,
        name: Path<String>,
    ) -> Result<Json<Done>, ApiError> {
        let shown = name.0.clone();
        let n = as_admin(&state, auth, move |s| s.delete_project(&name.0)).await?;
        Ok(done(format!(
            "deleted project {shown} and {n} membership(s)"
        )))
    }

    /// Add a user to a project.
    #[oai(
        path = "/projects/:name/members/:username",
        method = "put",
        operation_id = "adminAddMember"
    )]
    async fn add_member(
        &self,
        state: Data<&ApiState>,
        auth: Admin,
        name: Path<String>,
        username: Path<String>,
    ) -> Result<Json<Done>, ApiError> {
        let msg = format!("{} is now a member of {}", username.0, name.0);
        as_admin(&state, auth, move |s| s.add_member(&username.0, &name.0)).await?;
        Ok(done(msg))
    }

    /// Remove a user from a project.
    #[oai(
        path = "/projects/:name/members/:username",
        method = "delete",
        operation_id = "adminRemoveMember"
    )]
    async fn remove_member(
        &self,
        state: Data<&ApiState>,
        auth: Admin,
        name: Path<String>,
        username: Path<String>,
    ) -> Result<Json<Done>, ApiError> {
        let msg = format!("{} is no longer a member of {}", username.0, name.0);
        as_admin(&state, auth, move |s| s.remove_member(&username.0, &name.0)).await?;
        Ok(done(msg))
    }

    /// Download a consistent backup of the whole database (serving goes on).
    #[oai(path = "/backup", method = "get", operation_id = "adminBackup")]
    async fn backup(&self, state: Data<&ApiState>, auth: Admin) -> Result<BackupFile, ApiError> {
        let bytes = as_admin(&state, auth, |s| {
            let tmp = s.data_dir().join(format!(
                ".http-backup-{}.redb",
                crate::domain::ObjectId::generate()
            ));
            let result = s.backup_to(&tmp).and_then(|()| {
                std::fs::read(&tmp).map_err(|e| ServiceError::io("reading the backup", e))
            });
            let _ = std::fs::remove_file(&tmp);
            result
        })
        .await?;
        let name = format!(
            "dmptool-backup-{}.redb",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        );
        Ok(BackupFile::Ok(
            Binary(bytes),
            format!("attachment; filename=\"{name}\""),
        ))
    }

    /// Delete ALL data. The body must be `{"confirm": "delete everything"}`.
    #[oai(path = "/reset", method = "post", operation_id = "adminReset")]
    async fn reset(
        &self,
        state: Data<&ApiState>,
        auth: Admin,
        body: Json<ResetConfirm>,
    ) -> Result<Json<ResetOut>, ApiError> {
        if &*body.0.confirm != "delete everything" {
            return Err(ServiceError::Invalid(
                "confirm with {\"confirm\": \"delete everything\"}".into(),
            )
            .into());
        }
        let r = as_admin(&state, auth, |s| s.reset_all()).await?;
        Ok(Json(r.into()))
    }
}

//! Sessions: `GET /login`, `DELETE /logout`, `PUT /changepassword`, `GET|POST /refresh`.

use poem::Request;
use poem_openapi::param::Header;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};

use poem::web::Data;

use super::ApiState;
use super::error::ApiError;
use super::payload::OptionalJson;
use super::security::{Authed, BasicAuth, Refresh, Session};
use crate::service::ServiceError;

#[derive(Tags)]
enum AuthTags {
    /// Logging in and out, tokens and passwords.
    Auth,
}

/// A project the user belongs to.
#[derive(Object)]
pub struct ProjectOut {
    pub name: String,
    pub description: String,
}

/// A successful login.
#[derive(Object)]
pub struct LoginResponse {
    pub username: String,
    pub email: Option<String>,
    /// The user's first project, or "none".
    pub project: String,
    /// Its description, or "".
    pub project_description: String,
    /// Every project of the user.
    pub projects: Vec<ProjectOut>,
    pub admin: bool,
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Accepted only by `/refresh`.
    pub refresh_token: String,
}

#[derive(Object)]
pub struct MessageResponse {
    pub msg: String,
}

#[derive(Object)]
pub struct RefreshResponse {
    pub access_token: String,
}

#[derive(Object)]
pub struct PasswordChanged {
    pub msg: String,
    /// Tokens of a new session: every token issued before the change stops working.
    pub access_token: String,
    pub refresh_token: String,
}

/// The current and the new password, when they are sent as a body rather than headers.
#[derive(Object)]
pub struct ChangePasswordBody {
    /// The caller's current password (or the `oldpassword` header).
    pub oldpassword: Option<super::scalars::Text>,
    /// The new password (or the `newpassword` header).
    pub newpassword: Option<super::scalars::Text>,
}

pub struct AuthApi;

#[OpenApi(tag = "AuthTags::Auth")]
impl AuthApi {
    /// Log in with HTTP Basic credentials; returns the user's profile and tokens.
    ///
    /// Repeated failures for one account or from one address are answered with 429 and a
    /// `Retry-After` header for a short while.
    #[oai(path = "/login", method = "get", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&ApiState>,
        auth: BasicAuth,
        req: &Request,
    ) -> Result<Json<LoginResponse>, ApiError> {
        let ip = state.client_ip(req);
        let BasicAuth(basic) = auth;
        // Checked here too, before waiting for a hashing slot.
        crate::domain::Username::parse(&basic.username).map_err(ServiceError::from)?;
        let out = state
            .run_hashing(move |s| s.login(&basic.username, &basic.password, ip))
            .await?;
        if let Some(slot) = req.data::<super::middleware::UserSlot>() {
            slot.set(&out.username);
        }
        let (project, project_description) = out
            .projects
            .first()
            .map(|p| (p.name.clone(), p.description.clone()))
            .unwrap_or_else(|| ("none".into(), String::new()));
        Ok(Json(LoginResponse {
            username: out.username,
            email: out.email,
            project,
            project_description,
            projects: out
                .projects
                .into_iter()
                .map(|p| ProjectOut {
                    name: p.name,
                    description: p.description,
                })
                .collect(),
            admin: out.admin,
            access_token: out.tokens.access_token,
            refresh_token: out.tokens.refresh_token,
        }))
    }

    /// Log out: revokes the presented access token and the refresh token of its session.
    #[oai(path = "/logout", method = "delete", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&ApiState>,
        auth: Session,
    ) -> Result<Json<MessageResponse>, ApiError> {
        let Session(claims) = auth;
        state.run(move |s| s.logout(&claims)).await?;
        Ok(Json(MessageResponse {
            msg: "logged out".into(),
        }))
    }

    /// Change the caller's password: the current one in the `oldpassword` header or JSON
    /// field, the new one in `newpassword` (header or field). A missing or wrong current
    /// password answers 403 and changes nothing; repeated wrong ones are throttled (429).
    /// Tokens issued before stop working; new ones are returned.
    #[oai(
        path = "/changepassword",
        method = "put",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        oldpassword: Header<Option<String>>,
        newpassword: Header<Option<String>>,
        body: OptionalJson<ChangePasswordBody>,
        req: &Request,
    ) -> Result<Json<PasswordChanged>, ApiError> {
        let (old_field, new_field) = body
            .0
            .map(|b| (b.oldpassword.map(|t| t.0), b.newpassword.map(|t| t.0)))
            .unwrap_or_default();
        let new = newpassword.0.or(new_field).ok_or_else(|| {
            ApiError::from(ServiceError::Invalid(
                "give the new password in the 'newpassword' header or as {\"newpassword\": \"...\"}".into(),
            ))
        })?;
        let old = oldpassword.0.or(old_field).ok_or_else(|| {
            ApiError::from(ServiceError::Forbidden(
                "give your current password in the 'oldpassword' header or as {\"oldpassword\": \"...\"}; nothing was changed".into(),
            ))
        })?;
        let ip = state.client_ip(req);
        let Authed(caller) = auth;
        let tokens = state
            .run_hashing(move |s| s.change_password(&caller, &old, &new, ip))
            .await?;
        Ok(Json(PasswordChanged {
            msg: "password changed".into(),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
        }))
    }

    /// A new access token for the session of a refresh token.
    #[oai(path = "/refresh", method = "get", operation_id = "refresh")]
    async fn refresh(
        &self,
        state: Data<&ApiState>,
        auth: Refresh,
    ) -> Result<Json<RefreshResponse>, ApiError> {
        let (_, access_token) = state.run(move |s| s.refresh(&auth.0)).await?;
        Ok(Json(RefreshResponse { access_token }))
    }

    /// Same as `GET /refresh`.
    #[oai(path = "/refresh", method = "post", operation_id = "refreshPost")]
    async fn refresh_post(
        &self,
        state: Data<&ApiState>,
        auth: Refresh,
    ) -> Result<Json<RefreshResponse>, ApiError> {
        self.refresh(state, auth).await
    }
}

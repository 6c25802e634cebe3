//! Authentication as types in handler signatures (warpgate's admin scheme is the model):
//! holding one of these values *is* the check, and an operation that takes one is never
//! called without it. Each checker verifies the token's signature, algorithm, expiry and
//! kind, then resolves the caller behind it: the database epoch the token was issued
//! under, its session not logged out, the user still there, and the user's token
//! generation (bumped by a password change) current. Anything else is a 401 (a 403 for a
//! non-administrator at `Admin`), answered before the handler runs.
//!
//! The caller is resolved on the calling async worker: two point reads, which never wait
//! for a writer (redb readers do not block).

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Basic, Bearer};

use super::ApiState;
use super::error::{ApiError, refusal};
use super::middleware::UserSlot;
use crate::service::tokens::{Claims, TokenKind};
use crate::service::{Caller, ServiceError};

// Resolved to a caller whose session and account are valid.
/// An access token (`Authorization: Bearer <access_token>`), from `GET /login`.
#[derive(SecurityScheme)]
#[oai(
    rename = "BearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "check_authed"
)]
pub struct Authed(pub Caller);

// As `Authed`, and 403 for anyone but an administrator. (The doc line is the
// scheme's description in the OpenAPI document: one scheme, `BearerAuth`, three checks.)
/// An access token (`Authorization: Bearer <access_token>`), from `GET /login`.
#[derive(SecurityScheme)]
#[oai(
    rename = "BearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "check_admin"
)]
pub struct Admin(pub Caller);

// As `Authed`, giving its claims (the session they belong to), for operations on the
// session itself (`DELETE /logout`).
/// An access token (`Authorization: Bearer <access_token>`), from `GET /login`.
#[derive(SecurityScheme)]
#[oai(
    rename = "BearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "check_session"
)]
pub struct Session(pub Claims);

// Its session and account are checked like an access token's.
/// A refresh token (`Authorization: Bearer <refresh_token>`), accepted only by `/refresh`.
#[derive(SecurityScheme)]
#[oai(
    rename = "RefreshAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "check_refresh"
)]
pub struct Refresh(pub Claims);

/// Username and password (`Authorization: Basic ...`), accepted only by `GET /login`.
#[derive(SecurityScheme)]
#[oai(ty = "basic")]
pub struct BasicAuth(pub Basic);

// Its signature is checked against the file it names when the file is opened.
/// A signed download capability (`?sig=`), as found in a task's `url_docx` / `url_pdf`.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "sig", key_in = "query")]
pub struct SignedLink(pub ApiKey);

/// Downloads take either the owner's access token (resolved like `Authed`) or a signed link.
#[derive(SecurityScheme)]
pub enum DownloadAuth {
    Bearer(Authed),
    Signed(SignedLink),
}

/// Verifies `token` as a `kind` token and resolves its caller.
fn resolve(req: &Request, token: &str, kind: TokenKind) -> poem::Result<(Claims, Caller)> {
    let refuse = |e: ServiceError| refusal(req, ApiError::from(e));
    let state = req
        .data::<ApiState>()
        .ok_or_else(|| refuse(ServiceError::fault("API state not attached")))?;
    let claims = state.services.verify_token(token, kind).map_err(refuse)?;
    if let Some(slot) = req.data::<UserSlot>() {
        slot.set(&claims.name);
    }
    let caller = state.services.caller(&claims).map_err(refuse)?;
    Ok((claims, caller))
}

async fn check_authed(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    Ok(resolve(req, &bearer.token, TokenKind::Access)?.1)
}

async fn check_admin(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let (_, caller) = resolve(req, &bearer.token, TokenKind::Access)?;
    if !caller.admin {
        let e = ServiceError::Forbidden("administrators only".into());
        return Err(refusal(req, ApiError::from(e)));
    }
    Ok(caller)
}

async fn check_session(req: &Request, bearer: Bearer) -> poem::Result<Claims> {
    Ok(resolve(req, &bearer.token, TokenKind::Access)?.0)
}

async fn check_refresh(req: &Request, bearer: Bearer) -> poem::Result<Claims> {
    Ok(resolve(req, &bearer.token, TokenKind::Refresh)?.0)
}

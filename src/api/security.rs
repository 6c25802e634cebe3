//! Authentication as types in handler signatures: holding a `BearerAuth` means the access
//! token's signature, algorithm, expiry and kind were checked. Whether its session is
//! revoked and its user still valid is checked by `ApiState::caller` in the same blocking
//! call as the operation, so every operation that takes a `BearerAuth` turns it into a
//! `Caller` before doing anything.

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Basic, Bearer};

use super::ApiState;
use super::error::ApiError;
use super::middleware::UserSlot;
use crate::service::ServiceError;
use crate::service::tokens::{Claims, TokenKind};

/// An access token (`Authorization: Bearer <access_token>`), from `GET /login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_access")]
pub struct BearerAuth(pub Claims);

/// A refresh token (`Authorization: Bearer <refresh_token>`), accepted only by `/refresh`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_refresh")]
pub struct RefreshAuth(pub Claims);

/// Username and password (`Authorization: Basic ...`), accepted only by `GET /login`.
#[derive(SecurityScheme)]
#[oai(ty = "basic")]
pub struct BasicAuth(pub Basic);

/// A signed download capability (`?sig=`), as found in a task's `url_docx` / `url_pdf`.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "sig", key_in = "query")]
pub struct SignedLink(pub ApiKey);

/// Downloads take either the owner's access token or a signed link.
#[derive(SecurityScheme)]
pub enum DownloadAuth {
    Bearer(BearerAuth),
    Signed(SignedLink),
}

fn check(req: &Request, token: &str, kind: TokenKind) -> poem::Result<Claims> {
    let state = req
        .data::<ApiState>()
        .ok_or_else(|| ApiError::from(ServiceError::Internal("API state not attached".into())))?;
    let claims = state
        .services
        .verify_token(token, kind)
        .map_err(ApiError::from)?;
    if let Some(slot) = req.data::<UserSlot>() {
        slot.set(&claims.name);
    }
    Ok(claims)
}

async fn check_access(req: &Request, bearer: Bearer) -> poem::Result<Claims> {
    check(req, &bearer.token, TokenKind::Access)
}

async fn check_refresh(req: &Request, bearer: Bearer) -> poem::Result<Claims> {
    check(req, &bearer.token, TokenKind::Refresh)
}

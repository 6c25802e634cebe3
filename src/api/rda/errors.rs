//! The RDA Common maDMP API's error model: `{error_code, error_message}`, one code per
//! kind of failure. Service errors reach it through `ApiError` (mapped in `api::error`);
//! here only the body changes shape.

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use crate::api::error::{ApiError, ErrorBody};

/// An error as the RDA Common maDMP API describes it.
#[derive(Object, Debug, Clone)]
#[oai(rename = "RdaError")]
pub struct RdaErrorBody {
    /// `bad_request`, `invalid_query_string`, `dmp_invalid`, `authentication_required`,
    /// `insufficient_permissions`, `dmp_not_found`, `not_acceptable`, `dmp_stale`,
    /// `dmp_already_exists`, `conflict`, `unsupported_media_type` or `generic_error`.
    pub error_code: String,
    /// What went wrong, in English.
    pub error_message: String,
}

/// Every error an RDA operation can answer with.
#[derive(ApiResponse, Debug)]
pub enum RdaError {
    /// Bad request: `invalid_query_string` (list parameters), `dmp_invalid` (the document
    /// breaks the maDMP schema of its version; the message names the JSON pointer), or `bad_request`.
    #[oai(status = 400)]
    BadRequest(Json<RdaErrorBody>),
    /// `authentication_required`: no valid bearer token.
    #[oai(status = 401)]
    AuthenticationRequired(Json<RdaErrorBody>),
    /// `insufficient_permissions`.
    #[oai(status = 403)]
    Forbidden(Json<RdaErrorBody>),
    /// `dmp_not_found`: no such DMP, or not the caller's.
    #[oai(status = 404)]
    NotFound(Json<RdaErrorBody>),
    /// `not_acceptable`: the `Accept` header allows none of
    /// `application/vnd.org.rd-alliance.dmp-common.v1.3+json`, `...v1.2+json` and
    /// `application/json` (or not the version asked for with `version`).
    #[oai(status = 406)]
    NotAcceptable(Json<RdaErrorBody>),
    /// A conflict: `dmp_stale` (`If-Match` or `If-Unmodified-Since` does not hold any
    /// more: the DMP changed since; nothing was written), `dmp_already_exists` (a create
    /// whose `dmp_id` is that of one of the caller's DMPs), or `conflict` (any other).
    #[oai(status = 409)]
    Conflict(Json<RdaErrorBody>),
    /// `bad_request`: the body is larger than the server accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<RdaErrorBody>),
    /// `unsupported_media_type`: the body is not maDMP JSON (v1.3, v1.2 or plain JSON).
    #[oai(status = 415)]
    UnsupportedMediaType(Json<RdaErrorBody>),
    /// `generic_error`: too many requests; try again later.
    #[oai(status = 429)]
    TooManyRequests(Json<RdaErrorBody>),
    /// `generic_error`: a fault of the server.
    #[oai(status = 500)]
    Internal(Json<RdaErrorBody>),
    /// `generic_error`: the server cannot take writes right now.
    #[oai(status = 503)]
    Unavailable(Json<RdaErrorBody>),
    /// `generic_error`: the server's disk is full.
    #[oai(status = 507)]
    InsufficientStorage(Json<RdaErrorBody>),
}

/// The error code for a status. `pointer` says a document broke the schema; `query`
/// says the request was a listing (so a 400 is about its query string).
pub fn code_for(status: StatusCode, pointer: bool, query: bool) -> &'static str {
    match status.as_u16() {
        400 if pointer => "dmp_invalid",
        400 if query => "invalid_query_string",
        400 | 413 => "bad_request",
        401 => "authentication_required",
        403 => "insufficient_permissions",
        404 => "dmp_not_found",
        406 => "not_acceptable",
        409 => "conflict",
        415 => "unsupported_media_type",
        _ => "generic_error",
    }
}

fn rda(status: StatusCode, b: ErrorBody, query: bool) -> Json<RdaErrorBody> {
    Json(RdaErrorBody {
        error_code: b
            .code
            .unwrap_or_else(|| code_for(status, b.pointer.is_some(), query))
            .to_owned(),
        error_message: b.error,
    })
}

impl RdaError {
    /// The RDA form of an API error; `query` marks errors of a listing's parameters.
    pub fn from_api(e: ApiError, query: bool) -> Self {
        use ApiError as A;
        let s = |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match e {
            A::BadRequest(Json(b)) => RdaError::BadRequest(rda(s(400), b, query)),
            A::Unauthorized(Json(b)) => RdaError::AuthenticationRequired(rda(s(401), b, false)),
            A::Forbidden(Json(b)) => RdaError::Forbidden(rda(s(403), b, false)),
            A::NotFound(Json(b)) => RdaError::NotFound(rda(s(404), b, false)),
            A::Conflict(Json(b)) => RdaError::Conflict(rda(s(409), b, false)),
            // The RDA API answers a stale precondition with its own conflict code.
            A::PreconditionFailed(Json(mut b)) => {
                b.code = Some("dmp_stale");
                RdaError::Conflict(rda(s(409), b, false))
            }
            A::PayloadTooLarge(Json(b)) => RdaError::PayloadTooLarge(rda(s(413), b, false)),
            A::UnsupportedMediaType(Json(b)) => {
                RdaError::UnsupportedMediaType(rda(s(415), b, false))
            }
            A::TooManyRequests(Json(b), _) => RdaError::TooManyRequests(rda(s(429), b, false)),
            A::Internal(Json(b)) => RdaError::Internal(rda(s(500), b, false)),
            A::Unavailable(Json(b)) => RdaError::Unavailable(rda(s(503), b, false)),
            A::InsufficientStorage(Json(b)) => RdaError::InsufficientStorage(rda(s(507), b, false)),
        }
    }

    /// A 400 about the request (a header or parameter the server cannot read).
    pub fn bad_request(msg: impl Into<String>, query: bool) -> Self {
        RdaError::BadRequest(Json(RdaErrorBody {
            error_code: if query {
                "invalid_query_string"
            } else {
                "bad_request"
            }
            .to_owned(),
            error_message: msg.into(),
        }))
    }
}

impl From<ApiError> for RdaError {
    fn from(e: ApiError) -> Self {
        RdaError::from_api(e, false)
    }
}

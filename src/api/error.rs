//! The one place where errors become HTTP: every service error maps to a status here, and
//! every error body is `{"error": "..."}`. A 500 logs its cause and shows a generic message.

use poem::Response;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use crate::service::ServiceError;

/// The body of every error response.
#[derive(Object, Debug, Clone)]
pub struct ErrorBody {
    /// What went wrong, for a person to read.
    pub error: String,
    /// For a document that breaks a schema: the JSON pointer (RFC 6901) of the first
    /// offending value ("" is the document itself).
    #[oai(skip_serializing_if_is_none)]
    pub pointer: Option<String>,
    /// The RDA error code this error takes under `/rda` when the status alone does not
    /// say it (`dmp_stale`, `dmp_already_exists`); never sent in this shape.
    #[oai(skip)]
    pub code: Option<&'static str>,
    /// For a write refused by `If-Match` (412): the plan's current revision.
    #[oai(skip_serializing_if_is_none)]
    pub revision: Option<u64>,
    /// For a write refused by `If-Match` (412): the parts changed since the revision named.
    #[oai(skip_serializing_if_is_none)]
    pub changed: Option<Vec<String>>,
}

pub fn body(msg: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        error: msg.into(),
        pointer: None,
        code: None,
        revision: None,
        changed: None,
    })
}

fn coded(msg: String, code: &'static str) -> Json<ErrorBody> {
    Json(ErrorBody {
        error: msg,
        pointer: None,
        code: Some(code),
        revision: None,
        changed: None,
    })
}

/// Every error an operation can answer with.
#[derive(ApiResponse, Debug)]
pub enum ApiError {
    /// Malformed request: bad JSON, bad id, missing or invalid field.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Missing, expired, forged or revoked credentials.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Authenticated but not allowed (administrator routes).
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such resource, or not yours.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Conflicts with existing data.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// `If-Match` names an older revision: nothing was written; the body carries the
    /// current `revision` and the parts `changed` since.
    #[oai(status = 412)]
    PreconditionFailed(Json<ErrorBody>),
    /// The body is larger than the configured limit.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The body is not JSON.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Too many failed logins or waiting document tasks: wait `Retry-After` seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// A fault of the server (details are in its log).
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The server cannot take writes right now.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
    /// The disk holding the data is full; reads still work.
    #[oai(status = 507)]
    InsufficientStorage(Json<ErrorBody>),
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(m) => ApiError::BadRequest(body(m)),
            ServiceError::NonConforming(v) => ApiError::BadRequest(Json(ErrorBody {
                error: v.to_string(),
                pointer: Some(v.pointer),
                code: None,
                revision: None,
                changed: None,
            })),
            ServiceError::Unauthorized(m) => ApiError::Unauthorized(body(m)),
            ServiceError::Forbidden(m) => ApiError::Forbidden(body(m)),
            ServiceError::NotFound(m) => ApiError::NotFound(body(m)),
            ServiceError::Conflict(m) => ApiError::Conflict(body(m)),
            ServiceError::Stale(m) => ApiError::Conflict(coded(m, "dmp_stale")),
            ServiceError::Outdated {
                message,
                revision,
                changed,
            } => ApiError::PreconditionFailed(Json(ErrorBody {
                error: message,
                pointer: None,
                code: None,
                revision: Some(revision),
                changed: Some(changed),
            })),
            ServiceError::AlreadyExists(m) => ApiError::Conflict(coded(m, "dmp_already_exists")),
            ServiceError::Throttled { retry_after } => ApiError::TooManyRequests(
                body(format!(
                    "too many failed login attempts; try again in {retry_after} s"
                )),
                retry_after,
            ),
            ServiceError::Limited {
                message,
                retry_after,
            } => ApiError::TooManyRequests(body(message), retry_after),
            e if e.is_disk_full() => ApiError::InsufficientStorage(body(
                "the server's disk is full; the change was not saved",
            )),
            e if e.is_busy() => ApiError::Unavailable(body("the database is busy; try again")),
            e => {
                // The chain of causes goes to the log (inside the request's span), never
                // to the client.
                tracing::error!(error = %crate::service::chain(&e), "internal error");
                ApiError::Internal(body("internal server error"))
            }
        }
    }
}

/// Which error shape a request is answered in: `{"error": ...}`, or under `/rda` the RDA
/// model's `{error_code, error_message}` (`listing`: a 400 there is about the query string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    Plain,
    Rda { listing: bool },
}

impl Surface {
    /// The surface a request belongs to (preflights are answered in the plain shape).
    pub fn of(req: &poem::Request) -> Self {
        let path = req.uri().path();
        if req.method() == poem::http::Method::OPTIONS || !super::rda::negotiate::is_rda_path(path)
        {
            return Surface::Plain;
        }
        Surface::Rda {
            listing: req.method() == poem::http::Method::GET
                && path.trim_end_matches('/') == "/rda/dmps",
        }
    }
}

/// Writes an error body: the one place that does, for every surface. `pointer` is the
/// JSON pointer of a schema violation; `code` an RDA error code the status alone does not
/// give.
pub fn error_response(
    status: StatusCode,
    surface: Surface,
    message: &str,
    pointer: Option<&str>,
    code: Option<&str>,
) -> Response {
    let body = match surface {
        Surface::Plain => match pointer {
            Some(p) => serde_json::json!({ "error": message, "pointer": p }),
            None => serde_json::json!({ "error": message }),
        },
        Surface::Rda { listing } => {
            let code = code.unwrap_or_else(|| {
                super::rda::errors::code_for(status, pointer.is_some(), listing)
            });
            serde_json::json!({ "error_code": code, "error_message": message })
        }
    };
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string())
}

/// An error of the plain surface.
pub fn json_error(status: StatusCode, msg: &str) -> Response {
    error_response(status, Surface::Plain, msg, None, None)
}

/// An `ApiError` as a `poem::Error` in the shape of the request's surface (for errors raised
/// outside an operation's own result: the security schemes).
pub fn refusal(req: &poem::Request, e: ApiError) -> poem::Error {
    match Surface::of(req) {
        Surface::Plain => e.into(),
        Surface::Rda { listing } => super::rda::errors::RdaError::from_api(e, listing).into(),
    }
}

/// Turns any error that escaped the operations (routing, parsing, limits) into the JSON
/// error shape of the request's surface, keeping its status. Errors already answered by an
/// operation (or a security scheme) pass as they are.
pub struct JsonErrors;

impl<E: poem::Endpoint> poem::Middleware<E> for JsonErrors {
    type Output = JsonErrorsEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        JsonErrorsEndpoint(ep)
    }
}

pub struct JsonErrorsEndpoint<E>(E);

impl<E: poem::Endpoint> poem::Endpoint for JsonErrorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: poem::Request) -> poem::Result<Response> {
        use poem::IntoResponse;
        let surface = Surface::of(&req);
        match self.0.call(req).await {
            Ok(r) => Ok(r.into_response()),
            Err(err) => Ok(to_json(err, surface)),
        }
    }
}

fn to_json(err: poem::Error, surface: Surface) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let msg = match status {
        StatusCode::NOT_FOUND => "not found".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this route".to_owned(),
        StatusCode::UNAUTHORIZED => "missing or invalid credentials".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large".to_owned(),
        s if s.is_server_error() => {
            tracing::error!(error = %err, "internal error");
            "internal server error".to_owned()
        }
        _ => err.to_string(),
    };
    error_response(status, surface, &msg, None, None)
}

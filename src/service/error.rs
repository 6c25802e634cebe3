//! Errors of the service layer: what went wrong in terms of the rules. The HTTP layer maps
//! each variant to a status code in one place (`api::error`); the CLI prints the message.

use crate::domain::InvalidValue;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is malformed or breaks a rule (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// No valid credentials (HTTP 401).
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but not allowed (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// Absent, or not the caller's to see (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// Clashes with what exists: a taken name, a relation already there (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// A write's precondition (`If-Match`, `If-Unmodified-Since`) no longer holds: the
    /// record changed since the client read it (HTTP 409, RDA `dmp_stale`).
    #[error("{0}")]
    Stale(String),
    /// A create names a record that exists already (HTTP 409, RDA `dmp_already_exists`).
    #[error("{0}")]
    AlreadyExists(String),
    /// A maDMP document that does not conform to the schema (HTTP 400, with its pointer).
    #[error(transparent)]
    NonConforming(#[from] crate::madmp::Violation),
    /// Too many failed logins; retry after this many seconds (HTTP 429).
    #[error("too many failed login attempts; try again in {retry_after} s")]
    Throttled { retry_after: u64 },
    /// A limit on what one user may have at once is reached (HTTP 429).
    #[error("{message}")]
    Limited { message: String, retry_after: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A fault of ours; the message is logged, not shown to clients.
    #[error("{0}")]
    Internal(String),
}

impl From<InvalidValue> for ServiceError {
    fn from(e: InvalidValue) -> Self {
        ServiceError::Invalid(e.0)
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

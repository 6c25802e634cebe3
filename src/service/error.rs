//! Errors of the service layer: what went wrong in terms of the rules. The HTTP layer maps
//! each variant to a status code in one place (`api::error`); the CLI prints the message.

use crate::domain::InvalidValue;
use crate::domain::precondition::Stale;
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
    /// A write's `If-Match` names an older revision of the plan (HTTP 412): nothing was
    /// written. `revision` is the current one; `changed`, the parts changed since the one
    /// named (all of them when it names none the server knows).
    #[error("{message}")]
    Outdated {
        message: String,
        revision: u64,
        changed: Vec<String>,
    },
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
    // Faults of ours (HTTP 500): the message is logged with its causes, never shown to
    // clients. Each keeps what caused it as its `source`.
    /// A file could not be read or written.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A value could not be encoded or decoded as JSON.
    #[error("{context}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
    /// A token could not be signed.
    #[error("signing a token")]
    Token(#[source] jsonwebtoken::errors::Error),
    /// A password could not be hashed.
    #[error("hashing a password")]
    Password(#[source] PasswordFault),
    /// The embedded maDMP schema could not be used, or an export broke it.
    #[error("maDMP")]
    Madmp(#[source] crate::madmp::MadmpError),
    /// A funder template could not be used.
    #[error("a template")]
    Template(#[source] crate::render::template::TemplateError),
    /// Work on the blocking pool did not finish (it panicked or was cancelled).
    #[error("{context}")]
    Task {
        context: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
    /// Something that must hold did not (an index naming a missing record...), or another
    /// process (the server behind the admin socket) reported a fault of its own.
    #[error("{0}")]
    Fault(String),
}

/// What argon2 or its PHC encoding reported.
#[derive(Debug, thiserror::Error)]
pub enum PasswordFault {
    #[error(transparent)]
    Argon2(#[from] argon2::Error),
    #[error(transparent)]
    Phc(#[from] argon2::password_hash::Error),
}

impl ServiceError {
    /// A fault of ours that has no underlying error.
    pub fn fault(msg: impl Into<String>) -> Self {
        ServiceError::Fault(msg.into())
    }

    /// A file operation that failed, with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        ServiceError::Io {
            context: context.into(),
            source,
        }
    }

    /// JSON that could not be encoded or decoded, with what it was.
    pub fn json(context: impl Into<String>, source: serde_json::Error) -> Self {
        ServiceError::Json {
            context: context.into(),
            source,
        }
    }

    /// Whether the disk holding the data is full (HTTP 507; a task's documents cannot be
    /// saved). Callers above the service layer ask this instead of matching `StoreError`.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, ServiceError::Store(StoreError::DiskFull))
    }

    /// Whether the database cannot take the request right now (HTTP 503): held by another
    /// process, or being reopened after an I/O failure.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            ServiceError::Store(StoreError::Locked { .. } | StoreError::Unavailable)
        )
    }

    /// Whether this is a fault of ours (logged with its causes; HTTP 500).
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            ServiceError::Store(_)
                | ServiceError::Io { .. }
                | ServiceError::Json { .. }
                | ServiceError::Token(_)
                | ServiceError::Password(_)
                | ServiceError::Madmp(_)
                | ServiceError::Template(_)
                | ServiceError::Task { .. }
                | ServiceError::Fault(_)
        )
    }
}

impl From<crate::madmp::MadmpError> for ServiceError {
    fn from(e: crate::madmp::MadmpError) -> Self {
        match e {
            crate::madmp::MadmpError::Violation(v) => ServiceError::NonConforming(v),
            other => ServiceError::Madmp(other),
        }
    }
}

/// An error with its causes, outermost first: `writing x: No space left on device`. For
/// the log and for the CLI's one line.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        // A transparent wrapper repeats its source's text: say it once.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

impl From<Stale> for ServiceError {
    fn from(e: Stale) -> Self {
        ServiceError::Stale(e.0)
    }
}

impl From<InvalidValue> for ServiceError {
    fn from(e: InvalidValue) -> Self {
        ServiceError::Invalid(e.0)
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_keeps_its_chain_of_causes() {
        let io = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let cause = io.to_string();
        let e = ServiceError::io("cannot write /d/x.docx", io);
        assert!(e.is_fault());
        assert_eq!(e.to_string(), "cannot write /d/x.docx");
        let source = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some(cause.as_str()));
        assert_eq!(chain(&e), format!("cannot write /d/x.docx: {cause}"));
        // A transparent wrapper is not said twice.
        let store = ServiceError::Store(crate::store::StoreError::DiskFull);
        assert_eq!(chain(&store), store.to_string());
        assert!(!ServiceError::NotFound("x".into()).is_fault());
    }
}

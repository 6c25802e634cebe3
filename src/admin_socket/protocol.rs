//! Wire format of the admin socket: one JSON line each way, and for backup and restore a
//! database file's bytes after the line, their count given in it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::service::ServiceError;
use crate::service::admin::AdminRequest;

/// Largest request line accepted.
pub const MAX_LINE: usize = 1024 * 1024;

/// What the CLI sends.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Frame {
    Op {
        request: AdminRequest,
    },
    /// Send back a snapshot of the database (its bytes follow the reply).
    Backup,
    /// Replace all data with the backup whose `size` bytes follow this line.
    Restore {
        size: u64,
    },
}

/// What the server answers.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reply {
    pub ok: bool,
    #[serde(default)]
    pub data: Value,
    #[serde(default)]
    pub error: Option<ErrorReply>,
    /// Bytes that follow the line (a backup).
    #[serde(default)]
    pub payload: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorReply {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    Invalid,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    Internal,
}

impl Reply {
    pub fn ok(data: Value, payload: u64) -> Self {
        Self {
            ok: true,
            data,
            error: None,
            payload,
        }
    }

    pub fn from_error(e: &ServiceError) -> Self {
        let kind = match e {
            ServiceError::Invalid(_) | ServiceError::NonConforming(_) => ErrorKind::Invalid,
            ServiceError::Unauthorized(_) | ServiceError::Throttled { .. } => {
                ErrorKind::Unauthorized
            }
            ServiceError::Forbidden(_) => ErrorKind::Forbidden,
            ServiceError::NotFound(_) => ErrorKind::NotFound,
            ServiceError::Conflict(_)
            | ServiceError::Stale(_)
            | ServiceError::AlreadyExists(_)
            | ServiceError::Limited { .. } => ErrorKind::Conflict,
            e if e.is_fault() => ErrorKind::Internal,
            _ => ErrorKind::Internal,
        };
        Self {
            ok: false,
            data: Value::Null,
            error: Some(ErrorReply {
                kind,
                message: crate::service::chain(e),
            }),
            payload: 0,
        }
    }

    /// The reply as the service result it stands for.
    pub fn into_result(self) -> Result<Value, ServiceError> {
        if self.ok {
            return Ok(self.data);
        }
        let err = self.error.unwrap_or(ErrorReply {
            kind: ErrorKind::Internal,
            message: "the server gave no reason".into(),
        });
        Err(match err.kind {
            ErrorKind::Invalid => ServiceError::Invalid(err.message),
            ErrorKind::Unauthorized => ServiceError::Unauthorized(err.message),
            ErrorKind::Forbidden => ServiceError::Forbidden(err.message),
            ErrorKind::NotFound => ServiceError::NotFound(err.message),
            ErrorKind::Conflict => ServiceError::Conflict(err.message),
            ErrorKind::Internal => ServiceError::Fault(err.message),
        })
    }
}

//! Errors of the storage layer.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {} is in use by another process: is a dmptool server already running on this data dir?",
        path.display()
    )]
    Locked { path: PathBuf },
    #[error(
        "the database was written by a newer dmptool (schema version {found}, this one knows up to {supported}); upgrade dmptool"
    )]
    SchemaTooNew { found: u64, supported: u64 },
    #[error("no space left on the device holding the database")]
    DiskFull,
    #[error("the database is being reopened after an I/O failure; try again")]
    Unavailable,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Db(#[source] redb::Error),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("the write could not be committed: {0}")]
    Commit(String),
}

/// Whether an I/O error says the disk is full (`ENOSPC`): the one place that knows.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(libc::ENOSPC)
}

impl StoreError {
    /// The same failure, for every writer whose write was in a commit that failed.
    pub(super) fn shared(&self) -> StoreError {
        match self {
            StoreError::DiskFull => StoreError::DiskFull,
            StoreError::Unavailable => StoreError::Unavailable,
            other => StoreError::Commit(other.to_string()),
        }
    }
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        if let redb::Error::Io(io) = &e
            && is_disk_full(io)
        {
            return StoreError::DiskFull;
        }
        if let redb::Error::PreviousIo = e {
            // redb refuses writes after an earlier I/O failure (here: a full disk) until
            // the database is opened again; the store does that once there is room.
            return StoreError::DiskFull;
        }
        if let redb::Error::DatabaseAlreadyOpen = e {
            return StoreError::Locked {
                path: PathBuf::new(),
            };
        }
        StoreError::Db(e)
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {
        $(impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::from(redb::Error::from(e))
            }
        })*
    };
}

from_redb!(
    redb::StorageError,
    redb::TableError,
    redb::TransactionError,
    redb::CommitError,
    redb::DatabaseError
);

//! Stored forms of records, kept apart from the domain types so the on-disk format changes
//! only through a migration. Values are JSON: compact enough (the DMP body is JSON anyway),
//! readable in an export, and tolerant of added fields.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use super::StoreError;
use crate::domain::{FileKind, TaskStatus};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserRecord {
    pub username: String,
    pub email: Option<String>,
    /// PHC string (`$argon2id$...`), or a legacy Werkzeug hash until first login.
    pub password_hash: String,
    pub admin: bool,
    pub created: i64,
    pub updated: i64,
    /// Bumped when the password changes: tokens carrying an older generation are refused.
    #[serde(default)]
    pub token_gen: u64,
    /// The id this account had in the legacy SQLite database, when it was imported from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_id: Option<i64>,
    /// The language the web editor speaks to this user (`en`, `es`), chosen with its
    /// picker. Optional with a default, so records written before it read as they are: no
    /// migration (and no schema version) is needed for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProjectRecord {
    pub name: String,
    pub description: String,
    pub created: i64,
    /// The id this project had in the legacy SQLite database, when it was imported from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DmpRecord {
    pub owner: u64,
    pub created: i64,
    pub updated: i64,
    /// Starts at 1 and grows with every update; a task records the version it renders.
    pub version: u64,
    pub doc: Map<String, Value>,
}

/// A DMP record with its document left as the JSON text it is stored as: for handing the
/// document out without building it in memory first.
#[derive(Debug, Deserialize)]
pub struct DmpRecordText {
    pub owner: u64,
    pub created: i64,
    pub updated: i64,
    pub version: u64,
    pub doc: Box<serde_json::value::RawValue>,
}

/// What a plan list shows of a plan without reading its document (schema 6): kept beside
/// every DMP record, rewritten with it in the same transaction (see `dmps::summarize`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DmpSummary {
    pub owner: u64,
    pub updated: i64,
    pub version: u64,
    /// The document's `name` when it is a string, else empty.
    pub title: String,
    /// The document's `template` when it is a string, trimmed, else empty (the default).
    pub template: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskRecord {
    /// DMP id, 24 hex characters.
    pub dmp: String,
    pub owner: u64,
    pub status: TaskStatus,
    pub created: i64,
    pub updated: i64,
    /// The DMP version the task renders (0 when unknown, e.g. imported tasks).
    #[serde(default)]
    pub dmp_version: u64,
    #[serde(default)]
    pub docx: Option<String>,
    #[serde(default)]
    pub pdf: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    /// The newer task of the same DMP whose documents replaced this one's (which are gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    /// What the render could not do as written (e.g. characters no font has), for the
    /// owner; set when the task is done. Records written before it read as empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What a task renders: a snapshot of its DMP at the time of the request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskInput {
    pub doc: Map<String, Value>,
    pub owner_name: String,
    pub version: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileRecord {
    pub owner: u64,
    /// DMP id, 24 hex characters.
    pub dmp: String,
    pub kind: FileKind,
    /// Name of the file under `<data>/documents/`, chosen by the server.
    pub disk_name: String,
    pub size: u64,
    pub created: i64,
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(format!("cannot encode record: {e}")))
}

pub fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what} record: {e}")))
}

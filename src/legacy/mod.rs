//! Reading a legacy deployment: the SQLite file of users and projects, and the
//! `mongoexport` dumps of the `dmps` and `tasks` collections. Everything is read into plain
//! values here; `service::legacy` decides what to import.

mod mongo;
mod sqlite;

use serde_json::{Map, Value};

pub use mongo::read_collection;
pub use sqlite::read_accounts;

#[derive(Debug, Clone)]
pub struct LegacyUser {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub email: Option<String>,
    pub admin: bool,
}

#[derive(Debug, Clone)]
pub struct LegacyProject {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
}

/// Users, projects and memberships from the SQLite file.
#[derive(Debug, Clone, Default)]
pub struct LegacyAccounts {
    pub users: Vec<LegacyUser>,
    pub projects: Vec<LegacyProject>,
    /// (user id, project id)
    pub relations: Vec<(i64, i64)>,
}

/// A document of a collection, Extended JSON already turned into plain JSON.
pub type Document = Map<String, Value>;

/// A collection as read: its documents, and the lines that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    pub documents: Vec<Document>,
    pub unreadable: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
}

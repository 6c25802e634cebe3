//! The nouns of dmptool: typed ids and validated values. Constructors validate, so a value
//! of one of these types is known to be well-formed wherever it travels.

pub mod diff;
pub mod dmp;
pub mod ids;
pub mod language;
pub mod plan;
pub mod precondition;
pub mod task;
pub mod time;
pub mod values;

pub use ids::{DmpId, ObjectId, ProjectId, TaskId, UserId};
pub use precondition::Precondition;
pub use task::{FileKind, TaskStatus};
pub use values::{Email, Password, ProjectName, Username};

/// Why a value given from outside was refused. The message is meant for the person who gave it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

//! Task status and file kinds.

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// Where a document task stands. The frontend knows `pending`, `done`, `error`, and treats
/// anything but `done` as not ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Pending,
    Running,
    Done,
    Error,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 4] = [Self::Pending, Self::Running, Self::Done, Self::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                InvalidValue(format!(
                    "unknown task status '{s}' (pending, running, done or error)"
                ))
            })
    }
}

/// The kinds of generated document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Docx,
    Pdf,
}

impl FileKind {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Docx => "docx",
            Self::Pdf => "pdf",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Pdf => "application/pdf",
        }
    }
}

//! What a user may do with a plan: one owner, and members under a role. Roles are ordered:
//! each can do everything the ones below it can.

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// A role on a plan, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the plan and makes its documents.
    Viewer,
    /// A viewer who also comments.
    Commenter,
    /// A commenter who also writes the plan.
    Editor,
    /// Everything, including sharing, transferring and deleting the plan.
    Owner,
}

impl Role {
    /// The roles a grant may give (ownership is transferred, never granted).
    pub const GRANTABLE: [Role; 3] = [Role::Viewer, Role::Commenter, Role::Editor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Commenter => "commenter",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    /// A role a grant may give, from its name.
    pub fn grantable(name: &str) -> Result<Role, InvalidValue> {
        Self::GRANTABLE
            .into_iter()
            .find(|r| r.as_str() == name.trim())
            .ok_or_else(|| {
                InvalidValue(format!(
                    "role must be one of viewer, commenter, editor (not {name:?}); ownership is transferred with /transfer"
                ))
            })
    }

    /// The stored form (one byte).
    pub fn code(self) -> u8 {
        match self {
            Role::Viewer => 1,
            Role::Commenter => 2,
            Role::Editor => 3,
            Role::Owner => 4,
        }
    }

    pub fn from_code(code: u8) -> Option<Role> {
        [Role::Viewer, Role::Commenter, Role::Editor, Role::Owner]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a grant is for: a user, or every member of a project (present and future).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grantee {
    User(u64),
    Project(u64),
}

impl Grantee {
    /// The stored form: a kind byte and the id.
    pub fn key(self) -> (u8, u64) {
        match self {
            Grantee::User(id) => (0, id),
            Grantee::Project(id) => (1, id),
        }
    }

    pub fn from_key(kind: u8, id: u64) -> Option<Grantee> {
        match kind {
            0 => Some(Grantee::User(id)),
            1 => Some(Grantee::Project(id)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_round_trip_through_their_codes_and_names() {
        assert!(Role::Viewer < Role::Commenter && Role::Commenter < Role::Editor);
        assert!(Role::Editor < Role::Owner);
        for r in [Role::Viewer, Role::Commenter, Role::Editor, Role::Owner] {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        assert_eq!(Role::grantable(" editor "), Ok(Role::Editor));
        assert!(Role::grantable("owner").is_err());
        assert!(Role::grantable("admin").is_err());
        assert_eq!(Role::from_code(0), None);
        assert_eq!(Grantee::from_key(1, 7), Some(Grantee::Project(7)));
        assert_eq!(Grantee::from_key(2, 7), None);
    }
}

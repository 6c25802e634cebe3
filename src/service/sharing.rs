//! Sharing a plan: grants to users and projects under roles, and transferring ownership.
//! Only the owner or an administrator changes who has access; every member may see it.
//! Each change is one transaction with its event in the plan's activity.

use serde::Serialize;

use super::error::{Result, ServiceError};
use super::projects::no_project;
use super::users::no_user;
use super::{Caller, Services, access};
use crate::domain::time::now_millis;
use crate::domain::{DmpId, Grantee, Role};
use crate::store::events::{self, EventRecord};
use crate::store::revisions::Edit;
use crate::store::{ReadTx, dmps, grants, projects, users};
use redb::WriteTransaction;

/// Who a grant is for, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GranteeName {
    User(String),
    Project(String),
}

impl GranteeName {
    fn resolve(&self, tx: &impl ReadTx) -> Result<Grantee> {
        match self {
            GranteeName::User(name) => users::id_by_name(tx, name)?
                .map(Grantee::User)
                .ok_or_else(|| no_user(name)),
            GranteeName::Project(name) => projects::id_by_name(tx, name)?
                .map(Grantee::Project)
                .ok_or_else(|| no_project(name)),
        }
    }

    fn describe(&self) -> serde_json::Value {
        match self {
            GranteeName::User(n) => serde_json::json!({ "user": n }),
            GranteeName::Project(n) => serde_json::json!({ "project": n }),
        }
    }
}

/// One grant as shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GrantView {
    /// `user` or `project`.
    pub kind: &'static str,
    pub name: String,
    pub role: Role,
}

/// Who has access to a plan.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AccessList {
    pub dmp: String,
    pub owner: String,
    pub grants: Vec<GrantView>,
    /// The caller's own role.
    pub role: Role,
}

fn access_list(tx: &impl ReadTx, id: DmpId, owner: u64, role: Role) -> Result<AccessList> {
    let name_of_user = |u: u64| -> Result<String> {
        Ok(users::get(tx, u)?.map(|r| r.username).unwrap_or_default())
    };
    let mut shown = Vec::new();
    for (g, r) in grants::of_dmp(tx, id.bytes())? {
        shown.push(match g {
            Grantee::User(u) => GrantView {
                kind: "user",
                name: name_of_user(u)?,
                role: r,
            },
            Grantee::Project(p) => GrantView {
                kind: "project",
                name: projects::get(tx, p)?.map(|r| r.name).unwrap_or_default(),
                role: r,
            },
        });
    }
    Ok(AccessList {
        dmp: id.to_string(),
        owner: name_of_user(owner)?,
        grants: shown,
        role,
    })
}

fn event(
    tx: &WriteTransaction,
    id: DmpId,
    actor: &Caller,
    kind: &str,
    detail: serde_json::Value,
) -> Result<()> {
    events::append(
        tx,
        id.bytes(),
        &EventRecord {
            time: now_millis(),
            actor: actor.id.0,
            kind: kind.into(),
            detail,
        },
    )?;
    Ok(())
}

impl Services {
    /// The owner of a plan and every grant on it (any member may look).
    pub fn dmp_access(&self, caller: &Caller, id: DmpId) -> Result<AccessList> {
        self.store.read(|tx| {
            let (rec, role) = access::load_text(tx, caller, id, Role::Viewer)?;
            access_list(tx, id, rec.owner, role)
        })
    }

    /// Gives a user or project `role` on the plan (replacing what it had). Owner only.
    /// Returns the access list and whether the grant is new.
    pub fn share_dmp(
        &self,
        caller: &Caller,
        id: DmpId,
        to: &GranteeName,
        role: Role,
    ) -> Result<(AccessList, bool)> {
        if role == Role::Owner {
            return Err(ServiceError::Invalid(
                "ownership is transferred (POST /dmps/{id}/transfer), not granted".into(),
            ));
        }
        self.store.write(|tx| {
            let (rec, mine) = access::load_text(tx, caller, id, Role::Viewer)?;
            access::may_manage(caller, id, mine)?;
            let grantee = to.resolve(tx)?;
            if grantee == Grantee::User(rec.owner) {
                return Err(ServiceError::Conflict(
                    "that user owns the plan already".into(),
                ));
            }
            let before = grants::set(tx, id.bytes(), grantee, role)?;
            if before != Some(role) {
                let mut detail = to.describe();
                detail["role"] = role.as_str().into();
                if let Some(b) = before {
                    detail["before"] = b.as_str().into();
                }
                event(tx, id, caller, "shared", detail)?;
            }
            Ok((access_list(tx, id, rec.owner, mine)?, before.is_none()))
        })
    }

    /// Takes back a grant. Owner only; "not found" if there is none.
    pub fn unshare_dmp(
        &self,
        caller: &Caller,
        id: DmpId,
        from: &GranteeName,
    ) -> Result<AccessList> {
        self.store.write(|tx| {
            let (rec, mine) = access::load_text(tx, caller, id, Role::Viewer)?;
            access::may_manage(caller, id, mine)?;
            let grantee = from.resolve(tx)?;
            let Some(before) = grants::remove(tx, id.bytes(), grantee)? else {
                return Err(ServiceError::NotFound(format!(
                    "DMP {id} is not shared with that {}",
                    if matches!(from, GranteeName::User(_)) {
                        "user"
                    } else {
                        "project"
                    }
                )));
            };
            let mut detail = from.describe();
            detail["role"] = before.as_str().into();
            event(tx, id, caller, "unshared", detail)?;
            access_list(tx, id, rec.owner, mine)
        })
    }

    /// Makes `username` the plan's owner. Owner only. The former owner keeps the plan as an
    /// editor; a grant the new owner had is dropped (they own it now).
    pub fn transfer_dmp(&self, caller: &Caller, id: DmpId, username: &str) -> Result<AccessList> {
        self.store.write(|tx| {
            let (mut rec, mine) = access::load(tx, caller, id, Role::Viewer)?;
            access::may_manage(caller, id, mine)?;
            let to = users::id_by_name(tx, username)?.ok_or_else(|| no_user(username))?;
            if to == rec.owner {
                return Err(ServiceError::Conflict(format!(
                    "{username} owns the plan already"
                )));
            }
            let from = rec.owner;
            grants::remove(tx, id.bytes(), Grantee::User(to))?;
            grants::set(tx, id.bytes(), Grantee::User(from), Role::Editor)?;
            rec.owner = to;
            dmps::update(tx, id.bytes(), &rec, &Edit::by(caller.id.0, "transfer"))?;
            let former = users::get(tx, from)?
                .map(|u| u.username)
                .unwrap_or_default();
            event(
                tx,
                id,
                caller,
                "transferred",
                serde_json::json!({ "from": former, "to": username }),
            )?;
            let role = access::role_on(tx, caller, id.bytes(), to)?.unwrap_or(Role::Viewer);
            access_list(tx, id, to, role)
        })
    }
}

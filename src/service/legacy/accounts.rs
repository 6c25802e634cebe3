//! The first step of a legacy import: accounts, projects and memberships.

use std::collections::HashMap;

use redb::WriteTransaction;

use super::{ImportReport, Stop};
use crate::domain::{Email, Username};
use crate::legacy::LegacyAccounts;
use crate::store::records::{ProjectRecord, UserRecord};
use crate::store::{StoreError, projects, users};

/// Which record each legacy account and project became (or already was).
pub(super) struct Accounts<'a> {
    /// Legacy user id → user record id.
    pub user_ids: HashMap<i64, u64>,
    /// Legacy username (trimmed) → legacy user id: how a plan names its owner.
    pub legacy_by_name: HashMap<&'a str, i64>,
}

/// Imports users, then projects, then memberships between those imported or present.
pub(super) fn import<'a>(
    tx: &WriteTransaction,
    accounts: &'a LegacyAccounts,
    now: i64,
    r: &mut ImportReport,
) -> Result<Accounts<'a>, Stop> {
    let user_ids = import_users(tx, accounts, now, r)?;
    let project_ids = import_projects(tx, accounts, now, r)?;
    import_relations(tx, accounts, &user_ids, &project_ids, r)?;
    let legacy_by_name = accounts
        .users
        .iter()
        .map(|u| (u.username.trim(), u.id))
        .collect();
    Ok(Accounts {
        user_ids,
        legacy_by_name,
    })
}

/// A record follows its legacy account (by the account's legacy id), never an account that
/// merely has the same name.
fn import_users(
    tx: &WriteTransaction,
    accounts: &LegacyAccounts,
    now: i64,
    r: &mut ImportReport,
) -> Result<HashMap<i64, u64>, Stop> {
    let mut user_ids: HashMap<i64, u64> = HashMap::new();
    for u in &accounts.users {
        let Ok(name) = Username::parse(&u.username) else {
            r.users.skipped += 1;
            r.reasons
                .push(format!("user {:?}: not a valid username", u.username));
            continue;
        };
        if let Some(id) = users::id_by_name(tx, name.as_str())? {
            let existing =
                users::get(tx, id)?.ok_or_else(|| StoreError::Corrupt("user index".into()))?;
            if existing.legacy_id == Some(u.id) {
                r.users.present += 1;
                user_ids.insert(u.id, id);
            } else {
                r.users.skipped += 1;
                r.reasons.push(format!(
                    "user '{name}': the name is taken by an account that was not imported from this deployment"
                ));
            }
            continue;
        }
        let email = match u.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => match Email::parse(e) {
                Ok(e) => Some(e.as_str().to_owned()),
                Err(_) => {
                    r.reasons.push(format!(
                        "user '{name}': e-mail {e:?} is not valid and was left out"
                    ));
                    None
                }
            },
            None => None,
        };
        let rec = UserRecord {
            username: name.as_str().to_owned(),
            email,
            password_hash: u.password_hash.clone(),
            admin: u.admin,
            created: now,
            updated: now,
            token_gen: 0,
            legacy_id: Some(u.id),
            locale: None,
        };
        let id = users::insert(tx, &rec, None)?
            .ok_or_else(|| StoreError::Corrupt("user name claim".into()))?;
        user_ids.insert(u.id, id);
        r.users.imported += 1;
    }
    Ok(user_ids)
}

/// Projects follow their legacy project by its legacy id, like accounts.
fn import_projects(
    tx: &WriteTransaction,
    accounts: &LegacyAccounts,
    now: i64,
    r: &mut ImportReport,
) -> Result<HashMap<i64, u64>, Stop> {
    let mut project_ids: HashMap<i64, u64> = HashMap::new();
    for p in &accounts.projects {
        let name = p.name.trim();
        if name.is_empty() {
            r.projects.skipped += 1;
            r.reasons.push(format!("project {}: it has no name", p.id));
            continue;
        }
        if let Some(id) = projects::id_by_name(tx, name)? {
            let existing = projects::get(tx, id)?
                .ok_or_else(|| StoreError::Corrupt("project index".into()))?;
            if existing.legacy_id == Some(p.id) {
                r.projects.present += 1;
                project_ids.insert(p.id, id);
            } else {
                r.projects.skipped += 1;
                r.reasons.push(format!(
                    "project '{name}': the name is taken by a project that was not imported from this deployment"
                ));
            }
            continue;
        }
        let rec = ProjectRecord {
            name: name.to_owned(),
            description: p.description.clone().unwrap_or_default(),
            created: now,
            legacy_id: Some(p.id),
        };
        let id = projects::insert(tx, &rec, None)?
            .ok_or_else(|| StoreError::Corrupt("project name claim".into()))?;
        project_ids.insert(p.id, id);
        r.projects.imported += 1;
    }
    Ok(project_ids)
}

/// Memberships whose user and project were both imported (or were there).
fn import_relations(
    tx: &WriteTransaction,
    accounts: &LegacyAccounts,
    user_ids: &HashMap<i64, u64>,
    project_ids: &HashMap<i64, u64>,
    r: &mut ImportReport,
) -> Result<(), Stop> {
    for (u, p) in &accounts.relations {
        match (user_ids.get(u), project_ids.get(p)) {
            (Some(&uid), Some(&pid)) => {
                if projects::add_member(tx, uid, pid)? {
                    r.relations.imported += 1;
                } else {
                    r.relations.present += 1;
                }
            }
            _ => {
                r.relations.skipped += 1;
                r.reasons.push(format!(
                    "membership of user {u} in project {p}: the user or project was not imported"
                ));
            }
        }
    }
    Ok(())
}

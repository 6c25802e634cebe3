//! Project records, the project-name index, and the user ↔ project relation (kept in both
//! directions, always changed together).

use redb::{ReadableTable, WriteTransaction};

use super::records::{ProjectRecord, decode, encode};
use super::tables::{PROJECT_BY_NAME, PROJECT_USERS, PROJECTS, USER_PROJECTS, ids_under};
use super::{ReadTx, StoreError, meta};

pub fn get(tx: &impl ReadTx, id: u64) -> Result<Option<ProjectRecord>, StoreError> {
    match tx.table(PROJECTS)?.get(id)? {
        Some(v) => Ok(Some(decode("project", v.value())?)),
        None => Ok(None),
    }
}

pub fn id_by_name(tx: &impl ReadTx, name: &str) -> Result<Option<u64>, StoreError> {
    Ok(tx.table(PROJECT_BY_NAME)?.get(name)?.map(|v| v.value()))
}

/// Inserts a new project, claiming its name. `None` when the name (or given id) is taken.
pub fn insert(
    tx: &WriteTransaction,
    rec: &ProjectRecord,
    with_id: Option<u64>,
) -> Result<Option<u64>, StoreError> {
    let mut by_name = tx.open_table(PROJECT_BY_NAME)?;
    if by_name.get(rec.name.as_str())?.is_some() {
        return Ok(None);
    }
    let id = match with_id {
        Some(id) => {
            if get(tx, id)?.is_some() {
                return Ok(None);
            }
            meta::reserve_above(tx, meta::NEXT_PROJECT_ID, id)?;
            id
        }
        None => meta::next_id(tx, meta::NEXT_PROJECT_ID)?,
    };
    by_name.insert(rec.name.as_str(), id)?;
    tx.open_table(PROJECTS)?
        .insert(id, encode(rec)?.as_slice())?;
    Ok(Some(id))
}

/// Removes a project, its name claim and its memberships. Returns the removed record.
pub fn delete(tx: &WriteTransaction, id: u64) -> Result<Option<ProjectRecord>, StoreError> {
    let Some(rec) = get(tx, id)? else {
        return Ok(None);
    };
    tx.open_table(PROJECTS)?.remove(id)?;
    tx.open_table(PROJECT_BY_NAME)?.remove(rec.name.as_str())?;
    let members = members_of(tx, id)?;
    let mut up = tx.open_table(USER_PROJECTS)?;
    let mut pu = tx.open_table(PROJECT_USERS)?;
    for u in members {
        up.remove((u, id))?;
        pu.remove((id, u))?;
    }
    Ok(Some(rec))
}

pub fn list(tx: &impl ReadTx) -> Result<Vec<(u64, ProjectRecord)>, StoreError> {
    let table = tx.table(PROJECTS)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        let (k, v) = row?;
        out.push((k.value(), decode("project", v.value())?));
    }
    Ok(out)
}

/// Adds `user` to `project`. Returns false when the relation was already there.
pub fn add_member(tx: &WriteTransaction, user: u64, project: u64) -> Result<bool, StoreError> {
    let mut up = tx.open_table(USER_PROJECTS)?;
    if up.get((user, project))?.is_some() {
        return Ok(false);
    }
    up.insert((user, project), ())?;
    tx.open_table(PROJECT_USERS)?.insert((project, user), ())?;
    Ok(true)
}

/// Removes `user` from `project`. Returns false when the relation was not there.
pub fn remove_member(tx: &WriteTransaction, user: u64, project: u64) -> Result<bool, StoreError> {
    let removed = tx
        .open_table(USER_PROJECTS)?
        .remove((user, project))?
        .is_some();
    tx.open_table(PROJECT_USERS)?.remove((project, user))?;
    Ok(removed)
}

/// The project ids of a user, ascending. Costs in proportion to that user's memberships.
pub fn projects_of(tx: &impl ReadTx, user: u64) -> Result<Vec<u64>, StoreError> {
    let table = tx.table(USER_PROJECTS)?;
    let mut out = Vec::new();
    for row in table.range(ids_under(user))? {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

/// The member user ids of a project, ascending.
pub fn members_of(tx: &impl ReadTx, project: u64) -> Result<Vec<u64>, StoreError> {
    let table = tx.table(PROJECT_USERS)?;
    let mut out = Vec::new();
    for row in table.range(ids_under(project))? {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

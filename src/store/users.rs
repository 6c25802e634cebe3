//! User records, the username index, and removal of a user's memberships.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::records::{UserRecord, decode, encode};
use super::tables::{PROJECT_USERS, USER_BY_NAME, USER_PROJECTS, USERS};
use super::{ReadTx, StoreError, meta};

pub fn get(tx: &impl ReadTx, id: u64) -> Result<Option<UserRecord>, StoreError> {
    match tx.table(USERS)?.get(id)? {
        Some(v) => Ok(Some(decode("user", v.value())?)),
        None => Ok(None),
    }
}

pub fn id_by_name(tx: &impl ReadTx, username: &str) -> Result<Option<u64>, StoreError> {
    Ok(tx.table(USER_BY_NAME)?.get(username)?.map(|v| v.value()))
}

pub fn count(tx: &impl ReadTx) -> Result<u64, StoreError> {
    Ok(tx.table(USERS)?.len()?)
}

/// Inserts a new user under a fresh id (or `with_id`, for imports), claiming the username
/// in the same transaction. Returns `None` when the username (or the given id) is taken.
pub fn insert(
    tx: &WriteTransaction,
    rec: &UserRecord,
    with_id: Option<u64>,
) -> Result<Option<u64>, StoreError> {
    let mut by_name = tx.open_table(USER_BY_NAME)?;
    if by_name.get(rec.username.as_str())?.is_some() {
        return Ok(None);
    }
    let id = match with_id {
        Some(id) => {
            if get(tx, id)?.is_some() {
                return Ok(None);
            }
            meta::reserve_above(tx, meta::NEXT_USER_ID, id)?;
            id
        }
        None => meta::next_id(tx, meta::NEXT_USER_ID)?,
    };
    by_name.insert(rec.username.as_str(), id)?;
    tx.open_table(USERS)?.insert(id, encode(rec)?.as_slice())?;
    Ok(Some(id))
}

/// Rewrites a user's record. The username is not changeable here.
pub fn update(tx: &WriteTransaction, id: u64, rec: &UserRecord) -> Result<(), StoreError> {
    tx.open_table(USERS)?.insert(id, encode(rec)?.as_slice())?;
    Ok(())
}

/// Removes a user, their name claim and their memberships. Returns the removed record.
pub fn delete(tx: &WriteTransaction, id: u64) -> Result<Option<UserRecord>, StoreError> {
    let Some(rec) = get(tx, id)? else {
        return Ok(None);
    };
    tx.open_table(USERS)?.remove(id)?;
    tx.open_table(USER_BY_NAME)?.remove(rec.username.as_str())?;
    let projects = super::projects::projects_of(tx, id)?;
    let mut up = tx.open_table(USER_PROJECTS)?;
    let mut pu = tx.open_table(PROJECT_USERS)?;
    for p in projects {
        up.remove((id, p))?;
        pu.remove((p, id))?;
    }
    Ok(Some(rec))
}

/// Every user, by id.
pub fn list(tx: &impl ReadTx) -> Result<Vec<(u64, UserRecord)>, StoreError> {
    let table = tx.table(USERS)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        let (k, v) = row?;
        out.push((k.value(), decode("user", v.value())?));
    }
    Ok(out)
}

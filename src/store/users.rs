//! User records, the username index, and removal of a user's memberships.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::records::{UserRecord, decode, encode};
use super::tables::{PROJECT_USERS, USER_BY_FOLD, USER_BY_NAME, USER_PROJECTS, USERS};
use super::{ReadTx, StoreError, meta};
use crate::domain::values::fold;

pub fn get(tx: &impl ReadTx, id: u64) -> Result<Option<UserRecord>, StoreError> {
    match tx.table(USERS)?.get(id)? {
        Some(v) => Ok(Some(decode("user", v.value())?)),
        None => Ok(None),
    }
}

/// The account a name means: the exact name, else the one whose folded name is the same
/// (`ADMIN` finds `admin`).
pub fn id_by_name(tx: &impl ReadTx, username: &str) -> Result<Option<u64>, StoreError> {
    if let Some(id) = tx.table(USER_BY_NAME)?.get(username)? {
        return Ok(Some(id.value()));
    }
    Ok(tx
        .table(USER_BY_FOLD)?
        .get(fold(username).as_str())?
        .map(|v| v.value()))
}

pub fn count(tx: &impl ReadTx) -> Result<u64, StoreError> {
    Ok(tx.table(USERS)?.len()?)
}

/// Inserts a new user under a fresh id (or `with_id`, for imports), claiming the username
/// and its folded form in the same transaction. Returns `None` when the username, a name of
/// the same folded form, or the given id is taken.
pub fn insert(
    tx: &WriteTransaction,
    rec: &UserRecord,
    with_id: Option<u64>,
) -> Result<Option<u64>, StoreError> {
    let mut by_name = tx.open_table(USER_BY_NAME)?;
    let mut by_fold = tx.open_table(USER_BY_FOLD)?;
    let folded = fold(&rec.username);
    if by_name.get(rec.username.as_str())?.is_some() || by_fold.get(folded.as_str())?.is_some() {
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
    by_fold.insert(folded.as_str(), id)?;
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
    let folded = fold(&rec.username);
    let held = tx
        .open_table(USER_BY_FOLD)?
        .get(folded.as_str())?
        .is_some_and(|v| v.value() == id);
    if held {
        tx.open_table(USER_BY_FOLD)?.remove(folded.as_str())?;
        // A look-alike an older schema let in takes the folded name over (rare: a scan).
        if let Some((other, _)) = list(tx)?
            .into_iter()
            .find(|(other, r)| *other != id && fold(&r.username) == folded)
        {
            tx.open_table(USER_BY_FOLD)?
                .insert(folded.as_str(), other)?;
        }
    }
    let projects = super::projects::projects_of(tx, id)?;
    let mut up = tx.open_table(USER_PROJECTS)?;
    let mut pu = tx.open_table(PROJECT_USERS)?;
    for p in projects {
        up.remove((id, p))?;
        pu.remove((p, id))?;
    }
    Ok(Some(rec))
}

/// Builds the folded-name index from the user records (schema 4). Where older look-alike
/// names share a folded form, the first by id holds it; returns the names left without.
pub fn index_folded(tx: &WriteTransaction) -> Result<Vec<String>, StoreError> {
    let mut by_fold = tx.open_table(USER_BY_FOLD)?;
    let mut left = Vec::new();
    for (id, rec) in list(tx)? {
        let folded = fold(&rec.username);
        if by_fold.get(folded.as_str())?.is_some() {
            left.push(rec.username);
        } else {
            by_fold.insert(folded.as_str(), id)?;
        }
    }
    Ok(left)
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

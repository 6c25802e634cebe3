//! The `meta` table: schema version, id counters and the token epoch.

use redb::{ReadableTable, WriteTransaction};

use super::tables::META;
use super::{ReadTx, StoreError};

pub const SCHEMA_VERSION_KEY: &str = "schema_version";
pub const NEXT_USER_ID: &str = "next_user_id";
pub const NEXT_PROJECT_ID: &str = "next_project_id";
/// Tokens carry the epoch they were issued in and count only while it is current. A restore,
/// an import and a reset start a new epoch, so no token issued before them works after.
/// Absent means 0 (databases and tokens from before epochs).
pub const TOKEN_EPOCH: &str = "token_epoch";
/// The id counters: never lowered, so an id is never handed to a second account.
pub const COUNTERS: [&str; 2] = [NEXT_USER_ID, NEXT_PROJECT_ID];

pub fn get(tx: &impl ReadTx, key: &str) -> Result<Option<u64>, StoreError> {
    Ok(tx.table(META)?.get(key)?.map(|v| v.value()))
}

pub fn set(tx: &WriteTransaction, key: &str, value: u64) -> Result<(), StoreError> {
    tx.open_table(META)?.insert(key, value)?;
    Ok(())
}

/// Takes the next value of a counter (starting at 1).
pub fn next_id(tx: &WriteTransaction, key: &str) -> Result<u64, StoreError> {
    let next = get(tx, key)?.unwrap_or(1).max(1);
    set(tx, key, next + 1)?;
    Ok(next)
}

/// The current token epoch.
pub fn epoch(tx: &impl ReadTx) -> Result<u64, StoreError> {
    Ok(get(tx, TOKEN_EPOCH)?.unwrap_or(0))
}

/// Starts a new token epoch (random, never 0, never the current one).
pub fn new_epoch(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let old = epoch(tx)?;
    let mut next = old;
    while next == old || next == 0 {
        next = rand::random();
    }
    set(tx, TOKEN_EPOCH, next)?;
    Ok(next)
}

/// The id counters as they stand.
pub fn counters(tx: &impl ReadTx) -> Result<Vec<(&'static str, u64)>, StoreError> {
    COUNTERS
        .iter()
        .map(|k| Ok((*k, get(tx, k)?.unwrap_or(1))))
        .collect()
}

/// Puts the counters back to at least these values (after a restore brought older ones).
pub fn keep_counters(tx: &WriteTransaction, before: &[(&str, u64)]) -> Result<(), StoreError> {
    for (key, value) in before {
        if get(tx, key)?.unwrap_or(1) < *value {
            set(tx, key, *value)?;
        }
    }
    Ok(())
}

/// Raises a counter so that later ids are greater than `used` (ids imported with their
/// legacy value must not be handed out again).
pub fn reserve_above(tx: &WriteTransaction, key: &str, used: u64) -> Result<(), StoreError> {
    let next = get(tx, key)?.unwrap_or(1);
    if next <= used {
        set(tx, key, used + 1)?;
    }
    Ok(())
}

//! The `meta` table: schema version and id counters.

use redb::{ReadableTable, WriteTransaction};

use super::tables::META;
use super::{ReadTx, StoreError};

pub const SCHEMA_VERSION_KEY: &str = "schema_version";
pub const NEXT_USER_ID: &str = "next_user_id";
pub const NEXT_PROJECT_ID: &str = "next_project_id";

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

/// Raises a counter so that later ids are greater than `used` (ids imported with their
/// legacy value must not be handed out again).
pub fn reserve_above(tx: &WriteTransaction, key: &str, used: u64) -> Result<(), StoreError> {
    let next = get(tx, key)?.unwrap_or(1);
    if next <= used {
        set(tx, key, used + 1)?;
    }
    Ok(())
}

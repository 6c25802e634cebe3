//! Revoked login sessions (logout). A row lives until the session's last token expires.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::tables::REVOKED_SESSIONS;
use super::{ReadTx, StoreError};

pub fn revoke(tx: &WriteTransaction, sid: [u8; 16], expires: u64) -> Result<(), StoreError> {
    tx.open_table(REVOKED_SESSIONS)?.insert(sid, expires)?;
    Ok(())
}

pub fn is_revoked(tx: &impl ReadTx, sid: [u8; 16]) -> Result<bool, StoreError> {
    Ok(tx.table(REVOKED_SESSIONS)?.get(sid)?.is_some())
}

/// Removes rows whose sessions have expired anyway. Returns how many went.
pub fn purge_expired(tx: &WriteTransaction, now: u64) -> Result<usize, StoreError> {
    let mut table = tx.open_table(REVOKED_SESSIONS)?;
    let before = table.len()?;
    table.retain(|_, expires| expires > now)?;
    Ok(usize::try_from(before - table.len()?).unwrap_or(usize::MAX))
}

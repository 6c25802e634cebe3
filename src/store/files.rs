//! Records of generated documents, keyed by the file id that download URLs carry.

use redb::{ReadableTable, WriteTransaction};

use super::records::{FileRecord, decode, encode};
use super::tables::FILES;
use super::{ReadTx, StoreError};

pub fn get(tx: &impl ReadTx, file_id: &str) -> Result<Option<FileRecord>, StoreError> {
    match tx.table(FILES)?.get(file_id)? {
        Some(v) => Ok(Some(decode("file", v.value())?)),
        None => Ok(None),
    }
}

pub fn put(tx: &WriteTransaction, file_id: &str, rec: &FileRecord) -> Result<(), StoreError> {
    tx.open_table(FILES)?
        .insert(file_id, encode(rec)?.as_slice())?;
    Ok(())
}

pub fn delete(tx: &WriteTransaction, file_id: &str) -> Result<Option<FileRecord>, StoreError> {
    let mut table = tx.open_table(FILES)?;
    let removed = table.remove(file_id)?;
    match removed {
        Some(v) => Ok(Some(decode("file", v.value())?)),
        None => Ok(None),
    }
}

//! Whole-table reads for exports: every record of a table, in key order (users and
//! projects: `users::list`, `projects::list`).

use redb::{ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::de::DeserializeOwned;

use super::records::{DmpRecord, FileRecord, TaskInput, TaskRecord, decode};
use super::tables::*;
use super::{ReadTx, StoreError};

fn rows<K: redb::Key + 'static, T: DeserializeOwned>(
    tx: &impl ReadTx,
    def: TableDefinition<K, &'static [u8]>,
    what: &str,
    key: impl Fn(K::SelfType<'_>) -> String,
) -> Result<Vec<(String, T)>, StoreError> {
    let mut out = Vec::new();
    for row in tx.table(def)?.iter()? {
        let (k, v) = row?;
        out.push((key(k.value()), decode(what, v.value())?));
    }
    Ok(out)
}

/// Every (user id, project id) membership.
pub fn memberships(tx: &impl ReadTx) -> Result<Vec<(u64, u64)>, StoreError> {
    let mut out = Vec::new();
    for row in tx.table(USER_PROJECTS)?.iter()? {
        out.push(row?.0.value());
    }
    Ok(out)
}

pub fn dmps(tx: &impl ReadTx) -> Result<Vec<(String, DmpRecord)>, StoreError> {
    rows(tx, DMPS, "dmp", hex::encode)
}

pub fn tasks(tx: &impl ReadTx) -> Result<Vec<(String, TaskRecord)>, StoreError> {
    rows(tx, TASKS, "task", hex::encode)
}

pub fn task_inputs(tx: &impl ReadTx) -> Result<Vec<(String, TaskInput)>, StoreError> {
    rows(tx, TASK_INPUTS, "task input", hex::encode)
}

pub fn files(tx: &impl ReadTx) -> Result<Vec<(String, FileRecord)>, StoreError> {
    rows(tx, FILES, "file", |k| k.to_owned())
}

/// True when there are no users, projects or DMPs.
pub fn is_empty(tx: &impl ReadTx) -> Result<bool, StoreError> {
    Ok(tx.table(USERS)?.len()? == 0
        && tx.table(PROJECTS)?.len()? == 0
        && tx.table(DMPS)?.len()? == 0)
}

//! What happened to a plan besides its revisions (shared, unshared, transferred, commented,
//! documents made), appended in the transaction of the act, in time order.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::records::{decode, encode};
use super::tables::{EVENTS, Oid, oids_under};
use super::{ReadTx, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub time: i64,
    /// The user who acted; 0 for the administrator's command line.
    pub actor: u64,
    /// `shared`, `unshared`, `transferred`, `commented`, `replied`, `resolved`, `reopened`,
    /// `comment-deleted`, `documents`.
    pub kind: String,
    /// What the act concerned (a grantee and role, a comment id, a task id...).
    #[serde(default)]
    pub detail: Value,
}

/// Appends an event to plan `dmp`'s log.
pub fn append(tx: &WriteTransaction, dmp: Oid, rec: &EventRecord) -> Result<(), StoreError> {
    let id = crate::domain::ObjectId::generate().bytes();
    tx.open_table(EVENTS)?
        .insert((dmp, id), encode(rec)?.as_slice())?;
    Ok(())
}

/// The newest `limit` events of a plan after skipping `skip` newer ones.
pub fn newest(
    tx: &impl ReadTx,
    dmp: Oid,
    skip: usize,
    limit: usize,
) -> Result<Vec<EventRecord>, StoreError> {
    let mut out = Vec::new();
    for row in tx
        .table(EVENTS)?
        .range(oids_under(dmp))?
        .rev()
        .skip(skip)
        .take(limit)
    {
        out.push(decode("event", row?.1.value())?);
    }
    Ok(out)
}

/// How many events a plan has.
pub fn count(tx: &impl ReadTx, dmp: Oid) -> Result<u64, StoreError> {
    let mut n = 0;
    for row in tx.table(EVENTS)?.range(oids_under(dmp))? {
        row?;
        n += 1;
    }
    Ok(n)
}

pub fn delete_all(tx: &WriteTransaction, dmp: Oid) -> Result<(), StoreError> {
    tx.open_table(EVENTS)?
        .retain_in(oids_under(dmp), |_, _| false)?;
    Ok(())
}

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

/// Appends an event to plan `dmp`'s log, after every event it has. A fresh id sorts by
/// its second only: within one second, ids made by two processes (the server and
/// `dmptool admin` on the file) order by their random part, so an id that would not sort
/// last is replaced by the one after the last.
pub fn append(tx: &WriteTransaction, dmp: Oid, rec: &EventRecord) -> Result<(), StoreError> {
    let mut table = tx.open_table(EVENTS)?;
    let mut id = crate::domain::ObjectId::generate().bytes();
    let last = match table.range(oids_under(dmp))?.next_back() {
        Some(row) => Some(row?.0.value().1),
        None => None,
    };
    if let Some(last) = last.filter(|l| id <= *l) {
        id = successor(last);
    }
    table.insert((dmp, id), encode(rec)?.as_slice())?;
    Ok(())
}

/// The id after `id`, as a 96-bit big-endian number (the last id stays itself).
pub(crate) fn successor(mut id: Oid) -> Oid {
    for b in id.iter_mut().rev() {
        let (next, carry) = b.overflowing_add(1);
        *b = next;
        if !carry {
            return id;
        }
    }
    [0xff; 12]
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

/// Every event of a plan with its id, oldest first (for an export).
pub fn of_dmp(tx: &impl ReadTx, dmp: Oid) -> Result<Vec<(Oid, EventRecord)>, StoreError> {
    let mut out = Vec::new();
    for row in tx.table(EVENTS)?.range(oids_under(dmp))? {
        let (k, v) = row?;
        out.push((k.value().1, decode("event", v.value())?));
    }
    Ok(out)
}

/// Writes an event under the id it had (an import).
pub fn put(tx: &WriteTransaction, dmp: Oid, id: Oid, rec: &EventRecord) -> Result<(), StoreError> {
    tx.open_table(EVENTS)?
        .insert((dmp, id), encode(rec)?.as_slice())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn the_successor_of_an_id_carries_into_the_bytes_before() {
        let mut id = [0u8; 12];
        id[11] = 0xff;
        id[10] = 0x01;
        let next = successor(id);
        assert_eq!(&next[10..], &[0x02, 0x00]);
        assert!(next > id);
        assert_eq!(successor([0xff; 12]), [0xff; 12]);
    }
}

//! Comments on a plan: threads anchored to a question, a dataset or the whole plan. A
//! reply names its thread's first comment; resolving is a state of the thread.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::records::{decode, encode};
use super::tables::{COMMENTS, Oid, oids_under};
use super::{ReadTx, StoreError};

/// What a comment is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum Anchor {
    Plan,
    /// A template question, by its id.
    Question(String),
    /// A dataset of the plan, by its identifier.
    Dataset(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentRecord {
    pub author: u64,
    pub created: i64,
    pub updated: i64,
    pub anchor: Anchor,
    pub text: String,
    /// The thread's first comment, for a reply (24 hex characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The plan's revision when the comment was made.
    pub revision: u64,
    /// For a thread's first comment: resolved, by whom, when.
    #[serde(default)]
    pub resolved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<i64>,
}

pub fn get(tx: &impl ReadTx, dmp: Oid, id: Oid) -> Result<Option<CommentRecord>, StoreError> {
    match tx.table(COMMENTS)?.get((dmp, id))? {
        Some(v) => Ok(Some(decode("comment", v.value())?)),
        None => Ok(None),
    }
}

/// A fresh id for a new comment of plan `dmp`, sorting after every comment it has (so a
/// listing in key order is in the order comments were made, also across a restart within
/// the same second, which changes the random part of fresh ids).
pub fn new_id(tx: &WriteTransaction, dmp: Oid) -> Result<Oid, StoreError> {
    let id = crate::domain::ObjectId::generate().bytes();
    let table = tx.open_table(COMMENTS)?;
    let last = match table.range(oids_under(dmp))?.next_back() {
        Some(row) => Some(row?.0.value().1),
        None => None,
    };
    Ok(match last {
        Some(last) if id <= last => super::events::successor(last),
        _ => id,
    })
}

pub fn put(
    tx: &WriteTransaction,
    dmp: Oid,
    id: Oid,
    rec: &CommentRecord,
) -> Result<(), StoreError> {
    tx.open_table(COMMENTS)?
        .insert((dmp, id), encode(rec)?.as_slice())?;
    Ok(())
}

pub fn remove(tx: &WriteTransaction, dmp: Oid, id: Oid) -> Result<(), StoreError> {
    tx.open_table(COMMENTS)?.remove((dmp, id))?;
    Ok(())
}

/// Every comment of a plan, oldest first.
pub fn of_dmp(tx: &impl ReadTx, dmp: Oid) -> Result<Vec<(Oid, CommentRecord)>, StoreError> {
    let mut out = Vec::new();
    for row in tx.table(COMMENTS)?.range(oids_under(dmp))? {
        let (k, v) = row?;
        out.push((k.value().1, decode("comment", v.value())?));
    }
    Ok(out)
}

pub fn delete_all(tx: &WriteTransaction, dmp: Oid) -> Result<(), StoreError> {
    tx.open_table(COMMENTS)?
        .retain_in(oids_under(dmp), |_, _| false)?;
    Ok(())
}

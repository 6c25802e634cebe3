//! Revisions: every state a plan's content has had, written in the same transaction as the
//! change. A revision is never rewritten; only deleting the plan removes its history.
//! Documents are kept deflated in their own table, so a history listing reads headers only.

use std::io::{Read, Write};

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::records::{DmpRecord, decode, encode};
use super::tables::{Oid, REVISION_DOCS, REVISIONS};
use super::{ReadTx, StoreError};

/// Who made a change and through which door.
#[derive(Debug, Clone)]
pub struct Edit {
    /// The user id of the author; 0 for the administrator's command line.
    pub author: u64,
    /// `api`, `rda`, `madmp-import`, `restore`, `admin-import`, `legacy-import`, `upgrade`.
    pub via: &'static str,
    /// For a restore: the revision brought back.
    pub restored_from: Option<u64>,
}

impl Edit {
    pub fn by(author: u64, via: &'static str) -> Self {
        Self {
            author,
            via,
            restored_from: None,
        }
    }
}

/// One revision's header.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RevisionRecord {
    pub time: i64,
    pub author: u64,
    pub via: String,
    /// The parts that differ from the revision before (top-level keys, `answers/<id>`).
    pub changed: Vec<String>,
    /// The revision this one followed (absent for a plan's first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<u64>,
    /// Bytes of the document's JSON.
    pub size: u64,
}

fn deflate(bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut enc = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::fast(),
    );
    enc.write_all(bytes)
        .and_then(|()| enc.finish())
        .map_err(|e| StoreError::Corrupt(format!("cannot deflate a revision: {e}")))
}

fn inflate(bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(bytes.len() * 3);
    flate2::read::DeflateDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| StoreError::Corrupt(format!("revision document: {e}")))?;
    Ok(out)
}

/// Stores `rec`'s document as revision `rec.version` of plan `id`; `old` is the state it
/// replaces (none for a new plan). An existing revision of that number is left alone.
pub fn record(
    tx: &WriteTransaction,
    id: Oid,
    rec: &DmpRecord,
    old: Option<&DmpRecord>,
    edit: &Edit,
) -> Result<(), StoreError> {
    let mut headers = tx.open_table(REVISIONS)?;
    if headers.get((id, rec.version))?.is_some() {
        return Ok(());
    }
    let json = encode(&rec.doc)?;
    let changed = match old {
        Some(o) => crate::domain::diff::changed_parts(&o.doc, &rec.doc),
        None => rec.doc.keys().cloned().collect(),
    };
    let header = RevisionRecord {
        time: rec.updated,
        author: edit.author,
        via: edit.via.to_owned(),
        changed,
        replaced: old.map(|o| o.version),
        restored_from: edit.restored_from,
        size: json.len() as u64,
    };
    headers.insert((id, rec.version), encode(&header)?.as_slice())?;
    tx.open_table(REVISION_DOCS)?
        .insert((id, rec.version), deflate(&json)?.as_slice())?;
    Ok(())
}

/// A page of a plan's revisions, newest first, and how many it has.
pub fn page(
    tx: &impl ReadTx,
    id: Oid,
    offset: usize,
    limit: usize,
) -> Result<(Vec<(u64, RevisionRecord)>, u64), StoreError> {
    let table = tx.table(REVISIONS)?;
    let mut out = Vec::new();
    let mut total = 0u64;
    for row in table.range((id, 0)..=(id, u64::MAX))?.rev() {
        let (k, v) = row?;
        if total as usize >= offset && out.len() < limit {
            out.push((k.value().1, decode("revision", v.value())?));
        }
        total += 1;
    }
    Ok((out, total))
}

/// The headers of revisions `after + 1 ..= upto`, oldest first.
pub fn between(
    tx: &impl ReadTx,
    id: Oid,
    after: u64,
    upto: u64,
) -> Result<Vec<(u64, RevisionRecord)>, StoreError> {
    let mut out = Vec::new();
    if after >= upto {
        return Ok(out);
    }
    for row in tx.table(REVISIONS)?.range((id, after + 1)..=(id, upto))? {
        let (k, v) = row?;
        out.push((k.value().1, decode("revision", v.value())?));
    }
    Ok(out)
}

pub fn header(tx: &impl ReadTx, id: Oid, n: u64) -> Result<Option<RevisionRecord>, StoreError> {
    match tx.table(REVISIONS)?.get((id, n))? {
        Some(v) => Ok(Some(decode("revision", v.value())?)),
        None => Ok(None),
    }
}

/// Revision `n`'s document.
pub fn document(
    tx: &impl ReadTx,
    id: Oid,
    n: u64,
) -> Result<Option<Map<String, Value>>, StoreError> {
    match tx.table(REVISION_DOCS)?.get((id, n))? {
        Some(v) => Ok(Some(decode("revision document", &inflate(v.value())?)?)),
        None => Ok(None),
    }
}

/// Removes a plan's history (the plan is being deleted).
pub fn delete_all(tx: &WriteTransaction, id: Oid) -> Result<(), StoreError> {
    tx.open_table(REVISIONS)?
        .retain_in((id, 0)..=(id, u64::MAX), |_, _| false)?;
    tx.open_table(REVISION_DOCS)?
        .retain_in((id, 0)..=(id, u64::MAX), |_, _| false)?;
    Ok(())
}

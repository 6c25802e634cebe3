//! Revisions: every state a plan's content has had, written in the same transaction as the
//! change. A revision is never rewritten; only deleting the plan removes its history.
//! Documents are kept deflated in their own table, so a history listing reads headers only.
//!
//! Successive revisions of a plan differ little, and one plan's JSON is too short for
//! deflate to find much in it alone: so most revisions are deflated with an earlier one as
//! the preset dictionary, and cost about what changed. Every `KEYFRAME_EVERY`-th revision
//! (and the first kept) is deflated alone, a keyframe; the others name the keyframe they
//! were deflated against. Reading any revision inflates at most two documents.
//! A stored document is one byte of kind (`KEYFRAME` or `DELTA`), for a delta the
//! keyframe's number (8 bytes, little-endian), then the raw deflate stream.

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

/// At most this many revisions share one keyframe.
const KEYFRAME_EVERY: u64 = 16;
const KEYFRAME: u8 = 0;
const DELTA: u8 = 1;

fn deflate_onto(out: &mut Vec<u8>, bytes: &[u8], dict: Option<&[u8]>) -> Result<(), StoreError> {
    use flate2::{Compress, Compression, FlushCompress, Status};
    let fault =
        |e: flate2::CompressError| StoreError::Corrupt(format!("cannot deflate a revision: {e}"));
    let mut c = Compress::new(Compression::default(), false);
    if let Some(d) = dict {
        c.set_dictionary(d).map_err(fault)?;
    }
    out.reserve(bytes.len() / 2 + 64);
    loop {
        let done = usize::try_from(c.total_in())
            .unwrap_or(bytes.len())
            .min(bytes.len());
        match c
            .compress_vec(&bytes[done..], out, FlushCompress::Finish)
            .map_err(fault)?
        {
            Status::StreamEnd => return Ok(()),
            _ => out.reserve(out.capacity().max(256)),
        }
    }
}

fn inflate(stream: &[u8], dict: Option<&[u8]>) -> Result<Vec<u8>, StoreError> {
    use flate2::{Decompress, FlushDecompress, Status};
    let fault = |e: flate2::DecompressError| StoreError::Corrupt(format!("revision document: {e}"));
    let mut d = Decompress::new(false);
    if let Some(dict) = dict {
        d.set_dictionary(dict).map_err(fault)?;
    }
    let mut out = Vec::with_capacity(stream.len() * 4 + 64);
    loop {
        let done = usize::try_from(d.total_in())
            .unwrap_or(stream.len())
            .min(stream.len());
        let before = d.total_out();
        match d
            .decompress_vec(&stream[done..], &mut out, FlushDecompress::Finish)
            .map_err(fault)?
        {
            Status::StreamEnd => return Ok(out),
            _ if d.total_out() == before && out.len() < out.capacity() => {
                return Err(StoreError::Corrupt("revision document: truncated".into()));
            }
            _ => out.reserve(out.capacity().max(256)),
        }
    }
}

/// The kind byte, and for a delta its keyframe, of a stored document.
fn kind_of(stored: &[u8]) -> Result<(u8, Option<u64>, &[u8]), StoreError> {
    match stored.split_first() {
        Some((&KEYFRAME, rest)) => Ok((KEYFRAME, None, rest)),
        Some((&DELTA, rest)) if rest.len() >= 8 => {
            let (n, stream) = rest.split_at(8);
            let mut b = [0u8; 8];
            b.copy_from_slice(n);
            Ok((DELTA, Some(u64::from_le_bytes(b)), stream))
        }
        _ => Err(StoreError::Corrupt(
            "revision document: unknown kind".into(),
        )),
    }
}

/// The JSON of a stored document (`docs` is the table, for a delta's keyframe).
fn json_of(
    docs: &impl ReadableTable<(Oid, u64), &'static [u8]>,
    id: Oid,
    stored: &[u8],
) -> Result<Vec<u8>, StoreError> {
    match kind_of(stored)? {
        (DELTA, Some(base), stream) => {
            let key = docs.get((id, base))?.ok_or_else(|| {
                StoreError::Corrupt(format!("revision keyframe {base} is missing"))
            })?;
            let (kind, _, key_stream) = kind_of(key.value())?;
            if kind != KEYFRAME {
                return Err(StoreError::Corrupt(format!(
                    "revision {base} is not a keyframe"
                )));
            }
            let dict = inflate(key_stream, None)?;
            inflate(stream, Some(&dict))
        }
        (_, _, stream) => inflate(stream, None),
    }
}

/// How revision `n` of plan `id` is stored: a keyframe, or a delta against the keyframe of
/// the revision before when that one is recent enough.
fn stored_form(
    docs: &redb::Table<'_, (Oid, u64), &'static [u8]>,
    id: Oid,
    n: u64,
    json: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let previous = match n.checked_sub(1) {
        Some(p) if p > 0 => docs.get((id, p))?.map(|v| v.value().to_vec()),
        _ => None,
    };
    let base = match previous.as_deref().map(kind_of).transpose()? {
        Some((KEYFRAME, _, _)) => Some(n - 1),
        Some((_, Some(k), _)) => Some(k),
        _ => None,
    };
    let mut out = Vec::new();
    if let Some(base) = base.filter(|b| n - b < KEYFRAME_EVERY)
        && let Some(key) = docs.get((id, base))?
    {
        let (_, _, key_stream) = kind_of(key.value())?;
        let dict = inflate(key_stream, None)?;
        out.push(DELTA);
        out.extend_from_slice(&base.to_le_bytes());
        deflate_onto(&mut out, json, Some(&dict))?;
    } else {
        out.push(KEYFRAME);
        deflate_onto(&mut out, json, None)?;
    }
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
    let mut docs = tx.open_table(REVISION_DOCS)?;
    let stored = stored_form(&docs, id, rec.version, &json)?;
    docs.insert((id, rec.version), stored.as_slice())?;
    Ok(())
}

/// Writes revision `n` of plan `id` as it was (an import); false, writing nothing, if the
/// plan has a revision `n` already. Revisions of a plan go in in ascending order, so that
/// each finds its keyframe.
pub fn put(
    tx: &WriteTransaction,
    id: Oid,
    n: u64,
    header: &RevisionRecord,
    doc: &Map<String, Value>,
) -> Result<bool, StoreError> {
    let mut headers = tx.open_table(REVISIONS)?;
    if headers.get((id, n))?.is_some() {
        return Ok(false);
    }
    headers.insert((id, n), encode(header)?.as_slice())?;
    let mut docs = tx.open_table(REVISION_DOCS)?;
    let stored = stored_form(&docs, id, n, &encode(doc)?)?;
    docs.insert((id, n), stored.as_slice())?;
    Ok(true)
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
    let docs = tx.table(REVISION_DOCS)?;
    let Some(stored) = docs.get((id, n))? else {
        return Ok(None);
    };
    let json = json_of(&docs, id, stored.value())?;
    Ok(Some(decode("revision document", &json)?))
}

/// Removes a plan's history (the plan is being deleted).
pub fn delete_all(tx: &WriteTransaction, id: Oid) -> Result<(), StoreError> {
    tx.open_table(REVISIONS)?
        .retain_in((id, 0)..=(id, u64::MAX), |_, _| false)?;
    tx.open_table(REVISION_DOCS)?
        .retain_in((id, 0)..=(id, u64::MAX), |_, _| false)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_deflated_against_a_dictionary_inflates_back_and_costs_what_changed() {
        let base = br#"{"name":"Soil study","purpose":"We measure soil carbon in forty plots."}"#;
        let next = br#"{"name":"Soil study","purpose":"We measure soil carbon and nitrogen in forty plots."}"#;
        let mut alone = Vec::new();
        deflate_onto(&mut alone, next, None).unwrap();
        let mut delta = Vec::new();
        deflate_onto(&mut delta, next, Some(base)).unwrap();
        assert!(
            delta.len() < alone.len() / 2,
            "{} vs {}",
            delta.len(),
            alone.len()
        );
        assert_eq!(inflate(&delta, Some(base)).unwrap(), next);
        assert_eq!(inflate(&alone, None).unwrap(), next);
        assert!(inflate(&delta, None).is_err() || inflate(&delta, None).unwrap() != next);
        assert!(kind_of(&[7, 1, 2]).is_err());
        assert!(inflate(&alone[..alone.len() / 2], None).is_err());
    }
}

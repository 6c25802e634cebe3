//! DMP records and the owner index.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::de::DeserializeOwned;

use super::records::{DmpRecord, DmpRecordText, DmpSummary, decode, encode};
use super::revisions::{self, Edit};
use super::tables::{
    DMP_COUNTS, DMP_SUMMARIES, DMPS, DMPS_BY_CREATED, DMPS_BY_MODIFIED, DMPS_BY_OWNER, OID_MAX,
    OID_MIN, Oid, oids_under,
};
use super::{ReadTx, StoreError, comments, events, grants};

pub fn get(tx: &impl ReadTx, id: Oid) -> Result<Option<DmpRecord>, StoreError> {
    get_as(tx, id)
}

/// A DMP with its document as stored JSON text (see `DmpRecordText`).
pub fn get_text(tx: &impl ReadTx, id: Oid) -> Result<Option<DmpRecordText>, StoreError> {
    get_as(tx, id)
}

fn get_as<T: DeserializeOwned>(tx: &impl ReadTx, id: Oid) -> Result<Option<T>, StoreError> {
    match tx.table(DMPS)?.get(id)? {
        Some(v) => Ok(Some(decode("dmp", v.value())?)),
        None => Ok(None),
    }
}

/// Inserts a new DMP with its index rows and its first revision. Returns false (writing
/// nothing) if the id exists.
pub fn insert(
    tx: &WriteTransaction,
    id: Oid,
    rec: &DmpRecord,
    edit: &Edit,
) -> Result<bool, StoreError> {
    let mut dmps = tx.open_table(DMPS)?;
    if dmps.get(id)?.is_some() {
        return Ok(false);
    }
    dmps.insert(id, encode(rec)?.as_slice())?;
    tx.open_table(DMPS_BY_OWNER)?.insert((rec.owner, id), ())?;
    count(tx, rec.owner, 1)?;
    index_times(tx, id, rec)?;
    put_summary(tx, id, rec)?;
    revisions::record(tx, id, rec, None, edit)?;
    Ok(true)
}

/// What a list shows of `rec` (see `DmpSummary`).
pub fn summarize(rec: &DmpRecord) -> DmpSummary {
    let text = |key: &str| match rec.doc.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    DmpSummary {
        owner: rec.owner,
        updated: rec.updated,
        version: rec.version,
        title: text("name"),
        template: text("template").trim().to_owned(),
    }
}

/// Writes a DMP's summary row (also the schema 6 migration's step).
pub fn put_summary(tx: &WriteTransaction, id: Oid, rec: &DmpRecord) -> Result<(), StoreError> {
    tx.open_table(DMP_SUMMARIES)?
        .insert(id, encode(&summarize(rec))?.as_slice())?;
    Ok(())
}

/// Reads many DMPs' summaries through one opened table (opening a table costs more than
/// reading a row of it).
pub fn summaries<'t>(
    tx: &'t impl ReadTx,
) -> Result<impl Fn(Oid) -> Result<Option<DmpSummary>, StoreError> + 't, StoreError> {
    let table = tx.table(DMP_SUMMARIES)?;
    Ok(move |id| match table.get(id)? {
        Some(v) => Ok(Some(decode("dmp summary", v.value())?)),
        None => Ok(None),
    })
}

/// One owner's most recently changed DMPs, newest first, at most `limit` of them: read from
/// the modification-time index, so it costs in proportion to `limit`.
pub fn recent_by_owner(
    tx: &impl ReadTx,
    owner: u64,
    limit: usize,
) -> Result<Vec<(i64, Oid)>, StoreError> {
    let table = tx.table(DMPS_BY_MODIFIED)?;
    let mut out = Vec::new();
    for row in table
        .range((owner, i64::MIN, OID_MIN)..=(owner, i64::MAX, OID_MAX))?
        .rev()
        .take(limit)
    {
        let (_, t, id) = row?.0.value();
        out.push((t, id));
    }
    Ok(out)
}

/// How many DMPs `owner` has.
pub fn count_by_owner(tx: &impl ReadTx, owner: u64) -> Result<u64, StoreError> {
    Ok(tx.table(DMP_COUNTS)?.get(owner)?.map_or(0, |v| v.value()))
}

/// Moves `owner`'s count of DMPs by `by` (a row at 0 is removed).
fn count(tx: &WriteTransaction, owner: u64, by: i64) -> Result<(), StoreError> {
    let mut counts = tx.open_table(DMP_COUNTS)?;
    let now = counts.get(owner)?.map_or(0, |v| v.value());
    match now.checked_add_signed(by) {
        Some(0) => {
            counts.remove(owner)?;
        }
        Some(n) => {
            counts.insert(owner, n)?;
        }
        None => {
            return Err(StoreError::Corrupt(format!(
                "the DMP count of user {owner}"
            )));
        }
    }
    Ok(())
}

/// Counts every owner's DMPs from the owner index (the schema 6 migration's step).
pub fn recount(tx: &WriteTransaction) -> Result<(), StoreError> {
    let mut counts = std::collections::BTreeMap::<u64, u64>::new();
    for row in tx.open_table(DMPS_BY_OWNER)?.iter()? {
        *counts.entry(row?.0.value().0).or_default() += 1;
    }
    let mut table = tx.open_table(DMP_COUNTS)?;
    for (owner, n) in counts {
        table.insert(owner, n)?;
    }
    Ok(())
}

/// Writes the creation- and modification-time index rows of a DMP.
pub fn index_times(tx: &WriteTransaction, id: Oid, rec: &DmpRecord) -> Result<(), StoreError> {
    tx.open_table(DMPS_BY_CREATED)?
        .insert((rec.owner, rec.created, id), ())?;
    tx.open_table(DMPS_BY_MODIFIED)?
        .insert((rec.owner, rec.updated, id), ())?;
    Ok(())
}

fn unindex_times(tx: &WriteTransaction, id: Oid, rec: &DmpRecord) -> Result<(), StoreError> {
    tx.open_table(DMPS_BY_CREATED)?
        .remove((rec.owner, rec.created, id))?;
    tx.open_table(DMPS_BY_MODIFIED)?
        .remove((rec.owner, rec.updated, id))?;
    Ok(())
}

/// Rewrites an existing DMP, moving its index rows along (to a new owner too, for a
/// transfer). A change of content (a new version) is kept as a revision.
pub fn update(
    tx: &WriteTransaction,
    id: Oid,
    rec: &DmpRecord,
    edit: &Edit,
) -> Result<(), StoreError> {
    let old = get(tx, id)?;
    if let Some(old) = &old {
        unindex_times(tx, id, old)?;
        if old.owner != rec.owner {
            let mut by_owner = tx.open_table(DMPS_BY_OWNER)?;
            by_owner.remove((old.owner, id))?;
            by_owner.insert((rec.owner, id), ())?;
            count(tx, old.owner, -1)?;
            count(tx, rec.owner, 1)?;
        }
    }
    tx.open_table(DMPS)?.insert(id, encode(rec)?.as_slice())?;
    index_times(tx, id, rec)?;
    put_summary(tx, id, rec)?;
    if old.as_ref().is_none_or(|o| o.version != rec.version) {
        revisions::record(tx, id, rec, old.as_ref(), edit)?;
    }
    Ok(())
}

/// Removes a DMP with its index rows, history, grants, comments and events. Returns the removed record.
pub fn delete(tx: &WriteTransaction, id: Oid) -> Result<Option<DmpRecord>, StoreError> {
    let Some(rec) = get(tx, id)? else {
        return Ok(None);
    };
    tx.open_table(DMPS)?.remove(id)?;
    tx.open_table(DMP_SUMMARIES)?.remove(id)?;
    tx.open_table(DMPS_BY_OWNER)?.remove((rec.owner, id))?;
    count(tx, rec.owner, -1)?;
    unindex_times(tx, id, &rec)?;
    revisions::delete_all(tx, id)?;
    grants::remove_all_of_dmp(tx, id)?;
    comments::delete_all(tx, id)?;
    events::delete_all(tx, id)?;
    Ok(Some(rec))
}

/// A page of one owner's DMP ids, oldest first, and the owner's total.
pub fn page_by_owner(
    tx: &impl ReadTx,
    owner: u64,
    offset: usize,
    limit: usize,
) -> Result<(Vec<Oid>, u64), StoreError> {
    let table = tx.table(DMPS_BY_OWNER)?;
    let mut ids = Vec::new();
    let mut total = 0u64;
    for row in table.range(oids_under(owner))? {
        let key = row?.0.value();
        if total as usize >= offset && ids.len() < limit {
            ids.push(key.1);
        }
        total += 1;
    }
    Ok((ids, total))
}

/// A page of every DMP id, oldest first, and the total (admin listing).
pub fn page_all(
    tx: &impl ReadTx,
    offset: usize,
    limit: usize,
) -> Result<(Vec<Oid>, u64), StoreError> {
    let table = tx.table(DMPS)?;
    let total = table.len()?;
    let mut ids = Vec::new();
    for row in table.iter()?.skip(offset).take(limit) {
        ids.push(row?.0.value());
    }
    Ok((ids, total))
}

/// All DMP ids of an owner (for deleting a user).
pub fn ids_by_owner(tx: &impl ReadTx, owner: u64) -> Result<Vec<Oid>, StoreError> {
    Ok(page_by_owner(tx, owner, 0, usize::MAX)?.0)
}

/// Which time index a range or an order refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeKey {
    Created,
    Modified,
}

/// One owner's DMP ids whose `created` (or `updated`) time lies in `from..=to` (milliseconds),
/// in time order (oldest first), read from the time index: no record is decoded.
pub fn ids_by_time(
    tx: &impl ReadTx,
    owner: u64,
    key: TimeKey,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, Oid)>, StoreError> {
    let table = match key {
        TimeKey::Created => tx.table(DMPS_BY_CREATED)?,
        TimeKey::Modified => tx.table(DMPS_BY_MODIFIED)?,
    };
    let mut out = Vec::new();
    if from > to {
        return Ok(out);
    }
    for row in table.range((owner, from, OID_MIN)..=(owner, to, OID_MAX))? {
        let (_, t, id) = row?.0.value();
        out.push((t, id));
    }
    Ok(out)
}

/// A DMP's owner and version, without its document.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct DmpMeta {
    pub owner: u64,
    pub version: u64,
    pub updated: i64,
}

pub fn meta_of(tx: &impl ReadTx, id: Oid) -> Result<Option<DmpMeta>, StoreError> {
    get_as(tx, id)
}

pub fn owner_of(tx: &impl ReadTx, id: Oid) -> Result<Option<u64>, StoreError> {
    Ok(meta_of(tx, id)?.map(|m| m.owner))
}

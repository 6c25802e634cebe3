//! Task records and their three indexes (by DMP, by owner, by status).

use redb::{ReadableTable, WriteTransaction};

use super::records::{TaskInput, TaskRecord, decode, encode};
use super::tables::{
    Oid, TASK_INPUTS, TASKS, TASKS_BY_DMP, TASKS_BY_OWNER, TASKS_BY_STATUS, oids_under,
};
use super::{ReadTx, StoreError};
use crate::domain::TaskStatus;

/// The status byte used in `TASKS_BY_STATUS` keys. Fixed: changing one needs a migration.
pub fn status_code(s: TaskStatus) -> u8 {
    match s {
        TaskStatus::Pending => 0,
        TaskStatus::Running => 1,
        TaskStatus::Done => 2,
        TaskStatus::Error => 3,
    }
}

fn dmp_key(rec: &TaskRecord) -> Result<Oid, StoreError> {
    let mut b = [0u8; 12];
    hex::decode_to_slice(&rec.dmp, &mut b).map_err(|_| {
        StoreError::Corrupt(format!("task refers to malformed dmp id {:?}", rec.dmp))
    })?;
    Ok(b)
}

pub fn get(tx: &impl ReadTx, id: Oid) -> Result<Option<TaskRecord>, StoreError> {
    match tx.table(TASKS)?.get(id)? {
        Some(v) => Ok(Some(decode("task", v.value())?)),
        None => Ok(None),
    }
}

/// Inserts a task with its index rows. Returns false (writing nothing) if the id exists.
pub fn insert(tx: &WriteTransaction, id: Oid, rec: &TaskRecord) -> Result<bool, StoreError> {
    let mut tasks = tx.open_table(TASKS)?;
    if tasks.get(id)?.is_some() {
        return Ok(false);
    }
    tasks.insert(id, encode(rec)?.as_slice())?;
    tx.open_table(TASKS_BY_DMP)?
        .insert((dmp_key(rec)?, id), ())?;
    tx.open_table(TASKS_BY_OWNER)?.insert((rec.owner, id), ())?;
    tx.open_table(TASKS_BY_STATUS)?
        .insert((status_code(rec.status), id), ())?;
    Ok(true)
}

/// Rewrites a task; moves its status index row when the status changed.
pub fn update(tx: &WriteTransaction, id: Oid, rec: &TaskRecord) -> Result<(), StoreError> {
    let old = get(tx, id)?.ok_or_else(|| StoreError::Corrupt("updating a missing task".into()))?;
    tx.open_table(TASKS)?.insert(id, encode(rec)?.as_slice())?;
    if old.status != rec.status {
        let mut by_status = tx.open_table(TASKS_BY_STATUS)?;
        by_status.remove((status_code(old.status), id))?;
        by_status.insert((status_code(rec.status), id), ())?;
    }
    Ok(())
}

/// Removes a task and all its index rows. Returns the removed record.
pub fn delete(tx: &WriteTransaction, id: Oid) -> Result<Option<TaskRecord>, StoreError> {
    let Some(rec) = get(tx, id)? else {
        return Ok(None);
    };
    tx.open_table(TASKS)?.remove(id)?;
    tx.open_table(TASKS_BY_DMP)?.remove((dmp_key(&rec)?, id))?;
    tx.open_table(TASKS_BY_OWNER)?.remove((rec.owner, id))?;
    tx.open_table(TASKS_BY_STATUS)?
        .remove((status_code(rec.status), id))?;
    tx.open_table(TASK_INPUTS)?.remove(id)?;
    Ok(Some(rec))
}

/// Keeps the DMP snapshot a task will render.
pub fn put_input(tx: &WriteTransaction, id: Oid, input: &TaskInput) -> Result<(), StoreError> {
    tx.open_table(TASK_INPUTS)?
        .insert(id, encode(input)?.as_slice())?;
    Ok(())
}

pub fn get_input(tx: &impl ReadTx, id: Oid) -> Result<Option<TaskInput>, StoreError> {
    match tx.table(TASK_INPUTS)?.get(id)? {
        Some(v) => Ok(Some(decode("task input", v.value())?)),
        None => Ok(None),
    }
}

/// Drops a task's snapshot once it is no longer needed.
pub fn delete_input(tx: &WriteTransaction, id: Oid) -> Result<(), StoreError> {
    tx.open_table(TASK_INPUTS)?.remove(id)?;
    Ok(())
}

/// A DMP's task ids, newest first. Costs in proportion to that DMP's tasks.
pub fn ids_by_dmp(tx: &impl ReadTx, dmp: Oid) -> Result<Vec<Oid>, StoreError> {
    let table = tx.table(TASKS_BY_DMP)?;
    let mut out = Vec::new();
    for row in table.range(oids_under(dmp))?.rev() {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

/// A task and its id, if there is one.
type Latest = Result<Option<(Oid, TaskRecord)>, StoreError>;

/// A DMP's newest task that is done (its documents are the plan's latest): reads the
/// DMP's tasks newest first up to that one, so it costs what was asked after it.
pub fn latest_done(tx: &impl ReadTx, dmp: Oid) -> Latest {
    latest_done_of(tx)?(dmp)
}

/// `latest_done` for many DMPs, through tables opened once.
pub fn latest_done_of<'t>(tx: &'t impl ReadTx) -> Result<impl Fn(Oid) -> Latest + 't, StoreError> {
    let by_dmp = tx.table(TASKS_BY_DMP)?;
    let tasks = tx.table(TASKS)?;
    Ok(move |dmp| {
        for row in by_dmp.range(oids_under(dmp))?.rev() {
            let id = row?.0.value().1;
            let Some(v) = tasks.get(id)? else { continue };
            let rec: TaskRecord = decode("task", v.value())?;
            if rec.status == TaskStatus::Done {
                return Ok(Some((id, rec)));
            }
        }
        Ok(None)
    })
}

/// An owner's task ids, newest first.
pub fn ids_by_owner(tx: &impl ReadTx, owner: u64) -> Result<Vec<Oid>, StoreError> {
    let table = tx.table(TASKS_BY_OWNER)?;
    let mut out = Vec::new();
    for row in table.range(oids_under(owner))?.rev() {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

/// How many of an owner's tasks wait (pending or running). Costs in proportion to the
/// tasks waiting overall (index keys and point lookups, no record is read).
pub fn waiting_of_owner(tx: &impl ReadTx, owner: u64) -> Result<usize, StoreError> {
    let by_status = tx.table(TASKS_BY_STATUS)?;
    let by_owner = tx.table(TASKS_BY_OWNER)?;
    let mut n = 0;
    for status in [TaskStatus::Pending, TaskStatus::Running] {
        let code = status_code(status);
        for row in by_status.range(oids_under(code))? {
            let id = row?.0.value().1;
            if by_owner.get((owner, id))?.is_some() {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Task ids with a status, oldest first, at most `limit`.
pub fn ids_by_status(
    tx: &impl ReadTx,
    status: TaskStatus,
    limit: usize,
) -> Result<Vec<Oid>, StoreError> {
    let table = tx.table(TASKS_BY_STATUS)?;
    let code = status_code(status);
    let mut out = Vec::new();
    for row in table.range(oids_under(code))?.take(limit) {
        out.push(row?.0.value().1);
    }
    Ok(out)
}

//! Whole-database operations: the index consistency check and the snapshot copy used by
//! backups.

use std::collections::HashSet;

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::records::{DmpRecord, FileRecord, ProjectRecord, TaskRecord, UserRecord, decode};
use super::tables::*;
use super::{ReadTx, StoreError, tasks};
use crate::domain::TaskStatus;

/// Checks that every index row points at a record that agrees with it and that every record
/// has its index rows. Returns one line per problem; empty means consistent.
pub fn check(tx: &impl ReadTx) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();

    let mut users = HashSet::new();
    for row in tx.table(USERS)?.iter()? {
        let (k, v) = row?;
        let rec: UserRecord = decode("user", v.value())?;
        users.insert(k.value());
        match tx.table(USER_BY_NAME)?.get(rec.username.as_str())? {
            Some(id) if id.value() == k.value() => {}
            _ => problems.push(format!("user {} has no username index row", k.value())),
        }
    }
    for row in tx.table(USER_BY_NAME)?.iter()? {
        let (name, id) = row?;
        match super::users::get(tx, id.value())? {
            Some(rec) if rec.username == name.value() => {}
            _ => problems.push(format!(
                "username index row {:?} points at no such user",
                name.value()
            )),
        }
    }

    for row in tx.table(USER_BY_FOLD)?.iter()? {
        let (folded, id) = row?;
        match super::users::get(tx, id.value())? {
            Some(rec) if crate::domain::values::fold(&rec.username) == folded.value() => {}
            _ => problems.push(format!(
                "folded username index row {:?} points at no such user",
                folded.value()
            )),
        }
    }
    for (id, rec) in super::users::list(tx)? {
        if tx
            .table(USER_BY_FOLD)?
            .get(crate::domain::values::fold(&rec.username).as_str())?
            .is_none()
        {
            problems.push(format!("user {id} has no folded username index row"));
        }
    }

    let mut projects = HashSet::new();
    for row in tx.table(PROJECTS)?.iter()? {
        let (k, v) = row?;
        let rec: ProjectRecord = decode("project", v.value())?;
        projects.insert(k.value());
        match tx.table(PROJECT_BY_NAME)?.get(rec.name.as_str())? {
            Some(id) if id.value() == k.value() => {}
            _ => problems.push(format!("project {} has no name index row", k.value())),
        }
    }
    for row in tx.table(PROJECT_BY_NAME)?.iter()? {
        let (name, id) = row?;
        if !projects.contains(&id.value()) {
            problems.push(format!(
                "project name index row {:?} points at no such project",
                name.value()
            ));
        }
    }
    for row in tx.table(USER_PROJECTS)?.iter()? {
        let (u, p) = row?.0.value();
        if !users.contains(&u) || !projects.contains(&p) {
            problems.push(format!(
                "membership ({u}, {p}) names a missing user or project"
            ));
        }
        if tx.table(PROJECT_USERS)?.get((p, u))?.is_none() {
            problems.push(format!("membership ({u}, {p}) lacks its reverse row"));
        }
    }
    for row in tx.table(PROJECT_USERS)?.iter()? {
        let (p, u) = row?.0.value();
        if tx.table(USER_PROJECTS)?.get((u, p))?.is_none() {
            problems.push(format!(
                "reverse membership ({p}, {u}) lacks its forward row"
            ));
        }
    }

    for row in tx.table(DMPS)?.iter()? {
        let (k, v) = row?;
        let rec: DmpRecord = decode("dmp", v.value())?;
        if tx
            .table(DMPS_BY_OWNER)?
            .get((rec.owner, k.value()))?
            .is_none()
        {
            problems.push(format!(
                "dmp {} has no owner index row",
                hex::encode(k.value())
            ));
        }
        let summary: Option<super::records::DmpSummary> =
            match tx.table(DMP_SUMMARIES)?.get(k.value())? {
                Some(v) => Some(decode("dmp summary", v.value())?),
                None => None,
            };
        if summary.as_ref() != Some(&super::dmps::summarize(&rec)) {
            problems.push(format!(
                "dmp {} has no summary, or one that does not match it",
                hex::encode(k.value())
            ));
        }
        if tx
            .table(DMPS_BY_CREATED)?
            .get((rec.owner, rec.created, k.value()))?
            .is_none()
            || tx
                .table(DMPS_BY_MODIFIED)?
                .get((rec.owner, rec.updated, k.value()))?
                .is_none()
        {
            problems.push(format!(
                "dmp {} lacks a time index row",
                hex::encode(k.value())
            ));
        }
    }
    let mut owned = std::collections::BTreeMap::<u64, u64>::new();
    for row in tx.table(DMPS_BY_OWNER)?.iter()? {
        *owned.entry(row?.0.value().0).or_default() += 1;
    }
    let mut counted = std::collections::BTreeMap::<u64, u64>::new();
    for row in tx.table(DMP_COUNTS)?.iter()? {
        let (k, v) = row?;
        counted.insert(k.value(), v.value());
    }
    let owners: std::collections::BTreeSet<u64> =
        owned.keys().chain(counted.keys()).copied().collect();
    for owner in owners {
        let (has, says) = (owned.get(&owner), counted.get(&owner));
        if has != says {
            problems.push(format!(
                "user {owner} owns {} DMPs but their count says {}",
                has.copied().unwrap_or(0),
                says.copied().unwrap_or(0)
            ));
        }
    }
    for row in tx.table(DMP_SUMMARIES)?.iter()? {
        let id = row?.0.value();
        if tx.table(DMPS)?.get(id)?.is_none() {
            problems.push(format!("summary of no such dmp {}", hex::encode(id)));
        }
    }
    for row in tx.table(DMPS_BY_OWNER)?.iter()? {
        let (owner, id) = row?.0.value();
        match super::dmps::get(tx, id)? {
            Some(rec) if rec.owner == owner => {}
            _ => problems.push(format!(
                "owner index row ({owner}, {}) points at no such dmp",
                hex::encode(id)
            )),
        }
    }

    for (name, table, created) in [
        ("created", tx.table(DMPS_BY_CREATED)?, true),
        ("modified", tx.table(DMPS_BY_MODIFIED)?, false),
    ] {
        for row in table.iter()? {
            let (owner, t, id) = row?.0.value();
            match super::dmps::get(tx, id)? {
                Some(rec)
                    if rec.owner == owner
                        && t == if created { rec.created } else { rec.updated } => {}
                _ => problems.push(format!(
                    "{name} index row ({owner}, {t}, {}) points at no such dmp",
                    hex::encode(id)
                )),
            }
        }
    }

    for row in tx.table(TASKS)?.iter()? {
        let (k, v) = row?;
        let id = k.value();
        let rec: TaskRecord = decode("task", v.value())?;
        let mut dmp = [0u8; 12];
        if hex::decode_to_slice(&rec.dmp, &mut dmp).is_err()
            || tx.table(TASKS_BY_DMP)?.get((dmp, id))?.is_none()
        {
            problems.push(format!("task {} has no dmp index row", hex::encode(id)));
        }
        if tx.table(TASKS_BY_OWNER)?.get((rec.owner, id))?.is_none() {
            problems.push(format!("task {} has no owner index row", hex::encode(id)));
        }
        if tx
            .table(TASKS_BY_STATUS)?
            .get((tasks::status_code(rec.status), id))?
            .is_none()
        {
            problems.push(format!("task {} has no status index row", hex::encode(id)));
        }
    }
    for row in tx.table(TASKS_BY_DMP)?.iter()? {
        let (dmp, id) = row?.0.value();
        match tasks::get(tx, id)? {
            Some(rec) if rec.dmp == hex::encode(dmp) => {}
            _ => problems.push(format!(
                "dmp index row for task {} is stale",
                hex::encode(id)
            )),
        }
    }
    for row in tx.table(TASKS_BY_OWNER)?.iter()? {
        let (owner, id) = row?.0.value();
        match tasks::get(tx, id)? {
            Some(rec) if rec.owner == owner => {}
            _ => problems.push(format!(
                "owner index row for task {} is stale",
                hex::encode(id)
            )),
        }
    }
    for row in tx.table(TASKS_BY_STATUS)?.iter()? {
        let (code, id) = row?.0.value();
        match tasks::get(tx, id)? {
            Some(rec) if tasks::status_code(rec.status) == code => {}
            _ => problems.push(format!(
                "status index row for task {} is stale",
                hex::encode(id)
            )),
        }
    }
    for row in tx.table(TASK_INPUTS)?.iter()? {
        let id = row?.0.value();
        match tasks::get(tx, id)? {
            Some(t) if matches!(t.status, TaskStatus::Pending | TaskStatus::Running) => {}
            Some(_) => problems.push(format!(
                "finished task {} still holds its input",
                hex::encode(id)
            )),
            None => problems.push(format!("input of missing task {}", hex::encode(id))),
        }
    }
    for row in tx.table(FILES)?.iter()? {
        let (k, v) = row?;
        let rec: FileRecord = decode("file", v.value())?;
        if !users.contains(&rec.owner) {
            problems.push(format!("file {:?} belongs to a missing user", k.value()));
        }
    }
    // Grants: indexed both ways, on plans and grantees that exist; every plan has its
    // current revision.
    for row in tx.table(DMP_GRANTS)?.iter()? {
        let (k, v) = row?;
        let (dmp, kind, who) = k.value();
        let back = match kind {
            0 => tx.table(USER_GRANTS)?.get((who, dmp))?.map(|r| r.value()),
            _ => tx
                .table(PROJECT_GRANTS)?
                .get((who, dmp))?
                .map(|r| r.value()),
        };
        if back != Some(v.value()) {
            problems.push(format!(
                "grant on DMP {} to {kind}/{who} has no matching reverse row",
                hex::encode(dmp)
            ));
        }
        if tx.table(DMPS)?.get(dmp)?.is_none() {
            problems.push(format!("grant on missing DMP {}", hex::encode(dmp)));
        }
        let exists = match kind {
            0 => tx.table(USERS)?.get(who)?.is_some(),
            _ => tx.table(PROJECTS)?.get(who)?.is_some(),
        };
        if !exists {
            problems.push(format!(
                "grant on DMP {} to missing grantee {kind}/{who}",
                hex::encode(dmp)
            ));
        }
    }
    for (table, kind) in [(USER_GRANTS, 0u8), (PROJECT_GRANTS, 1u8)] {
        for row in tx.table(table)?.iter()? {
            let (k, _) = row?;
            let (who, dmp) = k.value();
            if tx.table(DMP_GRANTS)?.get((dmp, kind, who))?.is_none() {
                problems.push(format!(
                    "reverse grant row {kind}/{who} on DMP {} has no grant",
                    hex::encode(dmp)
                ));
            }
        }
    }
    for row in tx.table(DMPS)?.iter()? {
        let (k, v) = row?;
        let meta: super::dmps::DmpMeta = decode("dmp", v.value())?;
        if tx
            .table(REVISIONS)?
            .get((k.value(), meta.version))?
            .is_none()
        {
            problems.push(format!(
                "DMP {} has no revision {}",
                hex::encode(k.value()),
                meta.version
            ));
        }
    }

    Ok(problems)
}

fn copy<K: redb::Key + 'static, V: redb::Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
) -> Result<(), StoreError>
where
    for<'a> K::SelfType<'a>: std::borrow::Borrow<K::SelfType<'a>>,
    for<'a> V::SelfType<'a>: std::borrow::Borrow<V::SelfType<'a>>,
{
    // A database of an older schema may lack tables added since: nothing to copy.
    let src = match from.open_table(def) {
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
        other => other?,
    };
    let mut dst = to.open_table(def)?;
    for row in src.iter()? {
        let (k, v) = row?;
        dst.insert(k.value(), v.value())?;
    }
    Ok(())
}

/// Copies every table of the catalogue from a snapshot into another database.
pub fn copy_all(from: &ReadTransaction, to: &WriteTransaction) -> Result<(), StoreError> {
    macro_rules! copy_each {
        ($(($t:ident, $since:literal)),*) => {$(
            copy(from, to, $t)?;
        )*};
    }
    each_table!(copy_each);
    Ok(())
}

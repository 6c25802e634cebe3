//! Grants: who a plan is shared with, under which role. Each grant is indexed both ways in
//! one transaction (plan → grantees, grantee → plans), so a plan's access list and a user's
//! or project's shared list each cost in proportion to their own length.

use redb::{ReadableTable, WriteTransaction};

use super::tables::{DMP_GRANTS, Oid, PROJECT_GRANTS, USER_GRANTS, oids_under};
use super::{ReadTx, StoreError};
use crate::domain::{Grantee, Role};

fn role(code: u8) -> Result<Role, StoreError> {
    Role::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("grant role code {code}")))
}

/// The grantee's side of the index.
fn reverse(
    tx: &WriteTransaction,
    grantee: Grantee,
) -> Result<redb::Table<'_, (u64, Oid), u8>, StoreError> {
    Ok(match grantee {
        Grantee::User(_) => tx.open_table(USER_GRANTS)?,
        Grantee::Project(_) => tx.open_table(PROJECT_GRANTS)?,
    })
}

/// Gives `grantee` `role` on plan `dmp` (replacing a grant it had). The role it had before.
pub fn set(
    tx: &WriteTransaction,
    dmp: Oid,
    grantee: Grantee,
    role_: Role,
) -> Result<Option<Role>, StoreError> {
    let (kind, id) = grantee.key();
    let before = tx
        .open_table(DMP_GRANTS)?
        .insert((dmp, kind, id), role_.code())?
        .map(|v| v.value());
    reverse(tx, grantee)?.insert((id, dmp), role_.code())?;
    before.map(role).transpose()
}

/// Takes back what `grantee` had on plan `dmp`; the role it had.
pub fn remove(
    tx: &WriteTransaction,
    dmp: Oid,
    grantee: Grantee,
) -> Result<Option<Role>, StoreError> {
    let (kind, id) = grantee.key();
    let before = tx
        .open_table(DMP_GRANTS)?
        .remove((dmp, kind, id))?
        .map(|v| v.value());
    reverse(tx, grantee)?.remove((id, dmp))?;
    before.map(role).transpose()
}

/// The role `grantee` holds on plan `dmp` by a grant of its own.
pub fn get(tx: &impl ReadTx, dmp: Oid, grantee: Grantee) -> Result<Option<Role>, StoreError> {
    let (kind, id) = grantee.key();
    tx.table(DMP_GRANTS)?
        .get((dmp, kind, id))?
        .map(|v| role(v.value()))
        .transpose()
}

/// Every grant on plan `dmp`, users first, by id.
pub fn of_dmp(tx: &impl ReadTx, dmp: Oid) -> Result<Vec<(Grantee, Role)>, StoreError> {
    let mut out = Vec::new();
    for row in tx
        .table(DMP_GRANTS)?
        .range((dmp, 0, 0)..=(dmp, u8::MAX, u64::MAX))?
    {
        let (k, v) = row?;
        let (_, kind, id) = k.value();
        let g = Grantee::from_key(kind, id)
            .ok_or_else(|| StoreError::Corrupt(format!("grantee kind {kind}")))?;
        out.push((g, role(v.value())?));
    }
    Ok(out)
}

/// The plans shared with `grantee` itself (for a user: not through projects), by plan id.
pub fn of_grantee(tx: &impl ReadTx, grantee: Grantee) -> Result<Vec<(Oid, Role)>, StoreError> {
    let (table, id) = match grantee {
        Grantee::User(id) => (tx.table(USER_GRANTS)?, id),
        Grantee::Project(id) => (tx.table(PROJECT_GRANTS)?, id),
    };
    let mut out = Vec::new();
    for row in table.range(oids_under(id))? {
        let (k, v) = row?;
        out.push((k.value().1, role(v.value())?));
    }
    Ok(out)
}

/// Removes every grant on plan `dmp` (it is being deleted).
pub fn remove_all_of_dmp(tx: &WriteTransaction, dmp: Oid) -> Result<(), StoreError> {
    for (g, _) in of_dmp(tx, dmp)? {
        remove(tx, dmp, g)?;
    }
    Ok(())
}

/// Removes every grant `grantee` holds (the user or project is being deleted).
pub fn remove_all_of_grantee(tx: &WriteTransaction, grantee: Grantee) -> Result<usize, StoreError> {
    let held = of_grantee(tx, grantee)?;
    for (dmp, _) in &held {
        remove(tx, *dmp, grantee)?;
    }
    Ok(held.len())
}

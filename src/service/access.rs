//! Who may do what with a plan. The owner may do everything; members hold a role by a grant
//! to them or to a project they belong to (the best one counts). An administrator reads every
//! plan (as a viewer, unless a grant gives more) and manages its access (`may_manage`), but
//! does not write other users' plans.
//! Someone with no role on a plan is told it does not exist (404, never 403), so plan ids
//! do not leak; a member acting above their role is refused (403) with the role needed.

use super::Caller;
use super::dmps::not_found;
use super::error::{Result, ServiceError};
use crate::domain::{DmpId, Grantee, Role};
use crate::store::records::{DmpRecord, DmpRecordText};
use crate::store::tables::Oid;
use crate::store::{ReadTx, dmps, grants, projects};

/// The caller's role on plan `dmp`, owned by `owner`: none when they have no grant.
pub(crate) fn role_on(
    tx: &impl ReadTx,
    caller: &Caller,
    dmp: Oid,
    owner: u64,
) -> Result<Option<Role>> {
    if owner == caller.id.0 {
        return Ok(Some(Role::Owner));
    }
    let mut best = grants::get(tx, dmp, Grantee::User(caller.id.0))?;
    if caller.admin {
        best = best.max(Some(Role::Viewer));
    }
    for p in projects::projects_of(tx, caller.id.0)? {
        best = best.max(grants::get(tx, dmp, Grantee::Project(p))?);
    }
    Ok(best)
}

/// `role` if it is at least `need`: "not found" without one, "forbidden" below it.
pub(crate) fn require(id: DmpId, role: Option<Role>, need: Role) -> Result<Role> {
    match role {
        None => Err(not_found(id)),
        Some(r) if r < need => Err(ServiceError::Forbidden(format!(
            "this needs the {need} role on DMP {id}; yours is {r}"
        ))),
        Some(r) => Ok(r),
    }
}

/// Plan `id` with the caller's role on it, if that is at least `need`.
pub(crate) fn load(
    tx: &impl ReadTx,
    caller: &Caller,
    id: DmpId,
    need: Role,
) -> Result<(DmpRecord, Role)> {
    let rec = dmps::get(tx, id.bytes())?.ok_or_else(|| not_found(id))?;
    let role = require(id, role_on(tx, caller, id.bytes(), rec.owner)?, need)?;
    Ok((rec, role))
}

/// `load` with the document left as stored text.
pub(crate) fn load_text(
    tx: &impl ReadTx,
    caller: &Caller,
    id: DmpId,
    need: Role,
) -> Result<(DmpRecordText, Role)> {
    let rec = dmps::get_text(tx, id.bytes())?.ok_or_else(|| not_found(id))?;
    let role = require(id, role_on(tx, caller, id.bytes(), rec.owner)?, need)?;
    Ok((rec, role))
}

/// That the caller holds at least `need` on plan `id` (which must exist).
pub(crate) fn check(tx: &impl ReadTx, caller: &Caller, id: DmpId, need: Role) -> Result<Role> {
    let owner = dmps::owner_of(tx, id.bytes())?.ok_or_else(|| not_found(id))?;
    require(id, role_on(tx, caller, id.bytes(), owner)?, need)
}

/// That the caller may change who has access to plan `id` (its owner or an administrator),
/// given their `role` on it.
pub(crate) fn may_manage(caller: &Caller, id: DmpId, role: Role) -> Result<()> {
    if role == Role::Owner || caller.admin {
        return Ok(());
    }
    Err(ServiceError::Forbidden(format!(
        "only the owner of DMP {id} (or an administrator) changes who has access; yours is {role}"
    )))
}

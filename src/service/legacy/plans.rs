//! The second step of a legacy import: plans, each under the account imported for its
//! owner (or `--orphans-to`).

use std::collections::HashSet;

use redb::WriteTransaction;
use serde_json::Value;

use super::accounts::Accounts;
use super::{ImportOptions, ImportReport, Progress, Stop, str_field};
use crate::domain::DmpId;
use crate::domain::dmp::client_fields;
use crate::legacy::Collection;
use crate::service::error::ServiceError;
use crate::store::records::DmpRecord;
use crate::store::{dmps, users};

/// Imports the plans; returns those skipped, whose tasks and documents are skipped too.
pub(super) fn import(
    tx: &WriteTransaction,
    plans: &Collection,
    accounts: &Accounts<'_>,
    opts: &ImportOptions,
    r: &mut ImportReport,
    progress: Progress<'_>,
) -> Result<HashSet<DmpId>, Stop> {
    for line in &plans.unreadable {
        r.dmps.skipped += 1;
        r.reasons.push(line.clone());
    }
    let mut orphan_owner: Option<u64> = None;
    let mut skipped_dmps = HashSet::new();
    let total = plans.documents.len();
    for (i, d) in plans.documents.iter().enumerate() {
        progress("DMPs", i + 1, total);
        let Some(id) = str_field(d, "_id").and_then(|s| DmpId::parse(s).ok()) else {
            r.dmps.skipped += 1;
            r.reasons
                .push(format!("a DMP without a valid _id ({:?})", d.get("_id")));
            continue;
        };
        if dmps::get(tx, id.bytes())?.is_some() {
            r.dmps.present += 1;
            continue;
        }
        let owner_name = str_field(d, "user").unwrap_or("");
        // The plan's owner is the account imported for its legacy account, if any.
        let legacy = accounts.legacy_by_name.get(owner_name);
        let why = match legacy {
            Some(legacy_id) => match accounts.user_ids.get(legacy_id) {
                Some(&o) => Ok(o),
                None => Err(format!(
                    "its owner '{owner_name}' was not imported (see the user's line)"
                )),
            },
            None => Err(format!("owner '{owner_name}' does not exist")),
        };
        let owner = match why {
            Ok(o) => o,
            Err(why) => match &opts.orphans_to {
                Some(to) => {
                    let o = match orphan_owner {
                        Some(o) => o,
                        None => users::id_by_name(tx, to)?.ok_or_else(|| {
                            ServiceError::Invalid(format!("--orphans-to: no user named '{to}'"))
                        })?,
                    };
                    orphan_owner = Some(o);
                    r.reasons
                        .push(format!("DMP {id}: {why}; assigned to '{to}'"));
                    o
                }
                None => {
                    r.dmps.skipped += 1;
                    skipped_dmps.insert(id);
                    r.reasons.push(format!(
                        "DMP {id}: {why}; skipped with its tasks and documents (use --orphans-to USER to keep it)"
                    ));
                    continue;
                }
            },
        };
        let created = i64::from(id.0.timestamp_secs()) * 1000;
        let doc = client_fields(Value::Object(d.clone())).map_err(ServiceError::from)?;
        let rec = DmpRecord {
            owner,
            created,
            updated: created,
            version: 1,
            doc,
        };
        dmps::insert(
            tx,
            id.bytes(),
            &rec,
            &crate::store::revisions::Edit::by(rec.owner, "legacy-import"),
        )?;
        r.dmps.imported += 1;
    }
    Ok(skipped_dmps)
}

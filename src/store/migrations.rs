//! Numbered schema migrations. Each runs in its own write transaction and is idempotent;
//! the schema version is written in the same transaction as the migration's changes.

use redb::{ReadableTable, WriteTransaction};

use super::tables::*;
use super::{Store, StoreError, meta};

/// The schema version this build writes.
pub const SCHEMA_VERSION: u64 = 6;

type Migration = fn(&WriteTransaction) -> Result<(), StoreError>;

/// `MIGRATIONS[n]` brings a database from version `n` to `n + 1`.
const MIGRATIONS: [Migration; SCHEMA_VERSION as usize] =
    [v0_to_v1, v1_to_v2, v2_to_v3, v3_to_v4, v4_to_v5, v5_to_v6];

/// Version 1: the tables of the first catalogue exist.
fn v0_to_v1(tx: &WriteTransaction) -> Result<(), StoreError> {
    create_added_in(tx, 1)?;
    Ok(())
}

/// Version 2: tasks keep a snapshot of the DMP they render.
fn v1_to_v2(tx: &WriteTransaction) -> Result<(), StoreError> {
    create_added_in(tx, 2)?;
    Ok(())
}

/// Version 3: each user's DMPs indexed by creation and modification time (the RDA API
/// pages and filters by them).
fn v2_to_v3(tx: &WriteTransaction) -> Result<(), StoreError> {
    create_added_in(tx, 3)?;
    let mut rows = Vec::new();
    for row in tx.open_table(DMPS)?.iter()? {
        let (k, v) = row?;
        let rec: super::records::DmpRecord = super::records::decode("dmp", v.value())?;
        rows.push((k.value(), rec));
    }
    for (id, rec) in rows {
        super::dmps::index_times(tx, id, &rec)?;
    }
    Ok(())
}

/// Version 4: usernames are unique in their folded form (NFKC, case folding), indexed here.
/// Look-alike names an older version let in stay usable under their exact names.
fn v3_to_v4(tx: &WriteTransaction) -> Result<(), StoreError> {
    create_added_in(tx, 4)?;
    let left = super::users::index_folded(tx)?;
    if !left.is_empty() {
        tracing::warn!(users = ?left, "these usernames look like an older account's name: they keep working under their exact spelling only");
    }
    Ok(())
}

/// Version 5: plans shared under roles, their revisions, comments and events. Every
/// existing plan gets its current state as its first kept revision (numbered by its
/// version, which is 1 for a plan never changed), authored by its owner.
fn v4_to_v5(tx: &WriteTransaction) -> Result<(), StoreError> {
    create_added_in(tx, 5)?;
    let mut rows = Vec::new();
    for row in tx.open_table(DMPS)?.iter()? {
        let (k, v) = row?;
        let rec: super::records::DmpRecord = super::records::decode("dmp", v.value())?;
        rows.push((k.value(), rec));
    }
    for (id, rec) in rows {
        let edit = super::revisions::Edit::by(rec.owner, "upgrade");
        super::revisions::record(tx, id, &rec, None, &edit)?;
    }
    Ok(())
}

/// Version 6: every plan's summary (owner, times, version, title, template) kept beside it,
/// and every owner's count of plans, so that a plan list reads only the plans of its page.
fn v5_to_v6(tx: &WriteTransaction) -> Result<(), StoreError> {
    create_added_in(tx, 6)?;
    let mut rows = Vec::new();
    for row in tx.open_table(DMPS)?.iter()? {
        let (k, v) = row?;
        let rec: super::records::DmpRecord = super::records::decode("dmp", v.value())?;
        rows.push((k.value(), super::dmps::summarize(&rec)));
    }
    let mut table = tx.open_table(DMP_SUMMARIES)?;
    for (id, summary) in rows {
        table.insert(id, super::records::encode(&summary)?.as_slice())?;
    }
    super::dmps::recount(tx)?;
    Ok(())
}

pub fn run(store: &Store) -> Result<(), StoreError> {
    let current = store
        .write(|tx| Ok::<_, StoreError>(meta::get(tx, meta::SCHEMA_VERSION_KEY)?.unwrap_or(0)))?;
    if current > 0 && current < SCHEMA_VERSION {
        // An upgrade: keep a copy of the database as it was, next to it.
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let name = format!(
            "{}.v{current}-{stamp}.bak",
            store
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        let dest = store.path().with_file_name(name);
        store.backup_to(&dest)?;
        tracing::warn!(backup = %dest.display(), from = current, to = SCHEMA_VERSION, "upgrading the database schema; a copy of the old one was kept");
    }
    loop {
        let done = store.write(|tx| {
            let current = meta::get(tx, meta::SCHEMA_VERSION_KEY)?.unwrap_or(0);
            if current > SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew {
                    found: current,
                    supported: SCHEMA_VERSION,
                });
            }
            if current == SCHEMA_VERSION {
                return Ok(true);
            }
            let step = usize::try_from(current)
                .map_err(|_| StoreError::Corrupt("schema version".into()))?;
            MIGRATIONS[step](tx)?;
            meta::set(tx, meta::SCHEMA_VERSION_KEY, current + 1)?;
            tracing::info!(from = current, to = current + 1, "database schema migrated");
            Ok(false)
        })?;
        if done {
            return Ok(());
        }
    }
}

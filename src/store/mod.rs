//! Storage on one redb file. This layer knows tables, keys and transactions, nothing of HTTP
//! or of the rules: services call it inside one transaction per use case, and every record is
//! written together with its index rows in that same transaction.

pub mod dmps;
pub mod dump;
mod error;
pub mod files;
pub mod integrity;
pub mod meta;
mod migrations;
pub mod private;
pub mod projects;
pub mod records;
pub mod sessions;
pub mod tables;
pub mod tasks;
pub mod users;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard};

use redb::{
    Database, Durability, Key, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
    Value, WriteTransaction,
};

pub use error::{StoreError, is_disk_full};
pub use migrations::SCHEMA_VERSION;

/// The open database. Cloning is not needed: share it behind an `Arc`.
pub struct Store {
    /// `None` only while a reopen after an I/O failure has not succeeded yet.
    db: RwLock<Option<Database>>,
    path: PathBuf,
    batches: Batches,
    /// A write hit an I/O error (a full disk, say): redb refuses further writes until the
    /// database is opened again, which the next write does once there is room.
    broken: AtomicBool,
}

/// Group commit. Writes that arrive together share one transaction and one durable commit
/// (one fsync): each writer runs its own closure in the open transaction, in turn, and the
/// last one to join commits for all of them. Nobody is answered before the commit that
/// holds their write is on disk.
///
/// A write that fails must leave nothing behind, but redb cannot roll back part of a
/// transaction. So when one writer's closure fails, the whole batch is abandoned: that
/// writer gets its error, and the others of the batch run their closures again in a new
/// one (which is why a write's closure is `FnMut`, and must not change anything outside
/// the transaction it is given).
#[derive(Default)]
struct Batches {
    state: Mutex<BatchState>,
    changed: Condvar,
}

#[derive(Default)]
struct BatchState {
    /// The transaction writers join, while one is open.
    open: Option<WriteTransaction>,
    /// How the open batch ends, for its members to read.
    fate: Arc<OnceLock<Fate>>,
    /// Writes already in the open batch.
    members: usize,
    /// Writers that have arrived and not yet had their turn.
    queued: usize,
    /// A batch is being committed (its transaction holds redb's one write lock, so the next
    /// batch starts when it is done).
    committing: bool,
}

#[derive(Debug)]
enum Fate {
    /// Committed and on disk.
    Durable,
    /// Abandoned because another member failed: run again.
    Again,
    /// The commit failed: no member's write happened.
    Failed(StoreError),
}

/// A batch is committed once this many writes are in it even if more are waiting, so a
/// crowd of writers cannot hold one batch open without end.
const MAX_BATCH: usize = 256;

impl Store {
    /// Opens (creating if absent) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        // Owner only (0600), whatever the umask: it holds every password hash and plan.
        private::touch(path)?;
        let db = match builder().create(path) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StoreError::Locked {
                    path: path.to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let store = Self {
            db: RwLock::new(Some(db)),
            path: path.to_owned(),
            batches: Batches::default(),
            broken: AtomicBool::new(false),
        };
        migrations::run(&store)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a read transaction (a consistent snapshot).
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let guard = self.db()?;
        let db = guard.as_ref().ok_or(StoreError::Unavailable)?;
        let tx = db.begin_read().map_err(StoreError::from)?;
        f(&tx)
    }

    /// Runs `f` in a write transaction and returns once what it wrote is durable on disk.
    /// If `f` fails, nothing it wrote is kept. `f` may run more than once (see `Batches`):
    /// it must do nothing outside the transaction it is given.
    pub fn write<T, E: From<StoreError>>(
        &self,
        mut f: impl FnMut(&WriteTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut st = self.lock_batches();
        st.queued += 1;
        loop {
            while st.committing {
                st = self.wait(st);
            }
            if st.open.is_none()
                && let Err(e) = self.begin_batch(&mut st)
            {
                st.queued -= 1;
                return Err(e.into());
            }
            st.queued -= 1;
            let fate = Arc::clone(&st.fate);
            let Some(tx) = st.open.as_ref() else {
                st.queued += 1;
                continue;
            };
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(tx)));
            let value = match ran {
                Ok(Ok(value)) => value,
                Ok(Err(e)) => {
                    self.abandon(&mut st);
                    return Err(e);
                }
                Err(panic) => {
                    self.abandon(&mut st);
                    drop(st);
                    std::panic::resume_unwind(panic);
                }
            };
            st.members += 1;
            if st.queued == 0 || st.members >= MAX_BATCH {
                // Nobody else is about to join: commit for everyone in the batch.
                return match self.commit_batch(st) {
                    Ok(()) => Ok(value),
                    Err(e) => Err(e.into()),
                };
            }
            // Someone else will commit this batch; wait for its fate.
            loop {
                match fate.get() {
                    Some(Fate::Durable) => return Ok(value),
                    Some(Fate::Failed(e)) => return Err(e.shared().into()),
                    Some(Fate::Again) => break,
                    None => st = self.wait(st),
                }
            }
            st.queued += 1;
        }
    }

    fn lock_batches(&self) -> MutexGuard<'_, BatchState> {
        // A panicking writer abandons its batch before the lock is released, so the state
        // is consistent at every unlock.
        self.batches.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, st: MutexGuard<'a, BatchState>) -> MutexGuard<'a, BatchState> {
        self.batches
            .changed
            .wait(st)
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Opens the transaction the next writers join (reopening the database first if an
    /// I/O failure broke it).
    fn begin_batch(&self, st: &mut BatchState) -> Result<(), StoreError> {
        if self.broken.load(Ordering::Acquire) {
            self.reopen()?;
        }
        let guard = self.db()?;
        let db = guard.as_ref().ok_or(StoreError::Unavailable)?;
        let mut tx = db.begin_write().map_err(|e| self.note(e.into()))?;
        tx.set_durability(Durability::Immediate)
            .map_err(|e| StoreError::from(redb::Error::from(e)))?;
        st.open = Some(tx);
        st.members = 0;
        Ok(())
    }

    /// Ends the open batch without writing anything; its other members run again.
    fn abandon(&self, st: &mut BatchState) {
        if let Some(tx) = st.open.take()
            && let Err(e) = tx.abort()
        {
            tracing::warn!(error = %e, "aborting a write transaction failed");
        }
        self.settle(st, Fate::Again);
    }

    /// Commits the open batch (durably) and tells its members how it went.
    fn commit_batch(&self, mut st: MutexGuard<'_, BatchState>) -> Result<(), StoreError> {
        let Some(tx) = st.open.take() else {
            return Err(StoreError::Unavailable);
        };
        st.committing = true;
        drop(st);
        let result = tx.commit().map_err(|e| self.note(e.into()));
        let mut st = self.lock_batches();
        st.committing = false;
        let fate = match &result {
            Ok(()) => Fate::Durable,
            Err(e) => Fate::Failed(e.shared()),
        };
        self.settle(&mut st, fate);
        result
    }

    /// Records how the batch ended and starts a fresh one for whoever comes next.
    fn settle(&self, st: &mut BatchState, fate: Fate) {
        // Each batch's fate is set once, here, on a cell nobody else sets.
        let _ = st.fate.set(fate);
        st.fate = Arc::new(OnceLock::new());
        st.members = 0;
        self.batches.changed.notify_all();
    }

    fn db(&self) -> Result<RwLockReadGuard<'_, Option<Database>>, StoreError> {
        // A panic while the lock was held cannot leave the handle half-replaced.
        Ok(self.db.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Remembers an I/O failure of a write: the database needs opening again.
    fn note(&self, e: StoreError) -> StoreError {
        if matches!(
            e,
            StoreError::DiskFull
                | StoreError::Io(_)
                | StoreError::Db(redb::Error::Io(_))
                | StoreError::Db(redb::Error::PreviousIo)
        ) {
            self.broken.store(true, Ordering::Release);
        }
        e
    }

    /// Opens the database again after an I/O failure, once the disk has room: what was
    /// committed durably is what it holds (writes that failed were never acknowledged).
    /// Until then reads go on from the old handle and writes fail as before.
    fn reopen(&self) -> Result<(), StoreError> {
        const ROOM: u64 = 1 << 20;
        if free_bytes(&self.path).is_some_and(|free| free < ROOM) {
            return Err(StoreError::DiskFull);
        }
        let mut slot = self.db.write().unwrap_or_else(|p| p.into_inner());
        if !self.broken.load(Ordering::Acquire) {
            return Ok(()); // another writer reopened it meanwhile
        }
        drop(slot.take());
        match builder().create(&self.path) {
            Ok(db) => {
                *slot = Some(db);
                self.broken.store(false, Ordering::Release);
                tracing::warn!(path = %self.path.display(), "database reopened after an I/O failure");
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "reopening the database failed; retrying on the next write");
                Err(StoreError::from(e))
            }
        }
    }

    /// Copies a consistent snapshot of the whole database to `dest` (a new redb file).
    pub fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let guard = self.db()?;
        let db = guard.as_ref().ok_or(StoreError::Unavailable)?;
        let read = db.begin_read()?;
        private::touch(dest)?;
        let target = Database::create(dest)?;
        let w = target.begin_write()?;
        integrity::copy_all(&read, &w)?;
        w.commit()?;
        Ok(())
    }
}

/// Read access to tables from either kind of transaction, so one read function serves
/// queries and the checks a write makes before it writes.
pub trait ReadTx {
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<impl ReadableTable<K, V> + '_, StoreError>;
}

impl ReadTx for ReadTransaction {
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<impl ReadableTable<K, V> + '_, StoreError> {
        Ok(self.open_table(def)?)
    }
}

impl ReadTx for WriteTransaction {
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<impl ReadableTable<K, V> + '_, StoreError> {
        Ok(self.open_table(def)?)
    }
}

/// Free space on the file system holding `path`, if it can be read.
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let dir = path.parent().unwrap_or(path);
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// How much of the database redb keeps in memory (its default is 1 GiB, which a server
/// meant to idle at a few MiB has no use for; the OS page cache holds the file anyway).
/// Not smaller: once a write has failed for a full disk, redb refuses to read the file
/// again until it is reopened, so reads go on only from this cache (a 16 MiB cache made
/// the disk-full test's reads answer 507).
pub const CACHE_BYTES: usize = 64 << 20;

fn builder() -> redb::Builder {
    let mut b = Database::builder();
    b.set_cache_size(CACHE_BYTES);
    b
}

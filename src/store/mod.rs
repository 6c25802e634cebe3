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
pub mod projects;
pub mod records;
pub mod sessions;
pub mod tables;
pub mod tasks;
pub mod users;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, RwLock, RwLockReadGuard};

use redb::{
    Database, Durability, Key, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
    Value, WriteTransaction,
};

pub use error::StoreError;
pub use migrations::SCHEMA_VERSION;

/// The open database. Cloning is not needed: share it behind an `Arc`.
pub struct Store {
    /// `None` only while a reopen after an I/O failure has not succeeded yet.
    db: RwLock<Option<Database>>,
    path: PathBuf,
    sync: GroupSync,
    /// A write hit an I/O error (a full disk, say): redb refuses further writes until the
    /// database is opened again, which the next write does once there is room.
    broken: AtomicBool,
}

/// Group commit: each write commits on its own (cheaply, without flushing), then waits
/// until a flush covers it. One waiting writer flushes for everyone who committed before
/// it started, so concurrent writes share one fsync, and none is acknowledged before its
/// commit is on disk. A failing write aborts only its own transaction.
#[derive(Default)]
struct GroupSync {
    state: Mutex<SyncState>,
    flushed: Condvar,
}

#[derive(Default)]
struct SyncState {
    /// Writes committed so far (each takes the next number after its commit returns).
    committed: u64,
    /// Every write numbered up to this is durable.
    durable: u64,
    /// A flush is running.
    flushing: bool,
}

impl Store {
    /// Opens (creating if absent) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
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
            sync: GroupSync::default(),
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

    /// Runs `f` in a write transaction that commits only if `f` succeeds (on an error
    /// nothing of it is written), and returns once the commit is durable on disk.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.broken.load(Ordering::Acquire) {
            self.reopen()?;
        }
        let guard = self.db()?;
        let db = guard.as_ref().ok_or(StoreError::Unavailable)?;
        let mut tx = db.begin_write().map_err(StoreError::from)?;
        tx.set_durability(Durability::None)
            .map_err(|e| StoreError::from(redb::Error::from(e)))?;
        match f(&tx) {
            Ok(value) => {
                tx.commit().map_err(|e| self.note(StoreError::from(e)))?;
                drop(guard);
                let seq = {
                    let mut st = self.lock_sync();
                    st.committed += 1;
                    st.committed
                };
                self.wait_durable(seq)?;
                Ok(value)
            }
            Err(e) => {
                tx.abort().map_err(StoreError::from)?;
                Err(e)
            }
        }
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
                // Everything committed before is durable or gone: no one waits on it.
                let mut st = self.lock_sync();
                st.durable = st.committed;
                tracing::warn!(path = %self.path.display(), "database reopened after an I/O failure");
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "reopening the database failed; retrying on the next write");
                Err(StoreError::from(e))
            }
        }
    }

    fn lock_sync(&self) -> std::sync::MutexGuard<'_, SyncState> {
        // The state is a few counters, consistent at every unlock: a panic elsewhere
        // while holding the lock cannot leave it half-changed.
        self.sync.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Returns once write number `seq` is durable, flushing if no one else is.
    fn wait_durable(&self, seq: u64) -> Result<(), StoreError> {
        let mut st = self.lock_sync();
        loop {
            if st.durable >= seq {
                return Ok(());
            }
            if st.flushing {
                st = self
                    .sync
                    .flushed
                    .wait(st)
                    .unwrap_or_else(|p| p.into_inner());
                continue;
            }
            st.flushing = true;
            let target = st.committed;
            drop(st);
            let result = self.flush().map_err(|e| self.note(e));
            st = self.lock_sync();
            st.flushing = false;
            if result.is_ok() {
                st.durable = st.durable.max(target);
            }
            self.sync.flushed.notify_all();
            result?;
        }
    }

    /// An empty durable commit: makes every earlier commit durable (one fsync).
    fn flush(&self) -> Result<(), StoreError> {
        let guard = self.db()?;
        let db = guard.as_ref().ok_or(StoreError::Unavailable)?;
        let mut tx = db.begin_write()?;
        tx.set_durability(Durability::Immediate)
            .map_err(|e| StoreError::from(redb::Error::from(e)))?;
        tx.commit()?;
        Ok(())
    }

    /// Copies a consistent snapshot of the whole database to `dest` (a new redb file).
    pub fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let guard = self.db()?;
        let db = guard.as_ref().ok_or(StoreError::Unavailable)?;
        let read = db.begin_read()?;
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
pub const CACHE_BYTES: usize = 64 << 20;

fn builder() -> redb::Builder {
    let mut b = Database::builder();
    b.set_cache_size(CACHE_BYTES);
    b
}

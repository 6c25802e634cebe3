//! Storage on one redb file. This layer knows tables, keys and transactions, nothing of HTTP
//! or of the rules: services call it inside one transaction per use case, and every record is
//! written together with its index rows in that same transaction.

pub mod comments;
pub mod dmps;
pub mod dump;
mod error;
pub mod events;
pub mod files;
pub mod grants;
pub mod integrity;
pub mod meta;
mod migrations;
pub mod private;
pub mod projects;
pub mod records;
pub mod revisions;
pub mod sessions;
pub mod tables;
pub mod tasks;
pub mod users;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, mpsc};
use std::thread::{JoinHandle, ThreadId};

use redb::{
    Database, Key, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, Value,
    WriteTransaction,
};

pub use error::{StoreError, is_disk_full};
pub use migrations::SCHEMA_VERSION;

/// The open database, and its writer thread (`writer`): every write goes through that one
/// thread, which forms the rounds of the group commit. Cloning is not needed: share it
/// behind an `Arc`. Dropping it lets the writer thread finish the writes already handed
/// over, then closes the database.
pub struct Store {
    shared: Arc<Shared>,
    queue: Option<mpsc::Sender<Box<dyn writer::Queued>>>,
    thread: Option<JoinHandle<()>>,
    /// The writer thread's, to refuse a write made from inside a write (it would wait for
    /// itself).
    writer_id: ThreadId,
}

/// What the callers and the writer thread share.
struct Shared {
    /// `None` only while a reopen after an I/O failure has not succeeded yet.
    db: RwLock<Option<Database>>,
    path: PathBuf,
    /// A write hit an I/O error (a full disk, say): redb refuses further writes until the
    /// database is opened again, which the next round does once there is room.
    broken: AtomicBool,
    /// Durable commits made (one per round that committed).
    commits: AtomicU64,
    /// Writes handed over and not yet taken into a round.
    queued: AtomicUsize,
}

impl Store {
    /// Opens (creating if absent) the database file, starts its writer thread and brings
    /// its schema up to date.
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
        let shared = Arc::new(Shared {
            db: RwLock::new(Some(db)),
            path: path.to_owned(),
            broken: AtomicBool::new(false),
            commits: AtomicU64::new(0),
            queued: AtomicUsize::new(0),
        });
        let (queue, jobs) = mpsc::channel();
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("dmptool-writer".into())
                .spawn(move || writer::run(&shared, &jobs))?
        };
        let store = Self {
            shared,
            queue: Some(queue),
            writer_id: thread.thread().id(),
            thread: Some(thread),
        };
        migrations::run(&store)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Runs `f` in a read transaction (a consistent snapshot).
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let guard = self.shared.db();
        let db = guard.as_ref().ok_or(StoreError::Unavailable)?;
        let tx = db.begin_read().map_err(StoreError::from)?;
        f(&tx)
    }

    /// Runs `f` in a write transaction on the writer thread and returns once what it wrote
    /// is durable on disk (the blocking door; `writer::Writer::write` is the asynchronous
    /// one, to the same queue). If `f` fails, nothing it wrote is kept; if it panics, the
    /// panic is resumed here. `f` may run more than once (see `writer`): it must do nothing
    /// outside the transaction it is given.
    pub fn write<T, E>(
        &self,
        f: impl FnMut(&WriteTransaction) -> Result<T, E> + Send,
    ) -> Result<T, E>
    where
        T: Send,
        E: From<StoreError> + Send,
    {
        if std::thread::current().id() == self.writer_id {
            return Err(
                StoreError::Commit("a write was made from inside another write".into()).into(),
            );
        }
        let (reply, answer) = mpsc::sync_channel(1);
        let job: Box<dyn writer::Queued + '_> = Box::new(writer::Job::new(f, reply));
        // SAFETY: the job borrows from this caller's frame (`f`'s captures, and `T` and `E`
        // may hold borrows), and the writer thread needs it as `'static`. It is sound
        // because this function does not return before the writer thread is done with
        // everything borrowed: it returns only (a) once `answer` has received, and the
        // writer thread sends only from `Job::finish`, after dropping `f`, and the answer
        // itself is moved to this thread; or (b) once `answer` is disconnected, which
        // happens only when the job has been dropped whole (its closure field drops before
        // its reply field); or (c) when `submit` fails, having handed the job back to be
        // dropped here. Waiting on `recv` cannot unwind, and a write from the writer thread
        // itself (which would wait for itself) is refused above.
        let job: Box<dyn writer::Queued + 'static> = unsafe {
            std::mem::transmute::<Box<dyn writer::Queued + '_>, Box<dyn writer::Queued + 'static>>(
                job,
            )
        };
        self.submit(job)?;
        match answer.recv() {
            Ok(ran) => writer::resume(ran),
            Err(_) => Err(StoreError::Unavailable.into()),
        }
    }

    /// Puts a write on the writer thread's queue.
    fn submit(&self, job: Box<dyn writer::Queued>) -> Result<(), StoreError> {
        let queue = self.queue.as_ref().ok_or(StoreError::Unavailable)?;
        self.shared.queued.fetch_add(1, Ordering::AcqRel);
        if queue.send(job).is_err() {
            // The writer thread is gone (it died): the job came back and is dropped here.
            self.shared.queued.fetch_sub(1, Ordering::AcqRel);
            tracing::error!("the writer thread is gone: writes cannot be made");
            return Err(StoreError::Unavailable);
        }
        Ok(())
    }

    /// Durable commits made since the store was opened: one per round of writes that
    /// committed (a count to observe group commit by).
    pub fn commits(&self) -> u64 {
        self.shared.commits.load(Ordering::Acquire)
    }

    /// Writes handed to the writer thread and not yet taken into a round.
    pub fn queued_writes(&self) -> usize {
        self.shared.queued.load(Ordering::Acquire)
    }

    /// Copies a consistent snapshot of the whole database to `dest` (a new redb file).
    pub fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let guard = self.shared.db();
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

impl Drop for Store {
    fn drop(&mut self) {
        // The writer thread finishes what is queued, then ends when it finds the queue
        // closed; the database closes with the last reference to `shared`.
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() == std::thread::current().id() {
                // Dropped by one of its own writes (the last handle was in a closure): it
                // ends by itself once its round is answered.
                return;
            }
            if thread.join().is_err() {
                tracing::error!("the writer thread panicked");
            }
        }
    }
}

impl Shared {
    fn db(&self) -> RwLockReadGuard<'_, Option<Database>> {
        // A panic while the lock was held cannot leave the handle half-replaced.
        self.db.read().unwrap_or_else(|p| p.into_inner())
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
    /// Until then reads go on from the old handle and writes fail as before. Only the
    /// writer thread calls it, between rounds (no write transaction is open).
    fn reopen(&self) -> Result<(), StoreError> {
        const ROOM: u64 = 1 << 20;
        if free_bytes(&self.path).is_some_and(|free| free < ROOM) {
            return Err(StoreError::DiskFull);
        }
        let mut slot = self.db.write().unwrap_or_else(|p| p.into_inner());
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

/// Free space on the file system holding `path`, if it can be read (rustix, already in
/// the tree through tempfile, with its `fs` feature).
fn free_bytes(path: &Path) -> Option<u64> {
    let dir = path.parent().unwrap_or(path);
    let st = rustix::fs::statvfs(dir).ok()?;
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

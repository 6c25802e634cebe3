//! The writer thread: the one owner of the database's writes. Every write, from blocking
//! code (`Store::write`) or asynchronous code (`Writer::write`), is a closure put on one
//! queue; one thread, started by `Store::open` and stopped when the `Store` is dropped,
//! takes the closures off it and is the only thing that opens a redb write transaction
//! (redb allows one at a time anyway). The two doors differ only in how the caller waits:
//! `Store::write` blocks its thread on a channel, `Writer::write` awaits a future (so a
//! request waiting for its commit occupies no thread).
//!
//! The batching rule (group commit), all of it:
//! - **A round** is every write queued when the thread wakes (it blocks until there is at
//!   least one, then takes whatever else is already waiting without waiting for more), and
//!   every write that arrives while the round's writes are running: once they have run, the
//!   thread looks at the queue again, runs what it finds in the same transaction, and
//!   commits when it finds nothing. At most `MAX_ROUND` writes (256; the rest start the next
//!   round). No timer: a write that arrives alone is committed alone, at once.
//! - The round's writes run in arrival order in **one transaction**, which is then committed
//!   once, durably (`Durability::Immediate`: one fsync for the round).
//! - **Acknowledged only after the commit**: no write of the round is answered with success
//!   before the commit holding it is on disk. If the commit fails, every write of the round
//!   gets that failure, and none of them happened (an I/O failure, a full disk say, also
//!   has the database opened again before the next round, once there is room).
//! - **A write that fails** (returns an error) or **panics** is answered alone, with its own
//!   error (a panic: `Store::write` resumes it in the caller's thread, `Writer::write`
//!   answers `StoreError::Commit`). redb cannot roll back part of a transaction, so the
//!   round's transaction is aborted and the round is run again, without it, in a new one:
//!   nothing of the failed write is kept, nothing of the others is lost. This is why a
//!   write's closure is `FnMut` and must not change anything outside the transaction it is
//!   given: it may run more than once.
//! - While a round commits, new writes wait in the queue and form the next round.
//!
//! Migrations go through the same door (`Store::open` runs them on the writer thread before
//! it hands the store out), and so do restores (they read a working copy, an ordinary
//! `Store` of its own, and write into this one with `Store::write`). One thing writes
//! without it: `Store::backup_to` fills a new file, a database no one else has open, from a
//! read snapshot of this one (a read, which never waits for the writer).
//!
//! A write made from inside another write's closure (on the writer thread) would wait for
//! itself: it is refused with an error instead.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use redb::{Durability, WriteTransaction};
use tokio::sync::oneshot;

use super::{Shared, Store, StoreError};

/// At most this many writes share a round, so a crowd of writers cannot grow one
/// transaction without end (and the first of them wait for at most that many others).
pub const MAX_ROUND: usize = 256;

/// A write waiting for the writer thread, with the way back to its caller.
pub(super) trait Queued: Send {
    /// Runs the write in `tx`; `false` when it failed or panicked (its outcome is kept for
    /// `finish`).
    fn run(&mut self, tx: &WriteTransaction) -> bool;
    /// Answers the caller: with its own failure, or once the commit holding the write is
    /// durable, or with the commit's failure.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
}

/// How a write's closure ended.
pub(super) enum Ran<T, E> {
    Done(Result<T, E>),
    Panicked(Box<dyn Any + Send>),
}

/// Where a write's answer goes.
pub(super) trait Reply<T, E>: Send {
    fn send(self, answer: Ran<T, E>);
}

/// A blocking caller's: it resumes a panic itself.
impl<T: Send, E: Send> Reply<T, E> for mpsc::SyncSender<Ran<T, E>> {
    fn send(self, answer: Ran<T, E>) {
        // The caller waits for this answer; it is gone only if it was killed with its thread.
        let _ = mpsc::SyncSender::send(&self, answer);
    }
}

/// An asynchronous caller's: a panic becomes an error (there is no thread to resume it in).
impl<T: Send, E: From<StoreError> + Send> Reply<T, E> for oneshot::Sender<Result<T, E>> {
    fn send(self, answer: Ran<T, E>) {
        let answer = match answer {
            Ran::Done(result) => result,
            Ran::Panicked(_) => {
                Err(StoreError::Commit("the write failed unexpectedly (a panic)".into()).into())
            }
        };
        // The caller may have gone (its connection closed): nothing to tell then.
        let _ = oneshot::Sender::send(self, answer);
    }
}

/// One write. Its fields drop in this order, the closure first: `Store::write` relies on
/// the closure being gone before its caller can hear back (see there).
pub(super) struct Job<T, E, F, R> {
    write: F,
    ran: Option<Ran<T, E>>,
    reply: R,
}

impl<T, E, F, R> Job<T, E, F, R> {
    pub(super) fn new(write: F, reply: R) -> Self {
        Self {
            write,
            ran: None,
            reply,
        }
    }
}

impl<T, E, F, R> Queued for Job<T, E, F, R>
where
    T: Send,
    E: From<StoreError> + Send,
    F: FnMut(&WriteTransaction) -> Result<T, E> + Send,
    R: Reply<T, E>,
{
    fn run(&mut self, tx: &WriteTransaction) -> bool {
        let ran = match catch_unwind(AssertUnwindSafe(|| (self.write)(tx))) {
            Ok(result) => Ran::Done(result),
            Err(panic) => Ran::Panicked(panic),
        };
        let ok = matches!(ran, Ran::Done(Ok(_)));
        self.ran = Some(ran);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let Job { write, ran, reply } = *self;
        drop(write);
        let answer = match (ran, commit) {
            (Some(Ran::Panicked(panic)), _) => Ran::Panicked(panic),
            (Some(Ran::Done(Err(e))), _) => Ran::Done(Err(e)),
            (Some(Ran::Done(Ok(value))), Ok(())) => Ran::Done(Ok(value)),
            (_, Err(e)) => Ran::Done(Err(e.into())),
            (None, Ok(())) => Ran::Done(Err(
                StoreError::Commit("the write was never run".into()).into()
            )),
        };
        reply.send(answer);
    }
}

/// The asynchronous door to the store's writer thread (the same queue as `Store::write`).
pub struct Writer {
    store: Arc<Store>,
}

impl Writer {
    /// A handle on `store`'s writer thread (which `Store::open` started).
    pub fn start(store: Arc<Store>) -> Result<Self, StoreError> {
        Ok(Self { store })
    }

    /// Hands `write` to the writer thread; the answer comes once the commit holding it is
    /// durable (or with the write's or the commit's error). `write` may run more than once
    /// and must do nothing outside the transaction it is given.
    pub async fn write<T, E, F>(&self, write: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnMut(&WriteTransaction) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.store.submit(Box::new(Job::new(write, reply)))?;
        answer.await.map_err(|_| StoreError::Unavailable)?
    }
}

/// The writer thread's loop: one round per wake-up, until the store is dropped.
pub(super) fn run(shared: &Shared, jobs: &mpsc::Receiver<Box<dyn Queued>>) {
    while let Ok(first) = jobs.recv() {
        let mut round = vec![first];
        shared.queued.fetch_sub(1, Ordering::AcqRel);
        take_waiting(shared, jobs, &mut round);
        while !round.is_empty() {
            let tx = match begin(shared) {
                Ok(tx) => tx,
                Err(e) => {
                    for job in round.drain(..) {
                        job.finish(Err(e.shared()));
                    }
                    break;
                }
            };
            let mut done = 0;
            let failed = loop {
                if let Some(i) = round[done..].iter_mut().position(|job| !job.run(&tx)) {
                    break Some(done + i);
                }
                // Writes that arrived while these ran join the round before its commit.
                done = round.len();
                if !take_waiting(shared, jobs, &mut round) {
                    break None;
                }
            };
            if let Some(i) = failed {
                // Nothing of it may be kept: drop the transaction, answer it alone, and run
                // the others again.
                if let Err(e) = tx.abort() {
                    tracing::warn!(error = %e, "aborting a write transaction failed");
                }
                round.remove(i).finish(Ok(()));
                continue;
            }
            let commit = match catch_unwind(AssertUnwindSafe(|| tx.commit())) {
                Ok(Ok(())) => {
                    shared.commits.fetch_add(1, Ordering::AcqRel);
                    Ok(())
                }
                Ok(Err(e)) => Err(shared.note(e.into())),
                Err(_) => Err(StoreError::Commit("the commit failed (a panic)".into())),
            };
            for job in round.drain(..) {
                job.finish(match &commit {
                    Ok(()) => Ok(()),
                    Err(e) => Err(e.shared()),
                });
            }
        }
    }
}

/// Adds to the round the writes waiting now, without waiting for more, up to `MAX_ROUND`;
/// whether it added any.
fn take_waiting(
    shared: &Shared,
    jobs: &mpsc::Receiver<Box<dyn Queued>>,
    round: &mut Vec<Box<dyn Queued>>,
) -> bool {
    let before = round.len();
    while round.len() < MAX_ROUND
        && let Ok(next) = jobs.try_recv()
    {
        round.push(next);
    }
    shared
        .queued
        .fetch_sub(round.len() - before, Ordering::AcqRel);
    round.len() > before
}

/// Opens the round's transaction (reopening the database first if an I/O failure broke it).
fn begin(shared: &Shared) -> Result<WriteTransaction, StoreError> {
    if shared.broken.load(Ordering::Acquire) {
        shared.reopen()?;
    }
    let guard = shared.db();
    let db = guard.as_ref().ok_or(StoreError::Unavailable)?;
    let mut tx = db.begin_write().map_err(|e| shared.note(e.into()))?;
    tx.set_durability(Durability::Immediate)
        .map_err(|e| StoreError::from(redb::Error::from(e)))?;
    Ok(tx)
}

/// Resumes, in the caller's thread, a panic of its write on the writer thread.
pub(super) fn resume<T, E>(ran: Ran<T, E>) -> Result<T, E> {
    match ran {
        Ran::Done(result) => result,
        Ran::Panicked(panic) => resume_unwind(panic),
    }
}

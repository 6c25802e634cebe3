//! The writer thread: writes handed over by asynchronous code, so that a request waiting
//! for its commit occupies no thread (the blocking pool's threads each wait for their own
//! write; here one thread runs many requests' writes and they wait as futures).
//!
//! Each round takes every write waiting (up to `MAX_ROUND`) and runs them together through
//! `Store::write`, so they share one transaction and one durable commit, and join whatever
//! batch the blocking callers of `Store::write` form at the same time. A write that fails
//! gets its own error and the round runs again without it: nothing of it is kept, nothing
//! of the others is lost (the same rule as `Store::write`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use redb::WriteTransaction;
use tokio::sync::oneshot;

use super::{Store, StoreError};

const MAX_ROUND: usize = 256;

/// A write waiting for the writer thread, with the way back to its caller.
trait Queued: Send {
    /// Runs the write in `tx`; `false` when it failed (its error is kept for `finish`).
    fn run(&mut self, tx: &WriteTransaction) -> bool;
    /// Answers the caller: once the commit holding the write is durable, or failed.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
}

struct Job<T, E, F> {
    write: F,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Queued for Job<T, E, F>
where
    T: Send,
    E: From<StoreError> + Send,
    F: FnMut(&WriteTransaction) -> Result<T, E> + Send,
{
    fn run(&mut self, tx: &WriteTransaction) -> bool {
        let result = match catch_unwind(AssertUnwindSafe(|| (self.write)(tx))) {
            Ok(result) => result,
            Err(_) => {
                Err(StoreError::Commit("the write failed unexpectedly (a panic)".into()).into())
            }
        };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let answer = match (self.result, commit) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(e)) => Err(e.into()),
            (None, Ok(())) => Err(StoreError::Commit("the write was never run".into()).into()),
        };
        // The caller may have gone (its connection closed): nothing to tell then.
        let _ = self.reply.send(answer);
    }
}

/// The handle to the writer thread. Dropping it lets the thread finish the writes already
/// handed over, then waits for it.
pub struct Writer {
    queue: Option<mpsc::Sender<Box<dyn Queued>>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub fn start(store: Arc<Store>) -> Result<Self, StoreError> {
        let (queue, jobs) = mpsc::channel::<Box<dyn Queued>>();
        let thread = std::thread::Builder::new()
            .name("dmptool-writer".into())
            .spawn(move || run(&store, &jobs))?;
        Ok(Self {
            queue: Some(queue),
            thread: Some(thread),
        })
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
        let job = Box::new(Job {
            write,
            result: None,
            reply,
        });
        let sent = self.queue.as_ref().map(|q| q.send(job));
        if !matches!(sent, Some(Ok(()))) {
            return Err(StoreError::Unavailable.into());
        }
        answer.await.map_err(|_| StoreError::Unavailable)?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the writer thread panicked");
        }
    }
}

fn run(store: &Store, jobs: &mpsc::Receiver<Box<dyn Queued>>) {
    while let Ok(first) = jobs.recv() {
        let mut round = vec![first];
        while round.len() < MAX_ROUND
            && let Ok(next) = jobs.try_recv()
        {
            round.push(next);
        }
        while !round.is_empty() {
            let mut failed = None;
            let outcome = store.write(|tx| {
                failed = None;
                for (i, job) in round.iter_mut().enumerate() {
                    if !job.run(tx) {
                        failed = Some(i);
                        return Err(StoreError::Commit("a write of the round failed".into()));
                    }
                }
                Ok(())
            });
            match (outcome, failed) {
                (Ok(()), _) => {
                    for job in round.drain(..) {
                        job.finish(Ok(()));
                    }
                }
                // That write failed on its own: answer it, run the others again.
                (Err(_), Some(i)) => round.remove(i).finish(Ok(())),
                (Err(e), None) => {
                    for job in round.drain(..) {
                        job.finish(Err(e.shared()));
                    }
                }
            }
        }
    }
}

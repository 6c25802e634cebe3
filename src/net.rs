//! Connection deadlines, below HTTP: a client must send each request within
//! `REQUEST_READ_TIMEOUT` of its first byte (the server's answer ends the request), and a
//! connection that stays silent between requests for `IDLE_TIMEOUT` is closed. A client
//! trickling one byte a second therefore cannot hold a connection (or anything behind it)
//! for long, and idle sockets go away on their own.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// How long a client may take to send one request, from its first byte.
pub const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection may stay silent between requests.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(75);

/// Wraps every accepted connection in `Deadlines`.
pub struct DeadlineAcceptor<A> {
    inner: A,
    request: Duration,
    idle: Duration,
}

impl<A> DeadlineAcceptor<A> {
    pub fn new(inner: A, request: Duration, idle: Duration) -> Self {
        Self {
            inner,
            request,
            idle,
        }
    }
}

impl<A: Acceptor> Acceptor for DeadlineAcceptor<A> {
    type Io = Deadlines<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, scheme) = self.inner.accept().await?;
        Ok((
            Deadlines::new(io, self.request, self.idle),
            local,
            remote,
            scheme,
        ))
    }
}

/// A connection with a read deadline: `idle` while no request is in progress, `request`
/// from a request's first byte until the server starts answering.
pub struct Deadlines<T> {
    io: T,
    request: Duration,
    idle: Duration,
    /// When the request being read began (its first byte), if one is being read.
    reading_since: Option<Instant>,
    /// The last time the connection finished an answer or opened.
    idle_since: Instant,
    timer: Pin<Box<Sleep>>,
}

impl<T> Deadlines<T> {
    fn new(io: T, request: Duration, idle: Duration) -> Self {
        let now = Instant::now();
        Self {
            io,
            request,
            idle,
            reading_since: None,
            idle_since: now,
            timer: Box::pin(tokio::time::sleep_until(now + idle)),
        }
    }

    fn deadline(&self) -> Instant {
        match self.reading_since {
            Some(t) => t + self.request,
            None => self.idle_since + self.idle,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Deadlines<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before && this.reading_since.is_none() {
                    this.reading_since = Some(Instant::now());
                }
                if Instant::now() >= this.deadline() {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client took too long to send its request",
                    )));
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let deadline = this.deadline();
                if this.timer.deadline() != deadline {
                    this.timer.as_mut().reset(deadline);
                }
                match this.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "connection closed: no request within the time allowed",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Deadlines<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        // The server answers: the request was read in time; the next one starts afresh.
        this.reading_since = None;
        this.idle_since = Instant::now();
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        this.reading_since = None;
        this.idle_since = Instant::now();
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

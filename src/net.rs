//! The HTTP connection layer: accepting connections, their deadlines and their number.
//!
//! hyper serves each connection (HTTP/1.1, or HTTP/2 with prior knowledge); dmptool's poem
//! application answers the requests. Around that, every connection carries a `Conn` record
//! that its socket wrapper (`Deadlines`) and its requests' bodies keep up to date, so that
//! the deadlines follow requests, not bytes, for both protocols:
//!
//! - **idle**: a connection with no request in progress and nothing received is closed
//!   `idle` after its last answer (or after it opened);
//! - **request read**: a request must arrive whole (head and body) within `request` of its
//!   first byte. Bytes that are not a request (HTTP/2 PINGs, SETTINGS, a partial head) do not
//!   extend anything: the first byte received while no request is in progress starts the
//!   clock, and only a request whose head and body have come in stops it. Once a request has
//!   been read, the deadline stops: the time the server then takes (a queued password hash,
//!   say) is not held against the client;
//! - **write**: a response that makes no progress for `write` (the client does not read it,
//!   or its HTTP/2 flow-control window stays shut) closes the connection, and so does a
//!   socket write blocked that long. A response is handed to hyper in pieces of at most
//!   `SEND_CHUNK` bytes, so "progress" is measured per piece.
//!
//! The number of connections is capped (`Connections`): below the process's file-descriptor
//! limit, keeping a reserve for the database, documents and the admin socket. At the cap, a
//! new connection closes the connection that has been idle longest (one with no request in
//! progress); when every connection is busy, accepting waits for one to end.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// How long a client may take to send one request, from its first byte.
pub const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection may stay silent between requests.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// How long a response may go without progress (the client not reading it).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request head (request line and headers) accepted by default.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Connections served at once by default (fewer when the open-file limit is lower).
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// File descriptors kept free of connections at most (the database, documents being
/// written, log files, the admin socket and its clients).
pub const FD_RESERVE: u64 = 128;
/// The largest piece of a response body handed to hyper at once.
const SEND_CHUNK: usize = 64 * 1024;

type Body = BoxBody<Bytes, io::Error>;

/// The time limits of every connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub request: Duration,
    pub idle: Duration,
    pub write: Duration,
}

/// What the server settles at start-up.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    pub limits: Limits,
    /// Connections served at once.
    pub max_connections: usize,
    /// The request head size the application refuses above (431); hyper's own buffer is a
    /// few times larger (see `head_buffer`).
    pub max_header_bytes: usize,
}

/// hyper's per-connection buffer for a request head: heads up to this size reach the
/// application, which refuses those over `max_header_bytes` with a JSON 431; larger ones
/// hyper refuses itself (431, no body) without buffering more.
pub fn head_buffer(max_header_bytes: usize) -> usize {
    max_header_bytes.saturating_mul(8).max(64 * 1024)
}

/// Raises the soft limit on open files to the hard limit; returns the limit now in force
/// (or `None` when it cannot be read).
pub fn raise_fd_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        // An unlimited hard limit is not a value setrlimit takes for files on Linux.
        let target = if lim.rlim_max == libc::RLIM_INFINITY {
            lim.rlim_cur.max(1 << 20)
        } else {
            lim.rlim_max
        };
        if lim.rlim_cur < target {
            let raised = libc::rlimit {
                rlim_cur: target,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim.rlim_cur = target;
            }
        }
    }
    Some(lim.rlim_cur)
}

/// The most connections a process with `fd_limit` descriptors serves: the limit less a
/// reserve (`FD_RESERVE`, or a quarter of a small limit).
pub fn connection_cap(fd_limit: u64) -> usize {
    let reserve = FD_RESERVE.min(fd_limit / 4);
    usize::try_from(fd_limit.saturating_sub(reserve).max(1)).unwrap_or(usize::MAX)
}

/// The state of one connection, shared by its socket and its requests.
pub struct Conn {
    limits: Limits,
    state: Mutex<State>,
    evict: Notify,
    evicted: AtomicBool,
}

struct State {
    /// When the connection last had no request in progress (or opened).
    idle_since: Instant,
    /// The first byte received while no request body was being read, since the last
    /// request head: the start of a request still coming in, or of other traffic.
    bytes_since: Option<Instant>,
    /// Requests whose handler is running.
    handling: usize,
    /// Requests whose body is still coming in: (token, the request's first byte).
    reading: Vec<(u64, Instant)>,
    /// Responses being sent: (token, when they last made progress).
    sending: Vec<(u64, Instant)>,
    /// A socket write that could not go on, since when.
    write_blocked: Option<Instant>,
    next_token: u64,
}

impl Conn {
    fn new(limits: Limits) -> Self {
        Self {
            limits,
            state: Mutex::new(State {
                idle_since: Instant::now(),
                bytes_since: None,
                handling: 0,
                reading: Vec::new(),
                sending: Vec::new(),
                write_blocked: None,
                next_token: 0,
            }),
            evict: Notify::new(),
            evicted: AtomicBool::new(false),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state holds plain numbers: one left by a panicking holder is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The earliest deadline now in force, if any.
    fn deadline(&self) -> Option<Instant> {
        let s = self.state();
        let l = &self.limits;
        let mut d = None::<Instant>;
        let mut at = |t: Instant| d = Some(d.map_or(t, |d| d.min(t)));
        if s.handling == 0 && s.sending.is_empty() {
            at(match s.bytes_since {
                Some(t) => t + l.request,
                None => s.idle_since + l.idle,
            });
        }
        for (_, start) in &s.reading {
            at(*start + l.request);
        }
        for (_, progress) in &s.sending {
            at(*progress + l.write);
        }
        if let Some(t) = s.write_blocked {
            at(t + l.write);
        }
        d
    }

    /// Bytes came in. Only on a connection with no request in progress do they start the
    /// request clock: on a busy HTTP/2 connection, frames of other streams (window updates,
    /// PINGs) say nothing about when the next request began, and its clock starts when its
    /// head has come in (`request_started`).
    fn received(&self) {
        let mut s = self.state();
        let busy = s.handling > 0 || !s.sending.is_empty() || !s.reading.is_empty();
        if !busy && s.bytes_since.is_none() {
            s.bytes_since = Some(Instant::now());
        }
    }

    fn write_blocked(&self, blocked: bool) {
        let mut s = self.state();
        if !blocked {
            s.write_blocked = None;
        } else if s.write_blocked.is_none() {
            s.write_blocked = Some(Instant::now());
        }
    }

    /// A request's head has come in; `body` if a body follows. Returns the body's token.
    fn request_started(&self, body: bool) -> Option<u64> {
        let mut s = self.state();
        let start = s.bytes_since.take().unwrap_or_else(Instant::now);
        s.handling += 1;
        body.then(|| {
            let token = s.next_token;
            s.next_token += 1;
            s.reading.push((token, start));
            token
        })
    }

    fn body_read(&self, token: u64) {
        self.state().reading.retain(|(t, _)| *t != token);
    }

    /// The handler has answered; the response starts. Returns its token.
    fn response_started(&self) -> u64 {
        let mut s = self.state();
        s.handling = s.handling.saturating_sub(1);
        let token = s.next_token;
        s.next_token += 1;
        s.sending.push((token, Instant::now()));
        token
    }

    fn handler_dropped(&self) {
        let mut s = self.state();
        s.handling = s.handling.saturating_sub(1);
        Self::maybe_idle(&mut s);
    }

    fn progress(&self, token: u64) {
        let now = Instant::now();
        let mut s = self.state();
        if let Some(e) = s.sending.iter_mut().find(|(t, _)| *t == token) {
            e.1 = now;
        }
    }

    fn response_done(&self, token: u64) {
        let mut s = self.state();
        s.sending.retain(|(t, _)| *t != token);
        Self::maybe_idle(&mut s);
    }

    fn maybe_idle(s: &mut State) {
        if s.handling == 0 && s.sending.is_empty() {
            s.idle_since = Instant::now();
            s.bytes_since = None;
        }
    }

    /// Since when the connection has had no request in progress, if it has none.
    fn idle_since(&self) -> Option<Instant> {
        let s = self.state();
        (s.handling == 0 && s.sending.is_empty() && s.reading.is_empty()).then_some(s.idle_since)
    }
}

/// The connections being served, and their cap.
pub struct Connections {
    permits: Arc<Semaphore>,
    max: usize,
    live: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
}

impl Connections {
    pub fn new(max: usize) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            live: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        }
    }

    fn live(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for one more connection: at the cap, closes the connection idle longest and
    /// waits for a place to come free.
    /// While every connection is busy, it looks again every 100 ms for one that has gone
    /// idle meanwhile.
    async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(p) = self.permits.clone().try_acquire_owned() {
            return Some(p);
        }
        loop {
            self.evict_oldest_idle();
            tokio::select! {
                p = self.permits.clone().acquire_owned() => return p.ok(),
                _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
            }
        }
    }

    fn evict_oldest_idle(&self) {
        let live = self.live();
        let oldest = live
            .values()
            .filter(|c| !c.evicted.load(Ordering::Relaxed))
            .filter_map(|c| c.idle_since().map(|t| (t, c)))
            .min_by_key(|(t, _)| *t);
        if let Some((_, c)) = oldest {
            c.evicted.store(true, Ordering::Relaxed);
            c.evict.notify_one();
        }
    }

    fn register(self: &Arc<Self>, conn: Arc<Conn>) -> Registered {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.live().insert(id, conn);
        Registered {
            all: self.clone(),
            id,
        }
    }
}

/// Removes a connection from `Connections` when its task ends.
struct Registered {
    all: Arc<Connections>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.all.live().remove(&self.id);
    }
}

/// Serves `ep` on `listener` until `shutdown` completes; then lets the requests in progress
/// finish for up to `grace`.
pub async fn serve<E>(
    listener: tokio::net::TcpListener,
    ep: E,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> io::Result<()>
where
    E: Endpoint<Output = Response> + 'static,
{
    let ep = Arc::new(ep);
    let local = LocalAddr(poem::Addr::SocketAddr(listener.local_addr()?));
    let conns = Arc::new(Connections::new(opts.max_connections));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(head_buffer(opts.max_header_bytes));
    builder
        .http2()
        .max_pending_accept_reset_streams(20)
        .max_header_list_size(
            u32::try_from(head_buffer(opts.max_header_bytes)).unwrap_or(u32::MAX),
        );
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let (socket, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors or similar: back off instead of spinning.
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = conns.admit() => p,
        };
        let Some(permit) = permit else { break };
        let conn = Arc::new(Conn::new(opts.limits));
        let registered = conns.register(conn.clone());
        let io = Deadlines::new(socket, conn.clone());
        let service = Service {
            ep: ep.clone(),
            conn: conn.clone(),
            local: local.clone(),
            remote: RemoteAddr(poem::Addr::SocketAddr(peer)),
        };
        let builder = builder.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _registered = registered;
            let served = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
            tokio::pin!(served);
            tokio::select! {
                _ = &mut served => return,
                _ = conn.evict.notified() => {
                    tracing::debug!(remote_addr = %peer, "closing the connection idle longest: at the connection cap");
                    return;
                }
                _ = stop.wait_for(|s| *s) => {}
            }
            served.as_mut().graceful_shutdown();
            let _ = served.await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a permit until it ends.
    let all = u32::try_from(conns.max).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, conns.permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("shutting down with connections still open after the grace period");
    }
    Ok(())
}

/// Hands each request of one connection to the application, tracking it in `Conn`.
#[derive(Clone)]
struct Service<E> {
    ep: Arc<E>,
    conn: Arc<Conn>,
    local: LocalAddr,
    remote: RemoteAddr,
}

impl<E> hyper::service::Service<hyper::Request<hyper::body::Incoming>> for Service<E>
where
    E: Endpoint<Output = Response> + 'static,
{
    type Response = hyper::Response<SendTracked>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        let has_body = !req.body().is_end_stream();
        let token = self.conn.request_started(has_body);
        let handling = Handling(Some(self.conn.clone()));
        let mut req =
            poem::Request::from((req, self.local.clone(), self.remote.clone(), Scheme::HTTP));
        if let Some(token) = token {
            let body: Body = req.take_body().into();
            req.set_body(poem::Body::from(BoxBody::new(ReadTracked {
                inner: body,
                conn: self.conn.clone(),
                token: Some(token),
            })));
        }
        let ep = self.ep.clone();
        Box::pin(async move {
            let resp: hyper::Response<Body> = ep.get_response(req).await.into();
            Ok(resp.map(|body| handling.into_response(body)))
        })
    }
}

/// A request whose handler runs; dropped unanswered (an HTTP/2 stream reset), it counts
/// as ended.
struct Handling(Option<Arc<Conn>>);

impl Handling {
    fn into_response(mut self, body: Body) -> SendTracked {
        let conn = self.0.take();
        let token = conn.as_ref().map(|c| c.response_started());
        SendTracked {
            inner: body,
            rest: None,
            conn,
            token,
        }
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.handler_dropped();
        }
    }
}

/// A request body that tells its connection when it has been read (or given up).
struct ReadTracked {
    inner: Body,
    conn: Arc<Conn>,
    token: Option<u64>,
}

impl ReadTracked {
    fn done(&mut self) {
        if let Some(t) = self.token.take() {
            self.conn.body_read(t);
        }
    }
}

impl HttpBody for ReadTracked {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        match &r {
            Poll::Ready(None | Some(Err(_))) => self.done(),
            Poll::Ready(Some(Ok(_))) if self.inner.is_end_stream() => self.done(),
            _ => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for ReadTracked {
    fn drop(&mut self) {
        self.done();
    }
}

/// A response body handed over in pieces, each one progress of its response.
pub struct SendTracked {
    inner: Body,
    /// What is left of a large piece.
    rest: Option<Bytes>,
    conn: Option<Arc<Conn>>,
    token: Option<u64>,
}

impl SendTracked {
    fn done(&mut self) {
        if let (Some(c), Some(t)) = (self.conn.as_ref(), self.token.take()) {
            c.response_done(t);
        }
    }

    fn piece(&mut self, mut data: Bytes) -> Bytes {
        if data.len() > SEND_CHUNK {
            self.rest = Some(data.split_off(SEND_CHUNK));
        }
        if let (Some(c), Some(t)) = (self.conn.as_ref(), self.token) {
            c.progress(t);
        }
        data
    }
}

impl HttpBody for SendTracked {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if let Some(rest) = this.rest.take() {
            let piece = this.piece(rest);
            return Poll::Ready(Some(Ok(Frame::data(piece))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => {
                    let piece = this.piece(data);
                    Poll::Ready(Some(Ok(Frame::data(piece))))
                }
                Err(frame) => Poll::Ready(Some(Ok(frame))),
            },
            Poll::Ready(other) => {
                this.done();
                Poll::Ready(other)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut h = self.inner.size_hint();
        let rest = self.rest.as_ref().map_or(0, |r| r.len() as u64);
        if rest > 0 {
            if let Some(u) = h.upper() {
                h.set_upper(u + rest);
            }
            h.set_lower(h.lower() + rest);
        }
        h
    }
}

impl Drop for SendTracked {
    fn drop(&mut self) {
        self.done();
    }
}

/// A connection's socket, failing its reads and writes once a deadline of its `Conn` has
/// passed.
pub struct Deadlines<T> {
    io: T,
    conn: Arc<Conn>,
    timer: Pin<Box<Sleep>>,
}

impl<T> Deadlines<T> {
    fn new(io: T, conn: Arc<Conn>) -> Self {
        let first = conn.deadline().unwrap_or_else(Instant::now);
        Self {
            io,
            conn,
            timer: Box::pin(tokio::time::sleep_until(first)),
        }
    }

    /// Fails once a deadline has passed; with `cx`, arms the timer for the next one.
    fn check(&mut self, cx: Option<&mut Context<'_>>) -> io::Result<()> {
        let Some(deadline) = self.conn.deadline() else {
            return Ok(());
        };
        let expired = || {
            io::Error::new(
                io::ErrorKind::TimedOut,
                "connection closed: a deadline passed (request read, idle or write)",
            )
        };
        if Instant::now() >= deadline {
            return Err(expired());
        }
        if let Some(cx) = cx {
            if self.timer.deadline() != deadline {
                self.timer.as_mut().reset(deadline);
            }
            if self.timer.as_mut().poll(cx).is_ready() {
                return Err(expired());
            }
        }
        Ok(())
    }

    fn after_write<R>(
        &mut self,
        cx: &mut Context<'_>,
        r: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match r {
            Poll::Pending => {
                self.conn.write_blocked(true);
                match self.check(Some(cx)) {
                    Ok(()) => Poll::Pending,
                    Err(e) => Poll::Ready(Err(e)),
                }
            }
            Poll::Ready(r) => {
                self.conn.write_blocked(false);
                Poll::Ready(r)
            }
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
                if buf.filled().len() > before {
                    this.conn.received();
                }
                Poll::Ready(this.check(None))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match this.check(Some(cx)) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            },
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
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        this.after_write(cx, r)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.io).poll_flush(cx);
        this.after_write(cx, r)
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
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.after_write(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

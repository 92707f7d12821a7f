//! The accept loop and each connection's life, written out instead of `axum::serve` because
//! that sets no timeouts: a header-read timeout (slowloris and silent connections), an idle
//! timeout (no byte moving either way), a cap on connections at once, and an accept loop that
//! outlives running out of file descriptors.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;

use super::service;
use super::shared::Shared;

/// How long a request head may take to arrive, counted from when the server starts waiting
/// for it: on a new connection and after each response on a kept-alive one. A client that
/// trickles its headers (slowloris) or sends nothing is closed when it runs out.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection may go without a byte moving in either direction. Covers what the
/// header timer does not: a request body that stops arriving, a client that stops reading.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections served at once. A new connection beyond it closes the oldest one that has no
/// request in flight (slow, silent or between requests); when every one is mid-request, it
/// waits to be accepted. A flood of idle connections so costs a bounded number of descriptors
/// and never shuts out a client that sends its request.
pub(crate) const MAX_CONNECTIONS: usize = 256;

/// How long a connection must have gone without a request in flight before a new connection
/// over [`MAX_CONNECTIONS`] may close it: a client that has just connected is still sending its
/// request, and on loopback that takes far less.
pub(crate) const EVICTION_GRACE: Duration = Duration::from_millis(250);

/// The kernel's queue of connections awaiting accept (capped by `net.core.somaxconn`): where
/// connections beyond [`MAX_CONNECTIONS`] wait, instead of retrying their handshakes. The
/// standard library's 128 fills quickly under a burst.
pub(crate) const ACCEPT_BACKLOG: u32 = 1024;

/// The pause before trying again when a connection cannot be accepted or served yet: after an
/// accept error other than a connection's own (out of file descriptors, out of memory; the
/// listener stays), or when every slot is busy or too new to close.
pub(crate) const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The bounds one server runs with; tests shorten them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

/// Binds `addr` with [`ACCEPT_BACKLOG`].
pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As the standard library does on Unix: a restarted server can rebind at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Serves `listener` until `stop` turns true (or its sender is dropped), then lets the open
/// connections finish (idle ones close at once) and returns.
pub(crate) async fn run(
    listener: TcpListener,
    shared: Arc<Shared>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let open = Arc::new(Open::new());
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    'serving: loop {
        let (stream, peer) = loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => Some(accepted),
                _ = stop.wait_for(|stopped| *stopped) => None,
            };
            match accepted {
                None => break 'serving,
                Some(Ok(accepted)) => break accepted,
                Some(Err(error)) if is_connection_error(&error) => {}
                Some(Err(_)) => {
                    // Most likely out of descriptors: free one the way a full house does.
                    open.evict_oldest_idle();
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        };
        // Full: the connection that has gone longest without a request in flight (a slow or
        // silent one, or a kept-alive one between requests) gives way, so a flood of
        // connections that never finish a request cannot shut others out. Connections newer
        // than `EVICTION_GRACE` are spared: that is a client still sending its request. With
        // none to close, try again shortly.
        let permit = loop {
            if let Ok(permit) = Arc::clone(&slots).try_acquire_owned() {
                break Some(permit);
            }
            open.evict_oldest_idle();
            tokio::select! {
                permit = Arc::clone(&slots).acquire_owned() => break permit.ok(),
                () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                _ = stop.wait_for(|stopped| *stopped) => break None,
            }
        };
        // The semaphore is never closed, so `None` means stop.
        let Some(permit) = permit else { break };
        let slot = open.add(limits.max_connections);
        let shared = Arc::clone(&shared);
        let http = http.clone();
        let stop = stop.clone();
        let idle = Idle {
            open: Arc::clone(&open),
            slot: Arc::clone(&slot),
        };
        tokio::spawn(async move {
            serve_connection(stream, peer, shared, http, limits.idle_timeout, idle, stop).await;
            slot.gone.store(true, Ordering::Relaxed);
            drop(permit);
        });
    }
    // Stop accepting, then wait for every connection to hand its slot back.
    drop(listener);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// One open connection, as the accept loop sees it.
struct Slot {
    /// A request is being answered.
    busy: AtomicBool,
    /// When it last stopped being busy (or was accepted), in milliseconds since `Open::started`.
    idle_since: AtomicU64,
    /// The connection has ended (or been told to).
    gone: AtomicBool,
    /// Tells the connection to close now.
    evict: Notify,
}

/// The open connections in accept order.
struct Open {
    started: Instant,
    slots: Mutex<VecDeque<Arc<Slot>>>,
}

impl Open {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            slots: Mutex::default(),
        }
    }

    fn millis(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Registers a new connection; ended ones are forgotten once they outnumber `cap`, so
    /// the queue stays within twice the connection cap.
    fn add(&self, cap: usize) -> Arc<Slot> {
        let slot = Arc::new(Slot {
            busy: AtomicBool::new(false),
            idle_since: AtomicU64::new(self.millis()),
            gone: AtomicBool::new(false),
            evict: Notify::new(),
        });
        let mut open = self.lock();
        if open.len() >= cap.saturating_mul(2) {
            open.retain(|slot| !slot.gone.load(Ordering::Relaxed));
        }
        open.push_back(Arc::clone(&slot));
        slot
    }

    /// Tells the connection longest without a request in flight, and at least
    /// `EVICTION_GRACE` so, to close; forgets ended ones.
    fn evict_oldest_idle(&self) {
        let now = self.millis();
        let grace = u64::try_from(EVICTION_GRACE.as_millis()).unwrap_or(u64::MAX);
        let mut open = self.lock();
        open.retain(|slot| !slot.gone.load(Ordering::Relaxed));
        let idle = open
            .iter()
            .enumerate()
            .filter(|(_, slot)| !slot.busy.load(Ordering::Relaxed))
            .map(|(i, slot)| (slot.idle_since.load(Ordering::Relaxed), i))
            .filter(|(since, _)| now.saturating_sub(*since) >= grace)
            .min()
            .map(|(_, i)| i);
        if let Some(slot) = idle.and_then(|i| open.remove(i)) {
            slot.gone.store(true, Ordering::Relaxed);
            slot.evict.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<Slot>>> {
        // The queue stays consistent even if a holder panicked.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Errors of one connection (it went away before it was accepted): accept the next at once.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    http: http1::Builder,
    idle_timeout: Duration,
    idle: Idle,
    mut stop: watch::Receiver<bool>,
) {
    let started = Instant::now();
    let activity = Arc::new(AtomicU64::new(0));
    let io = TokioIo::new(Tracked {
        inner: stream,
        started,
        activity: Arc::clone(&activity),
    });
    let slot = Arc::clone(&idle.slot);
    let idle = Arc::new(idle);
    let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
        let shared = Arc::clone(&shared);
        let idle = Arc::clone(&idle);
        async move {
            idle.slot.busy.store(true, Ordering::Relaxed);
            let response = service::serve(shared, peer, request.map(Body::new)).await;
            let now = idle.open.millis();
            idle.slot.idle_since.store(now, Ordering::Relaxed);
            idle.slot.busy.store(false, Ordering::Relaxed);
            Ok::<_, Infallible>(response)
        }
    });
    let connection = http.serve_connection(io, service);
    tokio::pin!(connection);
    let quiet = idle_watch(started, activity, idle_timeout, Arc::clone(&slot));
    tokio::pin!(quiet);
    let mut stopping = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => break,
            // Dropping the connection closes the socket.
            () = quiet.as_mut() => break,
            () = slot.evict.notified() => break,
            _ = stop.wait_for(|stopped| *stopped), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A connection's slot and the registry whose clock it reads.
struct Idle {
    open: Arc<Open>,
    slot: Arc<Slot>,
}

/// Resolves once no byte has moved for `timeout` while no request is being answered. A
/// request in flight is exempt: every handler answers at once except a held `listen` on the
/// agent route, whose silence is the point and which has its own bound
/// (`agent::LISTEN_MAX_WAIT`); a request body that stops arriving has `service::BODY_READ_TIMEOUT`.
async fn idle_watch(
    started: Instant,
    activity: Arc<AtomicU64>,
    timeout: Duration,
    slot: Arc<Slot>,
) {
    loop {
        let last = started + Duration::from_millis(activity.load(Ordering::Relaxed));
        let deadline = last.checked_add(timeout).unwrap_or(last);
        let now = Instant::now();
        if now >= deadline {
            if !slot.busy.load(Ordering::Relaxed) {
                return;
            }
            tokio::time::sleep_until(now + timeout).await;
            continue;
        }
        tokio::time::sleep_until(deadline).await;
    }
}

/// A socket that records when it last moved a byte, in milliseconds since `started`.
struct Tracked {
    inner: TcpStream,
    started: Instant,
    activity: Arc<AtomicU64>,
}

impl Tracked {
    fn touch(&self) {
        let millis = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.activity.store(millis, Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

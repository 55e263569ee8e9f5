//! Accepting and serving TCP connections with the limits of [`CONNECTIONS`] (R25).
//!
//! A client that opens connections and sends nothing, or half a request head, must not be able
//! to use up the process's file descriptors and keep everyone else out. So:
//!
//! - a request head must be complete within [`CONNECTIONS`]`.header_read_timeout` of the
//!   connection opening or of the previous answer (hyper closes the connection otherwise);
//!   With HTTP/1 keep-alive this is also how long an idle connection stays open between
//!   requests;
//! - a request body must arrive complete within [`CONNECTIONS`]`.body_read_timeout`
//!   (`crate::layers`);
//! - a connection on which no byte moved either way for [`CONNECTIONS`]`.idle_timeout` is
//!   closed (a client that stops reading its answer, or stalls in any other way);
//! - at most [`ConnectionPolicy::cap`] connections are open at once, below the open-file limit.
//!   When a new connection arrives at the cap, the connection that has been idle the longest
//!   (no request in progress) is closed to make room; when none is idle, the new one waits up to
//!   a second for a slot and is closed otherwise. A flood of idle connections therefore evicts
//!   itself, and a real request still gets in at once.
//!
//! WebSockets keep their slot after the upgrade (the slot belongs to the socket), but are not
//! evicted or timed out here: the realtime channel has its own limits and keep-alive.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tower::Service;

pub use crate::accounts::policy::{ConnectionPolicy, CONNECTIONS};

/// How long a new connection waits for a slot when every open one is busy.
const SLOT_WAIT: Duration = Duration::from_secs(1);

/// The open-file limit of this process (the soft `RLIMIT_NOFILE`), if known.
pub(crate) fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct it is given.
        let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
        if ok && limit.rlim_cur != libc::RLIM_INFINITY {
            // `rlim_t` is u64 on Linux and macOS but not on every Unix.
            #[allow(clippy::unnecessary_cast)]
            return Some(limit.rlim_cur as u64);
        }
        None
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// One open connection, as the accept loop sees it.
struct Slot {
    /// Requests whose handler is running.
    in_flight: AtomicUsize,
    /// Milliseconds since [`Registry::epoch`] of the last byte read or written, or request.
    last_activity: AtomicU64,
    evicting: AtomicBool,
    evict: Notify,
}

/// The open connections, and the slots left.
struct Registry {
    epoch: Instant,
    slots: Mutex<HashMap<u64, Arc<Slot>>>,
    free: Arc<Semaphore>,
    next_id: AtomicU64,
}

impl Registry {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn insert(&self) -> (u64, Arc<Slot>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            in_flight: AtomicUsize::new(0),
            last_activity: AtomicU64::new(self.now_ms()),
            evicting: AtomicBool::new(false),
            evict: Notify::new(),
        });
        self.lock().insert(id, Arc::clone(&slot));
        (id, slot)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Slot>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the connection idle the longest to close; false when every one is busy.
    fn evict_oldest_idle(&self) -> bool {
        let slots = self.lock();
        let oldest = slots
            .values()
            .filter(|s| {
                s.in_flight.load(Ordering::Acquire) == 0 && !s.evicting.load(Ordering::Acquire)
            })
            .min_by_key(|s| s.last_activity.load(Ordering::Acquire));
        match oldest {
            Some(slot) => {
                slot.evicting.store(true, Ordering::Release);
                slot.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// A TCP stream that notes when bytes move and holds its connection slot until dropped (also
/// after a WebSocket upgrade).
struct Tracked {
    stream: TcpStream,
    slot: Arc<Slot>,
    registry: Arc<Registry>,
    _permit: OwnedSemaphorePermit,
}

impl Tracked {
    fn touch(&self) {
        self.slot
            .last_activity
            .store(self.registry.now_ms(), Ordering::Release);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
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
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
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
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Counts a request as in progress until its handler answered.
struct InFlight(Arc<Slot>);

impl InFlight {
    fn start(slot: &Arc<Slot>) -> InFlight {
        slot.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(slot))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `router` on `listener` with the limits of `policy` until `shutdown` completes, then
/// lets requests in flight finish (at most `drain` long).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    policy: ConnectionPolicy,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) {
    let cap = policy.cap(open_file_limit());
    tracing::info!(
        max_connections = cap,
        header_read_timeout_s = policy.header_read_timeout.as_secs(),
        idle_timeout_s = policy.idle_timeout.as_secs(),
        "connection limits"
    );
    let registry = Arc::new(Registry {
        epoch: Instant::now(),
        slots: Mutex::new(HashMap::new()),
        free: Arc::new(Semaphore::new(cap)),
        next_id: AtomicU64::new(0),
    });
    // Closed when the server stops: connections finish their request and close.
    let (stop_tx, stop_rx) = watch::channel(());
    // Every connection task holds a receiver; all dropped = all done.
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors or a connection reset before it was accepted; wait
                    // a little rather than spin.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let permit = match Arc::clone(&registry.free).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                registry.evict_oldest_idle();
                match tokio::time::timeout(SLOT_WAIT, Arc::clone(&registry.free).acquire_owned())
                    .await
                {
                    Ok(Ok(permit)) => permit,
                    _ => {
                        tracing::warn!(%peer, "too many busy connections; closing a new one");
                        continue;
                    }
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (id, slot) = registry.insert();
        let io = Tracked {
            stream,
            slot: Arc::clone(&slot),
            registry: Arc::clone(&registry),
            _permit: permit,
        };
        tokio::spawn(connection(
            io,
            peer,
            router.clone(),
            policy,
            (id, slot, Arc::clone(&registry)),
            stop_rx.clone(),
            done_rx.clone(),
        ));
    }
    drop(listener);
    drop(stop_rx);
    drop(done_rx);
    tracing::info!("shutting down");
    drop(stop_tx);
    if tokio::time::timeout(drain, done_tx.closed()).await.is_err() {
        tracing::warn!("requests still running after {drain:?}; stopping anyway");
    }
}

async fn connection(
    io: Tracked,
    peer: SocketAddr,
    router: Router,
    policy: ConnectionPolicy,
    (id, slot, registry): (u64, Arc<Slot>, Arc<Registry>),
    mut stop: watch::Receiver<()>,
    _done: watch::Receiver<()>,
) {
    let request_slot = Arc::clone(&slot);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        let in_flight = InFlight::start(&request_slot);
        let mut router = router.clone();
        async move {
            let response = router.call(request).await;
            drop(in_flight);
            let response: Result<_, Infallible> = response;
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(policy.header_read_timeout)
        .keep_alive(true);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        let idle_for = Duration::from_millis(
            registry
                .now_ms()
                .saturating_sub(slot.last_activity.load(Ordering::Acquire)),
        );
        let idle_left = policy.idle_timeout.saturating_sub(idle_for);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%peer, error = %err, "connection ended");
                }
                break;
            }
            () = slot.evict.notified() => {
                tracing::debug!(%peer, "closing an idle connection to make room");
                break;
            }
            () = tokio::time::sleep(idle_left) => {
                let quiet_ms = registry
                    .now_ms()
                    .saturating_sub(slot.last_activity.load(Ordering::Acquire));
                if u128::from(quiet_ms) >= policy.idle_timeout.as_millis() {
                    tracing::debug!(%peer, "closing a connection on which nothing moved");
                    break;
                }
            }
            changed = stop.changed(), if !stopping => {
                let _ = changed;
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
    registry.remove(id);
}

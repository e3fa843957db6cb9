//! The HTTP server of the API port, with the limits a hostile or broken client must not get
//! around: a connection cap (beyond it, a 503 problem and the connection closed), a time limit
//! for a request's header, an idle limit for a connection that sends and receives nothing, and
//! a bounded graceful shutdown (open event streams do not hold the process up).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Connections open at once by default; each costs a task and its buffers (about 100 KB).
pub const CONNECTIONS_MAX_DEFAULT: usize = 1_024;
/// Time a client has to send a request's whole header, by default.
pub const HEADER_READ_TIMEOUT_DEFAULT: Duration = Duration::from_secs(10);
/// Time a connection may send and receive nothing before it is closed, by default. Event
/// streams send a keep-alive comment every 15 s, so they are never idle this long.
pub const IDLE_TIMEOUT_DEFAULT: Duration = Duration::from_secs(60);
/// How long shutdown waits for open requests and streams before closing them.
pub const SHUTDOWN_GRACE_DEFAULT: Duration = Duration::from_secs(5);
/// How long a refused connection is given to read its 503.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// The server's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    pub connections_max: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            connections_max: CONNECTIONS_MAX_DEFAULT,
            header_read_timeout: HEADER_READ_TIMEOUT_DEFAULT,
            idle_timeout: IDLE_TIMEOUT_DEFAULT,
            shutdown_grace: SHUTDOWN_GRACE_DEFAULT,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open connections finish for
/// at most `shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.connections_max));
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Above the API's own limits (crate::HEADER_FIELDS_MAX, URI_BYTES_MAX), so oversized requests
    // reach them and get a problem document rather than the HTTP layer's bare 431.
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).max_headers(256);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            metrics::counter!("harborlink_http_connections_refused_total").increment(1);
            tokio::spawn(refuse(stream));
            continue;
        };
        let activity = Activity::new();
        let io = TokioIo::new(Tracked { inner: stream, activity: activity.clone() });
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watcher().watch(builder.serve_connection_with_upgrades(io, service).into_owned());
        let (idle_timeout, header_read_timeout) = (limits.idle_timeout, limits.header_read_timeout);
        tokio::spawn(async move {
            let _permit = permit;
            tokio::pin!(connection);
            loop {
                // Until its first byte a connection is a request whose header is late (the HTTP
                // layer's own header timer starts only at the first byte); after it, idle.
                let limit = if activity.has_read() { idle_timeout } else { header_read_timeout };
                let idle_until = activity.last() + limit;
                tokio::select! {
                    _ = &mut connection => return,
                    () = tokio::time::sleep_until(idle_until) => {
                        let limit = if activity.has_read() { idle_timeout } else { header_read_timeout };
                        if activity.last() + limit <= Instant::now() {
                            // Dropping the connection closes its socket.
                            metrics::counter!("harborlink_http_connections_idle_closed_total").increment(1);
                            return;
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            grace_ms = limits.shutdown_grace.as_millis() as u64,
            "connections still open at shutdown; closed"
        );
    }
    Ok(())
}

/// Answers a connection over the cap with a 503 problem and closes it.
async fn refuse(mut stream: TcpStream) {
    let body = r#"{"type":"/problems/too_many_connections","title":"Service Unavailable","status":503,"detail":"the node has as many connections open as it accepts; retry shortly","code":"too_many_connections"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n\
         retry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(REFUSAL_WRITE_TIMEOUT, async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// When a connection last read or wrote a byte, and whether it has read any.
#[derive(Clone)]
struct Activity {
    start: Instant,
    /// Milliseconds after `start`.
    last_ms: Arc<AtomicU64>,
    read_any: Arc<std::sync::atomic::AtomicBool>,
}

impl Activity {
    fn new() -> Self {
        Self { start: Instant::now(), last_ms: Arc::new(AtomicU64::new(0)), read_any: Arc::default() }
    }

    fn has_read(&self) -> bool {
        self.read_any.load(Ordering::Relaxed)
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// A socket that records its activity.
struct Tracked {
    inner: TcpStream,
    activity: Activity,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_any.store(true, Ordering::Relaxed);
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

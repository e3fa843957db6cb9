//! Feed sources: each reads bytes from somewhere, cuts them into whole lines and hands batches
//! to the engine. None ever stops on bad input: overlong lines and garbage are counted and
//! skipped; a lost connection is retried with backoff.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hl_track::TimeSource;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, oneshot};

use crate::engine::{Batch, Work};
use crate::now_s;

/// Longest line accepted (NMEA allows 82 characters; tag blocks and aggregator suffixes add
/// some). Longer ones are skipped and counted as `too_long`.
pub const LINE_BYTES_MAX: usize = 4_096;
/// Bytes read at a time from a stream.
const READ_CHUNK_BYTES: usize = 64 * 1024;
/// Reconnection backoff of a TCP client: from the first delay, doubling up to the last.
const BACKOFF_FIRST: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Connections a TCP listener feed serves at once; a new one beyond it evicts the connection
/// that has been silent longest (a real receiver is never kept out by idle sockets).
pub const LISTENER_CONNECTIONS_MAX: usize = 64;
/// How long a listener feed's connection may send nothing before it is closed, by default. A
/// working AIS receiver sends several lines a second.
pub const LISTENER_IDLE_TIMEOUT_SECS: u64 = 120;
/// Largest UDP datagram read.
const DATAGRAM_BYTES_MAX: usize = 65_535;

/// How a file is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// As fast as the engine takes it.
    Fast,
    /// At the pace of the tag-block times, `speed` times real time.
    Recorded { speed: f64 },
}

/// Where a feed's lines come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeedSource {
    /// Connect to a receiver or aggregator and read; reconnect with backoff.
    TcpClient { address: String },
    /// Accept connections from receivers that push. A connection silent for
    /// `idle_timeout_secs` (default [`LISTENER_IDLE_TIMEOUT_SECS`]) is closed.
    TcpListener {
        listen: SocketAddr,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idle_timeout_secs: Option<u64>,
    },
    /// Receive datagrams, each one or more lines.
    Udp { listen: SocketAddr },
    /// Replay a recorded file once.
    File { path: PathBuf, pace: Pace },
    /// Lines posted to the HTTP API (the node adds this feed itself, as `http`).
    Http,
}

impl FeedSource {
    pub fn kind(&self) -> &'static str {
        match self {
            FeedSource::TcpClient { .. } => "tcp_client",
            FeedSource::TcpListener { .. } => "tcp_listener",
            FeedSource::Udp { .. } => "udp",
            FeedSource::File { .. } => "file",
            FeedSource::Http => "http",
        }
    }

    /// Replayed files keep their recorded times; everything else is live.
    pub fn default_time(&self) -> FeedTime {
        match self {
            FeedSource::File { .. } => FeedTime::Tag,
            _ => FeedTime::Auto,
        }
    }
}

/// Where a feed's message times come from (the feed's `time` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedTime {
    /// The tag-block times (else base stations' UTC reports), whatever their age: recorded
    /// traffic, replayed or pushed over a socket. The feed runs on the recording's clock.
    Tag,
    /// The time of reception, whatever the tag block says.
    Reception,
    /// The tag-block time when it is within 5 minutes ahead and a day behind reception, else
    /// the time of reception: live receivers, some with tag blocks, some with wrong clocks.
    Auto,
}

impl FeedTime {
    pub fn source(self) -> TimeSource {
        match self {
            FeedTime::Tag => TimeSource::Recorded,
            FeedTime::Reception => TimeSource::Reception,
            FeedTime::Auto => TimeSource::Live,
        }
    }
}

/// A configured feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedConfig {
    pub name: String,
    #[serde(flatten)]
    pub source: FeedSource,
    /// Where message times come from; by default `tag` for files and `auto` for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<FeedTime>,
}

impl FeedConfig {
    pub fn time(&self) -> FeedTime {
        self.time.unwrap_or_else(|| self.source.default_time())
    }
}

/// What a feed is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FeedState {
    /// Not started yet.
    #[default]
    Starting,
    /// Reading (a listener listening, a client connected, a file being replayed).
    Running,
    /// A client trying to (re)connect.
    Connecting,
    /// A file replayed to its end.
    Finished,
    /// Stopped for good, with the reason: the operator must act.
    Failed(String),
}

impl FeedState {
    pub fn as_str(&self) -> &'static str {
        match self {
            FeedState::Starting => "starting",
            FeedState::Running => "running",
            FeedState::Connecting => "connecting",
            FeedState::Finished => "finished",
            FeedState::Failed(_) => "failed",
        }
    }
}

/// What a feed has done, shared between its task, the engine and the API.
#[derive(Debug, Default)]
pub struct FeedStatus {
    pub connected: AtomicBool,
    pub connections: AtomicU64,
    pub bytes: AtomicU64,
    /// Set once a file replay has read its whole file.
    pub finished: AtomicBool,
    /// The bound address of a listener (port 0 picks one).
    pub local_addr: std::sync::Mutex<Option<SocketAddr>>,
    pub state: std::sync::Mutex<FeedState>,
}

impl FeedStatus {
    /// Sets the feed's state (and its `harborlink_feed_up` gauge: 1 unless failed).
    pub(crate) fn set_state(&self, name: &str, state: FeedState) {
        let up = if matches!(state, FeedState::Failed(_)) { 0.0 } else { 1.0 };
        metrics::gauge!("harborlink_feed_up", "feed" => name.to_owned()).set(up);
        if let Ok(mut slot) = self.state.lock() {
            *slot = state;
        }
    }

    pub fn state(&self) -> FeedState {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Cuts a byte stream into batches of whole lines.
pub(crate) struct LineCutter {
    feed: usize,
    source: TimeSource,
    pending: Vec<u8>,
    /// Skipping the rest of an overlong line.
    skipping: bool,
    pub(crate) too_long: u64,
}

impl LineCutter {
    pub(crate) fn new(feed: usize, source: TimeSource) -> Self {
        Self { feed, source, pending: Vec::new(), skipping: false, too_long: 0 }
    }

    /// Bytes of an unfinished line held back.
    pub(crate) fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Takes `bytes`; returns a batch of the whole lines completed, if any.
    pub(crate) fn push(&mut self, mut bytes: &[u8]) -> Option<Batch> {
        let mut out = Vec::with_capacity(bytes.len() + self.pending.len());
        let mut too_long = 0;
        if self.skipping {
            match bytes.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    self.skipping = false;
                    bytes = &bytes[end + 1..];
                }
                None => return None,
            }
        }
        let Some(last_newline) = bytes.iter().rposition(|&b| b == b'\n') else {
            self.pending.extend_from_slice(bytes);
            if self.pending.len() > LINE_BYTES_MAX {
                self.pending.clear();
                self.skipping = true;
                self.too_long += 1;
                return Some(self.batch(out, 1));
            }
            return None;
        };
        out.extend_from_slice(&self.pending);
        self.pending.clear();
        out.extend_from_slice(&bytes[..=last_newline]);
        self.pending.extend_from_slice(&bytes[last_newline + 1..]);
        if self.pending.len() > LINE_BYTES_MAX {
            self.pending.clear();
            self.skipping = true;
            too_long += 1;
        }
        // Drop overlong lines inside the batch here, so the engine sees only sane lines.
        if out.split(|&b| b == b'\n').any(|l| l.len() > LINE_BYTES_MAX) {
            let mut kept = Vec::with_capacity(out.len());
            for line in out.split(|&b| b == b'\n') {
                if line.len() > LINE_BYTES_MAX {
                    too_long += 1;
                } else if !line.is_empty() {
                    kept.extend_from_slice(line);
                    kept.push(b'\n');
                }
            }
            out = kept;
        }
        self.too_long += too_long;
        Some(self.batch(out, too_long))
    }

    /// What is left at the end of a stream (a last line without newline).
    pub(crate) fn finish(&mut self) -> Option<Batch> {
        if self.pending.is_empty() || self.skipping {
            return None;
        }
        let mut rest = std::mem::take(&mut self.pending);
        rest.push(b'\n');
        Some(self.batch(rest, 0))
    }

    /// Cuts one complete message (a datagram, an HTTP body), whose last line needs no newline.
    pub(crate) fn whole(mut self, bytes: &[u8]) -> Batch {
        let mut batch = self.push(bytes).unwrap_or_else(|| self.batch(Vec::new(), 0));
        if let Some(rest) = self.finish() {
            batch.lines.extend_from_slice(&rest.lines);
        }
        batch.too_long = self.too_long;
        batch
    }

    fn batch(&self, lines: Vec<u8>, too_long: u64) -> Batch {
        Batch { feed: self.feed, source: self.source, received: now_s(), lines, too_long }
    }
}

/// Runs one feed until the engine goes away.
pub(crate) async fn run(
    feed: usize,
    config: FeedConfig,
    status: Arc<FeedStatus>,
    work: mpsc::Sender<Work>,
    node: hl_node::Node,
) {
    let source = config.time().source();
    let name = config.name.clone();
    let result = match config.source {
        FeedSource::TcpClient { address } => tcp_client(feed, &name, &address, source, &status, &work).await,
        FeedSource::TcpListener { listen, idle_timeout_secs } => {
            let idle = Duration::from_secs(idle_timeout_secs.unwrap_or(LISTENER_IDLE_TIMEOUT_SECS).max(1));
            tcp_listener(feed, &name, listen, idle, source, status.clone(), work).await
        }
        FeedSource::Udp { listen } => udp(feed, &name, listen, source, &status, &work).await,
        FeedSource::File { path, pace } => {
            let replay = Replay { feed, name: &name, path: &path, pace, source };
            file(replay, &status, &work, &node).await
        }
        FeedSource::Http => Ok(()),
    };
    if let Err(err) = result {
        tracing::error!(feed = %name, error = %err, "feed failed");
        status.set_state(&name, FeedState::Failed(err.to_string()));
    }
}

/// A listener connection's silence limit and when it last sent something.
struct Idle<'a> {
    feed_name: &'a str,
    limit: Duration,
    /// Milliseconds after `base` of the last read.
    last_ms: &'a AtomicU64,
    base: tokio::time::Instant,
}

/// Reads a stream to its end (or, with `idle`, until it is silent too long), sending batches.
/// Returns false when the engine is gone.
async fn pump<R: tokio::io::AsyncRead + Unpin>(
    reader: &mut R,
    cutter: &mut LineCutter,
    status: &FeedStatus,
    work: &mpsc::Sender<Work>,
    idle: Option<Idle<'_>>,
) -> bool {
    let mut buf = vec![0u8; READ_CHUNK_BYTES];
    loop {
        let read = match &idle {
            Some(idle) => match tokio::time::timeout(idle.limit, reader.read(&mut buf)).await {
                Ok(read) => read,
                Err(_) => {
                    metrics::counter!("harborlink_feed_connections_idle_closed_total", "feed" => idle.feed_name.to_owned())
                        .increment(1);
                    break;
                }
            },
            None => reader.read(&mut buf).await,
        };
        let n = match read {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(idle) = &idle {
            idle.last_ms.store(u64::try_from(idle.base.elapsed().as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
        status.bytes.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(batch) = cutter.push(&buf[..n])
            && work.send(Work::Lines(batch)).await.is_err()
        {
            return false;
        }
    }
    if let Some(batch) = cutter.finish() {
        return work.send(Work::Lines(batch)).await.is_ok();
    }
    true
}

async fn tcp_client(
    feed: usize,
    name: &str,
    address: &str,
    source: TimeSource,
    status: &FeedStatus,
    work: &mpsc::Sender<Work>,
) -> std::io::Result<()> {
    let mut backoff = BACKOFF_FIRST;
    loop {
        match tokio::net::TcpStream::connect(address).await {
            Ok(mut stream) => {
                backoff = BACKOFF_FIRST;
                status.set_state(name, FeedState::Running);
                status.connected.store(true, Ordering::Relaxed);
                status.connections.fetch_add(1, Ordering::Relaxed);
                tracing::info!(feed = %name, %address, "feed connected");
                let mut cutter = LineCutter::new(feed, source);
                let alive = pump(&mut stream, &mut cutter, status, work, None).await;
                status.connected.store(false, Ordering::Relaxed);
                if !alive {
                    return Ok(());
                }
                status.set_state(name, FeedState::Connecting);
                tracing::warn!(feed = %name, %address, "feed connection closed; reconnecting");
            }
            Err(err) => {
                status.set_state(name, FeedState::Connecting);
                tracing::warn!(feed = %name, %address, error = %err, retry_in_ms = backoff.as_millis() as u64, "feed connection failed");
            }
        }
        metrics::counter!("harborlink_feed_reconnects_total", "feed" => name.to_owned()).increment(1);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
        if work.is_closed() {
            return Ok(());
        }
    }
}

/// A listener feed's open connection: when it last sent something, and how to close it.
type OpenConnection = (Arc<AtomicU64>, oneshot::Sender<()>);

async fn tcp_listener(
    feed: usize,
    name: &str,
    listen: SocketAddr,
    idle_limit: Duration,
    source: TimeSource,
    status: Arc<FeedStatus>,
    work: mpsc::Sender<Work>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    if let Ok(mut slot) = status.local_addr.lock() {
        *slot = Some(bound);
    }
    status.set_state(name, FeedState::Running);
    tracing::info!(feed = %name, address = %bound, "feed listening (tcp)");
    // Open connections: when each last sent something, and how to close it.
    let open: Arc<Mutex<HashMap<u64, OpenConnection>>> = Arc::default();
    let base = tokio::time::Instant::now();
    let mut next_id = 0u64;
    loop {
        let (mut stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(feed = %name, error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if work.is_closed() {
            return Ok(());
        }
        let last_ms = Arc::new(AtomicU64::new(u64::try_from(base.elapsed().as_millis()).unwrap_or(u64::MAX)));
        let (close, closed) = oneshot::channel();
        let id = next_id;
        next_id += 1;
        if let Ok(mut open) = open.lock() {
            if open.len() >= LISTENER_CONNECTIONS_MAX {
                let quietest = open.iter().min_by_key(|(_, (last, _))| last.load(Ordering::Relaxed)).map(|(id, _)| *id);
                if let Some((_, evict)) = quietest.and_then(|victim| open.remove(&victim)) {
                    let _ = evict.send(());
                    metrics::counter!("harborlink_feed_connections_evicted_total", "feed" => name.to_owned())
                        .increment(1);
                }
            }
            open.insert(id, (last_ms.clone(), close));
        }
        status.connections.fetch_add(1, Ordering::Relaxed);
        let (status, work, open) = (status.clone(), work.clone(), open.clone());
        let name = name.to_owned();
        tokio::spawn(async move {
            tracing::debug!(feed = %name, %peer, "receiver connected");
            // Each connection cuts its own lines: one receiver's half line never joins another's.
            let mut cutter = LineCutter::new(feed, source);
            let idle = Idle { feed_name: &name, limit: idle_limit, last_ms: &last_ms, base };
            tokio::select! {
                _ = pump(&mut stream, &mut cutter, &status, &work, Some(idle)) => {}
                _ = closed => tracing::debug!(feed = %name, %peer, "quietest connection evicted for a new one"),
            }
            if let Ok(mut open) = open.lock() {
                open.remove(&id);
            }
        });
    }
}

async fn udp(
    feed: usize,
    name: &str,
    listen: SocketAddr,
    source: TimeSource,
    status: &FeedStatus,
    work: &mpsc::Sender<Work>,
) -> std::io::Result<()> {
    let socket = tokio::net::UdpSocket::bind(listen).await?;
    let bound = socket.local_addr()?;
    if let Ok(mut slot) = status.local_addr.lock() {
        *slot = Some(bound);
    }
    status.set_state(name, FeedState::Running);
    tracing::info!(feed = %name, address = %bound, "feed listening (udp)");
    let mut buf = vec![0u8; DATAGRAM_BYTES_MAX];
    loop {
        let (n, _) = socket.recv_from(&mut buf).await?;
        status.bytes.fetch_add(n as u64, Ordering::Relaxed);
        let batch = LineCutter::new(feed, source).whole(&buf[..n]);
        if !batch.lines.is_empty() || batch.too_long > 0 {
            // UDP has no back-pressure: when the engine is behind, the datagram is dropped
            // and counted rather than stalling the socket.
            match work.try_send(Work::Lines(batch)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    metrics::counter!("harborlink_feed_datagrams_dropped_total", "feed" => name.to_owned())
                        .increment(1);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return Ok(()),
            }
        }
    }
}

/// A file feed to replay.
struct Replay<'a> {
    feed: usize,
    name: &'a str,
    path: &'a std::path::Path,
    pace: Pace,
    source: TimeSource,
}

/// Bytes of a file's start that identify it (with its path): a file replaced by another starts
/// over, a file appended to resumes.
const IDENTITY_PREFIX_BYTES: usize = 4_096;
/// How often a replay's position is saved (and at its end).
const POSITION_SAVE_EVERY: Duration = Duration::from_secs(1);

/// The file's identity as far as `offset` bytes have been read: its path, and the length and
/// digest of its first bytes (up to [`IDENTITY_PREFIX_BYTES`], never past the offset, so a short
/// file that grows is still the same file).
fn file_identity(path: &std::path::Path, text: &[u8], offset: usize) -> String {
    use sha2::Digest;
    let prefix = &text[..text.len().min(offset).min(IDENTITY_PREFIX_BYTES)];
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("{}#{}#{}", canonical.display(), prefix.len(), hex::encode(sha2::Sha256::digest(prefix)))
}

/// Where to resume `text` given the saved identity and offset: the offset when the file is the
/// one that was read (same path, same first bytes), else 0.
fn resume_offset(path: &std::path::Path, text: &[u8], saved: Option<(String, u64)>) -> usize {
    let Some((identity, offset)) = saved else { return 0 };
    let Ok(offset) = usize::try_from(offset) else { return 0 };
    if offset > text.len() {
        return 0;
    }
    if identity == file_identity(path, text, offset) { offset } else { 0 }
}

/// Replays a file once, from where the last run of the node left it. Each batch is sent to the
/// engine and its position saved once the engine has processed it, so a restart neither loses
/// nor repeats lines (at most the last second's are processed twice after a crash).
async fn file(
    replay: Replay<'_>,
    status: &FeedStatus,
    work: &mpsc::Sender<Work>,
    node: &hl_node::Node,
) -> std::io::Result<()> {
    let Replay { feed, name, path, pace, source } = replay;
    let text = tokio::fs::read(path).await?;
    let saved = node.feed_position(name).await.map_err(std::io::Error::other)?;
    let resume = resume_offset(path, &text, saved);
    status.connected.store(true, Ordering::Relaxed);
    status.set_state(name, FeedState::Running);
    tracing::info!(feed = %name, path = %path.display(), from_byte = resume, "replaying file");
    status.bytes.fetch_add((text.len() - resume) as u64, Ordering::Relaxed);
    let mut cutter = LineCutter::new(feed, source);
    let started = tokio::time::Instant::now();
    let mut first: Option<i64> = None;
    let mut offset = resume;
    let mut last_save = tokio::time::Instant::now();
    // Lines are cut at the file's own newlines, one engine batch per chunk of lines.
    let mut rest = &text[resume..];
    while !rest.is_empty() {
        let mut end = rest.len().min(READ_CHUNK_BYTES);
        if let Some(newline) = rest[..end].iter().rposition(|&b| b == b'\n') {
            end = newline + 1;
        }
        let (chunk, after) = rest.split_at(end);
        rest = after;
        // At recorded pace, one line at a time, each sent when its own time comes.
        let pieces: Vec<&[u8]> = match pace {
            Pace::Fast => vec![chunk],
            Pace::Recorded { .. } => chunk.split_inclusive(|&b| b == b'\n').collect(),
        };
        for piece in pieces {
            if let (Pace::Recorded { speed }, Some(t)) = (pace, tag_time(piece)) {
                let speed = if speed.is_finite() && speed > 0.0 { speed } else { 1.0 };
                let origin = *first.get_or_insert(t);
                let due = Duration::from_secs_f64(((t - origin).max(0) as f64) / speed);
                tokio::time::sleep_until(started + due).await;
            }
            offset += piece.len();
            let Some(batch) = cutter.push(piece) else { continue };
            let (reply, processed) = oneshot::channel();
            if work.send(Work::Report(batch, reply)).await.is_err() || processed.await.is_err() {
                return Ok(());
            }
            if last_save.elapsed() >= POSITION_SAVE_EVERY {
                last_save = tokio::time::Instant::now();
                let done = offset - cutter.pending_len();
                save_position(node, name, &file_identity(path, &text, done), done).await;
            }
        }
    }
    if let Some(batch) = cutter.finish() {
        let (reply, processed) = oneshot::channel();
        if work.send(Work::Report(batch, reply)).await.is_err() || processed.await.is_err() {
            return Ok(());
        }
    }
    save_position(node, name, &file_identity(path, &text, text.len()), text.len()).await;
    status.connected.store(false, Ordering::Relaxed);
    status.finished.store(true, Ordering::Relaxed);
    status.set_state(name, FeedState::Finished);
    tracing::info!(feed = %name, "file replay finished");
    Ok(())
}

async fn save_position(node: &hl_node::Node, name: &str, identity: &str, offset: usize) {
    if let Err(err) = node.save_feed_position(name, identity, offset as u64, hl_node::now_us()).await {
        tracing::warn!(feed = %name, error = %err, "cannot save the replay's position");
    }
}

/// The `c:` time of a line's tag block, for pacing (decoding proper happens in the engine).
fn tag_time(line: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(line).ok()?;
    let tag = text.strip_prefix('\\')?.split('\\').next()?;
    let fields = tag.split('*').next()?;
    fields.split(',').find_map(|f| f.strip_prefix("c:")).and_then(|c| {
        let t: i64 = c.parse().ok()?;
        // Some receivers write milliseconds.
        Some(if t > 100_000_000_000 { t / 1_000 } else { t })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(batch: &Batch) -> Vec<&[u8]> {
        batch.lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect()
    }

    #[test]
    fn cuts_whole_lines_across_reads_and_skips_overlong_ones() {
        let mut cutter = LineCutter::new(0, TimeSource::Live);
        assert!(cutter.push(b"!AIVDM,1,1,,A,abc").is_none(), "half a line waits");
        let batch = cutter.push(b",0*00\r\n!AIVDM,2\nhalf").unwrap_or_else(|| panic!());
        assert_eq!(lines(&batch), [&b"!AIVDM,1,1,,A,abc,0*00\r"[..], b"!AIVDM,2"]);
        let flood = vec![b'x'; LINE_BYTES_MAX * 3];
        let batch = cutter.push(&flood).unwrap_or_else(|| panic!());
        assert_eq!(batch.too_long, 1, "the half line grew past the limit");
        assert!(cutter.push(b"still the same line").is_none());
        let batch = cutter.push(b" end\nnext\n").unwrap_or_else(|| panic!());
        assert_eq!(lines(&batch), [&b"next"[..]]);
        let mut inside = b"ok\n".to_vec();
        inside.extend(vec![b'y'; LINE_BYTES_MAX + 1]);
        inside.extend(b"\nfine\n");
        let batch = cutter.push(&inside).unwrap_or_else(|| panic!());
        assert_eq!((lines(&batch), batch.too_long), (vec![&b"ok"[..], b"fine"], 1));
        assert!(cutter.push(b"last").is_none());
        assert_eq!(cutter.finish().map(|b| b.lines), Some(b"last\n".to_vec()));
    }

    #[test]
    fn reads_tag_block_times_for_pacing() {
        assert_eq!(tag_time(b"\\s:r1,c:1763900000*00\\!AIVDM"), Some(1_763_900_000));
        assert_eq!(tag_time(b"\\c:1763900000123*00\\!AIVDM"), Some(1_763_900_000));
        assert_eq!(tag_time(b"!AIVDM,1,1"), None);
    }

    #[test]
    fn a_replay_resumes_in_the_same_file_grown_and_starts_over_in_another() {
        let dir = std::env::temp_dir().join(format!("hl-feed-identity-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("rec.nmea");
        let first = b"line one\nline two\n".to_vec();
        std::fs::write(&path, &first).unwrap_or_else(|e| panic!("{e}"));
        let saved = Some((file_identity(&path, &first, first.len()), first.len() as u64));
        // Grown (a short file too): resumed where it was.
        let grown = [first.clone(), b"line three\n".to_vec()].concat();
        assert_eq!(resume_offset(&path, &grown, saved.clone()), first.len());
        // Another file at the same path, or one shorter than the offset: from the start.
        assert_eq!(resume_offset(&path, b"other one\nline two\nmore\n", saved.clone()), 0);
        assert_eq!(resume_offset(&path, b"line", saved.clone()), 0);
        // A long file: only its first 4 KiB identify it.
        let long = vec![b'x'; 10_000];
        let saved = Some((file_identity(&path, &long, 9_000), 9_000));
        let mut longer = long.clone();
        longer.extend_from_slice(b"tail");
        assert_eq!(resume_offset(&path, &longer, saved), 9_000);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

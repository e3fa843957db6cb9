//! The live maritime picture of one node.
//!
//! ```text
//! feeds (TCP client/listener, UDP, file, HTTP) ──batches──► engine thread ──► recorder task ──► event log
//!                                                          (hl_track::Pipeline,   (group of alerts,  │
//!                                                           alert gate)            repeats coalesced) ▼
//!                                     vessel updates (droppable) ──► stream hub ◄── committed alerts
//! ```
//!
//! # Invariants
//! - Every queue is bounded: feeds wait (TCP) or drop and count (UDP) when the engine is behind;
//!   the engine waits when the recorder is behind, so alerts are never dropped.
//! - An alert reaches the stream only after its event is committed.
//! - A slow stream consumer never slows ingestion: vessel updates go through a broadcast
//!   channel that drops for laggards; laggards catch up on alerts from the store.
//! - Tracks are persisted locally (not in the log) every `snapshot_interval` and at shutdown.

mod engine;
mod feeds;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hl_detect::{AlertGate, AlertKey, AlertKind, DetectorConfig, Picture, Watchlist, WatchlistEntry};
use hl_node::{Node, NodeError};
use hl_track::{Area, Pipeline, Track, TrackConfig, Tracks, VesselState};
use hl_types::{RecordId, Releasability};
use tokio::sync::{broadcast, mpsc, oneshot};

pub use engine::{ALERT_QUEUE_MAX, BatchReport, FeedCounts, WORK_QUEUE_MAX};
pub use feeds::{FeedConfig, FeedSource, FeedState, FeedStatus, FeedTime, LINE_BYTES_MAX, Pace};

/// Unix seconds, now.
pub(crate) fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Vessel updates buffered per stream subscriber before the oldest are dropped.
pub const STREAM_VESSELS_BUFFER: usize = 8_192;
/// Alerts buffered per stream subscriber before it must catch up from the store.
pub const STREAM_ALERTS_BUFFER: usize = 4_096;
/// Tracks written per store transaction when saving the picture (small, so the writer's
/// alert appends interleave with a snapshot instead of waiting for all of it).
const SNAPSHOT_CHUNK: usize = 100;
/// How often a node without an owner for its alerts looks for one.
const OWNER_POLL: Duration = Duration::from_secs(1);
/// How long repeats of open alerts are coalesced before their events are written.
const REPEAT_FLUSH: Duration = Duration::from_secs(5);

/// Settings of the live picture.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    pub feeds: Vec<FeedConfig>,
    /// Name of the organization that owns alerts not tied to a zone or watch-list entry; by
    /// default the node's first registered organization.
    pub organization: Option<String>,
    /// Releasability of those alerts.
    pub releasability: Releasability,
    /// Repeats within this long of an alert's last occurrence merge into it.
    pub cooldown_s: i64,
    pub sweep_interval: Duration,
    pub snapshot_interval: Duration,
    pub vessel_throttle: Duration,
    pub track: TrackConfig,
    pub detectors: DetectorConfig,
    /// Position-on-land detection with the bundled coastline.
    pub land: bool,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            feeds: Vec::new(),
            organization: None,
            releasability: Releasability::internal(),
            cooldown_s: 3_600,
            sweep_interval: Duration::from_secs(10),
            snapshot_interval: Duration::from_secs(30),
            vessel_throttle: Duration::from_secs(2),
            track: TrackConfig::default(),
            detectors: DetectorConfig::default(),
            land: true,
        }
    }
}

/// A feed as the API shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeedView {
    pub name: String,
    pub kind: &'static str,
    /// `starting`, `running`, `connecting`, `finished` or `failed`.
    pub state: &'static str,
    /// Why a failed feed stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where message times come from: `tag`, `reception` or `auto`.
    pub time: FeedTime,
    pub connected: bool,
    pub connections: u64,
    pub bytes: u64,
    pub finished: bool,
    pub local_addr: Option<String>,
    #[serde(flatten)]
    pub counts: FeedCounts,
}

/// The running picture; cheap to clone.
#[derive(Clone)]
pub struct Live {
    node: Node,
    state: Arc<Mutex<engine::EngineState>>,
    work: mpsc::Sender<Work>,
    feeds: Arc<Vec<(FeedConfig, Arc<FeedStatus>)>>,
    http_feed: usize,
    alerts: broadcast::Sender<RecordId>,
    vessels: broadcast::Sender<Arc<VesselState>>,
    /// The recorder's queue, for [`Live::flush`].
    recorder: mpsc::Sender<engine::Outgoing>,
}

use engine::Work;

/// Why the live picture could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error(transparent)]
    Store(#[from] hl_store::StoreError),
    #[error("invalid live configuration: {0}")]
    Config(String),
}

impl Live {
    /// Restores the picture from the store, then starts the engine, the recorder and the feeds.
    pub async fn start(node: Node, config: LiveConfig) -> Result<Self, LiveError> {
        let mut names: Vec<String> = config.feeds.iter().map(|f| f.name.clone()).collect();
        let mut feeds: Vec<(FeedConfig, Arc<FeedStatus>)> =
            config.feeds.iter().map(|f| (f.clone(), Arc::new(FeedStatus::default()))).collect();
        if names.iter().any(|n| n == "http")
            || names.iter().collect::<std::collections::HashSet<_>>().len() != names.len()
        {
            return Err(LiveError::Config("feed names must be unique and `http` is reserved".into()));
        }
        let http_feed = feeds.len();
        names.push(String::from("http"));
        feeds.push((
            FeedConfig { name: String::from("http"), source: FeedSource::Http, time: None },
            Arc::new(FeedStatus::default()),
        ));
        let mut picture = Picture::new(config.detectors.clone(), Vec::new(), Watchlist::default());
        if config.land {
            picture = picture.with_land(hl_geo::Land::natural_earth());
        }
        let mut tracks = Tracks::new(config.track);
        let restored = restore_tracks(&node, &mut tracks).await?;
        let mut gate = AlertGate::new(config.cooldown_s);
        restore_gate(&node, &mut gate, config.cooldown_s).await?;
        tracing::info!(vessels = restored, open_alerts = gate.len(), "live picture restored");
        let mut pipeline = Pipeline::new(picture, Some(tracks));
        for (index, (feed, status)) in feeds.iter().enumerate() {
            pipeline.name_feed(index, &feed.name, index != http_feed);
            if index == http_feed {
                status.set_state(&feed.name, FeedState::Running);
            }
        }
        let mut state = engine::EngineState::new(pipeline, gate, names);
        state.default_owner = default_owner(&node, &config).await?;
        let state = Arc::new(Mutex::new(state));
        let (work, work_rx) = mpsc::channel(WORK_QUEUE_MAX);
        let (alerts_out, alerts_rx) = mpsc::channel(ALERT_QUEUE_MAX);
        let (alerts, _) = broadcast::channel(STREAM_ALERTS_BUFFER);
        let (vessels, _) = broadcast::channel(STREAM_VESSELS_BUFFER);
        let recorder = alerts_out.clone();
        let outputs = engine::Outputs {
            alerts: alerts_out,
            vessels: vessels.clone(),
            vessel_throttle: config.vessel_throttle,
            sweep_interval: config.sweep_interval,
        };
        let runtime = tokio::runtime::Handle::current();
        let engine_state = state.clone();
        std::thread::Builder::new()
            .name(String::from("hl-live-engine"))
            .spawn(move || engine::run(engine_state, work_rx, outputs, runtime))
            .map_err(|e| LiveError::Config(format!("cannot start the engine thread: {e}")))?;
        tokio::spawn(record(node.clone(), alerts_rx, alerts.clone()));
        let live = Self { node, state, work, feeds: Arc::new(feeds), http_feed, alerts, vessels, recorder };
        // Subscribed before the first load, so a change committed meanwhile is reloaded.
        let changes = live.node.picture_inputs();
        live.reload_inputs().await?;
        tokio::spawn(live.clone().watch_inputs(changes));
        tokio::spawn(live.clone().find_owner(config.clone()));
        tokio::spawn(live.clone().snapshots(config.snapshot_interval));
        for (index, (feed, status)) in live.feeds.iter().enumerate() {
            if index != http_feed {
                tokio::spawn(feeds::run(index, feed.clone(), status.clone(), live.work.clone(), live.node.clone()));
            }
        }
        Ok(live)
    }

    /// Reloads zones and the watch list from the store into the detectors.
    async fn reload_inputs(&self) -> Result<(), LiveError> {
        let default_owner = self.state.lock().ok().and_then(|s| s.default_owner.as_ref().map(|o| o.0));
        self.reload_inputs_owned_by(default_owner).await
    }

    /// Reloads with `default_owner` as the owner of the node's own alerts.
    async fn reload_inputs_owned_by(&self, default_owner: Option<hl_types::OrgId>) -> Result<(), LiveError> {
        let (zone_records, entries) = self.node.detector_inputs().await?;
        // Only zones the owner of the node's own alerts may read exempt positions from them.
        let exempting = match default_owner {
            Some(org) => self.node.zones_readable_by(org, &zone_records).await?,
            None => Default::default(),
        };
        let mut owners = HashMap::new();
        let mut zones = Vec::with_capacity(zone_records.len());
        for record in zone_records {
            match hl_geo::parse_zones(&record.feature) {
                Ok(parsed) => {
                    for mut zone in parsed {
                        zone.exempts = exempting.contains(&record.id);
                        zone.id = record.id.to_string();
                        zone.name = record.name.clone();
                        // Stored before kinds were an enum, a zone may carry another word.
                        zone.kind = hl_geo::ZoneKind::parse(&record.kind).unwrap_or(hl_geo::ZoneKind::Other);
                        zones.push(zone);
                    }
                    owners.insert(record.id.to_string(), (record.owner_org, record.releasability));
                }
                Err(err) => tracing::error!(zone = %record.id, error = %err, "stored zone no longer parses; skipped"),
            }
        }
        let watchlist = Watchlist::from_entries(entries.into_iter().map(|e| {
            owners.insert(e.id.to_string(), (e.owner_org, e.releasability.clone()));
            WatchlistEntry {
                id: Some(e.id.to_string()),
                mmsi: e.mmsi,
                imo: e.imo,
                name: e.name,
                callsign: e.callsign,
                reason: e.reason,
            }
        }));
        let (applied, done) = oneshot::channel();
        self.work
            .send(Work::Inputs(Box::new(engine::Inputs { zones, watchlist, owners }), applied))
            .await
            .map_err(|_| LiveError::Node(NodeError::ShuttingDown))?;
        done.await.map_err(|_| LiveError::Node(NodeError::ShuttingDown))
    }

    /// Reloads zones and watch list whenever they change, and tells the node once the detectors
    /// use them (the change's writer waits for that before acknowledging it).
    async fn watch_inputs(self, mut changes: tokio::sync::watch::Receiver<u64>) {
        while changes.changed().await.is_ok() {
            // Read before reloading: the store then holds at least this version's records.
            let version = *changes.borrow_and_update();
            match self.reload_inputs().await {
                Ok(()) => self.node.picture_inputs_applied(version),
                Err(err) => tracing::error!(error = %err, "cannot reload zones and watch list"),
            }
        }
    }

    /// Until an organization can own the node's alerts (a fresh node has none; the operator
    /// registers them with the CLI, another process), looks for one every second.
    async fn find_owner(self, config: LiveConfig) {
        if self.state.lock().map(|s| s.default_owner.is_some()).unwrap_or(true) {
            return;
        }
        tracing::info!(organization = ?config.organization, "no organization owns this node's alerts yet; holding them");
        loop {
            tokio::time::sleep(OWNER_POLL).await;
            match default_owner(&self.node, &config).await {
                Ok(Some(owning)) => {
                    tracing::info!(org = %owning.0, "alerts now owned");
                    let org = owning.0;
                    let _ = self.work.send(Work::DefaultOwner(owning)).await;
                    // Its zones now exempt positions from its alerts.
                    if let Err(err) = self.reload_inputs_owned_by(Some(org)).await {
                        tracing::error!(error = %err, "cannot reload zones and watch list");
                    }
                    return;
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "cannot look up the alerts' owner"),
            }
        }
    }

    async fn snapshots(self, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(err) = self.save().await {
                tracing::error!(error = %err, "cannot save the picture");
            }
        }
    }

    /// Saves the tracks changed since the last save.
    pub async fn save(&self) -> Result<usize, LiveError> {
        // Copy under the engine's lock (fast), serialize and write outside it, so ingestion
        // never waits for the database.
        let started = std::time::Instant::now();
        let dirty: Vec<Track> = {
            let Ok(mut s) = self.state.lock() else { return Ok(0) };
            let Some(tracks) = s.pipeline.tracks_mut() else { return Ok(0) };
            tracks.take_dirty().into_iter().cloned().collect()
        };
        let copied = started.elapsed();
        let at = hl_node::now_us();
        for chunk in dirty.chunks(SNAPSHOT_CHUNK) {
            let rows: Vec<(u32, String)> =
                chunk.iter().filter_map(|t| serde_json::to_string(t).ok().map(|json| (t.state.mmsi, json))).collect();
            self.node.save_tracks(rows, at).await?;
            // Small transactions with a yield between them: an alert's append never waits
            // behind a whole snapshot for the database's write lock.
            tokio::task::yield_now().await;
        }
        tracing::debug!(
            vessels = dirty.len(),
            copy_ms = copied.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "picture saved"
        );
        Ok(dirty.len())
    }

    /// Writes the alert repeats still being coalesced (at shutdown: they would be lost), waiting
    /// at most `within`. New alerts are never held: they are written as soon as raised.
    pub async fn flush(&self, within: Duration) -> bool {
        let (done, flushed) = oneshot::channel();
        let asked = async { self.recorder.send(engine::Outgoing::Flush(done)).await.is_ok() && flushed.await.is_ok() };
        tokio::time::timeout(within, asked).await.unwrap_or(false)
    }

    /// Feeds lines posted over HTTP; answers once they are processed.
    pub async fn submit_lines(&self, body: &[u8]) -> Result<BatchReport, NodeError> {
        let batch = feeds::LineCutter::new(self.http_feed, hl_track::TimeSource::Live).whole(body);
        let (reply, answer) = oneshot::channel();
        self.work.send(Work::Report(batch, reply)).await.map_err(|_| NodeError::ShuttingDown)?;
        let report = answer.await.map_err(|_| NodeError::ShuttingDown)?;
        if let Some((_, status)) = self.feeds.get(self.http_feed) {
            status.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
            status.connections.fetch_add(1, Ordering::Relaxed);
        }
        Ok(report)
    }

    /// Vessels in an area, by MMSI.
    pub fn vessels_in(&self, area: &Area, limit: usize) -> Vec<VesselState> {
        self.with_tracks(|t| t.in_area(area, limit).into_iter().map(|t| t.state.clone()).collect())
    }

    /// Vessels within `radius_m` of a point, nearest first, with their distance.
    pub fn vessels_near(&self, center: &hl_geo::Position, radius_m: f64, limit: usize) -> Vec<(VesselState, f64)> {
        self.with_tracks(|t| t.within(center, radius_m, limit).into_iter().map(|(t, d)| (t.state.clone(), d)).collect())
    }

    /// Vessels matching a search by MMSI or IMO prefix, name or call sign.
    pub fn vessels_matching(&self, text: &str, limit: usize) -> Vec<VesselState> {
        self.with_tracks(|t| t.search(text, limit).into_iter().map(|t| t.state.clone()).collect())
    }

    /// One vessel's track.
    pub fn track(&self, mmsi: u32) -> Option<Track> {
        self.with_tracks(|t| t.get(mmsi).cloned())
    }

    /// Vessels in the picture.
    pub fn vessel_count(&self) -> usize {
        self.with_tracks(Tracks::len)
    }

    fn with_tracks<T: Default>(&self, f: impl FnOnce(&Tracks) -> T) -> T {
        self.state.lock().ok().and_then(|s| s.pipeline.tracks().map(f)).unwrap_or_default()
    }

    /// The feeds and what they have done.
    pub fn feeds(&self) -> Vec<FeedView> {
        let counts: Vec<FeedCounts> = self.state.lock().map(|s| s.feed_counts.clone()).unwrap_or_default();
        self.feeds
            .iter()
            .enumerate()
            .map(|(i, (config, status))| {
                let state = status.state();
                (i, config, status, state)
            })
            .map(|(i, config, status, state)| FeedView {
                name: config.name.clone(),
                kind: config.source.kind(),
                state: state.as_str(),
                error: match state {
                    FeedState::Failed(reason) => Some(reason),
                    _ => None,
                },
                time: config.time(),
                connected: status.connected.load(Ordering::Relaxed),
                connections: status.connections.load(Ordering::Relaxed),
                bytes: status.bytes.load(Ordering::Relaxed),
                finished: status.finished.load(Ordering::Relaxed),
                local_addr: status.local_addr.lock().ok().and_then(|a| a.map(|a| a.to_string())),
                counts: counts.get(i).cloned().unwrap_or_default(),
            })
            .collect()
    }

    /// Subscribes to the ids of new alerts (after commit; each subscriber reads what it may see)
    /// and to vessel updates.
    pub fn subscribe(&self) -> (broadcast::Receiver<RecordId>, broadcast::Receiver<Arc<VesselState>>) {
        (self.alerts.subscribe(), self.vessels.subscribe())
    }
}

async fn default_owner(node: &Node, config: &LiveConfig) -> Result<Option<engine::Owning>, LiveError> {
    let organizations = node.organizations().await?;
    let org = match &config.organization {
        Some(name) => organizations.into_iter().find(|o| &o.name == name),
        None => organizations.into_iter().min_by_key(|o| o.registered_at_us),
    };
    Ok(org.map(|o| (o.id, config.releasability.clone())))
}

async fn restore_tracks(node: &Node, tracks: &mut Tracks) -> Result<usize, LiveError> {
    let mut after = 0u32;
    let mut restored = 0;
    loop {
        let page = node.saved_tracks(after, 5_000).await?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (mmsi, json) in page {
            match serde_json::from_str::<Track>(&json) {
                Ok(track) => {
                    tracks.restore(track);
                    restored += 1;
                }
                Err(err) => tracing::warn!(mmsi, error = %err, "stored track unreadable; skipped"),
            }
        }
    }
    Ok(restored)
}

async fn restore_gate(
    node: &Node,
    gate: &mut AlertGate<(RecordId, engine::Owning)>,
    cooldown_s: i64,
) -> Result<(), LiveError> {
    let since_s = now_s() - cooldown_s;
    let mut after = None;
    loop {
        let page = node.recent_alerts_for_merging(since_s, after, 1_000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for alert in page {
            let Some(kind) = AlertKind::parse(&alert.kind) else { continue };
            let key = AlertKey {
                mmsi: alert.mmsi,
                kind,
                zone: alert.zone,
                mmsi_2: alert.mmsi_2,
                watch_entry: alert.watch_entry,
                feed: alert.feed,
            };
            gate.remember(key, (alert.id, (alert.owner_org, alert.releasability)), alert.end_s, alert.occurrences);
        }
    }
    Ok(())
}

/// First wait before retrying a failed alert write; doubled up to [`RETRY_WAIT_MAX`].
const RETRY_WAIT_MIN: Duration = Duration::from_millis(100);
/// Longest wait between two tries of a failed alert write.
const RETRY_WAIT_MAX: Duration = Duration::from_secs(5);

/// Writes alerts to the log and, once committed, puts them on the stream. Repeats of open
/// alerts are coalesced for [`REPEAT_FLUSH`] (the latest of each wins), so a vessel repeating a
/// detection every few seconds costs one event per interval, not one per report.
///
/// An alert that was raised is recorded: a failed write of new alerts is retried (with a
/// growing wait) until the store takes it, and meanwhile nothing else is read from the bounded
/// queue, so the engine waits and the feeds slow down (TCP) or drop and count (UDP); failed
/// repeats go back to be written with the next flush. [`Live::flush`] writes the coalesced
/// repeats at shutdown.
async fn record(node: Node, mut incoming: mpsc::Receiver<engine::Outgoing>, stream: broadcast::Sender<RecordId>) {
    let mut repeats: HashMap<RecordId, hl_node::AlertRepeat> = HashMap::new();
    let mut last_flush = tokio::time::Instant::now();
    let mut received = Vec::new();
    loop {
        let got = tokio::time::timeout(REPEAT_FLUSH, incoming.recv_many(&mut received, 1_024)).await;
        if matches!(got, Ok(0)) {
            break;
        }
        let mut raises = Vec::new();
        let mut flush_now = Vec::new();
        for item in received.drain(..) {
            match item {
                engine::Outgoing::Raise(owning, draft) => raises.push((owning, *draft)),
                engine::Outgoing::Repeat(repeat) => {
                    repeats.insert(repeat.alert, repeat);
                }
                engine::Outgoing::Flush(done) => flush_now.push(done),
            }
        }
        if !raises.is_empty() {
            let batch: Vec<_> = raises.into_iter().map(|((org, rel), draft)| (org, rel, draft)).collect();
            for id in record_until_written(&node, batch).await {
                let _ = stream.send(id);
            }
        }
        if !repeats.is_empty() && (last_flush.elapsed() >= REPEAT_FLUSH || !flush_now.is_empty()) {
            last_flush = tokio::time::Instant::now();
            write_repeats(&node, &mut repeats).await;
        }
        for done in flush_now {
            let _ = done.send(());
        }
    }
    write_repeats(&node, &mut repeats).await;
}

/// Records new alerts, retrying until the store takes them.
async fn record_until_written(
    node: &Node,
    batch: Vec<(hl_types::OrgId, Releasability, hl_node::AlertDraft)>,
) -> Vec<RecordId> {
    let mut wait = RETRY_WAIT_MIN;
    loop {
        match node.record_alerts(batch.clone()).await {
            Ok(ids) => return ids,
            Err(err) => {
                metrics::counter!("harborlink_alert_write_retries_total").increment(1);
                tracing::error!(error = %err, alerts = batch.len(), retry_ms = wait.as_millis() as u64, "cannot record alerts; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RETRY_WAIT_MAX);
            }
        }
    }
}

/// Writes the coalesced repeats; on failure they stay queued (a newer repeat of the same
/// alert, if one arrived meanwhile, wins) for the next flush.
async fn write_repeats(node: &Node, repeats: &mut HashMap<RecordId, hl_node::AlertRepeat>) {
    if repeats.is_empty() {
        return;
    }
    let batch: Vec<_> = repeats.drain().map(|(_, r)| r).collect();
    if let Err(err) = node.record_alert_repeats(batch.clone()).await {
        metrics::counter!("harborlink_alert_write_retries_total").increment(1);
        tracing::error!(error = %err, repeats = batch.len(), "cannot record alert repeats; kept for the next flush");
        for repeat in batch {
            repeats.entry(repeat.alert).or_insert(repeat);
        }
    }
}

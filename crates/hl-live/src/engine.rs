//! The engine: one thread that owns the pipeline (decoding, tracks, detectors) and the alert
//! gate, fed batches of lines by the feeds. CPU-bound and synchronous, so it runs on a thread of
//! its own, never on the async runtime; the API reads its state under a short lock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hl_detect::{Admission, Alert, AlertGate, Watchlist};
use hl_geo::Zone;
use hl_node::{AlertDraft, AlertRepeat};
use hl_track::{Fed, Pipeline, TimeSource, VesselState};
use hl_types::{OrgId, RecordId, Releasability};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::now_s;

/// Batches waiting for the engine; feeds beyond it wait (TCP back-pressure) or drop (UDP).
pub const WORK_QUEUE_MAX: usize = 1_024;
/// Alert records waiting for the recorder; the engine waits when it is full, so an alert is
/// never dropped (ingestion slows instead).
pub const ALERT_QUEUE_MAX: usize = 16_384;

/// A batch of whole lines from one feed.
#[derive(Debug)]
pub struct Batch {
    pub feed: usize,
    pub source: TimeSource,
    /// Unix seconds at reception.
    pub received: i64,
    /// Lines, each ending in `\n`.
    pub lines: Vec<u8>,
    /// Overlong lines the feed already skipped.
    pub too_long: u64,
}

/// What one batch did, for a caller that waits (HTTP).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchReport {
    pub lines: u64,
    pub messages: u64,
    /// Lines refused, by reason.
    pub errors: std::collections::BTreeMap<&'static str, u64>,
}

/// Who owns an alert and who may see it.
pub type Owning = (OrgId, Releasability);

/// Zones and watch list with the owner of each zone and entry.
pub struct Inputs {
    pub zones: Vec<Zone>,
    pub watchlist: Watchlist,
    pub owners: HashMap<String, Owning>,
}

/// Work for the engine.
pub enum Work {
    Lines(Batch),
    /// Lines whose report the sender awaits.
    Report(Batch, oneshot::Sender<BatchReport>),
    /// New zones and watch list; the sender learns when the detectors use them.
    Inputs(Box<Inputs>, oneshot::Sender<()>),
    /// The organization that owns alerts not tied to a zone or entry has become known.
    DefaultOwner(Owning),
}

/// Alerts held while the node has no organization to own them.
pub const UNOWNED_ALERTS_MAX: usize = 10_000;

/// What the recorder must write.
#[derive(Debug)]
pub enum Outgoing {
    /// Boxed: a draft is several times the size of the other items on the queue.
    Raise(Owning, Box<AlertDraft>),
    Repeat(AlertRepeat),
    /// Write every coalesced repeat now (shutdown), then answer.
    Flush(oneshot::Sender<()>),
}

/// A feed's totals.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FeedCounts {
    pub lines: u64,
    pub messages: u64,
    pub errors: std::collections::BTreeMap<&'static str, u64>,
    /// Unix seconds of the latest decoded message.
    pub last_message_s: Option<i64>,
}

/// The state the API reads.
pub struct EngineState {
    pub pipeline: Pipeline,
    /// Open alerts with their owner and audience: a repeat merges only into an alert with the
    /// same owner and releasability it would get itself.
    pub gate: AlertGate<(RecordId, Owning)>,
    pub feed_counts: Vec<FeedCounts>,
    pub feed_names: Vec<String>,
    /// Owner of alerts about no zone or watch-list entry in particular; `None` until the node
    /// has an organization (alerts are then counted, not recorded).
    pub default_owner: Option<Owning>,
    pub owners: HashMap<String, Owning>,
    /// Alerts raised before any organization could own them, with their evidence; recorded
    /// once one can (bounded: beyond [`UNOWNED_ALERTS_MAX`] they are counted and dropped).
    unowned: Vec<(Alert, Option<String>)>,
    /// When each vessel was last put on the stream (per-vessel throttle).
    streamed: HashMap<u32, Instant>,
    /// Vessels that changed within their throttle interval: their newest state is sent when the
    /// interval ends (a throttle that dropped it would leave the stream on an old position).
    throttled: HashMap<u32, Instant>,
}

impl EngineState {
    pub fn new(pipeline: Pipeline, gate: AlertGate<(RecordId, Owning)>, feed_names: Vec<String>) -> Self {
        Self {
            pipeline,
            gate,
            feed_counts: vec![FeedCounts::default(); feed_names.len()],
            feed_names,
            default_owner: None,
            owners: HashMap::new(),
            unowned: Vec::new(),
            streamed: HashMap::new(),
            throttled: HashMap::new(),
        }
    }
}

/// The engine's outputs.
pub struct Outputs {
    pub alerts: mpsc::Sender<Outgoing>,
    pub vessels: broadcast::Sender<Arc<VesselState>>,
    /// Least time between two stream updates of one vessel.
    pub vessel_throttle: Duration,
    pub sweep_interval: Duration,
}

/// Runs the engine until every sender of `work` is gone.
pub fn run(
    state: Arc<Mutex<EngineState>>,
    mut work: mpsc::Receiver<Work>,
    outputs: Outputs,
    runtime: tokio::runtime::Handle,
) {
    let mut next_sweep = Instant::now() + outputs.sweep_interval;
    let mut outgoing = Vec::new();
    loop {
        let throttle_due = state.lock().ok().and_then(|s| s.throttled.values().min().copied());
        let wake = throttle_due.map_or(next_sweep, |due| due.min(next_sweep));
        let wait = wake.saturating_duration_since(Instant::now());
        let received = runtime.block_on(async { tokio::time::timeout(wait, work.recv()).await });
        match received {
            Ok(None) => break,
            Ok(Some(Work::Lines(batch))) => {
                process(&state, batch, &outputs, &mut outgoing);
            }
            Ok(Some(Work::Report(batch, reply))) => {
                let report = process(&state, batch, &outputs, &mut outgoing);
                let _ = reply.send(report);
            }
            Ok(Some(Work::Inputs(inputs, applied))) => {
                if let Ok(mut s) = state.lock() {
                    s.pipeline.picture_mut().set_zones(inputs.zones);
                    s.pipeline.picture_mut().set_watchlist(inputs.watchlist);
                    s.owners = inputs.owners;
                }
                let _ = applied.send(());
            }
            Ok(Some(Work::DefaultOwner(owning))) => {
                if let Ok(mut s) = state.lock() {
                    s.default_owner = Some(owning);
                    let held = std::mem::take(&mut s.unowned);
                    for (alert, evidence) in held {
                        gate_alerts(&mut s, vec![alert], evidence, &mut outgoing);
                    }
                }
            }
            Err(_) => {}
        }
        if let Ok(mut s) = state.lock() {
            send_throttled(&mut s, &outputs);
        }
        if Instant::now() >= next_sweep {
            next_sweep = Instant::now() + outputs.sweep_interval;
            if let Ok(mut s) = state.lock() {
                let now = now_s();
                let alerts = s.pipeline.sweep(now);
                gate_alerts(&mut s, alerts, None, &mut outgoing);
                s.gate.forget_before(now);
                metrics::gauge!("harborlink_vessels").set(s.pipeline.tracks().map_or(0, |t| t.len()) as f64);
            }
        }
        send_all(&outputs, &mut outgoing);
    }
}

fn send_all(outputs: &Outputs, outgoing: &mut Vec<Outgoing>) {
    for item in outgoing.drain(..) {
        // Blocking when the recorder is behind: alerts are never dropped.
        if outputs.alerts.blocking_send(item).is_err() {
            tracing::error!("alert recorder stopped; alert not recorded");
        }
    }
}

fn process(state: &Mutex<EngineState>, batch: Batch, outputs: &Outputs, outgoing: &mut Vec<Outgoing>) -> BatchReport {
    let mut report = BatchReport::default();
    let Ok(mut guard) = state.lock() else { return report };
    let s = &mut *guard;
    let mut alerts = Vec::new();
    let mut changed = Vec::new();
    // Alerts the recorder had no room for: sent (waiting) after the lock is released.
    let mut deferred = Vec::new();
    if batch.too_long > 0 {
        *report.errors.entry("too_long").or_default() += batch.too_long;
        for _ in 0..batch.too_long {
            s.pipeline.skip_line(batch.feed);
        }
    }
    for line in batch.lines.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        report.lines += 1;
        match s.pipeline.feed(batch.feed, batch.source, line, batch.received, &mut alerts) {
            Fed::Rejected(kind) => *report.errors.entry(kind.as_str()).or_default() += 1,
            Fed::Pending => {}
            Fed::Untimed => report.messages += 1,
            Fed::Message { mmsi, track_changed } => {
                report.messages += 1;
                if track_changed {
                    changed.push(mmsi);
                }
            }
        }
        if !alerts.is_empty() {
            let evidence = String::from_utf8_lossy(line).into_owned();
            let raised = std::mem::take(&mut alerts);
            gate_alerts(s, raised, Some(evidence), outgoing);
            // New alerts leave at once (the recorder is on another thread); waiting for the
            // rest of the batch would add its processing time to every alert's latency.
            for item in outgoing.drain(..) {
                match outputs.alerts.try_send(item) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(item)) => deferred.push(item),
                    Err(mpsc::error::TrySendError::Closed(_)) => tracing::error!("alert recorder stopped"),
                }
            }
        }
    }
    let dropped = s.pipeline.drain_dropped(batch.feed) as u64;
    if dropped > 0 {
        *report.errors.entry("incomplete_fragments").or_default() += dropped;
    }
    // Stream updates, at most one per vessel per throttle interval; a change within the
    // interval is sent (as the vessel's newest state) when the interval ends.
    let now = Instant::now();
    if outputs.vessels.receiver_count() > 0 {
        for mmsi in changed {
            match s.streamed.get(&mmsi) {
                Some(sent) if now.duration_since(*sent) < outputs.vessel_throttle => {
                    s.throttled.entry(mmsi).or_insert(*sent + outputs.vessel_throttle);
                }
                _ => {
                    if let Some(track) = s.pipeline.tracks().and_then(|t| t.get(mmsi)) {
                        let _ = outputs.vessels.send(Arc::new(track.state.clone()));
                    }
                    s.streamed.insert(mmsi, now);
                    s.throttled.remove(&mmsi);
                }
            }
        }
    }
    if s.streamed.len() > 1_000_000 {
        s.streamed.retain(|_, t| now.duration_since(*t) < outputs.vessel_throttle);
    }
    if let Some(counts) = s.feed_counts.get_mut(batch.feed) {
        counts.lines += report.lines;
        counts.messages += report.messages;
        if report.messages > 0 {
            counts.last_message_s = Some(batch.received);
        }
        for (reason, n) in &report.errors {
            *counts.errors.entry(reason).or_default() += n;
        }
    }
    let name = s.feed_names.get(batch.feed).cloned().unwrap_or_default();
    drop(guard);
    outgoing.extend(deferred);
    metrics::counter!("harborlink_feed_lines_total", "feed" => name.clone()).increment(report.lines);
    metrics::counter!("harborlink_feed_messages_total", "feed" => name.clone()).increment(report.messages);
    for (reason, n) in &report.errors {
        metrics::counter!("harborlink_feed_errors_total", "feed" => name.clone(), "reason" => *reason).increment(*n);
    }
    if report.messages > 0 {
        metrics::gauge!("harborlink_feed_last_message_timestamp_seconds", "feed" => name).set(batch.received as f64);
    }
    report
}

/// Sends the newest state of each throttled vessel whose interval has ended.
fn send_throttled(s: &mut EngineState, outputs: &Outputs) {
    let now = Instant::now();
    let due: Vec<u32> = s.throttled.iter().filter(|(_, at)| **at <= now).map(|(mmsi, _)| *mmsi).collect();
    for mmsi in due {
        s.throttled.remove(&mmsi);
        if let Some(track) = s.pipeline.tracks().and_then(|t| t.get(mmsi)) {
            let _ = outputs.vessels.send(Arc::new(track.state.clone()));
        }
        s.streamed.insert(mmsi, now);
    }
}

/// Opens or merges each alert.
fn gate_alerts(s: &mut EngineState, alerts: Vec<Alert>, evidence: Option<String>, outgoing: &mut Vec<Outgoing>) {
    for alert in alerts {
        // Zone alerts and watch-list hits belong to the zone's or entry's owner.
        let owning = alert
            .zone
            .as_ref()
            .or(alert.watch_entry.as_ref())
            .and_then(|id| s.owners.get(id))
            .cloned()
            .or_else(|| s.default_owner.clone());
        let Some(owning) = owning else {
            if s.unowned.len() < UNOWNED_ALERTS_MAX {
                s.unowned.push((alert, evidence.clone()));
            } else {
                metrics::counter!("harborlink_alerts_unowned_total").increment(1);
            }
            continue;
        };
        let admission = match s.gate.admit(&alert) {
            // The key (vessel, kind, zone, partner, watch-list entry) fixes the owner; this guards
            // the invariant should the default owner's releasability or a zone's owner change.
            Admission::Repeat { id: (_, open), .. } if open != owning => Admission::New,
            other => other,
        };
        match admission {
            Admission::New => {
                let id = RecordId::generate();
                s.gate.opened(&alert, (id, owning.clone()));
                metrics::counter!("harborlink_alerts_raised_total", "kind" => alert.kind.as_str()).increment(1);
                outgoing.push(Outgoing::Raise(
                    owning,
                    Box::new(AlertDraft {
                        id,
                        kind: alert.kind.as_str().to_owned(),
                        severity: alert.severity.as_str().to_owned(),
                        mmsi: alert.mmsi,
                        mmsi_2: alert.mmsi_2,
                        zone: alert.zone,
                        watch_entry: alert.watch_entry,
                        feed: alert.feed,
                        start_s: alert.start,
                        end_s: alert.end,
                        lat: alert.lat,
                        lon: alert.lon,
                        detail: alert.detail,
                        evidence: evidence.clone().into_iter().collect(),
                    }),
                ));
            }
            Admission::Repeat { id: (id, _), occurrences } => {
                metrics::counter!("harborlink_alerts_merged_total").increment(1);
                outgoing.push(Outgoing::Repeat(AlertRepeat {
                    alert: id,
                    end_s: alert.end,
                    lat: alert.lat,
                    lon: alert.lon,
                    occurrences,
                    detail: alert.detail,
                }));
            }
        }
    }
}

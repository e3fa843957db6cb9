//! The live picture's shared records: alerts (raised by the node's detectors, handled by
//! operators), zones and watch-list entries (defined by operators, read by the detectors).
//!
//! Alerts are owned by the organization the node's feeds belong to, except zone alerts and
//! watch-list hits, which belong to the zone's or entry's owner and carry its releasability: an
//! alert must never reveal a zone or a watch-list reason to someone who may not see them.

use hl_events::Change;
use hl_policy::{Action, Subject, authorize, may_read};
use hl_store::{ALERT_STATUSES, AlertFilter, AlertRecord, AppendRequest, WatchlistRecord, ZoneRecord};
use hl_types::{OrgId, RecordId, Releasability};

use crate::commands::{NAME_CHARS_MAX, line};
use crate::queries::Page;
use crate::{Node, NodeError};

/// Longest dismissal reason, escalation note or watch-list reason, in characters.
pub const REASON_CHARS_MAX: usize = 1_000;
/// Largest zone Feature, in bytes (a harbour polygon needs far less).
pub const ZONE_FEATURE_BYTES_MAX: usize = 256 * 1024;
/// Evidence sentences kept per alert.
pub const EVIDENCE_LINES_MAX: usize = 8;
/// How long a change of zones or watch list waits for the live picture to apply it before it is
/// acknowledged anyway (the engine applies it between two batches, normally within
/// milliseconds; a stalled engine must not hang the API).
const PICTURE_APPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// Longest alert detail, in characters.
const DETAIL_CHARS_MAX: usize = 2_000;

/// An alert as a detector raised it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertDraft {
    /// Chosen by the caller, so its merging state can name the alert before it is committed.
    pub id: RecordId,
    pub kind: String,
    pub severity: String,
    pub mmsi: u32,
    pub mmsi_2: Option<u32>,
    pub zone: Option<String>,
    /// The watch-list entry of a watch-list hit.
    pub watch_entry: Option<String>,
    /// The feed of a feed-level alert.
    pub feed: Option<String>,
    pub start_s: i64,
    pub end_s: i64,
    pub lat: f64,
    pub lon: f64,
    pub detail: String,
    pub evidence: Vec<String>,
}

/// A repeat of an open alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRepeat {
    pub alert: RecordId,
    pub end_s: i64,
    pub lat: f64,
    pub lon: f64,
    pub occurrences: u32,
    pub detail: String,
}

/// What an operator does with an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertAction {
    /// With an optional note on what is being done.
    Acknowledge {
        note: Option<String>,
    },
    Dismiss {
        reason: String,
    },
    /// With a note, and into an incident: a new one, or one to attach the alert to.
    Escalate {
        note: String,
        into: Option<crate::incident::EscalateInto>,
    },
}

/// A new watch-list entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchlistDraft {
    pub mmsi: Option<u32>,
    pub imo: Option<u32>,
    pub name: Option<String>,
    pub callsign: Option<String>,
    pub reason: String,
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

impl Node {
    /// Records alerts raised by the node's own detectors, in one transaction. The owner and
    /// releasability of each are decided by the caller (see the module doc).
    pub async fn record_alerts(
        &self,
        alerts: Vec<(OrgId, Releasability, AlertDraft)>,
    ) -> Result<Vec<RecordId>, NodeError> {
        let mut ids = Vec::with_capacity(alerts.len());
        let mut events = Vec::with_capacity(alerts.len());
        for (owner, releasability, draft) in alerts {
            let alert = draft.id;
            ids.push(alert);
            let change = Change::AlertRaised {
                alert,
                kind: draft.kind,
                severity: draft.severity,
                mmsi: draft.mmsi,
                mmsi_2: draft.mmsi_2,
                zone: draft.zone,
                start_s: draft.start_s,
                end_s: draft.end_s,
                lat: draft.lat,
                lon: draft.lon,
                detail: clip(&draft.detail, DETAIL_CHARS_MAX),
                evidence: draft.evidence.into_iter().take(EVIDENCE_LINES_MAX).collect(),
                watch_entry: draft.watch_entry,
                feed: draft.feed,
            };
            events.push(self.unsigned(owner, None, releasability, change));
        }
        if !events.is_empty() {
            self.writer.submit(AppendRequest { events, local: vec![] }).await?;
        }
        Ok(ids)
    }

    /// Records repeats of open alerts (merged detections), in one transaction.
    pub async fn record_alert_repeats(&self, repeats: Vec<AlertRepeat>) -> Result<(), NodeError> {
        let mut events = Vec::with_capacity(repeats.len());
        for repeat in repeats {
            let Some(current) = self.store.alert(repeat.alert).await? else { continue };
            let change = Change::AlertRepeated {
                alert: repeat.alert,
                end_s: repeat.end_s,
                lat: repeat.lat,
                lon: repeat.lon,
                occurrences: repeat.occurrences,
                detail: clip(&repeat.detail, DETAIL_CHARS_MAX),
            };
            events.push(self.unsigned(current.owner_org, None, current.releasability, change));
        }
        if !events.is_empty() {
            self.writer.submit(AppendRequest { events, local: vec![] }).await?;
        }
        Ok(())
    }

    /// One alert, if the caller may see it.
    pub async fn alert(&self, subject: &Subject, id: RecordId) -> Result<AlertRecord, NodeError> {
        let alert = self.store.alert(id).await?.ok_or(NodeError::NotFound)?;
        if may_read(subject, self.owner(alert.owner_org).await?, &alert.releasability) {
            Ok(self.alert_links_for(subject, alert).await)
        } else {
            Err(NodeError::NotFound)
        }
    }

    /// An alert as `subject` reads it: the incident an escalation went into is named only to
    /// those who may read that incident (it is released on its own).
    async fn alert_links_for(&self, subject: &Subject, mut alert: AlertRecord) -> AlertRecord {
        for handling in &mut alert.handling {
            if let Some(incident) = handling.incident
                && self.records_of::<crate::Incident>().get(subject, incident).await.is_err()
            {
                handling.incident = None;
            }
        }
        alert
    }

    /// Alerts the caller may see, matching `filter`, oldest first after the cursor.
    pub async fn alerts(
        &self,
        subject: &Subject,
        filter: &AlertFilter,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Page<AlertRecord>, NodeError> {
        if let Some(status) = &filter.status
            && !ALERT_STATUSES.contains(&status.as_str())
        {
            return Err(NodeError::invalid("status", format!("must be one of {}", ALERT_STATUSES.join(", "))));
        }
        let fetch = |keys: Vec<String>, n| async move { self.store.alerts_visible(&keys, filter, after, n).await };
        let page = self
            .visible_page(subject, limit, fetch, |a: &AlertRecord| a.id, |a| (a.owner_org, &a.releasability))
            .await?;
        let mut items = Vec::with_capacity(page.items.len());
        for alert in page.items {
            items.push(self.alert_links_for(subject, alert).await);
        }
        Ok(Page { items, next: page.next })
    }

    /// Acknowledges, dismisses or escalates an alert (operators of the owning organization).
    pub async fn handle_alert(
        &self,
        subject: &Subject,
        id: RecordId,
        action: AlertAction,
    ) -> Result<AlertRecord, NodeError> {
        let rule = self.state_rules.lock().await;
        let current = self.alert(subject, id).await?;
        authorize(subject, Action::Revise { owner: current.owner_org, releasability: None })?;
        let to = match &action {
            AlertAction::Acknowledge { .. } => "acknowledged",
            AlertAction::Dismiss { .. } => "dismissed",
            AlertAction::Escalate { .. } => "escalated",
        };
        if !hl_store::alert_status_moves(&current.status, to) {
            return Err(NodeError::Conflict(format!(
                "the alert is {}: its status moves only forward (new, acknowledged, then dismissed or escalated)",
                current.status
            )));
        }
        let mut events = Vec::new();
        let change = match action {
            AlertAction::Acknowledge { note } => Change::AlertAcknowledged {
                alert: id,
                note: note.as_deref().map(|n| line("note", n, REASON_CHARS_MAX)).transpose()?,
            },
            AlertAction::Dismiss { reason } => {
                Change::AlertDismissed { alert: id, reason: line("reason", &reason, REASON_CHARS_MAX)? }
            }
            AlertAction::Escalate { note, into } => {
                let note = line("note", &note, REASON_CHARS_MAX)?;
                let incident = match into {
                    Some(into) => {
                        let (event, incident) = self.escalation_event(subject, &current, into).await?;
                        events.push(event);
                        Some(incident)
                    }
                    None => None,
                };
                Change::AlertEscalated { alert: id, note, incident }
            }
        };
        events.push(self.unsigned(subject.org, Some(subject.user), current.releasability, change));
        // The incident and the alert's escalation commit together or not at all.
        self.writer.submit(AppendRequest { events, local: vec![] }).await?;
        drop(rule);
        self.alert(subject, id).await
    }

    /// Defines a zone from one GeoJSON Feature (or bare Polygon/MultiPolygon). The zone's
    /// `name` and `kind` may come from the arguments or the Feature's properties.
    pub async fn define_zone(
        &self,
        subject: &Subject,
        feature: &serde_json::Value,
        releasability: Releasability,
    ) -> Result<ZoneRecord, NodeError> {
        self.check_recipients(&releasability).await?;
        authorize(subject, Action::Publish { releasability: &releasability })?;
        let text = serde_json::to_string(feature).map_err(|e| NodeError::invalid("feature", e.to_string()))?;
        if text.len() > ZONE_FEATURE_BYTES_MAX {
            return Err(NodeError::invalid("feature", format!("must be at most {ZONE_FEATURE_BYTES_MAX} bytes")));
        }
        if feature.get("type").and_then(|t| t.as_str()) == Some("FeatureCollection") {
            return Err(NodeError::invalid("feature", "must be one Feature or Polygon, not a FeatureCollection"));
        }
        let zones = hl_geo::parse_zones(&text).map_err(|e| match e.property {
            Some(property) => NodeError::invalid(&format!("feature/properties/{property}"), e.reason),
            None => NodeError::invalid("feature", e.to_string()),
        })?;
        let [zone] = zones.as_slice() else {
            return Err(NodeError::invalid("feature", "must hold exactly one zone"));
        };
        let name = line("feature/properties/name", &zone.name, NAME_CHARS_MAX)?;
        let kind = zone.kind.as_str().to_owned();
        let id = RecordId::generate();
        let change = Change::ZoneDefined { zone: id, name, kind, feature: text };
        let event = self.unsigned(subject.org, Some(subject.user), releasability, change);
        self.writer.submit(AppendRequest { events: vec![event], local: vec![] }).await?;
        self.picture_changed().await;
        self.store.zone(id).await?.ok_or(NodeError::NotFound)
    }

    /// Deletes a zone (operators of the owning organization).
    pub async fn delete_zone(&self, subject: &Subject, id: RecordId) -> Result<(), NodeError> {
        let zone = self.zone(subject, id).await?;
        authorize(subject, Action::Revise { owner: zone.owner_org, releasability: None })?;
        let event =
            self.unsigned(subject.org, Some(subject.user), zone.releasability, Change::ZoneDeleted { zone: id });
        self.writer.submit(AppendRequest { events: vec![event], local: vec![] }).await?;
        self.picture_changed().await;
        Ok(())
    }

    /// One zone, if the caller may see it.
    pub async fn zone(&self, subject: &Subject, id: RecordId) -> Result<ZoneRecord, NodeError> {
        let zone = self.store.zone(id).await?.ok_or(NodeError::NotFound)?;
        if may_read(subject, self.owner(zone.owner_org).await?, &zone.releasability) {
            Ok(zone)
        } else {
            Err(NodeError::NotFound)
        }
    }

    /// The zones the caller may see, oldest first after the cursor.
    pub async fn zones(
        &self,
        subject: &Subject,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Page<ZoneRecord>, NodeError> {
        let fetch = |keys: Vec<String>, n| async move { self.store.zones_visible(&keys, after, n).await };
        self.visible_page(subject, limit, fetch, |z: &ZoneRecord| z.id, |z| (z.owner_org, &z.releasability)).await
    }

    /// Puts a vessel on the watch list.
    pub async fn add_watchlist_entry(
        &self,
        subject: &Subject,
        draft: WatchlistDraft,
        releasability: Releasability,
    ) -> Result<WatchlistRecord, NodeError> {
        self.check_recipients(&releasability).await?;
        authorize(subject, Action::Publish { releasability: &releasability })?;
        let name = draft.name.as_deref().map(|n| line("name", n, NAME_CHARS_MAX)).transpose()?;
        let callsign = draft.callsign.as_deref().map(|c| line("callsign", c, NAME_CHARS_MAX)).transpose()?;
        if draft.mmsi.is_some_and(|m| !hl_types::mmsi_plausible(m)) {
            return Err(NodeError::invalid(
                "mmsi",
                format!("must be a nine-digit MMSI ({} to {})", hl_types::MMSI_MIN, hl_types::MMSI_MAX),
            ));
        }
        if draft.imo.is_some_and(|i| !hl_types::imo_valid(i)) {
            return Err(NodeError::invalid("imo", "must be a 7-digit IMO number whose last digit is its check digit"));
        }
        if draft.mmsi.is_none() && draft.imo.is_none() && name.is_none() && callsign.is_none() {
            return Err(NodeError::invalid("mmsi", "an entry names at least one of mmsi, imo, name, callsign"));
        }
        let reason = line("reason", &draft.reason, REASON_CHARS_MAX)?;
        let rule = self.state_rules.lock().await;
        // One entry per vessel description per organization: a duplicate would hit twice.
        let (_, entries) = self.detector_inputs().await?;
        let same = |a: &Option<String>, b: &Option<String>| {
            a.as_deref().map(str::to_lowercase) == b.as_deref().map(str::to_lowercase)
        };
        if let Some(existing) = entries.iter().find(|e| {
            e.owner_org == subject.org
                && e.mmsi == draft.mmsi
                && e.imo == draft.imo
                && same(&e.name, &name)
                && same(&e.callsign, &callsign)
        }) {
            return Err(NodeError::Conflict(format!(
                "your organization already watches this vessel (entry {}); remove it or give different identifiers",
                existing.id
            )));
        }
        let id = RecordId::generate();
        let change =
            Change::WatchlistEntryAdded { entry: id, mmsi: draft.mmsi, imo: draft.imo, name, callsign, reason };
        let event = self.unsigned(subject.org, Some(subject.user), releasability, change);
        self.writer.submit(AppendRequest { events: vec![event], local: vec![] }).await?;
        drop(rule);
        self.picture_changed().await;
        self.store.watchlist_entry(id).await?.ok_or(NodeError::NotFound)
    }

    /// Takes a vessel off the watch list (operators of the owning organization).
    pub async fn remove_watchlist_entry(&self, subject: &Subject, id: RecordId) -> Result<(), NodeError> {
        let entry = self.store.watchlist_entry(id).await?.ok_or(NodeError::NotFound)?;
        if !may_read(subject, self.owner(entry.owner_org).await?, &entry.releasability) {
            return Err(NodeError::NotFound);
        }
        authorize(subject, Action::Revise { owner: entry.owner_org, releasability: None })?;
        let change = Change::WatchlistEntryRemoved { entry: id };
        let event = self.unsigned(subject.org, Some(subject.user), entry.releasability, change);
        self.writer.submit(AppendRequest { events: vec![event], local: vec![] }).await?;
        self.picture_changed().await;
        Ok(())
    }

    /// The watch-list entries the caller may see, oldest first after the cursor.
    pub async fn watchlist(
        &self,
        subject: &Subject,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Page<WatchlistRecord>, NodeError> {
        let fetch = |keys: Vec<String>, n| async move { self.store.watchlist_visible(&keys, after, n).await };
        self.visible_page(subject, limit, fetch, |w: &WatchlistRecord| w.id, |w| (w.owner_org, &w.releasability)).await
    }

    /// Saves vessel tracks (MMSI, track as JSON) through the writer: local state, never in the
    /// log.
    pub async fn save_tracks(&self, rows: Vec<(u32, String)>, saved_at_us: i64) -> Result<(), NodeError> {
        let local = rows
            .into_iter()
            .map(|(mmsi, track)| hl_store::LocalWrite::VesselTrack { mmsi, track, saved_at_us })
            .collect();
        self.writer.submit(AppendRequest { events: vec![], local }).await?;
        Ok(())
    }

    /// Saves how far a file feed has been replayed (local state, never in the log).
    pub async fn save_feed_position(
        &self,
        feed: &str,
        identity: &str,
        byte_offset: u64,
        saved_at_us: i64,
    ) -> Result<(), NodeError> {
        let local = vec![hl_store::LocalWrite::FeedPosition {
            feed: feed.to_owned(),
            identity: identity.to_owned(),
            byte_offset,
            saved_at_us,
        }];
        self.writer.submit(AppendRequest { events: vec![], local }).await?;
        Ok(())
    }

    /// A file feed's saved position (file identity, byte offset): for the node's own feeds.
    pub async fn feed_position(&self, feed: &str) -> Result<Option<(String, u64)>, NodeError> {
        Ok(self.store.feed_position(feed).await?)
    }

    /// Saved tracks after MMSI `after`, in MMSI order: for the node's own live picture at start.
    pub async fn saved_tracks(&self, after: u32, limit: u32) -> Result<Vec<(u32, String)>, NodeError> {
        Ok(self.store.load_tracks(after, limit).await?)
    }

    /// Every alert whose episode ended at or after `since_s`, in id order after `after`,
    /// unfiltered: for the node's own merging state at start, never for a caller.
    pub async fn recent_alerts_for_merging(
        &self,
        since_s: i64,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<AlertRecord>, NodeError> {
        let filter = AlertFilter { since_s: Some(since_s), ..AlertFilter::default() };
        Ok(self.store.alerts_after(after, &filter, limit).await?)
    }

    /// Whether `subject` may see the live picture (vessels, tracks, feeds, the stream).
    pub fn may_view_picture(&self, subject: &Subject) -> Result<(), NodeError> {
        Ok(authorize(subject, Action::ViewPicture)?)
    }

    /// Whether `subject` may feed AIS sentences into the picture.
    pub fn may_feed_picture(&self, subject: &Subject) -> Result<(), NodeError> {
        Ok(authorize(subject, Action::FeedPicture)?)
    }

    /// Every zone and watch-list entry on the node, unfiltered: for the node's own detectors,
    /// never for a caller.
    /// The zones, among `zones`, that organization `org` may read: only those may exempt
    /// positions from the detections it owns (a hidden zone of another organization must not
    /// silence them, nor reveal itself through the silence).
    pub async fn zones_readable_by(
        &self,
        org: OrgId,
        zones: &[ZoneRecord],
    ) -> Result<std::collections::HashSet<RecordId>, NodeError> {
        let Some(reader) = self.store.organization(org).await? else { return Ok(Default::default()) };
        let subject = Subject {
            // Reading needs no user: the organization's own rights are what count.
            user: hl_types::UserId::generate(),
            org,
            role: hl_types::Role::Viewer,
            nation: reader.nation,
            communities: reader.communities,
        };
        let mut readable = std::collections::HashSet::new();
        for zone in zones {
            if may_read(&subject, self.owner(zone.owner_org).await?, &zone.releasability) {
                readable.insert(zone.id);
            }
        }
        Ok(readable)
    }

    pub async fn detector_inputs(&self) -> Result<(Vec<ZoneRecord>, Vec<WatchlistRecord>), NodeError> {
        Ok((self.store.zones().await?, self.store.watchlist().await?))
    }

    /// Tells the live picture that zones or the watch list changed, and waits until its
    /// detectors use them: a record acknowledged to the client is then in force for every report
    /// processed after the acknowledgement. Without a live picture (the CLI) nothing waits.
    async fn picture_changed(&self) {
        let mut version = 0;
        self.picture_inputs.send_modify(|v| {
            *v += 1;
            version = *v;
        });
        if self.picture_inputs.receiver_count() == 0 {
            return;
        }
        let mut applied = self.picture_applied.subscribe();
        let waited = tokio::time::timeout(PICTURE_APPLY_WAIT, applied.wait_for(|done| *done >= version)).await;
        if waited.is_err() {
            tracing::warn!(version, "the live picture has not applied the new zones and watch list yet");
        }
    }

    /// A receiver of the version of zones and watch list, bumped whenever they change.
    pub fn picture_inputs(&self) -> tokio::sync::watch::Receiver<u64> {
        self.picture_inputs.subscribe()
    }

    /// The live picture reports that its detectors use the zones and watch list of `version`.
    pub fn picture_inputs_applied(&self, version: u64) {
        self.picture_applied.send_if_modified(|done| {
            let newer = version > *done;
            if newer {
                *done = version;
            }
            newer
        });
    }
}

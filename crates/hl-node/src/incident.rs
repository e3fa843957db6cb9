//! Incidents: what happened at a port, recorded by its security officer and released by them.
//! The first record type of the shared record layer ([`crate::records`]): this module is all
//! an incident is (state, changes, rules, facets); storage, policy, paging and the timeline
//! come from the layer.

use hl_events::UnsignedEvent;
use hl_policy::{Action, Subject, authorize, may_read};
use hl_store::{AlertRecord, RecordFacets, RecordFilter};
use hl_types::{RecordId, Releasability, UserId};
use serde::{Deserialize, Serialize};

use crate::commands::{BODY_CHARS_MAX, TITLE_CHARS_MAX, line, text_body};
use crate::records::TimelineEntry;
use crate::records::{ChangeMeta, Record, RecordType, Step};
use crate::{Actor, Node, NodeError, Page, now_us};
use sha2::Digest;

/// Most comments one incident holds (its timeline stays readable in one response).
pub const INCIDENT_COMMENTS_MAX: usize = 1_000;
/// Most vessels and most alerts one incident names.
pub const INCIDENT_LINKS_MAX: usize = 100;
/// How far in the future an occurrence time may lie (clock skew between a reporter and the
/// node), microseconds.
pub const OCCURRENCE_SKEW_US: i64 = 5 * 60 * 1_000_000;

/// What kind of incident (after the categories port facility security plans and the IMO's
/// reports of maritime security incidents use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IncidentCategory {
    UnauthorizedAccess,
    SuspiciousVessel,
    SuspiciousActivityAshore,
    Smuggling,
    PiracyArmedRobbery,
    Stowaway,
    Sabotage,
    UnmannedSystem,
    CyberIncident,
    HazardousMaterials,
    BombThreat,
    Other,
}

impl IncidentCategory {
    /// Its name on the wire and in the store's facet.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentCategory::UnauthorizedAccess => "unauthorized_access",
            IncidentCategory::SuspiciousVessel => "suspicious_vessel",
            IncidentCategory::SuspiciousActivityAshore => "suspicious_activity_ashore",
            IncidentCategory::Smuggling => "smuggling",
            IncidentCategory::PiracyArmedRobbery => "piracy_armed_robbery",
            IncidentCategory::Stowaway => "stowaway",
            IncidentCategory::Sabotage => "sabotage",
            IncidentCategory::UnmannedSystem => "unmanned_system",
            IncidentCategory::CyberIncident => "cyber_incident",
            IncidentCategory::HazardousMaterials => "hazardous_materials",
            IncidentCategory::BombThreat => "bomb_threat",
            IncidentCategory::Other => "other",
        }
    }
}

/// How serious an incident is; ordered, so "at least high" is a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IncidentSeverity {
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

/// Where an incident is in its handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IncidentStatus {
    Reported,
    Acknowledged,
    Investigating,
    Resolved,
    Closed,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Reported => "reported",
            IncidentStatus::Acknowledged => "acknowledged",
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Closed => "closed",
        }
    }

    /// Whether the status may move from `self` to `to`: forward (steps may be skipped: a false
    /// alarm goes from reported to closed), and back from resolved to investigating when it
    /// turns out not to be over. Closed is final.
    pub fn may_move_to(self, to: IncidentStatus) -> bool {
        use IncidentStatus::*;
        matches!(
            (self, to),
            (Reported, Acknowledged | Investigating | Resolved | Closed)
                | (Acknowledged, Investigating | Resolved | Closed)
                | (Investigating, Resolved | Closed)
                | (Resolved, Investigating | Closed)
        )
    }
}

/// A vessel an incident concerns: its MMSI, its IMO number, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VesselLink {
    /// A ship's MMSI (nine digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 999_999_999))]
    pub mmsi: Option<u32>,
    /// An IMO number (its check digit must hold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<u32>,
}

/// Where an incident happened: a position, a named facility of the owner, or both.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentLocation {
    /// Degrees, WGS 84, with `lon`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub lat: Option<f64>,
    /// Degrees, WGS 84, with `lat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub lon: Option<f64>,
    /// The facility's name (a gate, a terminal, a berth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub facility: Option<String>,
}

/// One accepted status change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusMove {
    pub status: IncidentStatus,
    pub by: Option<UserId>,
    pub at_us: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A comment on an incident, released exactly as its incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub by: Option<UserId>,
    pub at_us: i64,
    pub text: String,
}

/// Evidence attached to an incident: its content is stored by SHA-256, which the signed event
/// carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    pub name: String,
    /// Decided from the content (see [`crate::sniff`]).
    pub media_type: String,
    pub size: u64,
    pub by: Option<UserId>,
    pub at_us: i64,
}

/// Most attachments one incident holds.
pub const INCIDENT_ATTACHMENTS_MAX: usize = 100;

/// An incident as it now is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub category: IncidentCategory,
    pub severity: IncidentSeverity,
    pub title: String,
    pub description: String,
    /// When it happened, microseconds since the epoch.
    pub occurred_at_us: i64,
    pub location: IncidentLocation,
    pub vessels: Vec<VesselLink>,
    /// Alerts escalated into or attached to it.
    pub alerts: Vec<RecordId>,
    pub status: IncidentStatus,
    /// Every accepted status change, oldest first (the report itself first).
    pub handling: Vec<StatusMove>,
    pub assignee: Option<UserId>,
    pub comments: Vec<Comment>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// The changes an incident's events carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum IncidentChange {
    /// The incident is reported.
    Reported {
        category: IncidentCategory,
        severity: IncidentSeverity,
        title: String,
        description: String,
        occurred_at_us: i64,
        location: IncidentLocation,
        vessels: Vec<VesselLink>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        alerts: Vec<RecordId>,
    },
    /// The owner revises it: the fields present replace the old ones. `base_revision` is the
    /// revision it was made from (two concurrent revisions cannot overwrite each other).
    Revised {
        base_revision: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<IncidentCategory>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        severity: Option<IncidentSeverity>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurred_at_us: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<IncidentLocation>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vessels: Option<Vec<VesselLink>>,
        /// The release changed (the event itself carries the new one).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        released: bool,
    },
    /// Its status moves.
    StatusChanged {
        status: IncidentStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// It is given to a user of the owner (or to nobody).
    Assigned { assignee: Option<UserId> },
    /// A comment is added.
    Commented { text: String },
    /// An alert is attached to it.
    AlertAttached { alert: RecordId },
    /// Evidence is attached: the content's SHA-256 is part of the signed event.
    AttachmentAdded { sha256: String, name: String, media_type: String, size: u64 },
}

impl Incident {
    /// The record type's name in the log (`record_type`), as [`RecordType::KIND`].
    pub const KIND_NAME: &'static str = <Incident as RecordType>::KIND;
}

impl RecordType for Incident {
    const KIND: &'static str = "incident";
    type Change = IncidentChange;

    fn apply(current: Option<&Record<Self>>, change: IncidentChange, meta: &ChangeMeta) -> Step<Self> {
        let Some(current) = current else {
            return match change {
                IncidentChange::Reported {
                    category,
                    severity,
                    title,
                    description,
                    occurred_at_us,
                    location,
                    vessels,
                    alerts,
                } => Step::Put(Incident {
                    category,
                    severity,
                    title,
                    description,
                    occurred_at_us,
                    location,
                    vessels,
                    alerts,
                    status: IncidentStatus::Reported,
                    handling: vec![StatusMove {
                        status: IncidentStatus::Reported,
                        by: meta.user,
                        at_us: meta.at_us,
                        note: None,
                    }],
                    assignee: None,
                    comments: Vec::new(),
                    attachments: Vec::new(),
                }),
                _ => Step::Refuse(String::from("no such incident")),
            };
        };
        let mut next = current.state.clone();
        match change {
            IncidentChange::Reported { .. } => return Step::Refuse(String::from("the incident exists already")),
            IncidentChange::Revised {
                base_revision,
                category,
                severity,
                title,
                description,
                occurred_at_us,
                location,
                vessels,
                released: _,
            } => {
                if base_revision != current.revision {
                    return Step::Refuse(String::from("the incident was changed meanwhile; read it again and retry"));
                }
                next.category = category.unwrap_or(next.category);
                next.severity = severity.unwrap_or(next.severity);
                next.title = title.unwrap_or(next.title);
                next.description = description.unwrap_or(next.description);
                next.occurred_at_us = occurred_at_us.unwrap_or(next.occurred_at_us);
                next.location = location.unwrap_or(next.location);
                next.vessels = vessels.unwrap_or(next.vessels);
            }
            IncidentChange::StatusChanged { status, note } => {
                if !next.status.may_move_to(status) {
                    return Step::Refuse(format!(
                        "an incident cannot move from {} to {}",
                        next.status.as_str(),
                        status.as_str()
                    ));
                }
                next.status = status;
                next.handling.push(StatusMove { status, by: meta.user, at_us: meta.at_us, note });
            }
            IncidentChange::Assigned { assignee } => next.assignee = assignee,
            IncidentChange::Commented { text } => {
                if next.comments.len() >= INCIDENT_COMMENTS_MAX {
                    return Step::Refuse(format!("an incident holds at most {INCIDENT_COMMENTS_MAX} comments"));
                }
                next.comments.push(Comment { by: meta.user, at_us: meta.at_us, text });
            }
            IncidentChange::AlertAttached { alert } => {
                if next.alerts.contains(&alert) {
                    return Step::Refuse(String::from("the alert is attached already"));
                }
                if next.alerts.len() >= INCIDENT_LINKS_MAX {
                    return Step::Refuse(format!("an incident names at most {INCIDENT_LINKS_MAX} alerts"));
                }
                next.alerts.push(alert);
            }
            IncidentChange::AttachmentAdded { sha256, name, media_type, size } => {
                if next.attachments.iter().any(|a| a.sha256 == sha256) {
                    return Step::Refuse(String::from("this content is attached to the incident already"));
                }
                if next.attachments.len() >= INCIDENT_ATTACHMENTS_MAX {
                    return Step::Refuse(format!("an incident holds at most {INCIDENT_ATTACHMENTS_MAX} attachments"));
                }
                next.attachments.push(Attachment { sha256, name, media_type, size, by: meta.user, at_us: meta.at_us });
            }
        }
        Step::Put(next)
    }

    fn releases(change: &IncidentChange) -> bool {
        matches!(change, IncidentChange::Revised { released: true, .. })
    }

    fn facets(&self) -> RecordFacets {
        let position = match (self.location.lat, self.location.lon) {
            (Some(lat), Some(lon)) => Some((lat, lon)),
            _ => None,
        };
        RecordFacets {
            class: Some(self.category.as_str().to_owned()),
            severity: Some(self.severity as i64),
            status: Some(self.status.as_str().to_owned()),
            at_s: Some(self.occurred_at_us.div_euclid(1_000_000)),
            position,
            vessels: self.vessels.iter().filter_map(|v| v.mmsi).collect(),
        }
    }
}

/// A new incident as its reporter describes it.
#[derive(Debug, Clone)]
pub struct IncidentDraft {
    pub category: IncidentCategory,
    pub severity: IncidentSeverity,
    pub title: String,
    pub description: String,
    pub occurred_at_us: i64,
    pub location: IncidentLocation,
    pub vessels: Vec<VesselLink>,
}

/// Where an escalated alert goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalateInto {
    /// A new incident, described from the alert (position, time, vessels) where the fields
    /// are absent, released as the alert unless `releasability` says otherwise.
    New {
        category: IncidentCategory,
        severity: IncidentSeverity,
        title: Option<String>,
        description: Option<String>,
        releasability: Option<Releasability>,
    },
    /// An existing incident of the caller's organization.
    Attach(RecordId),
}

/// Changes to an incident's description; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct IncidentPatch {
    pub category: Option<IncidentCategory>,
    pub severity: Option<IncidentSeverity>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub occurred_at_us: Option<i64>,
    pub location: Option<IncidentLocation>,
    pub vessels: Option<Vec<VesselLink>>,
}

/// Checks where an incident happened: a valid position (both coordinates or neither), a
/// facility name that is one line, and at least one of the two.
pub(crate) fn checked_location(location: IncidentLocation) -> Result<IncidentLocation, NodeError> {
    match (location.lat, location.lon) {
        (Some(lat), Some(lon)) => {
            if hl_geo::Position::new(lat, lon).is_none() {
                return Err(NodeError::invalid("location", "is not a position: lat -90 to 90, lon -180 to 180"));
            }
        }
        (None, None) => {}
        (None, Some(_)) => return Err(NodeError::invalid("location/lat", "is needed with lon")),
        (Some(_), None) => return Err(NodeError::invalid("location/lon", "is needed with lat")),
    }
    let facility = location.facility.as_deref().map(|f| line("location/facility", f, TITLE_CHARS_MAX)).transpose()?;
    if location.lat.is_none() && facility.is_none() {
        return Err(NodeError::invalid("location", "give a position (lat, lon), a facility, or both"));
    }
    Ok(IncidentLocation { facility, ..location })
}

/// Checks the vessels an incident names: each by a plausible MMSI or a valid IMO number.
pub(crate) fn checked_vessels(vessels: Vec<VesselLink>) -> Result<Vec<VesselLink>, NodeError> {
    if vessels.len() > INCIDENT_LINKS_MAX {
        return Err(NodeError::invalid("vessels", format!("at most {INCIDENT_LINKS_MAX} vessels")));
    }
    for (i, vessel) in vessels.iter().enumerate() {
        if vessel.mmsi.is_none() && vessel.imo.is_none() {
            return Err(NodeError::invalid(&format!("vessels/{i}"), "give an mmsi, an imo, or both"));
        }
        if let Some(mmsi) = vessel.mmsi
            && !hl_types::mmsi_plausible(mmsi)
        {
            return Err(NodeError::invalid(&format!("vessels/{i}/mmsi"), "is not a ship's MMSI (nine digits)"));
        }
        if let Some(imo) = vessel.imo
            && !hl_types::imo_valid(imo)
        {
            return Err(NodeError::invalid(
                &format!("vessels/{i}/imo"),
                "is not an IMO number (its check digit fails)",
            ));
        }
    }
    Ok(vessels)
}

/// Checks an occurrence time: not beyond the present by more than [`OCCURRENCE_SKEW_US`].
pub(crate) fn checked_occurrence(field: &str, at_us: i64, now_us: i64) -> Result<i64, NodeError> {
    if at_us > now_us.saturating_add(OCCURRENCE_SKEW_US) {
        return Err(NodeError::invalid(field, "lies in the future"));
    }
    Ok(at_us)
}

pub(crate) fn checked_title(title: &str) -> Result<String, NodeError> {
    line("title", title, TITLE_CHARS_MAX)
}

pub(crate) fn checked_text(field: &str, text: &str, required: bool) -> Result<String, NodeError> {
    let text = text_body(field, text)?;
    if required && text.trim().is_empty() {
        return Err(NodeError::invalid(field, "must not be empty"));
    }
    debug_assert!(text.chars().count() <= BODY_CHARS_MAX);
    Ok(text)
}

impl Node {
    /// Reports an incident (operators; TLP:RED needs a security officer).
    pub async fn report_incident(
        &self,
        subject: &Subject,
        draft: IncidentDraft,
        releasability: Releasability,
    ) -> Result<Record<Incident>, NodeError> {
        let change = IncidentChange::Reported {
            category: draft.category,
            severity: draft.severity,
            title: checked_title(&draft.title)?,
            description: checked_text("description", &draft.description, false)?,
            occurred_at_us: checked_occurrence("occurred_at", draft.occurred_at_us, now_us())?,
            location: checked_location(draft.location)?,
            vessels: checked_vessels(draft.vessels)?,
            alerts: Vec::new(),
        };
        self.records_of::<Incident>().create(subject, releasability, change).await
    }

    /// One incident, if the caller may see it (a read of an AMBER or RED one is audited).
    pub async fn incident(&self, actor: Actor<'_>, id: RecordId) -> Result<Record<Incident>, NodeError> {
        let record = self.records_of::<Incident>().read_audited(actor, id, "detail").await?;
        self.incident_links_for(actor, record).await
    }

    /// Who read an incident: the owner's administrators only.
    pub async fn incident_reads(
        &self,
        subject: &Subject,
        id: RecordId,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Page<hl_store::RecordRead>, NodeError> {
        self.records_of::<Incident>().reads(subject, id, after, limit).await
    }

    /// The organizations that may read an incident now: the owner's users only.
    pub async fn incident_audience(
        &self,
        subject: &Subject,
        id: RecordId,
    ) -> Result<Vec<hl_store::Organization>, NodeError> {
        self.records_of::<Incident>().audience(subject, id).await
    }

    /// An incident with its timeline and its sealed events, for the operator's evidence export
    /// (each event verifiable with this node's public key).
    pub async fn incident_evidence(
        &self,
        id: RecordId,
    ) -> Result<(Record<Incident>, Vec<TimelineEntry<IncidentChange>>, Vec<hl_events::Event>), NodeError> {
        let record = self.records_of::<Incident>().read_audited(Actor::Operator, id, "export").await?;
        let timeline = self.records_of::<Incident>().timeline(Actor::Operator, id).await?;
        let events = self.store.record_events(Incident::KIND, &id.to_string()).await?;
        Ok((record, timeline, events))
    }

    /// Whether `subject` may read alert `id` (without following its links).
    async fn alert_readable(&self, actor: Actor<'_>, id: RecordId) -> Result<bool, NodeError> {
        let Some(alert) = self.store.alert(id).await? else { return Ok(false) };
        Ok(match actor {
            Actor::Operator => true,
            Actor::User(subject) => may_read(subject, self.owner(alert.owner_org).await?, &alert.releasability),
        })
    }

    /// An incident as `subject` reads it: its alerts are named only to those who may read them
    /// (an alert is released on its own).
    async fn incident_links_for(
        &self,
        actor: Actor<'_>,
        mut record: Record<Incident>,
    ) -> Result<Record<Incident>, NodeError> {
        let mut alerts = Vec::with_capacity(record.state.alerts.len());
        for alert in record.state.alerts {
            if self.alert_readable(actor, alert).await? {
                alerts.push(alert);
            }
        }
        record.state.alerts = alerts;
        Ok(record)
    }

    /// The event that escalates `alert` into an incident, and that incident's id. The caller
    /// handles the alert (owner's operator) and commits this event with the alert's own.
    pub(crate) async fn escalation_event(
        &self,
        subject: &Subject,
        alert: &AlertRecord,
        into: EscalateInto,
    ) -> Result<(UnsignedEvent, RecordId), NodeError> {
        let records = self.records_of::<Incident>();
        match into {
            EscalateInto::New { category, severity, title, description, releasability } => {
                let releasability = releasability.unwrap_or_else(|| alert.releasability.clone());
                self.check_recipients(&releasability).await?;
                authorize(subject, Action::Publish { releasability: &releasability })?;
                let title = match title {
                    Some(title) => checked_title(&title)?,
                    None => format!("{} alert on vessel {}", alert.kind.replace('_', " "), alert.mmsi),
                };
                let description = match description {
                    Some(description) => checked_text("description", &description, false)?,
                    None => alert.detail.clone(),
                };
                let vessels = [Some(alert.mmsi), alert.mmsi_2]
                    .into_iter()
                    .flatten()
                    .filter(|m| hl_types::mmsi_plausible(*m))
                    .map(|mmsi| VesselLink { mmsi: Some(mmsi), imo: None })
                    .collect();
                let change = IncidentChange::Reported {
                    category,
                    severity,
                    title,
                    description,
                    occurred_at_us: alert.start_s.saturating_mul(1_000_000),
                    location: IncidentLocation { lat: Some(alert.lat), lon: Some(alert.lon), facility: None },
                    vessels,
                    alerts: vec![alert.id],
                };
                let id = RecordId::generate();
                Ok((records.event(subject, id, releasability, change)?, id))
            }
            EscalateInto::Attach(id) => {
                let incident = records.get(subject, id).await.map_err(|err| match err {
                    // The alert exists; it is the incident that is missing (or hidden).
                    NodeError::NotFound => NodeError::invalid("incident", "names no incident you may see"),
                    other => other,
                })?;
                authorize(subject, Action::Revise { owner: incident.owner_org, releasability: None })?;
                if incident.state.alerts.contains(&alert.id) {
                    return Err(NodeError::Conflict(String::from("the alert is attached to that incident already")));
                }
                let change = IncidentChange::AlertAttached { alert: alert.id };
                Ok((records.event(subject, id, incident.releasability, change)?, id))
            }
        }
    }

    /// The incidents the caller may see, newest first.
    pub async fn incidents(
        &self,
        actor: Actor<'_>,
        filter: &RecordFilter,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Page<Record<Incident>>, NodeError> {
        let page = self.records_of::<Incident>().list(actor, filter, after, limit).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for record in page.items {
            items.push(self.incident_links_for(actor, record).await?);
        }
        Ok(Page { items, next: page.next })
    }

    /// Every event of an incident, in order.
    pub async fn incident_timeline(
        &self,
        actor: Actor<'_>,
        id: RecordId,
    ) -> Result<Vec<TimelineEntry<IncidentChange>>, NodeError> {
        self.records_of::<Incident>().read_audited(actor, id, "timeline").await?;
        let entries = self.records_of::<Incident>().timeline(actor, id).await?;
        // Alerts are released on their own: each is named only to those who may read it.
        let mut shown = Vec::with_capacity(entries.len());
        for mut entry in entries {
            match &mut entry.change {
                IncidentChange::AlertAttached { alert } if !self.alert_readable(actor, *alert).await? => continue,
                IncidentChange::Reported { alerts, .. } => {
                    let mut readable = Vec::with_capacity(alerts.len());
                    for alert in alerts.drain(..) {
                        if self.alert_readable(actor, alert).await? {
                            readable.push(alert);
                        }
                    }
                    *alerts = readable;
                }
                _ => {}
            }
            shown.push(entry);
        }
        Ok(shown)
    }

    /// Revises an incident the caller's organization owns, and may re-release it.
    pub async fn revise_incident(
        &self,
        subject: &Subject,
        id: RecordId,
        patch: IncidentPatch,
        releasability: Option<Releasability>,
    ) -> Result<Record<Incident>, NodeError> {
        let title = patch.title.as_deref().map(checked_title).transpose()?;
        let description = patch.description.as_deref().map(|d| checked_text("description", d, false)).transpose()?;
        let occurred_at_us =
            patch.occurred_at_us.map(|at| checked_occurrence("occurred_at", at, now_us())).transpose()?;
        let location = patch.location.map(checked_location).transpose()?;
        let vessels = patch.vessels.map(checked_vessels).transpose()?;
        let released = releasability.clone();
        self.records_of::<Incident>()
            .change(subject, id, releasability, |current| {
                let was = &current.state;
                // A revision must revise something: one that says nothing would still reach
                // every partner.
                let changes = patch.category.is_some_and(|c| c != was.category)
                    || patch.severity.is_some_and(|s| s != was.severity)
                    || title.as_ref().is_some_and(|t| *t != was.title)
                    || description.as_ref().is_some_and(|d| *d != was.description)
                    || occurred_at_us.is_some_and(|at| at != was.occurred_at_us)
                    || location.as_ref().is_some_and(|l| *l != was.location)
                    || vessels.as_ref().is_some_and(|v| *v != was.vessels)
                    || released.as_ref().is_some_and(|r| *r != current.releasability);
                if !changes {
                    return Err(NodeError::invalid(
                        "",
                        "the patch changes nothing: give at least one field with a new value",
                    ));
                }
                Ok(IncidentChange::Revised {
                    base_revision: current.revision,
                    category: patch.category,
                    severity: patch.severity,
                    title,
                    description,
                    occurred_at_us,
                    location,
                    vessels,
                    released: released.as_ref().is_some_and(|r| *r != current.releasability),
                })
            })
            .await
    }

    /// Moves an incident's status (see [`IncidentStatus::may_move_to`]); a move that does not
    /// exist is refused naming `status`.
    pub async fn move_incident(
        &self,
        subject: &Subject,
        id: RecordId,
        status: IncidentStatus,
        note: Option<String>,
    ) -> Result<Record<Incident>, NodeError> {
        let note = note.as_deref().map(|n| checked_text("note", n, true)).transpose()?;
        self.records_of::<Incident>()
            .change(subject, id, None, |current| {
                if !current.state.status.may_move_to(status) {
                    return Err(NodeError::invalid(
                        "status",
                        format!(
                            "an incident cannot move from {} to {}",
                            current.state.status.as_str(),
                            status.as_str()
                        ),
                    ));
                }
                Ok(IncidentChange::StatusChanged { status, note })
            })
            .await
    }

    /// Assigns an incident to a user of its owner (`None`: to nobody).
    pub async fn assign_incident(
        &self,
        subject: &Subject,
        id: RecordId,
        assignee: Option<UserId>,
    ) -> Result<Record<Incident>, NodeError> {
        if let Some(user) = assignee {
            // Only a user of the caller's own organization (who owns what it may change).
            let known = self.store.user(user).await?.is_some_and(|u| u.org == subject.org);
            if !known {
                return Err(NodeError::invalid("assignee", "is not a user of your organization"));
            }
        }
        self.records_of::<Incident>()
            .change(subject, id, None, |current| {
                if current.state.assignee == assignee {
                    return Err(NodeError::invalid("assignee", "is assigned already"));
                }
                Ok(IncidentChange::Assigned { assignee })
            })
            .await
    }

    /// Attaches evidence (operators of the owner); its type is decided from the content, and
    /// content and event commit together. The caller has bounded the size.
    pub async fn attach_to_incident(
        &self,
        subject: &Subject,
        id: RecordId,
        name: Option<&str>,
        content: std::sync::Arc<[u8]>,
    ) -> Result<Record<Incident>, NodeError> {
        let name = line("name", name.unwrap_or("attachment"), TITLE_CHARS_MAX)?;
        if content.is_empty() {
            return Err(NodeError::invalid("", "the attachment is empty"));
        }
        let media_type = crate::sniff::media_type(&content).ok_or_else(|| {
            NodeError::UnsupportedType(format!(
                "the content is none of the accepted types ({}), whatever its name or header says",
                crate::sniff::ALLOWED_TYPES.join(", ")
            ))
        })?;
        let sha256 = hex::encode(sha2::Sha256::digest(&content));
        let records = self.records_of::<Incident>();
        let current = records.get(subject, id).await?;
        authorize(subject, Action::Revise { owner: current.owner_org, releasability: None })?;
        let change = IncidentChange::AttachmentAdded {
            sha256: sha256.clone(),
            name,
            media_type: media_type.to_owned(),
            size: content.len() as u64,
        };
        let event = records.event(subject, id, current.releasability, change)?;
        let blob = hl_store::LocalWrite::Attachment {
            sha256,
            media_type: media_type.to_owned(),
            content,
            stored_at_us: now_us(),
        };
        self.writer.submit(hl_store::AppendRequest { events: vec![event], local: vec![blob] }).await?;
        records.read(Actor::User(subject), id).await
    }

    /// One attachment's metadata and content, if the caller may read its incident (an AMBER or
    /// RED one's download is audited). The content is checked against its hash on the way out:
    /// changed evidence is never served.
    pub async fn incident_attachment(
        &self,
        actor: Actor<'_>,
        id: RecordId,
        sha256: &str,
    ) -> Result<(Attachment, Vec<u8>), NodeError> {
        let record = self.records_of::<Incident>().read(actor, id).await?;
        let attachment =
            record.state.attachments.iter().find(|a| a.sha256 == sha256).cloned().ok_or(NodeError::NotFound)?;
        self.records_of::<Incident>().read_audited(actor, id, "attachment").await?;
        let (_, content) = self.store.attachment(sha256).await?.ok_or_else(|| {
            NodeError::Store(hl_store::StoreError::Corrupt(format!("attachment {sha256} is missing")))
        })?;
        if hex::encode(sha2::Sha256::digest(&content)) != sha256 {
            metrics::counter!("harborlink_attachment_hash_failures_total").increment(1);
            tracing::error!(%sha256, incident = %id, "stored attachment does not match its hash; not served");
            return Err(NodeError::Store(hl_store::StoreError::Corrupt(format!(
                "attachment {sha256} does not match its hash"
            ))));
        }
        Ok((attachment, content))
    }

    /// Adds a comment, released exactly as its incident.
    pub async fn comment_incident(
        &self,
        subject: &Subject,
        id: RecordId,
        text: &str,
    ) -> Result<Record<Incident>, NodeError> {
        let text = checked_text("text", text, true)?;
        self.records_of::<Incident>().change(subject, id, None, |_| Ok(IncidentChange::Commented { text })).await
    }
}

#[cfg(test)]
mod tests {
    use hl_events::{Change, Event};
    use hl_store::{Projection, RecordProjector, StoredRecord};
    use hl_types::{EventId, NodeId, OrgId, RecordId, Releasability};

    use super::*;

    fn event(org: OrgId, id: RecordId, releasability: Releasability, change: IncidentChange) -> Event {
        let change = Change::Record {
            kind: Incident::KIND.to_owned(),
            record: id,
            change: serde_json::to_value(&change).unwrap_or_default(),
        };
        Event {
            id: EventId::generate(),
            origin: NodeId::parse("test").unwrap_or_else(|e| panic!("{e}")),
            seq: 1,
            author_org: org,
            author_user: None,
            recorded_at_us: 1_796_000_000_000_000,
            record_type: Incident::KIND.to_owned(),
            record_id: id.to_string(),
            releasability,
            payload: serde_json::to_string(&change).unwrap_or_default(),
            prev_hash: [0; 32],
            hash: [0; 32],
            signature: [0; 64],
        }
    }

    fn project(current: Option<StoredRecord>, e: &Event) -> Projection {
        let Some(Change::Record { kind, change, .. }) = e.change() else { panic!("not a record change") };
        crate::records::Projector.project(&kind, current, e, &change)
    }

    fn put(projection: Projection) -> StoredRecord {
        match projection {
            Projection::Put(record) => *record,
            other => panic!("expected a record, got {other:?}"),
        }
    }

    #[test]
    fn a_change_written_against_an_older_release_never_widens_the_record() {
        let (org, id) = (OrgId::generate(), RecordId::generate());
        let wide = Releasability::public();
        let narrow = Releasability::internal();
        let reported = IncidentChange::Reported {
            category: IncidentCategory::Stowaway,
            severity: IncidentSeverity::High,
            title: String::from("t"),
            description: String::new(),
            occurred_at_us: 0,
            location: IncidentLocation { lat: None, lon: None, facility: Some(String::from("Gate 3")) },
            vessels: Vec::new(),
            alerts: Vec::new(),
        };
        let created = put(project(None, &event(org, id, wide.clone(), reported)));
        let narrowing = IncidentChange::Revised {
            base_revision: 1,
            category: None,
            severity: None,
            title: None,
            description: None,
            occurred_at_us: None,
            location: None,
            vessels: None,
            released: true,
        };
        let narrowed = put(project(Some(created), &event(org, id, narrow.clone(), narrowing)));
        assert_eq!(narrowed.releasability, narrow);
        // A comment composed before the narrowing carries the wide release: refused.
        let stale = event(org, id, wide, IncidentChange::Commented { text: String::from("c") });
        assert!(matches!(project(Some(narrowed.clone()), &stale), Projection::Refused(_)));
        // The same comment with the release as it is now is taken, and keeps it.
        let current = event(org, id, narrow.clone(), IncidentChange::Commented { text: String::from("c") });
        assert_eq!(put(project(Some(narrowed.clone()), &current)).releasability, narrow);
        // Another organization never changes it.
        let foreign = event(OrgId::generate(), id, narrow, IncidentChange::Commented { text: String::from("c") });
        assert!(matches!(project(Some(narrowed), &foreign), Projection::Refused(_)));
    }

    #[test]
    fn status_moves_forward_and_closed_is_final() {
        use IncidentStatus::*;
        let all = [Reported, Acknowledged, Investigating, Resolved, Closed];
        for from in all {
            for to in all {
                let expected = (to > from && from != Closed) || (from == Resolved && to == Investigating);
                assert_eq!(from.may_move_to(to), expected, "{from:?} -> {to:?}");
            }
        }
    }
}

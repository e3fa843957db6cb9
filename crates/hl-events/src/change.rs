//! The changes an event can carry. Each names the record it concerns; projections apply them.
//!
//! Versioning rule: variants and fields are only ever added (new fields optional). A node that
//! meets a change type it does not know keeps the event and skips it in its projections.

use std::collections::BTreeSet;

use hl_types::{CommunityName, Nation, OrgId, OrgKind, RecordId, Releasability, Role, TokenId, UserId};
use serde::{Deserialize, Serialize};

/// How urgent an advisory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AdvisorySeverity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// One change to shared state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// An organization joins the node's directory.
    OrganizationRegistered {
        org: OrgId,
        name: String,
        kind: OrgKind,
        nation: Nation,
        communities: BTreeSet<CommunityName>,
    },
    /// An organization becomes a member of a community.
    CommunityJoined { org: OrgId, community: CommunityName },
    /// An organization leaves a community.
    CommunityLeft { org: OrgId, community: CommunityName },
    /// A user account is created in an organization.
    UserRegistered { user: UserId, org: OrgId, name: String, role: Role },
    /// An API token is issued. The secret and its hash are never part of the log.
    TokenIssued { token: TokenId, user: UserId, label: String },
    /// An API token is revoked.
    TokenRevoked { token: TokenId, user: UserId },
    /// A security advisory is shared.
    AdvisoryPublished { advisory: RecordId, title: String, body: String, severity: AdvisorySeverity },
    /// The owner revises an advisory: the fields present replace the old ones.
    AdvisoryRevised {
        advisory: RecordId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        severity: Option<AdvisorySeverity>,
        /// A new releasability, chosen by the owner.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        releasability: Option<Releasability>,
        /// The revision this one was made from: it applies only to that revision, so two
        /// concurrent revisions cannot silently overwrite each other (the later one is refused
        /// as a conflict). Absent in events from before it existed (applied unconditionally).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base_revision: Option<i64>,
    },
    /// A detector raised an alert about a vessel. Times are the data's own (Unix seconds).
    AlertRaised {
        alert: RecordId,
        /// The detection kind (`zone_entry`, `ais_gap`, ...).
        kind: String,
        /// `info`, `low`, `medium` or `high`.
        severity: String,
        mmsi: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mmsi_2: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        zone: Option<String>,
        start_s: i64,
        end_s: i64,
        lat: f64,
        lon: f64,
        detail: String,
        /// The NMEA sentences that triggered it, as received.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        evidence: Vec<String>,
        /// The watch-list entry of a watch-list hit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        watch_entry: Option<String>,
        /// The feed a feed-level alert is about.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        feed: Option<String>,
    },
    /// The same detection happened again within the cool-down: the alert is extended.
    AlertRepeated { alert: RecordId, end_s: i64, lat: f64, lon: f64, occurrences: u32, detail: String },
    /// An operator has seen the alert and is dealing with it.
    AlertAcknowledged {
        alert: RecordId,
        /// What is being done (absent in events from before notes existed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// An operator judged the alert not to need action.
    AlertDismissed { alert: RecordId, reason: String },
    /// An operator raised the alert further, into an incident (new, or one it is attached to)
    /// or to someone the note names.
    AlertEscalated {
        alert: RecordId,
        note: String,
        /// The incident it was escalated into (absent in events from before incidents).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        incident: Option<RecordId>,
    },
    /// A zone the detectors watch: one GeoJSON Feature with a Polygon or MultiPolygon.
    ZoneDefined { zone: RecordId, name: String, kind: String, feature: String },
    /// A zone is removed.
    ZoneDeleted { zone: RecordId },
    /// A vessel is put on the watch list.
    WatchlistEntryAdded {
        entry: RecordId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mmsi: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        imo: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        callsign: Option<String>,
        reason: String,
    },
    /// A vessel is taken off the watch list.
    WatchlistEntryRemoved { entry: RecordId },
    /// A change to a record of the shared record layer (`hl_node::records`: incidents, and the
    /// coordination records after them). `kind` names the record type (`incident`); `change`
    /// is that type's own change, defined and projected beside it, so a new record type adds
    /// no variant here.
    Record { kind: String, record: RecordId, change: serde_json::Value },
}

impl Change {
    /// The record this change concerns: its type and id.
    pub fn record(&self) -> (String, String) {
        let (kind, id): (&str, String) = match self {
            Change::OrganizationRegistered { org, .. }
            | Change::CommunityJoined { org, .. }
            | Change::CommunityLeft { org, .. } => ("organization", org.to_string()),
            Change::UserRegistered { user, .. } => ("user", user.to_string()),
            Change::TokenIssued { token, .. } | Change::TokenRevoked { token, .. } => ("token", token.to_string()),
            Change::AdvisoryPublished { advisory, .. } | Change::AdvisoryRevised { advisory, .. } => {
                ("advisory", advisory.to_string())
            }
            Change::AlertRaised { alert, .. }
            | Change::AlertRepeated { alert, .. }
            | Change::AlertAcknowledged { alert, .. }
            | Change::AlertDismissed { alert, .. }
            | Change::AlertEscalated { alert, .. } => ("alert", alert.to_string()),
            Change::ZoneDefined { zone, .. } | Change::ZoneDeleted { zone } => ("zone", zone.to_string()),
            Change::WatchlistEntryAdded { entry, .. } | Change::WatchlistEntryRemoved { entry } => {
                ("watchlist_entry", entry.to_string())
            }
            Change::Record { kind, record, .. } => (kind.as_str(), record.to_string()),
        };
        (kind.to_owned(), id)
    }
}

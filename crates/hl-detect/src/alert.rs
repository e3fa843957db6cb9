//! What detectors report.

use std::fmt;

/// The kinds of detection, as named in `harborlink analyze` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    ZoneEntry,
    ZoneExit,
    ZoneDwell,
    AisGap,
    Loitering,
    Encounter,
    PositionJump,
    PositionOnLand,
    DuplicateMmsi,
    InvalidMmsi,
    IdentityChange,
    /// Static data that cannot be true (IMO check digit, impossible length, faster than the
    /// declared type goes): a data-quality finding, not a change of identity.
    StaticDataInvalid,
    Drift,
    WatchlistHit,
    /// A feed (receiver) went quiet: one alert for the feed, not a gap per vessel it heard.
    FeedSilent,
}

impl AlertKind {
    /// Every kind, in the order of the list above.
    pub const ALL: [AlertKind; 15] = [
        AlertKind::ZoneEntry,
        AlertKind::ZoneExit,
        AlertKind::ZoneDwell,
        AlertKind::AisGap,
        AlertKind::Loitering,
        AlertKind::Encounter,
        AlertKind::PositionJump,
        AlertKind::PositionOnLand,
        AlertKind::DuplicateMmsi,
        AlertKind::InvalidMmsi,
        AlertKind::IdentityChange,
        AlertKind::StaticDataInvalid,
        AlertKind::Drift,
        AlertKind::WatchlistHit,
        AlertKind::FeedSilent,
    ];

    /// The kind named `name` (as [`AlertKind::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::ZoneEntry => "zone_entry",
            AlertKind::ZoneExit => "zone_exit",
            AlertKind::ZoneDwell => "zone_dwell",
            AlertKind::AisGap => "ais_gap",
            AlertKind::Loitering => "loitering",
            AlertKind::Encounter => "encounter",
            AlertKind::PositionJump => "position_jump",
            AlertKind::PositionOnLand => "position_on_land",
            AlertKind::DuplicateMmsi => "duplicate_mmsi",
            AlertKind::InvalidMmsi => "invalid_mmsi",
            AlertKind::IdentityChange => "identity_change",
            AlertKind::StaticDataInvalid => "static_data_invalid",
            AlertKind::Drift => "drift",
            AlertKind::WatchlistHit => "watchlist_hit",
            AlertKind::FeedSilent => "feed_silent",
        }
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How urgently an operator should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Info, Severity::Low, Severity::Medium, Severity::High];

    /// The severity named `name` (as [`Severity::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// One step up (capped), for detections near ports and zones.
    pub fn raised(self) -> Self {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            _ => Severity::High,
        }
    }
}

/// One detection: an episode with a start and an end (equal for instantaneous ones).
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub kind: AlertKind,
    pub mmsi: u32,
    /// The other vessel of an encounter.
    pub mmsi_2: Option<u32>,
    /// Unix seconds.
    pub start: i64,
    pub end: i64,
    pub lat: f64,
    pub lon: f64,
    pub severity: Severity,
    /// A sentence with the figures that triggered it.
    pub detail: String,
    /// The zone concerned, for zone alerts.
    pub zone: Option<String>,
    /// The watch-list entry matched, for watch-list hits (when entries have ids).
    pub watch_entry: Option<String>,
    /// The feed concerned, for feed alerts (`feed_silent`, whose `mmsi` is 0).
    pub feed: Option<String>,
}

//! Layered settings: built-in defaults, then the data directory's `harborlink.toml`, then
//! `HARBORLINK_*` environment variables, then command-line flags (each overriding the one before).

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The default address: loopback only, so a fresh node is never exposed by accident.
pub const LISTEN_DEFAULT: &str = "127.0.0.1:8080";

/// The whole configuration. Unknown keys are refused, here as in every section: a misspelt key
/// silently ignored is a setting the operator believes in and does not have.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// This node's id among partners.
    pub node_id: String,
    /// Address the API listens on.
    pub listen: SocketAddr,
    /// Database URL; absent means the SQLite file in the data directory.
    pub database: Option<String>,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Longest a request may take.
    pub request_timeout_secs: u64,
    /// Largest accepted attachment (evidence on incidents).
    pub attachment_limit_bytes: usize,
    /// Connections the API port keeps open at once; more are answered 503 and closed.
    pub connections_max: usize,
    /// Time a client has to send a request's header.
    pub header_read_timeout_secs: u64,
    /// Time a connection may send and receive nothing before it is closed.
    pub idle_timeout_secs: u64,
    /// The live maritime picture.
    pub live: LiveSettings,
    /// Detector thresholds (`[detect]`; see the template for each default and its source).
    pub detect: hl_detect::DetectorConfig,
}

/// The `[live]` section: feeds and the picture's limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// AIS feeds (`[[live.feeds]]`, each with `name`, `kind` and the kind's fields).
    pub feeds: Vec<hl_live::FeedConfig>,
    /// Organization owning alerts not tied to a zone or watch-list entry (default: the first
    /// registered).
    pub organization: Option<String>,
    /// Releasability of those alerts.
    pub releasability: hl_types::Releasability,
    pub cooldown_secs: i64,
    pub sweep_secs: u64,
    pub snapshot_secs: u64,
    pub vessel_throttle_ms: u64,
    pub history_interval_secs: i64,
    pub history_retention_secs: i64,
    pub history_points_max: usize,
    pub land: bool,
}

impl Default for LiveSettings {
    fn default() -> Self {
        let defaults = hl_live::LiveConfig::default();
        Self {
            feeds: Vec::new(),
            organization: None,
            releasability: defaults.releasability,
            cooldown_secs: defaults.cooldown_s,
            sweep_secs: defaults.sweep_interval.as_secs(),
            snapshot_secs: defaults.snapshot_interval.as_secs(),
            vessel_throttle_ms: defaults.vessel_throttle.as_millis() as u64,
            history_interval_secs: defaults.track.history_interval_s,
            history_retention_secs: defaults.track.history_retention_s,
            history_points_max: defaults.track.history_points_max,
            land: defaults.land,
        }
    }
}

impl LiveSettings {
    /// The live picture's configuration, refusing values that make no sense.
    pub fn config(&self) -> anyhow::Result<hl_live::LiveConfig> {
        use std::time::Duration;
        anyhow::ensure!(self.cooldown_secs >= 0, "live.cooldown_secs must not be negative");
        anyhow::ensure!(
            self.sweep_secs > 0 && self.snapshot_secs > 0,
            "live.sweep_secs and live.snapshot_secs must be positive"
        );
        anyhow::ensure!(
            self.history_points_max > 0 && self.history_interval_secs >= 0,
            "live history bounds must be positive"
        );
        Ok(hl_live::LiveConfig {
            feeds: self.feeds.clone(),
            organization: self.organization.clone(),
            releasability: self.releasability.clone(),
            cooldown_s: self.cooldown_secs,
            sweep_interval: Duration::from_secs(self.sweep_secs),
            snapshot_interval: Duration::from_secs(self.snapshot_secs),
            vessel_throttle: Duration::from_millis(self.vessel_throttle_ms),
            track: hl_track::TrackConfig {
                history_interval_s: self.history_interval_secs,
                history_retention_s: self.history_retention_secs,
                history_points_max: self.history_points_max,
                ..hl_track::TrackConfig::default()
            },
            land: self.land,
            ..hl_live::LiveConfig::default()
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            node_id: String::new(),
            listen: LISTEN_DEFAULT.parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080))),
            database: None,
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            attachment_limit_bytes: hl_api::ATTACHMENT_LIMIT_DEFAULT,
            connections_max: hl_api::server::CONNECTIONS_MAX_DEFAULT,
            header_read_timeout_secs: hl_api::server::HEADER_READ_TIMEOUT_DEFAULT.as_secs(),
            idle_timeout_secs: hl_api::server::IDLE_TIMEOUT_DEFAULT.as_secs(),
            live: LiveSettings::default(),
            detect: hl_detect::DetectorConfig::default(),
        }
    }
}

/// Flag values that override the rest when given.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

const ENV_KEYS: &[&str] = &[
    "node_id",
    "listen",
    "database",
    "body_limit_bytes",
    "request_timeout_secs",
    "attachment_limit_bytes",
    "connections_max",
    "header_read_timeout_secs",
    "idle_timeout_secs",
];

/// Reads the layers in order of precedence.
pub fn load(config_file: &Path, overrides: &Overrides) -> anyhow::Result<Settings> {
    let figment = Figment::new()
        .merge(Serialized::defaults(Settings::default()))
        .merge(Toml::file_exact(config_file))
        .merge(Env::prefixed("HARBORLINK_").only(ENV_KEYS))
        .merge(Serialized::defaults(overrides));
    let settings: Settings =
        figment.extract().with_context(|| format!("invalid configuration (file {})", config_file.display()))?;
    check_feed_keys(&figment).with_context(|| format!("invalid configuration (file {})", config_file.display()))?;
    anyhow::ensure!(!settings.node_id.is_empty(), "`node_id` is not set in {}", config_file.display());
    Ok(settings)
}

/// Refuses unknown keys in `[[live.feeds]]` entries, which serde cannot (a feed's fields depend on
/// its kind): a misspelt `time` would silently leave the default time source.
fn check_feed_keys(figment: &Figment) -> anyhow::Result<()> {
    let Ok(feeds) = figment.find_value("live.feeds") else { return Ok(()) };
    for (index, feed) in feeds.as_array().into_iter().flatten().enumerate() {
        let Some(fields) = feed.as_dict() else { continue };
        let kind = fields.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
        let own: &[&str] = match kind {
            "tcp_client" => &["address"],
            "tcp_listener" => &["listen", "idle_timeout_secs"],
            "udp" => &["listen"],
            "file" => &["path", "pace"],
            _ => &[],
        };
        for key in fields.keys() {
            if !["name", "kind", "time"].contains(&key.as_str()) && !own.contains(&key.as_str()) {
                anyhow::bail!(
                    "unknown key `{key}` in live.feeds[{index}] (a {kind} feed takes name, kind, time{}{})",
                    if own.is_empty() { "" } else { ", " },
                    own.join(", ")
                );
            }
        }
    }
    Ok(())
}

/// The commented configuration file `init` writes.
pub fn template(node_id: &str, database: Option<&str>) -> String {
    let database = match database {
        Some(url) => format!("database = \"{}\"", url.replace('\\', "\\\\").replace('"', "\\\"")),
        None => String::from("# database = \"postgres://harborlink@127.0.0.1/harborlink\""),
    };
    format!(
        r#"# HarborLink node configuration.
# Precedence: this file, then HARBORLINK_* environment variables (e.g. HARBORLINK_LISTEN),
# then command-line flags.

# This node's id among federating partners. It is part of every event this node signs:
# do not change it once the node has written events.
node_id = "{node_id}"

# Address the API listens on. Loopback by default; put a TLS-terminating proxy in front
# before exposing it.
listen = "{LISTEN_DEFAULT}"

# Database URL. Without it, the node uses the SQLite file harborlink.db in this directory.
{database}

# Largest accepted request body, in bytes.
body_limit_bytes = 1048576

# Longest a request may take before it is answered 408, in seconds.
request_timeout_secs = 30

# Largest accepted attachment (evidence on incidents), in bytes: 25 MiB.
attachment_limit_bytes = 26214400

# Connections the API port keeps open at once; beyond it a connection is answered 503 and
# closed. A client has header_read_timeout_secs to send a request's header, and a connection
# that sends and receives nothing for idle_timeout_secs is closed (event streams send a
# keep-alive every 15 s).
connections_max = 1024
header_read_timeout_secs = 10
idle_timeout_secs = 60

# The live maritime picture.
[live]
# Organization owning alerts not tied to a zone or watch-list entry (default: the first
# registered on this node), and who may see them.
# organization = "MPA Singapore"
# releasability = {{ tlp = "AMBER", scope = {{ kind = "organization" }} }}
# Repeats of a detection within this many seconds of its last occurrence merge into one alert.
cooldown_secs = 3600
# How often vessels gone silent are checked, and the picture saved, in seconds.
sweep_secs = 10
snapshot_secs = 30
# Least time between two live-stream updates of one vessel, in milliseconds.
vessel_throttle_ms = 2000
# Track history: one point a minute at most (more in turns), a day, at most 1,440 points.
history_interval_secs = 60
history_retention_secs = 86400
history_points_max = 1440
# Position-on-land detection with the bundled Natural Earth coastline.
land = true

# AIS feeds. Kinds: tcp_client (address), tcp_listener (listen, idle_timeout_secs), udp
# (listen), file (path, pace = "fast" or {{ recorded = {{ speed = 1.0 }} }}; a file is replayed
# once, and after a restart from where it was). POST /api/v1/ais/sentences is always
# available as the feed `http`.
# Each feed's `time` says where message times come from:
#   "tag"       the NMEA 4.10 tag-block time (else base stations' UTC), however old: for
#               recordings, replayed or pushed over a socket; the feed runs on their clock.
#   "reception" the time the line arrived, whatever the tag block says.
#   "auto"      the tag-block time when it is within 5 minutes ahead and a day behind the
#               reception, else the reception: live receivers. Default except for files ("tag").
# [[live.feeds]]
# name = "receiver-east"
# kind = "tcp_client"
# address = "127.0.0.1:5631"
# time = "auto"

# Detector thresholds: every key is optional; the defaults are the published definitions.
[detect]
# Position jump: an implied speed above this is impossible (AMSA drops fixes implying more than
# 50 kn); jumps shorter than jump_distance_min_m are GNSS noise.
# jump_speed_kn = 50.0
# jump_distance_min_m = 1000.0
# AIS gap ("going dark", GFW): silent for gap_intervals expected reporting intervals (ITU-R
# M.1371-5 Table 1) and at least gap_seconds_min, after gap_reports_before_min reports in the
# hour before (it was transmitting within coverage).
# gap_intervals = 60.0
# gap_seconds_min = 900
# gap_reports_before_min = 5
# Drift (AMSA): speed within [low, high] knots, course and heading at least drift_angle_deg
# apart, for drift_seconds_min.
# drift_speed_kn = [0.25, 20.0]
# drift_angle_deg = 45.0
# drift_seconds_min = 300
# Identity change (Spire): a new name, call sign or IMO seen identity_repeats_min times and making
# up identity_share_min of the updates since it first appeared.
# identity_repeats_min = 3
# identity_share_min = 0.9
# Loitering (GFW): slower than loiter_speed_kn for loiter_seconds_min outside anchorages and berths.
# loiter_speed_kn = 2.0
# loiter_seconds_min = 7200
# Encounter (GFW): two vessels within encounter_distance_m, both slower than encounter_speed_kn,
# for encounter_seconds_min; the same pair again within encounter_merge_seconds is one encounter.
# encounter_distance_m = 500.0
# encounter_speed_kn = 2.0
# encounter_seconds_min = 7200
# encounter_merge_seconds = 14400
# Position on land: on Natural Earth 1:10m land and further than this from any coast, lake, river
# or port (ships at quays, in docks and on rivers are not on land).
# land_clearance_m = 5000.0
# Static data invalid: faster than the declared type's ceiling for inconsistent_reports_min
# reports spanning inconsistent_seconds_min.
# inconsistent_reports_min = 3
# inconsistent_seconds_min = 300
# Duplicate MMSI: duplicate_jumps_min impossible jumps within duplicate_window_seconds.
# duplicate_jumps_min = 3
# duplicate_window_seconds = 600
# Feed silent: a feed that delivered feed_active_messages_min messages, then nothing for
# feed_silent_seconds (the gaps of the vessels it heard are then not reported).
# feed_silent_seconds = 300
# feed_active_messages_min = 20
"#
    )
}

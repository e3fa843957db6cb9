//! Command-line interface. Every command has `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// HarborLink: a node of the port-security cooperation network.
#[derive(Parser, Debug)]
#[command(name = "harborlink", version, about, propagate_version = true)]
pub struct Cli {
    /// Log output: human-readable text or JSON lines (for machines).
    #[arg(long, global = true, value_enum, default_value = "text", env = "HARBORLINK_LOG_FORMAT")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a data directory: node key pair, commented configuration, database.
    Init(InitArgs),
    /// Run the node (initializing a missing or empty data directory first).
    Serve(ServeArgs),
    /// Re-check every chain link and signature of the event log.
    Verify(NodeArgs),
    /// Drop and rebuild every projection from the event log.
    Rebuild(NodeArgs),
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Read incidents (the operator reads every incident on the node).
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// AIS tools.
    #[command(subcommand)]
    Ais(AisCommand),
    /// Run the behaviour detectors over a recorded NMEA file; alerts as JSON lines on stdout.
    Analyze(AnalyzeArgs),
    /// Write reproducible AIS traffic with injected anomalies and their ground truth.
    Simulate(SimulateArgs),
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Number of vessels (an eighth of them carry an injected anomaly; encounter partners,
    /// intruders and vessels at anchor come in addition).
    #[arg(long, default_value_t = 100)]
    pub vessels: usize,
    /// Simulated time span: e.g. 6h, 90m, 3600s, 1d.
    #[arg(long, default_value = "6h")]
    pub duration: String,
    /// Seed: the same seed gives the same traffic.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output NMEA file (with NMEA 4.10 tag-block times).
    #[arg(long)]
    pub out: PathBuf,
    /// Ground truth as JSON lines (kind, mmsi, mmsi_2, start, end).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Region; only `straits` (Singapore and Malacca Straits) exists.
    #[arg(long, default_value = "straits")]
    pub region: String,
    /// Also write the region's zones (GeoJSON) for `analyze --zones`.
    #[arg(long)]
    pub zones_out: Option<PathBuf>,
    /// Also write the watch list of the injected vessels (CSV) for `analyze --watchlist`.
    #[arg(long)]
    pub watchlist_out: Option<PathBuf>,
    /// Unix time of the first report (default 2026-01-05T00:00:00Z).
    #[arg(long, default_value_t = 1_767_571_200)]
    pub start: i64,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// NMEA file. Times come from NMEA 4.10 tag blocks (`c:`), else base stations' UTC
    /// reports, else a logger's timestamp before each sentence (Unix or ISO 8601), else
    /// `--start`; data with none is analysed with the detectors that need no time.
    pub input: PathBuf,
    /// Zones as GeoJSON polygons (properties: id, name, kind, ship_types, min_length_m,
    /// max_length_m, dwell_minutes).
    #[arg(long)]
    pub zones: Option<PathBuf>,
    /// Watch list CSV with header `mmsi,imo,name,callsign,reason`.
    #[arg(long)]
    pub watchlist: Option<PathBuf>,
    /// A TOML file whose `[detect]` section sets detector thresholds (a node's harborlink.toml
    /// will do; its other sections are ignored).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// For plain NMEA without tag blocks or logger timestamps: the time of the first line
    /// (RFC 3339), the others following at `--rate` lines per second.
    #[arg(long)]
    pub start: Option<String>,
    /// Lines per second after `--start`.
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
}

#[derive(Subcommand, Debug)]
pub enum AisCommand {
    /// Decode NMEA 0183 AIVDM/AIVDO to gpsd-compatible JSON lines (a drop-in for `gpsdecode -j`).
    Decode(AisDecodeArgs),
}

#[derive(Args, Debug)]
pub struct AisDecodeArgs {
    /// NMEA file to read; `-` or nothing for standard input.
    pub input: Option<PathBuf>,
    /// Write every line that yielded no message, with its line number and reason, as JSON lines.
    #[arg(long)]
    pub errors: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The data directory to create (must be missing or empty).
    #[arg(long, env = "HARBORLINK_DATA_DIR")]
    pub data_dir: PathBuf,
    /// This node's id among partners (lowercase letters, digits, '-', '_', '.'); derived from
    /// the public key if absent.
    #[arg(long)]
    pub node_id: Option<String>,
    /// Database URL to record in the configuration (postgres://...); without it the node uses
    /// the SQLite file in the data directory.
    #[arg(long)]
    pub database: Option<String>,
    /// The node's first organization (its host), registered at once; with `--admin`, its first
    /// administrator, whose API token is printed once.
    #[arg(long, requires_all = ["kind", "nation", "admin"])]
    pub org: Option<String>,
    /// The first organization's kind: port_facility, port_authority, coast_guard, police,
    /// customs, navy or regional_coordination_centre.
    #[arg(long, requires = "org")]
    pub kind: Option<String>,
    /// The first organization's nation (ISO 3166-1 alpha-2, e.g. SG).
    #[arg(long, requires = "org")]
    pub nation: Option<String>,
    /// The first administrator's name.
    #[arg(long, requires = "org")]
    pub admin: Option<String>,
}

/// Options every command that opens a node takes.
#[derive(Args, Debug, Clone)]
pub struct NodeArgs {
    /// The node's data directory.
    #[arg(long, env = "HARBORLINK_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Database URL, overriding the configuration: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long)]
    pub database: Option<String>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub node: NodeArgs,
    /// Address to listen on (default 127.0.0.1:8080); port 0 picks a free port.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
}

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Register an organization hosted on (or known to) this node.
    Add {
        #[command(flatten)]
        node: NodeArgs,
        /// Display name, unique on the node.
        #[arg(long)]
        name: String,
        /// port_facility, port_authority, coast_guard, police, customs, navy or regional_coordination_centre.
        #[arg(long)]
        kind: String,
        /// ISO 3166-1 alpha-2 code, e.g. SG.
        #[arg(long)]
        nation: String,
        /// A community to join (repeatable).
        #[arg(long = "community")]
        communities: Vec<String>,
    },
    /// List organizations as JSON lines.
    List {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Make an organization a member of a community.
    Join {
        #[command(flatten)]
        node: NodeArgs,
        /// Organization name or id.
        #[arg(long)]
        org: String,
        #[arg(long)]
        community: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum IncidentCommand {
    /// List incidents, newest first, as JSON lines (the API's shape).
    List {
        #[command(flatten)]
        node: NodeArgs,
        /// Only these categories (comma-separated: stowaway,smuggling,...).
        #[arg(long)]
        category: Option<String>,
        /// Only these statuses (comma-separated: reported,investigating,...).
        #[arg(long)]
        status: Option<String>,
        /// Only this severity or higher: low, medium, high or critical.
        #[arg(long)]
        severity: Option<String>,
        /// Only incidents that happened at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Only incidents naming this vessel.
        #[arg(long)]
        mmsi: Option<u32>,
        /// At most this many (default: all).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// One incident with its timeline, as JSON.
    Show {
        #[command(flatten)]
        node: NodeArgs,
        /// The incident's id.
        id: String,
    },
    /// One incident as evidence: the incident, its timeline and its sealed events with the
    /// node's public key, so anyone can check every hash and signature.
    Export {
        #[command(flatten)]
        node: NodeArgs,
        /// The incident's id.
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user and print their first API token (shown only this once).
    Add {
        #[command(flatten)]
        node: NodeArgs,
        /// Organization name or id.
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// viewer, operator, security_officer or administrator.
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// List a user's tokens (never their secrets), as JSON lines.
    List {
        #[command(flatten)]
        node: NodeArgs,
        /// The user's id.
        #[arg(long)]
        user: String,
    },
    /// Revoke a token by its id.
    Revoke {
        #[command(flatten)]
        node: NodeArgs,
        /// The token's id (not its secret).
        token_id: String,
    },
    /// Bind the stored hashes of tokens issued before token bindings existed (once, after
    /// upgrading; the node refuses unbound tokens). Trusts the table as it is now: run it only
    /// on a database you know is untouched.
    BindLegacy {
        #[command(flatten)]
        node: NodeArgs,
    },
}

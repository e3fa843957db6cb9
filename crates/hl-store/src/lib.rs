//! The storage interface ([`Store`]) and its two implementations, chosen by the database URL:
//! SQLite (embedded default; WAL mode, `synchronous=FULL`) and PostgreSQL.
//!
//! Both implementations share one body of SQL (see `sql.rs`), so they cannot drift apart; only
//! connection set-up, migrations and the chain-head lock differ.
//!
//! # Invariants
//! - [`Store::append`] seals events under an exclusive lock on the origin's chain head, inside the
//!   same transaction that stores them and updates the projections, and returns only after that
//!   transaction has committed. Two processes appending to one database therefore never fork the
//!   chain, and an acknowledged event is durable.
//! - Projections are a pure function of the log: [`Store::rebuild_projections`] recreates them.
//! - Token secrets are stored only as hashes, in a local table that is never part of the log.

mod postgres;
mod sql;
mod sqlite;

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use hl_events::{AdvisorySeverity, Event, NodeKey, PublicKey, UnsignedEvent};
use hl_types::{
    CommunityName, EventId, Nation, NodeId, OrgId, OrgKind, RecordId, Releasability, Role, TokenId, UserId,
};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed; details are for the log, not for API callers.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A uniqueness rule was violated (a name already taken, an id reused).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored row could not be read back as what it should be.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// An existing database without HarborLink's schema history: not a node's database, and
    /// left as it was.
    #[error("the database holds no HarborLink node (no HarborLink schema); it was left unchanged")]
    NotHarborLink,
    /// The URL names no supported database.
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
}

impl StoreError {
    fn from_write(err: sqlx::Error) -> Self {
        match err.as_database_error() {
            Some(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_owned()),
            _ => StoreError::Database(err),
        }
    }
}

/// Local state written in the same transaction as the events of a request, but never part of
/// the shared log.
#[derive(Debug, Clone)]
pub enum LocalWrite {
    /// The SHA-256 of a token's secret, so the token can authenticate, bound to the token by a
    /// MAC under a key only the node holds (see `hl_node`'s token binding).
    TokenSecret { token: TokenId, secret_hash: String, binding: String },
    /// A vessel's track as JSON (local persistence of the live picture, never in the log),
    /// replacing what was stored for the vessel. Written through the node's single writer so
    /// that saving the picture never contends with appends for the database's write lock.
    VesselTrack { mmsi: u32, track: String, saved_at_us: i64 },
    /// How far a file feed has been replayed (see migration 0006), replacing what was stored.
    FeedPosition { feed: String, identity: String, byte_offset: u64, saved_at_us: i64 },
    /// One read of a record, for its read audit (see migration 0010).
    RecordRead(RecordRead),
    /// An attachment's content under its SHA-256 (hex), kept if already stored.
    Attachment { sha256: String, media_type: String, content: Arc<[u8]>, stored_at_us: i64 },
}

/// One read of a record: who (the node's operator has no organization), when, and what
/// (`detail`, `timeline`, `export`, `attachment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRead {
    pub id: RecordId,
    pub record: RecordId,
    pub reader_org: Option<OrgId>,
    pub reader_user: Option<UserId>,
    pub at_us: i64,
    pub what: String,
}

/// Events (and local writes) that must be committed together or not at all.
#[derive(Debug, Clone, Default)]
pub struct AppendRequest {
    pub events: Vec<UnsignedEvent>,
    pub local: Vec<LocalWrite>,
}

/// A stored event row that does not decode: reported by `verify` as a broken link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event row {pos} (id {id}): {reason}")]
pub struct CorruptEvent {
    pub pos: i64,
    pub id: String,
    pub reason: String,
}

/// An organization in the node's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    pub nation: Nation,
    pub communities: BTreeSet<CommunityName>,
    pub registered_at_us: i64,
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub org: OrgId,
    pub name: String,
    pub role: Role,
    pub created_at_us: i64,
}

/// An API token's public facts (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: TokenId,
    pub user: UserId,
    pub label: String,
    pub created_at_us: i64,
    pub revoked_at_us: Option<i64>,
}

/// A shared security advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    pub id: RecordId,
    pub owner_org: OrgId,
    pub title: String,
    pub body: String,
    pub severity: AdvisorySeverity,
    pub releasability: Releasability,
    pub published_at_us: i64,
    pub revised_at_us: i64,
    pub revision: i64,
}

/// Where an alert is in its handling.
pub const ALERT_STATUSES: [&str; 4] = ["new", "acknowledged", "dismissed", "escalated"];

/// Whether an alert's status may move from `from` to `to`: only forward (new, then
/// acknowledged, then dismissed or escalated, which are final). Decided here because the
/// projection applies it too: the log may hold a change that lost a race, and a replay must
/// ignore it the same way.
pub fn alert_status_moves(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("new", "acknowledged" | "dismissed" | "escalated") | ("acknowledged", "dismissed" | "escalated")
    )
}

/// One accepted change of an alert's status.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlertHandling {
    pub status: String,
    /// The user who made it.
    pub by: Option<UserId>,
    pub at_us: i64,
    /// The dismissal reason or escalation note.
    pub reason: Option<String>,
    /// The incident an escalation went into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<RecordId>,
}

/// An alert raised by the live picture.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub id: RecordId,
    pub owner_org: OrgId,
    pub kind: String,
    pub severity: String,
    /// One of [`ALERT_STATUSES`].
    pub status: String,
    /// The dismissal reason or escalation note.
    pub status_reason: Option<String>,
    /// Every accepted status change, oldest first.
    pub handling: Vec<AlertHandling>,
    pub mmsi: u32,
    pub mmsi_2: Option<u32>,
    pub zone: Option<String>,
    /// The watch-list entry of a watch-list hit.
    pub watch_entry: Option<String>,
    /// The feed of a feed-level alert (`feed_silent`).
    pub feed: Option<String>,
    pub start_s: i64,
    pub end_s: i64,
    pub lat: f64,
    pub lon: f64,
    pub detail: String,
    pub evidence: Vec<String>,
    pub occurrences: u32,
    pub releasability: Releasability,
    pub raised_at_us: i64,
    pub updated_at_us: i64,
}

/// Which alerts a listing wants; absent fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub mmsi: Option<u32>,
    /// Alerts whose episode ended at or after this time (Unix seconds).
    pub since_s: Option<i64>,
    pub severity: Option<String>,
    /// The zone's id (zone alerts).
    pub zone: Option<String>,
    /// Where the alert happened: (south, west, north, east) in degrees; west > east crosses
    /// the antimeridian.
    pub area: Option<(f64, f64, f64, f64)>,
}

/// A zone the detectors watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRecord {
    pub id: RecordId,
    pub owner_org: OrgId,
    pub name: String,
    pub kind: String,
    /// The GeoJSON Feature, as given.
    pub feature: String,
    pub releasability: Releasability,
    pub defined_at_us: i64,
}

/// A watch-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchlistRecord {
    pub id: RecordId,
    pub owner_org: OrgId,
    pub mmsi: Option<u32>,
    pub imo: Option<u32>,
    pub name: Option<String>,
    pub callsign: Option<String>,
    pub reason: String,
    pub releasability: Releasability,
    pub added_at_us: i64,
}

/// The record listings the visibility index serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordList {
    Advisories,
    Alerts,
    Zones,
    Watchlist,
}

impl RecordList {
    /// The list's name in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordList::Advisories => "advisory",
            RecordList::Alerts => "alert",
            RecordList::Zones => "zone",
            RecordList::Watchlist => "watchlist_entry",
        }
    }
}

/// A record of the shared record layer as stored: the columns every record type has, the
/// facets its listings filter on, and the type's own state as JSON (`doc`). The store keeps
/// these without knowing any record type: `hl_node::records` defines them and projects their
/// changes through a [`RecordProjector`].
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// The record type (`incident`); also its list in the visibility index.
    pub kind: String,
    pub id: RecordId,
    pub owner_org: OrgId,
    pub releasability: Releasability,
    /// 1 at creation, +1 with every change.
    pub revision: i64,
    pub created_at_us: i64,
    pub updated_at_us: i64,
    pub facets: RecordFacets,
    /// The record type's own state, JSON text.
    pub doc: String,
}

/// What listings of records filter on, the same for every record type (absent when a type has
/// no such notion).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordFacets {
    /// The category (incidents), the kind (alerts, zones).
    pub class: Option<String>,
    /// A severity as a rank, so "at least" is a comparison.
    pub severity: Option<i64>,
    pub status: Option<String>,
    /// When it happened, Unix seconds.
    pub at_s: Option<i64>,
    /// Where it happened, degrees.
    pub position: Option<(f64, f64)>,
    /// The vessels it names (MMSI): written for the MMSI filter; empty on records read back
    /// (the type's own state holds its vessels).
    pub vessels: Vec<u32>,
}

/// Which records a listing wants; absent fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordFilter {
    pub classes: Vec<String>,
    pub severity_min: Option<i64>,
    pub statuses: Vec<String>,
    /// Happened at or after (Unix seconds).
    pub since_s: Option<i64>,
    /// Happened at or before (Unix seconds).
    pub until_s: Option<i64>,
    /// (south, west, north, east) in degrees; west > east crosses the antimeridian.
    pub area: Option<(f64, f64, f64, f64)>,
    pub mmsi: Option<u32>,
}

/// What one event does to a record of the shared record layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    /// Nothing (a change that lost a race, or one this build cannot apply): replays ignore it
    /// the same way.
    Unchanged,
    /// The record as it now is.
    Put(Box<StoredRecord>),
    /// The record is gone.
    Delete,
    /// The change does not apply to the record as it now is (a stale base revision, a status
    /// move that does not exist): the append fails as a conflict, so such an event never
    /// reaches the log.
    Refused(String),
}

/// The domain side of the shared record layer, handed to the store at [`open`]: a pure
/// function from a record's stored state and one [`hl_events::Change::Record`] to its next
/// state. The store calls it inside the append transaction and on every rebuild, so records
/// stay a function of the log.
pub trait RecordProjector: Send + Sync + 'static {
    /// Applies `change` (of record type `kind`, carried by `event`) to `current`.
    fn project(
        &self,
        kind: &str,
        current: Option<StoredRecord>,
        event: &Event,
        change: &serde_json::Value,
    ) -> Projection;
}

/// The one storage interface.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which database this is.
    fn backend(&self) -> Backend;
    /// Round-trips a trivial query (readiness).
    async fn ping(&self) -> Result<(), StoreError>;
    /// Closes the pool, waiting for connections to finish.
    async fn close(&self);

    /// Records a node's public key; `local` marks this node's own identity.
    async fn register_node(&self, node: &NodeId, key: &PublicKey, local: bool) -> Result<(), StoreError>;
    /// The local node's id and key as recorded at initialization.
    async fn local_node(&self) -> Result<Option<(NodeId, PublicKey)>, StoreError>;
    /// Every known node's public key.
    async fn node_keys(&self) -> Result<Vec<(NodeId, PublicKey)>, StoreError>;

    /// Seals and stores each request's events after `origin`'s chain head, atomically per call,
    /// and applies them to the projections. Returns the sealed events per request once committed.
    async fn append(
        &self,
        origin: &NodeId,
        key: &NodeKey,
        requests: &[AppendRequest],
    ) -> Result<Vec<Vec<Event>>, StoreError>;
    /// Each origin's recorded chain head (last sequence number).
    async fn chain_heads(&self) -> Result<Vec<(NodeId, u64)>, StoreError>;
    /// One event by id.
    async fn event(&self, id: EventId) -> Result<Option<Event>, StoreError>;
    /// Events in log order after position `after_pos` (0 for the start), with their positions.
    async fn events_after(
        &self,
        after_pos: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Result<Event, CorruptEvent>)>, StoreError>;
    /// Drops and replays every projection from the log; returns the number of events replayed.
    async fn rebuild_projections(&self) -> Result<u64, StoreError>;

    async fn organizations(&self) -> Result<Vec<Organization>, StoreError>;
    /// Every organization's nation, in one query (what the policy needs of an owner).
    async fn nations(&self) -> Result<Vec<(OrgId, Nation)>, StoreError>;
    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError>;
    async fn organization_by_name(&self, name: &str) -> Result<Option<Organization>, StoreError>;
    async fn users_of(&self, org: OrgId) -> Result<Vec<User>, StoreError>;
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    async fn token(&self, id: TokenId) -> Result<Option<TokenRecord>, StoreError>;
    /// A user's tokens, oldest first (never their secrets).
    async fn tokens_of(&self, user: UserId) -> Result<Vec<TokenRecord>, StoreError>;
    /// The live or revoked token whose secret hashes to `secret_hash`, with the stored binding
    /// of that hash (`None` for a row from before bindings).
    async fn token_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<(TokenRecord, Option<String>)>, StoreError>;
    /// Every stored token secret: token id, hash, binding.
    async fn token_secrets(&self) -> Result<Vec<(String, String, Option<String>)>, StoreError>;
    /// Stores the binding of a token's secret hash (rows from before bindings).
    async fn bind_token_secret(&self, token: &str, binding: &str) -> Result<(), StoreError>;
    async fn advisory(&self, id: RecordId) -> Result<Option<Advisory>, StoreError>;

    /// The advisories released to any of `audiences` (keys of [`hl_policy::Audience`]), in id
    /// order after `after`. Like every `*_visible` listing, its cost depends on the rows released
    /// to those audiences, never on the others.
    async fn advisories_visible(
        &self,
        audiences: &[String],
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<Advisory>, StoreError>;
    /// The alerts released to any of `audiences` and matching `filter`, in id order.
    async fn alerts_visible(
        &self,
        audiences: &[String],
        filter: &AlertFilter,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<AlertRecord>, StoreError>;
    /// The zones released to any of `audiences`, in id order.
    async fn zones_visible(
        &self,
        audiences: &[String],
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<ZoneRecord>, StoreError>;
    /// The watch-list entries released to any of `audiences`, in id order.
    async fn watchlist_visible(
        &self,
        audiences: &[String],
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<WatchlistRecord>, StoreError>;
    /// The events released to any of `audiences`, in log order after position `after_pos`.
    async fn events_visible(
        &self,
        audiences: &[String],
        after_pos: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Result<Event, CorruptEvent>)>, StoreError>;
    /// An event's position in the log.
    async fn event_position(&self, id: EventId) -> Result<Option<i64>, StoreError>;
    /// Whether the visibility index covers the log (false for a database that predates it,
    /// which then needs [`Store::rebuild_projections`]).
    async fn audiences_indexed(&self) -> Result<bool, StoreError>;

    async fn alert(&self, id: RecordId) -> Result<Option<AlertRecord>, StoreError>;
    /// Alerts matching `filter` in id (time) order after `after`.
    async fn alerts_after(
        &self,
        after: Option<RecordId>,
        filter: &AlertFilter,
        limit: u32,
    ) -> Result<Vec<AlertRecord>, StoreError>;
    /// Every zone, oldest first.
    async fn zones(&self) -> Result<Vec<ZoneRecord>, StoreError>;
    async fn zone(&self, id: RecordId) -> Result<Option<ZoneRecord>, StoreError>;
    /// Every watch-list entry, oldest first.
    async fn watchlist(&self) -> Result<Vec<WatchlistRecord>, StoreError>;
    async fn watchlist_entry(&self, id: RecordId) -> Result<Option<WatchlistRecord>, StoreError>;

    /// One record of the shared record layer, whatever its type.
    async fn record(&self, id: RecordId) -> Result<Option<StoredRecord>, StoreError>;
    /// The records of type `kind` released to any of `audiences` and matching `filter`, newest
    /// first (descending id) before `before`. Its cost depends on the rows released to those
    /// audiences, never on the others.
    async fn records_visible(
        &self,
        kind: &str,
        audiences: &[String],
        filter: &RecordFilter,
        before: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<StoredRecord>, StoreError>;
    /// Every record of type `kind` matching `filter`, newest first before `before`, whoever it
    /// is released to: for the node's operator (local access to everything), never a caller.
    async fn records_after(
        &self,
        kind: &str,
        filter: &RecordFilter,
        before: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<StoredRecord>, StoreError>;
    /// An attachment's media type and content, by SHA-256 (hex).
    async fn attachment(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError>;
    /// Stored attachments after `after` (a SHA-256, hex; "" for the start), in hash order, with
    /// their content: for `verify`.
    async fn attachments_after(&self, after: &str, limit: u32) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// The read audit of one record, oldest first after `after`.
    async fn record_reads(
        &self,
        record: RecordId,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<RecordRead>, StoreError>;
    /// Every event of one record, in log order (its timeline).
    async fn record_events(&self, record_type: &str, record_id: &str) -> Result<Vec<Event>, StoreError>;

    /// Stored tracks after MMSI `after`, in MMSI order.
    async fn load_tracks(&self, after: u32, limit: u32) -> Result<Vec<(u32, String)>, StoreError>;

    /// A file feed's stored position: (file identity, byte offset).
    async fn feed_position(&self, feed: &str) -> Result<Option<(String, u64)>, StoreError>;
}

/// Opens the database at `url` (`sqlite://PATH` or `postgres://...`) and applies migrations.
/// A SQLite file is created only when `create` is set, so a mistyped path never silently starts
/// an empty node.
///
/// `projector` keeps the records of the shared record layer (see [`RecordProjector`]).
pub async fn open(url: &str, create: bool, projector: Arc<dyn RecordProjector>) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::open(url, create, projector).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PostgresStore::open(url, create, projector).await?)
    } else {
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    };
    if !store.audiences_indexed().await? {
        // A database from before the visibility index: derive it (and every projection) once.
        let events = store.rebuild_projections().await?;
        tracing::info!(events, "visibility index built from the log");
    }
    Ok(store)
}

//! Model-based authorization: random fixtures from a seed, every read operation of the API for
//! every user, checked against a reference model of the documented rules written here (not a
//! call into `hl-policy`).
//!
//! Per seed, on a fresh node: organizations in two or three nations, two communities with
//! overlapping memberships (one membership granted late, with `org join`), one user of every
//! role per organization; advisories at every TLP × scope (plus random ones, including the
//! combinations the server must refuse), revisions that widen and narrow them; zones and
//! watch-list entries, some deleted; users and tokens created and revoked through the API;
//! alerts raised by posting AIS positions (a zone entry per live zone, a watch-list hit per
//! live entry, an invalid MMSI for the node's default owner). Every write's status is predicted
//! by the model and asserted; only what was really created is tracked.
//!
//! Then every user runs every GET operation of the OpenAPI document, as listed in [`READS`]:
//! listings are paged with `limit` and the `next` cursor and compared with the model's visible
//! set exactly (and the alert filters too); single-record reads answer 200 iff the model says
//! visible, else a 404 identical to the one for an id that does not exist. A GET operation the
//! document has and [`READS`] lacks fails the test.
//!
//! The rules modelled (ARCHITECTURE.md, "Releasability and the policy"): the owner sees its
//! records; TLP:RED reaches only organizations named in an `organizations` scope; otherwise the
//! scope decides (`organization`: nobody else, `nation`: the owner's nation, `community`: its
//! members now, `all_partners`: all, `organizations`: those listed). Events carry the
//! releasability of the record they change as it was then and their author's organization;
//! directory events are TLP:CLEAR to all, user and token events TLP:AMBER+STRICT to their
//! organization; the node's administrators (those of the first registered organization) read
//! every event, but the change (`payload`) only of those released to them. Users of an
//! organization are listed to its members only.
//!
//! Seeds come from `HL_AUTHZ_SEEDS` (comma-separated; default `1,2,3`), the fixture size from
//! `HL_AUTHZ_SCALE` (default 1: five organizations, twenty users). A failure names the seed, the
//! user (organization, role), the operation and the record (TLP, scope, owner); rerun it with
//! `HL_AUTHZ_SEEDS=<seed>`. Listings are read by every user. Single-record reads are where the
//! requests go (every id × every reader), so by default every organization reads every id
//! through one of its users, chosen per id from the seed (each role reads about a quarter);
//! `HL_AUTHZ_ALL_USERS=1` makes every user read every id. `HL_AUTHZ_DUMP=<file>` writes every
//! mismatch there (the panic shows the first 40).
//!
//! The larger run for releases (10 to 15 minutes per back end on two cores):
//!
//! ```text
//! HL_AUTHZ_SEEDS=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20 HL_AUTHZ_SCALE=2 HL_AUTHZ_ALL_USERS=1 \
//!     cargo test -p harborlink --test node authz_model -- --nocapture
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hl_ais::encode::{SentenceOptions, to_sentences};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, Client, Reply, TestNode, position};

/// Every GET operation of the API and how this test checks it. A GET in the OpenAPI document
/// that is missing here fails the test: say how its visibility is checked before shipping it.
const READS: &[(&str, Read, &str)] = &[
    ("/api/v1/me", Read::Me, "the caller's own user and organization"),
    ("/api/v1/organizations", Read::Organizations, "directory (TLP:CLEAR, all partners): every organization"),
    ("/api/v1/organizations/{id}", Read::Organization, "directory: every organization 200; unknown 404"),
    (
        "/api/v1/organizations/{id}/users",
        Read::OrganizationUsers,
        "exactly the organization's users to its members; 404 as for an unknown id to others",
    ),
    (
        "/api/v1/users/{id}/tokens",
        Read::UserTokens,
        "a user's tokens, never a secret: to the user and their organization's administrators; 403 to the \
         organization's other users; the unknown-id 404 to other organizations",
    ),
    ("/api/v1/advisories", Read::Advisories, "paged; exactly the visible advisories"),
    ("/api/v1/advisories/{id}", Read::Advisory, "every advisory: 200 iff visible, else the unknown-id 404"),
    (
        "/api/v1/incidents",
        Read::Incidents,
        "paged newest first, and per filter (category, status, severity, mmsi, bbox; 4 per user): exactly the \
         visible matches",
    ),
    ("/api/v1/incidents/{id}", Read::Incident, "every incident: 200 iff visible, else the unknown-id 404"),
    (
        "/api/v1/incidents/{id}/audience",
        Read::IncidentAudience,
        "every incident: to the owner's users exactly the organizations the model says may read it; 403 to \
         other readers; the unknown-id 404 to those who may not see it",
    ),
    (
        "/api/v1/incidents/{id}/reads",
        Read::IncidentReads,
        "every incident: 200 to the owner's administrators (only reads by organizations that may read it); 403 \
         to other readers; the unknown-id 404 to those who may not see it",
    ),
    (
        "/api/v1/incidents/{id}/attachments",
        Read::IncidentAttachments,
        "every incident: 200 iff visible (exactly its attachments), else the unknown-id 404",
    ),
    (
        "/api/v1/incidents/{id}/attachments/{sha256}",
        Read::IncidentAttachment,
        "every attachment: its exact content iff its incident is visible, else the unknown-id 404",
    ),
    (
        "/api/v1/incidents/{id}/timeline",
        Read::IncidentTimeline,
        "every incident: 200 iff visible (exactly its events, in order), else the unknown-id 404",
    ),
    (
        "/api/v1/events",
        Read::Events,
        "paged; exactly the events released to the caller (each with its record's releasability then); \
         every event to the node's administrators, without the change of those not released to them",
    ),
    ("/api/v1/events/{id}", Read::Event, "every event: 200 iff listed for the caller, else the unknown-id 404"),
    (
        "/api/v1/alerts",
        Read::Alerts,
        "paged, and per filter (kind, status, mmsi, since, bbox, zone; 6 per user): exactly the visible matches",
    ),
    ("/api/v1/alerts/{id}", Read::Alert, "every alert: 200 iff visible, else the unknown-id 404"),
    ("/api/v1/zones", Read::Zones, "paged; exactly the visible zones not deleted"),
    ("/api/v1/zones/{id}", Read::Zone, "every zone (deleted ones too): 200 iff visible and live, else 404"),
    ("/api/v1/watchlist", Read::Watchlist, "paged; exactly the visible entries not removed"),
    ("/api/v1/vessels", Read::Vessels, "live picture, visible to every user by design (AIS is broadcast in the clear)"),
    (
        "/api/v1/vessels/{mmsi}",
        Read::Vessel,
        "live picture, no releasability: 3 random vessels 200 per user; unknown 404",
    ),
    ("/api/v1/vessels/{mmsi}/track", Read::VesselTrack, "live picture: 3 random tracks 200 per user; unknown 404"),
    ("/api/v1/feeds", Read::Feeds, "live picture: 200 to every user; carries no record"),
    (
        "/api/v1/stream",
        Read::Stream,
        "endless SSE: only the 401 without a token here; per-subscriber alert visibility is in live.rs",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Me,
    Organizations,
    Organization,
    OrganizationUsers,
    UserTokens,
    Advisories,
    Advisory,
    Incidents,
    Incident,
    IncidentAudience,
    IncidentReads,
    IncidentAttachments,
    IncidentAttachment,
    IncidentTimeline,
    Events,
    Event,
    Alerts,
    Alert,
    Zones,
    Zone,
    Watchlist,
    Vessels,
    Vessel,
    VesselTrack,
    Feeds,
    Stream,
}

const NATIONS: [&str; 3] = ["SG", "MY", "FR"];
const COMMUNITIES: [&str; 2] = ["straits-psg", "malacca-watch"];
/// A community no organization belongs to: nobody may share with it.
const EMPTY_COMMUNITY: &str = "nobody-here";
const ORG_KINDS: [&str; 7] =
    ["port_facility", "port_authority", "coast_guard", "police", "customs", "navy", "regional_coordination_centre"];
const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];
const ALERT_KINDS: [&str; 4] = ["zone_entry", "watchlist_hit", "invalid_mmsi", "ais_gap"];
const ALERT_STATUSES: [&str; 4] = ["new", "acknowledged", "dismissed", "escalated"];
/// Vessels of zone `k` and of watch-list entry `k` (Singapore MID, valid); one invalid MMSI.
const ZONE_MMSI: u32 = 563_100_000;
const WATCH_MMSI: u32 = 563_200_000;
const INVALID_MMSI: u32 = 100_000_001;
const UNKNOWN_MMSI: u32 = 563_999_999;
/// Vessels of incident `k`.
const INCIDENT_MMSI: u32 = 563_300_000;
const INCIDENT_CATEGORIES: [&str; 3] = ["stowaway", "smuggling", "unmanned_system"];
const INCIDENT_SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
const INCIDENT_STATUSES: [&str; 5] = ["reported", "acknowledged", "investigating", "resolved", "closed"];

// ---------------------------------------------------------------------------------------------
// A deterministic PRNG (splitmix64): no dependency, same sequence everywhere.

#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "below(0)");
        (self.next_u64() % n as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next_u64() % 100 < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// The reference model.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Viewer,
    Operator,
    SecurityOfficer,
    Administrator,
}

impl Role {
    const ALL: [Role; 4] = [Role::Viewer, Role::Operator, Role::SecurityOfficer, Role::Administrator];

    fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::SecurityOfficer => "security_officer",
            Role::Administrator => "administrator",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    const ALL: [Tlp; 5] = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];

    fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "CLEAR",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::AmberStrict => "AMBER+STRICT",
            Tlp::Red => "RED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Organization,
    Nation,
    Community,
    AllPartners,
    Organizations,
}

const SCOPE_KINDS: [ScopeKind; 5] = [
    ScopeKind::Organization,
    ScopeKind::Nation,
    ScopeKind::Community,
    ScopeKind::AllPartners,
    ScopeKind::Organizations,
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Organization,
    Nation,
    Community(&'static str),
    AllPartners,
    /// Organization ids as sent (possibly empty, duplicated or unknown: the server must refuse
    /// all three).
    Organizations(Vec<String>),
}

impl Scope {
    fn kind(&self) -> &'static str {
        match self {
            Scope::Organization => "organization",
            Scope::Nation => "nation",
            Scope::Community(_) => "community",
            Scope::AllPartners => "all_partners",
            Scope::Organizations(_) => "organizations",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rel {
    tlp: Tlp,
    scope: Scope,
}

impl Rel {
    fn internal() -> Self {
        Self { tlp: Tlp::AmberStrict, scope: Scope::Organization }
    }

    fn public() -> Self {
        Self { tlp: Tlp::Clear, scope: Scope::AllPartners }
    }

    fn json(&self) -> Value {
        let scope = match &self.scope {
            Scope::Community(c) => json!({"kind": "community", "community": c}),
            Scope::Organizations(list) => json!({"kind": "organizations", "organizations": list}),
            other => json!({"kind": other.kind()}),
        };
        json!({"tlp": self.tlp.as_str(), "scope": scope})
    }

    /// Documented as refused when parsed: TLP:RED for anything but named recipients; an empty
    /// recipient list; a recipient named twice.
    /// Refused with 422: an empty or duplicated recipient list, a recipient the node does not
    /// know (`known` are the organization ids), RED beyond named recipients.
    fn malformed(&self, known: &[String]) -> bool {
        match &self.scope {
            Scope::Organizations(list) => {
                list.is_empty()
                    || list.iter().collect::<BTreeSet<_>>().len() != list.len()
                    || list.iter().any(|id| !known.contains(id))
            }
            Scope::Nation | Scope::Community(_) | Scope::AllPartners => self.tlp == Tlp::Red,
            Scope::Organization => false,
        }
    }

    /// Whether a releasability the server returned is this one.
    fn matches(&self, v: &Value) -> bool {
        if v["tlp"].as_str() != Some(self.tlp.as_str()) || v["scope"]["kind"].as_str() != Some(self.scope.kind()) {
            return false;
        }
        match &self.scope {
            Scope::Community(c) => v["scope"]["community"].as_str() == Some(c),
            Scope::Organizations(list) => {
                let got: BTreeSet<&str> =
                    v["scope"]["organizations"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                got == list.iter().map(String::as_str).collect()
            }
            _ => true,
        }
    }
}

struct Org {
    id: String,
    name: String,
    nation: &'static str,
    communities: BTreeSet<&'static str>,
}

struct User {
    org: usize,
    role: Role,
    id: String,
    token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Advisory,
    Incident,
    Zone,
    Watch,
    Alert,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Advisory => "advisory",
            Kind::Incident => "incident",
            Kind::Zone => "zone",
            Kind::Watch => "watch-list entry",
            Kind::Alert => "alert",
        }
    }
}

struct Record {
    kind: Kind,
    id: String,
    owner: usize,
    rel: Rel,
    /// Deleted (zones, watch-list entries).
    gone: bool,
    /// The vessel of a zone, entry or alert.
    mmsi: u32,
    alert_kind: &'static str,
    status: &'static str,
    /// An incident's severity, as its index in [`INCIDENT_SEVERITIES`].
    severity: usize,
    /// An incident's attachments: (SHA-256, content).
    attachments: Vec<(String, String)>,
}

struct ModelEvent {
    record_type: &'static str,
    record_id: String,
    change: &'static str,
    author: usize,
    rel: Rel,
    /// Learnt from the log once the writes are done.
    id: Option<String>,
}

struct Model {
    seed: u64,
    orgs: Vec<Org>,
    /// The readers: one user of every role per organization.
    users: Vec<User>,
    /// Every user id per organization (readers and users created on the side).
    members: Vec<BTreeSet<String>>,
    records: Vec<Record>,
    events: Vec<ModelEvent>,
    vessels: BTreeSet<u32>,
}

impl Model {
    /// The documented read rule, independently of `hl-policy`.
    fn sees(&self, reader: usize, owner: usize, rel: &Rel) -> bool {
        if reader == owner {
            return true;
        }
        let reader_id = &self.orgs[reader].id;
        match (&rel.tlp, &rel.scope) {
            (Tlp::Red, Scope::Organizations(list)) => list.contains(reader_id),
            (Tlp::Red, _) => false,
            (_, Scope::Organization) => false,
            (_, Scope::Nation) => self.orgs[reader].nation == self.orgs[owner].nation,
            (_, Scope::Community(c)) => self.orgs[reader].communities.contains(c),
            (_, Scope::AllPartners) => true,
            (_, Scope::Organizations(list)) => list.contains(reader_id),
        }
    }

    /// Reading the event log: the node's administrators (the administrators of the organization
    /// that hosts the node, its first registered) read every event; everyone else reads the
    /// events of the records they may see, with the releasability each event carries.
    fn sees_event(&self, reader: usize, e: &ModelEvent) -> bool {
        let u = &self.users[reader];
        (u.org == 0 && u.role == Role::Administrator) || self.sees(u.org, e.author, &e.rel)
    }

    /// Whether the server must refuse `rel` as malformed (422).
    fn malformed(&self, rel: &Rel) -> bool {
        let known: Vec<String> = self.orgs.iter().map(|o| o.id.clone()).collect();
        rel.malformed(&known)
    }

    fn may_release(&self, actor: &User, rel: &Rel) -> bool {
        actor.role >= Role::Operator
            && (rel.tlp != Tlp::Red || actor.role >= Role::SecurityOfficer)
            && match rel.scope {
                Scope::Community(c) => self.orgs[actor.org].communities.contains(c),
                _ => true,
            }
    }

    /// Publishing a new record: 422 for a malformed releasability, 403 unless the actor may
    /// release it (operators publish, RED needs a security officer, a community needs
    /// membership), else 201.
    fn publish_status(&self, actor: &User, rel: &Rel) -> u16 {
        if self.malformed(rel) {
            422
        } else if self.may_release(actor, rel) {
            201
        } else {
            403
        }
    }

    /// Changing an existing record: 422 for a malformed new releasability, 404 if the actor may
    /// not see it (or it is gone), 403 unless the actor's organization owns it and the actor is
    /// an operator who may release the new releasability; else `ok`.
    fn change_status(&self, actor: &User, record: &Record, new_rel: Option<&Rel>, ok: u16) -> u16 {
        if new_rel.is_some_and(|r| self.malformed(r)) {
            422
        } else if record.gone || !self.sees(actor.org, record.owner, &record.rel) {
            404
        } else if actor.org != record.owner
            || actor.role < Role::Operator
            || new_rel.is_some_and(|r| !self.may_release(actor, r))
        {
            403
        } else {
            ok
        }
    }

    fn who(&self, user: usize) -> String {
        let u = &self.users[user];
        format!("user {} ({})", self.orgs[u.org].name, u.role.as_str())
    }

    fn org_name(&self, id: &str) -> String {
        self.orgs.iter().find(|o| o.id == id).map_or_else(|| format!("unknown org {id}"), |o| o.name.clone())
    }

    fn rel_text(&self, rel: &Rel) -> String {
        let scope = match &rel.scope {
            Scope::Community(c) => format!("community {c}"),
            Scope::Organizations(list) => {
                format!("organizations [{}]", list.iter().map(|id| self.org_name(id)).collect::<Vec<_>>().join(", "))
            }
            other => other.kind().to_owned(),
        };
        format!("TLP:{} {scope}", rel.tlp.as_str())
    }

    fn record_text(&self, r: &Record) -> String {
        let gone = if r.gone { ", deleted" } else { "" };
        let kind = if r.kind == Kind::Alert { format!("{} alert", r.alert_kind) } else { r.kind.as_str().to_owned() };
        format!("{kind} {} [{}] owned by {}{gone}", r.id, self.rel_text(&r.rel), self.orgs[r.owner].name)
    }

    fn event_text(&self, e: &ModelEvent) -> String {
        format!(
            "event {} ({} of {} {}) [{}] authored by {}",
            e.id.as_deref().unwrap_or("?"),
            e.change,
            e.record_type,
            e.record_id,
            self.rel_text(&e.rel),
            self.orgs[e.author].name
        )
    }

    fn event(&mut self, record_type: &'static str, record_id: &str, change: &'static str, author: usize, rel: Rel) {
        self.events.push(ModelEvent { record_type, record_id: record_id.to_owned(), change, author, rel, id: None });
    }
}

/// Checks made and mismatches found.
#[derive(Default)]
struct Tally {
    checks: u64,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, ok: bool, message: impl FnOnce() -> String) {
        self.checks += 1;
        if !ok {
            self.failures.push(message());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The test.

fn seeds() -> Vec<u64> {
    let text = std::env::var("HL_AUTHZ_SEEDS").unwrap_or_else(|_| String::from("1,2,3"));
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap_or_else(|e| panic!("HL_AUTHZ_SEEDS: `{s}`: {e}")))
        .collect()
}

fn scale() -> usize {
    std::env::var("HL_AUTHZ_SCALE").map_or(1, |s| s.trim().parse().unwrap_or_else(|e| panic!("HL_AUTHZ_SCALE: {e}")))
}

async fn every_read_matches_the_reference_model(backend: Backend) {
    let scale = scale().max(1);
    let mut failures = Vec::new();
    for seed in seeds() {
        let started = Instant::now();
        let Some(node) = TestNode::init(backend).await else { return };
        let (tally, model) = run_seed(node, seed, scale).await;
        eprintln!(
            "authz_model {backend:?} seed {seed} scale {scale}: {} organizations, {} users, {} records, {} events, \
             {} checks, {} mismatches, {:.1} s",
            model.orgs.len(),
            model.users.len(),
            model.records.len(),
            model.events.len(),
            tally.checks,
            tally.failures.len(),
            started.elapsed().as_secs_f64()
        );
        failures.extend(tally.failures);
    }
    if !failures.is_empty() {
        if let Ok(path) = std::env::var("HL_AUTHZ_DUMP") {
            let _ = std::fs::write(path, failures.join("\n"));
        }
        let shown: Vec<&String> = failures.iter().take(40).collect();
        panic!(
            "{} authorization mismatches against the reference model (first {}):\n{}",
            failures.len(),
            shown.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
}

on_both_backends!(every_read_matches_the_reference_model);

async fn run_seed(node: TestNode, seed: u64, scale: usize) -> (Tally, Arc<Model>) {
    let mut f = Fixture::new(node, seed);
    f.organizations(scale);
    f.node.serve();
    f.reconnect();
    f.users().await;
    f.tokens().await;
    f.advisories(Kind::Advisory, scale).await;
    f.revisions(Kind::Advisory, scale).await;
    f.advisories(Kind::Incident, scale).await;
    f.revisions(Kind::Incident, scale).await;
    f.incident_actions(scale).await;
    let zones = f.records(Kind::Zone, 2 + 2 * scale).await;
    let entries = f.records(Kind::Watch, 2 + 2 * scale).await;
    f.deletions(Kind::Zone, scale).await;
    f.deletions(Kind::Watch, scale).await;
    // The detectors load zones and the watch list when the server starts, before it serves:
    // restarting makes the traffic below meet exactly the live ones. A late community
    // membership is granted meanwhile.
    f.node.terminate();
    f.late_membership();
    f.node.serve();
    f.reconnect();
    f.traffic(zones, entries).await;
    f.alert_actions(scale).await;

    let Fixture { node, model, mut tally, .. } = f;
    let model = reads(&node, model, &mut tally).await;
    (tally, model)
}

struct Fixture {
    node: TestNode,
    model: Model,
    rng: Rng,
    clients: Vec<Client>,
    tally: Tally,
    /// The organization that joins a community late, and the community.
    late: Option<(usize, &'static str)>,
}

impl Fixture {
    fn new(node: TestNode, seed: u64) -> Self {
        let model = Model {
            seed,
            orgs: Vec::new(),
            users: Vec::new(),
            members: Vec::new(),
            records: Vec::new(),
            events: Vec::new(),
            vessels: BTreeSet::new(),
        };
        Self { node, model, rng: Rng(seed), clients: Vec::new(), tally: Tally::default(), late: None }
    }

    fn reconnect(&mut self) {
        self.clients = self.model.users.iter().map(|u| Client::new(&self.node, Some(&u.token))).collect();
    }

    /// A write whose status the model predicted.
    fn expect(&mut self, actor: usize, what: &str, expected: u16, got: &Reply) {
        let seed = self.model.seed;
        let who = self.model.who(actor);
        self.tally.check(got.status == expected, || {
            format!("seed {seed}: {who}: {what}: expected {expected}, got {} {}", got.status, got.body)
        });
    }

    /// Organizations and their administrators, through the CLI.
    fn organizations(&mut self, scale: usize) {
        let rng = &mut self.rng;
        let count = (4 + scale).min(16);
        let first_nation = rng.pick(&NATIONS);
        for i in 0..count {
            let nation = match i {
                0 | 1 => first_nation,
                2 => NATIONS[(NATIONS.iter().position(|n| *n == first_nation).unwrap_or(0) + 1) % NATIONS.len()],
                _ => rng.pick(&NATIONS),
            };
            let communities: BTreeSet<&'static str> = match i {
                0 => COMMUNITIES.into_iter().collect(),
                1 => [COMMUNITIES[0]].into_iter().collect(),
                2 => [COMMUNITIES[1]].into_iter().collect(),
                _ => COMMUNITIES.into_iter().filter(|_| rng.percent(50)).collect(),
            };
            let name = format!("Org {i} {nation}");
            let kind = rng.pick(&ORG_KINDS);
            let mut args = vec!["org", "add", "--name", name.as_str(), "--kind", kind, "--nation", nation];
            for c in &communities {
                args.extend(["--community", *c]);
            }
            let org = self.node.cli_json(&args);
            let id = org["id"].as_str().unwrap_or_else(|| panic!("no id in {org}")).to_owned();
            self.model.orgs.push(Org { id: id.clone(), name, nation, communities });
            self.model.members.push(BTreeSet::new());
            self.model.event("organization", &id, "organization_registered", i, Rel::public());
            let admin =
                self.node.cli_json(&["user", "add", "--org", &id, "--name", "admin", "--role", "administrator"]);
            // The same shape as the API's answer to POST /organizations/{id}/users.
            let field = |k: &str| {
                admin.pointer(k).and_then(Value::as_str).unwrap_or_else(|| panic!("no {k} in {admin}")).to_owned()
            };
            let user = User { org: i, role: Role::Administrator, id: field("/user/id"), token: field("/token/secret") };
            self.model.members[i].insert(user.id.clone());
            self.model.event("user", &user.id, "user_registered", i, Rel::internal());
            self.model.event("token", &field("/token/token/id"), "token_issued", i, Rel::internal());
            self.model.users.push(user);
        }
        // One organization outside `malacca-watch` joins it after the records are written.
        let outside: Vec<usize> =
            (1..count).filter(|&i| !self.model.orgs[i].communities.contains(COMMUNITIES[1])).collect();
        self.late = Some((self.rng.pick(&outside), COMMUNITIES[1]));
    }

    fn late_membership(&mut self) {
        let Some((org, community)) = self.late else { return };
        let id = self.model.orgs[org].id.clone();
        let joined = self.node.cli_json(&["org", "join", "--org", &id, "--community", community]);
        assert!(joined["communities"].as_array().is_some_and(|c| c.iter().any(|x| x == community)), "{joined}");
        self.model.orgs[org].communities.insert(community);
        self.model.event("organization", &id, "community_joined", org, Rel::public());
    }

    fn admin_of(&self, org: usize) -> usize {
        self.user_of(org, Role::Administrator).unwrap_or_else(|| panic!("no administrator in org {org}"))
    }

    fn user_of(&self, org: usize, role: Role) -> Option<usize> {
        self.model.users.iter().position(|u| u.org == org && u.role == role)
    }

    fn users_of(&self, org: usize) -> Vec<usize> {
        (0..self.model.users.len()).filter(|&u| self.model.users[u].org == org).collect()
    }

    /// The other roles, created by each administrator through the API; refused attempts.
    async fn users(&mut self) {
        for org in 0..self.model.orgs.len() {
            let admin = self.admin_of(org);
            let org_id = self.model.orgs[org].id.clone();
            let path = format!("/api/v1/organizations/{org_id}/users");
            for role in [Role::Viewer, Role::Operator, Role::SecurityOfficer] {
                let reply =
                    self.clients[admin].post(&path, &json!({"name": role.as_str(), "role": role.as_str()})).await;
                self.expect(admin, &format!("POST {path} ({})", role.as_str()), 201, &reply);
                let user = User {
                    org,
                    role,
                    id: reply.body["user"]["id"].as_str().unwrap_or_else(|| panic!("{:?}", reply.body)).to_owned(),
                    token: reply.body["token"]["secret"].as_str().unwrap_or_default().to_owned(),
                };
                let token_id = reply.body["token"]["token"]["id"].as_str().unwrap_or_default().to_owned();
                self.model.members[org].insert(user.id.clone());
                self.model.event("user", &user.id, "user_registered", org, Rel::internal());
                self.model.event("token", &token_id, "token_issued", org, Rel::internal());
                self.clients.push(Client::new(&self.node, Some(&user.token)));
                self.model.users.push(user);
            }
        }
        // Only an organization's own administrators create its users.
        let orgs = self.model.orgs.len();
        for org in 0..orgs {
            let org_id = self.model.orgs[org].id.clone();
            let path = format!("/api/v1/organizations/{org_id}/users");
            let role = self.rng.pick(&[Role::Viewer, Role::Operator, Role::SecurityOfficer]);
            let insider = self.user_of(org, role).unwrap_or_default();
            let other = (org + 1 + self.rng.below(orgs - 1)) % orgs;
            let outsider = self.admin_of(other);
            for actor in [insider, outsider] {
                let reply = self.clients[actor].post(&path, &json!({"name": "intruder", "role": "viewer"})).await;
                self.expect(actor, &format!("POST {path}"), 403, &reply);
            }
            if self.rng.percent(30) {
                let admin = self.admin_of(org);
                let reply = self.clients[admin].post(&path, &json!({"name": "spare", "role": "viewer"})).await;
                self.expect(admin, &format!("POST {path} (spare)"), 201, &reply);
                if reply.status == 201 {
                    let user = reply.body["user"]["id"].as_str().unwrap_or_default().to_owned();
                    let token = reply.body["token"]["token"]["id"].as_str().unwrap_or_default().to_owned();
                    self.model.members[org].insert(user.clone());
                    self.model.event("user", &user, "user_registered", org, Rel::internal());
                    self.model.event("token", &token, "token_issued", org, Rel::internal());
                }
            }
        }
    }

    /// Extra tokens: for oneself, by administrators, refused across organizations and roles;
    /// revocations.
    async fn tokens(&mut self) {
        let orgs = self.model.orgs.len();
        for org in 0..orgs {
            if !self.rng.percent(40) {
                continue;
            }
            let members = self.users_of(org);
            let holder = self.rng.pick(&members);
            let issuer = self.rng.pick(&members);
            let other = (org + 1 + self.rng.below(orgs - 1)) % orgs;
            let outsiders = self.users_of(other);
            let outsider = self.rng.pick(&outsiders);
            let holder_id = self.model.users[holder].id.clone();
            let path = format!("/api/v1/users/{holder_id}/tokens");
            let body = json!({"label": "spare"});
            let reply = self.clients[outsider].post(&path, &body).await;
            self.expect(outsider, &format!("POST {path} (another organization's user)"), 404, &reply);
            let allowed = issuer == holder || self.model.users[issuer].role == Role::Administrator;
            let reply = self.clients[issuer].post(&path, &body).await;
            self.expect(issuer, &format!("POST {path}"), if allowed { 201 } else { 403 }, &reply);
            if reply.status != 201 {
                continue;
            }
            let token = reply.body["token"]["id"].as_str().unwrap_or_default().to_owned();
            self.model.event("token", &token, "token_issued", org, Rel::internal());
            let path = format!("/api/v1/tokens/{token}");
            let reply = self.clients[outsider].delete(&path).await;
            self.expect(outsider, &format!("DELETE {path} (another organization's token)"), 404, &reply);
            let revoker = self.rng.pick(&members);
            let allowed = revoker == holder || self.model.users[revoker].role == Role::Administrator;
            let reply = self.clients[revoker].delete(&path).await;
            self.expect(revoker, &format!("DELETE {path}"), if allowed { 200 } else { 403 }, &reply);
            if reply.status == 200 {
                self.model.event("token", &token, "token_revoked", org, Rel::internal());
            }
        }
    }

    fn random_recipients(&mut self) -> Vec<String> {
        let ids: Vec<String> = self.model.orgs.iter().map(|o| o.id.clone()).collect();
        let roll = self.rng.below(100);
        if roll < 5 {
            return Vec::new();
        }
        let mut list = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let id = ids[self.rng.below(ids.len())].clone();
            if !list.contains(&id) {
                list.push(id);
            }
        }
        if roll < 10 {
            list.push(list[0].clone());
        } else if roll < 20 {
            list.push(uuid::Uuid::now_v7().to_string());
        }
        list
    }

    fn scope(&mut self, kind: ScopeKind) -> Scope {
        match kind {
            ScopeKind::Organization => Scope::Organization,
            ScopeKind::Nation => Scope::Nation,
            ScopeKind::Community => {
                Scope::Community(if self.rng.percent(10) { EMPTY_COMMUNITY } else { self.rng.pick(&COMMUNITIES) })
            }
            ScopeKind::AllPartners => Scope::AllPartners,
            ScopeKind::Organizations => Scope::Organizations(self.random_recipients()),
        }
    }

    fn random_rel(&mut self) -> Rel {
        let tlp = self.rng.pick(&Tlp::ALL);
        let kind = self.rng.pick(&SCOPE_KINDS);
        Rel { tlp, scope: self.scope(kind) }
    }

    /// A well-formed releasability and a user who may release it.
    fn releasable(&mut self, tlp: Tlp, kind: ScopeKind) -> (usize, Rel) {
        loop {
            let rel = Rel { tlp, scope: self.scope(kind) };
            // Malformed on purpose only where the combination itself is the point (RED beyond
            // named recipients); otherwise draw again.
            let red_beyond_named = tlp == Tlp::Red && !matches!(kind, ScopeKind::Organizations);
            if !red_beyond_named && self.model.malformed(&rel) {
                continue;
            }
            let able: Vec<usize> =
                (0..self.model.users.len()).filter(|&u| self.model.may_release(&self.model.users[u], &rel)).collect();
            if able.is_empty() {
                if self.model.malformed(&rel) {
                    return (self.rng.below(self.model.users.len()), rel);
                }
                continue;
            }
            return (self.rng.pick(&able), rel);
        }
    }

    /// Creates one record of `kind` (number `k` of its kind), predicting the status.
    async fn create(&mut self, kind: Kind, k: usize, actor: usize, rel: Rel) -> Option<usize> {
        let (path, body, record_type, change, mmsi) = match kind {
            Kind::Advisory => {
                let severity = self.rng.pick(&SEVERITIES);
                let body = json!({"title": format!("advisory {k}"), "body": "model", "severity": severity,
                    "releasability": rel.json()});
                ("/api/v1/advisories", body, "advisory", "advisory_published", 0)
            }
            Kind::Zone => {
                let body = json!({"feature": zone_feature(k), "releasability": rel.json()});
                ("/api/v1/zones", body, "zone", "zone_defined", ZONE_MMSI + k as u32)
            }
            Kind::Watch => {
                let mmsi = WATCH_MMSI + k as u32;
                let body = json!({"mmsi": mmsi, "reason": format!("watch {k}"), "releasability": rel.json()});
                ("/api/v1/watchlist", body, "watchlist_entry", "watchlist_entry_added", mmsi)
            }
            Kind::Incident => {
                let category = self.rng.pick(&INCIDENT_CATEGORIES);
                let body = json!({"category": category, "severity": self.rng.pick(&INCIDENT_SEVERITIES),
                    "title": format!("incident {k}"), "occurred_at": "2026-11-30T08:15:00Z",
                    "location": {"lat": 1.2 + 0.01 * k as f64, "lon": 103.8},
                    "vessels": [{"mmsi": INCIDENT_MMSI + k as u32}], "releasability": rel.json()});
                ("/api/v1/incidents", body, "incident", "record", INCIDENT_MMSI + k as u32)
            }
            Kind::Alert => unreachable!("alerts are raised by the detectors"),
        };
        let expected = self.model.publish_status(&self.model.users[actor], &rel);
        let reply = self.clients[actor].post(path, &body).await;
        let what = format!("POST {path} [{}]", self.model.rel_text(&rel));
        self.expect(actor, &what, expected, &reply);
        if reply.status != 201 {
            return None;
        }
        let id = reply.body["id"].as_str().unwrap_or_else(|| panic!("no id: {:?}", reply.body)).to_owned();
        let owner = self.model.users[actor].org;
        self.model.event(record_type, &id, change, owner, rel.clone());
        // Incidents: the category in `alert_kind`, the severity in `severity`, status `reported`.
        let (alert_kind, status, severity) = if kind == Kind::Incident {
            let category = INCIDENT_CATEGORIES.iter().copied().find(|c| reply.body["category"] == *c).unwrap_or("");
            let severity = INCIDENT_SEVERITIES.iter().position(|s| reply.body["severity"] == *s).unwrap_or(0);
            (category, "reported", severity)
        } else {
            ("", "", 0)
        };
        self.model.records.push(Record {
            kind,
            id,
            owner,
            rel,
            gone: false,
            mmsi,
            alert_kind,
            status,
            severity,
            attachments: Vec::new(),
        });
        Some(self.model.records.len() - 1)
    }

    /// Every TLP × scope once by someone who may release it (or must be refused: RED beyond
    /// named recipients), then random attempts by random users.
    async fn advisories(&mut self, kind: Kind, scale: usize) {
        let mut k = 0;
        for tlp in Tlp::ALL {
            for scope in SCOPE_KINDS {
                let (actor, rel) = self.releasable(tlp, scope);
                self.create(kind, k, actor, rel).await;
                k += 1;
            }
        }
        for _ in 0..8 * scale {
            let actor = self.rng.below(self.model.users.len());
            let rel = self.random_rel();
            self.create(kind, k, actor, rel).await;
            k += 1;
        }
    }

    fn of_kind(&self, kind: Kind) -> Vec<usize> {
        (0..self.model.records.len()).filter(|&r| self.model.records[r].kind == kind).collect()
    }

    async fn revise(&mut self, actor: usize, record: usize, rel: Option<Rel>) {
        let id = self.model.records[record].id.clone();
        let kind = self.model.records[record].kind;
        let path =
            if kind == Kind::Incident { format!("/api/v1/incidents/{id}") } else { format!("/api/v1/advisories/{id}") };
        // A revision must change something: each title is new.
        let title = format!("revised by {} ({})", self.model.who(actor), self.model.events.len());
        let mut body = json!({"title": title});
        if let Some(rel) = &rel {
            body["releasability"] = rel.json();
        }
        let expected =
            self.model.change_status(&self.model.users[actor], &self.model.records[record], rel.as_ref(), 200);
        let reply = self.clients[actor].patch(&path, &body).await;
        let to = rel.as_ref().map_or_else(|| String::from("title only"), |r| self.model.rel_text(r));
        let what = format!("PATCH {} to [{to}]", self.model.record_text(&self.model.records[record]));
        self.expect(actor, &what, expected, &reply);
        if reply.status == 200 {
            let r = &mut self.model.records[record];
            if let Some(rel) = rel {
                r.rel = rel;
            }
            let (owner, rel) = (r.owner, r.rel.clone());
            if kind == Kind::Incident {
                self.model.event("incident", &id, "record", owner, rel);
            } else {
                self.model.event("advisory", &id, "advisory_revised", owner, rel);
            }
        }
    }

    /// Revisions that widen and narrow, by the owner's security officer; then random ones by
    /// random users, most from the owning organization.
    async fn revisions(&mut self, kind: Kind, scale: usize) {
        let advisories = self.of_kind(kind);
        if advisories.is_empty() {
            return;
        }
        for _ in 0..scale {
            let record = self.rng.pick(&advisories);
            let officer = self.user_of(self.model.records[record].owner, Role::SecurityOfficer).unwrap_or_default();
            self.revise(officer, record, Some(Rel::public())).await;
            let narrow = if self.rng.percent(50) {
                Rel::internal()
            } else {
                let other = self.rng.below(self.model.orgs.len());
                Rel { tlp: Tlp::Red, scope: Scope::Organizations(vec![self.model.orgs[other].id.clone()]) }
            };
            self.revise(officer, record, Some(narrow)).await;
        }
        for _ in 0..6 * scale {
            let record = self.rng.pick(&advisories);
            let owner = self.model.records[record].owner;
            let actor = if self.rng.percent(60) {
                self.rng.pick(&self.users_of(owner))
            } else {
                self.rng.below(self.model.users.len())
            };
            let rel = if self.rng.percent(75) { Some(self.random_rel()) } else { None };
            self.revise(actor, record, rel).await;
        }
    }

    /// Zones or watch-list entries: half by someone who may release them, half at random.
    async fn records(&mut self, kind: Kind, count: usize) -> usize {
        for k in 0..count {
            let (actor, rel) = if self.rng.percent(50) {
                let (tlp, scope) = (self.rng.pick(&Tlp::ALL), self.rng.pick(&SCOPE_KINDS));
                self.releasable(tlp, scope)
            } else {
                (self.rng.below(self.model.users.len()), self.random_rel())
            };
            self.create(kind, k, actor, rel).await;
        }
        count
    }

    async fn delete(&mut self, actor: usize, record: usize) {
        let r = &self.model.records[record];
        let (path, record_type, change) = match r.kind {
            Kind::Zone => (format!("/api/v1/zones/{}", r.id), "zone", "zone_deleted"),
            _ => (format!("/api/v1/watchlist/{}", r.id), "watchlist_entry", "watchlist_entry_removed"),
        };
        let expected = self.model.change_status(&self.model.users[actor], r, None, 204);
        let what = format!("DELETE {}", self.model.record_text(r));
        let reply = self.clients[actor].delete(&path).await;
        self.expect(actor, &what, expected, &reply);
        if reply.status == 204 {
            let r = &mut self.model.records[record];
            r.gone = true;
            let (id, owner, rel) = (r.id.clone(), r.owner, r.rel.clone());
            self.model.event(record_type, &id, change, owner, rel);
        }
    }

    /// Random deletion attempts, and one by an owning operator.
    async fn deletions(&mut self, kind: Kind, scale: usize) {
        let records = self.of_kind(kind);
        if records.len() < 2 {
            return;
        }
        for _ in 0..2 * scale {
            let actor = self.rng.below(self.model.users.len());
            let record = self.rng.pick(&records);
            self.delete(actor, record).await;
        }
        let live: Vec<usize> = records.into_iter().filter(|&r| !self.model.records[r].gone).collect();
        if live.len() >= 2 {
            let record = self.rng.pick(&live);
            let operator = self.user_of(self.model.records[record].owner, Role::Operator).unwrap_or_default();
            self.delete(operator, record).await;
        }
    }

    /// Positions in every zone tried and of every watch-list vessel tried, and one invalid
    /// MMSI; then waits for the alerts the model expects and learns their ids.
    async fn traffic(&mut self, zones: usize, entries: usize) {
        let mut messages = Vec::new();
        for k in 0..zones {
            let (lat, lon) = zone_corner(k);
            messages.push(position(ZONE_MMSI + k as u32, lat + 0.005, lon + 0.005, 10.0));
        }
        for k in 0..entries {
            messages.push(position(WATCH_MMSI + k as u32, 8.0 + 0.1 * k as f64, 87.0, 10.0));
        }
        messages.push(position(INVALID_MMSI, 7.5, 87.5, 10.0));
        let mut text = String::new();
        for m in &messages {
            for line in to_sentences(m, &SentenceOptions::default()) {
                text.push_str(&line);
                text.push_str("\r\n");
            }
        }
        self.model.vessels = (0..zones)
            .map(|k| ZONE_MMSI + k as u32)
            .chain((0..entries).map(|k| WATCH_MMSI + k as u32))
            .chain([INVALID_MMSI])
            .collect();
        let viewer = self.user_of(0, Role::Viewer).unwrap_or_default();
        let operator = self.user_of(0, Role::Operator).unwrap_or_default();
        for (actor, expected) in [(viewer, 403), (operator, 200)] {
            let reply = self.clients[actor]
                .send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", text.clone().into_bytes())))
                .await;
            self.expect(actor, "POST /api/v1/ais/sentences", expected, &reply);
        }

        // Zone alerts and watch-list hits belong to the zone's or entry's owner and carry its
        // releasability; the node's own detections belong to the first organization,
        // TLP:AMBER+STRICT, own organization.
        let mut expected: Vec<(&'static str, u32, usize, Rel)> = Vec::new();
        for r in &self.model.records {
            match (r.kind, r.gone) {
                (Kind::Zone, false) => expected.push(("zone_entry", r.mmsi, r.owner, r.rel.clone())),
                (Kind::Watch, false) => expected.push(("watchlist_hit", r.mmsi, r.owner, r.rel.clone())),
                _ => {}
            }
        }
        expected.push(("invalid_mmsi", INVALID_MMSI, 0, Rel::internal()));

        // Alerts are recorded after the reply: wait until every owner sees its own.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut missing = 0;
            for org in 0..self.model.orgs.len() {
                let mine: Vec<_> = expected.iter().filter(|e| e.2 == org).collect();
                if mine.is_empty() {
                    continue;
                }
                let reader = self.user_of(org, Role::Viewer).unwrap_or_default();
                let seen = self.clients[reader].get("/api/v1/alerts?limit=500").await.body;
                let seen: BTreeSet<(String, u64)> = seen["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        (a["kind"].as_str().unwrap_or_default().to_owned(), a["mmsi"].as_u64().unwrap_or_default())
                    })
                    .collect();
                missing += mine.iter().filter(|e| !seen.contains(&(e.0.to_owned(), u64::from(e.1)))).count();
            }
            if missing == 0 || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // A moment for any alert the model does not expect to show up too.
        tokio::time::sleep(Duration::from_millis(300)).await;

        // Every alert anyone sees; each must be one the model expects.
        let mut union: BTreeMap<String, Value> = BTreeMap::new();
        for u in 0..self.model.users.len() {
            let page = self.clients[u].get("/api/v1/alerts?limit=500").await.body;
            for a in page["items"].as_array().into_iter().flatten() {
                union.insert(a["id"].as_str().unwrap_or_default().to_owned(), a.clone());
            }
        }
        let seed = self.model.seed;
        let mut found = BTreeSet::new();
        for (id, a) in &union {
            let key = (a["kind"].as_str().unwrap_or_default(), a["mmsi"].as_u64().unwrap_or_default());
            let Some(e) = expected.iter().find(|e| (e.0, u64::from(e.1)) == key) else {
                self.tally.check(false, || format!("seed {seed}: an alert the model does not expect: {a}"));
                continue;
            };
            let first = found.insert(key);
            let owner_ok = a["owner"].as_str() == Some(&self.model.orgs[e.2].id);
            let (owner_name, rel_text) = (self.model.orgs[e.2].name.clone(), self.model.rel_text(&e.3));
            self.tally.check(first && owner_ok && e.3.matches(&a["releasability"]), || {
                format!(
                    "seed {seed}: alert {id} should be the only {} alert of vessel {} and belong to {owner_name} \
                     with [{rel_text}]: {a}",
                    e.0, e.1
                )
            });
            self.model.event("alert", id, "alert_raised", e.2, e.3.clone());
            self.model.records.push(Record {
                kind: Kind::Alert,
                id: id.clone(),
                owner: e.2,
                rel: e.3.clone(),
                gone: false,
                mmsi: e.1,
                alert_kind: e.0,
                status: "new",
                severity: 0,
                attachments: Vec::new(),
            });
        }
        for e in &expected {
            let seen = found.contains(&(e.0, u64::from(e.1)));
            let (owner_name, rel_text) = (self.model.orgs[e.2].name.clone(), self.model.rel_text(&e.3));
            self.tally.check(seen, || {
                format!(
                    "seed {seed}: no {} alert for vessel {} (owner {owner_name}, [{rel_text}]) within 20 s",
                    e.0, e.1
                )
            });
        }
    }

    /// Acknowledge, dismiss, escalate: owning operators only.
    /// Status moves and comments on incidents by random users, most from the owner.
    async fn incident_actions(&mut self, scale: usize) {
        let incidents = self.of_kind(Kind::Incident);
        if incidents.is_empty() {
            return;
        }
        for n in 0..6 + 3 * scale {
            let record = self.rng.pick(&incidents);
            let owner = self.model.records[record].owner;
            let actor = if self.rng.percent(70) {
                self.rng.pick(&self.users_of(owner))
            } else {
                self.rng.below(self.model.users.len())
            };
            // The first is evidence attached by the owner's operator, so every run has some.
            let actor = if n == 0 { self.user_of(owner, Role::Operator).unwrap_or(actor) } else { actor };
            let r = &self.model.records[record];
            if n == 0 || self.rng.percent(25) {
                // Evidence: plain text, unique per attempt.
                let content = format!("evidence {n} of seed {}", self.model.seed);
                let path = format!("/api/v1/incidents/{}/attachments?name=e{n}.txt", r.id);
                let expected = self.model.change_status(&self.model.users[actor], r, None, 201);
                let what = format!("POST {path} ({})", self.model.record_text(r));
                let reply = self.clients[actor]
                    .send(reqwest::Method::POST, &path, Some(("text/plain", content.clone().into_bytes())))
                    .await;
                self.expect(actor, &what, expected, &reply);
                if reply.status == 201 {
                    let sha = reply.body["sha256"].as_str().unwrap_or_default().to_owned();
                    let r = &mut self.model.records[record];
                    r.attachments.push((sha, content));
                    let (id, rel) = (r.id.clone(), r.rel.clone());
                    self.model.event("incident", &id, "record", owner, rel);
                }
                continue;
            }
            let (path, body, ok, status) = if self.rng.percent(60) {
                let to = self.rng.pick(&INCIDENT_STATUSES);
                let from = INCIDENT_STATUSES.iter().position(|s| *s == r.status).unwrap_or(0);
                let target = INCIDENT_STATUSES.iter().position(|s| *s == to).unwrap_or(0);
                // Forward, or from resolved back to investigating; closed is final.
                let allowed = (target > from && from < 4) || (from == 3 && target == 2);
                (
                    format!("/api/v1/incidents/{}/status", r.id),
                    json!({"status": to}),
                    if allowed { 200 } else { 422 },
                    to,
                )
            } else {
                (format!("/api/v1/incidents/{}/comments", r.id), json!({"text": format!("comment {n}")}), 201, r.status)
            };
            let expected = self.model.change_status(&self.model.users[actor], r, None, ok);
            let what = format!("POST {path} ({})", self.model.record_text(r));
            let reply = self.clients[actor].post(&path, &body).await;
            self.expect(actor, &what, expected, &reply);
            if reply.status == 200 || reply.status == 201 {
                let r = &mut self.model.records[record];
                r.status = status;
                let (id, rel) = (r.id.clone(), r.rel.clone());
                self.model.event("incident", &id, "record", owner, rel);
            }
        }
    }

    async fn alert_actions(&mut self, scale: usize) {
        let alerts = self.of_kind(Kind::Alert);
        if alerts.is_empty() {
            return;
        }
        for _ in 0..3 + 2 * scale {
            let record = self.rng.pick(&alerts);
            let owner = self.model.records[record].owner;
            let actor = if self.rng.percent(60) {
                self.rng.pick(&self.users_of(owner))
            } else {
                self.rng.below(self.model.users.len())
            };
            let (action, body, status, change) = match self.rng.below(3) {
                0 => ("acknowledge", json!({}), "acknowledged", "alert_acknowledged"),
                1 => ("dismiss", json!({"reason": "model says so"}), "dismissed", "alert_dismissed"),
                _ => ("escalate", json!({"note": "to the duty officer"}), "escalated", "alert_escalated"),
            };
            let r = &self.model.records[record];
            // Status moves only forward: an allowed action on an alert past it is a conflict.
            let forward = matches!(
                (r.status, status),
                ("new", "acknowledged" | "dismissed" | "escalated") | ("acknowledged", "dismissed" | "escalated")
            );
            let expected = self.model.change_status(&self.model.users[actor], r, None, if forward { 200 } else { 409 });
            let what = format!("POST {action} {}", self.model.record_text(r));
            let reply = self.clients[actor].post(&format!("/api/v1/alerts/{}/{action}", r.id), &body).await;
            self.expect(actor, &what, expected, &reply);
            if reply.status == 200 {
                let r = &mut self.model.records[record];
                r.status = status;
                let (id, rel) = (r.id.clone(), r.rel.clone());
                self.model.event("alert", &id, change, owner, rel);
            }
        }
    }
}

fn zone_corner(k: usize) -> (f64, f64) {
    // Open sea in the Bay of Bengal, one 0.01° square per zone.
    (10.0 + 0.1 * k as f64, 88.0)
}

fn zone_feature(k: usize) -> Value {
    let (lat, lon) = zone_corner(k);
    let ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]];
    json!({"type": "Feature", "properties": {"name": format!("zone {k}"), "kind": "restricted"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}})
}

// ---------------------------------------------------------------------------------------------
// Reads.

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().map(str::to_owned).unwrap_or_else(|| v["id"].to_string())
}

/// Reads every user's event log to learn the events' ids: each event anyone sees must be one
/// the model expects, in the model's order per record, and every expected one must be seen.
async fn learn_events(node: &TestNode, model: &mut Model, tally: &mut Tally) {
    let mut union: BTreeMap<String, Value> = BTreeMap::new();
    for u in &model.users {
        let client = Client::new(node, Some(&u.token));
        let mut after: Option<String> = None;
        for _ in 0..1_000 {
            let query = after.as_deref().map_or_else(String::new, |a| format!("&after={}", enc(a)));
            let page = client.get(&format!("/api/v1/events?limit=500{query}")).await;
            assert_eq!(page.status, 200, "{:?}", page.body);
            for e in page.body["items"].as_array().into_iter().flatten() {
                // Keep a copy with its position when some reader (a node administrator) has one.
                let known = union.get(&id_of(e)).is_some_and(|k| k["position"].is_i64());
                if !known {
                    union.insert(id_of(e), e.clone());
                }
            }
            after = cursor(&page.body);
            if after.is_none() {
                break;
            }
        }
    }
    // Per record, in log order (position, else id).
    let mut seen: BTreeMap<(String, String), Vec<&Value>> = BTreeMap::new();
    for e in union.values() {
        let key = (
            e["record_type"].as_str().unwrap_or_default().to_owned(),
            e["record_id"].as_str().unwrap_or_default().to_owned(),
        );
        seen.entry(key).or_default().push(e);
    }
    for list in seen.values_mut() {
        list.sort_by_key(|e| (e["position"].as_i64().unwrap_or(i64::MAX), id_of(e)));
    }
    let mut wanted: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, e) in model.events.iter().enumerate() {
        wanted.entry((e.record_type.to_owned(), e.record_id.clone())).or_default().push(i);
    }
    // Each event seen is the first unmatched one of its record the model expects with the same
    // change, author and releasability.
    let seed = model.seed;
    for (key, got) in &seen {
        let mut expected = wanted.get(key).cloned().unwrap_or_default();
        for e in got {
            let found = expected.iter().position(|&i| {
                let m = &model.events[i];
                e["payload"]["type"].as_str().is_none_or(|c| c == m.change)
                    && e["author_organization"].as_str() == Some(&model.orgs[m.author].id)
                    && m.rel.matches(&e["releasability"])
            });
            let Some(k) = found else {
                tally.check(false, || format!("seed {seed}: an event the model does not expect: {e}"));
                continue;
            };
            tally.checks += 1;
            model.events[expected.remove(k)].id = Some(id_of(e));
        }
    }
    for m in &model.events {
        tally.check(m.id.is_some(), || format!("seed {seed}: nobody sees {}", model.event_text(m)));
    }
}

fn cursor(page: &Value) -> Option<String> {
    match &page["next"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

async fn reads(node: &TestNode, mut model: Model, tally: &mut Tally) -> Arc<Model> {
    learn_events(node, &mut model, tally).await;
    let model = Arc::new(model);
    let seed = model.seed;

    // The table covers exactly the GET operations the API documents.
    let any = Client::new(node, Some(&model.users[0].token));
    let doc = any.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, 200, "openapi.json");
    let documented: BTreeSet<String> = doc.body["paths"]
        .as_object()
        .unwrap_or_else(|| panic!("no paths in the OpenAPI document"))
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(path, _)| path.clone())
        .collect();
    let tabled: BTreeSet<String> = READS.iter().map(|(p, _, _)| (*p).to_owned()).collect();
    let untested: Vec<&String> = documented.difference(&tabled).collect();
    assert!(
        untested.is_empty(),
        "GET operations in the OpenAPI document that authz_model.rs does not check: {untested:?}; \
         add each to READS with how its visibility is checked"
    );
    let stale: Vec<&String> = tabled.difference(&documented).collect();
    assert!(stale.is_empty(), "READS in authz_model.rs names GET operations the API no longer has: {stale:?}");

    // Without a token, every read is refused.
    let anonymous = Client::new(node, None);
    let unknown = uuid::Uuid::now_v7().to_string();
    for (path, _, _) in READS {
        let path = path.replace("{id}", &unknown).replace("{mmsi}", &INVALID_MMSI.to_string());
        let reply = anonymous.get(&path).await;
        tally.check(reply.status == 401, || {
            format!("seed {seed}: anonymous GET {path}: expected 401, got {}", reply.status)
        });
    }

    // Every user, every read, concurrently per user.
    let all_users = std::env::var("HL_AUTHZ_ALL_USERS").is_ok_and(|v| v == "1");
    let mut tasks = tokio::task::JoinSet::new();
    for user in 0..model.users.len() {
        let reader = Reader {
            model: model.clone(),
            user,
            client: Client::new(node, Some(&model.users[user].token)),
            rng: Rng(seed ^ (user as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407)),
            tally: Tally::default(),
            all_users,
        };
        tasks.spawn(reader.run());
    }
    while let Some(done) = tasks.join_next().await {
        let t = done.unwrap_or_else(|e| panic!("reader task: {e}"));
        tally.checks += t.checks;
        tally.failures.extend(t.failures);
    }
    model
}

struct Reader {
    model: Arc<Model>,
    user: usize,
    client: Client,
    rng: Rng,
    tally: Tally,
    /// Every user reads every id (else one user per organization and id).
    all_users: bool,
}

impl Reader {
    /// Whether this user reads item `item` of operation `op`. Every organization reads every
    /// id; by default through one of its users chosen from the seed per operation and id (so
    /// each role reads about a quarter of them), with `HL_AUTHZ_ALL_USERS=1` through all.
    fn mine(&self, op: &str, item: usize) -> bool {
        if self.all_users {
            return true;
        }
        let salt = op.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3));
        let mut rng = Rng(self.model.seed ^ salt ^ (item as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Role::ALL[rng.below(Role::ALL.len())] == self.model.users[self.user].role
    }

    /// The items of `op`, out of `count`, this user reads (see [`Reader::mine`]).
    fn picked(&self, op: &str, count: usize) -> Vec<usize> {
        (0..count).filter(|&i| self.mine(op, i)).collect()
    }

    async fn run(mut self) -> Tally {
        for (path, read, _) in READS {
            self.read(path, *read).await;
        }
        self.tally
    }

    fn fail(&mut self, op: &str, message: String) {
        let (seed, who) = (self.model.seed, self.model.who(self.user));
        self.tally.check(false, || format!("seed {seed}: {who}: GET {op}: {message}"));
    }

    fn ok(&mut self) {
        self.tally.checks += 1;
    }

    fn org(&self) -> usize {
        self.model.users[self.user].org
    }

    fn sees(&self, r: &Record) -> bool {
        !r.gone && self.model.sees(self.org(), r.owner, &r.rel)
    }

    /// Pages through a listing with a random small `limit`; `None` after reporting a failure.
    async fn list(&mut self, op: &str, path: &str, query: &str, limit: usize) -> Option<Vec<Value>> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        let mut cursors = BTreeSet::new();
        loop {
            let mut url = format!("{path}?limit={limit}");
            if !query.is_empty() {
                url.push('&');
                url.push_str(query);
            }
            if let Some(a) = &after {
                url.push_str(&format!("&after={}", enc(a)));
            }
            let page = self.client.get(&url).await;
            if page.status != 200 {
                self.fail(op, format!("{url}: expected 200, got {} {}", page.status, page.body));
                return None;
            }
            // A bare array is a whole, unpaged listing.
            if let Some(all) = page.body.as_array() {
                return Some(all.clone());
            }
            let got = page.body["items"].as_array().cloned().unwrap_or_default();
            if got.len() > limit {
                self.fail(op, format!("{url}: {} items for limit {limit}", got.len()));
            }
            items.extend(got);
            after = cursor(&page.body);
            match &after {
                None => return Some(items),
                Some(a) if !cursors.insert(a.clone()) => {
                    self.fail(op, format!("{url}: the cursor {a} repeats"));
                    return Some(items);
                }
                Some(_) => {}
            }
        }
    }

    /// Compares the ids a listing returned with the records the model expects, exactly.
    fn compare(&mut self, op: &str, got: &[Value], expected: &[&Record]) {
        let mut ids = BTreeSet::new();
        for item in got {
            let id = id_of(item);
            if !ids.insert(id.clone()) {
                self.fail(op, format!("{id} listed twice"));
            }
        }
        for r in expected {
            if ids.remove(&r.id) {
                self.ok();
            } else {
                let text = self.model.record_text(r);
                self.fail(op, format!("missing {text}, which the model says is visible"));
            }
        }
        for id in ids {
            let text = self.model.records.iter().find(|r| r.id == id).map(|r| self.model.record_text(r));
            match text {
                Some(text) => self.fail(op, format!("LEAK: lists {text}, which the model says is not visible")),
                None => self.fail(op, format!("lists {id}, which the model does not know")),
            }
        }
    }

    /// A single-record read: 200 iff visible, else the same 404 as for an unknown id.
    async fn detail(&mut self, op: &str, path: &str, visible: bool, what: &str, unknown: &Value) -> Option<Value> {
        let reply = self.client.get(path).await;
        match (visible, reply.status) {
            (true, 200) => {
                self.ok();
                return Some(reply.body);
            }
            (false, 404) if &reply.body == unknown => self.ok(),
            (false, 404) => {
                self.fail(op, format!("{what}: its 404 differs from an unknown id's: {} vs {unknown}", reply.body))
            }
            (true, s) => self.fail(op, format!("{what}: visible per the model, expected 200, got {s} {}", reply.body)),
            (false, s) => {
                self.fail(op, format!("LEAK: {what}: invisible per the model, expected 404, got {s} {}", reply.body))
            }
        }
        None
    }

    /// An event shown to a reader its record is not released to (a node administrator) must
    /// not carry the change.
    fn change_withheld(&mut self, op: &str, e: &ModelEvent, shown: &Value) {
        let org = self.org();
        if !self.model.sees(org, e.author, &e.rel) {
            let withheld = shown.get("payload").is_none_or(Value::is_null);
            if withheld {
                self.ok();
            } else {
                let text = self.model.event_text(e);
                self.fail(op, format!("LEAK: shows the change of {text}, not released to it: {shown}"));
            }
        }
    }

    /// The 404 of an id that never existed.
    async fn unknown(&mut self, op: &str, path: &str) -> Value {
        let reply = self.client.get(path).await;
        if reply.status == 404 {
            self.ok();
        } else {
            self.fail(op, format!("{path}: an unknown id answers {} {}", reply.status, reply.body));
        }
        reply.body
    }

    async fn records_detail(&mut self, op: &str, kind: Kind, owner_field: &str) {
        let template = op.replace("{id}", "");
        let unknown = self.unknown(op, &format!("{template}{}", uuid::Uuid::now_v7())).await;
        let model = self.model.clone();
        let picked = self.picked(op, model.records.len());
        for r in picked.into_iter().map(|i| &model.records[i]).filter(|r| r.kind == kind) {
            let text = model.record_text(r);
            let body = self.detail(op, &format!("{template}{}", r.id), self.sees(r), &text, &unknown).await;
            if let Some(body) = body {
                let same = id_of(&body) == r.id
                    && body[owner_field].as_str() == Some(&model.orgs[r.owner].id)
                    && r.rel.matches(&body["releasability"])
                    && (kind != Kind::Alert || body["status"].as_str() == Some(r.status));
                if !same {
                    self.fail(op, format!("{text}: the server's copy differs: {body}"));
                }
            }
        }
    }

    async fn read(&mut self, op: &str, read: Read) {
        let model = self.model.clone();
        let me = &model.users[self.user];
        let org = &model.orgs[me.org];
        match read {
            Read::Me => {
                let reply = self.client.get(op).await;
                if reply.status == 200
                    && reply.body["user"]["id"].as_str() == Some(&me.id)
                    && reply.body["organization"]["id"].as_str() == Some(&org.id)
                {
                    self.ok();
                } else {
                    self.fail(op, format!("expected the caller's own user and organization, got {:?}", reply.body));
                }
            }
            Read::Organizations => {
                let limit = 1 + self.rng.below(6);
                let Some(got) = self.list(op, op, "", limit).await else { return };
                let got: BTreeSet<String> = got.iter().map(id_of).collect();
                let all: BTreeSet<String> = model.orgs.iter().map(|o| o.id.clone()).collect();
                if got == all {
                    self.ok();
                } else {
                    self.fail(op, format!("expected every organization {all:?}, got {got:?}"));
                }
            }
            Read::Organization => {
                let base = "/api/v1/organizations/";
                let unknown = self.unknown(op, &format!("{base}{}", uuid::Uuid::now_v7())).await;
                for o in self.picked(op, model.orgs.len()).into_iter().map(|i| &model.orgs[i]) {
                    let body = self.detail(op, &format!("{base}{}", o.id), true, &o.name, &unknown).await;
                    if body.is_some_and(|b| id_of(&b) != o.id) {
                        self.fail(op, format!("{}: another organization returned", o.name));
                    }
                }
            }
            Read::OrganizationUsers => {
                let path = |id: &str| format!("/api/v1/organizations/{id}/users");
                let unknown = self.unknown(op, &path(&uuid::Uuid::now_v7().to_string())).await;
                for i in self.picked(op, model.orgs.len()) {
                    let o = &model.orgs[i];
                    let what = format!("users of {}", o.name);
                    let body = self.detail(op, &path(&o.id), i == me.org, &what, &unknown).await;
                    if let Some(body) = body {
                        let items = body.as_array().or_else(|| body["items"].as_array()).cloned().unwrap_or_default();
                        let got: BTreeSet<String> = items.iter().map(id_of).collect();
                        if got != model.members[i] {
                            self.fail(op, format!("{what}: expected {:?}, got {got:?}", model.members[i]));
                        }
                    }
                }
            }
            Read::UserTokens => {
                let path = |id: &str| format!("/api/v1/users/{id}/tokens");
                let unknown = self.unknown(op, &path(&uuid::Uuid::now_v7().to_string())).await;
                for i in self.picked(op, model.users.len()) {
                    let u = &model.users[i];
                    let what = format!("tokens of a {} of {}", u.role.as_str(), model.orgs[u.org].name);
                    if u.org == me.org && u.id != me.id && me.role != Role::Administrator {
                        let reply = self.client.get(&path(&u.id)).await;
                        if reply.status == 403 {
                            self.ok();
                        } else {
                            self.fail(op, format!("{what}: expected 403, got {} {}", reply.status, reply.body));
                        }
                        continue;
                    }
                    let Some(body) = self.detail(op, &path(&u.id), u.org == me.org, &what, &unknown).await else {
                        continue;
                    };
                    let items = body.as_array().cloned().unwrap_or_default();
                    let foreign = items.iter().any(|t| t["user"].as_str() != Some(u.id.as_str()));
                    let secret = items.iter().any(|t| t.get("secret").is_some());
                    if items.is_empty() || foreign || secret {
                        self.fail(op, format!("{what}: expected the user's own tokens without secrets, got {body}"));
                    }
                }
            }
            Read::Advisories | Read::Alerts => {
                let kind = if read == Read::Advisories { Kind::Advisory } else { Kind::Alert };
                let limit = 1 + self.rng.below(10);
                if let Some(got) = self.list(op, op, "", limit).await {
                    let expected: Vec<&Record> =
                        model.records.iter().filter(|r| r.kind == kind && self.sees(r)).collect();
                    self.compare(op, &got, &expected);
                }
                if read == Read::Alerts {
                    self.alert_filters(op).await;
                }
            }
            Read::Advisory => self.records_detail(op, Kind::Advisory, "owner_organization").await,
            Read::Incident => self.records_detail(op, Kind::Incident, "owner_organization").await,
            Read::Incidents => {
                let limit = 1 + self.rng.below(10);
                if let Some(got) = self.list(op, op, "", limit).await {
                    let expected: Vec<&Record> =
                        model.records.iter().filter(|r| r.kind == Kind::Incident && self.sees(r)).collect();
                    self.compare(op, &got, &expected);
                    // Newest first.
                    let ids: Vec<String> = got.iter().map(id_of).collect();
                    if !ids.windows(2).all(|w| w[0] > w[1]) {
                        self.fail(op, format!("not newest first: {ids:?}"));
                    }
                }
                self.incident_filters(op).await;
            }
            Read::IncidentAudience | Read::IncidentReads => {
                let path = |id: &str| op.replace("{id}", id);
                let unknown = self.unknown(op, &path(&uuid::Uuid::now_v7().to_string())).await;
                for r in self.picked(op, model.records.len()).into_iter().map(|i| &model.records[i]) {
                    if r.kind != Kind::Incident {
                        continue;
                    }
                    let text = model.record_text(r);
                    let allowed =
                        r.owner == me.org && (read == Read::IncidentAudience || me.role == Role::Administrator);
                    if self.sees(r) && !allowed {
                        let reply = self.client.get(&path(&r.id)).await;
                        if reply.status == 403 {
                            self.ok();
                        } else {
                            self.fail(op, format!("{text}: expected 403, got {} {}", reply.status, reply.body));
                        }
                        continue;
                    }
                    let Some(body) = self.detail(op, &path(&r.id), self.sees(r), &text, &unknown).await else {
                        continue;
                    };
                    let readers: BTreeSet<String> = (0..model.orgs.len())
                        .filter(|&o| model.sees(o, r.owner, &r.rel))
                        .map(|o| model.orgs[o].id.clone())
                        .collect();
                    if read == Read::IncidentAudience {
                        let got: BTreeSet<String> = body.as_array().into_iter().flatten().map(id_of).collect();
                        if got != readers {
                            self.fail(op, format!("{text}: audience {got:?}, the model says {readers:?}"));
                        }
                    } else {
                        // Reads happen only through reads the policy allowed; the release may have
                        // been narrowed since, so a reader is any organization, never an unknown one.
                        let known: BTreeSet<&str> = model.orgs.iter().map(|o| o.id.as_str()).collect();
                        let strangers: Vec<&Value> = body["items"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|read| read["organization"].as_str().is_some_and(|o| !known.contains(o)))
                            .collect();
                        if !strangers.is_empty() {
                            self.fail(op, format!("{text}: reads by unknown organizations: {strangers:?}"));
                        }
                    }
                }
            }
            Read::IncidentAttachments | Read::IncidentAttachment => {
                let unknown_id = uuid::Uuid::now_v7().to_string();
                let unknown_path = if read == Read::IncidentAttachments {
                    op.replace("{id}", &unknown_id)
                } else {
                    op.replace("{id}", &unknown_id).replace("{sha256}", &"0".repeat(64))
                };
                let unknown = self.unknown(op, &unknown_path).await;
                for r in self.picked(op, model.records.len()).into_iter().map(|i| &model.records[i]) {
                    if r.kind != Kind::Incident {
                        continue;
                    }
                    let text = model.record_text(r);
                    if read == Read::IncidentAttachments {
                        let path = op.replace("{id}", &r.id);
                        let Some(body) = self.detail(op, &path, self.sees(r), &text, &unknown).await else { continue };
                        let got: Vec<&str> =
                            body.as_array().into_iter().flatten().filter_map(|a| a["sha256"].as_str()).collect();
                        let expected: Vec<&str> = r.attachments.iter().map(|(sha, _)| sha.as_str()).collect();
                        if got != expected {
                            self.fail(op, format!("{text}: attachments {got:?}, the model says {expected:?}"));
                        }
                        continue;
                    }
                    for (sha, content) in &r.attachments {
                        let path = op.replace("{id}", &r.id).replace("{sha256}", sha);
                        let (status, _, bytes) = self.client.http_get_bytes(&path).await;
                        match (self.sees(r), status) {
                            (true, 200) if bytes == content.as_bytes() => self.ok(),
                            (false, 404) => {
                                let reply = self.client.get(&path).await;
                                if reply.body == unknown {
                                    self.ok();
                                } else {
                                    self.fail(op, format!("{text}: a hidden attachment's 404 differs: {}", reply.body));
                                }
                            }
                            (true, _) => self.fail(op, format!("{text}: attachment {sha}: {status}, or other content")),
                            (false, _) => self.fail(op, format!("LEAK: {text}: attachment {sha} answered {status}")),
                        }
                    }
                }
            }
            Read::IncidentTimeline => {
                let path = |id: &str| format!("/api/v1/incidents/{id}/timeline");
                let unknown = self.unknown(op, &path(&uuid::Uuid::now_v7().to_string())).await;
                for r in self.picked(op, model.records.len()).into_iter().map(|i| &model.records[i]) {
                    if r.kind != Kind::Incident {
                        continue;
                    }
                    let text = model.record_text(r);
                    let Some(body) = self.detail(op, &path(&r.id), self.sees(r), &text, &unknown).await else {
                        continue;
                    };
                    let got: Vec<String> = body
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|e| e["event"].as_str().unwrap_or("").to_owned())
                        .collect();
                    let expected: Vec<String> = model
                        .events
                        .iter()
                        .filter(|e| e.record_type == "incident" && e.record_id == r.id)
                        .filter_map(|e| e.id.clone())
                        .collect();
                    if got != expected {
                        self.fail(op, format!("{text}: timeline {got:?}, the model says {expected:?}"));
                    }
                }
            }
            Read::Alert => self.records_detail(op, Kind::Alert, "owner").await,
            Read::Zone => self.records_detail(op, Kind::Zone, "owner").await,
            Read::Zones | Read::Watchlist => {
                let kind = if read == Read::Zones { Kind::Zone } else { Kind::Watch };
                let limit = 1 + self.rng.below(6);
                let Some(got) = self.list(op, op, "", limit).await else { return };
                let expected: Vec<&Record> = model.records.iter().filter(|r| r.kind == kind && self.sees(r)).collect();
                self.compare(op, &got, &expected);
            }
            Read::Events => {
                // Larger pages for the longer log.
                let limit = 8 + self.rng.below(40);
                let Some(got) = self.list(op, op, "", limit).await else { return };
                let mut ids: BTreeMap<String, &Value> = BTreeMap::new();
                for e in &got {
                    if ids.insert(id_of(e), e).is_some() {
                        self.fail(op, format!("{} listed twice", id_of(e)));
                    }
                }
                for e in &model.events {
                    let Some(id) = &e.id else { continue };
                    let visible = model.sees_event(self.user, e);
                    let listed = ids.remove(id);
                    if let Some(shown) = listed {
                        self.change_withheld(op, e, shown);
                    }
                    match (visible, listed.is_some()) {
                        (true, true) | (false, false) => self.ok(),
                        (true, false) => {
                            self.fail(op, format!("missing {}, visible per the model", model.event_text(e)))
                        }
                        (false, true) => {
                            self.fail(op, format!("LEAK: lists {}, invisible per the model", model.event_text(e)))
                        }
                    }
                }
                for id in ids.into_keys() {
                    self.fail(op, format!("lists event {id}, which the model does not know"));
                }
            }
            Read::Event => {
                let base = "/api/v1/events/";
                let unknown = self.unknown(op, &format!("{base}{}", uuid::Uuid::now_v7())).await;
                for e in self.picked(op, model.events.len()).into_iter().map(|i| &model.events[i]) {
                    let Some(id) = &e.id else { continue };
                    let visible = model.sees_event(self.user, e);
                    let body = self.detail(op, &format!("{base}{id}"), visible, &model.event_text(e), &unknown).await;
                    if let Some(body) = body {
                        if &id_of(&body) != id {
                            self.fail(op, format!("{}: another event returned", model.event_text(e)));
                        }
                        self.change_withheld(op, e, &body);
                    }
                }
            }
            Read::Vessels => {
                let reply = self.client.get(op).await;
                let got: BTreeSet<u64> =
                    reply.body["items"].as_array().into_iter().flatten().filter_map(|v| v["mmsi"].as_u64()).collect();
                let all: BTreeSet<u64> = model.vessels.iter().map(|m| u64::from(*m)).collect();
                let total = reply.body["total_in_picture"].as_u64();
                if reply.status == 200 && got == all && total == Some(all.len() as u64) {
                    self.ok();
                } else {
                    self.fail(op, format!("expected every vessel {all:?}, got {} {}", reply.status, reply.body));
                }
            }
            Read::Vessel | Read::VesselTrack => {
                let path = |mmsi: u32| op.replace("{mmsi}", &mmsi.to_string());
                let unknown = self.unknown(op, &path(UNKNOWN_MMSI)).await;
                // No visibility to check: a few vessels per user, every vessel over all users.
                let vessels: Vec<u32> = model.vessels.iter().copied().collect();
                let sample: BTreeSet<u32> = (0..3).map(|_| self.rng.pick(&vessels)).collect();
                for mmsi in sample {
                    let body = self.detail(op, &path(mmsi), true, &format!("vessel {mmsi}"), &unknown).await;
                    if let Some(b) = body {
                        let got = if read == Read::Vessel { b["mmsi"].as_u64() } else { b["id"].as_u64() };
                        if got != Some(u64::from(mmsi)) {
                            self.fail(op, format!("vessel {mmsi}: another vessel returned: {b}"));
                        }
                    }
                }
            }
            Read::Feeds => {
                let reply = self.client.get(op).await;
                if reply.status == 200 && reply.body.is_array() {
                    self.ok();
                } else {
                    self.fail(op, format!("expected 200 and a list, got {} {}", reply.status, reply.body));
                }
            }
            // Endless: the anonymous 401 above is all this test asks of it.
            Read::Stream => {}
        }
    }

    /// Filters of the incident listing return exactly the visible incidents that match (four
    /// at random per user).
    async fn incident_filters(&mut self, op: &str) {
        let model = self.model.clone();
        let incidents: Vec<&Record> = model.records.iter().filter(|r| r.kind == Kind::Incident).collect();
        type Filter = Box<dyn Fn(&Record) -> bool + Send + Sync>;
        let mut filters: Vec<(String, Filter)> = Vec::new();
        for category in INCIDENT_CATEGORIES {
            filters.push((format!("category={category}"), Box::new(move |r: &Record| r.alert_kind == category)));
        }
        for status in INCIDENT_STATUSES {
            filters.push((format!("status={status}"), Box::new(move |r: &Record| r.status == status)));
        }
        filters.push((
            String::from("status=reported,closed"),
            Box::new(|r: &Record| matches!(r.status, "reported" | "closed")),
        ));
        for (i, severity) in INCIDENT_SEVERITIES.iter().enumerate() {
            filters.push((format!("severity={severity}"), Box::new(move |r: &Record| r.severity >= i)));
        }
        if let Some(r) = incidents.first() {
            let mmsi = r.mmsi;
            filters.push((format!("mmsi={mmsi}"), Box::new(move |r: &Record| r.mmsi == mmsi)));
        }
        filters.push((String::from("bbox=-90,0,90,-0.000001"), Box::new(|_: &Record| true)));
        filters.push((String::from("bbox=-50,-130,-49,-129"), Box::new(|_: &Record| false)));
        let mut chosen = Vec::new();
        while chosen.len() < 4 && !filters.is_empty() {
            let i = self.rng.below(filters.len());
            chosen.push(filters.swap_remove(i));
        }
        for (query, keep) in chosen {
            let label = format!("{op}?{query}");
            let limit = 3 + self.rng.below(10);
            if let Some(got) = self.list(&label, op, &query, limit).await {
                let expected: Vec<&Record> = incidents.iter().copied().filter(|r| self.sees(r) && keep(r)).collect();
                self.compare(&label, &got, &expected);
            }
        }
    }

    /// Every filter of the alert listing returns exactly the visible alerts that match it (six
    /// filters at random per user).
    async fn alert_filters(&mut self, op: &str) {
        let model = self.model.clone();
        let alerts: Vec<&Record> = model.records.iter().filter(|r| r.kind == Kind::Alert).collect();
        type Filter = Box<dyn Fn(&Record) -> bool + Send + Sync>;
        let mut filters: Vec<(String, Filter)> = Vec::new();
        for kind in ALERT_KINDS {
            filters.push((format!("kind={kind}"), Box::new(move |r: &Record| r.alert_kind == kind)));
        }
        for status in ALERT_STATUSES {
            filters.push((format!("status={status}"), Box::new(move |r: &Record| r.status == status)));
        }
        let known: Vec<u32> = alerts.iter().map(|r| r.mmsi).collect();
        let mut mmsis: BTreeSet<u32> = BTreeSet::from([UNKNOWN_MMSI]);
        for _ in 0..3.min(known.len()) {
            mmsis.insert(self.rng.pick(&known));
        }
        for mmsi in mmsis {
            filters.push((format!("mmsi={mmsi}"), Box::new(move |r: &Record| r.mmsi == mmsi)));
        }
        let kind = self.rng.pick(&ALERT_KINDS);
        let status = self.rng.pick(&ALERT_STATUSES);
        filters.push((
            format!("kind={kind}&status={status}"),
            Box::new(move |r: &Record| r.alert_kind == kind && r.status == status),
        ));
        filters.push((String::from("since=2000-01-01T00:00:00Z"), Box::new(|_: &Record| true)));
        filters.push((String::from("since=2999-01-01T00:00:00Z"), Box::new(|_: &Record| false)));
        // The area filter over the whole world (one box across the antimeridian too) is exactly
        // the visible alerts; over the open South Pacific, none; a zone nobody defined, none.
        filters.push((String::from("bbox=-90,-180,90,180"), Box::new(|_: &Record| true)));
        filters.push((String::from("bbox=-90,0,90,-0.000001"), Box::new(|_: &Record| true)));
        filters.push((String::from("bbox=-50,-130,-49,-129"), Box::new(|_: &Record| false)));
        filters.push((format!("zone={}", uuid::Uuid::now_v7()), Box::new(|_: &Record| false)));
        // Six per user: over all users, every filter.
        let mut chosen = Vec::new();
        while chosen.len() < 6 && !filters.is_empty() {
            let i = self.rng.below(filters.len());
            chosen.push(filters.swap_remove(i));
        }
        for (query, keep) in chosen {
            let label = format!("{op}?{query}");
            let limit = 3 + self.rng.below(10);
            if let Some(got) = self.list(&label, op, &query, limit).await {
                let expected: Vec<&Record> = alerts.iter().copied().filter(|r| self.sees(r) && keep(r)).collect();
                self.compare(&label, &got, &expected);
            }
        }
    }
}

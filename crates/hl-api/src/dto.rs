//! The API's wire shapes. Kept apart from domain and storage types and converted by hand, so the
//! API can stay stable while those change.

use hl_events::AdvisorySeverity;
use hl_store::{Advisory, Organization, TokenRecord, User};
use hl_types::{
    CommunityName, EventId, Nation, NodeId, OrgId, OrgKind, RecordId, Releasability, Role, TokenId, UserId,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// RFC 3339 UTC text for microseconds since the epoch.
pub fn rfc3339(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).map(|t| t.to_string()).unwrap_or_default()
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    pub nation: Nation,
    pub communities: Vec<CommunityName>,
    /// RFC 3339 UTC.
    pub registered_at: String,
}

impl From<Organization> for OrganizationView {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id,
            name: o.name,
            kind: o.kind,
            nation: o.nation,
            communities: o.communities.into_iter().collect(),
            registered_at: rfc3339(o.registered_at_us),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub organization: OrgId,
    pub name: String,
    pub role: Role,
    pub created_at: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self { id: u.id, organization: u.org, name: u.name, role: u.role, created_at: rfc3339(u.created_at_us) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: TokenId,
    pub user: UserId,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl From<TokenRecord> for TokenView {
    fn from(t: TokenRecord) -> Self {
        Self {
            id: t.id,
            user: t.user,
            label: t.label,
            created_at: rfc3339(t.created_at_us),
            revoked_at: t.revoked_at_us.map(rfc3339),
        }
    }
}

/// A token together with its secret, returned once at creation.
#[derive(Serialize, ToSchema)]
pub struct IssuedTokenView {
    pub token: TokenView,
    /// The bearer secret. It is shown only in this response and cannot be retrieved again.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub organization: OrganizationView,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*$"
    )]
    pub name: String,
    pub role: Role,
}

#[derive(Serialize, ToSchema)]
pub struct NewUserView {
    pub user: UserView,
    pub token: IssuedTokenView,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*$"
    )]
    pub label: String,
}

#[derive(Serialize, ToSchema)]
pub struct AdvisoryView {
    pub id: RecordId,
    pub owner_organization: OrgId,
    pub title: String,
    pub body: String,
    pub severity: AdvisorySeverity,
    pub releasability: Releasability,
    pub published_at: String,
    pub revised_at: String,
    pub revision: i64,
}

impl From<Advisory> for AdvisoryView {
    fn from(a: Advisory) -> Self {
        Self {
            id: a.id,
            owner_organization: a.owner_org,
            title: a.title,
            body: a.body,
            severity: a.severity,
            releasability: a.releasability,
            published_at: rfc3339(a.published_at_us),
            revised_at: rfc3339(a.revised_at_us),
            revision: a.revision,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdvisory {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*$"
    )]
    pub title: String,
    #[serde(default)]
    #[schema(
        max_length = 20000,
        pattern = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub body: String,
    pub severity: AdvisorySeverity,
    pub releasability: Releasability,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvisoryPatchBody {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*$"
    )]
    pub title: Option<String>,
    #[schema(
        max_length = 20000,
        pattern = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub body: Option<String>,
    pub severity: Option<AdvisorySeverity>,
    pub releasability: Option<Releasability>,
}

/// An event of the log. The chain fields (`position`, `seq`, `prev_hash`, `hash`, `signature`)
/// are shown to the node's administrators only: to anyone else they would reveal how many events
/// they may not see lie between two they may. Administrators see every event of the chain, but
/// the `payload` (null, with `redacted: true`) only of those released to them, and no hash that
/// would confirm a guess at a withheld payload (a redacted event's `hash` and `signature`, and
/// the following event's `prev_hash`).
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// Position in this node's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    pub id: EventId,
    pub origin: NodeId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    pub author_organization: OrgId,
    pub author_user: Option<UserId>,
    pub recorded_at: String,
    pub record_type: String,
    pub record_id: String,
    pub releasability: Releasability,
    /// The change, as sealed; null when `redacted`.
    #[schema(value_type = Option<Object>)]
    pub payload: serde_json::Value,
    /// The event is shown for the chain only: its change is not released to the caller.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl EventView {}

impl From<hl_node::LoggedEvent> for EventView {
    /// The event, with its chain fields when the caller may see them, and its change when it
    /// is released to the caller.
    fn from(logged: hl_node::LoggedEvent) -> Self {
        let hl_node::LoggedEvent { event: e, position, readable, previous_readable } = logged;
        let payload = if readable {
            serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null)
        } else {
            serde_json::Value::Null
        };
        let chain = position.is_some();
        Self {
            position,
            id: e.id,
            origin: e.origin,
            seq: chain.then_some(e.seq),
            author_organization: e.author_org,
            author_user: e.author_user,
            recorded_at: rfc3339(e.recorded_at_us),
            record_type: e.record_type,
            record_id: e.record_id,
            releasability: e.releasability,
            payload,
            // A withheld payload's hash (here or as the next event's prev_hash) would confirm
            // guesses at it: shown only where the caller may read the change.
            prev_hash: (chain && readable && previous_readable).then(|| hex::encode(e.prev_hash)),
            hash: (chain && readable).then(|| hex::encode(e.hash)),
            signature: (chain && readable).then(|| hex::encode(e.signature)),
            redacted: !readable,
        }
    }
}

/// One page of a listing. A page may hold fewer items than asked for; only a `next` of null
/// says that nothing more is visible.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<String>,
}

impl<R, T: From<R>> From<hl_node::Page<R>> for Page<T> {
    fn from(page: hl_node::Page<R>) -> Self {
        Self { items: page.items.into_iter().map(Into::into).collect(), next: page.next }
    }
}

/// Paging parameters of the advisory listing.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecordPageQuery {
    /// Cursor from the previous page's `next`: the last record id seen.
    pub after: Option<RecordId>,
    /// Items per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Paging parameters of the event log.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogPageQuery {
    /// Cursor from the previous page's `next`: the last event id seen.
    pub after: Option<EventId>,
    /// Items per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

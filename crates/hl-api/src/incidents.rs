//! Incident routes: the shared record layer's first record type over HTTP. Every handler asks
//! `hl-node`, which applies the policy; the wire shapes are here.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hl_node::{
    Actor, Incident, IncidentCategory, IncidentChange, IncidentDraft, IncidentLocation, IncidentPatch,
    IncidentSeverity, IncidentStatus, Record, TimelineEntry, VesselLink,
};
use hl_store::RecordFilter;
use hl_types::{EventId, OrgId, RecordId, Releasability, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::dto::{OrganizationView, Page, RecordPageQuery, rfc3339};
use crate::extract::{ApiJson, ApiQuery, Caller, path_param};
use crate::live::{bad_query, parse_bbox};
use crate::problem::{ApiError, Problem};
use crate::routes::limit;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_incidents, create_incident))
        .routes(routes!(get_incident, update_incident))
        .routes(routes!(move_incident))
        .routes(routes!(assign_incident))
        .routes(routes!(comment_incident))
        .routes(routes!(incident_timeline))
        .routes(routes!(incident_audience))
        .routes(routes!(incident_reads))
        .routes(routes!(preview_audience))
        .routes(routes!(list_attachments, add_attachment))
        .routes(routes!(get_attachment))
}

/// Evidence attached to an incident.
#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    /// SHA-256 of the content (lowercase hex), as signed in the event that attached it.
    pub sha256: String,
    pub name: String,
    /// Decided from the content when it was attached.
    pub media_type: String,
    pub size: u64,
    pub by: Option<UserId>,
    pub at: String,
}

impl From<hl_node::Attachment> for AttachmentView {
    fn from(a: hl_node::Attachment) -> Self {
        Self { sha256: a.sha256, name: a.name, media_type: a.media_type, size: a.size, by: a.by, at: rfc3339(a.at_us) }
    }
}

/// The attachment's name.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttachmentQuery {
    /// A file name to show (the type is decided from the content, never from this).
    #[param(min_length = 1, max_length = 200)]
    pub name: Option<String>,
}

/// An incident's attachments.
#[utoipa::path(get, path = "/incidents/{id}/attachments", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id")),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_attachments(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<AttachmentView>>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    let incident = state.node.incident(Actor::User(&subject), id).await?;
    Ok(Json(incident.state.attachments.into_iter().map(Into::into).collect()))
}

/// Attaches evidence to an incident (operators of the owner): the raw content as the body, at
/// most `attachment_limit_bytes` (default 25 MiB). Its type is decided from the content (PNG,
/// JPEG, GIF, WebP, PDF, NMEA, CSV or plain text), never from `Content-Type` or the name.
#[utoipa::path(post, path = "/incidents/{id}/attachments", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id"), AttachmentQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This content is attached already", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the attachment limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not an accepted type", body = Problem, content_type = "application/problem+json")))]
async fn add_attachment(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<AttachmentQuery>,
    body: axum::body::Body,
) -> Result<(StatusCode, Json<AttachmentView>), ApiError> {
    let id: RecordId = path_param("id", &id)?;
    let limit = state.attachment_limit_bytes;
    let content = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "attachment_too_large",
            format!("an attachment is at most {limit} bytes"),
        )
    })?;
    let incident = state.node.attach_to_incident(&subject, id, q.name.as_deref(), content.to_vec().into()).await?;
    let attachment = incident.state.attachments.last().cloned().ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::CREATED, Json(attachment.into())))
}

/// One attachment's content, with the type decided when it was attached. The content is
/// checked against its SHA-256 before it is sent.
#[utoipa::path(get, path = "/incidents/{id}/attachments/{sha256}", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id"), ("sha256" = String, Path, description = "SHA-256 of the content (hex)")),
    responses((status = 200, description = "The content, in the type decided when it was attached", content((String = "image/png"), (String = "image/jpeg"), (String = "image/gif"), (String = "image/webp"), (String = "application/pdf"), (String = "text/x-nmea"), (String = "text/csv"), (String = "text/plain"))),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_attachment(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header;
    let id: RecordId = path_param("id", &id)?;
    let (attachment, content) = state.node.incident_attachment(Actor::User(&subject), id, &sha256).await?;
    // The name reaches the user's browser only as a quoted, ASCII-safe file name.
    let safe_name: String = attachment
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    let headers = [
        (header::CONTENT_TYPE, attachment.media_type.clone()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe_name}\"")),
        (header::X_CONTENT_TYPE_OPTIONS, String::from("nosniff")),
        (header::ETAG, format!("\"{}\"", attachment.sha256)),
    ];
    Ok(axum::response::IntoResponse::into_response((headers, content)))
}

/// One read of a record in its read audit.
#[derive(Serialize, ToSchema)]
pub struct RecordReadView {
    pub id: RecordId,
    /// The reader's organization; null for the node's operator (the command line).
    pub organization: Option<OrgId>,
    pub user: Option<UserId>,
    pub at: String,
    /// `detail`, `timeline` or `export`.
    pub what: String,
}

impl From<hl_store::RecordRead> for RecordReadView {
    fn from(r: hl_store::RecordRead) -> Self {
        Self { id: r.id, organization: r.reader_org, user: r.reader_user, at: rfc3339(r.at_us), what: r.what }
    }
}

/// A releasability whose audience to preview.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AudienceQuestion {
    pub releasability: Releasability,
}

/// Exactly which organizations may see an incident now (the owning organization's users only).
#[utoipa::path(get, path = "/incidents/{id}/audience", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id")),
    responses((status = 200, body = Vec<OrganizationView>), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn incident_audience(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<OrganizationView>>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    Ok(Json(state.node.incident_audience(&subject, id).await?.into_iter().map(Into::into).collect()))
}

/// Who read an incident marked TLP:AMBER or above (detail, timeline, export), oldest first:
/// the owning organization's administrators only.
#[utoipa::path(get, path = "/incidents/{id}/reads", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id"), RecordPageQuery),
    responses((status = 200, body = Page<RecordReadView>), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn incident_reads(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RecordPageQuery>,
) -> Result<Json<Page<RecordReadView>>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    Ok(Json(Page::from(state.node.incident_reads(&subject, id, q.after, limit(q.limit)?).await?)))
}

/// Exactly which organizations would see a record the caller's organization released as
/// given: the preview before saving.
#[utoipa::path(post, path = "/releasability/audience", tag = "incidents", security(("bearer" = [])),
    request_body = AudienceQuestion,
    responses((status = 200, body = Vec<OrganizationView>), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn preview_audience(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiJson(body): ApiJson<AudienceQuestion>,
) -> Result<Json<Vec<OrganizationView>>, ApiError> {
    Ok(Json(state.node.audience_preview(&subject, &body.releasability).await?.into_iter().map(Into::into).collect()))
}

/// One accepted status change.
#[derive(Serialize, ToSchema)]
pub struct StatusMoveView {
    pub status: IncidentStatus,
    pub by: Option<UserId>,
    pub at: String,
    pub note: Option<String>,
}

/// A comment, released exactly as its incident.
#[derive(Serialize, ToSchema)]
pub struct CommentView {
    pub by: Option<UserId>,
    pub at: String,
    pub text: String,
}

/// An incident.
#[derive(Serialize, ToSchema)]
pub struct IncidentView {
    pub id: RecordId,
    pub owner_organization: OrgId,
    pub category: IncidentCategory,
    pub severity: IncidentSeverity,
    pub title: String,
    pub description: String,
    /// When it happened, RFC 3339 UTC.
    pub occurred_at: String,
    pub location: IncidentLocation,
    pub vessels: Vec<VesselLink>,
    /// Alerts escalated into or attached to it.
    pub alerts: Vec<RecordId>,
    pub status: IncidentStatus,
    /// Every status change, oldest first (the report itself first).
    pub handling: Vec<StatusMoveView>,
    pub assignee: Option<UserId>,
    pub comments: Vec<CommentView>,
    pub attachments: Vec<AttachmentView>,
    pub releasability: Releasability,
    pub revision: i64,
    pub reported_at: String,
    pub updated_at: String,
}

impl From<Record<Incident>> for IncidentView {
    fn from(r: Record<Incident>) -> Self {
        let i = r.state;
        Self {
            id: r.id,
            owner_organization: r.owner_org,
            category: i.category,
            severity: i.severity,
            title: i.title,
            description: i.description,
            occurred_at: rfc3339(i.occurred_at_us),
            location: i.location,
            vessels: i.vessels,
            alerts: i.alerts,
            status: i.status,
            handling: i
                .handling
                .into_iter()
                .map(|m| StatusMoveView { status: m.status, by: m.by, at: rfc3339(m.at_us), note: m.note })
                .collect(),
            assignee: i.assignee,
            comments: i
                .comments
                .into_iter()
                .map(|c| CommentView { by: c.by, at: rfc3339(c.at_us), text: c.text })
                .collect(),
            attachments: i.attachments.into_iter().map(Into::into).collect(),
            releasability: r.releasability,
            revision: r.revision,
            reported_at: rfc3339(r.created_at_us),
            updated_at: rfc3339(r.updated_at_us),
        }
    }
}

/// A new incident.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub category: IncidentCategory,
    pub severity: IncidentSeverity,
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
    pub description: String,
    /// When it happened (RFC 3339); at most 5 minutes ahead of the node's clock.
    #[schema(format = DateTime)]
    pub occurred_at: String,
    /// A position (`lat` and `lon`), a facility, or both.
    pub location: IncidentLocation,
    #[serde(default)]
    pub vessels: Vec<VesselLink>,
    pub releasability: Releasability,
}

/// Changes to an incident; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatchBody {
    pub category: Option<IncidentCategory>,
    pub severity: Option<IncidentSeverity>,
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
    pub description: Option<String>,
    #[schema(format = DateTime)]
    pub occurred_at: Option<String>,
    pub location: Option<IncidentLocation>,
    pub vessels: Option<Vec<VesselLink>>,
    /// A new release: widened or narrowed by the owner, each change in the timeline.
    pub releasability: Option<Releasability>,
}

/// A status change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub status: IncidentStatus,
    /// Why (absent, or some text).
    #[schema(
        min_length = 1,
        max_length = 20000,
        pattern = "^[\\t\\n\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\s\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069][^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub note: Option<String>,
}

/// An assignment: a user of the owner, or null for nobody.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentBody {
    pub assignee: Option<UserId>,
}

/// A new comment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    #[schema(
        min_length = 1,
        max_length = 20000,
        pattern = "^[\\t\\n\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\s\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069][^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$"
    )]
    pub text: String,
}

/// One event of an incident's timeline.
#[derive(Serialize, ToSchema)]
pub struct TimelineEntryView {
    pub event: EventId,
    pub at: String,
    pub organization: OrgId,
    pub user: Option<UserId>,
    /// The change, as recorded (`op` names it: reported, revised, status_changed, assigned,
    /// commented, alert_attached).
    #[schema(value_type = Object)]
    pub change: serde_json::Value,
}

impl From<TimelineEntry<IncidentChange>> for TimelineEntryView {
    fn from(e: TimelineEntry<IncidentChange>) -> Self {
        Self {
            event: e.event,
            at: rfc3339(e.at_us),
            organization: e.org,
            user: e.user,
            change: serde_json::to_value(e.change).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// Incident filters and paging.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// Only these categories, comma-separated.
    #[param(
        pattern = "^(unauthorized_access|suspicious_vessel|suspicious_activity_ashore|smuggling|piracy_armed_robbery|stowaway|sabotage|unmanned_system|cyber_incident|hazardous_materials|bomb_threat|other)(,(unauthorized_access|suspicious_vessel|suspicious_activity_ashore|smuggling|piracy_armed_robbery|stowaway|sabotage|unmanned_system|cyber_incident|hazardous_materials|bomb_threat|other))*$"
    )]
    pub category: Option<String>,
    /// Only these statuses, comma-separated.
    #[param(
        pattern = "^(reported|acknowledged|investigating|resolved|closed)(,(reported|acknowledged|investigating|resolved|closed))*$"
    )]
    pub status: Option<String>,
    /// Only this severity or higher.
    pub severity: Option<IncidentSeverity>,
    /// Only incidents that happened at or after this RFC 3339 time.
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Only incidents that happened at or before this RFC 3339 time.
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// Only incidents located in `south,west,north,east` (degrees; west > east crosses the
    /// antimeridian).
    #[param(pattern = "^ *-?[0-9]+(\\.[0-9]+)? *(, *-?[0-9]+(\\.[0-9]+)? *){3}$")]
    pub bbox: Option<String>,
    /// Only incidents naming this vessel.
    #[param(minimum = 0, maximum = 999999999)]
    pub mmsi: Option<u32>,
    /// Cursor: the last incident id of the previous page.
    pub after: Option<RecordId>,
    /// Items per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// A comma-separated list of enum values, each checked.
fn enum_list<T: serde::de::DeserializeOwned>(field: &str, text: &str, what: &str) -> Result<Vec<T>, ApiError> {
    text.split(',')
        .map(|part| {
            serde_json::from_value(serde_json::Value::String(part.trim().to_owned()))
                .map_err(|_| bad_query(field, format!("{field} must be a comma-separated list of {what}")))
        })
        .collect()
}

fn time_param(field: &str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|t| t.parse::<jiff::Timestamp>().map(|t| t.as_second()))
        .transpose()
        .map_err(|_| bad_query(field, format!("{field} must be an RFC 3339 time")))
}

fn occurred(field: &str, text: &str) -> Result<i64, ApiError> {
    text.parse::<jiff::Timestamp>().map(|t| t.as_microsecond()).map_err(|_| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", format!("{field} must be an RFC 3339 time"))
            .at(crate::problem::FieldLocation::Body, format!("/{field}"))
    })
}

/// Incidents the caller may see, newest first.
#[utoipa::path(get, path = "/incidents", tag = "incidents", security(("bearer" = [])), params(IncidentQuery),
    responses((status = 200, body = Page<IncidentView>), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list_incidents(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiQuery(q): ApiQuery<IncidentQuery>,
) -> Result<Json<Page<IncidentView>>, ApiError> {
    let limit = limit(q.limit)?;
    let classes = match &q.category {
        Some(text) => enum_list::<IncidentCategory>("category", text, "incident categories")?
            .into_iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        None => Vec::new(),
    };
    let statuses = match &q.status {
        Some(text) => enum_list::<IncidentStatus>("status", text, "incident statuses")?
            .into_iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        None => Vec::new(),
    };
    if q.mmsi.is_some_and(|m| m > 999_999_999) {
        return Err(bad_query("mmsi", "an MMSI has at most 9 digits"));
    }
    let area = q.bbox.as_deref().map(parse_bbox).transpose()?.map(|a| (a.south, a.west, a.north, a.east));
    let filter = RecordFilter {
        classes,
        severity_min: q.severity.map(|s| s as i64),
        statuses,
        since_s: time_param("since", q.since.as_deref())?,
        until_s: time_param("until", q.until.as_deref())?,
        area,
        mmsi: q.mmsi,
    };
    Ok(Json(Page::from(state.node.incidents(Actor::User(&subject), &filter, q.after, limit).await?)))
}

/// Reports an incident (operators; TLP:RED needs a security officer).
#[utoipa::path(post, path = "/incidents", tag = "incidents", security(("bearer" = [])), request_body = NewIncident,
    responses((status = 201, body = IncidentView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_incident(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiJson(body): ApiJson<NewIncident>,
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
    let draft = IncidentDraft {
        category: body.category,
        severity: body.severity,
        title: body.title,
        description: body.description,
        occurred_at_us: occurred("occurred_at", &body.occurred_at)?,
        location: body.location,
        vessels: body.vessels,
    };
    let incident = state.node.report_incident(&subject, draft, body.releasability).await?;
    Ok((StatusCode::CREATED, Json(incident.into())))
}

/// One incident.
#[utoipa::path(get, path = "/incidents/{id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id")),
    responses((status = 200, body = IncidentView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_incident(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<IncidentView>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    Ok(Json(state.node.incident(Actor::User(&subject), id).await?.into()))
}

/// Revises an incident the caller's organization owns, or changes its release.
#[utoipa::path(patch, path = "/incidents/{id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id")), request_body = IncidentPatchBody,
    responses((status = 200, body = IncidentView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Changed by someone else meanwhile: read it again and retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_incident(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IncidentPatchBody>,
) -> Result<Json<IncidentView>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    let patch = IncidentPatch {
        category: body.category,
        severity: body.severity,
        title: body.title,
        description: body.description,
        occurred_at_us: body.occurred_at.as_deref().map(|t| occurred("occurred_at", t)).transpose()?,
        location: body.location,
        vessels: body.vessels,
    };
    Ok(Json(state.node.revise_incident(&subject, id, patch, body.releasability).await?.into()))
}

/// Moves an incident's status: forward (reported, acknowledged, investigating, resolved,
/// closed; steps may be skipped), or from resolved back to investigating. Closed is final.
#[utoipa::path(post, path = "/incidents/{id}/status", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id")), request_body = StatusBody,
    responses((status = 200, body = IncidentView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Changed by someone else meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such move from the current status", body = Problem, content_type = "application/problem+json")))]
async fn move_incident(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<IncidentView>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    Ok(Json(state.node.move_incident(&subject, id, body.status, body.note).await?.into()))
}

/// Assigns an incident to a user of the owning organization (or to nobody).
#[utoipa::path(put, path = "/incidents/{id}/assignee", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id")), request_body = AssignmentBody,
    responses((status = 200, body = IncidentView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn assign_incident(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssignmentBody>,
) -> Result<Json<IncidentView>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    Ok(Json(state.node.assign_incident(&subject, id, body.assignee).await?.into()))
}

/// Comments on an incident (the owner's operators); the comment is released as its incident.
#[utoipa::path(post, path = "/incidents/{id}/comments", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id")), request_body = NewComment,
    responses((status = 201, body = IncidentView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn comment_incident(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewComment>,
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
    let id: RecordId = path_param("id", &id)?;
    Ok((StatusCode::CREATED, Json(state.node.comment_incident(&subject, id, &body.text).await?.into())))
}

/// Every event of an incident, oldest first.
#[utoipa::path(get, path = "/incidents/{id}/timeline", tag = "incidents", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Incident id")),
    responses((status = 200, body = Vec<TimelineEntryView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn incident_timeline(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<TimelineEntryView>>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    Ok(Json(state.node.incident_timeline(Actor::User(&subject), id).await?.into_iter().map(Into::into).collect()))
}

//! The live picture over HTTP: vessels by area or radius, one vessel's track as GeoJSON
//! (RFC 7946), alerts with their lifecycle, zones, the watch list, feeds, NMEA by POST, and a
//! Server-Sent Events stream of vessel updates and alerts.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use hl_node::{AlertAction, EscalateInto, Subject, WatchlistDraft};
use hl_store::{ALERT_STATUSES, AlertFilter, AlertRecord, WatchlistRecord, ZoneRecord};
use hl_track::{Area, Track, VesselState};
use hl_types::{OrgId, RecordId, Releasability};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::dto::RecordPageQuery;
use crate::dto::{Page, rfc3339};
use crate::extract::{ApiJson, ApiQuery, Caller, path_param};
use crate::problem::{ApiError, FieldLocation, Problem};

/// Vessels one listing returns at most.
pub const VESSELS_PAGE_MAX: usize = 10_000;
const VESSELS_PAGE_DEFAULT: usize = 1_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_vessels))
        .routes(routes!(get_vessel))
        .routes(routes!(get_vessel_track))
        .routes(routes!(list_alerts))
        .routes(routes!(get_alert))
        .routes(routes!(acknowledge_alert))
        .routes(routes!(dismiss_alert))
        .routes(routes!(escalate_alert))
        .routes(routes!(list_zones, create_zone))
        .routes(routes!(get_zone, delete_zone))
        .routes(routes!(list_watchlist, create_watchlist_entry))
        .routes(routes!(delete_watchlist_entry))
        .routes(routes!(list_feeds))
        .routes(routes!(post_sentences))
        .routes(routes!(stream))
}

pub(crate) fn bad_query(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", message).at(FieldLocation::Query, field)
}

fn rfc3339_s(s: i64) -> String {
    jiff::Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_default()
}

/// A vessel's latest state; unknown fields are left out.
#[derive(Serialize, ToSchema)]
pub struct VesselView {
    pub mmsi: u32,
    /// RFC 3339 UTC of the latest message of any kind.
    pub last_seen: String,
    /// RFC 3339 UTC of the latest valid position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Knots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// Degrees true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u8>,
    /// `class_a`, `class_b`, `sar_aircraft`, `aid_to_navigation` or `base_station`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transponder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imo: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length_m: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beam_m: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// `MM-DDTHH:MM` UTC as transmitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draught_m: Option<f64>,
    /// Flag state from the MMSI's MID (ISO 3166-1 alpha-2 or the ITU's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// Distance from the query point, for radius queries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    pub messages: u64,
}

impl VesselView {
    fn new(s: &VesselState, distance_m: Option<f64>) -> Self {
        Self {
            mmsi: s.mmsi,
            last_seen: rfc3339_s(s.last_seen),
            position_time: s.position_time.map(rfc3339_s),
            lat: s.lat,
            lon: s.lon,
            speed: s.speed(),
            course: s.course(),
            heading: s.heading,
            status: s.status,
            transponder: s
                .transponder
                .and_then(|t| serde_json::to_value(t).ok())
                .and_then(|v| v.as_str().map(str::to_owned)),
            name: s.name().map(str::to_owned),
            callsign: s.callsign().map(str::to_owned),
            imo: s.imo,
            ship_type: s.ship_type,
            length_m: s.length_m(),
            beam_m: s.beam_m(),
            destination: s.destination().map(str::to_owned),
            eta: s.eta().map(str::to_owned),
            draught_m: s.draught_m(),
            flag: hl_detect_flag(s.mmsi),
            distance_m,
            messages: s.messages,
        }
    }
}

fn hl_detect_flag(mmsi: u32) -> Option<String> {
    hl_detect::flag_of(mmsi).map(str::to_owned)
}

/// Vessels found.
#[derive(Serialize, ToSchema)]
pub struct VesselList {
    pub items: Vec<VesselView>,
    /// Vessels in the whole picture.
    pub total_in_picture: usize,
}

/// An area (`bbox`) or a circle (`lat`, `lon`, `radius_m`); exactly one of the two.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VesselQuery {
    /// `south,west,north,east`, in this order, in degrees (south <= north); a box with west >
    /// east crosses the antimeridian (`-10,170,10,-170` spans 20° around it).
    #[param(pattern = "^ *-?[0-9]+(\\.[0-9]+)? *(, *-?[0-9]+(\\.[0-9]+)? *){3}$")]
    pub bbox: Option<String>,
    /// Search: vessels whose MMSI or IMO number starts with these digits, or whose name or call
    /// sign contains this text (case ignored); 1 to 40 characters. Not with an area.
    #[param(min_length = 1, max_length = 40)]
    pub q: Option<String>,
    #[param(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[param(minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    /// Metres, up to 20,000 km.
    #[param(minimum = 0, maximum = 20000000)]
    pub radius_m: Option<f64>,
    /// Vessels returned at most, 1 to 10,000 (default 1,000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
}

pub(crate) fn parse_bbox(text: &str) -> Result<Area, ApiError> {
    // Plain decimal degrees only (as the documented pattern says): no exponents, no `inf`.
    let number = |p: &str| {
        let p = p.trim();
        let plain = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
        plain.then(|| p.parse::<f64>().ok()).flatten()
    };
    let parts: Vec<f64> = text
        .split(',')
        .map(number)
        .collect::<Option<_>>()
        .ok_or_else(|| bad_query("bbox", "bbox is south,west,north,east in degrees"))?;
    let [south, west, north, east] = parts[..] else {
        return Err(bad_query("bbox", "bbox is south,west,north,east in degrees"));
    };
    Area::new(south, west, north, east)
        .ok_or_else(|| bad_query("bbox", "bbox bounds out of range, or south above north"))
}

/// Vessels in a bounding box or within a radius of a point.
#[utoipa::path(get, path = "/vessels", tag = "picture", security(("bearer" = [])), params(VesselQuery),
    responses((status = 200, body = VesselList), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list_vessels(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiQuery(q): ApiQuery<VesselQuery>,
) -> Result<Json<VesselList>, ApiError> {
    state.node.may_view_picture(&subject)?;
    let limit = match q.limit {
        None => VESSELS_PAGE_DEFAULT,
        Some(n @ 1..=VESSELS_PAGE_MAX) => n,
        Some(_) => return Err(bad_query("limit", "limit must be 1 to 10000")),
    };
    let live = &state.live;
    if let Some(text) = &q.q {
        if q.bbox.is_some() || q.lat.is_some() || q.lon.is_some() || q.radius_m.is_some() {
            return Err(bad_query("q", "search with q alone, not with an area"));
        }
        if text.trim().is_empty() || text.chars().count() > 40 {
            return Err(bad_query("q", "q must be 1 to 40 characters, not only spaces"));
        }
        let items = live.vessels_matching(text, limit).iter().map(|s| VesselView::new(s, None)).collect();
        return Ok(Json(VesselList { items, total_in_picture: live.vessel_count() }));
    }
    let items = match (&q.bbox, q.lat, q.lon, q.radius_m) {
        (Some(bbox), None, None, None) => {
            live.vessels_in(&parse_bbox(bbox)?, limit).iter().map(|s| VesselView::new(s, None)).collect()
        }
        (None, Some(lat), Some(lon), Some(radius)) => {
            let center = hl_geo::Position::new(lat, lon).ok_or_else(|| bad_query("lat", "lat or lon out of range"))?;
            if !(0.0..=20_000_000.0).contains(&radius) {
                return Err(bad_query("radius_m", "radius_m must be 0 to 20000000"));
            }
            live.vessels_near(&center, radius, limit).iter().map(|(s, d)| VesselView::new(s, Some(*d))).collect()
        }
        (None, None, None, None) => {
            let world = Area { south: -90.0, west: -180.0, north: 90.0, east: 180.0 };
            live.vessels_in(&world, limit).iter().map(|s| VesselView::new(s, None)).collect()
        }
        _ => return Err(bad_query("bbox", "give either bbox, or lat, lon and radius_m together")),
    };
    Ok(Json(VesselList { items, total_in_picture: live.vessel_count() }))
}

fn mmsi_param(raw: &str) -> Result<u32, ApiError> {
    let mmsi: u32 = path_param("mmsi", raw)?;
    if mmsi > 999_999_999 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", "an MMSI has at most 9 digits")
            .at(FieldLocation::Path, "mmsi"));
    }
    Ok(mmsi)
}

fn vessel_track(state: &AppState, subject: &Subject, raw: &str) -> Result<Track, ApiError> {
    state.node.may_view_picture(subject)?;
    state.live.track(mmsi_param(raw)?).ok_or_else(ApiError::not_found)
}

/// One vessel's latest state.
#[utoipa::path(get, path = "/vessels/{mmsi}", tag = "picture", security(("bearer" = [])),
    params(("mmsi" = u32, Path, minimum = 0, maximum = 999999999,
        description = "Maritime Mobile Service Identity: up to 9 digits (parsed from the raw text, so an error names it)")),
    responses((status = 200, body = VesselView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_vessel(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(mmsi): Path<String>,
) -> Result<Json<VesselView>, ApiError> {
    Ok(Json(VesselView::new(&vessel_track(&state, &subject, &mmsi)?.state, None)))
}

/// One vessel's track as a GeoJSON Feature (RFC 7946): a LineString of its down-sampled
/// history (a Point while it has one position), with the latest state and each point's time
/// in `properties`.
#[utoipa::path(get, path = "/vessels/{mmsi}/track", tag = "picture", security(("bearer" = [])),
    params(("mmsi" = u32, Path, minimum = 0, maximum = 999999999,
        description = "Maritime Mobile Service Identity: up to 9 digits (parsed from the raw text, so an error names it)")),
    responses((status = 200, description = "GeoJSON Feature", content_type = "application/geo+json", body = Object),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_vessel_track(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(mmsi): Path<String>,
) -> Result<([(axum::http::HeaderName, &'static str); 1], Json<serde_json::Value>), ApiError> {
    let track = vessel_track(&state, &subject, &mmsi)?;
    let coordinates: Vec<[f64; 2]> = track.history.iter().map(|p| [p.lon, p.lat]).collect();
    let geometry = match coordinates.as_slice() {
        [] => serde_json::Value::Null,
        [one] => serde_json::json!({"type": "Point", "coordinates": one}),
        _ => serde_json::json!({"type": "LineString", "coordinates": coordinates}),
    };
    let times: Vec<String> = track.history.iter().map(|p| rfc3339_s(p.time)).collect();
    let speeds: Vec<Option<f64>> = track.history.iter().map(|p| p.speed).collect();
    let courses: Vec<Option<f64>> = track.history.iter().map(|p| p.course).collect();
    let mut properties = serde_json::to_value(VesselView::new(&track.state, None)).unwrap_or_default();
    if let Some(map) = properties.as_object_mut() {
        map.insert("times".into(), serde_json::json!(times));
        map.insert("speeds".into(), serde_json::json!(speeds));
        map.insert("courses".into(), serde_json::json!(courses));
    }
    let feature = serde_json::json!({
        "type": "Feature",
        "id": track.state.mmsi,
        "geometry": geometry,
        "properties": properties,
    });
    Ok(([(axum::http::header::CONTENT_TYPE, "application/geo+json")], Json(feature)))
}

/// An alert.
#[derive(Serialize, ToSchema)]
pub struct AlertView {
    pub id: RecordId,
    pub owner: OrgId,
    /// `zone_entry`, `zone_exit`, `zone_dwell`, `ais_gap`, `loitering`, `encounter`,
    /// `position_jump`, `position_on_land`, `duplicate_mmsi`, `invalid_mmsi`,
    /// `identity_change`, `static_data_invalid`, `drift`, `watchlist_hit` or `feed_silent`.
    pub kind: String,
    /// `info`, `low`, `medium` or `high`.
    pub severity: String,
    /// `new`, `acknowledged`, `dismissed` or `escalated`: it moves only forward (new, then
    /// acknowledged, then dismissed or escalated, which are final; a move back is a 409).
    pub status: String,
    /// Why it was dismissed, or the escalation note.
    pub status_reason: Option<String>,
    /// Who changed its status, when, to what and why, oldest first.
    pub handling: Vec<AlertHandlingView>,
    /// The vessel; 0 for an alert about a feed (`feed_silent`, which names the feed in its detail).
    pub mmsi: u32,
    /// The other vessel of an encounter.
    pub mmsi_2: Option<u32>,
    /// The zone, for zone alerts.
    pub zone: Option<String>,
    /// The zone's name, when the reader may see the zone.
    pub zone_name: Option<String>,
    /// The feed a feed-level alert (`feed_silent`) is about.
    pub feed: Option<String>,
    /// RFC 3339 UTC: the episode, as the data timed it.
    pub start: String,
    pub end: String,
    pub lat: f64,
    pub lon: f64,
    pub detail: String,
    /// The NMEA sentences that triggered it.
    pub evidence: Vec<String>,
    /// Detections merged into this alert.
    pub occurrences: u32,
    pub releasability: Releasability,
    pub raised_at: String,
    pub updated_at: String,
}

impl From<AlertRecord> for AlertView {
    fn from(a: AlertRecord) -> Self {
        Self {
            id: a.id,
            owner: a.owner_org,
            kind: a.kind,
            severity: a.severity,
            status: a.status,
            status_reason: a.status_reason,
            handling: a
                .handling
                .into_iter()
                .map(|h| AlertHandlingView {
                    status: h.status,
                    by: h.by,
                    at: rfc3339(h.at_us),
                    reason: h.reason,
                    incident: h.incident,
                })
                .collect(),
            mmsi: a.mmsi,
            mmsi_2: a.mmsi_2,
            zone: a.zone,
            zone_name: None,
            feed: a.feed,
            start: rfc3339_s(a.start_s),
            end: rfc3339_s(a.end_s),
            lat: a.lat,
            lon: a.lon,
            detail: a.detail,
            evidence: a.evidence,
            occurrences: a.occurrences,
            releasability: a.releasability,
            raised_at: rfc3339(a.raised_at_us),
            updated_at: rfc3339(a.updated_at_us),
        }
    }
}

/// One change of an alert's status.
#[derive(Serialize, ToSchema)]
pub struct AlertHandlingView {
    /// `acknowledged`, `dismissed` or `escalated`.
    pub status: String,
    /// The user who changed it.
    pub by: Option<hl_types::UserId>,
    pub at: String,
    /// The dismissal reason or escalation note.
    pub reason: Option<String>,
    /// The incident an escalation went into (named only to those who may read it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<RecordId>,
}

/// Alert filters and paging.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// Only this kind.
    #[param(
        pattern = "^(zone_entry|zone_exit|zone_dwell|ais_gap|loitering|encounter|position_jump|position_on_land|duplicate_mmsi|invalid_mmsi|identity_change|static_data_invalid|drift|watchlist_hit|feed_silent)$"
    )]
    pub kind: Option<String>,
    /// Only this status: `new`, `acknowledged`, `dismissed` or `escalated`.
    #[param(pattern = "^(new|acknowledged|dismissed|escalated)$")]
    pub status: Option<String>,
    /// Only this vessel.
    #[param(minimum = 0, maximum = 999999999)]
    pub mmsi: Option<u32>,
    /// Only alerts whose episode ended at or after this RFC 3339 time.
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Only this severity.
    #[param(pattern = "^(info|low|medium|high)$")]
    pub severity: Option<String>,
    /// Only alerts of this zone (its id).
    pub zone: Option<RecordId>,
    /// Only alerts that happened in `south,west,north,east` (degrees; west > east crosses the
    /// antimeridian).
    #[param(pattern = "^ *-?[0-9]+(\\.[0-9]+)? *(, *-?[0-9]+(\\.[0-9]+)? *){3}$")]
    pub bbox: Option<String>,
    /// Cursor: the last alert id of the previous page.
    pub after: Option<RecordId>,
    /// Items per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Alerts the caller may see, oldest first.
#[utoipa::path(get, path = "/alerts", tag = "alerts", security(("bearer" = [])), params(AlertQuery),
    responses((status = 200, body = Page<AlertView>), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list_alerts(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> Result<Json<Page<AlertView>>, ApiError> {
    let limit = match q.limit {
        None => 100,
        Some(n @ 1..=500) => n,
        Some(_) => return Err(bad_query("limit", "limit must be 1 to 500")),
    };
    if let Some(status) = &q.status
        && !ALERT_STATUSES.contains(&status.as_str())
    {
        return Err(bad_query("status", "status must be new, acknowledged, dismissed or escalated"));
    }
    if q.kind.as_deref().is_some_and(|k| hl_detect::AlertKind::parse(k).is_none()) {
        return Err(bad_query("kind", "kind must be one of the detection kinds (zone_entry, ais_gap, ...)"));
    }
    if q.mmsi.is_some_and(|m| m > 999_999_999) {
        return Err(bad_query("mmsi", "an MMSI has at most 9 digits"));
    }
    let since_s = q
        .since
        .as_deref()
        .map(|s| s.parse::<jiff::Timestamp>().map(|t| t.as_second()))
        .transpose()
        .map_err(|_| bad_query("since", "since must be an RFC 3339 time"))?;
    if q.severity.as_deref().is_some_and(|s| hl_detect::Severity::parse(s).is_none()) {
        return Err(bad_query("severity", "severity must be info, low, medium or high"));
    }
    let area = q.bbox.as_deref().map(parse_bbox).transpose()?.map(|a| (a.south, a.west, a.north, a.east));
    let filter = AlertFilter {
        kind: q.kind,
        status: q.status,
        mmsi: q.mmsi,
        since_s,
        severity: q.severity,
        zone: q.zone.map(|z| z.to_string()),
        area,
    };
    let page = state.node.alerts(&subject, &filter, q.after, limit).await?;
    let mut zone_names = ZoneNames::default();
    let mut items = Vec::with_capacity(page.items.len());
    for alert in page.items {
        items.push(zone_names.view(&state, &subject, alert).await);
    }
    Ok(Json(Page { items, next: page.next }))
}

/// Zone names for alert views, looked up once per zone, and only for zones the reader may see.
#[derive(Default)]
struct ZoneNames(HashMap<String, Option<String>>);

impl ZoneNames {
    async fn view(&mut self, state: &AppState, subject: &Subject, alert: AlertRecord) -> AlertView {
        let zone = alert.zone.clone();
        let mut view = AlertView::from(alert);
        if let Some(zone) = zone {
            if !self.0.contains_key(&zone) {
                let name = match zone.parse::<RecordId>() {
                    Ok(id) => state.node.zone(subject, id).await.ok().map(|z| z.name),
                    Err(_) => None,
                };
                self.0.insert(zone.clone(), name);
            }
            view.zone_name = self.0.get(&zone).cloned().flatten();
        }
        view
    }
}

/// One alert.
#[utoipa::path(get, path = "/alerts/{id}", tag = "alerts", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Alert id")),
    responses((status = 200, body = AlertView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_alert(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<AlertView>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    let alert = state.node.alert(&subject, id).await?;
    Ok(Json(ZoneNames::default().view(&state, &subject, alert).await))
}

/// A dismissal reason.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissBody {
    /// Why no action is needed (1 to 1,000 characters).
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*$"
    )]
    pub reason: String,
}

/// An escalation note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    /// To whom and why (1 to 1,000 characters).
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*$"
    )]
    pub note: String,
    /// Attach the alert to this incident of your organization.
    pub incident: Option<RecordId>,
    /// Escalate into a new incident, described from the alert where fields are absent.
    pub new_incident: Option<IncidentFromAlert>,
}

/// A new incident made from an alert: its position, time and vessels come from the alert;
/// title and description default to the alert's kind and detail; it is released as the alert
/// unless `releasability` says otherwise.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentFromAlert {
    pub category: hl_node::IncidentCategory,
    pub severity: hl_node::IncidentSeverity,
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
    pub releasability: Option<Releasability>,
}

async fn handle(
    state: &AppState,
    subject: &Subject,
    id: &str,
    action: AlertAction,
) -> Result<Json<AlertView>, ApiError> {
    let id: RecordId = path_param("id", id)?;
    Ok(Json(state.node.handle_alert(subject, id, action).await?.into()))
}

/// Acknowledges an alert (operators of the owning organization).
#[utoipa::path(post, path = "/alerts/{id}/acknowledge", tag = "alerts", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Alert id")),
    request_body(content = Option<AcknowledgeBody>, description = "Optional: a note on what is being done"),
    responses((status = 200, body = AlertView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The alert's status has moved past this action", body = Problem, content_type = "application/problem+json")))]
async fn acknowledge_alert(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    crate::extract::OptionalApiJson(body): crate::extract::OptionalApiJson<AcknowledgeBody>,
) -> Result<Json<AlertView>, ApiError> {
    handle(&state, &subject, &id, AlertAction::Acknowledge { note: body.note }).await
}

/// An optional acknowledgement note (the body may be left out).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeBody {
    /// What is being done (1 to 1,000 characters).
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*$"
    )]
    pub note: Option<String>,
}

/// Dismisses an alert with a reason (operators of the owning organization).
#[utoipa::path(post, path = "/alerts/{id}/dismiss", tag = "alerts", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Alert id")), request_body = DismissBody,
    responses((status = 200, body = AlertView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The alert's status has moved past this action", body = Problem, content_type = "application/problem+json")))]
async fn dismiss_alert(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DismissBody>,
) -> Result<Json<AlertView>, ApiError> {
    handle(&state, &subject, &id, AlertAction::Dismiss { reason: body.reason }).await
}

/// Escalates an alert with a note (operators of the owning organization).
#[utoipa::path(post, path = "/alerts/{id}/escalate", tag = "alerts", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Alert id")), request_body = EscalateBody,
    responses((status = 200, body = AlertView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The alert's status has moved past this action", body = Problem, content_type = "application/problem+json")))]
async fn escalate_alert(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EscalateBody>,
) -> Result<Json<AlertView>, ApiError> {
    let into = match (body.incident, body.new_incident) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "give incident (to attach to) or new_incident, not both",
            )
            .at(FieldLocation::Body, "/new_incident"));
        }
        (Some(incident), None) => Some(EscalateInto::Attach(incident)),
        (None, Some(new)) => Some(EscalateInto::New {
            category: new.category,
            severity: new.severity,
            title: new.title,
            description: new.description,
            releasability: new.releasability,
        }),
        (None, None) => None,
    };
    handle(&state, &subject, &id, AlertAction::Escalate { note: body.note, into }).await
}

/// A zone.
#[derive(Serialize, ToSchema)]
pub struct ZoneView {
    pub id: RecordId,
    pub owner: OrgId,
    pub name: String,
    /// `port`, `berth`, `anchorage`, `approach_channel`, `traffic_separation`, `restricted` or
    /// `other` (zones defined before kinds were fixed may show another word; they act as `other`).
    pub kind: String,
    /// The GeoJSON Feature as defined.
    #[schema(value_type = Object)]
    pub feature: serde_json::Value,
    pub releasability: Releasability,
    pub defined_at: String,
}

impl From<ZoneRecord> for ZoneView {
    fn from(z: ZoneRecord) -> Self {
        Self {
            id: z.id,
            owner: z.owner_org,
            name: z.name,
            kind: z.kind,
            feature: serde_json::from_str(&z.feature).unwrap_or_default(),
            releasability: z.releasability,
            defined_at: rfc3339(z.defined_at_us),
        }
    }
}

/// A new zone.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewZone {
    /// One GeoJSON Feature (or bare geometry) with a Polygon or MultiPolygon: closed rings of
    /// at least 4 [lon, lat] positions, not crossing the antimeridian. Properties used: `name`,
    /// `kind` (one of `port`, `berth`, `anchorage`, `approach_channel`, `traffic_separation`,
    /// `restricted`, `other`; default `other`; any other word is refused, 422 at
    /// `/feature/properties/kind`),
    /// `ship_types`, `min_length_m`, `max_length_m`, `dwell_minutes`.
    #[schema(value_type = Object)]
    pub feature: serde_json::Value,
    pub releasability: Releasability,
}

/// The zones the caller may see, oldest first.
#[utoipa::path(get, path = "/zones", tag = "zones", security(("bearer" = [])), params(RecordPageQuery),
    responses((status = 200, body = Page<ZoneView>), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list_zones(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiQuery(q): ApiQuery<RecordPageQuery>,
) -> Result<Json<Page<ZoneView>>, ApiError> {
    let page = state.node.zones(&subject, q.after, crate::routes::limit(q.limit)?).await?;
    Ok(Json(Page::from(page)))
}

/// Defines a zone the detectors watch (operators). Zone alerts belong to the zone's owner and
/// carry its releasability.
#[utoipa::path(post, path = "/zones", tag = "zones", security(("bearer" = [])), request_body = NewZone,
    responses((status = 201, body = ZoneView), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_zone(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiJson(body): ApiJson<NewZone>,
) -> Result<(StatusCode, Json<ZoneView>), ApiError> {
    let zone = state.node.define_zone(&subject, &body.feature, body.releasability).await?;
    Ok((StatusCode::CREATED, Json(zone.into())))
}

/// One zone.
#[utoipa::path(get, path = "/zones/{id}", tag = "zones", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Zone id")),
    responses((status = 200, body = ZoneView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_zone(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<Json<ZoneView>, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    Ok(Json(state.node.zone(&subject, id).await?.into()))
}

/// Deletes a zone (operators of the owning organization).
#[utoipa::path(delete, path = "/zones/{id}", tag = "zones", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Zone id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_zone(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    state.node.delete_zone(&subject, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A watch-list entry.
#[derive(Serialize, ToSchema)]
pub struct WatchlistEntryView {
    pub id: RecordId,
    pub owner: OrgId,
    pub mmsi: Option<u32>,
    pub imo: Option<u32>,
    pub name: Option<String>,
    pub callsign: Option<String>,
    pub reason: String,
    pub releasability: Releasability,
    pub added_at: String,
}

impl From<WatchlistRecord> for WatchlistEntryView {
    fn from(w: WatchlistRecord) -> Self {
        Self {
            id: w.id,
            owner: w.owner_org,
            mmsi: w.mmsi,
            imo: w.imo,
            name: w.name,
            callsign: w.callsign,
            reason: w.reason,
            releasability: w.releasability,
            added_at: rfc3339(w.added_at_us),
        }
    }
}

/// A new watch-list entry: at least one of `mmsi`, `imo`, `name`, `callsign`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWatchlistEntry {
    /// A nine-digit MMSI of some ITU-R M.585 format (leading zeros dropped).
    #[schema(minimum = 2010000, maximum = 999999999)]
    pub mmsi: Option<u32>,
    /// A 7-digit IMO number whose last digit is its check digit (422 otherwise).
    #[schema(minimum = 1000000, maximum = 9999999)]
    pub imo: Option<u32>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*$"
    )]
    pub name: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*$"
    )]
    pub callsign: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb][^\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u180e\\u200b\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufff9-\\ufffb]*$"
    )]
    pub reason: String,
    pub releasability: Releasability,
}

/// The watch-list entries the caller may see, oldest first.
#[utoipa::path(get, path = "/watchlist", tag = "zones", security(("bearer" = [])), params(RecordPageQuery),
    responses((status = 200, body = Page<WatchlistEntryView>), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list_watchlist(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiQuery(q): ApiQuery<RecordPageQuery>,
) -> Result<Json<Page<WatchlistEntryView>>, ApiError> {
    let page = state.node.watchlist(&subject, q.after, crate::routes::limit(q.limit)?).await?;
    Ok(Json(Page::from(page)))
}

/// Puts a vessel on the watch list (operators). Hits belong to the entry's owner and carry its
/// releasability.
#[utoipa::path(post, path = "/watchlist", tag = "zones", security(("bearer" = [])), request_body = NewWatchlistEntry,
    responses((status = 201, body = WatchlistEntryView), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The organization already watches this vessel description", body = Problem, content_type = "application/problem+json")))]
async fn create_watchlist_entry(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiJson(body): ApiJson<NewWatchlistEntry>,
) -> Result<(StatusCode, Json<WatchlistEntryView>), ApiError> {
    let draft = WatchlistDraft {
        mmsi: body.mmsi,
        imo: body.imo,
        name: body.name,
        callsign: body.callsign,
        reason: body.reason,
    };
    let entry = state.node.add_watchlist_entry(&subject, draft, body.releasability).await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// Takes a vessel off the watch list (operators of the owning organization).
#[utoipa::path(delete, path = "/watchlist/{id}", tag = "zones", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Entry id")),
    responses((status = 204, description = "Removed"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_watchlist_entry(
    State(state): State<AppState>,
    Caller(subject): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: RecordId = path_param("id", &id)?;
    state.node.remove_watchlist_entry(&subject, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A feed and its counts.
#[derive(Serialize, ToSchema)]
pub struct FeedViewDoc {
    pub name: String,
    /// `tcp_client`, `tcp_listener`, `udp`, `file` or `http`.
    pub kind: String,
    /// `starting`, `running`, `connecting` (a client between attempts), `finished` (a file
    /// replayed to its end) or `failed` (stopped for good: see `error`; `/readyz` then fails).
    #[schema(pattern = "^(starting|running|connecting|finished|failed)$")]
    pub state: String,
    /// Why a failed feed stopped.
    pub error: Option<String>,
    /// Where message times come from: `tag` (tag blocks, else base stations, whatever their
    /// age: recordings), `reception`, or `auto` (tag-block times within 5 min ahead and a day
    /// behind reception, else reception).
    #[schema(pattern = "^(tag|reception|auto)$")]
    pub time: String,
    pub connected: bool,
    pub connections: u64,
    pub bytes: u64,
    pub finished: bool,
    pub local_addr: Option<String>,
    pub lines: u64,
    pub messages: u64,
    /// Lines refused, by reason (`bad_checksum`, `malformed`, `incomplete_fragments`,
    /// `unsupported`, `too_long`).
    #[schema(value_type = Object)]
    pub errors: serde_json::Value,
    /// Unix seconds of the latest decoded message.
    pub last_message_s: Option<i64>,
}

/// The node's AIS feeds and what each has done.
#[utoipa::path(get, path = "/feeds", tag = "picture", security(("bearer" = [])),
    responses((status = 200, body = Vec<FeedViewDoc>)))]
async fn list_feeds(
    State(state): State<AppState>,
    Caller(subject): Caller,
) -> Result<Json<Vec<hl_live::FeedView>>, ApiError> {
    state.node.may_view_picture(&subject)?;
    Ok(Json(state.live.feeds()))
}

/// NMEA 0183 lines, at least one character.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 1)]
pub struct NmeaLines(#[allow(dead_code)] String);

/// What a posted batch did.
#[derive(Serialize, ToSchema)]
pub struct SentencesReport {
    pub lines: u64,
    pub messages: u64,
    /// Lines refused, by reason.
    #[schema(value_type = Object)]
    pub errors: serde_json::Value,
}

/// Feeds NMEA sentences (`!AIVDM`/`!AIVDO`, tag blocks allowed), one per line, into the
/// picture as the `http` feed (operators). Answers once they are processed; bad lines are
/// counted by reason, never fatal.
#[utoipa::path(post, path = "/ais/sentences", tag = "picture", security(("bearer" = [])),
    request_body(content = NmeaLines, content_type = "text/plain", description = "NMEA lines"),
    responses((status = 200, body = SentencesReport), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn post_sentences(
    State(state): State<AppState>,
    Caller(subject): Caller,
    body: Bytes,
) -> Result<Json<SentencesReport>, ApiError> {
    state.node.may_feed_picture(&subject)?;
    if body.is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "empty_body", "the body must hold NMEA lines")
            .at(FieldLocation::Body, ""));
    }
    let report = state.live.submit_lines(&body).await?;
    Ok(Json(SentencesReport {
        lines: report.lines,
        messages: report.messages,
        errors: serde_json::to_value(&report.errors).unwrap_or_default(),
    }))
}

/// What the stream carries.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Vessel updates (default true).
    pub vessels: Option<bool>,
    /// Alerts (default true).
    pub alerts: Option<bool>,
    /// Incident changes (default true).
    pub incidents: Option<bool>,
    /// Only vessel updates inside `south,west,north,east`.
    #[param(pattern = "^ *-?[0-9]+(\\.[0-9]+)? *(, *-?[0-9]+(\\.[0-9]+)? *){3}$")]
    pub bbox: Option<String>,
}

/// Alerts fetched per catch-up round.
const CATCH_UP_PAGE: u32 = 500;
/// How often an open stream checks its token again: a revoked token, a removed user or a role
/// that may no longer view the picture ends the stream within this long.
const STREAM_RECHECK: std::time::Duration = std::time::Duration::from_millis(500);

struct StreamState {
    state: AppState,
    subject: Subject,
    /// The bearer token the stream was opened with, re-authenticated every [`STREAM_RECHECK`].
    credential: String,
    checked: tokio::time::Instant,
    alerts: Option<tokio::sync::broadcast::Receiver<RecordId>>,
    vessels: Option<tokio::sync::broadcast::Receiver<Arc<VesselState>>>,
    /// The node's committed-events feed, for incident changes.
    incidents: Option<tokio::sync::broadcast::Receiver<Arc<hl_events::Event>>>,
    area: Option<Area>,
    /// The last alert sent; catching up reads the store after it.
    cursor: Option<RecordId>,
    catching_up: bool,
    queued: VecDeque<SseEvent>,
}

fn alert_event(view: &AlertView) -> SseEvent {
    let id = view.id.to_string();
    SseEvent::default().event("alert").id(id).json_data(view).unwrap_or_else(|_| SseEvent::default().comment("?"))
}

impl StreamState {
    /// The alert as the API shows it to this subscriber (with the zone's name when it may see
    /// the zone), as an event.
    async fn alert_event(&self, alert: AlertRecord) -> SseEvent {
        alert_event(&ZoneNames::default().view(&self.state, &self.subject, alert).await)
    }

    /// Reads alerts after the cursor from the store (after a lag, or a reconnection with
    /// `Last-Event-ID`): the stream never loses an alert.
    async fn catch_up(&mut self) {
        let page = self.state.node.alerts(&self.subject, &AlertFilter::default(), self.cursor, CATCH_UP_PAGE).await;
        let Ok(page) = page else {
            self.catching_up = false;
            return;
        };
        self.catching_up = page.next.is_some();
        for alert in page.items {
            self.cursor = Some(alert.id);
            let event = self.alert_event(alert).await;
            self.queued.push_back(event);
        }
    }

    /// Whether the stream's token still entitles it to the picture (checked again once every
    /// [`STREAM_RECHECK`]); the subject is refreshed, so a narrowed membership applies at once.
    async fn still_entitled(&mut self) -> bool {
        if self.checked.elapsed() < STREAM_RECHECK {
            return true;
        }
        self.checked = tokio::time::Instant::now();
        match self.state.node.authenticate(&self.credential).await {
            Ok(subject) if self.state.node.may_view_picture(&subject).is_ok() => {
                self.subject = subject;
                true
            }
            _ => {
                metrics::counter!("harborlink_stream_ended_unauthorized_total").increment(1);
                false
            }
        }
    }

    async fn next_event(&mut self) -> Option<SseEvent> {
        loop {
            if !self.still_entitled().await {
                return None;
            }
            if let Some(event) = self.queued.pop_front() {
                return Some(event);
            }
            if self.catching_up {
                self.catch_up().await;
                continue;
            }
            // Alerts first: a busy vessel stream must not delay them.
            let mut closing = self.state.closing.clone();
            tokio::select! {
                biased;
                // The node is shutting down: the stream ends (clients reconnect elsewhere or
                // later, with `Last-Event-ID`).
                () = async {
                    // Ends on `true`, or when the sender is gone (the node is going away).
                    let _ = closing.wait_for(|closing| *closing).await;
                } => return None,
                // Wakes an idle stream for its re-check (first, so busy streams get it too).
                () = tokio::time::sleep_until(self.checked + STREAM_RECHECK) => {}
                alert = recv_or_pending(&mut self.alerts) => match alert {
                    Ok(id) => {
                        if self.cursor.is_some_and(|c| id <= c) {
                            continue;
                        }
                        // The policy decides per subscriber, from the stored record.
                        if let Ok(visible) = self.state.node.alert(&self.subject, id).await {
                            self.cursor = Some(visible.id);
                            return Some(self.alert_event(visible).await);
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        metrics::counter!("harborlink_stream_alert_catch_ups_total").increment(1);
                        self.catching_up = true;
                    }
                    Err(RecvError::Closed) => return None,
                },
                committed = recv_or_pending(&mut self.incidents) => match committed {
                    Ok(event) => {
                        if event.record_type != hl_node::Incident::KIND_NAME {
                            continue;
                        }
                        // The event carries the incident's releasability after the change: a
                        // change made after a narrowing never reaches those it excludes.
                        if self.state.node.may_read_event(&self.subject, &event).await.unwrap_or(false) {
                            return Some(incident_event(&event));
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        metrics::counter!("harborlink_stream_incident_events_dropped_total").increment(n);
                        return SseEvent::default().event("dropped").json_data(serde_json::json!({"incident_events": n})).ok();
                    }
                    Err(RecvError::Closed) => return None,
                },
                vessel = recv_or_pending(&mut self.vessels) => match vessel {
                    Ok(vessel) => {
                        let inside = self.area.is_none_or(|a| vessel.position().is_some_and(|p| a.contains(&p)));
                        if inside {
                            let view = VesselView::new(&vessel, None);
                            return SseEvent::default().event("vessel").json_data(&view).ok();
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        metrics::counter!("harborlink_stream_updates_dropped_total").increment(n);
                        return SseEvent::default().event("dropped").json_data(serde_json::json!({"vessel_updates": n})).ok();
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// An `incident` event: which incident changed, how, when and by which organization (the
/// record itself is read at `/incidents/{id}`, where its links are filtered for the reader).
fn incident_event(event: &hl_events::Event) -> SseEvent {
    let op = match event.change() {
        Some(hl_events::Change::Record { change, .. }) => change.get("op").cloned().unwrap_or_default(),
        _ => serde_json::Value::Null,
    };
    let data = serde_json::json!({
        "incident": event.record_id,
        "op": op,
        "at": crate::dto::rfc3339(event.recorded_at_us),
        "organization": event.author_org,
        "event": event.id,
    });
    SseEvent::default().event("incident").json_data(data).unwrap_or_else(|_| SseEvent::default().comment("?"))
}

async fn recv_or_pending<T: Clone>(receiver: &mut Option<tokio::sync::broadcast::Receiver<T>>) -> Result<T, RecvError> {
    match receiver {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// Server-Sent Events: `vessel` events (latest state, at most one per vessel per throttle
/// interval; dropped for a consumer that falls behind, announced by a `dropped` event) and
/// `alert` events (every new alert the caller may see, with its id as the event id; a
/// reconnecting client sends `Last-Event-ID` and receives the alerts it missed), and
/// `incident` events (each committed change of an incident released to the caller at that
/// moment: `{incident, op, at, organization, event}`; a consumer that falls behind gets a
/// `dropped` event with `incident_events` and re-reads `/incidents`).
#[utoipa::path(get, path = "/stream", tag = "picture", security(("bearer" = [])), params(StreamQuery),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = String)))]
async fn stream(
    State(state): State<AppState>,
    Caller(subject): Caller,
    ApiQuery(q): ApiQuery<StreamQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    state.node.may_view_picture(&subject)?;
    let area = q.bbox.as_deref().map(parse_bbox).transpose()?;
    let last_event =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<RecordId>().ok());
    let credential = crate::extract::bearer_token(&headers).unwrap_or_default().to_owned();
    let (alerts, vessels) = state.live.subscribe();
    let incidents = q.incidents.unwrap_or(true).then(|| state.node.committed());
    let streaming = StreamState {
        state,
        subject,
        credential,
        checked: tokio::time::Instant::now(),
        alerts: q.alerts.unwrap_or(true).then_some(alerts),
        vessels: q.vessels.unwrap_or(true).then_some(vessels),
        incidents,
        area,
        cursor: last_event,
        catching_up: last_event.is_some(),
        queued: VecDeque::new(),
    };
    let events = futures_util::stream::unfold(streaming, |mut s| async move {
        let event = s.next_event().await?;
        Some((Ok(event), s))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

//! The HTTP API: axum routes under `/api/v1`, RFC 9457 problem+json errors, an OpenAPI 3.1
//! document generated from the handlers, `/healthz`, `/readyz` and Prometheus `/metrics`.
//!
//! # Invariants
//! - Handlers never decide access themselves; they call `hl-node`, which asks the policy.
//! - Every error body is `application/problem+json`, including those of lower layers (routing,
//!   body limits, timeouts), which [`problem_bodies`] fills in.
//! - Internal error details are logged, never returned.

pub mod dto;
mod extract;
pub mod incidents;
mod live;
mod problem;
mod routes;
pub mod server;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hl_node::Node;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::timeout::TimeoutLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

pub use problem::{ApiError, Problem};

/// Limits and timeouts of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Longest a request may take before it is answered 408.
    pub request_timeout: Duration,
    /// Largest accepted attachment (its own limit: evidence is larger than JSON bodies).
    pub attachment_limit_bytes: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            attachment_limit_bytes: ATTACHMENT_LIMIT_DEFAULT,
        }
    }
}

/// The default largest attachment: 25 MiB.
pub const ATTACHMENT_LIMIT_DEFAULT: usize = 25 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub node: Node,
    pub live: hl_live::Live,
    pub metrics: PrometheusHandle,
    /// Becomes `true` when the node shuts down: open streams end at once, so the graceful
    /// shutdown does not wait for them.
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// Largest accepted attachment, in bytes.
    pub attachment_limit_bytes: usize,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "HarborLink node API", description = "A HarborLink node: organizations, access, \
        shared advisories, incidents, the live picture and the signed event log. Errors are RFC 9457 problem details."),
    modifiers(&BearerAuth),
    components(schemas(Problem))
)]
struct ApiDoc;

struct BearerAuth;

/// Error statuses any operation can answer, documented once here instead of on every handler.
const COMMON_PROBLEMS: &[(&str, &str)] = &[
    ("400", "Malformed JSON, or an invalid path or query parameter"),
    ("401", "Missing, unknown or revoked token"),
    ("403", "The policy refuses the action (role, ownership or community membership)"),
    ("404", "No such resource, or one the caller may not see"),
    ("409", "Conflicts with existing state (a name already taken)"),
    ("408", "The request took longer than the configured timeout"),
    ("413", "The body exceeds the configured size limit"),
    ("415", "The body is not JSON"),
    ("422", "A body field is invalid; `field` names it"),
    ("500", "Internal error (details are logged, not returned)"),
];

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Documents [`COMMON_PROBLEMS`] on every operation that does not document them itself.
fn add_common_problems(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    for item in openapi.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            for (status, description) in COMMON_PROBLEMS {
                let problem = ResponseBuilder::new()
                    .description(*description)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                    )
                    .build();
                operation.responses.responses.entry((*status).to_owned()).or_insert(problem.into());
            }
        }
    }
}

/// The OpenAPI document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = api_router().split_for_parts();
    add_common_problems(&mut api);
    api
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<ApiDoc as utoipa::OpenApi>::openapi())
        .nest("/api/v1", routes::router().merge(live::router()).merge(incidents::router()))
}

/// The whole application: API, operations endpoints and the layers around them.
pub fn app(state: AppState, config: &ApiConfig) -> Router {
    let (router, mut api) = api_router().split_for_parts();
    add_common_problems(&mut api);
    api.servers = None;
    let spec = serde_json::to_string(&api).unwrap_or_else(|_| String::from("{}"));
    router
        .route("/api/v1/openapi.json", get(move || async move { ([(header::CONTENT_TYPE, "application/json")], spec) }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .fallback(|| async { ApiError::not_found() })
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(middleware::from_fn(problem_bodies))
        .layer(middleware::from_fn(request_limits))
        .layer(middleware::from_fn(record_metrics))
        .with_state(state)
}

/// Ready when the database answers and no feed has failed (a failed feed needs the operator:
/// a node that silently receives nothing is not ready). Only the failed feeds' names are
/// given here, not why: `/api/v1/feeds` says why, to those who may read it.
async fn readyz(State(state): State<AppState>) -> Response {
    let failed: Vec<String> = state.live.feeds().into_iter().filter(|f| f.state == "failed").map(|f| f.name).collect();
    if !failed.is_empty() {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "feed_failed",
            format!("feeds failed: {}", failed.join(", ")),
        )
        .into_response();
    }
    match state.node.ping().await {
        Ok(()) => "ready".into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            metrics::counter!("harborlink_store_errors_total").increment(1);
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "the database is not reachable")
                .into_response()
        }
    }
}

/// The node's metrics, for its administrators only: per-kind alert counts and per-route write
/// counts describe every organization's activity, so they are not for other users, nor for
/// anyone without a token (a Prometheus scrape sends an administrator's token as its bearer).
async fn metrics_text(State(state): State<AppState>, extract::Caller(subject): extract::Caller) -> Response {
    if let Err(err) = state.node.may_read_node_metrics(&subject).await {
        return ApiError::from(err).into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

/// Request counts and latencies, labelled by route template (never the raw path, whose ids
/// would make the label set unbounded).
async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| String::from("unmatched"), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("harborlink_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("harborlink_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Gives a problem body to error responses that lower layers produced without one.
/// Longest request target (path and query) accepted, in bytes; longer is 414.
pub const URI_BYTES_MAX: usize = 8 * 1024;
/// Most header fields a request may carry; more is 431.
pub const HEADER_FIELDS_MAX: usize = 100;
/// Largest total size of a request's header fields, in bytes; more is 431.
pub const HEADER_BYTES_MAX: usize = 32 * 1024;

/// Refuses oversized request targets and headers with problem+json (414, 431) before any
/// handler runs. The HTTP layer's own hard limits lie above these (64 KiB targets, 256 fields,
/// about 400 KB of header), so in practice every such request gets this answer.
async fn request_limits(request: Request, next: Next) -> Response {
    let uri_bytes = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_bytes > URI_BYTES_MAX {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request target is {uri_bytes} bytes; at most {URI_BYTES_MAX} are accepted"),
        )
        .into_response();
    }
    let headers = request.headers();
    let header_bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if headers.len() > HEADER_FIELDS_MAX || header_bytes > HEADER_BYTES_MAX {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("at most {HEADER_FIELDS_MAX} header fields and {HEADER_BYTES_MAX} bytes of them are accepted"),
        )
        .into_response();
    }
    next.run(request).await
}

async fn problem_bodies(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let bare = !response.headers().contains_key(header::CONTENT_TYPE)
        || response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if (status.is_client_error() || status.is_server_error()) && bare {
        let mut replaced = problem::for_status(status).into_response();
        if let Some(allow) = response.headers().get(header::ALLOW) {
            replaced.headers_mut().insert(header::ALLOW, allow.clone());
        }
        return replaced;
    }
    response
}

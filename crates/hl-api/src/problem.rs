//! RFC 9457 problem details: every error the API returns is `application/problem+json` with a
//! stable `code` and, for bad input, the offending field.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hl_node::NodeError;
use serde::Serialize;
use utoipa::ToSchema;

/// Where a bad field was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldLocation {
    Body,
    Query,
    Path,
    Header,
}

/// A problem details document (RFC 9457) with HarborLink's extension members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type; resolves to `/problems/{code}` on this node.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable error code.
    pub code: String,
    /// The offending field: a JSON Pointer (RFC 6901) into the body, or a parameter name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Where `field` is.
    #[serde(rename = "in", skip_serializing_if = "Option::is_none")]
    pub location: Option<FieldLocation>,
}

/// An API error: converts into a problem response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    // Boxed: errors travel through every handler's `Result`, which should stay small.
    problem: Box<Problem>,
}

impl ApiError {
    /// A problem with a code and a human-readable detail.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        Self {
            status,
            problem: Box::new(Problem {
                type_uri: format!("/problems/{code}"),
                title,
                status: status.as_u16(),
                detail: Some(detail.into()),
                code: code.to_owned(),
                field: None,
                location: None,
            }),
        }
    }

    /// Names the offending field.
    pub fn at(mut self, location: FieldLocation, field: impl Into<String>) -> Self {
        self.problem.field = Some(field.into());
        self.problem.location = Some(location);
        self
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(*self.problem)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body is not read, so the connection cannot carry another request;
            // say so, or a client may send its next request into a closing socket.
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

impl From<NodeError> for ApiError {
    fn from(err: NodeError) -> Self {
        match err {
            NodeError::NotFound => ApiError::not_found(),
            NodeError::Unauthenticated(why) => ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", why),
            NodeError::Forbidden(denial) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", denial.to_string()),
            NodeError::Invalid { field, reason } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", reason)
                    .at(FieldLocation::Body, format!("/{field}"))
            }
            // 404, as for a record: the cursor names an event that is missing or not visible.
            NodeError::InvalidCursor => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", err.to_string()).at(FieldLocation::Query, "after")
            }
            NodeError::Conflict(what) => ApiError::new(StatusCode::CONFLICT, "conflict", what),
            NodeError::UnsupportedType(why) => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type", why).at(FieldLocation::Body, "/")
            }
            NodeError::ShuttingDown => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", "the node is shutting down")
            }
            other => {
                // Internal details go to the log only, never to the client.
                tracing::error!(error = %other, "request failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred")
            }
        }
    }
}

/// Stands in for bodies that lower layers (routing, timeouts, limits) leave empty.
pub fn for_status(status: StatusCode) -> ApiError {
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let detail = status.canonical_reason().unwrap_or("error").to_ascii_lowercase();
    ApiError::new(status, code, detail)
}

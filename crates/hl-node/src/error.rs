//! What can go wrong in a command or query, in terms the API maps to statuses.

use hl_policy::Denial;
use hl_store::StoreError;

/// A failed command or query.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// No such record, or one the caller may not see: the two are indistinguishable on purpose.
    #[error("not found")]
    NotFound,
    /// Missing, unknown or revoked credentials.
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    /// The caller can see the target but the policy refuses the action.
    #[error("forbidden: {0}")]
    Forbidden(#[from] Denial),
    /// A field's value is not acceptable.
    #[error("invalid `{field}`: {reason}")]
    Invalid { field: String, reason: String },
    /// A paging cursor names no record the caller may see (unknown and invisible alike).
    #[error("the cursor `after` names no record this listing can continue from")]
    InvalidCursor,
    /// The change conflicts with existing state (a name already taken).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The content is of a type the node does not accept (decided from the content).
    #[error("unsupported type: {0}")]
    UnsupportedType(String),
    /// The writer has stopped (the node is shutting down).
    #[error("the node is shutting down")]
    ShuttingDown,
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for NodeError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(what) => NodeError::Conflict(what),
            other => {
                metrics::counter!("harborlink_store_errors_total").increment(1);
                NodeError::Store(other)
            }
        }
    }
}

impl NodeError {
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        NodeError::Invalid { field: field.to_owned(), reason: reason.into() }
    }
}

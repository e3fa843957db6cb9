//! Domain value types that parse: identifiers, nations, organization kinds, roles, TLP markings and
//! distribution scopes.
//!
//! Every type here is constructed through `parse`/`FromStr`/`Deserialize`, so code that holds one
//! never re-checks it. Nothing here does I/O.

mod ids;
mod nation;
#[cfg(feature = "openapi")]
mod openapi;
mod org;
mod releasability;
mod vessel;

pub use ids::{CommunityName, EventId, NodeId, OrgId, RecordId, TokenId, UserId};
pub use nation::Nation;
pub use org::{OrgKind, Role};
pub use releasability::{DistributionScope, Releasability, ReleasabilityError, Tlp};
pub use vessel::{MMSI_MAX, MMSI_MIN, imo_valid, mmsi_plausible};

/// A value that failed to parse, with the reason in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    /// Why the value was refused.
    pub reason: String,
}

impl ParseError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into() }
    }
}

/// A refused value as an error message may show it: short values quoted (a typo is easier to
/// fix when shown), long ones only by their length, and never anything shaped like an API
/// token. A secret pasted where a name or id belongs must not come back in an error, a log line
/// or a proxy's record of the response.
pub fn shown(value: &str) -> String {
    let n = value.chars().count();
    if n <= 24 && !value.starts_with("hlk_") && !value.chars().any(char::is_control) {
        format!("`{value}`")
    } else {
        format!("the {n}-character value given")
    }
}

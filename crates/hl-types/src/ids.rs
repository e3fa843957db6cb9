//! Identifiers. UUIDs are version 7 so that ids created on different nodes still sort by time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ParseError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| ParseError::new(format!("`{s}` is not a UUID")))
            }
        }
    };
}

uuid_id!(
    /// An organization: a port facility, an agency or a coordination centre.
    OrgId
);
uuid_id!(
    /// A person (or integration) that acts on behalf of one organization.
    UserId
);
uuid_id!(
    /// One event of the log, unique across all nodes.
    EventId
);
uuid_id!(
    /// An API token; the id is public, the secret is shown once and stored only as a hash.
    TokenId
);
uuid_id!(
    /// A shared record (advisory, alert, incident, ...) that events concern.
    RecordId
);

/// Checks the shared grammar of slugs: lowercase ASCII letters, digits, `-`, `_` and `.`, starting
/// with a letter or digit, 1 to `max` characters.
fn check_slug(s: &str, what: &str, max: usize) -> Result<(), ParseError> {
    let ok_len = !s.is_empty() && s.len() <= max;
    let ok_first = s.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let ok_chars = s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'));
    if ok_len && ok_first && ok_chars {
        Ok(())
    } else {
        Err(ParseError::new(format!(
            "`{s}` is not a valid {what}: use 1 to {max} lowercase letters, digits, '-', '_' or '.', \
             starting with a letter or digit"
        )))
    }
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
        pub struct $name(String);

        impl $name {
            /// Parses a slug.
            pub fn parse(s: &str) -> Result<Self, ParseError> {
                check_slug(s, $what, $max)?;
                Ok(Self(s.to_owned()))
            }

            /// The slug as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                check_slug(&s, $what, $max)?;
                Ok(Self(s))
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_id!(
    /// The name of a node (one deployment), unique among federating partners, e.g. `sg-mpa-1`.
    NodeId, "node id", 64
);
slug_id!(
    /// The name of a community: a group of organizations that share with each other, e.g.
    /// `straits-psg` for a regional port security group.
    CommunityName, "community name", 64
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_the_documented_grammar_only() {
        assert!(NodeId::parse("sg-mpa-1").is_ok());
        assert!(CommunityName::parse("straits.psg_2").is_ok());
        for bad in ["", "-lead", "Upper", "sp ace", "semi;colon", &"x".repeat(65)] {
            assert!(NodeId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn slug_deserialization_validates() {
        let ok: Result<CommunityName, _> = serde_json::from_str("\"abc\"");
        assert!(ok.is_ok());
        let bad: Result<CommunityName, _> = serde_json::from_str("\"ABC\"");
        assert!(bad.is_err());
    }

    #[test]
    fn uuid_ids_round_trip_through_text() {
        let id = OrgId::generate();
        assert_eq!(id.to_string().parse::<OrgId>(), Ok(id));
        assert!("not-a-uuid".parse::<OrgId>().is_err());
    }
}

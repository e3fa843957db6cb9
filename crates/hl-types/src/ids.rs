//! Identifiers. UUIDs are version 7 so that ids created on different nodes still sort by time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ParseError;

/// Bits after the version and variant of a UUIDv7: 12 of `rand_a` and 62 of `rand_b`.
const TAIL_BITS: u32 = 74;
/// Largest step between two ids of one millisecond (the step is random in 1..=this).
const TAIL_STEP_MAX: u128 = 1 << 32;

/// A new UUIDv7: the millisecond, then 74 bits that are random for the first id of a
/// millisecond and grow by a random step for the next ones of this process, so ids still sort
/// in creation order, but the difference between two reveals nothing about how many were made
/// between them. (`Uuid::now_v7` counts up by one within a millisecond, which let a reader infer
/// hidden records created in the same millisecond as two it may see.)
fn time_ordered() -> Uuid {
    static LAST: std::sync::Mutex<(u64, u128)> = std::sync::Mutex::new((0, 0));
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let random = Uuid::new_v4().as_u128();
    let fresh = random & ((1u128 << (TAIL_BITS - 1)) - 1); // leaves headroom for the steps
    let mut last = LAST.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (mut ms, mut tail) =
        if now_ms > last.0 { (now_ms, fresh) } else { (last.0, last.1 + 1 + random % TAIL_STEP_MAX) };
    if tail >> TAIL_BITS != 0 {
        // This millisecond is used up (or the clock went back): the next one, never backwards.
        ms += 1;
        tail = fresh;
    }
    *last = (ms, tail);
    drop(last);
    let value = (u128::from(ms & ((1 << 48) - 1)) << 80)
        | (0x7 << 76)
        | ((tail >> 62) << 64)
        | (0b10 << 62)
        | (tail & ((1u128 << 62) - 1));
    Uuid::from_u128(value)
}

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
                Self(time_ordered())
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
                    // The text is not repeated: a secret pasted where an id belongs must not
                    // come back in an error, a log line or a proxy's record of the response.
                    .map_err(|_| ParseError::new(format!("not a UUID ({} characters given)", s.chars().count())))
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
            "{} is not a valid {what}: use 1 to {max} lowercase letters, digits, '-', '_' or '.', \
             starting with a letter or digit",
            crate::shown(s)
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

#[cfg(test)]
mod time_ordered_tests {
    use super::*;

    #[test]
    fn ids_are_version_7_strictly_increasing_and_steps_are_not_counts() {
        let ids: Vec<Uuid> = (0..10_000).map(|_| time_ordered()).collect();
        assert!(ids.iter().all(|id| id.get_version_num() == 7 && id.get_variant() == uuid::Variant::RFC4122));
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "not strictly increasing");
        // Within a millisecond the steps vary: one hidden id between two visible ones cannot be
        // told from none.
        let steps: std::collections::BTreeSet<u128> = ids
            .windows(2)
            .filter(|w| w[0].as_u128() >> 80 == w[1].as_u128() >> 80)
            .map(|w| w[1].as_u128() - w[0].as_u128())
            .collect();
        assert!(steps.len() > 100, "{} distinct steps", steps.len());
        let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let id_ms = ids[0].as_u128() >> 80;
        assert!(now_ms.abs_diff(id_ms) < 60_000, "the time part is the time");
    }
}

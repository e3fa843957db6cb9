//! Organization kinds and user roles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParseError;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        // The wire names are the variants in snake_case (checked by a test); a container-level
        // rule is what the OpenAPI generator sees through this macro.
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and storage spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => {
                        let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        Err(ParseError::new(format!(
                            "{} is not one of: {}", crate::shown(s), allowed.join(", ")
                        )))
                    }
                }
            }
        }
    };
}

text_enum!(
    /// What an organization is.
    OrgKind {
        PortFacility => "port_facility",
        PortAuthority => "port_authority",
        CoastGuard => "coast_guard",
        Police => "police",
        Customs => "customs",
        Navy => "navy",
        RegionalCoordinationCentre => "regional_coordination_centre",
    }
);

text_enum!(
    /// A user's role within their organization. Roles are ordered: each includes the powers of
    /// the ones before it.
    Role {
        /// Reads what the organization may see.
        Viewer => "viewer",
        /// Also records and shares information (advisories, alerts, incidents).
        Operator => "operator",
        /// Also releases TLP:RED information and signs off security decisions.
        SecurityOfficer => "security_officer",
        /// Also manages the organization's users and tokens.
        Administrator => "administrator",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Viewer < Role::Operator);
        assert!(Role::Operator < Role::SecurityOfficer);
        assert!(Role::SecurityOfficer < Role::Administrator);
    }

    #[test]
    fn serde_names_are_the_documented_text() {
        for k in OrgKind::ALL {
            assert_eq!(serde_json::to_value(k).ok(), Some(serde_json::Value::from(k.as_str())));
        }
        for r in Role::ALL {
            assert_eq!(serde_json::to_value(r).ok(), Some(serde_json::Value::from(r.as_str())));
        }
    }

    #[test]
    fn text_round_trips_and_unknown_values_name_the_choices() {
        for k in OrgKind::ALL {
            assert_eq!(k.as_str().parse::<OrgKind>(), Ok(*k));
        }
        let err = "harbour_master".parse::<OrgKind>().err().map(|e| e.reason);
        assert!(err.is_some_and(|r| r.contains("coast_guard")));
    }
}

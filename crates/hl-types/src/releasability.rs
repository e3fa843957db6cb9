//! Releasability: a TLP 2.0 marking (how far recipients may pass it on) plus a distribution scope
//! (who receives it at all). The owner of a record chooses both; recipients can never widen them.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{CommunityName, OrgId, ParseError};

/// The most organizations an explicit recipient list may name. A list longer than this is a
/// community in disguise and should be modelled as one.
pub const RECIPIENTS_MAX: usize = 256;

/// A Traffic Light Protocol 2.0 marking (FIRST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Tlp {
    /// No limit on disclosure.
    #[serde(rename = "CLEAR")]
    Clear,
    /// Recipients may share within their community, not publicly.
    #[serde(rename = "GREEN")]
    Green,
    /// Recipients may share within their organization and its clients who need to know.
    #[serde(rename = "AMBER")]
    Amber,
    /// Recipients may share within their own organization only.
    #[serde(rename = "AMBER+STRICT")]
    AmberStrict,
    /// For the named recipients only.
    #[serde(rename = "RED")]
    Red,
}

impl Tlp {
    /// The TLP 2.0 label without the `TLP:` prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "CLEAR",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::AmberStrict => "AMBER+STRICT",
            Tlp::Red => "RED",
        }
    }
}

impl FromStr for Tlp {
    type Err = ParseError;
    /// Accepts the label with or without the `TLP:` prefix, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let label = upper.strip_prefix("TLP:").unwrap_or(&upper);
        match label {
            "CLEAR" => Ok(Tlp::Clear),
            "GREEN" => Ok(Tlp::Green),
            "AMBER" => Ok(Tlp::Amber),
            "AMBER+STRICT" => Ok(Tlp::AmberStrict),
            "RED" => Ok(Tlp::Red),
            _ => Err(ParseError::new(format!(
                "{} is not a TLP 2.0 marking (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)",
                crate::shown(s)
            ))),
        }
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLP:{}", self.as_str())
    }
}

/// Who receives a record at all, relative to the organization that owns it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "RawScope")]
pub enum DistributionScope {
    /// The owning organization only.
    Organization,
    /// Organizations of the owner's nation.
    Nation,
    /// Members of one named community.
    Community { community: CommunityName },
    /// Every partner organization, local or federated.
    AllPartners,
    /// The owner plus an explicit list of organizations.
    Organizations { organizations: BTreeSet<OrgId> },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ScopeKind {
    Organization,
    Nation,
    Community,
    AllPartners,
    Organizations,
}

/// The flat wire form of a scope. Deserializing through it (rather than serde's buffered
/// internally-tagged enum) keeps the path of a bad inner value, e.g. `scope/community`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    kind: ScopeKind,
    community: Option<CommunityName>,
    /// A list, not a set, so that a duplicate is refused rather than silently merged.
    organizations: Option<Vec<OrgId>>,
}

impl TryFrom<RawScope> for DistributionScope {
    type Error = String;
    fn try_from(raw: RawScope) -> Result<Self, Self::Error> {
        let unexpected = |field: &str, kind: &str| format!("unknown field `{field}`: scope `{kind}` does not take it");
        let simple = |scope: DistributionScope| match (&raw.community, &raw.organizations) {
            (Some(_), _) => Err(unexpected("community", scope.kind())),
            (_, Some(_)) => Err(unexpected("organizations", scope.kind())),
            _ => Ok(scope),
        };
        match raw.kind {
            ScopeKind::Organization => simple(DistributionScope::Organization),
            ScopeKind::Nation => simple(DistributionScope::Nation),
            ScopeKind::AllPartners => simple(DistributionScope::AllPartners),
            ScopeKind::Community => match (raw.community, raw.organizations) {
                (_, Some(_)) => Err(unexpected("organizations", "community")),
                (Some(community), None) => Ok(DistributionScope::Community { community }),
                (None, None) => Err(String::from("missing field `community` (scope `community` names one)")),
            },
            ScopeKind::Organizations => match (raw.community, raw.organizations) {
                (Some(_), _) => Err(unexpected("community", "organizations")),
                (None, Some(list)) => {
                    let organizations: BTreeSet<OrgId> = list.iter().copied().collect();
                    if organizations.len() == list.len() {
                        Ok(DistributionScope::Organizations { organizations })
                    } else {
                        Err(String::from("`organizations` names an organization more than once"))
                    }
                }
                (None, None) => Err(String::from("missing field `organizations` (scope `organizations` lists them)")),
            },
        }
    }
}

impl DistributionScope {
    /// The scope's kind as text, for storage and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            DistributionScope::Organization => "organization",
            DistributionScope::Nation => "nation",
            DistributionScope::Community { .. } => "community",
            DistributionScope::AllPartners => "all_partners",
            DistributionScope::Organizations { .. } => "organizations",
        }
    }
}

/// Why a marking and scope do not go together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReleasabilityError {
    /// TLP:RED is for named recipients, so the scope must name them.
    #[error("TLP:RED is for named recipients only: use scope `organization` or `organizations`")]
    RedNeedsNamedRecipients,
    /// An explicit list must name someone.
    #[error("scope `organizations` needs at least one organization")]
    EmptyRecipientList,
    /// An explicit list is bounded.
    #[error("scope `organizations` names {0} organizations; at most {RECIPIENTS_MAX} are allowed")]
    TooManyRecipients(usize),
}

/// A TLP marking together with a distribution scope, checked for consistency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawReleasability")]
pub struct Releasability {
    tlp: Tlp,
    scope: DistributionScope,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReleasability {
    tlp: Tlp,
    scope: DistributionScope,
}

impl TryFrom<RawReleasability> for Releasability {
    type Error = ReleasabilityError;
    fn try_from(raw: RawReleasability) -> Result<Self, Self::Error> {
        Releasability::new(raw.tlp, raw.scope)
    }
}

impl Releasability {
    /// Combines a marking and a scope, refusing combinations that contradict each other.
    pub fn new(tlp: Tlp, scope: DistributionScope) -> Result<Self, ReleasabilityError> {
        if let DistributionScope::Organizations { organizations } = &scope {
            if organizations.is_empty() {
                return Err(ReleasabilityError::EmptyRecipientList);
            }
            if organizations.len() > RECIPIENTS_MAX {
                return Err(ReleasabilityError::TooManyRecipients(organizations.len()));
            }
        }
        let named = matches!(scope, DistributionScope::Organization | DistributionScope::Organizations { .. });
        if tlp == Tlp::Red && !named {
            return Err(ReleasabilityError::RedNeedsNamedRecipients);
        }
        Ok(Self { tlp, scope })
    }

    /// Public directory information: TLP:CLEAR to all partners.
    pub fn public() -> Self {
        Self { tlp: Tlp::Clear, scope: DistributionScope::AllPartners }
    }

    /// Internal to the owning organization: TLP:AMBER+STRICT, own organization.
    pub fn internal() -> Self {
        Self { tlp: Tlp::AmberStrict, scope: DistributionScope::Organization }
    }

    /// The TLP marking.
    pub fn tlp(&self) -> Tlp {
        self.tlp
    }

    /// The distribution scope.
    pub fn scope(&self) -> &DistributionScope {
        &self.scope
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_serialize_in_the_form_they_parse() {
        let org = OrgId::generate();
        for scope in [
            DistributionScope::Organization,
            DistributionScope::Nation,
            DistributionScope::AllPartners,
            DistributionScope::Community { community: CommunityName::parse("psg").unwrap_or_else(|e| panic!("{e}")) },
            DistributionScope::Organizations { organizations: [org].into() },
        ] {
            let text = serde_json::to_string(&scope).unwrap_or_default();
            let back: DistributionScope = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(back, scope);
        }
    }

    fn parse(json: &str) -> Result<Releasability, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn tlp_labels_follow_tlp_2_0() {
        assert_eq!("TLP:AMBER+STRICT".parse::<Tlp>(), Ok(Tlp::AmberStrict));
        assert_eq!("clear".parse::<Tlp>(), Ok(Tlp::Clear));
        assert!("WHITE".parse::<Tlp>().is_err(), "TLP 1.0's WHITE is not a TLP 2.0 label");
        assert_eq!(serde_json::to_string(&Tlp::AmberStrict).ok().as_deref(), Some("\"AMBER+STRICT\""));
        assert_eq!(Tlp::Red.to_string(), "TLP:RED");
    }

    #[test]
    fn red_requires_named_recipients() {
        assert!(parse(r#"{"tlp":"RED","scope":{"kind":"organization"}}"#).is_ok());
        let org = OrgId::generate();
        let listed = format!(r#"{{"tlp":"RED","scope":{{"kind":"organizations","organizations":["{org}"]}}}}"#);
        assert!(parse(&listed).is_ok());
        let err = parse(r#"{"tlp":"RED","scope":{"kind":"all_partners"}}"#);
        assert!(err.is_err_and(|e| e.to_string().contains("named recipients")));
    }

    #[test]
    fn malformed_scopes_are_refused() {
        assert!(parse(r#"{"tlp":"GREEN","scope":{"kind":"organizations","organizations":[]}}"#).is_err());
        assert!(parse(r#"{"tlp":"GREEN","scope":{"kind":"community"}}"#).is_err());
        assert!(parse(r#"{"tlp":"GREEN","scope":{"kind":"community","community":"Bad Name"}}"#).is_err());
        assert!(parse(r#"{"tlp":"GREEN","scope":{"kind":"planet"}}"#).is_err());
        assert!(parse(r#"{"tlp":"GREEN","scope":{"kind":"nation"},"extra":1}"#).is_err());
        assert!(parse(r#"{"tlp":"GREEN","scope":{"kind":"nation","community":"a"}}"#).is_err());
        assert!(parse(r#"{"tlp":"GREEN","scope":{"kind":"community","community":"a","organizations":[]}}"#).is_err());
        assert!(parse(r#"{"tlp":"GREEN","scope":{"kind":"nation","x":1}}"#).is_err());
        let org = OrgId::generate();
        let twice =
            format!(r#"{{"tlp":"GREEN","scope":{{"kind":"organizations","organizations":["{org}","{org}"]}}}}"#);
        assert!(parse(&twice).is_err_and(|e| e.to_string().contains("more than once")));
        assert!(parse(r#"{"tlp":"GREEN","scope":{"kind":"community","community":"straits-psg"}}"#).is_ok());
    }
}

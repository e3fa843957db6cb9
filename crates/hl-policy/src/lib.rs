//! The one authorization policy. Every read and write of the node asks it; nothing else decides
//! who may see or change what.
//!
//! Reads: a record is visible to its owning organization, and to others only as its releasability
//! allows (TLP:RED only to named recipients; then the distribution scope). Callers that may not see
//! a record must be told it does not exist, so read checks return `bool`, not a reason.
//!
//! Writes: by role (viewers never write; RED needs a security officer), by ownership (only the
//! owning organization revises a record, so a recipient can never widen its releasability) and by
//! membership (one shares with a community one belongs to).

use std::collections::BTreeSet;

use hl_types::{CommunityName, DistributionScope, Nation, OrgId, Releasability, Role, Tlp, UserId};

/// Who is asking: an authenticated user and the facts about their organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub user: UserId,
    pub org: OrgId,
    pub role: Role,
    pub nation: Nation,
    pub communities: BTreeSet<CommunityName>,
}

/// The organization that owns a record, as far as the policy needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub org: OrgId,
    /// `None` when the owner is not in the directory (then nation scopes never match).
    pub nation: Option<Nation>,
}

/// Whether `subject` may see a record owned by `owner` with `releasability`.
pub fn may_read(subject: &Subject, owner: Owner, releasability: &Releasability) -> bool {
    if subject.org == owner.org {
        return true;
    }
    let scope = releasability.scope();
    if releasability.tlp() == Tlp::Red {
        // RED reaches named recipients only, whatever else the scope might say.
        return matches!(scope, DistributionScope::Organizations { organizations } if organizations.contains(&subject.org));
    }
    match scope {
        DistributionScope::Organization => false,
        DistributionScope::Nation => owner.nation == Some(subject.nation),
        DistributionScope::Community { community } => subject.communities.contains(community),
        DistributionScope::AllPartners => true,
        DistributionScope::Organizations { organizations } => organizations.contains(&subject.org),
    }
}

/// A group of readers a record is released to, as a key a store can index: listings then read
/// only the rows released to one of the caller's audiences, so their cost never grows with the
/// records the caller may not see.
///
/// The invariant, checked exhaustively in the tests: `may_read(subject, owner, releasability)`
/// holds exactly when `audiences_of(owner, releasability)` and `audiences_for(subject)` share an
/// element. `may_read` stays the rule; audiences are its index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Audience {
    /// One organization (the owner, or a named recipient).
    Org(OrgId),
    /// Every organization of one nation.
    Nation(Nation),
    /// The members of one community.
    Community(CommunityName),
    /// Every partner.
    All,
}

impl Audience {
    /// The key as stored: `org:<uuid>`, `nation:SG`, `community:<name>`, `all`.
    pub fn key(&self) -> String {
        match self {
            Audience::Org(org) => format!("org:{org}"),
            Audience::Nation(nation) => format!("nation:{}", nation.as_str()),
            Audience::Community(community) => format!("community:{}", community.as_str()),
            Audience::All => String::from("all"),
        }
    }
}

/// The audiences a record owned by `owner` with `releasability` is released to.
pub fn audiences_of(owner: Owner, releasability: &Releasability) -> Vec<Audience> {
    let mut out = vec![Audience::Org(owner.org)];
    let named = |out: &mut Vec<Audience>, organizations: &BTreeSet<OrgId>| {
        out.extend(organizations.iter().filter(|o| **o != owner.org).map(|o| Audience::Org(*o)));
    };
    match releasability.scope() {
        // RED reaches named recipients only, whatever else the scope might say.
        DistributionScope::Organizations { organizations } => named(&mut out, organizations),
        _ if releasability.tlp() == Tlp::Red => {}
        DistributionScope::Organization => {}
        DistributionScope::Nation => out.extend(owner.nation.map(Audience::Nation)),
        DistributionScope::Community { community } => out.push(Audience::Community(community.clone())),
        DistributionScope::AllPartners => out.push(Audience::All),
    }
    out
}

/// The audiences `subject` belongs to.
pub fn audiences_for(subject: &Subject) -> Vec<Audience> {
    let mut out = vec![Audience::Org(subject.org), Audience::Nation(subject.nation), Audience::All];
    out.extend(subject.communities.iter().cloned().map(Audience::Community));
    out
}

/// What a caller wants to do.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Share a new record with this releasability.
    Publish { releasability: &'a Releasability },
    /// Change a record owned by `owner`, possibly giving it a new releasability.
    Revise { owner: OrgId, releasability: Option<&'a Releasability> },
    /// Create users in, or list the users of, an organization.
    ManageUsers { org: OrgId },
    /// See the user directory of an organization.
    ListUsers { org: OrgId },
    /// Issue a token for a user.
    IssueToken { user: UserId, org: OrgId },
    /// Revoke a token that belongs to a user of `org`.
    RevokeToken { user: UserId, org: OrgId },
    /// See the node's live maritime picture (vessel positions and tracks from its AIS feeds).
    /// AIS is broadcast in the clear, so every user of the node may; alerts, zones and watch
    /// lists are records with their own releasability and are read with [`may_read`].
    ViewPicture,
    /// Feed AIS sentences into the node's picture.
    FeedPicture,
    /// Read the whole event log with its chain fields (sequence numbers, hashes, signatures,
    /// positions), which reveal that hidden events exist: the node's administrators only, i.e.
    /// the administrators of the organization that hosts the node (`host`, its first registered).
    ReadFullLog { host: OrgId },
    /// See exactly which organizations may read a record of `owner` (or would, under a
    /// releasability being chosen): the owning organization's users only, since the list names
    /// every recipient, named or not.
    ViewAudience { owner: OrgId },
    /// See who read a record of `owner` (the read audit): the owning organization's
    /// administrators only.
    ReadAudit { owner: OrgId },
}

/// Why a write was refused. The text is safe to show the caller: it names only their own facts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Denial {
    #[error("role `{have}` may not do this; at least `{need}` is required")]
    Role { have: Role, need: Role },
    #[error("only the owning organization may change this record")]
    NotOwner,
    #[error("your organization is not a member of community `{0}`")]
    NotMember(CommunityName),
    #[error("this belongs to another organization")]
    OtherOrganization,
}

fn at_least(subject: &Subject, need: Role) -> Result<(), Denial> {
    if subject.role >= need { Ok(()) } else { Err(Denial::Role { have: subject.role, need }) }
}

fn may_release(subject: &Subject, releasability: &Releasability) -> Result<(), Denial> {
    at_least(subject, Role::Operator)?;
    if releasability.tlp() == Tlp::Red {
        at_least(subject, Role::SecurityOfficer)?;
    }
    if let DistributionScope::Community { community } = releasability.scope()
        && !subject.communities.contains(community)
    {
        return Err(Denial::NotMember(community.clone()));
    }
    Ok(())
}

/// Whether `subject` may perform `action`.
pub fn authorize(subject: &Subject, action: Action<'_>) -> Result<(), Denial> {
    match action {
        Action::Publish { releasability } => may_release(subject, releasability),
        Action::Revise { owner, releasability } => {
            if owner != subject.org {
                return Err(Denial::NotOwner);
            }
            at_least(subject, Role::Operator)?;
            releasability.map_or(Ok(()), |r| may_release(subject, r))
        }
        Action::ManageUsers { org } => {
            if org != subject.org {
                return Err(Denial::OtherOrganization);
            }
            at_least(subject, Role::Administrator)
        }
        Action::ListUsers { org } => {
            if org == subject.org {
                Ok(())
            } else {
                Err(Denial::OtherOrganization)
            }
        }
        Action::ViewPicture => at_least(subject, Role::Viewer),
        Action::ReadFullLog { host } => {
            if host != subject.org {
                return Err(Denial::OtherOrganization);
            }
            at_least(subject, Role::Administrator)
        }
        Action::FeedPicture => at_least(subject, Role::Operator),
        Action::ViewAudience { owner } => {
            if owner != subject.org {
                return Err(Denial::NotOwner);
            }
            at_least(subject, Role::Viewer)
        }
        Action::ReadAudit { owner } => {
            if owner != subject.org {
                return Err(Denial::NotOwner);
            }
            at_least(subject, Role::Administrator)
        }
        Action::IssueToken { user, org } | Action::RevokeToken { user, org } => {
            if user == subject.user {
                return Ok(());
            }
            if org != subject.org {
                return Err(Denial::OtherOrganization);
            }
            at_least(subject, Role::Administrator)
        }
    }
}

#[cfg(test)]
mod tests;

//! Exhaustive checks of the read rule over every TLP × scope × relation, and the write rules.

use super::*;

fn nation(code: &str) -> Nation {
    Nation::parse(code).unwrap_or_else(|e| panic!("{e}"))
}

fn community(name: &str) -> CommunityName {
    CommunityName::parse(name).unwrap_or_else(|e| panic!("{e}"))
}

fn subject(org: OrgId, role: Role, code: &str, communities: &[&str]) -> Subject {
    Subject {
        user: UserId::generate(),
        org,
        role,
        nation: nation(code),
        communities: communities.iter().map(|c| community(c)).collect(),
    }
}

/// Relations a reader can have to the owner.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Relation {
    SameOrg,
    SameNation,
    SameCommunity,
    Listed,
    Stranger,
}

fn expected(tlp: Tlp, scope: &str, relation: Relation) -> bool {
    use Relation::*;
    if relation == SameOrg {
        return true;
    }
    if tlp == Tlp::Red {
        return scope == "organizations" && relation == Listed;
    }
    match scope {
        "organization" => false,
        "nation" => relation == SameNation,
        "community" => relation == SameCommunity,
        "all_partners" => true,
        "organizations" => relation == Listed,
        _ => unreachable!(),
    }
}

#[test]
fn read_rule_matches_the_table_for_every_combination() {
    let owner_org = OrgId::generate();
    let owner = Owner { org: owner_org, nation: Some(nation("SG")) };
    let listed_org = OrgId::generate();
    let readers = [
        (Relation::SameOrg, subject(owner_org, Role::Viewer, "SG", &[])),
        (Relation::SameNation, subject(OrgId::generate(), Role::Viewer, "SG", &[])),
        (Relation::SameCommunity, subject(OrgId::generate(), Role::Viewer, "MY", &["straits-psg"])),
        (Relation::Listed, subject(listed_org, Role::Viewer, "ID", &[])),
        (Relation::Stranger, subject(OrgId::generate(), Role::Administrator, "FR", &["other"])),
    ];
    let scopes = [
        ("organization", DistributionScope::Organization),
        ("nation", DistributionScope::Nation),
        ("community", DistributionScope::Community { community: community("straits-psg") }),
        ("all_partners", DistributionScope::AllPartners),
        ("organizations", DistributionScope::Organizations { organizations: [listed_org].into() }),
    ];
    let tlps = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];
    let mut checked = 0;
    for tlp in tlps {
        for (scope_name, scope) in &scopes {
            let Ok(rel) = Releasability::new(tlp, scope.clone()) else {
                assert_eq!(tlp, Tlp::Red, "only RED refuses scopes");
                continue;
            };
            for (relation, reader) in &readers {
                assert_eq!(
                    may_read(reader, owner, &rel),
                    expected(tlp, scope_name, *relation),
                    "{tlp} {scope_name} {relation:?}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 5 * 5 * 4 + 2 * 5);
}

/// The audience index answers exactly as `may_read`, for every TLP × scope × reader relation,
/// with owners of known and unknown nation, and recipient lists that name the owner too.
#[test]
fn audiences_intersect_exactly_when_the_reader_may_read() {
    let owner_org = OrgId::generate();
    let listed_org = OrgId::generate();
    let readers = [
        subject(owner_org, Role::Viewer, "SG", &[]),
        subject(owner_org, Role::Viewer, "SG", &["straits-psg"]),
        subject(OrgId::generate(), Role::Viewer, "SG", &[]),
        subject(OrgId::generate(), Role::Viewer, "MY", &["straits-psg"]),
        subject(OrgId::generate(), Role::Viewer, "SG", &["straits-psg", "other"]),
        subject(listed_org, Role::Viewer, "ID", &[]),
        subject(listed_org, Role::Viewer, "SG", &["straits-psg"]),
        subject(OrgId::generate(), Role::Administrator, "FR", &["other"]),
    ];
    let scopes = [
        DistributionScope::Organization,
        DistributionScope::Nation,
        DistributionScope::Community { community: community("straits-psg") },
        DistributionScope::AllPartners,
        DistributionScope::Organizations { organizations: [listed_org].into() },
        DistributionScope::Organizations { organizations: [listed_org, owner_org].into() },
    ];
    let mut checked = 0;
    for nation_known in [Some(nation("SG")), None] {
        let owner = Owner { org: owner_org, nation: nation_known };
        for tlp in [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red] {
            for scope in &scopes {
                let Ok(rel) = Releasability::new(tlp, scope.clone()) else { continue };
                let released = audiences_of(owner, &rel);
                for reader in &readers {
                    let member = audiences_for(reader);
                    let shared = released.iter().any(|a| member.contains(a));
                    assert_eq!(shared, may_read(reader, owner, &rel), "{tlp} {scope:?} {reader:?} {released:?}");
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * (4 * 6 + 3) * readers.len());
    let keys: BTreeSet<String> = audiences_for(&readers[4]).iter().map(Audience::key).collect();
    assert!(keys.contains("all") && keys.contains("nation:SG") && keys.contains("community:other"), "{keys:?}");
}

#[test]
fn unknown_owner_nation_never_matches_a_nation_scope() {
    let reader = subject(OrgId::generate(), Role::Viewer, "SG", &[]);
    let rel = Releasability::new(Tlp::Green, DistributionScope::Nation).unwrap_or_else(|e| panic!("{e}"));
    assert!(!may_read(&reader, Owner { org: OrgId::generate(), nation: None }, &rel));
}

#[test]
fn publishing_needs_role_and_membership() {
    let org = OrgId::generate();
    let green_community =
        Releasability::new(Tlp::Green, DistributionScope::Community { community: community("straits-psg") })
            .unwrap_or_else(|e| panic!("{e}"));
    let red = Releasability::new(Tlp::Red, DistributionScope::Organization).unwrap_or_else(|e| panic!("{e}"));

    let viewer = subject(org, Role::Viewer, "SG", &["straits-psg"]);
    let operator = subject(org, Role::Operator, "SG", &["straits-psg"]);
    let outsider = subject(org, Role::Operator, "SG", &[]);
    let officer = subject(org, Role::SecurityOfficer, "SG", &[]);

    let publish = |s: &Subject, r| authorize(s, Action::Publish { releasability: r });
    assert!(matches!(publish(&viewer, &green_community), Err(Denial::Role { .. })));
    assert_eq!(publish(&operator, &green_community), Ok(()));
    assert!(matches!(publish(&outsider, &green_community), Err(Denial::NotMember(_))));
    assert!(matches!(publish(&operator, &red), Err(Denial::Role { need: Role::SecurityOfficer, .. })));
    assert_eq!(publish(&officer, &red), Ok(()));
}

#[test]
fn only_the_owner_revises_and_cannot_escape_the_publish_rules() {
    let org = OrgId::generate();
    let operator = subject(org, Role::Operator, "SG", &[]);
    let red = Releasability::new(Tlp::Red, DistributionScope::Organization).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(authorize(&operator, Action::Revise { owner: org, releasability: None }), Ok(()));
    assert_eq!(
        authorize(&operator, Action::Revise { owner: OrgId::generate(), releasability: None }),
        Err(Denial::NotOwner)
    );
    assert!(authorize(&operator, Action::Revise { owner: org, releasability: Some(&red) }).is_err());
}

#[test]
fn user_and_token_administration_stays_inside_the_organization() {
    let org = OrgId::generate();
    let admin = subject(org, Role::Administrator, "SG", &[]);
    let operator = subject(org, Role::Operator, "SG", &[]);
    let other_org = OrgId::generate();
    assert_eq!(authorize(&admin, Action::ManageUsers { org }), Ok(()));
    assert!(authorize(&admin, Action::ManageUsers { org: other_org }).is_err());
    assert!(authorize(&operator, Action::ManageUsers { org }).is_err());
    assert_eq!(authorize(&operator, Action::ListUsers { org }), Ok(()));
    assert!(authorize(&operator, Action::ListUsers { org: other_org }).is_err());
    // Anyone may manage their own tokens; an administrator those of their organization's users.
    assert_eq!(authorize(&operator, Action::RevokeToken { user: operator.user, org }), Ok(()));
    assert!(authorize(&operator, Action::RevokeToken { user: UserId::generate(), org }).is_err());
    assert_eq!(authorize(&admin, Action::RevokeToken { user: UserId::generate(), org }), Ok(()));
    assert!(authorize(&admin, Action::IssueToken { user: UserId::generate(), org: other_org }).is_err());
}

#[test]
fn every_user_views_the_picture_and_only_operators_feed_it() {
    let org = OrgId::generate();
    for role in [Role::Viewer, Role::Operator, Role::SecurityOfficer, Role::Administrator] {
        let s = subject(org, role, "SG", &[]);
        assert_eq!(authorize(&s, Action::ViewPicture), Ok(()));
        assert_eq!(authorize(&s, Action::FeedPicture).is_ok(), role >= Role::Operator, "{role:?}");
    }
}

#[test]
fn only_the_host_organizations_administrators_read_the_full_log() {
    let host = OrgId::generate();
    for role in [Role::Viewer, Role::Operator, Role::SecurityOfficer, Role::Administrator] {
        let own = subject(host, role, "SG", &[]);
        assert_eq!(authorize(&own, Action::ReadFullLog { host }).is_ok(), role == Role::Administrator, "{role:?}");
        let other = subject(OrgId::generate(), role, "SG", &[]);
        assert!(authorize(&other, Action::ReadFullLog { host }).is_err(), "{role:?} of a hosted organization");
    }
}

#[test]
fn the_audience_is_for_the_owner_and_the_read_audit_for_its_administrators() {
    let owner = OrgId::generate();
    for role in [Role::Viewer, Role::Operator, Role::SecurityOfficer, Role::Administrator] {
        let own = Subject {
            user: UserId::generate(),
            org: owner,
            role,
            nation: Nation::parse("SG").unwrap_or_else(|e| panic!("{e}")),
            communities: Default::default(),
        };
        let other = Subject { org: OrgId::generate(), ..own.clone() };
        assert_eq!(authorize(&own, Action::ViewAudience { owner }), Ok(()), "{role:?}");
        assert_eq!(authorize(&other, Action::ViewAudience { owner }), Err(Denial::NotOwner), "{role:?}");
        assert_eq!(authorize(&own, Action::ReadAudit { owner }).is_ok(), role == Role::Administrator, "{role:?}");
        assert_eq!(authorize(&other, Action::ReadAudit { owner }), Err(Denial::NotOwner), "{role:?}");
    }
}

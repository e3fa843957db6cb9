#![allow(clippy::type_complexity)]
use std::collections::BTreeSet;

use hl_types::{Nation, OrgKind, Tlp};

use super::*;

fn node() -> NodeId {
    NodeId::parse("sg-test-1").unwrap_or_else(|e| panic!("{e}"))
}

fn sample(i: i64) -> UnsignedEvent {
    let org = OrgId::generate();
    UnsignedEvent {
        id: EventId::generate(),
        author_org: org,
        author_user: None,
        recorded_at_us: 1_700_000_000_000_000 + i,
        releasability: Releasability::public(),
        change: Change::OrganizationRegistered {
            org,
            name: format!("Port {i} \u{2014} \"quoted\" \u{0000}"),
            kind: OrgKind::PortFacility,
            nation: Nation::parse("SG").unwrap_or_else(|e| panic!("{e}")),
            communities: BTreeSet::new(),
        },
    }
}

fn chain(key: &NodeKey, n: i64) -> Vec<Event> {
    let mut prev = GENESIS_HASH;
    (1..=n)
        .map(|i| {
            let e = sample(i).seal(&node(), i as u64, prev, key);
            prev = e.hash;
            e
        })
        .collect()
}

fn verify(key: &NodeKey, events: &[Event]) -> Result<u64, BrokenLink> {
    let public = key.public();
    let mut v = ChainVerifier::new(move |_: &NodeId| Some(public));
    for e in events {
        v.check(e)?;
    }
    Ok(v.checked())
}

#[test]
fn an_intact_chain_verifies() {
    let key = NodeKey::generate();
    assert_eq!(verify(&key, &chain(&key, 20)), Ok(20));
}

#[test]
fn altering_any_field_is_detected_at_that_event() {
    let key = NodeKey::generate();
    let good = chain(&key, 5);
    let alterations: Vec<(&str, Box<dyn Fn(&mut Event)>)> = vec![
        ("payload", Box::new(|e| e.payload = e.payload.replace("Port", "Pont"))),
        ("time", Box::new(|e| e.recorded_at_us += 1)),
        (
            "tlp",
            Box::new(|e| {
                e.releasability = Releasability::new(Tlp::Green, e.releasability.scope().clone())
                    .unwrap_or_else(|err| panic!("{err}"))
            }),
        ),
        ("author", Box::new(|e| e.author_org = OrgId::generate())),
        ("record id", Box::new(|e| e.record_id.push('x'))),
    ];
    for (what, alter) in alterations {
        let mut events = good.clone();
        alter(&mut events[2]);
        let err = verify(&key, &events).err();
        assert_eq!(err.map(|b| (b.seq, b.fault)), Some((3, LinkFault::ContentHashMismatch)), "{what}");
    }
}

#[test]
fn a_rehashed_forgery_fails_the_signature() {
    let key = NodeKey::generate();
    let mut events = chain(&key, 3);
    events[1].payload = events[1].payload.replace("Port", "Pont");
    events[1].hash = events[1].computed_hash();
    let err = verify(&key, &events).err();
    assert_eq!(err.map(|b| (b.seq, b.fault)), Some((2, LinkFault::BadSignature)));
}

#[test]
fn deletions_reorderings_and_foreign_keys_are_detected() {
    let key = NodeKey::generate();
    let events = chain(&key, 4);
    let mut deleted = events.clone();
    deleted.remove(1);
    let err = verify(&key, &deleted).err();
    assert_eq!(err.map(|b| b.fault), Some(LinkFault::SequenceGap { expected: 2 }));

    let mut renumbered = deleted.clone();
    renumbered[1].seq = 2;
    let err = verify(&key, &renumbered).err();
    assert!(err.is_some_and(|b| b.seq == 2));

    let other = NodeKey::generate();
    let err = verify(&other, &events).err();
    assert_eq!(err.map(|b| (b.seq, b.fault)), Some((1, LinkFault::BadSignature)));
}

#[test]
fn keys_round_trip_through_hex_and_debug_hides_the_secret() {
    let key = NodeKey::generate();
    let again = NodeKey::from_hex(&key.to_hex()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(key.public(), again.public());
    assert!(!format!("{key:?}").contains(&key.to_hex()));
    assert!(NodeKey::from_hex("zz").is_err());
    assert_eq!(PublicKey::from_hex(&key.public().to_string()).ok(), Some(key.public()));
}

#[test]
fn payload_decodes_back_to_the_change() {
    let key = NodeKey::generate();
    let unsigned = sample(1);
    let change = unsigned.change.clone();
    let event = unsigned.seal(&node(), 1, GENESIS_HASH, &key);
    assert_eq!(event.change(), Some(change));
    assert_eq!(event.record_type, "organization");
}

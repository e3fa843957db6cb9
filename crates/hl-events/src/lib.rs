//! The event log's envelope: every change to shared state is an [`Event`] that names its origin
//! node, a per-origin sequence number, the hash of the origin's previous event and an Ed25519
//! signature by the origin's key.
//!
//! This crate is pure: it builds, seals and checks events; storing them is `hl-store`'s job.
//!
//! # Canonical form
//! The hash and the signature cover [`Event::canonical_bytes`]: a fixed prefix naming the envelope
//! version, then a JSON object whose fields always come in the same order. The payload is carried
//! as the exact JSON text that was sealed (never re-serialized), so storing it as text in any
//! database keeps the signature valid.

mod chain;
mod change;
mod key;

pub use chain::{BrokenLink, ChainVerifier, LinkFault};
pub use change::{AdvisorySeverity, Change};
pub use key::{KeyError, NodeKey, PublicKey};

use hl_types::{EventId, NodeId, OrgId, Releasability, UserId};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The version of the envelope and its canonical form; bumped if either ever changes.
pub const ENVELOPE_VERSION: u16 = 1;

/// Domain separation for what the hash covers, so an event signature can never be replayed as a
/// signature over anything else the node signs.
const CANONICAL_PREFIX: &[u8] = b"harborlink/event/v1\n";

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The previous-hash of an origin's first event.
pub const GENESIS_HASH: Hash = [0; 32];

/// A change that has been decided but not yet placed in the chain.
#[derive(Debug, Clone)]
pub struct UnsignedEvent {
    pub id: EventId,
    pub author_org: OrgId,
    pub author_user: Option<UserId>,
    /// Microseconds since the Unix epoch, UTC.
    pub recorded_at_us: i64,
    pub releasability: Releasability,
    pub change: Change,
}

impl UnsignedEvent {
    /// Places the event in `origin`'s chain after `prev` and signs it.
    pub fn seal(self, origin: &NodeId, seq: u64, prev_hash: Hash, key: &NodeKey) -> Event {
        let (record_type, record_id) = self.change.record();
        // A `Change` is plain data (strings, numbers, ids, enums): serializing it cannot fail.
        let payload = serde_json::to_string(&self.change).unwrap_or_else(|_| String::from("null"));
        let mut event = Event {
            id: self.id,
            origin: origin.clone(),
            seq,
            author_org: self.author_org,
            author_user: self.author_user,
            recorded_at_us: self.recorded_at_us,
            record_type,
            record_id,
            releasability: self.releasability,
            payload,
            prev_hash,
            hash: [0; 32],
            signature: [0; 64],
        };
        let canonical = event.canonical_bytes();
        event.hash = Sha256::digest(&canonical).into();
        event.signature = key.sign(&canonical);
        event
    }
}

/// One sealed event, as stored and as exchanged between nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    /// The node that sealed the event.
    pub origin: NodeId,
    /// Position in the origin's chain, from 1 without gaps.
    pub seq: u64,
    /// The organization on whose behalf the change was made; it owns the releasability.
    pub author_org: OrgId,
    /// The user who made the change; `None` for the node's own administration (the CLI).
    pub author_user: Option<UserId>,
    /// Microseconds since the Unix epoch, UTC.
    pub recorded_at_us: i64,
    /// The kind of record the event concerns, e.g. `organization` or `advisory`.
    pub record_type: String,
    /// The id of that record.
    pub record_id: String,
    pub releasability: Releasability,
    /// The change as canonical JSON text.
    pub payload: String,
    pub prev_hash: Hash,
    pub hash: Hash,
    pub signature: [u8; 64],
}

#[derive(Serialize)]
struct CanonicalView<'a> {
    v: u16,
    id: &'a EventId,
    origin: &'a NodeId,
    seq: u64,
    author_org: &'a OrgId,
    author_user: &'a Option<UserId>,
    recorded_at_us: i64,
    record_type: &'a str,
    record_id: &'a str,
    releasability: &'a Releasability,
    payload: &'a str,
    prev_hash: String,
}

impl Event {
    /// The bytes the hash and signature cover: every field but `hash` and `signature`.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let view = CanonicalView {
            v: ENVELOPE_VERSION,
            id: &self.id,
            origin: &self.origin,
            seq: self.seq,
            author_org: &self.author_org,
            author_user: &self.author_user,
            recorded_at_us: self.recorded_at_us,
            record_type: &self.record_type,
            record_id: &self.record_id,
            releasability: &self.releasability,
            payload: &self.payload,
            prev_hash: hex::encode(self.prev_hash),
        };
        let mut out = CANONICAL_PREFIX.to_vec();
        // Serializing a struct of strings and integers into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, &view);
        out
    }

    /// Recomputes the hash over the canonical form.
    pub fn computed_hash(&self) -> Hash {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// Decodes the payload into a known change. `None` for a change type this build does not
    /// know (an event from a newer peer): it stays in the log untouched.
    pub fn change(&self) -> Option<Change> {
        serde_json::from_str(&self.payload).ok()
    }
}

#[cfg(test)]
mod tests;

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    const BLOCK: usize = 64;
    let mut inner_pad = [0x36u8; BLOCK];
    let mut outer_pad = [0x5cu8; BLOCK];
    for (i, byte) in key.iter().enumerate() {
        inner_pad[i] ^= byte;
        outer_pad[i] ^= byte;
    }
    let inner = Sha256::new().chain_update(inner_pad).chain_update(message).finalize();
    Sha256::new().chain_update(outer_pad).chain_update(inner).finalize().into()
}

#[cfg(test)]
mod hmac_tests {
    #[test]
    fn hmac_sha256_agrees_with_an_independent_implementation() {
        // Computed with Python's standard library:
        // hmac.new(bytes(range(32)), b"harborlink", hashlib.sha256).hexdigest()
        let key: [u8; 32] = core::array::from_fn(|i| i as u8);
        let mac = super::hmac_sha256(&key, b"harborlink");
        assert_eq!(hex::encode(mac), "83033642779afd77ed20cfc7c6001b0caf6b483818d1a602ba8b8d137e84b57d");
    }
}

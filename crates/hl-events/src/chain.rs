//! Checking chains: every origin's events must run 1, 2, 3, ... with each one naming the hash of
//! the one before, and carry a valid signature by the origin's key.

use std::collections::HashMap;
use std::fmt;

use hl_types::{EventId, NodeId};

use sha2::Digest;

use crate::{Event, GENESIS_HASH, Hash, PublicKey};

/// What is wrong with one event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkFault {
    /// The origin is not a known node, so nothing it signed can be checked.
    UnknownOrigin,
    /// The sequence number is not the one after the origin's previous event.
    SequenceGap { expected: u64 },
    /// The event does not name the hash of the origin's previous event.
    PreviousHashMismatch,
    /// The stored hash is not the hash of the event's content: the content was changed.
    ContentHashMismatch,
    /// The signature is not the origin's signature of this content.
    BadSignature,
}

impl fmt::Display for LinkFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkFault::UnknownOrigin => f.write_str("the origin node's public key is unknown"),
            LinkFault::SequenceGap { expected } => {
                write!(f, "sequence gap: expected sequence number {expected}")
            }
            LinkFault::PreviousHashMismatch => f.write_str("previous-hash does not match the origin's previous event"),
            LinkFault::ContentHashMismatch => f.write_str("content does not match its hash (the event was altered)"),
            LinkFault::BadSignature => f.write_str("signature is not valid for the origin's key"),
        }
    }
}

/// The first broken link found, named so an operator can find the row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {event_id} (origin {origin}, sequence {seq}): {fault}")]
pub struct BrokenLink {
    pub event_id: EventId,
    pub origin: NodeId,
    pub seq: u64,
    pub fault: LinkFault,
}

/// Checks events one at a time in log order, keeping only each origin's last (seq, hash).
///
/// Events of one origin must arrive in sequence order; events of different origins may
/// interleave in any way.
pub struct ChainVerifier<F> {
    key_of: F,
    heads: HashMap<NodeId, (u64, Hash)>,
    checked: u64,
}

impl<F: Fn(&NodeId) -> Option<PublicKey>> ChainVerifier<F> {
    /// A verifier that looks origins' keys up with `key_of`.
    pub fn new(key_of: F) -> Self {
        Self { key_of, heads: HashMap::new(), checked: 0 }
    }

    /// Checks the next event; on success it becomes its origin's head.
    pub fn check(&mut self, event: &Event) -> Result<(), BrokenLink> {
        let broken = |fault| BrokenLink { event_id: event.id, origin: event.origin.clone(), seq: event.seq, fault };
        let key = (self.key_of)(&event.origin).ok_or_else(|| broken(LinkFault::UnknownOrigin))?;
        let (last_seq, last_hash) = self.heads.get(&event.origin).copied().unwrap_or((0, GENESIS_HASH));
        let expected = last_seq + 1;
        if event.seq != expected {
            return Err(broken(LinkFault::SequenceGap { expected }));
        }
        if event.prev_hash != last_hash {
            return Err(broken(LinkFault::PreviousHashMismatch));
        }
        let canonical = event.canonical_bytes();
        let computed: Hash = sha2::Sha256::digest(&canonical).into();
        if computed != event.hash {
            return Err(broken(LinkFault::ContentHashMismatch));
        }
        if !key.verifies(&canonical, &event.signature) {
            return Err(broken(LinkFault::BadSignature));
        }
        self.heads.insert(event.origin.clone(), (event.seq, event.hash));
        self.checked += 1;
        Ok(())
    }

    /// How many events have passed.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// Each origin's last checked (sequence, hash).
    pub fn heads(&self) -> &HashMap<NodeId, (u64, Hash)> {
        &self.heads
    }
}

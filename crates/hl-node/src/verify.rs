//! Re-checking the whole log: every chain link and signature, then each origin's recorded head,
//! which catches deletion of an origin's newest events too.

use std::collections::HashMap;

use hl_events::{BrokenLink, ChainVerifier};
use hl_store::{CorruptEvent, Store, StoreError};
use hl_types::NodeId;

/// Events read per page while verifying.
const VERIFY_PAGE: u32 = 2_000;

/// An intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events: u64,
    /// Each origin with its last sequence number.
    pub origins: Vec<(NodeId, u64)>,
}

/// The first thing found wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyFailure {
    #[error("broken link at {0}")]
    Broken(#[from] BrokenLink),
    #[error("unreadable {0}")]
    Corrupt(#[from] CorruptEvent),
    #[error(
        "origin {origin}: the log ends at sequence {log_seq} but the recorded chain head is {head_seq} (events were removed)"
    )]
    MissingTail { origin: NodeId, head_seq: u64, log_seq: u64 },
    #[error("could not read the log: {0}")]
    Store(#[from] StoreError),
}

/// Checks every event in log order. Pure reading: safe on a live node.
pub async fn verify_log(store: &dyn Store) -> Result<VerifyReport, VerifyFailure> {
    let keys: HashMap<NodeId, hl_events::PublicKey> = store.node_keys().await?.into_iter().collect();
    // The chain heads are read before the events, so events appended meanwhile only lengthen
    // the log past them and never look like a removed tail.
    let heads = store.chain_heads().await?;
    let mut verifier = ChainVerifier::new(|origin: &NodeId| keys.get(origin).copied());
    let mut after = 0;
    loop {
        let page = store.events_after(after, VERIFY_PAGE).await?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (_, event) in page {
            verifier.check(&event?)?;
        }
    }
    let seen = verifier.heads();
    for (origin, head_seq) in heads {
        let log_seq = seen.get(&origin).map_or(0, |(seq, _)| *seq);
        if log_seq < head_seq {
            return Err(VerifyFailure::MissingTail { origin, head_seq, log_seq });
        }
    }
    let mut origins: Vec<(NodeId, u64)> = seen.iter().map(|(o, (seq, _))| (o.clone(), *seq)).collect();
    origins.sort();
    Ok(VerifyReport { events: verifier.checked(), origins })
}

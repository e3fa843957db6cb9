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

/// A projection row that access decisions read (organizations with their nation and
/// communities, users with their role, tokens with their revocation) and that the log does not
/// support: edited by hand. What `verify` reports besides the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table} {id}: {reason}")]
pub struct ProjectionDrift {
    pub table: &'static str,
    pub id: String,
    pub reason: String,
}

/// Replays the log's organization, user and token events in memory and compares the tables the
/// policy and authentication read with them: a role raised, a revocation cleared, a nation or
/// community changed, or a row with no event behind it is reported.
pub async fn verify_access_projections(store: &dyn Store) -> Result<Vec<ProjectionDrift>, StoreError> {
    use std::collections::{BTreeMap, BTreeSet};

    use hl_events::Change;

    let mut orgs: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    let mut users: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut tokens: BTreeMap<String, (String, bool)> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, VERIFY_PAGE).await?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for event in page.into_iter().filter_map(|(_, e)| e.ok()) {
            match event.change() {
                Some(Change::OrganizationRegistered { org, nation, communities, .. }) => {
                    let communities = communities.iter().map(|c| c.as_str().to_owned()).collect();
                    orgs.insert(org.to_string(), (nation.as_str().to_owned(), communities));
                }
                Some(Change::CommunityJoined { org, community }) => {
                    if let Some((_, c)) = orgs.get_mut(&org.to_string()) {
                        c.insert(community.as_str().to_owned());
                    }
                }
                Some(Change::CommunityLeft { org, community }) => {
                    if let Some((_, c)) = orgs.get_mut(&org.to_string()) {
                        c.remove(community.as_str());
                    }
                }
                Some(Change::UserRegistered { user, org, role, .. }) => {
                    users.insert(user.to_string(), (org.to_string(), role.as_str().to_owned()));
                }
                Some(Change::TokenIssued { token, user, .. }) => {
                    tokens.insert(token.to_string(), (user.to_string(), false));
                }
                Some(Change::TokenRevoked { token, .. }) => {
                    if let Some((_, revoked)) = tokens.get_mut(&token.to_string()) {
                        *revoked = true;
                    }
                }
                _ => {}
            }
        }
    }
    let mut drift = Vec::new();
    let mut report = |table, id: &str, reason: String| drift.push(ProjectionDrift { table, id: id.to_owned(), reason });
    let stored_orgs = store.organizations().await?;
    let mut seen_users = BTreeSet::new();
    for org in &stored_orgs {
        let id = org.id.to_string();
        let communities: BTreeSet<String> = org.communities.iter().map(|c| c.as_str().to_owned()).collect();
        match orgs.get(&id) {
            None => report("organizations", &id, String::from("no event registered it")),
            Some((nation, logged)) if nation != org.nation.as_str() || *logged != communities => report(
                "organizations",
                &id,
                format!("nation or communities differ from the log ({nation}, {logged:?})"),
            ),
            Some(_) => {}
        }
        for user in store.users_of(org.id).await? {
            let uid = user.id.to_string();
            seen_users.insert(uid.clone());
            match users.get(&uid) {
                None => report("users", &uid, String::from("no event registered it")),
                Some((org_id, role)) if *org_id != id || role != user.role.as_str() => {
                    report("users", &uid, format!("organization or role differ from the log (role {role})"))
                }
                Some(_) => {}
            }
        }
    }
    for (id, (user, revoked)) in &tokens {
        let Ok(token_id) = id.parse() else { continue };
        match store.token(token_id).await? {
            None => report("tokens", id, String::from("issued in the log but missing")),
            Some(t) if t.user.to_string() != *user || t.revoked_at_us.is_some() != *revoked => {
                report("tokens", id, format!("user or revocation differ from the log (revoked: {revoked})"))
            }
            Some(_) => {}
        }
    }
    for id in orgs.keys().filter(|id| !stored_orgs.iter().any(|o| o.id.to_string() == **id)) {
        report("organizations", id, String::from("registered in the log but missing"));
    }
    for id in users.keys().filter(|id| !seen_users.contains(*id)) {
        report("users", id, String::from("registered in the log but missing"));
    }
    Ok(drift)
}

/// Attachments whose stored content no longer matches the SHA-256 they are stored (and signed)
/// under: evidence changed after it was attached.
pub async fn verify_attachments(store: &dyn Store) -> Result<Vec<String>, StoreError> {
    use sha2::Digest;
    // Few at a time: each holds its whole content.
    const PAGE: u32 = 16;
    let mut broken = Vec::new();
    let mut after = String::new();
    loop {
        let page = store.attachments_after(&after, PAGE).await?;
        let Some((last, _)) = page.last() else { return Ok(broken) };
        after = last.clone();
        for (sha256, content) in &page {
            if hex::encode(sha2::Sha256::digest(content)) != *sha256 {
                broken.push(sha256.clone());
            }
        }
    }
}

//! The node's application services. Commands are checked by the policy and become events that the
//! writer appends; queries return only what the policy lets the caller see.
//!
//! # Invariants
//! - Every read and write of shared records goes through [`hl_policy`]; a record the caller may
//!   not see is reported exactly like a missing one ([`NodeError::NotFound`]).
//! - A command returns success only after its events are committed (see [`writer`]).
//! - Token secrets leave this crate once, in [`IssuedToken`], and are stored only as SHA-256.

mod binding;
mod commands;
mod error;
mod incident;
mod picture;
mod queries;
pub mod records;
pub mod sniff;
mod verify;
pub mod writer;

use std::sync::Arc;

use hl_events::NodeKey;
use hl_store::Store;
use hl_types::NodeId;

pub use binding::{BindingKey, TamperedToken, bind_legacy_token_secrets, verify_token_secrets};
pub use commands::{AdvisoryDraft, AdvisoryPatch, IssuedToken, OrganizationDraft, token_hash};
pub use error::NodeError;
pub use hl_policy::Subject;
pub use incident::{
    Attachment, EscalateInto, INCIDENT_ATTACHMENTS_MAX, INCIDENT_COMMENTS_MAX, Incident, IncidentCategory,
    IncidentChange, IncidentDraft, IncidentLocation, IncidentPatch, IncidentSeverity, IncidentStatus, StatusMove,
    VesselLink,
};
pub use picture::{
    AlertAction, AlertDraft, AlertRepeat, EVIDENCE_LINES_MAX, REASON_CHARS_MAX, WatchlistDraft, ZONE_FEATURE_BYTES_MAX,
};
pub use queries::{EventPage, LoggedEvent, PAGE_ITEMS_MAX, Page};
pub use records::{Record, RecordType, TimelineEntry, projector};
pub use verify::{
    ProjectionDrift, VerifyFailure, VerifyReport, verify_access_projections, verify_attachments, verify_log,
};

/// Who is acting: a user through the API, or the node's operator through the CLI (who has local
/// access to the data directory and so to everything).
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    Operator,
    User(&'a Subject),
}

/// A running node: its identity, its store and its writer.
#[derive(Clone)]
pub struct Node {
    store: Arc<dyn Store>,
    origin: NodeId,
    writer: writer::WriterHandle,
    /// Bumped when zones or the watch list change, so the live picture reloads them.
    picture_inputs: Arc<tokio::sync::watch::Sender<u64>>,
    /// The version of `picture_inputs` the live picture's detectors use.
    picture_applied: Arc<tokio::sync::watch::Sender<u64>>,
    /// Binds stored token hashes to their tokens.
    binding: BindingKey,
    /// Held from checking a state rule to committing what it allowed (an alert's status moves
    /// only forward; an organization watches a vessel description once), so two concurrent
    /// requests cannot both pass the check: the second sees the first's commit and gets 409.
    state_rules: Arc<tokio::sync::Mutex<()>>,
}

impl Node {
    /// Starts the writer task; must be called inside a Tokio runtime.
    pub fn start(store: Arc<dyn Store>, origin: NodeId, key: NodeKey) -> Self {
        let binding = BindingKey::derive(&key);
        let writer = writer::spawn(store.clone(), origin.clone(), Arc::new(key));
        let (picture_inputs, _) = tokio::sync::watch::channel(0);
        let (picture_applied, _) = tokio::sync::watch::channel(0);
        Self {
            store,
            origin,
            writer,
            picture_inputs: Arc::new(picture_inputs),
            picture_applied: Arc::new(picture_applied),
            binding,
            state_rules: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The store, for health checks and administration.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Binds the stored token hashes that predate bindings (the operator's explicit, one-time
    /// step after an upgrade; never automatic).
    pub async fn bind_legacy_tokens(&self) -> Result<usize, NodeError> {
        bind_legacy_token_secrets(self.store.as_ref(), &self.binding).await
    }

    /// Stored token hashes without a binding (refused at login).
    pub async fn unbound_tokens(&self) -> Result<usize, NodeError> {
        Ok(self.store.token_secrets().await?.iter().filter(|(_, _, binding)| binding.is_none()).count())
    }

    /// Whether the store answers (readiness).
    pub async fn ping(&self) -> Result<(), NodeError> {
        Ok(self.store.ping().await?)
    }

    /// The committed-events feed (see [`writer::WriterHandle::committed`]).
    pub fn committed(&self) -> tokio::sync::broadcast::Receiver<Arc<hl_events::Event>> {
        self.writer.committed()
    }

    /// Whether `subject` may read a record change carried by `event`: the event carries the
    /// record's releasability after the change, so this is the record's own rule at that moment.
    pub async fn may_read_event(&self, subject: &Subject, event: &hl_events::Event) -> Result<bool, NodeError> {
        Ok(hl_policy::may_read(subject, self.owner(event.author_org).await?, &event.releasability))
    }

    /// This node's id.
    pub fn origin(&self) -> &NodeId {
        &self.origin
    }

    /// This node's public key (hex), with which its events' signatures are checked.
    pub async fn local_key(&self) -> Result<String, NodeError> {
        let (_, key) = self.store.local_node().await?.ok_or(NodeError::NotFound)?;
        Ok(key.to_string())
    }
}

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

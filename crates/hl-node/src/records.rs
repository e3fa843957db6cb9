//! The shared record layer: one way to define a releasable record type.
//!
//! A record type is a [`RecordType`]: its state (serialized as the record's `doc`), its
//! changes, a pure `apply` from one to the next, and the facets its listings filter on. The
//! layer gives every such type the same things, once:
//! - its events ([`hl_events::Change::Record`], sealed with the record's releasability after
//!   the change, so each change reaches exactly the record's audience as it then is);
//! - its projection ([`Projector`], called by the store inside the append transaction and on
//!   rebuild, so records are a function of the log);
//! - the policy checks (create: [`Action::Publish`]; change: the owner's [`Action::Revise`];
//!   read: [`may_read`], 404 for what the caller may not see, on reads and writes alike);
//! - listings through the visibility index with filters and paging ([`Node::records`]);
//! - the timeline of every event of a record ([`Node::timeline`]).
//!
//! Only the owning organization changes a record (as for advisories), so a recipient can never
//! widen a release; the projection enforces it again, so a replay does the same.

use std::marker::PhantomData;

use hl_events::{Change, Event};
use hl_policy::{Action, Subject, authorize, may_read};
use hl_store::{
    AppendRequest, LocalWrite, Organization, Projection, RecordFacets, RecordFilter, RecordProjector, RecordRead,
    StoredRecord,
};
use hl_types::{EventId, OrgId, RecordId, Releasability, Tlp, UserId};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::incident::Incident;
use crate::{Actor, Node, NodeError, Page};

/// Who made a change, and when: what `apply` may use besides the change itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeMeta {
    pub at_us: i64,
    pub org: OrgId,
    pub user: Option<UserId>,
}

/// What one change does to a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Step<T> {
    /// The record as it now is.
    Put(T),
    /// The change does not apply to the record as it is (a stale revision, a status move that
    /// does not exist, a change to a record that does not exist): the write fails as a conflict.
    Refuse(String),
}

/// A record type of the shared record layer.
pub trait RecordType: Sized + Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Its name: its `record_type` in the log and its list in the visibility index.
    const KIND: &'static str;
    /// The changes its events carry (inside [`Change::Record`]).
    type Change: Serialize + DeserializeOwned + Clone + Send;
    /// The state after `change`; `current` is `None` before the record exists. Pure: replays
    /// must give the same records.
    fn apply(current: Option<&Record<Self>>, change: Self::Change, meta: &ChangeMeta) -> Step<Self>;
    /// What listings filter on.
    fn facets(&self) -> RecordFacets;
    /// Whether `change` may give the record a new releasability (a re-release). Any other
    /// change must carry the record's releasability as it is: one written against an older
    /// release (a comment racing a narrowing) is refused rather than widening the record back.
    fn releases(change: &Self::Change) -> bool;
}

/// A record with the columns every record type has.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    pub id: RecordId,
    pub owner_org: OrgId,
    pub releasability: Releasability,
    /// 1 at creation, +1 with every change.
    pub revision: i64,
    pub created_at_us: i64,
    pub updated_at_us: i64,
    pub state: T,
}

impl<T: RecordType> Record<T> {
    fn decode(stored: StoredRecord) -> Result<Self, String> {
        if stored.kind != T::KIND {
            return Err(format!("record {} is a {}, not a {}", stored.id, stored.kind, T::KIND));
        }
        let state = serde_json::from_str(&stored.doc).map_err(|e| format!("record {}: {e}", stored.id))?;
        Ok(Record {
            id: stored.id,
            owner_org: stored.owner_org,
            releasability: stored.releasability,
            revision: stored.revision,
            created_at_us: stored.created_at_us,
            updated_at_us: stored.updated_at_us,
            state,
        })
    }
}

/// One event of a record's timeline, as its readers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry<C> {
    pub event: EventId,
    pub at_us: i64,
    pub org: OrgId,
    pub user: Option<UserId>,
    pub change: C,
}

/// Projects one record type's change (see [`Projector`]).
fn project<T: RecordType>(current: Option<StoredRecord>, event: &Event, change: &serde_json::Value) -> Projection {
    let change: T::Change = match serde_json::from_value(change.clone()) {
        Ok(change) => change,
        Err(err) => {
            // A change this build cannot read (from a newer peer): kept in the log, skipped here.
            tracing::warn!(event = %event.id, kind = T::KIND, %err, "record change not understood; skipped");
            return Projection::Unchanged;
        }
    };
    let current = match current.map(Record::<T>::decode).transpose() {
        Ok(current) => current,
        Err(err) => {
            tracing::error!(event = %event.id, %err, "stored record does not decode; change skipped");
            return Projection::Unchanged;
        }
    };
    if current.as_ref().is_some_and(|c| c.owner_org != event.author_org) {
        return Projection::Refused(String::from("only the owning organization changes a record"));
    }
    if current.as_ref().is_some_and(|c| c.releasability != event.releasability) && !T::releases(&change) {
        return Projection::Refused(String::from("the record's release changed meanwhile; read it again and retry"));
    }
    let meta = ChangeMeta { at_us: event.recorded_at_us, org: event.author_org, user: event.author_user };
    let state = match T::apply(current.as_ref(), change, &meta) {
        Step::Put(state) => state,
        Step::Refuse(why) => return Projection::Refused(why),
    };
    let Ok(id) = event.record_id.parse::<RecordId>() else {
        return Projection::Refused(format!("`{}` is not a record id", event.record_id));
    };
    let (owner_org, created_at_us, revision) = match &current {
        Some(c) => (c.owner_org, c.created_at_us, c.revision + 1),
        None => (event.author_org, event.recorded_at_us, 1),
    };
    let doc = match serde_json::to_string(&state) {
        Ok(doc) => doc,
        Err(err) => return Projection::Refused(format!("the record cannot be stored: {err}")),
    };
    Projection::Put(Box::new(StoredRecord {
        kind: T::KIND.to_owned(),
        id,
        owner_org,
        // Every event of a record carries the record's releasability after the change.
        releasability: event.releasability.clone(),
        revision,
        created_at_us,
        updated_at_us: event.recorded_at_us,
        facets: state.facets(),
        doc,
    }))
}

/// The projector of every record type this build knows; given to the store at open.
/// Adding a record type adds its line here.
#[derive(Debug, Default, Clone, Copy)]
pub struct Projector;

impl RecordProjector for Projector {
    fn project(
        &self,
        kind: &str,
        current: Option<StoredRecord>,
        event: &Event,
        change: &serde_json::Value,
    ) -> Projection {
        match kind {
            Incident::KIND => project::<Incident>(current, event, change),
            // A record type from a newer build: kept in the log, not projected.
            _ => Projection::Unchanged,
        }
    }
}

/// The projector as the store takes it.
pub fn projector() -> std::sync::Arc<dyn RecordProjector> {
    std::sync::Arc::new(Projector)
}

/// Typed access to one record type (`node.records_of::<Incident>()`): the same calls for
/// every type.
pub struct Records<'a, T> {
    node: &'a Node,
    kind: PhantomData<T>,
}

impl Node {
    /// The shared record layer for record type `T`.
    pub fn records_of<T: RecordType>(&self) -> Records<'_, T> {
        Records { node: self, kind: PhantomData }
    }
}

impl<T: RecordType> Records<'_, T> {
    async fn stored(&self, id: RecordId) -> Result<Record<T>, NodeError> {
        let stored = self.node.store.record(id).await?.ok_or(NodeError::NotFound)?;
        if stored.kind != T::KIND {
            return Err(NodeError::NotFound);
        }
        Record::decode(stored).map_err(|err| NodeError::Store(hl_store::StoreError::Corrupt(err)))
    }

    /// One record, if the caller may see it (404 otherwise, as for a missing one).
    pub async fn get(&self, subject: &Subject, id: RecordId) -> Result<Record<T>, NodeError> {
        self.read(Actor::User(subject), id).await
    }

    /// One record as `actor` may read it: a user what the policy lets them see, the node's
    /// operator (local access to the data directory) everything.
    pub async fn read(&self, actor: Actor<'_>, id: RecordId) -> Result<Record<T>, NodeError> {
        let record = self.stored(id).await?;
        match actor {
            Actor::Operator => Ok(record),
            Actor::User(subject)
                if may_read(subject, self.node.owner(record.owner_org).await?, &record.releasability) =>
            {
                Ok(record)
            }
            Actor::User(_) => Err(NodeError::NotFound),
        }
    }

    /// One record as [`Records::read`] gives it, with the read recorded in its read audit when
    /// the record is marked TLP:AMBER or above (`what`: `detail`, `timeline`, `export`). The
    /// record is returned only once the audit entry has committed.
    pub async fn read_audited(&self, actor: Actor<'_>, id: RecordId, what: &str) -> Result<Record<T>, NodeError> {
        let record = self.read(actor, id).await?;
        if matches!(record.releasability.tlp(), Tlp::Amber | Tlp::AmberStrict | Tlp::Red) {
            let (reader_org, reader_user) = match actor {
                Actor::Operator => (None, None),
                Actor::User(subject) => (Some(subject.org), Some(subject.user)),
            };
            let read = RecordRead {
                id: RecordId::generate(),
                record: id,
                reader_org,
                reader_user,
                at_us: crate::now_us(),
                what: what.to_owned(),
            };
            self.node
                .writer
                .submit(AppendRequest { events: vec![], local: vec![LocalWrite::RecordRead(read)] })
                .await?;
        }
        Ok(record)
    }

    /// Who read a record (its read audit), oldest first: the owner's administrators only.
    pub async fn reads(
        &self,
        subject: &Subject,
        id: RecordId,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Page<RecordRead>, NodeError> {
        let record = self.get(subject, id).await?;
        authorize(subject, Action::ReadAudit { owner: record.owner_org })?;
        let limit = limit.clamp(1, crate::PAGE_ITEMS_MAX);
        let items = self.node.store.record_reads(id, after, limit).await?;
        let next = if items.len() == limit as usize { items.last().map(|r| r.id.to_string()) } else { None };
        Ok(Page { items, next })
    }

    /// The organizations that may read a record now: its owner's users only.
    pub async fn audience(&self, subject: &Subject, id: RecordId) -> Result<Vec<Organization>, NodeError> {
        let record = self.get(subject, id).await?;
        authorize(subject, Action::ViewAudience { owner: record.owner_org })?;
        self.node.audience_of(record.owner_org, &record.releasability).await
    }

    /// The records `actor` may see, newest first, matching `filter`, after the cursor (the
    /// last id of the previous page).
    pub async fn list(
        &self,
        actor: Actor<'_>,
        filter: &RecordFilter,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Page<Record<T>>, NodeError> {
        let store = &self.node.store;
        let page = match actor {
            Actor::Operator => {
                let limit = limit.clamp(1, crate::PAGE_ITEMS_MAX);
                let items = store.records_after(T::KIND, filter, after, limit).await?;
                let next = if items.len() == limit as usize { items.last().map(|r| r.id.to_string()) } else { None };
                Page { items, next }
            }
            Actor::User(subject) => {
                let fetch =
                    |keys: Vec<String>, n| async move { store.records_visible(T::KIND, &keys, filter, after, n).await };
                self.node
                    .visible_page(subject, limit, fetch, |r: &StoredRecord| r.id, |r| (r.owner_org, &r.releasability))
                    .await?
            }
        };
        let items = page
            .items
            .into_iter()
            .map(Record::decode)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| NodeError::Store(hl_store::StoreError::Corrupt(err)))?;
        Ok(Page { items, next: page.next })
    }

    /// Creates a record owned by the caller's organization (operators; TLP:RED needs a security
    /// officer), released as `releasability`.
    pub async fn create(
        &self,
        subject: &Subject,
        releasability: Releasability,
        change: T::Change,
    ) -> Result<Record<T>, NodeError> {
        self.node.check_recipients(&releasability).await?;
        authorize(subject, Action::Publish { releasability: &releasability })?;
        let id = RecordId::generate();
        self.submit(subject, id, releasability, change).await?;
        self.stored(id).await
    }

    /// Changes a record the caller's organization owns; `releasability` is a new release (the
    /// caller may need more rights for it), `None` keeps the current one. What the caller may
    /// not see answers 404 as a missing record.
    pub async fn change(
        &self,
        subject: &Subject,
        id: RecordId,
        releasability: Option<Releasability>,
        change: impl FnOnce(&Record<T>) -> Result<T::Change, NodeError>,
    ) -> Result<Record<T>, NodeError> {
        if let Some(releasability) = &releasability {
            self.node.check_recipients(releasability).await?;
        }
        let current = self.get(subject, id).await?;
        authorize(subject, Action::Revise { owner: current.owner_org, releasability: releasability.as_ref() })?;
        let change = change(&current)?;
        let releasability = releasability.unwrap_or_else(|| current.releasability.clone());
        self.submit(subject, id, releasability, change).await?;
        self.stored(id).await
    }

    async fn submit(
        &self,
        subject: &Subject,
        id: RecordId,
        releasability: Releasability,
        change: T::Change,
    ) -> Result<(), NodeError> {
        let event = self.event(subject, id, releasability, change)?;
        self.node.writer.submit(AppendRequest { events: vec![event], local: vec![] }).await?;
        Ok(())
    }

    /// The event of one change, for a caller that commits it together with others (it has
    /// checked the policy itself).
    pub(crate) fn event(
        &self,
        subject: &Subject,
        id: RecordId,
        releasability: Releasability,
        change: T::Change,
    ) -> Result<hl_events::UnsignedEvent, NodeError> {
        let change = serde_json::to_value(change)
            .map_err(|err| NodeError::Store(hl_store::StoreError::Corrupt(err.to_string())))?;
        let change = Change::Record { kind: T::KIND.to_owned(), record: id, change };
        Ok(self.node.unsigned(subject.org, Some(subject.user), releasability, change))
    }

    /// Every event of a record in order, for whoever may see the record now (a release widened
    /// later shows its earlier history too: the owner chose to share the record).
    pub async fn timeline(&self, actor: Actor<'_>, id: RecordId) -> Result<Vec<TimelineEntry<T::Change>>, NodeError> {
        self.read(actor, id).await?;
        let events = self.node.store.record_events(T::KIND, &id.to_string()).await?;
        Ok(events
            .into_iter()
            .filter_map(|event| {
                let Some(Change::Record { change, .. }) = event.change() else { return None };
                let change = serde_json::from_value(change).ok()?;
                Some(TimelineEntry {
                    event: event.id,
                    at_us: event.recorded_at_us,
                    org: event.author_org,
                    user: event.author_user,
                    change,
                })
            })
            .collect())
    }
}

impl Node {
    /// Every organization of the directory that may read a record of `owner` released as
    /// `releasability` (by the one rule, [`may_read`]).
    pub(crate) async fn audience_of(
        &self,
        owner: OrgId,
        releasability: &Releasability,
    ) -> Result<Vec<Organization>, NodeError> {
        let owner = self.owner(owner).await?;
        Ok(self
            .store
            .organizations()
            .await?
            .into_iter()
            .filter(|org| {
                let reader = Subject {
                    // Reading depends on the organization, not on the user or role.
                    user: UserId::generate(),
                    org: org.id,
                    role: hl_types::Role::Viewer,
                    nation: org.nation,
                    communities: org.communities.clone(),
                };
                may_read(&reader, owner, releasability)
            })
            .collect())
    }

    /// Who would see a record the caller's organization released as `releasability` (the
    /// preview before saving).
    pub async fn audience_preview(
        &self,
        subject: &Subject,
        releasability: &Releasability,
    ) -> Result<Vec<Organization>, NodeError> {
        self.check_recipients(releasability).await?;
        authorize(subject, Action::ViewAudience { owner: subject.org })?;
        self.audience_of(subject.org, releasability).await
    }
}

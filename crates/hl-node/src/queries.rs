//! Queries: everything a caller reads passes `may_read` first.

use std::collections::HashMap;

use hl_events::Event;
use hl_policy::{Action, Audience, Owner, Subject, audiences_for, authorize, may_read};
use hl_store::{Advisory, Organization, StoreError, User};
use hl_types::{EventId, Nation, OrgId, RecordId, Releasability};

use crate::commands::{TOKEN_PREFIX, token_hash};
use crate::{Node, NodeError};

/// The most items one page of a listing returns.
pub const PAGE_ITEMS_MAX: u32 = 500;

/// One page of a listing: the items the caller may see, in order, and the cursor to read on
/// (`None` only when nothing visible remains after this page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// An event as a caller reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub event: Event,
    /// The position in the log, for callers who see the chain.
    pub position: Option<i64>,
    /// Whether the caller may read the change itself. The node's administrators see every
    /// event of the chain, but the payload only of those released to them.
    pub readable: bool,
    /// Whether the caller may read the event before this one in the log. The hash of an event
    /// whose payload is withheld would let a guess at that payload be confirmed (the rest of
    /// the hashed form is shown), so it appears neither on the event itself nor as the next
    /// event's `prev_hash`.
    pub previous_readable: bool,
}

/// One page of the event log, and whether it shows the whole chain (see [`Node::events`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    pub items: Vec<LoggedEvent>,
    pub next: Option<String>,
    /// The caller may see every event and the chain fields (sequence, hashes, signature,
    /// position); otherwise they see only the events released to them, without the fields that
    /// would reveal hidden neighbours.
    pub full_chain: bool,
}

/// The index keys of the audiences `subject` belongs to.
fn audience_keys(subject: &Subject) -> Vec<String> {
    audiences_for(subject).iter().map(Audience::key).collect()
}

impl Node {
    /// Resolves a bearer token to the user it acts for.
    pub async fn authenticate(&self, secret: &str) -> Result<Subject, NodeError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Err(NodeError::Unauthenticated("malformed token"));
        }
        let secret_hash = token_hash(secret);
        let (token, binding) =
            self.store.token_by_secret_hash(&secret_hash).await?.ok_or(NodeError::Unauthenticated("unknown token"))?;
        // A hash replaced by hand in the local table no longer holds its binding: refused like
        // an unknown token (the caller learns nothing), logged and counted for the operator.
        if !binding.is_some_and(|b| self.binding.holds(&token.id.to_string(), &secret_hash, &b)) {
            metrics::counter!("harborlink_token_binding_failures_total").increment(1);
            tracing::warn!(token = %token.id, "a stored token hash does not hold its binding; login refused");
            return Err(NodeError::Unauthenticated("unknown token"));
        }
        if token.revoked_at_us.is_some() {
            return Err(NodeError::Unauthenticated("revoked token"));
        }
        let user = self.store.user(token.user).await?.ok_or(NodeError::Unauthenticated("unknown user"))?;
        let org = self.store.organization(user.org).await?.ok_or(NodeError::Unauthenticated("unknown organization"))?;
        Ok(Subject { user: user.id, org: org.id, role: user.role, nation: org.nation, communities: org.communities })
    }

    pub(crate) async fn owner(&self, org: OrgId) -> Result<Owner, NodeError> {
        let nation = self.store.organization(org).await?.map(|o| o.nation);
        Ok(Owner { org, nation })
    }

    pub(crate) async fn nations(&self) -> Result<HashMap<OrgId, Nation>, NodeError> {
        Ok(self.store.nations().await?.into_iter().collect())
    }

    /// The organization directory (public to every authenticated user).
    pub async fn organizations(&self) -> Result<Vec<Organization>, NodeError> {
        Ok(self.store.organizations().await?)
    }

    /// One organization.
    pub async fn organization(&self, id: OrgId) -> Result<Organization, NodeError> {
        self.store.organization(id).await?.ok_or(NodeError::NotFound)
    }

    /// The users of the caller's own organization.
    pub async fn users(&self, subject: &Subject, org: OrgId) -> Result<Vec<User>, NodeError> {
        authorize(subject, Action::ListUsers { org }).map_err(|_| NodeError::NotFound)?;
        Ok(self.store.users_of(org).await?)
    }

    /// One advisory, if the caller may see it.
    pub async fn advisory(&self, subject: &Subject, id: RecordId) -> Result<Advisory, NodeError> {
        let advisory = self.store.advisory(id).await?.ok_or(NodeError::NotFound)?;
        if may_read(subject, self.owner(advisory.owner_org).await?, &advisory.releasability) {
            Ok(advisory)
        } else {
            Err(NodeError::NotFound)
        }
    }

    /// One page of a record listing, read through the visibility index: the store returns
    /// only rows released to one of the caller's audiences (so hidden rows cost nothing), and
    /// each is checked again with [`may_read`], the rule itself. A row the index admits but the
    /// rule refuses is an index fault: it is logged and left out, and paging still goes on.
    pub(crate) async fn visible_page<T, Fut>(
        &self,
        subject: &Subject,
        limit: u32,
        fetch: impl FnOnce(Vec<String>, u32) -> Fut,
        id_of: impl Fn(&T) -> RecordId,
        owned: impl Fn(&T) -> (OrgId, &Releasability),
    ) -> Result<Page<T>, NodeError>
    where
        Fut: std::future::Future<Output = Result<Vec<T>, StoreError>>,
    {
        let limit = limit.clamp(1, PAGE_ITEMS_MAX);
        let rows = fetch(audience_keys(subject), limit).await?;
        let next = if rows.len() == limit as usize { rows.last().map(|r| id_of(r).to_string()) } else { None };
        let nations = self.nations().await?;
        let items = rows
            .into_iter()
            .filter(|row| {
                let (org, releasability) = owned(row);
                let visible = may_read(subject, Owner { org, nation: nations.get(&org).copied() }, releasability);
                if !visible {
                    metrics::counter!("harborlink_visibility_index_faults_total").increment(1);
                    tracing::error!(record = %id_of(row), "the visibility index admits a record the policy refuses");
                }
                visible
            })
            .collect();
        Ok(Page { items, next })
    }

    /// Advisories the caller may see, oldest first, after the cursor.
    pub async fn advisories(
        &self,
        subject: &Subject,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Page<Advisory>, NodeError> {
        let fetch = |keys: Vec<String>, n| async move { self.store.advisories_visible(&keys, after, n).await };
        self.visible_page(subject, limit, fetch, |a: &Advisory| a.id, |a| (a.owner_org, &a.releasability)).await
    }

    /// The organization that hosts the node: the first registered. Its administrators are the
    /// node's administrators.
    pub(crate) async fn host_organization(&self) -> Result<Option<OrgId>, NodeError> {
        Ok(self.store.organizations().await?.into_iter().min_by_key(|o| o.registered_at_us).map(|o| o.id))
    }

    /// Whether `subject` may read the node's metrics (its administrators, as for the full log:
    /// the figures describe every hosted organization's activity).
    pub async fn may_read_node_metrics(&self, subject: &Subject) -> Result<(), NodeError> {
        let host = self.host_organization().await?.ok_or(NodeError::NotFound)?;
        authorize(subject, Action::ReadFullLog { host })?;
        Ok(())
    }

    /// Whether `subject` may read the whole chain ([`Action::ReadFullLog`]).
    async fn reads_full_chain(&self, subject: &Subject) -> Result<bool, NodeError> {
        let host = self.host_organization().await?;
        Ok(host.is_some_and(|host| authorize(subject, Action::ReadFullLog { host }).is_ok()))
    }

    /// The event log in log order after the event `after`. The node's administrators (see
    /// [`Action::ReadFullLog`]) read every event with its chain fields, and the change only of
    /// those released to them; everyone else reads only the events released to them, and no
    /// field that would reveal a hidden neighbour (the cursor is an event id, not a position).
    /// A cursor naming an event the caller may not see is refused exactly like an unknown one.
    pub async fn events(&self, subject: &Subject, after: Option<EventId>, limit: u32) -> Result<EventPage, NodeError> {
        let limit = limit.clamp(1, PAGE_ITEMS_MAX);
        let full_chain = self.reads_full_chain(subject).await?;
        let after_pos = match after {
            None => 0,
            Some(id) => {
                if !full_chain && self.event(subject, id).await.is_err() {
                    return Err(NodeError::InvalidCursor);
                }
                self.store.event_position(id).await?.ok_or(NodeError::InvalidCursor)?
            }
        };
        let rows = if full_chain {
            self.store.events_after(after_pos, limit).await?
        } else {
            self.store.events_visible(&audience_keys(subject), after_pos, limit).await?
        };
        let next = if rows.len() == limit as usize {
            rows.last().map(|(_, e)| e.as_ref().map(|e| e.id.to_string()).unwrap_or_else(|c| c.id.clone()))
        } else {
            None
        };
        let nations = self.nations().await?;
        let readable = |event: &Event| {
            let owner = Owner { org: event.author_org, nation: nations.get(&event.author_org).copied() };
            may_read(subject, owner, &event.releasability)
        };
        // In the full chain the rows are consecutive: each one's predecessor is the row before
        // (the first one's, the cursor's event).
        let mut previous_readable = match after_pos {
            0 => true,
            pos => {
                self.store.events_after(pos - 1, 1).await?.first().is_some_and(|(_, e)| e.as_ref().is_ok_and(readable))
            }
        };
        let mut items = Vec::with_capacity(rows.len());
        for (pos, event) in rows {
            // An unreadable row is not shown; `verify` is where it gets reported.
            let Ok(event) = event else {
                previous_readable = false;
                continue;
            };
            let may = readable(&event);
            if full_chain || may {
                items.push(LoggedEvent {
                    event,
                    position: full_chain.then_some(pos),
                    readable: may,
                    previous_readable,
                });
            }
            previous_readable = may;
        }
        Ok(EventPage { items, next, full_chain })
    }

    /// One event, if the caller may see it, with its position when the caller may see the
    /// chain (see [`Node::events`]).
    pub async fn logged_event(&self, subject: &Subject, id: EventId) -> Result<LoggedEvent, NodeError> {
        if !self.reads_full_chain(subject).await? {
            let event = self.event(subject, id).await?;
            return Ok(LoggedEvent { event, position: None, readable: true, previous_readable: false });
        }
        let event = self.store.event(id).await?.ok_or(NodeError::NotFound)?;
        let readable = may_read(subject, self.owner(event.author_org).await?, &event.releasability);
        let position = self.store.event_position(id).await?;
        let previous_readable = match position {
            Some(pos) if pos > 1 => match self.store.events_after(pos - 2, 1).await?.into_iter().next() {
                Some((_, Ok(previous))) => {
                    may_read(subject, self.owner(previous.author_org).await?, &previous.releasability)
                }
                _ => false,
            },
            _ => true,
        };
        Ok(LoggedEvent { event, position, readable, previous_readable })
    }

    /// One event, if the caller may see it.
    pub async fn event(&self, subject: &Subject, id: EventId) -> Result<Event, NodeError> {
        let event = self.store.event(id).await?.ok_or(NodeError::NotFound)?;
        if may_read(subject, self.owner(event.author_org).await?, &event.releasability) {
            Ok(event)
        } else {
            Err(NodeError::NotFound)
        }
    }
}

//! Queries: everything a caller reads passes `may_read` first.

use std::collections::HashMap;

use hl_events::Event;
use hl_policy::{Action, Owner, Subject, authorize, may_read};
use hl_store::{Advisory, Organization, User};
use hl_types::{EventId, Nation, OrgId, RecordId};

use crate::commands::{TOKEN_PREFIX, token_hash};
use crate::{Node, NodeError};

/// The most items one page of a listing returns.
pub const PAGE_ITEMS_MAX: u32 = 500;
/// Rows examined per round while filtering a page, so a caller who may see little never makes
/// the node scan without end in one request.
const SCAN_ROWS_MAX: u32 = 20_000;

/// Reads rows page by page after `cursor` and keeps those `keep` admits, until `limit` are kept
/// or [`SCAN_ROWS_MAX`] rows have been examined. The one place listings apply the read policy.
pub(crate) async fn filtered_page<Row, Item, Cursor, Fetch, Page>(
    limit: u32,
    mut cursor: Cursor,
    fetch: Fetch,
    cursor_of: impl Fn(&Row) -> Cursor,
    mut keep: impl FnMut(Row) -> Option<Item>,
) -> Result<Vec<Item>, NodeError>
where
    Fetch: Fn(Cursor, u32) -> Page,
    Page: std::future::Future<Output = Result<Vec<Row>, hl_store::StoreError>>,
    Cursor: Clone,
{
    let limit = limit.clamp(1, PAGE_ITEMS_MAX);
    let mut out = Vec::new();
    let mut scanned = 0;
    while out.len() < limit as usize && scanned < SCAN_ROWS_MAX {
        let page = fetch(cursor.clone(), limit).await?;
        let Some(last) = page.last() else { break };
        cursor = cursor_of(last);
        scanned += page.len() as u32;
        out.extend(page.into_iter().filter_map(&mut keep));
    }
    out.truncate(limit as usize);
    Ok(out)
}

impl Node {
    /// Resolves a bearer token to the user it acts for.
    pub async fn authenticate(&self, secret: &str) -> Result<Subject, NodeError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Err(NodeError::Unauthenticated("malformed token"));
        }
        let token = self
            .store
            .token_by_secret_hash(&token_hash(secret))
            .await?
            .ok_or(NodeError::Unauthenticated("unknown token"))?;
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
        Ok(self.store.organizations().await?.into_iter().map(|o| (o.id, o.nation)).collect())
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

    /// Advisories the caller may see, oldest first, after the cursor.
    pub async fn advisories(
        &self,
        subject: &Subject,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Vec<Advisory>, NodeError> {
        let nations = self.nations().await?;
        let fetch = |cursor, n| self.store.advisories_after(cursor, n);
        filtered_page(
            limit,
            after,
            fetch,
            |a: &Advisory| Some(a.id),
            |a| {
                let owner = Owner { org: a.owner_org, nation: nations.get(&a.owner_org).copied() };
                may_read(subject, owner, &a.releasability).then_some(a)
            },
        )
        .await
    }

    /// Events of the log the caller may see, in log order after position `after`, with their
    /// positions (the cursor for the next page).
    pub async fn events(&self, subject: &Subject, after: i64, limit: u32) -> Result<Vec<(i64, Event)>, NodeError> {
        let nations = self.nations().await?;
        let fetch = |cursor, n| self.store.events_after(cursor, n);
        filtered_page(
            limit,
            after,
            fetch,
            |(pos, _): &(i64, _)| *pos,
            |(pos, event)| {
                // An unreadable row is not shown; `verify` is where it gets reported.
                let event = event.ok()?;
                let owner = Owner { org: event.author_org, nation: nations.get(&event.author_org).copied() };
                may_read(subject, owner, &event.releasability).then_some((pos, event))
            },
        )
        .await
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

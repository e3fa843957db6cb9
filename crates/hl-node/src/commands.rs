//! Commands: validate input, ask the policy, build events, submit them to the writer.

use std::collections::BTreeSet;

use hl_events::{AdvisorySeverity, Change, Event, UnsignedEvent};
use hl_policy::{Action, authorize, may_read};
use hl_store::{Advisory, AppendRequest, LocalWrite, Organization, TokenRecord, User};
use hl_types::{CommunityName, EventId, Nation, OrgId, OrgKind, RecordId, Releasability, Role, TokenId, UserId};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Actor, Node, NodeError, now_us};

/// Longest organization or user name, in characters.
pub const NAME_CHARS_MAX: usize = 200;
/// Longest advisory title, in characters.
pub const TITLE_CHARS_MAX: usize = 200;
/// Longest advisory body, in characters.
pub const BODY_CHARS_MAX: usize = 20_000;
/// Prefix of every token secret, so a leaked one is recognisable (and greppable) as ours.
pub const TOKEN_PREFIX: &str = "hlk_";

/// A new organization, as the operator describes it.
#[derive(Debug, Clone)]
pub struct OrganizationDraft {
    pub name: String,
    pub kind: OrgKind,
    pub nation: Nation,
    pub communities: BTreeSet<CommunityName>,
}

/// A new advisory.
#[derive(Debug, Clone)]
pub struct AdvisoryDraft {
    pub title: String,
    pub body: String,
    pub severity: AdvisorySeverity,
    pub releasability: Releasability,
}

/// Changes to an advisory; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct AdvisoryPatch {
    pub title: Option<String>,
    pub body: Option<String>,
    pub severity: Option<AdvisorySeverity>,
    pub releasability: Option<Releasability>,
}

/// A token just issued. `secret` is shown once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub record: TokenRecord,
    pub secret: String,
}

/// SHA-256 of a token secret, as stored. Secrets are 256 random bits, so a fast hash suffices:
/// there is nothing to brute-force that a slow password hash would protect.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they
/// reorder what a reader sees ("Trojan Source"), so no text accepts them. Directional marks
/// (U+200E, U+200F) stay: they only nudge and mixed right-to-left names need them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Invisible characters that make two names look the same (soft hyphen, combining grapheme
/// joiner, Mongolian vowel separator, zero-width space, line and paragraph separators, word
/// joiner and invisible operators, byte-order mark, interlinear annotation): refused in one-line
/// texts. The zero-width joiner and non-joiner stay (Persian, Indic scripts and emoji need them),
/// as do directional marks (right-to-left names) and tag characters (emoji subdivision flags).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{180e}'
            | '\u{200b}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{2060}'..='\u{2064}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// Checks a one-line human-readable text (titles, names, reasons, labels): trimmed, non-empty,
/// bounded, no control characters, no bidirectional controls, no invisible spacing. Refused
/// with the field named rather than stripped, so what is stored is what the author sent.
pub(crate) fn line(field: &str, value: &str, max: usize) -> Result<String, NodeError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(NodeError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(NodeError::invalid(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(NodeError::invalid(field, "must not contain control characters"));
    }
    if value.chars().any(|c| is_bidi_control(c) || is_invisible(c)) {
        return Err(NodeError::invalid(
            field,
            "must not contain bidirectional controls (U+202A-U+202E, U+2066-U+2069) or invisible characters \
             (U+00AD, U+034F, U+180E, U+200B, U+2028, U+2029, U+2060-U+2064, U+FEFF, U+FFF9-U+FFFB)",
        ));
    }
    Ok(value.to_owned())
}

pub(crate) fn text_body(field: &str, value: &str) -> Result<String, NodeError> {
    if value.chars().count() > BODY_CHARS_MAX {
        return Err(NodeError::invalid(field, format!("must be at most {BODY_CHARS_MAX} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(NodeError::invalid(field, "must not contain control characters other than line breaks and tabs"));
    }
    if value.chars().any(is_bidi_control) {
        return Err(NodeError::invalid(
            field,
            "must not contain bidirectional controls (U+202A-U+202E, U+2066-U+2069)",
        ));
    }
    Ok(value.to_owned())
}

impl Node {
    pub(crate) fn unsigned(
        &self,
        author_org: OrgId,
        author_user: Option<UserId>,
        releasability: Releasability,
        change: Change,
    ) -> UnsignedEvent {
        UnsignedEvent {
            id: EventId::generate(),
            author_org,
            author_user,
            recorded_at_us: now_us(),
            releasability,
            change,
        }
    }

    /// Refuses a releasability naming an organization this node does not know: a recipient
    /// list with a mistyped id would silently release to nobody (or, later, to whoever
    /// registers that id).
    pub(crate) async fn check_recipients(&self, releasability: &Releasability) -> Result<(), NodeError> {
        if let hl_types::DistributionScope::Organizations { organizations } = releasability.scope() {
            for org in organizations {
                if self.store.organization(*org).await?.is_none() {
                    return Err(NodeError::invalid(
                        "releasability/scope/organizations",
                        format!("names organization {org}, which this node does not know"),
                    ));
                }
            }
        }
        Ok(())
    }

    async fn submit(&self, request: AppendRequest) -> Result<Vec<Event>, NodeError> {
        self.writer.submit(request).await
    }

    /// Adds an organization to the directory (operator only: it is node administration).
    pub async fn register_organization(&self, draft: OrganizationDraft) -> Result<Organization, NodeError> {
        let name = line("name", &draft.name, NAME_CHARS_MAX)?;
        if self.store.organization_by_name(&name).await?.is_some() {
            return Err(NodeError::Conflict(format!("an organization named `{name}` already exists")));
        }
        let org = OrgId::generate();
        let change = Change::OrganizationRegistered {
            org,
            name,
            kind: draft.kind,
            nation: draft.nation,
            communities: draft.communities,
        };
        let event = self.unsigned(org, None, Releasability::public(), change);
        self.submit(AppendRequest { events: vec![event], local: vec![] }).await?;
        self.store.organization(org).await?.ok_or(NodeError::NotFound)
    }

    /// Makes an organization a member of a community (operator only).
    pub async fn join_community(&self, org: OrgId, community: CommunityName) -> Result<Organization, NodeError> {
        let found = self.store.organization(org).await?.ok_or(NodeError::NotFound)?;
        if !found.communities.contains(&community) {
            let event = self.unsigned(org, None, Releasability::public(), Change::CommunityJoined { org, community });
            self.submit(AppendRequest { events: vec![event], local: vec![] }).await?;
        }
        self.store.organization(org).await?.ok_or(NodeError::NotFound)
    }

    /// Creates a user and their first token.
    pub async fn register_user(
        &self,
        actor: Actor<'_>,
        org: OrgId,
        name: &str,
        role: Role,
    ) -> Result<(User, IssuedToken), NodeError> {
        let author_user = match actor {
            Actor::Operator => None,
            Actor::User(subject) => {
                authorize(subject, Action::ManageUsers { org })?;
                Some(subject.user)
            }
        };
        if self.store.organization(org).await?.is_none() {
            return Err(NodeError::NotFound);
        }
        let name = line("name", name, NAME_CHARS_MAX)?;
        if self.store.users_of(org).await?.iter().any(|u| u.name == name) {
            return Err(NodeError::Conflict(format!("a user named `{name}` already exists in this organization")));
        }
        let user = UserId::generate();
        let registered = self.unsigned(
            org,
            author_user,
            Releasability::internal(),
            Change::UserRegistered { user, org, name, role },
        );
        let (token_event, secret, local) = self.token_parts(org, author_user, user, "initial");
        self.submit(AppendRequest { events: vec![registered, token_event.clone()], local: vec![local] }).await?;
        let record = self.issued_record(&token_event).await?;
        let user = self.store.user(user).await?.ok_or(NodeError::NotFound)?;
        Ok((user, IssuedToken { record, secret }))
    }

    fn token_parts(
        &self,
        org: OrgId,
        author_user: Option<UserId>,
        user: UserId,
        label: &str,
    ) -> (UnsignedEvent, String, LocalWrite) {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let secret = format!("{TOKEN_PREFIX}{}", hex::encode(raw));
        let token = TokenId::generate();
        let change = Change::TokenIssued { token, user, label: label.to_owned() };
        let secret_hash = token_hash(&secret);
        let binding = self.binding.bind(&token.to_string(), &secret_hash);
        let local = LocalWrite::TokenSecret { token, secret_hash, binding };
        (self.unsigned(org, author_user, Releasability::internal(), change), secret, local)
    }

    async fn issued_record(&self, event: &UnsignedEvent) -> Result<TokenRecord, NodeError> {
        let Change::TokenIssued { token, .. } = &event.change else { return Err(NodeError::NotFound) };
        self.store.token(*token).await?.ok_or(NodeError::NotFound)
    }

    /// Issues another token for `user`.
    pub async fn issue_token(&self, actor: Actor<'_>, user: UserId, label: &str) -> Result<IssuedToken, NodeError> {
        let owner = self.store.user(user).await?.ok_or(NodeError::NotFound)?;
        let author_user = match actor {
            Actor::Operator => None,
            Actor::User(subject) => {
                if owner.org != subject.org {
                    return Err(NodeError::NotFound);
                }
                authorize(subject, Action::IssueToken { user, org: owner.org })?;
                Some(subject.user)
            }
        };
        let label = line("label", label, NAME_CHARS_MAX)?;
        let (event, secret, local) = self.token_parts(owner.org, author_user, user, &label);
        self.submit(AppendRequest { events: vec![event.clone()], local: vec![local] }).await?;
        Ok(IssuedToken { record: self.issued_record(&event).await?, secret })
    }

    /// A user's tokens (never their secrets): for the user, an administrator of their
    /// organization, or the operator at the command line.
    pub async fn tokens(&self, actor: Actor<'_>, user: UserId) -> Result<Vec<TokenRecord>, NodeError> {
        let owner = self.store.user(user).await?.ok_or(NodeError::NotFound)?;
        if let Actor::User(subject) = actor {
            if owner.org != subject.org {
                return Err(NodeError::NotFound);
            }
            // Who may revoke a user's tokens may list them.
            authorize(subject, Action::RevokeToken { user, org: owner.org })?;
        }
        Ok(self.store.tokens_of(user).await?)
    }

    /// Revokes a token; revoking a revoked token is a no-op.
    pub async fn revoke_token(&self, actor: Actor<'_>, token: TokenId) -> Result<TokenRecord, NodeError> {
        let record = self.store.token(token).await?.ok_or(NodeError::NotFound)?;
        let owner = self.store.user(record.user).await?.ok_or(NodeError::NotFound)?;
        let author_user = match actor {
            Actor::Operator => None,
            Actor::User(subject) => {
                if owner.org != subject.org {
                    return Err(NodeError::NotFound);
                }
                authorize(subject, Action::RevokeToken { user: owner.id, org: owner.org })?;
                Some(subject.user)
            }
        };
        if record.revoked_at_us.is_none() {
            let change = Change::TokenRevoked { token, user: owner.id };
            let event = self.unsigned(owner.org, author_user, Releasability::internal(), change);
            self.submit(AppendRequest { events: vec![event], local: vec![] }).await?;
        }
        self.store.token(token).await?.ok_or(NodeError::NotFound)
    }

    /// Shares a new advisory.
    pub async fn publish_advisory(
        &self,
        subject: &hl_policy::Subject,
        draft: AdvisoryDraft,
    ) -> Result<Advisory, NodeError> {
        self.check_recipients(&draft.releasability).await?;
        authorize(subject, Action::Publish { releasability: &draft.releasability })?;
        let title = line("title", &draft.title, TITLE_CHARS_MAX)?;
        let body = text_body("body", &draft.body)?;
        let advisory = RecordId::generate();
        let change = Change::AdvisoryPublished { advisory, title, body, severity: draft.severity };
        let event = self.unsigned(subject.org, Some(subject.user), draft.releasability, change);
        self.submit(AppendRequest { events: vec![event], local: vec![] }).await?;
        self.store.advisory(advisory).await?.ok_or(NodeError::NotFound)
    }

    /// Revises an advisory the caller's organization owns.
    pub async fn revise_advisory(
        &self,
        subject: &hl_policy::Subject,
        id: RecordId,
        patch: AdvisoryPatch,
    ) -> Result<Advisory, NodeError> {
        if let Some(releasability) = &patch.releasability {
            self.check_recipients(releasability).await?;
        }
        let current = self.store.advisory(id).await?.ok_or(NodeError::NotFound)?;
        let owner = self.owner(current.owner_org).await?;
        if !may_read(subject, owner, &current.releasability) {
            return Err(NodeError::NotFound);
        }
        authorize(subject, Action::Revise { owner: current.owner_org, releasability: patch.releasability.as_ref() })?;
        let title = patch.title.as_deref().map(|t| line("title", t, TITLE_CHARS_MAX)).transpose()?;
        let body = patch.body.as_deref().map(|b| text_body("body", b)).transpose()?;
        // A revision must revise something: an empty patch, nulls, or the values the advisory
        // already has would put a revision in the log (and before every partner) that says
        // nothing.
        let changes = title.as_ref().is_some_and(|t| *t != current.title)
            || body.as_ref().is_some_and(|b| *b != current.body)
            || patch.severity.is_some_and(|s| s != current.severity)
            || patch.releasability.as_ref().is_some_and(|r| *r != current.releasability);
        if !changes {
            return Err(NodeError::invalid(
                "",
                "the patch changes nothing: give at least one of title, body, severity or releasability with a new value",
            ));
        }
        // The event carries the releasability the record will have, so the revision itself
        // reaches exactly the new audience.
        let releasability = patch.releasability.clone().unwrap_or_else(|| current.releasability.clone());
        let change = Change::AdvisoryRevised {
            advisory: id,
            title: title.clone(),
            body: body.clone(),
            severity: patch.severity,
            releasability: patch.releasability,
            base_revision: Some(current.revision),
        };
        let event = self.unsigned(subject.org, Some(subject.user), releasability.clone(), change);
        let revised_at_us = event.recorded_at_us;
        self.submit(AppendRequest { events: vec![event], local: vec![] }).await?;
        // The revision applied to exactly `current` (or was refused as a conflict), so this is
        // the state it made, whatever was revised after it.
        Ok(Advisory {
            title: title.unwrap_or(current.title),
            body: body.unwrap_or(current.body),
            severity: patch.severity.unwrap_or(current.severity),
            releasability,
            revised_at_us,
            revision: current.revision + 1,
            ..current
        })
    }
}

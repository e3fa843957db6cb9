//! Administration commands run by the node's operator against the data directory.

use std::collections::BTreeSet;

use anyhow::Context;
use hl_node::{Actor, Node, OrganizationDraft, VerifyFailure, verify_log};
use hl_store::Organization;
use hl_types::{CommunityName, Nation, OrgId, OrgKind, Role, TokenId};
use serde_json::json;

use hl_api::dto::{IssuedTokenView, NewUserView, TokenView};

use crate::cli::{IncidentCommand, NodeArgs, OrgCommand, TokenCommand, UserCommand};
use crate::datadir;
use crate::settings::Overrides;

async fn open_node(args: &NodeArgs) -> anyhow::Result<Node> {
    let (_, node) = datadir::open(args, Overrides::default()).await?.start();
    Ok(node)
}

/// `harborlink init`: creates the data directory and, with `--org`, the host organization and
/// its first administrator, whose token is printed once (a new node is then usable at once).
pub async fn init(args: &crate::cli::InitArgs) -> anyhow::Result<()> {
    // Checked before anything is created: a refused value leaves no half-made node behind.
    let first = match (&args.org, &args.kind, &args.nation, &args.admin) {
        (Some(org), Some(kind), Some(nation), Some(admin)) => Some((
            OrganizationDraft {
                name: org.clone(),
                kind: kind.parse::<OrgKind>().context("--kind")?,
                nation: Nation::parse(nation).context("--nation")?,
                communities: BTreeSet::new(),
            },
            admin.clone(),
        )),
        _ => None,
    };
    datadir::init(&args.data_dir, args.node_id.as_deref(), args.database.as_deref()).await?;
    let Some((draft, admin)) = first else {
        eprintln!("{}", next_steps(&args.data_dir));
        return Ok(());
    };
    let node_args = NodeArgs { data_dir: args.data_dir.clone(), database: None };
    let node = open_node(&node_args).await?;
    let org = node.register_organization(draft).await?;
    let (user, token) = node.register_user(Actor::Operator, org.id, &admin, Role::Administrator).await?;
    let view =
        NewUserView { user: user.into(), token: IssuedTokenView { token: token.record.into(), secret: token.secret } };
    println!("{}", json!({ "organization": org_json(&org), "user": view.user, "token": view.token }));
    eprintln!("Store the token now: it is shown only once and kept only as a hash.");
    Ok(())
}

/// What to run next on a node without an organization.
pub fn next_steps(dir: &std::path::Path) -> String {
    let dir = dir.display();
    format!(
        "This node has no organization yet, so nobody can sign in. Register the host organization and its \
         first administrator:\n  harborlink org add --data-dir {dir} --name \"Port Authority\" --kind port_authority --nation SG\n  \
         harborlink user add --data-dir {dir} --org \"Port Authority\" --name admin --role administrator\n\
         (the second prints the administrator's API token once)."
    )
}

/// Prints the verdict; `Ok(false)` when the log is broken.
pub async fn verify(args: &NodeArgs) -> anyhow::Result<bool> {
    let opened = datadir::open(args, Overrides::default()).await?;
    match verify_log(opened.store.as_ref()).await {
        Ok(report) => {
            let origins: Vec<String> = report.origins.iter().map(|(o, seq)| format!("{o} up to {seq}")).collect();
            println!("log intact: {} events verified ({})", report.events, origins.join(", "));
            let binding = hl_node::BindingKey::derive(&opened.key);
            let tampered = hl_node::verify_token_secrets(opened.store.as_ref(), &binding)
                .await
                .context("cannot read the token secrets")?;
            for token in &tampered {
                println!("TOKEN SECRET BROKEN: {token}");
            }
            let drift = hl_node::verify_access_projections(opened.store.as_ref())
                .await
                .context("cannot read the access projections")?;
            for row in &drift {
                println!("PROJECTION EDITED: {row} (`harborlink rebuild` restores it from the log)");
            }
            let changed =
                hl_node::verify_attachments(opened.store.as_ref()).await.context("cannot read the attachments")?;
            for sha256 in &changed {
                println!("ATTACHMENT BROKEN: {sha256} (its content no longer matches the hash its event signed)");
            }
            Ok(tampered.is_empty() && drift.is_empty() && changed.is_empty())
        }
        Err(VerifyFailure::Store(err)) => Err(err).context("cannot read the event log"),
        Err(failure) => {
            println!("LOG BROKEN: {failure}");
            Ok(false)
        }
    }
}

pub async fn rebuild(args: &NodeArgs) -> anyhow::Result<()> {
    let opened = datadir::open(args, Overrides::default()).await?;
    let replayed = opened.store.rebuild_projections().await?;
    println!("projections rebuilt from {replayed} events");
    Ok(())
}

fn org_json(org: &Organization) -> serde_json::Value {
    json!({
        "id": org.id, "name": org.name, "kind": org.kind, "nation": org.nation,
        "communities": org.communities,
    })
}

/// Finds an organization by id or exact name.
async fn find_org(node: &Node, key: &str) -> anyhow::Result<Organization> {
    if let Ok(id) = key.parse::<OrgId>()
        && let Ok(org) = node.organization(id).await
    {
        return Ok(org);
    }
    node.store().organization_by_name(key).await?.with_context(|| format!("no organization {}", hl_types::shown(key)))
}

pub async fn org(cmd: OrgCommand) -> anyhow::Result<()> {
    match cmd {
        OrgCommand::Add { node, name, kind, nation, communities } => {
            let draft = OrganizationDraft {
                name,
                kind: kind.parse::<OrgKind>().context("--kind")?,
                nation: Nation::parse(&nation).context("--nation")?,
                communities: communities
                    .iter()
                    .map(|c| CommunityName::parse(c))
                    .collect::<Result<BTreeSet<_>, _>>()
                    .context("--community")?,
            };
            let node = open_node(&node).await?;
            let org = node.register_organization(draft).await?;
            println!("{}", org_json(&org));
        }
        OrgCommand::List { node } => {
            let node = open_node(&node).await?;
            for org in node.organizations().await? {
                println!("{}", org_json(&org));
            }
        }
        OrgCommand::Join { node, org, community } => {
            let community = CommunityName::parse(&community).context("--community")?;
            let node = open_node(&node).await?;
            let found = find_org(&node, &org).await?;
            let org = node.join_community(found.id, community).await?;
            println!("{}", org_json(&org));
        }
    }
    Ok(())
}

pub async fn user(cmd: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Add { node, org, name, role } = cmd;
    let role = role.parse::<Role>().context("--role")?;
    let node = open_node(&node).await?;
    let org = find_org(&node, &org).await?;
    let (user, token) = node.register_user(Actor::Operator, org.id, &name, role).await?;
    // The secret goes to stdout once, for the operator to hand over; it is never logged. The
    // same shape as the API's answer to POST /organizations/{id}/users.
    let view =
        NewUserView { user: user.into(), token: IssuedTokenView { token: token.record.into(), secret: token.secret } };
    println!("{}", serde_json::to_string(&view)?);
    eprintln!("Store the token now: it is shown only once and kept only as a hash.");
    Ok(())
}

pub async fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    let (node, token_id) = match cmd {
        TokenCommand::List { node, user } => {
            let user: hl_types::UserId = user.parse().context("--user")?;
            let node = open_node(&node).await?;
            for token in node.tokens(Actor::Operator, user).await? {
                println!("{}", serde_json::to_string(&TokenView::from(token))?);
            }
            return Ok(());
        }
        TokenCommand::Revoke { node, token_id } => (node, token_id),
        TokenCommand::BindLegacy { node } => {
            let bound = open_node(&node).await?.bind_legacy_tokens().await?;
            println!("{}", json!({ "bound": bound }));
            return Ok(());
        }
    };
    let id: TokenId = token_id.parse().context("token id")?;
    let node = open_node(&node).await?;
    let record = node.revoke_token(Actor::Operator, id).await.map_err(|e| match e {
        hl_node::NodeError::NotFound => anyhow::anyhow!("no token {id}"),
        other => other.into(),
    })?;
    println!("{}", json!({ "token_id": record.id, "revoked": record.revoked_at_us.is_some() }));
    Ok(())
}

/// A comma-separated list of one of the API's enums (`stowaway,smuggling`), as the facet text.
fn enum_list<T: serde::de::DeserializeOwned + serde::Serialize>(flag: &str, text: &str) -> anyhow::Result<Vec<String>> {
    text.split(',')
        .map(|part| {
            let value: T = serde_json::from_value(serde_json::Value::String(part.trim().to_owned()))
                .with_context(|| format!("{flag}: {} is not one of its values", hl_types::shown(part.trim())))?;
            Ok(serde_json::to_value(value)?.as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

/// `harborlink incident list|show|export`: the operator reads every incident on the node.
pub async fn incident(cmd: IncidentCommand) -> anyhow::Result<()> {
    use hl_api::incidents::{IncidentView, TimelineEntryView};
    let parse_id = |id: &str| id.parse::<hl_types::RecordId>().context("incident id");
    match cmd {
        IncidentCommand::List { node, category, status, severity, since, mmsi, limit } => {
            let filter = hl_store::RecordFilter {
                classes: category
                    .as_deref()
                    .map(|c| enum_list::<hl_node::IncidentCategory>("--category", c))
                    .transpose()?
                    .unwrap_or_default(),
                statuses: status
                    .as_deref()
                    .map(|s| enum_list::<hl_node::IncidentStatus>("--status", s))
                    .transpose()?
                    .unwrap_or_default(),
                severity_min: severity
                    .as_deref()
                    .map(|s| serde_json::from_value::<hl_node::IncidentSeverity>(json!(s)).map(|s| s as i64))
                    .transpose()
                    .context("--severity: low, medium, high or critical")?,
                since_s: since
                    .as_deref()
                    .map(|s| s.parse::<jiff::Timestamp>().map(|t| t.as_second()))
                    .transpose()
                    .context("--since: an RFC 3339 time")?,
                mmsi,
                ..Default::default()
            };
            let node = open_node(&node).await?;
            let mut after = None;
            let mut printed = 0usize;
            loop {
                let page = node.incidents(Actor::Operator, &filter, after, hl_node::PAGE_ITEMS_MAX).await?;
                for record in page.items {
                    if limit.is_some_and(|l| printed >= l) {
                        return Ok(());
                    }
                    after = Some(record.id);
                    println!("{}", serde_json::to_string(&IncidentView::from(record))?);
                    printed += 1;
                }
                if page.next.is_none() {
                    return Ok(());
                }
            }
        }
        IncidentCommand::Show { node, id } => {
            let id = parse_id(&id)?;
            let node = open_node(&node).await?;
            let incident = node.incident(Actor::Operator, id).await.map_err(|e| not_found(e, id))?;
            let timeline: Vec<TimelineEntryView> =
                node.incident_timeline(Actor::Operator, id).await?.into_iter().map(Into::into).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"incident": IncidentView::from(incident), "timeline": timeline}))?
            );
            Ok(())
        }
        IncidentCommand::Export { node, id } => {
            let id = parse_id(&id)?;
            let node = open_node(&node).await?;
            let (incident, timeline, events) = node.incident_evidence(id).await.map_err(|e| not_found(e, id))?;
            let key = node.local_key().await?;
            let timeline: Vec<TimelineEntryView> = timeline.into_iter().map(Into::into).collect();
            let events: Vec<serde_json::Value> = events.iter().map(sealed_event_json).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "format": "harborlink/incident-evidence/v1",
                    "incident": IncidentView::from(incident),
                    "timeline": timeline,
                    "events": events,
                    "node": {"id": node.origin(), "public_key": key},
                    "verify": "each event's hash is SHA-256 of its canonical form (ARCHITECTURE.md, \"The event \
                        log\"); its signature is Ed25519 over the same bytes by the node's public key",
                }))?
            );
            Ok(())
        }
    }
}

fn not_found(err: hl_node::NodeError, id: hl_types::RecordId) -> anyhow::Error {
    match err {
        hl_node::NodeError::NotFound => anyhow::anyhow!("no incident {id}"),
        other => other.into(),
    }
}

/// A sealed event with every field its hash and signature cover.
fn sealed_event_json(e: &hl_events::Event) -> serde_json::Value {
    json!({
        "id": e.id,
        "origin": e.origin,
        "seq": e.seq,
        "author_organization": e.author_org,
        "author_user": e.author_user,
        "recorded_at_us": e.recorded_at_us,
        "record_type": e.record_type,
        "record_id": e.record_id,
        "releasability": e.releasability,
        "payload": e.payload,
        "prev_hash": hex::encode(e.prev_hash),
        "hash": hex::encode(e.hash),
        "signature": hex::encode(e.signature),
    })
}

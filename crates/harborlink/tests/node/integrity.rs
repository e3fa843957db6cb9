//! `harborlink verify` against hand-tampered databases, and projection rebuilds.

use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, Client, Region, TestNode, id};

fn verify(node: &TestNode) -> (bool, Option<i32>, String) {
    let out = node.cli(&["verify"]);
    (out.status.success(), out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn populated(backend: Backend) -> Option<(TestNode, Region)> {
    let node = TestNode::start(backend).await?;
    let r = Region::create(&node);
    let operator = Client::new(&node, Some(&r.mpa_operator));
    for i in 0..5 {
        let body = json!({"title": format!("advisory {i}"), "severity": "low",
                          "releasability": {"tlp": "GREEN", "scope": {"kind": "nation"}}});
        assert_eq!(operator.post("/api/v1/advisories", &body).await.status, 201);
    }
    Some((node, r))
}

async fn verify_names_the_first_altered_event(backend: Backend) {
    let Some((node, _)) = populated(backend).await else { return };
    let (ok, _, text) = verify(&node);
    assert!(ok, "fresh log should verify: {text}");
    assert!(text.contains("events verified"));

    let changed = node
        .execute_sql("UPDATE events SET payload = replace(payload, 'advisory 2', 'advisory X') WHERE record_type = 'advisory' AND payload LIKE '%advisory 2%'")
        .await;
    assert_eq!(changed, 1);
    let (ok, code, text) = verify(&node);
    assert!(!ok);
    assert_eq!(code, Some(3));
    assert!(text.contains("content does not match its hash"), "{text}");
    let seq: String = text.split("sequence ").nth(1).and_then(|s| s.split(')').next()).unwrap_or_default().to_owned();
    assert!(seq.parse::<u64>().is_ok_and(|s| s > 1), "the broken event is named: {text}");
}

async fn verify_detects_forged_signatures_and_removed_events(backend: Backend) {
    let Some((node, _)) = populated(backend).await else { return };
    // Re-pointing the releasability and fixing up the hash still fails: the signature is the
    // origin's, which a tamperer does not have.
    node.execute_sql("UPDATE events SET signature = replace(signature, substr(signature, 1, 2), 'ff') WHERE seq = 3")
        .await;
    let (ok, _, text) = verify(&node);
    assert!(!ok && text.contains("sequence 3"), "{text}");

    let Some((node, _)) = populated(backend).await else { return };
    node.execute_sql("DELETE FROM events WHERE seq = 4").await;
    let (ok, _, text) = verify(&node);
    assert!(!ok && text.contains("sequence gap"), "{text}");

    let Some((node, _)) = populated(backend).await else { return };
    node.execute_sql("DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)").await;
    let (ok, _, text) = verify(&node);
    assert!(!ok && text.contains("events were removed"), "removing the newest event is caught: {text}");

    let Some((node, _)) = populated(backend).await else { return };
    node.execute_sql("UPDATE events SET hash = 'zz' WHERE seq = 2").await;
    let (ok, _, text) = verify(&node);
    assert!(!ok && text.contains("hash"), "an unreadable row is reported: {text}");
}

async fn projections_rebuild_from_the_log(backend: Backend) {
    let Some((mut node, r)) = populated(backend).await else { return };
    let operator = Client::new(&node, Some(&r.mpa_operator));
    let before = operator.get("/api/v1/advisories").await.body;
    node.kill();
    node.execute_sql("DELETE FROM advisories").await;
    node.execute_sql(&format!("DELETE FROM organizations WHERE id = '{}'", id(&r.klang))).await;
    let out = node.cli(&["rebuild"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    node.serve();
    let operator = Client::new(&node, Some(&r.mpa_operator));
    assert_eq!(operator.get("/api/v1/advisories").await.body, before);
    assert_eq!(operator.get(&format!("/api/v1/organizations/{}", id(&r.klang))).await.status, 200);
}

/// Replacing a token's stored hash by hand (to log in with a secret of one's own choosing) is
/// refused at login and reported by `verify`; the untouched tokens keep working.
async fn a_hand_edited_token_hash_is_refused_and_reported(backend: Backend) {
    let Some((mut node, r)) = populated(backend).await else { return };
    let me = Client::new(&node, Some(&r.mpa_viewer)).get("/api/v1/me").await;
    let user = me.body["user"]["id"].as_str().unwrap_or_default().to_owned();
    let issued = Client::new(&node, Some(&r.mpa_viewer))
        .post(&format!("/api/v1/users/{user}/tokens"), &json!({"label": "victim"}))
        .await;
    let token = issued.body["token"]["id"].as_str().unwrap_or_default().to_owned();
    let forged = format!("hlk_{}", "ab".repeat(32));
    let changed = node
        .execute_sql(&format!(
            "UPDATE token_secrets SET secret_hash = '{}' WHERE token_id = '{token}'",
            hl_node::token_hash(&forged)
        ))
        .await;
    assert_eq!(changed, 1);
    assert_eq!(Client::new(&node, Some(&forged)).get("/api/v1/me").await.status, 401, "the forged secret logs in");
    assert_eq!(Client::new(&node, Some(&r.mpa_operator)).get("/api/v1/me").await.status, 200);
    let (ok, code, text) = verify(&node);
    assert!(!ok && code == Some(3), "{text}");
    assert!(text.contains("TOKEN SECRET BROKEN") && text.contains(&token), "{text}");

    // Clearing the binding as well does not help, not even across a restart (nothing re-binds
    // a row on its own); binding legacy rows is the operator's explicit step.
    let cleared =
        node.execute_sql(&format!("UPDATE token_secrets SET binding = NULL WHERE token_id = '{token}'")).await;
    assert_eq!(cleared, 1);
    node.terminate();
    node.serve();
    assert_eq!(Client::new(&node, Some(&forged)).get("/api/v1/me").await.status, 401, "an unbound hash logs in");
    let (ok, _, text) = verify(&node);
    assert!(!ok && text.contains(&token) && text.contains("not bound"), "{text}");
}

/// Hand edits to the tables access decisions read (a user's role raised, a revocation cleared)
/// are reported by `verify`, and `rebuild` restores them from the log.
async fn hand_edited_roles_and_revocations_are_reported_and_rebuilt(backend: Backend) {
    let Some((node, r)) = populated(backend).await else { return };
    let viewer = Client::new(&node, Some(&r.mpa_viewer));
    let me = viewer.get("/api/v1/me").await;
    let user = me.body["user"]["id"].as_str().unwrap_or_default().to_owned();
    let issued = viewer.post(&format!("/api/v1/users/{user}/tokens"), &json!({"label": "old laptop"})).await;
    let token = issued.body["token"]["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(viewer.delete(&format!("/api/v1/tokens/{token}")).await.status, 200);
    assert!(verify(&node).0, "intact before the edits");
    assert_eq!(node.execute_sql(&format!("UPDATE users SET role = 'administrator' WHERE id = '{user}'")).await, 1);
    assert_eq!(node.execute_sql(&format!("UPDATE tokens SET revoked_at_us = NULL WHERE id = '{token}'")).await, 1);
    let (ok, code, text) = verify(&node);
    assert!(!ok && code == Some(3), "{text}");
    assert!(text.contains(&format!("users {user}")) && text.contains(&format!("tokens {token}")), "{text}");
    let out = node.cli(&["rebuild"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (ok, _, text) = verify(&node);
    assert!(ok, "{text}");
    assert_eq!(viewer.get("/api/v1/me").await.body["user"]["role"], "viewer");
}

on_both_backends!(
    hand_edited_roles_and_revocations_are_reported_and_rebuilt,
    a_hand_edited_token_hash_is_refused_and_reported,
    verify_names_the_first_altered_event,
    verify_detects_forged_signatures_and_removed_events,
    projections_rebuild_from_the_log,
);

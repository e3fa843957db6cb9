//! Tokens: shown once, stored hashed, revocable from the CLI and the API; user administration.

use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, Client, Region, TestNode, id};

async fn tokens_are_shown_once_stored_hashed_and_revocable(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let mpa = id(&r.mpa);
    let admin = Client::new(&node, Some(&r.mpa_admin));

    let created =
        admin.post(&format!("/api/v1/organizations/{mpa}/users"), &json!({"name": "nina", "role": "operator"})).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let secret = created.body["token"]["secret"].as_str().unwrap_or_default().to_owned();
    let user_id = created.body["user"]["id"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("hlk_") && secret.len() > 60);
    let nina = Client::new(&node, Some(&secret));
    let me = nina.get("/api/v1/me").await;
    assert_eq!((me.status, me.body["user"]["role"].as_str()), (200, Some("operator")));

    // Nothing the API returns later contains the secret, and neither does the database.
    let users = admin.get(&format!("/api/v1/organizations/{mpa}/users")).await;
    assert!(!users.body.to_string().contains(&secret));
    let events = admin.get("/api/v1/events?limit=500").await;
    assert!(!events.body.to_string().contains(&secret));
    let dump_has_secret = match backend {
        Backend::Sqlite => {
            let _ = node.cli(&["verify"]); // checkpoints nothing, but proves the file is readable
            let mut found = false;
            for suffix in ["", "-wal"] {
                let path = format!("{}{suffix}", node.sqlite_path().display());
                if let Ok(bytes) = std::fs::read(&path) {
                    found |= bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                }
            }
            found
        }
        Backend::Postgres => {
            node.execute_sql(&format!(
                "SELECT 1 FROM events WHERE payload LIKE '%{secret}%' UNION ALL \
                 SELECT 1 FROM token_secrets WHERE secret_hash = '{secret}'"
            ))
            .await
                > 0
        }
    };
    assert!(!dump_has_secret, "the token secret is stored in clear");

    // A second token for oneself, then revocation through the API.
    let second = nina.post(&format!("/api/v1/users/{user_id}/tokens"), &json!({"label": "laptop"})).await;
    assert_eq!(second.status, 201);
    let second_secret = second.body["secret"].as_str().unwrap_or_default().to_owned();
    let second_id = second.body["token"]["id"].as_str().unwrap_or_default().to_owned();
    let revoked = nina.delete(&format!("/api/v1/tokens/{second_id}")).await;
    assert_eq!((revoked.status, revoked.body["revoked_at"].is_string()), (200, true));
    assert_eq!(Client::new(&node, Some(&second_secret)).get("/api/v1/me").await.status, 401);
    assert_eq!(nina.get("/api/v1/me").await.status, 200, "revoking one token leaves the other");

    // Revocation through the CLI takes effect on the running server at once.
    let first_id = created.body["token"]["token"]["id"].as_str().unwrap_or_default().to_owned();
    let out = node.cli(&["token", "revoke", &first_id]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(nina.get("/api/v1/me").await.status, 401);
    let unknown = node.cli(&["token", "revoke", &uuid::Uuid::now_v7().to_string()]);
    assert!(!unknown.status.success());
}

async fn user_administration_stays_inside_the_organization(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let mpa = id(&r.mpa);
    let navy_admin = Client::new(&node, Some(&r.navy_fr_admin));
    let operator = Client::new(&node, Some(&r.mpa_operator));
    let body = json!({"name": "intruder", "role": "administrator"});
    assert_eq!(navy_admin.post(&format!("/api/v1/organizations/{mpa}/users"), &body).await.status, 403);
    assert_eq!(operator.post(&format!("/api/v1/organizations/{mpa}/users"), &body).await.status, 403);
    let bad_role = Client::new(&node, Some(&r.mpa_admin))
        .post(&format!("/api/v1/organizations/{mpa}/users"), &json!({"name": "x", "role": "captain"}))
        .await;
    assert_eq!((bad_role.status, bad_role.body["field"].as_str()), (422, Some("/role")));
    let duplicate = Client::new(&node, Some(&r.mpa_admin))
        .post(&format!("/api/v1/organizations/{mpa}/users"), &json!({"name": "oscar", "role": "viewer"}))
        .await;
    assert_eq!(duplicate.status, 409);
    let users = operator.get(&format!("/api/v1/organizations/{mpa}/users")).await;
    let names: Vec<&str> = users.body.as_array().into_iter().flatten().filter_map(|u| u["name"].as_str()).collect();
    assert_eq!(names, ["ada", "oscar", "sofia", "victor"]);
}

on_both_backends!(tokens_are_shown_once_stored_hashed_and_revocable, user_administration_stays_inside_the_organization);

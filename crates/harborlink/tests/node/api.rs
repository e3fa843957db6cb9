//! Releasability on reads, roles and ownership on writes, and bad input.

#![allow(clippy::type_complexity)]

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, Client, Region, TestNode, id};

fn advisory(title: &str, tlp: &str, scope: Value) -> Value {
    json!({"title": title, "body": "Two skiffs loitering near the anchorage.", "severity": "high",
           "releasability": {"tlp": tlp, "scope": scope}})
}

async fn releasability_decides_who_sees_what(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let klang = id(&r.klang);

    let cases = [
        ("own org", "AMBER+STRICT", json!({"kind": "organization"})),
        ("nation", "GREEN", json!({"kind": "nation"})),
        ("community", "AMBER", json!({"kind": "community", "community": "straits-psg"})),
        ("everyone", "CLEAR", json!({"kind": "all_partners"})),
        ("red to klang", "RED", json!({"kind": "organizations", "organizations": [klang]})),
    ];
    let mut ids = Vec::new();
    for (title, tlp, scope) in &cases {
        let reply = officer.post("/api/v1/advisories", &advisory(title, tlp, scope.clone())).await;
        assert_eq!(reply.status, 201, "{title}: {:?}", reply.body);
        ids.push(id(&reply.body));
    }

    // Who should see each advisory, in the order of `cases`.
    let readers = [
        ("mpa viewer", &r.mpa_viewer, [true, true, true, true, true]),
        ("police sg", &r.police_sg_operator, [false, true, false, true, false]),
        ("klang", &r.klang_operator, [false, false, true, true, true]),
        ("navy fr", &r.navy_fr_admin, [false, false, false, true, false]),
    ];
    for (who, token, expected) in readers {
        let client = Client::new(&node, Some(token));
        let listed = client.get("/api/v1/advisories").await;
        assert_eq!(listed.status, 200);
        let listed_ids: Vec<String> = listed.body["items"].as_array().into_iter().flatten().map(id).collect();
        for ((advisory_id, visible), (title, _, _)) in ids.iter().zip(expected).zip(&cases) {
            let one = client.get(&format!("/api/v1/advisories/{advisory_id}")).await;
            if visible {
                assert_eq!(one.status, 200, "{who} should see {title}");
            } else {
                // Indistinguishable from a record that does not exist.
                let missing = client.get(&format!("/api/v1/advisories/{}", uuid::Uuid::now_v7())).await;
                assert_eq!((one.status, &one.body), (404, &missing.body), "{who} must not see {title}");
            }
            assert_eq!(listed_ids.contains(advisory_id), visible, "{who} listing, {title}");
        }

        // The event log is filtered by the same rule.
        let events = client.get("/api/v1/events?limit=500").await;
        assert_eq!(events.status, 200);
        let advisory_events: Vec<String> = events.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["record_type"] == "advisory")
            .map(|e| e["record_id"].as_str().unwrap_or_default().to_owned())
            .collect();
        for (advisory_id, visible) in ids.iter().zip(expected) {
            assert_eq!(advisory_events.contains(advisory_id), visible, "{who} events");
        }
    }
}

async fn user_and_token_events_stay_inside_the_organization(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let mpa = id(&r.mpa);
    let navy = Client::new(&node, Some(&r.navy_fr_admin));
    let events = navy.get("/api/v1/events?limit=500").await;
    let items = events.body["items"].as_array().cloned().unwrap_or_default();
    assert!(items.iter().any(|e| e["record_type"] == "organization" && e["record_id"] == mpa.as_str()));
    for e in &items {
        if e["record_type"] == "user" || e["record_type"] == "token" {
            assert_eq!(e["author_organization"], r.navy_fr["id"], "navy saw another org's user event: {e}");
        }
    }
    // Another organization's user list is not found, not forbidden.
    assert_eq!(navy.get(&format!("/api/v1/organizations/{mpa}/users")).await.status, 404);
}

async fn writes_follow_roles_and_ownership(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let viewer = Client::new(&node, Some(&r.mpa_viewer));
    let operator = Client::new(&node, Some(&r.mpa_operator));
    let klang = Client::new(&node, Some(&r.klang_operator));
    let community = json!({"kind": "community", "community": "straits-psg"});

    let denied = viewer.post("/api/v1/advisories", &advisory("v", "GREEN", json!({"kind": "nation"}))).await;
    assert_eq!((denied.status, denied.body["code"].as_str()), (403, Some("forbidden")));
    let red = operator.post("/api/v1/advisories", &advisory("r", "RED", json!({"kind": "organization"}))).await;
    assert_eq!(red.status, 403, "RED needs a security officer");
    let not_member = Client::new(&node, Some(&r.police_sg_operator))
        .post("/api/v1/advisories", &advisory("c", "GREEN", community.clone()))
        .await;
    assert_eq!(not_member.status, 403, "sharing with a community one is not in");

    let created = operator.post("/api/v1/advisories", &advisory("shared", "AMBER", community.clone())).await;
    assert_eq!(created.status, 201);
    let path = format!("/api/v1/advisories/{}", id(&created.body));

    // A recipient can read but cannot change or widen it.
    let widen =
        klang.patch(&path, &json!({"releasability": {"tlp": "CLEAR", "scope": {"kind": "all_partners"}}})).await;
    assert_eq!(widen.status, 403);
    let retitle = klang.patch(&path, &json!({"title": "hijacked"})).await;
    assert_eq!(retitle.status, 403);
    // A stranger cannot even learn that it exists.
    let navy = Client::new(&node, Some(&r.navy_fr_admin));
    assert_eq!(navy.patch(&path, &json!({"title": "x"})).await.status, 404);

    let revised = operator.patch(&path, &json!({"title": "revised", "severity": "critical"})).await;
    assert_eq!(revised.status, 200, "{:?}", revised.body);
    assert_eq!(revised.body["title"], "revised");
    assert_eq!(revised.body["severity"], "critical");
    assert_eq!(revised.body["revision"], 2);
    assert_eq!(revised.body["body"], "Two skiffs loitering near the anchorage.");

    // The owner narrows it: the community member loses sight of it.
    let narrowed = operator
        .patch(&path, &json!({"releasability": {"tlp": "AMBER+STRICT", "scope": {"kind": "organization"}}}))
        .await;
    assert_eq!(narrowed.status, 200);
    assert_eq!(klang.get(&path).await.status, 404);
}

async fn bad_input_gets_a_problem_and_writes_nothing(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let count = |reply: &crate::support::Reply| reply.body["items"].as_array().map_or(0, Vec::len);
    let before = count(&officer.get("/api/v1/events?limit=500").await);

    let good = advisory("t", "GREEN", json!({"kind": "nation"}));
    let mut cases: Vec<(&str, Vec<u8>, u16, &str, Option<&str>)> = vec![
        ("malformed", b"{\"title\": ".to_vec(), 400, "malformed_json", None),
        ("trailing", format!("{good} {{}}").into_bytes(), 400, "malformed_json", None),
        ("not an object", b"[1,2]".to_vec(), 422, "invalid_field", Some("")),
    ];
    let variants = [
        ("unknown field", json!({"extra": true}), "/extra"),
        ("wrong type", json!({"title": 42}), "/title"),
        ("bad enum", json!({"severity": "apocalyptic"}), "/severity"),
        ("bad tlp", json!({"releasability": {"tlp": "WHITE", "scope": {"kind": "nation"}}}), "/releasability/tlp"),
        (
            "bad scope",
            json!({"releasability": {"tlp": "GREEN", "scope": {"kind": "galaxy"}}}),
            "/releasability/scope/kind",
        ),
        (
            "bad community",
            json!({"releasability": {"tlp": "GREEN", "scope": {"kind": "community", "community": "No Spaces"}}}),
            "/releasability/scope/community",
        ),
        (
            "bad org id",
            json!({"releasability": {"tlp": "RED", "scope": {"kind": "organizations", "organizations": ["nope"]}}}),
            "/releasability/scope/organizations/0",
        ),
        ("red to all", json!({"releasability": {"tlp": "RED", "scope": {"kind": "all_partners"}}}), "/releasability"),
        ("empty title", json!({"title": "   "}), "/title"),
        ("control chars", json!({"title": "a\u{0007}b"}), "/title"),
    ];
    let bodies: Vec<(String, Vec<u8>, &str)> = variants
        .iter()
        .map(|(name, patch, field)| {
            let mut body = good.clone();
            if let (Some(b), Some(p)) = (body.as_object_mut(), patch.as_object()) {
                for (k, v) in p {
                    b.insert(k.clone(), v.clone());
                }
            }
            (name.to_string(), body.to_string().into_bytes(), *field)
        })
        .collect();
    for (name, bytes, field) in &bodies {
        cases.push((name.as_str(), bytes.clone(), 422, "invalid_field", Some(field)));
    }
    let missing = json!({"severity": "low", "releasability": {"tlp": "GREEN", "scope": {"kind": "nation"}}});
    cases.push(("missing title", missing.to_string().into_bytes(), 422, "invalid_field", Some("/title")));

    for (name, bytes, status, code, field) in cases {
        let reply = officer.send(reqwest::Method::POST, "/api/v1/advisories", Some(("application/json", bytes))).await;
        assert_eq!(reply.status, status, "{name}: {:?}", reply.body);
        assert_eq!(reply.content_type, "application/problem+json", "{name}");
        assert_eq!(reply.body["code"], code, "{name}");
        assert_eq!(reply.body["status"], status, "{name}");
        if let Some(field) = field {
            assert_eq!(reply.body["field"], field, "{name}: {:?}", reply.body);
        }
    }
    // The server answers 413 as soon as the declared length exceeds the limit and closes the
    // connection without reading the body, so a client still uploading may see the close
    // instead of the answer; both mean the body was refused.
    let oversized = vec![b' '; 2 * 1024 * 1024];
    // Its own client: the connection it used is closed afterwards.
    let uploader = Client::new(&node, Some(&r.mpa_officer));
    match uploader.try_send(reqwest::Method::POST, "/api/v1/advisories", Some(("application/json", oversized))).await {
        Ok(reply) => assert_eq!((reply.status, reply.body["code"].as_str()), (413, Some("body_too_large"))),
        // Seen when the server's answer races the upload; the body was refused either way.
        Err(err) => assert!(!err.is_timeout(), "oversized body: {err}"),
    }
    let wrong_type = officer
        .send(reqwest::Method::POST, "/api/v1/advisories", Some(("text/plain", good.to_string().into_bytes())))
        .await;
    assert_eq!((wrong_type.status, wrong_type.body["code"].as_str()), (415, Some("unsupported_media_type")));

    for token in [None, Some("hlk_0000"), Some("Basic abc"), Some("hlk_\u{00e9}")] {
        let reply = Client::new(&node, token).post("/api/v1/advisories", &good).await;
        assert_eq!(reply.status, 401, "{token:?}");
        assert_eq!(reply.body["code"], "unauthenticated");
    }
    let bad_query = officer.get("/api/v1/events?limit=9999").await;
    assert_eq!((bad_query.status, bad_query.body["field"].as_str()), (400, Some("limit")));
    let bad_path = officer.get("/api/v1/advisories/not-a-uuid").await;
    assert_eq!((bad_path.status, bad_path.body["field"].as_str()), (400, Some("id")));
    let nowhere = officer.get("/api/v1/nowhere").await;
    assert_eq!((nowhere.status, nowhere.content_type.as_str()), (404, "application/problem+json"));

    assert_eq!(count(&officer.get("/api/v1/events?limit=500").await), before, "bad input wrote something");
    assert!(node.cli(&["verify"]).status.success());
}

async fn operations_endpoints_and_openapi(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let anonymous = Client::new(&node, None);
    assert_eq!(anonymous.get("/healthz").await.status, 200);
    assert_eq!(anonymous.get("/readyz").await.status, 200);
    let spec = anonymous.get("/api/v1/openapi.json").await;
    assert_eq!(spec.status, 200);
    assert!(spec.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    for path in ["/api/v1/advisories", "/api/v1/advisories/{id}", "/api/v1/events", "/api/v1/me", "/api/v1/tokens/{id}"]
    {
        assert!(spec.body["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    let operator = Client::new(&node, Some(&r.mpa_operator));
    assert_eq!(
        operator.post("/api/v1/advisories", &advisory("m", "GREEN", json!({"kind": "nation"}))).await.status,
        201
    );
    let metrics = crate::support::metrics(&node, &r.mpa_admin).await;
    for name in [
        "harborlink_http_requests_total",
        "harborlink_http_request_duration_seconds_bucket",
        "harborlink_events_appended_total",
        "harborlink_store_errors_total 0",
        "# HELP harborlink_store_errors_total",
        r#"route="/api/v1/advisories""#,
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
}

on_both_backends!(
    releasability_decides_who_sees_what,
    user_and_token_events_stay_inside_the_organization,
    writes_follow_roles_and_ownership,
    bad_input_gets_a_problem_and_writes_nothing,
    operations_endpoints_and_openapi,
);

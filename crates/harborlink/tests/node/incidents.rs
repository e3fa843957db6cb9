//! Incidents (issue 10), the first record type of the shared record layer: release chosen and
//! changed by the owner, the status rules, comments, assignment, the timeline, filters and
//! paging, bad input refused with nothing written, and the records rebuilt from the log.

use std::time::Duration;

use serde_json::{Value, json};

use hl_ais::encode::{SentenceOptions, to_sentences};

use crate::on_both_backends;
use crate::support::{Backend, Client, Region, TestNode, id, position};

fn incident(title: &str, category: &str, severity: &str, tlp: &str, scope: Value) -> Value {
    json!({
        "category": category, "severity": severity, "title": title,
        "description": "Reported by the gate guard.",
        "occurred_at": "2026-11-30T08:15:00Z",
        "location": {"lat": 1.264, "lon": 103.822, "facility": "Gate 3"},
        "vessels": [{"mmsi": 563123456, "imo": 9074729}],
        "releasability": {"tlp": tlp, "scope": scope}
    })
}

fn ids(reply: &Value) -> Vec<String> {
    reply["items"].as_array().into_iter().flatten().map(id).collect()
}

async fn event_count(client: &Client) -> usize {
    let mut count = 0;
    let mut after = String::new();
    loop {
        let page = client.get(&format!("/api/v1/events?limit=500{after}")).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        count += page.body["items"].as_array().map_or(0, Vec::len);
        match page.body["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return count,
        }
    }
}

async fn incidents_are_released_as_their_owner_chooses(backend: Backend) {
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
    let mut made = Vec::new();
    for (title, tlp, scope) in &cases {
        let reply = officer.post("/api/v1/incidents", &incident(title, "stowaway", "high", tlp, scope.clone())).await;
        assert_eq!(reply.status, 201, "{title}: {:?}", reply.body);
        assert_eq!(reply.body["status"], "reported");
        assert_eq!(reply.body["revision"], 1);
        made.push(id(&reply.body));
    }
    let readers = [
        ("mpa viewer", &r.mpa_viewer, [true, true, true, true, true]),
        ("police sg", &r.police_sg_operator, [false, true, false, true, false]),
        ("klang", &r.klang_operator, [false, false, true, true, true]),
        ("navy fr", &r.navy_fr_admin, [false, false, false, true, false]),
    ];
    for (who, token, expected) in readers {
        let client = Client::new(&node, Some(token));
        let listed = client.get("/api/v1/incidents").await;
        assert_eq!(listed.status, 200, "{:?}", listed.body);
        let listed = ids(&listed.body);
        for ((incident_id, visible), (title, _, _)) in made.iter().zip(expected).zip(&cases) {
            let missing = client.get(&format!("/api/v1/incidents/{}", uuid::Uuid::now_v7())).await;
            for path in
                [format!("/api/v1/incidents/{incident_id}"), format!("/api/v1/incidents/{incident_id}/timeline")]
            {
                let one = client.get(&path).await;
                if visible {
                    assert_eq!(one.status, 200, "{who} should read {path} ({title})");
                } else {
                    assert_eq!((one.status, &one.body), (404, &missing.body), "{who} must not read {path} ({title})");
                }
            }
            assert_eq!(listed.contains(incident_id), visible, "{who} listing, {title}");
        }
    }

    // Narrowing the community release to the own organization hides it from Klang at once, in
    // the listing, the record and its timeline; widening it again shows its whole history.
    let community = &made[2];
    let klang_client = Client::new(&node, Some(&r.klang_operator));
    let narrowed = officer
        .patch(
            &format!("/api/v1/incidents/{community}"),
            &json!({"releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}}}),
        )
        .await;
    assert_eq!(narrowed.status, 200, "{:?}", narrowed.body);
    assert_eq!(narrowed.body["revision"], 2);
    assert_eq!(klang_client.get(&format!("/api/v1/incidents/{community}")).await.status, 404);
    assert_eq!(klang_client.get(&format!("/api/v1/incidents/{community}/timeline")).await.status, 404);
    assert!(!ids(&klang_client.get("/api/v1/incidents").await.body).contains(community));
    // A comment made while narrowed is released as the incident is then: not to Klang.
    let comment =
        officer.post(&format!("/api/v1/incidents/{community}/comments"), &json!({"text": "Customs told."})).await;
    assert_eq!(comment.status, 201, "{:?}", comment.body);
    let klang_events = klang_client.get("/api/v1/events?limit=500").await;
    assert!(!klang_events.body.to_string().contains("Customs told."), "a comment leaked through /events");
    let widened = officer
        .patch(
            &format!("/api/v1/incidents/{community}"),
            &json!({"releasability": {"tlp": "AMBER", "scope": {"kind": "community", "community": "straits-psg"}}}),
        )
        .await;
    assert_eq!(widened.status, 200, "{:?}", widened.body);
    let seen = klang_client.get(&format!("/api/v1/incidents/{community}")).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["comments"][0]["text"], "Customs told.");
    let timeline = klang_client.get(&format!("/api/v1/incidents/{community}/timeline")).await;
    let ops: Vec<&str> =
        timeline.body.as_array().into_iter().flatten().filter_map(|e| e["change"]["op"].as_str()).collect();
    assert_eq!(ops, ["reported", "revised", "commented", "revised"]);

    // Writes: viewers never; a recipient never changes the owner's record (403 where it can see
    // it, 404 where it cannot).
    let viewer = Client::new(&node, Some(&r.mpa_viewer));
    let refused =
        viewer.post("/api/v1/incidents", &incident("v", "other", "low", "GREEN", json!({"kind": "nation"}))).await;
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    let everyone = &made[3];
    for (path, body) in [
        (format!("/api/v1/incidents/{everyone}/comments"), json!({"text": "ours now"})),
        (format!("/api/v1/incidents/{everyone}/status"), json!({"status": "closed"})),
    ] {
        assert_eq!(klang_client.post(&path, &body).await.status, 403, "{path}");
    }
    let navy = Client::new(&node, Some(&r.navy_fr_admin));
    let own_only = &made[0];
    assert_eq!(navy.post(&format!("/api/v1/incidents/{own_only}/comments"), &json!({"text": "x"})).await.status, 404);
    // TLP:RED needs a security officer.
    let operator = Client::new(&node, Some(&r.mpa_operator));
    let red = incident("r", "other", "low", "RED", json!({"kind": "organizations", "organizations": [klang]}));
    assert_eq!(operator.post("/api/v1/incidents", &red).await.status, 403);
}

async fn incident_handling_follows_its_rules(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let made = officer
        .post(
            "/api/v1/incidents",
            &incident("Drone over terminal", "unmanned_system", "medium", "GREEN", json!({"kind": "nation"})),
        )
        .await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    let incident_id = id(&made.body);
    let path = format!("/api/v1/incidents/{incident_id}");

    // Status: forward, steps may be skipped, resolved may reopen, closed is final.
    for (to, status) in
        [("acknowledged", 200), ("resolved", 200), ("investigating", 200), ("reported", 422), ("closed", 200)]
    {
        let moved = officer.post(&format!("{path}/status"), &json!({"status": to, "note": format!("to {to}")})).await;
        assert_eq!(moved.status, status, "to {to}: {:?}", moved.body);
    }
    let reopened = officer.post(&format!("{path}/status"), &json!({"status": "investigating"})).await;
    assert_eq!(reopened.status, 422, "{:?}", reopened.body);
    assert_eq!(reopened.body["field"], "/status");
    assert!(reopened.body["detail"].as_str().is_some_and(|d| d.contains("closed")), "{:?}", reopened.body);
    let now = officer.get(&path).await.body;
    let handling: Vec<&str> =
        now["handling"].as_array().into_iter().flatten().filter_map(|m| m["status"].as_str()).collect();
    assert_eq!(handling, ["reported", "acknowledged", "resolved", "investigating", "closed"]);
    assert_eq!(now["handling"][1]["note"], "to acknowledged");

    // Assignment to a user of the owner only; comments; both in the timeline.
    let me = Client::new(&node, Some(&r.mpa_operator)).get("/api/v1/me").await.body;
    let oscar = me["user"]["id"].as_str().unwrap_or_default().to_owned();
    let klang_user = Client::new(&node, Some(&r.klang_operator)).get("/api/v1/me").await.body["user"]["id"].clone();
    let put = |body: Value| {
        let officer = &officer;
        let path = format!("{path}/assignee");
        async move {
            officer.send(reqwest::Method::PUT, &path, Some(("application/json", body.to_string().into_bytes()))).await
        }
    };
    let assigned = put(json!({"assignee": oscar})).await;
    assert_eq!((assigned.status, &assigned.body["assignee"]), (200, &json!(oscar)), "{:?}", assigned.body);
    let foreign = put(json!({"assignee": klang_user})).await;
    assert_eq!((foreign.status, &foreign.body["field"]), (422, &json!("/assignee")), "{:?}", foreign.body);
    let commented = officer.post(&format!("{path}/comments"), &json!({"text": "Footage kept."})).await;
    assert_eq!(commented.status, 201);
    let blank = officer.post(&format!("{path}/comments"), &json!({"text": "  "})).await;
    assert_eq!((blank.status, &blank.body["field"]), (422, &json!("/text")), "{:?}", blank.body);
    let timeline = officer.get(&format!("{path}/timeline")).await.body;
    let ops: Vec<&str> = timeline.as_array().into_iter().flatten().filter_map(|e| e["change"]["op"].as_str()).collect();
    assert_eq!(
        ops,
        ["reported", "status_changed", "status_changed", "status_changed", "status_changed", "assigned", "commented"]
    );

    // A revision must change something; a change is versioned.
    let empty = officer.patch(&path, &json!({})).await;
    assert_eq!(empty.status, 422, "{:?}", empty.body);
    let same = officer.patch(&path, &json!({"title": "Drone over terminal"})).await;
    assert_eq!(same.status, 422, "{:?}", same.body);
    let revised = officer.patch(&path, &json!({"severity": "critical"})).await;
    assert_eq!((revised.status, &revised.body["severity"]), (200, &json!("critical")), "{:?}", revised.body);

    // The records are a function of the log: a rebuild gives the same incident.
    let before = officer.get(&path).await.body;
    let mut node = node;
    node.terminate();
    let rebuilt = node.cli(&["rebuild"]);
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    let verified = node.cli(&["verify"]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stdout));
    node.serve();
    let after = Client::new(&node, Some(&r.mpa_officer)).get(&path).await.body;
    assert_eq!(before, after);
}

async fn incident_filters_and_paging_see_only_what_is_released(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    // Interleaved: every third incident is for the own organization only (hidden from Klang).
    let mut visible_to_klang = Vec::new();
    for i in 0..30 {
        let (category, severity) = [("stowaway", "low"), ("smuggling", "high"), ("cyber_incident", "critical")][i % 3];
        let scope = if i % 3 == 2 {
            json!({"kind": "organization"})
        } else {
            json!({"kind": "community", "community": "straits-psg"})
        };
        let mut body = incident(&format!("incident {i}"), category, severity, "AMBER", scope);
        body["occurred_at"] = json!(format!("2026-11-{:02}T08:00:00Z", i % 28 + 1));
        body["location"] = json!({"lat": 1.0 + i as f64 * 0.1, "lon": 103.5});
        body["vessels"] = json!([{"mmsi": 563000000 + i as u64}]);
        let made = officer.post("/api/v1/incidents", &body).await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        if i % 3 != 2 {
            visible_to_klang.push(id(&made.body));
        }
    }
    let klang = Client::new(&node, Some(&r.klang_operator));
    // Newest first, pages of 7, complete, no duplicates, none hidden.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = klang.get(&format!("/api/v1/incidents?limit=7{after}")).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        seen.extend(ids(&page.body));
        match page.body["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    let mut expected = visible_to_klang.clone();
    expected.reverse();
    assert_eq!(seen, expected);

    let count = |query: &'static str| {
        let klang = &klang;
        async move {
            let page = klang.get(&format!("/api/v1/incidents?limit=500&{query}")).await;
            assert_eq!(page.status, 200, "{query}: {:?}", page.body);
            ids(&page.body).len()
        }
    };
    assert_eq!(count("category=stowaway").await, 10);
    assert_eq!(count("category=stowaway,smuggling").await, 20);
    assert_eq!(count("category=cyber_incident").await, 0, "all cyber incidents are hidden from Klang");
    assert_eq!(count("severity=high").await, 10);
    assert_eq!(count("status=reported").await, 20);
    assert_eq!(count("status=closed").await, 0);
    assert_eq!(count("mmsi=563000004").await, 1);
    assert_eq!(count("mmsi=563000005").await, 0, "hidden from Klang");
    // Latitudes 1.0 to 3.9 by 0.1: 1.95 to 2.55 holds i = 10..=15 (11 and 14 are hidden: i % 3 == 2).
    assert_eq!(count("bbox=1.95,103,2.55,104").await, 4);
    assert_eq!(count("since=2026-11-28T00:00:00Z").await, 1, "day 28 is i = 27 only (i = 27 % 3 == 0)");
    assert_eq!(count("until=2026-11-02T23:00:00Z").await, 3, "days 1-2: i = 0, 1, 28, 29 less the hidden 29");

    for (query, field) in [
        ("category=piracy", "category"),
        ("status=open", "status"),
        ("severity=severe", "severity"),
        ("since=yesterday", "since"),
        ("bbox=1,2,3", "bbox"),
        ("limit=0", "limit"),
    ] {
        let reply = klang.get(&format!("/api/v1/incidents?{query}")).await;
        assert_eq!(reply.status, 400, "{query}: {:?}", reply.body);
        assert!(reply.body.to_string().contains(field), "{query}: {:?}", reply.body);
    }
}

async fn bad_incidents_are_refused_and_nothing_is_written(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let admin = Client::new(&node, Some(&r.mpa_admin));
    let events_before = event_count(&admin).await;
    let good = incident("ok", "stowaway", "high", "GREEN", json!({"kind": "nation"}));
    let with = |pointer: &str, value: Value| {
        let mut body = good.clone();
        match body.pointer_mut(pointer) {
            Some(slot) => *slot = value,
            None => body[&pointer[1..]] = value,
        }
        body
    };
    let mut without_location = good.clone();
    without_location["location"] = json!({});
    let future = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string();
    let cases = [
        (with("/category", json!("piracy")), "/category"),
        (with("/severity", json!("severe")), "/severity"),
        (with("/title", json!("   ")), "/title"),
        (with("/title", json!("a\u{202e}b")), "/title"),
        (with("/occurred_at", json!(future)), "/occurred_at"),
        (with("/occurred_at", json!("last tuesday")), "/occurred_at"),
        (with("/location/lat", json!(95.0)), "/location"),
        (without_location, "/location"),
        (with("/vessels", json!([{"mmsi": 12}])), "/vessels/0/mmsi"),
        (with("/vessels", json!([{"imo": 9074728}])), "/vessels/0/imo"),
        (with("/vessels", json!([{}])), "/vessels/0"),
        (
            with(
                "/releasability",
                json!({"tlp": "AMBER", "scope": {"kind": "organizations", "organizations": [uuid::Uuid::now_v7()]}}),
            ),
            "/releasability/scope/organizations",
        ),
        (with("/status", json!("closed")), "/status"),
    ];
    for (body, field) in cases {
        let reply = officer.post("/api/v1/incidents", &body).await;
        assert_eq!(reply.status, 422, "{field}: {:?}", reply.body);
        assert_eq!(reply.content_type, "application/problem+json");
        assert_eq!(reply.body["field"], field, "{:?}", reply.body);
    }
    assert_eq!(event_count(&admin).await, events_before, "a refused incident wrote an event");
    assert!(ids(&officer.get("/api/v1/incidents").await.body).is_empty());
}

/// Feeds a report of an invalid MMSI (open sea) and returns the alert it raises.
async fn invalid_mmsi_alert(officer: &Client, mmsi: u32) -> Value {
    let mut text = String::new();
    for line in to_sentences(&position(mmsi, 5.0, 95.0, 10.0), &SentenceOptions::default()) {
        text.push_str(&line);
        text.push_str("\r\n");
    }
    let fed =
        officer.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", text.into_bytes()))).await;
    assert_eq!(fed.status, 200, "{:?}", fed.body);
    for _ in 0..100 {
        let alerts = officer.get(&format!("/api/v1/alerts?mmsi={mmsi}")).await;
        if let Some(alert) = alerts.body["items"].as_array().and_then(|a| a.first()) {
            return alert.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no alert for MMSI {mmsi}");
}

async fn alerts_escalate_into_incidents(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let klang = Client::new(&node, Some(&r.klang_operator));
    let first = invalid_mmsi_alert(&officer, 100_000_001).await;
    let first_id = id(&first);
    // The alert is the node's own (MPA, own organization only): Klang cannot see it.
    assert_eq!(klang.get(&format!("/api/v1/alerts/{first_id}")).await.status, 404);

    // Into a new incident, released wider than the alert (to the community).
    let escalated = officer
        .post(
            &format!("/api/v1/alerts/{first_id}/escalate"),
            &json!({"note": "to the duty officer", "new_incident": {"category": "suspicious_vessel", "severity": "medium",
                "releasability": {"tlp": "AMBER", "scope": {"kind": "community", "community": "straits-psg"}}}}),
        )
        .await;
    assert_eq!(escalated.status, 200, "{:?}", escalated.body);
    assert_eq!(escalated.body["status"], "escalated");
    let incident_id =
        escalated.body["handling"][0]["incident"].as_str().unwrap_or_else(|| panic!("{:?}", escalated.body)).to_owned();
    let made = officer.get(&format!("/api/v1/incidents/{incident_id}")).await;
    assert_eq!(made.status, 200);
    assert_eq!(made.body["alerts"], json!([first_id]));
    assert_eq!((made.body["location"]["lat"].as_f64(), made.body["location"]["lon"].as_f64()), (Some(5.0), Some(95.0)));
    assert!(made.body["title"].as_str().is_some_and(|t| t.contains("100000001")), "{:?}", made.body);
    // Klang sees the incident (community), but not the alert it names, anywhere.
    let seen = klang.get(&format!("/api/v1/incidents/{incident_id}")).await;
    assert_eq!(seen.status, 200, "{:?}", seen.body);
    assert_eq!(seen.body["alerts"], json!([]));
    let timeline = klang.get(&format!("/api/v1/incidents/{incident_id}/timeline")).await;
    assert!(!timeline.body.to_string().contains(&first_id), "the timeline names a hidden alert: {:?}", timeline.body);
    let listed = klang.get("/api/v1/incidents").await;
    assert!(!listed.body.to_string().contains(&first_id), "the listing names a hidden alert");

    // Attached to an existing incident; both commit or neither.
    let second = invalid_mmsi_alert(&officer, 100_000_002).await;
    let second_id = id(&second);
    let attach = |alert: String, body: Value| {
        let officer = &officer;
        async move { officer.post(&format!("/api/v1/alerts/{alert}/escalate"), &body).await }
    };
    let both = attach(
        second_id.clone(),
        json!({"note": "n", "incident": incident_id, "new_incident": {"category": "other", "severity": "low"}}),
    )
    .await;
    assert_eq!((both.status, &both.body["field"]), (422, &json!("/new_incident")), "{:?}", both.body);
    let unknown = attach(second_id.clone(), json!({"note": "n", "incident": uuid::Uuid::now_v7()})).await;
    assert_eq!((unknown.status, &unknown.body["field"]), (422, &json!("/incident")), "{:?}", unknown.body);
    assert_eq!(officer.get(&format!("/api/v1/alerts/{second_id}")).await.body["status"], "new", "nothing written");
    // An incident of another organization cannot take MPA's alert.
    let theirs = klang
        .post(
            "/api/v1/incidents",
            &incident("Klang's", "smuggling", "low", "AMBER", json!({"kind": "community", "community": "straits-psg"})),
        )
        .await;
    assert_eq!(theirs.status, 201);
    let foreign = attach(second_id.clone(), json!({"note": "n", "incident": id(&theirs.body)})).await;
    assert_eq!(foreign.status, 403, "{:?}", foreign.body);
    let attached = attach(second_id.clone(), json!({"note": "same boat", "incident": incident_id})).await;
    assert_eq!(attached.status, 200, "{:?}", attached.body);
    let now = officer.get(&format!("/api/v1/incidents/{incident_id}")).await;
    assert_eq!(now.body["alerts"], json!([first_id, second_id]));
    let ops: Vec<String> = officer
        .get(&format!("/api/v1/incidents/{incident_id}/timeline"))
        .await
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["change"]["op"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ops, ["reported", "alert_attached"]);
    // An escalated alert is final.
    let again = attach(first_id.clone(), json!({"note": "again", "incident": incident_id})).await;
    assert_eq!(again.status, 409, "{:?}", again.body);
}

/// Rebuilds a sealed event from the evidence export and checks its hash and signature.
fn evidence_holds(event: &Value, key: &hl_events::PublicKey) -> bool {
    fn field<T: serde::de::DeserializeOwned>(event: &Value, name: &str) -> T {
        serde_json::from_value(event[name].clone()).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
    let fixed = |name: &str| -> Vec<u8> { hex::decode(event[name].as_str().unwrap_or_default()).unwrap_or_default() };
    let e = hl_events::Event {
        id: field(event, "id"),
        origin: field(event, "origin"),
        seq: field(event, "seq"),
        author_org: field(event, "author_organization"),
        author_user: field(event, "author_user"),
        recorded_at_us: field(event, "recorded_at_us"),
        record_type: field(event, "record_type"),
        record_id: field(event, "record_id"),
        releasability: field(event, "releasability"),
        payload: field(event, "payload"),
        prev_hash: fixed("prev_hash").try_into().unwrap_or([0; 32]),
        hash: fixed("hash").try_into().unwrap_or([0; 32]),
        signature: fixed("signature").try_into().unwrap_or([0; 64]),
    };
    e.computed_hash() == e.hash && key.verifies(&e.canonical_bytes(), &e.signature)
}

async fn the_operator_lists_shows_and_exports_incidents(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let klang = Client::new(&node, Some(&r.klang_operator));
    let own = officer
        .post("/api/v1/incidents", &incident("ours", "stowaway", "high", "AMBER", json!({"kind": "organization"})))
        .await;
    let theirs = klang
        .post("/api/v1/incidents", &incident("theirs", "smuggling", "low", "AMBER", json!({"kind": "organization"})))
        .await;
    assert_eq!((own.status, theirs.status), (201, 201));
    let own_id = id(&own.body);
    assert_eq!(
        officer.post(&format!("/api/v1/incidents/{own_id}/comments"), &json!({"text": "Police on site."})).await.status,
        201
    );

    // The operator reads every incident, whoever it is released to, as the API shapes it.
    let listed = node.cli(&["incident", "list"]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let lines: Vec<Value> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect();
    assert_eq!(lines.iter().map(id).collect::<Vec<_>>(), [id(&theirs.body), own_id.clone()], "newest first");
    let filtered = node.cli(&["incident", "list", "--category", "stowaway", "--severity", "medium"]);
    assert_eq!(String::from_utf8_lossy(&filtered.stdout).lines().count(), 1);
    let bad = node.cli(&["incident", "list", "--category", "piracy"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("--category"));

    let shown = node.cli_json(&["incident", "show", &own_id]);
    assert_eq!(shown["incident"]["comments"][0]["text"], "Police on site.");
    assert_eq!(shown["timeline"].as_array().map(Vec::len), Some(2));
    let missing = node.cli(&["incident", "show", &uuid::Uuid::now_v7().to_string()]);
    assert!(!missing.status.success() && String::from_utf8_lossy(&missing.stderr).contains("no incident"));

    // The export is evidence: every event verifies with the node's key, and a changed one fails.
    let export = node.cli_json(&["incident", "export", &own_id]);
    let key = hl_events::PublicKey::from_hex(export["node"]["public_key"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let events = export["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| evidence_holds(e, &key)), "{events:?}");
    let mut forged = events[1].clone();
    forged["payload"] = json!(forged["payload"].as_str().unwrap_or_default().replace("Police", "Nobody"));
    assert!(!evidence_holds(&forged, &key), "a changed comment still verifies");
}

fn names(reply: &Value) -> Vec<String> {
    let mut names: Vec<String> =
        reply.as_array().into_iter().flatten().filter_map(|o| o["name"].as_str().map(str::to_owned)).collect();
    names.sort();
    names
}

async fn owners_see_the_audience_and_who_read_their_incidents(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let viewer = Client::new(&node, Some(&r.mpa_viewer));
    let admin = Client::new(&node, Some(&r.mpa_admin));
    let klang = Client::new(&node, Some(&r.klang_operator));
    let navy = Client::new(&node, Some(&r.navy_fr_admin));
    let community = json!({"kind": "community", "community": "straits-psg"});
    let amber =
        officer.post("/api/v1/incidents", &incident("amber", "stowaway", "high", "AMBER", community.clone())).await;
    let clear = officer
        .post("/api/v1/incidents", &incident("clear", "other", "low", "CLEAR", json!({"kind": "all_partners"})))
        .await;
    let (amber, clear) = (id(&amber.body), id(&clear.body));

    // Who can see it: exactly the community's members, to the owner's users only.
    let audience = viewer.get(&format!("/api/v1/incidents/{amber}/audience")).await;
    assert_eq!(audience.status, 200, "{:?}", audience.body);
    assert_eq!(names(&audience.body), ["MPA Singapore", "Port Klang Authority"]);
    assert_eq!(klang.get(&format!("/api/v1/incidents/{amber}/audience")).await.status, 403, "a recipient");
    let hidden = navy.get(&format!("/api/v1/incidents/{amber}/audience")).await;
    let missing = navy.get(&format!("/api/v1/incidents/{}/audience", uuid::Uuid::now_v7())).await;
    assert_eq!((hidden.status, &hidden.body), (404, &missing.body), "not even the record's existence");
    // The preview before saving, by the one rule.
    let preview = |rel: Value| {
        let officer = &officer;
        async move { officer.post("/api/v1/releasability/audience", &json!({"releasability": rel})).await }
    };
    let nation = preview(json!({"tlp": "GREEN", "scope": {"kind": "nation"}})).await;
    assert_eq!(names(&nation.body), ["MPA Singapore", "Police Coast Guard SG"]);
    let red =
        preview(json!({"tlp": "RED", "scope": {"kind": "organizations", "organizations": [id(&r.navy_fr)]}})).await;
    assert_eq!(names(&red.body), ["MPA Singapore", "Marine nationale FFSA"]);
    let everyone = preview(json!({"tlp": "CLEAR", "scope": {"kind": "all_partners"}})).await;
    assert_eq!(names(&everyone.body).len(), 4);
    let unknown =
        preview(json!({"tlp": "AMBER", "scope": {"kind": "organizations", "organizations": [uuid::Uuid::now_v7()]}}))
            .await;
    assert_eq!((unknown.status, &unknown.body["field"]), (422, &json!("/releasability/scope/organizations")));

    // Who did see it: every read of an AMBER incident (detail, timeline), none of a CLEAR one,
    // to the owner's administrators only.
    assert_eq!(klang.get(&format!("/api/v1/incidents/{amber}")).await.status, 200);
    assert_eq!(klang.get(&format!("/api/v1/incidents/{amber}/timeline")).await.status, 200);
    assert_eq!(navy.get(&format!("/api/v1/incidents/{clear}")).await.status, 200);
    let klang_me = klang.get("/api/v1/me").await.body;
    let reads = admin.get(&format!("/api/v1/incidents/{amber}/reads")).await;
    assert_eq!(reads.status, 200, "{:?}", reads.body);
    let klang_reads: Vec<&str> = reads.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|read| read["organization"] == klang_me["organization"]["id"] && read["user"] == klang_me["user"]["id"])
        .filter_map(|read| read["what"].as_str())
        .collect();
    assert_eq!(klang_reads, ["detail", "timeline"], "{:?}", reads.body);
    let none = admin.get(&format!("/api/v1/incidents/{clear}/reads")).await;
    assert_eq!(none.body["items"], json!([]), "a CLEAR read is not audited");
    assert_eq!(officer.get(&format!("/api/v1/incidents/{amber}/reads")).await.status, 403, "not an administrator");
    assert_eq!(klang.get(&format!("/api/v1/incidents/{amber}/reads")).await.status, 403, "a recipient");
    // The operator's export is audited too.
    let export = node.cli(&["incident", "export", &amber]);
    assert!(export.status.success());
    let reads = admin.get(&format!("/api/v1/incidents/{amber}/reads")).await;
    let last = reads.body["items"].as_array().and_then(|items| items.last()).cloned().unwrap_or_default();
    assert_eq!((&last["what"], &last["organization"]), (&json!("export"), &Value::Null), "{:?}", reads.body);
}

async fn evidence_is_stored_by_hash_and_checked(backend: Backend) {
    use sha2::Digest;
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let admin = Client::new(&node, Some(&r.mpa_admin));
    let klang = Client::new(&node, Some(&r.klang_operator));
    let navy = Client::new(&node, Some(&r.navy_fr_admin));
    let made = officer
        .post(
            "/api/v1/incidents",
            &incident(
                "evidence",
                "smuggling",
                "high",
                "AMBER",
                json!({"kind": "community", "community": "straits-psg"}),
            ),
        )
        .await;
    let incident_id = id(&made.body);
    let path = format!("/api/v1/incidents/{incident_id}/attachments");
    let upload = |client: &Client, name: &str, content_type: &str, bytes: Vec<u8>| {
        let url = format!("{path}?name={name}");
        let client = client.clone();
        let content_type = content_type.to_owned();
        async move { client.send(reqwest::Method::POST, &url, Some((&content_type, bytes))).await }
    };

    // A PNG sent as "text/plain" named ".exe" is a PNG: the content decides.
    let png: Vec<u8> = [b"\x89PNG\r\n\x1a\n".as_slice(), &[7u8; 4096]].concat();
    let sha256 = hex::encode(sha2::Sha256::digest(&png));
    let added = upload(&officer, "photo.exe", "text/plain", png.clone()).await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    assert_eq!(
        (&added.body["media_type"], &added.body["sha256"], &added.body["size"]),
        (&json!("image/png"), &json!(sha256), &json!(4104))
    );
    // The hash is part of the signed event.
    let timeline = officer.get(&format!("/api/v1/incidents/{incident_id}/timeline")).await.body;
    assert_eq!(timeline[1]["change"]["op"], "attachment_added");
    assert_eq!(timeline[1]["change"]["sha256"], json!(sha256));
    let nmea = b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\r\n".to_vec();
    assert_eq!(upload(&officer, "track.nmea", "image/png", nmea).await.body["media_type"], "text/x-nmea");
    // Larger than the JSON body limit (1 MiB), within the attachment limit (25 MiB).
    let log = "Patrol log line.\n".repeat(200_000).into_bytes();
    let big = upload(&officer, "log.txt", "application/octet-stream", log).await;
    assert_eq!((big.status, &big.body["media_type"]), (201, &json!("text/plain")), "{:?}", big.body);

    // Downloads: the same bytes, the recorded type, never sniffed by a browser; the recipient
    // may, others see nothing.
    for client in [&officer, &klang] {
        let got = client.http_get_bytes(&format!("{path}/{sha256}")).await;
        assert_eq!(got.0, 200);
        assert_eq!(hex::encode(sha2::Sha256::digest(&got.2)), sha256, "the download's hash is the event's");
        assert_eq!(got.1.get("content-type").map(String::as_str), Some("image/png"));
        assert_eq!(got.1.get("x-content-type-options").map(String::as_str), Some("nosniff"));
    }
    assert_eq!(navy.get(&format!("{path}/{sha256}")).await.status, 404);
    assert_eq!(officer.get(&format!("{path}/{}", "0".repeat(64))).await.status, 404, "not attached here");
    let audit = admin.get(&format!("/api/v1/incidents/{incident_id}/reads")).await.body.to_string();
    assert!(audit.contains("\"attachment\""), "the download is audited: {audit}");

    // Refused, with nothing written: a recipient, a disallowed type, too large, a duplicate.
    let events_before = event_count(&admin).await;
    assert_eq!(upload(&klang, "x.png", "image/png", png.clone()).await.status, 403);
    let elf = upload(&officer, "x.png", "image/png", b"\x7fELF\x02\x01\x01\0\0\0".to_vec()).await;
    assert_eq!((elf.status, elf.content_type.as_str()), (415, "application/problem+json"), "{:?}", elf.body);
    let huge = upload(&officer, "big.txt", "text/plain", vec![b'a'; 25 * 1024 * 1024 + 1]).await;
    assert_eq!((huge.status, huge.content_type.as_str()), (413, "application/problem+json"), "{:?}", huge.body);
    assert_eq!(upload(&officer, "again.png", "image/png", png.clone()).await.status, 409);
    assert_eq!(upload(&officer, "empty", "text/plain", Vec::new()).await.status, 422);
    assert_eq!(event_count(&admin).await, events_before);
    assert_eq!(officer.get(&path).await.body.as_array().map(Vec::len), Some(3));

    // A blob changed in the database: never served, and `verify` reports it.
    let forged = match backend {
        Backend::Sqlite => format!("UPDATE attachments SET content = X'89504E470D0A1A0A00' WHERE sha256 = '{sha256}'"),
        Backend::Postgres => {
            format!("UPDATE attachments SET content = '\\x89504e470d0a1a0a00'::bytea WHERE sha256 = '{sha256}'")
        }
    };
    assert_eq!(node.execute_sql(&forged).await, 1);
    assert_eq!(officer.get(&format!("{path}/{sha256}")).await.status, 500);
    let verified = node.cli(&["verify"]);
    let report = String::from_utf8_lossy(&verified.stdout);
    assert!(!verified.status.success() && report.contains(&format!("ATTACHMENT BROKEN: {sha256}")), "{report}");
}

async fn incident_changes_reach_exactly_their_audience_on_the_stream(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let mut klang = crate::live::sse(&node, &r.klang_operator, "?vessels=false&alerts=false").await;
    let mut navy = crate::live::sse(&node, &r.navy_fr_admin, "?vessels=false&alerts=false").await;
    let community = json!({"kind": "community", "community": "straits-psg"});
    let create = |title: &str, tlp: &str, scope: Value| {
        let body = incident(title, "stowaway", "high", tlp, scope);
        let officer = &officer;
        async move {
            let reply = officer.post("/api/v1/incidents", &body).await;
            assert_eq!(reply.status, 201, "{:?}", reply.body);
            id(&reply.body)
        }
    };
    let shared = create("shared", "AMBER", community.clone()).await;
    let hidden = create("hidden", "AMBER+STRICT", json!({"kind": "organization"})).await;
    // Narrowed: the narrowing itself and every later change stop reaching Klang.
    let narrowed = officer
        .patch(
            &format!("/api/v1/incidents/{shared}"),
            &json!({"releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}}}),
        )
        .await;
    assert_eq!(narrowed.status, 200);
    assert_eq!(
        officer.post(&format!("/api/v1/incidents/{shared}/comments"), &json!({"text": "internal"})).await.status,
        201
    );
    let public = create("public", "CLEAR", json!({"kind": "all_partners"})).await;

    let until_public = |events: &[(String, Value)]| events.iter().any(|(_, e)| e["incident"] == json!(public));
    let seen = klang.collect_until(Duration::from_secs(10), until_public).await;
    let got: Vec<(String, String)> = seen
        .iter()
        .filter(|(name, _)| name == "incident")
        .map(|(_, e)| (e["incident"].as_str().unwrap_or("").to_owned(), e["op"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(got, [(shared.clone(), "reported".to_owned()), (public.clone(), "reported".to_owned())], "{seen:?}");
    assert!(!seen.iter().any(|(_, e)| e["incident"] == json!(hidden)));
    let seen = navy.collect_until(Duration::from_secs(10), until_public).await;
    let got: Vec<&Value> = seen.iter().filter(|(name, _)| name == "incident").map(|(_, e)| &e["incident"]).collect();
    assert_eq!(got, [&json!(public)], "{seen:?}");
}

on_both_backends!(
    incidents_are_released_as_their_owner_chooses,
    incident_handling_follows_its_rules,
    incident_filters_and_paging_see_only_what_is_released,
    bad_incidents_are_refused_and_nothing_is_written,
    alerts_escalate_into_incidents,
    the_operator_lists_shows_and_exports_incidents,
    owners_see_the_audience_and_who_read_their_incidents,
    evidence_is_stored_by_hash_and_checked,
    incident_changes_reach_exactly_their_audience_on_the_stream,
);

//! Regression tests for the defects an adversarial review found (issue 8), one per defect,
//! named after what must hold.

use serde_json::{Value, json};

use crate::live::{alerts_of, live_node, nmea, wait_for};
use crate::on_both_backends;
use crate::support::{Backend, Client, Region, TestNode, id, position};

const RED_REASON: &str = "informant says smuggling";

async fn post_nmea(client: &Client, text: String) {
    let reply =
        client.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", text.into_bytes()))).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

/// Every watch-list entry naming a vessel raises its own alert for its own owner, with its own
/// releasability; a repeat (also after a restart, within the cool-down) merges only into the
/// alert of the same entry, so one organization's TLP:RED reason never reaches another's
/// audience through `/alerts` or `/events`.
async fn watch_list_entries_of_two_owners_never_merge_or_silence_each_other(backend: Backend) {
    let Some((mut node, region)) = live_node(backend, "").await else { return };
    const MMSI: u64 = 563_000_777;
    let mpa = Client::new(&node, Some(&region.mpa_officer));
    let navy = Client::new(&node, Some(&region.navy_fr_admin));
    let navy_id = id(&region.navy_fr);
    let amber = mpa
        .post(
            "/api/v1/watchlist",
            &json!({"mmsi": MMSI, "reason": "sanctions list",
                "releasability": {"tlp": "AMBER", "scope": {"kind": "community", "community": "straits-psg"}}}),
        )
        .await;
    assert_eq!(amber.status, 201, "{:?}", amber.body);
    let red = navy
        .post(
            "/api/v1/watchlist",
            &json!({"mmsi": MMSI, "reason": RED_REASON,
                "releasability": {"tlp": "RED", "scope": {"kind": "organizations", "organizations": [navy_id]}}}),
        )
        .await;
    assert_eq!(red.status, 201, "{:?}", red.body);

    let report = |lat: f64| nmea(&[position(MMSI as u32, lat, 103.95, 10.0)]);
    post_nmea(&Client::new(&node, Some(&region.mpa_operator)), report(1.30)).await;
    let hits =
        async |client: &Client| alerts_of(&client.get("/api/v1/alerts?kind=watchlist_hit").await.body, "watchlist_hit");
    wait_for("a hit for each entry", async || hits(&mpa).await.len() == 1 && hits(&navy).await.len() == 1).await;
    let navy_hit = hits(&navy).await.remove(0);
    let mpa_hit = hits(&mpa).await.remove(0);
    assert_ne!(navy_hit["id"], mpa_hit["id"]);
    assert!(navy_hit["detail"].as_str().unwrap_or_default().contains(RED_REASON), "{navy_hit}");
    assert!(mpa_hit["detail"].as_str().unwrap_or_default().contains("sanctions list"), "{mpa_hit}");
    assert_eq!(navy_hit["releasability"]["tlp"], "RED");

    // Restart within the cool-down; the next report repeats both hits.
    node.terminate();
    node.serve();
    let mpa = Client::new(&node, Some(&region.mpa_officer));
    let navy = Client::new(&node, Some(&region.navy_fr_admin));
    let klang = Client::new(&node, Some(&region.klang_operator));
    post_nmea(&Client::new(&node, Some(&region.mpa_operator)), report(1.31)).await;
    let occurrences = |alert: &Value| alert["occurrences"].as_u64().unwrap_or(0);
    wait_for("both repeats recorded", async || {
        let (m, n) = (hits(&mpa).await, hits(&navy).await);
        m.len() == 1 && n.len() == 1 && occurrences(&m[0]) == 2 && occurrences(&n[0]) == 2
    })
    .await;
    assert_eq!(hits(&mpa).await[0]["id"], mpa_hit["id"], "merged into its own alert");
    assert_eq!(hits(&navy).await[0]["id"], navy_hit["id"], "merged into its own alert");
    for (who, client) in [("MPA", &mpa), ("Klang", &klang)] {
        let alerts = client.get("/api/v1/alerts?limit=500").await.body.to_string();
        let events = client.get("/api/v1/events?limit=500").await.body.to_string();
        assert!(!alerts.contains(RED_REASON) && !events.contains(RED_REASON), "{who} sees the RED reason");
    }
    assert_eq!(hits(&klang).await.len(), 1, "the community sees MPA's hit");
}

/// A watch-list entry acknowledged to its author is in force for the very next report: ten
/// times over, each new entry's vessel is reported over the TCP feed right after the 201 and
/// must be hit.
async fn a_watch_list_entry_is_in_force_for_the_next_report(backend: Backend) {
    use std::io::Write;
    let Some((node, region)) = live_node(backend, "").await else { return };
    let officer = Client::new(&node, Some(&region.mpa_officer));
    let push = crate::live::feed_address(&officer, "push").await;
    let mut tcp = std::net::TcpStream::connect(&push).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..10u32 {
        let mmsi = 563_100_000 + i;
        let entry = officer
            .post(
                "/api/v1/watchlist",
                &json!({"mmsi": mmsi, "reason": format!("try {i}"),
                    "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}}}),
            )
            .await;
        assert_eq!(entry.status, 201, "{:?}", entry.body);
        tcp.write_all(nmea(&[position(mmsi, 1.30, 103.95, 10.0)]).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    }
    let hits =
        async || alerts_of(&officer.get("/api/v1/alerts?kind=watchlist_hit&limit=500").await.body, "watchlist_hit");
    wait_for("the ten vessels in the picture", async || {
        officer.get("/api/v1/vessels").await.body["total_in_picture"].as_u64() == Some(10)
    })
    .await;
    let mut seen = Vec::new();
    for _ in 0..30 {
        seen = hits().await.iter().filter_map(|a| a["mmsi"].as_u64()).collect();
        if seen.len() == 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    seen.sort_unstable();
    assert_eq!(seen.len(), 10, "vessels reported right after their entry was acknowledged, hit: {seen:?}");
}

/// Rows hidden from the caller in front of a visible one.
const HIDDEN_ROWS: usize = 50_500;

/// Puts `count` advisories and `count` alerts owned by `org` and released to it alone straight
/// into the projections and the visibility index (publishing them one by one through the API
/// would take minutes in a debug build; the write path's indexing is covered by the other
/// tests). Their ids sort before any id the node generates.
async fn seed_hidden(node: &TestNode, org: &str, count: usize) {
    let rel = r#"{"tlp":"AMBER+STRICT","scope":{"kind":"organization"}}"#;
    let id = if node.pg.is_some() {
        "'00000000-0000-7000-8000-' || lpad(i::text, 12, '0')"
    } else {
        "'00000000-0000-7000-8000-' || printf('%012d', i)"
    };
    let numbers = format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})");
    let statements = [
        format!(
            "{numbers} INSERT INTO advisories (id, owner_org, title, body, severity, releasability, published_at_us, \
             revised_at_us, revision) SELECT {id}, '{org}', 'internal', '', 'low', '{rel}', 1, 1, 1 FROM n"
        ),
        format!(
            "{numbers} INSERT INTO alerts (id, owner_org, kind, severity, status, mmsi, start_s, end_s, lat, lon, detail, \
             evidence, occurrences, releasability, raised_at_us, updated_at_us) SELECT {id}, '{org}', 'ais_gap', 'low', \
             'new', 563000001, 1, 1, 1.0, 103.0, 'internal', '[]', 1, '{rel}', 1, 1 FROM n"
        ),
        format!(
            "{numbers} INSERT INTO record_audiences (list, audience, record_id) SELECT 'advisory', 'org:{org}', {id} FROM n"
        ),
        format!(
            "{numbers} INSERT INTO record_audiences (list, audience, record_id) SELECT 'alert', 'org:{org}', {id} FROM n"
        ),
    ];
    for statement in statements {
        assert_eq!(node.execute_sql(&statement).await, count as u64, "{statement}");
    }
}

/// Every id a listing yields, following `next` to the end; also the number of pages.
async fn every_id(client: &Client, path: &str, limit: u32) -> (Vec<String>, usize) {
    let (mut ids, mut pages, mut after) = (Vec::new(), 0, None::<String>);
    loop {
        let cursor = after.as_deref().map(|a| format!("&after={a}")).unwrap_or_default();
        let separator = if path.contains('?') { '&' } else { '?' };
        let reply = client.get(&format!("{path}{separator}limit={limit}{cursor}")).await;
        assert_eq!(reply.status, 200, "{path}: {:?}", reply.body);
        pages += 1;
        ids.extend(reply.body["items"].as_array().into_iter().flatten().map(id));
        match reply.body["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return (ids, pages),
        }
        assert!(pages < 10_000, "{path} never ends");
    }
}

/// Lists stay complete at any volume: behind 50,500 advisories and 50,500 alerts of one
/// organization that no one else may see, another organization's public advisory and a third's
/// own alert are on that third's first page, and the owner still pages through all of its own.
async fn lists_never_drop_visible_records_behind_hidden_ones(backend: Backend) {
    let Some((node, r)) = live_node(backend, "").await else { return };
    seed_hidden(&node, &id(&r.mpa), HIDDEN_ROWS).await;
    let klang = Client::new(&node, Some(&r.klang_operator));
    let public = klang
        .post(
            "/api/v1/advisories",
            &json!({"title": "public", "severity": "low",
            "releasability": {"tlp": "CLEAR", "scope": {"kind": "all_partners"}}}),
        )
        .await;
    assert_eq!(public.status, 201);
    let public_id = id(&public.body);
    let navy = Client::new(&node, Some(&r.navy_fr_admin));
    let entry = navy
        .post(
            "/api/v1/watchlist",
            &json!({"mmsi": 563000888, "reason": "ours",
            "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}}}),
        )
        .await;
    assert_eq!(entry.status, 201, "{:?}", entry.body);
    post_nmea(&Client::new(&node, Some(&r.mpa_operator)), nmea(&[position(563_000_888, 1.3, 103.9, 9.0)])).await;
    wait_for("navy's hit", async || {
        !navy.get("/api/v1/alerts").await.body["items"].as_array().is_none_or(Vec::is_empty)
    })
    .await;

    let (advisories, pages) = every_id(&navy, "/api/v1/advisories", 100).await;
    assert_eq!((advisories, pages), (vec![public_id.clone()], 1));
    let (alerts, pages) = every_id(&navy, "/api/v1/alerts", 100).await;
    assert_eq!((alerts.len(), pages), (1, 1));
    let events = navy.get("/api/v1/events?limit=500").await;
    let payloads: Vec<&Value> = events.body["items"].as_array().into_iter().flatten().collect();
    assert!(payloads.iter().any(|e| e["record_id"] == public_id.as_str()), "the public advisory's event is listed");
    // The owner sees its own, all of them, page after page.
    let mpa = Client::new(&node, Some(&r.mpa_officer));
    let seeded = |ids: Vec<String>| ids.iter().filter(|i| i.starts_with("00000000-0000-7000-8000-")).count();
    assert_eq!(seeded(every_id(&mpa, "/api/v1/advisories", 500).await.0), HIDDEN_ROWS);
    assert_eq!(seeded(every_id(&mpa, "/api/v1/alerts?kind=ais_gap", 500).await.0), HIDDEN_ROWS);
}

/// `/events` tells a caller nothing about events it may not see: no positions, sequence
/// numbers or hashes (which would count and fingerprint hidden neighbours), and a cursor naming
/// a hidden event is refused like an unknown one. The node's administrators (the host
/// organization's) read the whole chain.
async fn the_event_log_reveals_no_hidden_neighbours(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let mpa = Client::new(&node, Some(&r.mpa_officer));
    let hidden = mpa
        .post(
            "/api/v1/advisories",
            &json!({"title": "internal", "severity": "low",
            "releasability": {"tlp": "AMBER+STRICT", "scope": {"kind": "organization"}}}),
        )
        .await;
    assert_eq!(hidden.status, 201);
    let navy = Client::new(&node, Some(&r.navy_fr_admin));
    let visible = navy.get("/api/v1/events?limit=500").await;
    assert_eq!(visible.status, 200);
    let items = visible.body["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty());
    for event in &items {
        for field in ["position", "seq", "prev_hash", "hash", "signature"] {
            assert!(event.get(field).is_none(), "`{field}` shown to a non-administrator: {event}");
        }
    }
    let one = navy.get(&format!("/api/v1/events/{}", id(&items[0]))).await;
    assert!(one.status == 200 && one.body.get("hash").is_none(), "{:?}", one.body);
    // The hidden advisory's event, as a cursor: refused exactly like an unknown id.
    let admin = Client::new(&node, Some(&r.mpa_admin));
    let full = admin.get("/api/v1/events?limit=500").await.body["items"].as_array().cloned().unwrap_or_default();
    let hidden_event = full.iter().find(|e| e["record_id"] == hidden.body["id"]).map(id).unwrap_or_default();
    let by_hidden = navy.get(&format!("/api/v1/events?after={hidden_event}")).await;
    let by_unknown = navy.get(&format!("/api/v1/events?after={}", uuid::Uuid::now_v7())).await;
    assert_eq!((by_hidden.status, &by_hidden.body), (404, &by_unknown.body));
    // The host organization's administrator sees every event with its chain fields.
    assert!(full.len() > items.len());
    assert!(full.iter().all(|e| e["seq"].is_u64() && e["position"].is_i64()));
    // Events of other organizations are redacted: no payload, and no hash that would confirm a
    // guess at it (neither on the event nor as the next one's prev_hash).
    let redacted: Vec<&Value> = full.iter().filter(|e| e["redacted"] == true).collect();
    assert!(!redacted.is_empty(), "the navy's user and token events are not the host's");
    for (i, event) in full.iter().enumerate() {
        let is_redacted = event["redacted"] == true;
        assert_eq!(event["hash"].is_string(), !is_redacted, "{event}");
        assert_eq!(event["signature"].is_string(), !is_redacted, "{event}");
        assert!(!is_redacted || event["payload"].is_null(), "{event}");
        if i > 0 && full[i - 1]["redacted"] == true {
            assert!(event.get("prev_hash").is_none(), "a redacted event's hash as prev_hash: {event}");
        }
    }
    let officer_view = mpa.get("/api/v1/events?limit=500").await.body["items"].as_array().cloned().unwrap_or_default();
    assert!(officer_view.iter().all(|e| e.get("hash").is_none()), "only administrators see the chain");
}

/// `/metrics` describes every organization's activity: the node's administrators only (401
/// without a token, 403 for anyone else). The auth scheme is case-insensitive.
async fn metrics_are_for_the_nodes_administrators_and_the_scheme_is_case_insensitive(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let http = reqwest::Client::new();
    let status = async |token: Option<&str>, scheme: &str, path: &str| {
        let mut request = http.get(node.url(path));
        if let Some(token) = token {
            request = request.header("authorization", format!("{scheme} {token}"));
        }
        request.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
    };
    assert_eq!(status(None, "Bearer", "/metrics").await, 401);
    assert_eq!(status(Some(&r.mpa_officer), "Bearer", "/metrics").await, 403);
    assert_eq!(
        status(Some(&r.navy_fr_admin), "Bearer", "/metrics").await,
        403,
        "a hosted organization's administrator"
    );
    assert_eq!(status(Some(&r.mpa_admin), "Bearer", "/metrics").await, 200);
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        assert_eq!(status(Some(&r.mpa_viewer), scheme, "/api/v1/me").await, 200, "{scheme}");
    }
    assert_eq!(status(Some(&r.mpa_viewer), "Basic", "/api/v1/me").await, 401);
}

/// Makes every insert into the alerts projection fail (so every alert append fails), or undoes it.
async fn alert_writes_fail(node: &TestNode, fail: bool) {
    let statements: &[&str] = match (node.pg.is_some(), fail) {
        (false, true) => {
            &["CREATE TRIGGER hl_test_fail BEFORE INSERT ON alerts BEGIN SELECT RAISE(ABORT, 'injected failure'); END"]
        }
        (false, false) => &["DROP TRIGGER hl_test_fail"],
        (true, true) => &[
            "CREATE FUNCTION hl_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$",
            "CREATE TRIGGER hl_test_fail BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION hl_test_fail()",
        ],
        (true, false) => &["DROP TRIGGER hl_test_fail ON alerts"],
    };
    for statement in statements {
        node.execute_sql(statement).await;
    }
}

/// An alert raised while the database refuses it is not lost: it is retried (and counted)
/// until the database recovers, then recorded.
async fn an_alert_raised_while_the_database_fails_is_recorded_once_it_recovers(backend: Backend) {
    let Some((node, r)) = live_node(backend, "").await else { return };
    let operator = Client::new(&node, Some(&r.mpa_operator));
    alert_writes_fail(&node, true).await;
    post_nmea(&operator, nmea(&[position(100_000_007, 1.25, 103.9, 8.0)])).await;
    let retried = async || {
        crate::support::metrics(&node, &r.mpa_admin)
            .await
            .lines()
            .find_map(|l| l.strip_prefix("harborlink_alert_write_retries_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    wait_for("a failed, retried alert write", async || retried().await >= 2.0).await;
    let invalid = async || alerts_of(&operator.get("/api/v1/alerts").await.body, "invalid_mmsi");
    assert!(invalid().await.is_empty(), "nothing can be recorded while the database fails");
    alert_writes_fail(&node, false).await;
    wait_for("the alert, recorded after the recovery", async || invalid().await.len() == 1).await;
    assert_eq!(invalid().await[0]["mmsi"], 100_000_007);
}

/// Repeats held for coalescing are written at shutdown, not lost.
async fn a_graceful_shutdown_writes_the_coalesced_repeats(backend: Backend) {
    let Some((mut node, r)) = live_node(backend, "").await else { return };
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let entry = officer
        .post(
            "/api/v1/watchlist",
            &json!({"mmsi": 563000999, "reason": "repeat me",
            "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}}}),
        )
        .await;
    assert_eq!(entry.status, 201);
    let report = |lat: f64| nmea(&[position(563_000_999, lat, 103.9, 9.0)]);
    post_nmea(&Client::new(&node, Some(&r.mpa_operator)), report(1.30)).await;
    let hit =
        async |client: &Client| alerts_of(&client.get("/api/v1/alerts?kind=watchlist_hit").await.body, "watchlist_hit");
    wait_for("the hit", async || hit(&officer).await.len() == 1).await;
    // After a restart the hit fires again and merges as a repeat, which the recorder holds for
    // a few seconds; the node is stopped at once.
    node.terminate();
    node.serve();
    post_nmea(&Client::new(&node, Some(&r.mpa_operator)), report(1.31)).await;
    node.terminate();
    node.serve();
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let hits = hit(&officer).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["occurrences"], 2, "the repeat held at shutdown was written: {}", hits[0]);
}

/// An open stream ends within a second of its token's revocation (by the CLI or the API): it
/// delivers nothing after it.
async fn an_open_stream_ends_when_its_token_is_revoked(backend: Backend) {
    let Some((node, r)) = live_node(backend, "").await else { return };
    let me = Client::new(&node, Some(&r.mpa_operator)).get("/api/v1/me").await;
    let user = me.body["user"]["id"].as_str().unwrap_or_default().to_owned();
    let second = Client::new(&node, Some(&r.mpa_operator))
        .post(&format!("/api/v1/users/{user}/tokens"), &json!({"label": "console"}))
        .await;
    assert_eq!(second.status, 201, "{:?}", second.body);
    let secret = second.body["secret"].as_str().unwrap_or_default().to_owned();
    let token_id = second.body["token"]["id"].as_str().unwrap_or_default().to_owned();
    let mut stream = crate::live::sse(&node, &secret, "").await;
    assert!(!stream.ends_within(std::time::Duration::from_millis(1_500)).await, "an entitled stream stays open");
    let out = node.cli(&["token", "revoke", &token_id]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let revoked_at = std::time::Instant::now();
    assert!(stream.ends_within(std::time::Duration::from_secs(3)).await, "the stream outlived its token");
    assert!(revoked_at.elapsed() < std::time::Duration::from_millis(1_500), "{:?}", revoked_at.elapsed());
    assert_eq!(Client::new(&node, Some(&secret)).get("/api/v1/me").await.status, 401);
}

/// Reads from `stream` until the peer closes it or `limit` passes; returns what was read and
/// whether it was closed.
fn read_until_closed(stream: &mut std::net::TcpStream, limit: std::time::Duration) -> (String, bool) {
    use std::io::Read;
    let deadline = std::time::Instant::now() + limit;
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return (String::from_utf8_lossy(&text).into_owned(), false);
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&text).into_owned(), true),
            Ok(n) => text.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return (String::from_utf8_lossy(&text).into_owned(), false);
            }
            Err(_) => return (String::from_utf8_lossy(&text).into_owned(), true),
        }
    }
}

/// Half-sent requests and silent connections cannot hold the API port: beyond the connection
/// cap a connection is answered 503 (problem+json) and closed; a header not finished in time
/// and a connection that stays silent are closed, which frees the slots again.
async fn the_api_port_caps_connections_and_closes_slow_and_idle_ones(backend: Backend) {
    use std::io::Write;
    let Some(mut node) = TestNode::init(backend).await else { return };
    let config = node.data_dir().join("harborlink.toml");
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    let text = text
        .replace("connections_max = 1024", "connections_max = 8")
        .replace("header_read_timeout_secs = 10", "header_read_timeout_secs = 1")
        .replace("idle_timeout_secs = 60", "idle_timeout_secs = 2");
    assert!(text.contains("connections_max = 8") && text.contains("idle_timeout_secs = 2"), "{text}");
    std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
    node.serve();
    let address = node.base.trim_start_matches("http://").to_owned();
    let connect = || std::net::TcpStream::connect(&address).unwrap_or_else(|e| panic!("{e}"));
    let mut half: Vec<_> = (0..8)
        .map(|_| {
            let mut c = connect();
            c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap_or_else(|e| panic!("{e}"));
            c
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (answer, closed) = read_until_closed(&mut connect(), std::time::Duration::from_secs(2));
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("application/problem+json") && answer.contains("too_many_connections") && closed);
    // The half-sent headers time out (1 s) and free the slots.
    for c in &mut half {
        let (_, closed) = read_until_closed(c, std::time::Duration::from_secs(4));
        assert!(closed, "a half-sent request outlived the header timeout");
    }
    let health = Client::new(&node, None).get("/healthz").await;
    assert_eq!(health.status, 200);
    // A connection that sends nothing at all is a request whose header is late: closed after
    // the header timeout (1 s), not the idle limit.
    let started = std::time::Instant::now();
    let (_, closed) = read_until_closed(&mut connect(), std::time::Duration::from_secs(6));
    assert!(closed && started.elapsed() < std::time::Duration::from_millis(1_900), "{:?}", started.elapsed());
}

/// Idle sockets cannot keep a real receiver out of a `tcp_listener` feed: with all 64 slots held
/// by silent connections, a receiver's lines are read at once (the quietest connection is
/// evicted, and counted), and silent connections are closed after the feed's idle limit.
async fn idle_connections_never_starve_a_listener_feed(backend: Backend) {
    use std::io::Write;
    let feed = "[[live.feeds]]\nname = \"receivers\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:0\"\nidle_timeout_secs = 3\n";
    let Some((node, r)) = live_node(backend, feed).await else { return };
    let operator = Client::new(&node, Some(&r.mpa_operator));
    let address = crate::live::feed_address(&operator, "receivers").await;
    let mut idle: Vec<_> =
        (0..64).map(|_| std::net::TcpStream::connect(&address).unwrap_or_else(|e| panic!("{e}"))).collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut receiver = std::net::TcpStream::connect(&address).unwrap_or_else(|e| panic!("{e}"));
    receiver.write_all(nmea(&[position(563_000_321, 1.3, 103.9, 9.0)]).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let started = std::time::Instant::now();
    wait_for("the receiver's vessel", async || operator.get("/api/v1/vessels/563000321").await.status == 200).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    let metrics = crate::support::metrics(&node, &r.mpa_admin).await;
    assert!(metrics.contains(r#"harborlink_feed_connections_evicted_total{feed="receivers"} 1"#), "{metrics}");
    // The silent ones are closed after the idle limit (3 s); the evicted one at once.
    let closed =
        idle.iter_mut().filter_map(|c| read_until_closed(c, std::time::Duration::from_secs(6)).1.then_some(())).count();
    assert_eq!(closed, 64);
}

/// Input quirks are refused with the field named: duplicate JSON keys, bidirectional controls
/// and invisible characters in titles, absurd zone dwell times, recipient lists naming unknown
/// organizations; oversized targets and headers answer 414/431 as problem+json; the OpenAPI
/// document lists no parameter twice; `/zones` and `/watchlist` page.
async fn input_quirks_are_refused_with_the_field(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let problem = |reply: &crate::support::Reply| {
        (
            reply.status,
            reply.body["code"].as_str().unwrap_or_default().to_owned(),
            reply.body["field"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let raw = officer
        .send(
            reqwest::Method::POST,
            "/api/v1/advisories",
            Some(("application/json", br#"{"title":"a","title":"b","severity":"low","releasability":{"tlp":"CLEAR","scope":{"kind":"all_partners"}}}"#.to_vec())),
        )
        .await;
    assert_eq!(problem(&raw), (400, "duplicate_key".into(), "/title".into()), "{:?}", raw.body);
    let internal = json!({"tlp": "AMBER", "scope": {"kind": "organization"}});
    for title in ["evil\u{202e}gnp.exe", "zero\u{200b}width", "isolate\u{2067}x", "soft\u{ad}hyphen", "line\u{2028}sep"]
    {
        let reply = officer
            .post("/api/v1/advisories", &json!({"title": title, "severity": "low", "releasability": internal}))
            .await;
        assert_eq!(problem(&reply), (422, "invalid_field".into(), "/title".into()), "{title:?}: {:?}", reply.body);
    }
    let persian = officer
        .post("/api/v1/advisories", &json!({"title": "بندر\u{200c}عباس", "severity": "low", "releasability": internal}))
        .await;
    assert_eq!(persian.status, 201, "a zero-width non-joiner is part of Persian text: {:?}", persian.body);
    let zone = |dwell: i64| {
        json!({"feature": {"type": "Feature", "properties": {"name": "anchorage", "dwell_minutes": dwell},
        "geometry": {"type": "Polygon", "coordinates": [[[103.8, 1.2], [103.81, 1.2], [103.81, 1.21], [103.8, 1.2]]]}},
        "releasability": internal})
    };
    for dwell in [-5, 0, 10_000_000] {
        let reply = officer.post("/api/v1/zones", &zone(dwell)).await;
        assert_eq!(
            problem(&reply),
            (422, "invalid_field".into(), "/feature/properties/dwell_minutes".into()),
            "{dwell}"
        );
    }
    assert_eq!(officer.post("/api/v1/zones", &zone(45)).await.status, 201);
    let unknown = json!({"title": "to a stranger", "severity": "low", "releasability":
        {"tlp": "AMBER", "scope": {"kind": "organizations", "organizations": [id(&r.klang), uuid::Uuid::now_v7().to_string()]}}});
    let reply = officer.post("/api/v1/advisories", &unknown).await;
    assert_eq!(
        problem(&reply),
        (422, "invalid_field".into(), "/releasability/scope/organizations".into()),
        "{:?}",
        reply.body
    );

    let long = officer.get(&format!("/api/v1/advisories?after={}", "a".repeat(20_000))).await;
    assert_eq!((long.status, long.content_type.as_str()), (414, "application/problem+json"));
    let mut request = reqwest::Client::new().get(node.url("/api/v1/me")).bearer_auth(&r.mpa_viewer);
    for i in 0..150 {
        request = request.header(format!("x-filler-{i}"), "x");
    }
    let reply = request.send().await.unwrap_or_else(|e| panic!("{e}"));
    let content_type = reply.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!((reply.status().as_u16(), content_type.as_str()), (431, "application/problem+json"));

    let spec = Client::new(&node, None).get("/api/v1/openapi.json").await.body;
    for (path, operations) in spec["paths"].as_object().into_iter().flatten() {
        for (method, operation) in operations.as_object().into_iter().flatten() {
            let mut seen = std::collections::BTreeSet::new();
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let key = (parameter["name"].to_string(), parameter["in"].to_string());
                assert!(seen.insert(key.clone()), "{method} {path} lists {key:?} twice");
            }
        }
    }
    let zones = officer.get("/api/v1/zones?limit=1").await;
    assert!(zones.body["items"].is_array() && zones.body.get("next").is_some(), "{:?}", zones.body);
    let entries = officer.get("/api/v1/watchlist?limit=1").await;
    assert!(entries.body["items"].is_array(), "{:?}", entries.body);
}

/// Concurrent revisions never overwrite each other silently, and each answer is the state its
/// own revision made: 200 with its own title and a revision number no other answer has, or 409.
async fn concurrent_revisions_answer_their_own_result_or_conflict(backend: Backend) {
    let Some(node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let officer = Client::new(&node, Some(&r.mpa_officer));
    let created = officer
        .post(
            "/api/v1/advisories",
            &json!({"title": "base", "severity": "low",
            "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}}}),
        )
        .await;
    let id = id(&created.body);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..30 {
        let (client, path) = (officer.clone(), format!("/api/v1/advisories/{id}"));
        tasks.spawn(async move { (n, client.patch(&path, &json!({"title": format!("conc{n}")})).await) });
    }
    let mut revisions = std::collections::BTreeSet::new();
    while let Some(done) = tasks.join_next().await {
        let (n, reply) = done.unwrap_or_else(|e| panic!("{e}"));
        match reply.status {
            200 => {
                assert_eq!(
                    reply.body["title"],
                    format!("conc{n}"),
                    "an answer shows another revision: {:?}",
                    reply.body
                );
                assert!(
                    revisions.insert(reply.body["revision"].as_i64().unwrap_or(0)),
                    "revision twice: {:?}",
                    reply.body
                );
            }
            409 => assert_eq!(reply.body["code"], "conflict"),
            other => panic!("{other}: {:?}", reply.body),
        }
    }
    let last = officer.get(&format!("/api/v1/advisories/{id}")).await;
    assert_eq!(last.body["revision"].as_i64(), Some(1 + revisions.len() as i64), "{:?} {revisions:?}", last.body);
}

on_both_backends!(
    concurrent_revisions_answer_their_own_result_or_conflict,
    input_quirks_are_refused_with_the_field,
    idle_connections_never_starve_a_listener_feed,
    the_api_port_caps_connections_and_closes_slow_and_idle_ones,
    an_open_stream_ends_when_its_token_is_revoked,
    an_alert_raised_while_the_database_fails_is_recorded_once_it_recovers,
    a_graceful_shutdown_writes_the_coalesced_repeats,
    metrics_are_for_the_nodes_administrators_and_the_scheme_is_case_insensitive,
    lists_never_drop_visible_records_behind_hidden_ones,
    the_event_log_reveals_no_hidden_neighbours,
    watch_list_entries_of_two_owners_never_merge_or_silence_each_other,
    a_watch_list_entry_is_in_force_for_the_next_report,
);

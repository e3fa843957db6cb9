//! The live picture end to end: feeds over TCP, UDP and HTTP into tracks, alerts through the
//! log with their releasability and lifecycle, the SSE stream, and a restart that keeps the
//! picture.

use std::io::Write;
use std::time::Duration;

use hl_ais::encode::{SentenceOptions, to_sentences};
use hl_ais::{AisMessage, AisText, Header, StaticAndVoyage};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, Client, Region, TestNode, id, position};

const FEEDS: &str = r#"
[[live.feeds]]
name = "push"
kind = "tcp_listener"
listen = "127.0.0.1:0"

[[live.feeds]]
name = "dgram"
kind = "udp"
listen = "127.0.0.1:0"
"#;

pub(crate) fn static_data(mmsi: u32, name: &str) -> AisMessage {
    AisMessage::StaticAndVoyage(StaticAndVoyage {
        header: Header { message_type: 5, repeat: 0, mmsi },
        callsign: AisText::from_str_lossy("9V2001"),
        shipname: AisText::from_str_lossy(name),
        shiptype: 70,
        destination: AisText::from_str_lossy("SGSIN"),
        ..StaticAndVoyage::default()
    })
}

pub(crate) fn nmea(messages: &[AisMessage]) -> String {
    let mut out = String::new();
    for m in messages {
        for line in to_sentences(m, &SentenceOptions::default()) {
            out.push_str(&line);
            out.push_str("\r\n");
        }
    }
    out
}

/// A node with the region's organizations and users, and two feeds, serving.
pub(crate) async fn live_node(backend: Backend, extra: &str) -> Option<(TestNode, Region)> {
    let mut node = TestNode::init(backend).await?;
    let region = Region::create(&node);
    let config = node.data_dir().join("harborlink.toml");
    let mut file = std::fs::OpenOptions::new().append(true).open(&config).unwrap_or_else(|e| panic!("{e}"));
    writeln!(file, "{extra}{FEEDS}").unwrap_or_else(|e| panic!("{e}"));
    node.serve();
    Some((node, region))
}

pub(crate) async fn feed_address(client: &Client, name: &str) -> String {
    let feeds = client.get("/api/v1/feeds").await;
    assert_eq!(feeds.status, 200, "{:?}", feeds.body);
    let feed = feeds.body.as_array().and_then(|a| a.iter().find(|f| f["name"] == name)).cloned().unwrap_or_default();
    feed["local_addr"].as_str().unwrap_or_else(|| panic!("feed {name} has no address: {feed}")).to_owned()
}

pub(crate) async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

pub(crate) fn alerts_of(reply: &Value, kind: &str) -> Vec<Value> {
    reply["items"].as_array().map(|a| a.iter().filter(|x| x["kind"] == kind).cloned().collect()).unwrap_or_default()
}

async fn feeds_build_tracks_and_raise_alerts_with_their_owners_releasability(backend: Backend) {
    let Some((node, region)) = live_node(backend, "").await else { return };
    let officer = Client::new(&node, Some(&region.mpa_officer));
    let operator = Client::new(&node, Some(&region.mpa_operator));
    let klang = Client::new(&node, Some(&region.klang_operator));
    let navy = Client::new(&node, Some(&region.navy_fr_admin));
    let viewer = Client::new(&node, Some(&region.mpa_viewer));

    // A restricted zone shared with the community, and a watch-list entry kept in-house.
    let zone = officer
        .post(
            "/api/v1/zones",
            &json!({"feature": {"type": "Feature", "properties": {"name": "Western Anchorage", "kind": "restricted"},
                "geometry": {"type": "Polygon", "coordinates": [[[103.800, 1.200], [103.802, 1.200], [103.802, 1.202], [103.800, 1.202], [103.800, 1.200]]]}},
                "releasability": {"tlp": "GREEN", "scope": {"kind": "community", "community": "straits-psg"}}}),
        )
        .await;
    assert_eq!(zone.status, 201, "{:?}", zone.body);
    let zone_id = id(&zone.body);
    let entry = officer
        .post(
            "/api/v1/watchlist",
            &json!({"mmsi": 563000222, "reason": "sanctions list 2026-11",
                "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}}}),
        )
        .await;
    assert_eq!(entry.status, 201, "{:?}", entry.body);
    assert_eq!(viewer.post("/api/v1/zones", &zone.body["feature"]).await.status, 422, "wrapper fields are required");
    let bad_zone = officer
        .post(
            "/api/v1/zones",
            &json!({"feature": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
            "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}}}),
        )
        .await;
    assert_eq!((bad_zone.status, bad_zone.body["field"].as_str()), (422, Some("/feature")), "{:?}", bad_zone.body);
    assert!(bad_zone.body["detail"].as_str().unwrap_or_default().contains("at least 4"), "{:?}", bad_zone.body);

    // Open the stream before any traffic.
    let mut stream = sse(&node, &region.mpa_operator, "").await;

    // Traffic over TCP: a vessel crossing the zone twice, its static data, an invalid MMSI,
    // the watch-listed vessel; then garbage.
    let push = feed_address(&operator, "push").await;
    let crossing = [
        position(563_000_111, 1.199, 103.801, 3.0),
        position(563_000_111, 1.201, 103.801, 3.0),
        position(563_000_111, 1.2035, 103.801, 3.0),
        position(563_000_111, 1.2012, 103.8012, 3.0),
        static_data(563_000_111, "HARBOUR SPIRIT"),
        position(100_000_001, 1.25, 103.9, 8.0),
        position(563_000_222, 1.30, 103.95, 10.0),
    ];
    let mut tcp = std::net::TcpStream::connect(&push).unwrap_or_else(|e| panic!("{e}"));
    tcp.write_all(nmea(&crossing).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    tcp.write_all(b"\xff\xfe garbage\r\n!AIVDM,1,1,,A,15M67N0000G?Uf6E`FepT@3n00Sa,0*FF\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    tcp.write_all(&vec![b'x'; 10_000]).unwrap_or_else(|e| panic!("{e}"));
    tcp.write_all(b"\n").unwrap_or_else(|e| panic!("{e}"));
    drop(tcp);
    // And over UDP: one datagram with two vessels, one datagram of garbage.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let dgram = feed_address(&operator, "dgram").await;
    let datagram = nmea(&[position(412_000_001, 1.30, 103.70, 12.0), position(412_000_002, 3.0, 101.3, 0.1)]);
    udp.send_to(datagram.trim_end().as_bytes(), &dgram).unwrap_or_else(|e| panic!("{e}"));
    udp.send_to(b"\x00\x01\x02 not nmea", &dgram).unwrap_or_else(|e| panic!("{e}"));

    wait_for("both vessels of the datagram", async || {
        operator.get("/api/v1/vessels").await.body["total_in_picture"].as_u64() == Some(5)
    })
    .await;
    wait_for("the watch-list hit", async || {
        !alerts_of(&operator.get("/api/v1/alerts").await.body, "watchlist_hit").is_empty()
    })
    .await;

    // Tracks: static data merged, area and radius queries.
    let vessel = operator.get("/api/v1/vessels/563000111").await;
    assert_eq!(vessel.status, 200);
    assert_eq!(
        (vessel.body["name"].as_str(), vessel.body["destination"].as_str()),
        (Some("HARBOUR SPIRIT"), Some("SGSIN"))
    );
    assert_eq!((vessel.body["lat"].as_f64(), vessel.body["flag"].as_str()), (Some(1.2012), Some("SG")));
    let in_box = operator.get("/api/v1/vessels?bbox=1.0,103.5,1.5,104.0").await;
    let mmsis: Vec<u64> = in_box.body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v["mmsi"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(mmsis, [100_000_001, 412_000_001, 563_000_111, 563_000_222]);
    let near = operator.get("/api/v1/vessels?lat=3.0&lon=101.39&radius_m=20000").await;
    assert_eq!(near.body["items"][0]["mmsi"], 412_000_002);
    assert!(
        near.body["items"][0]["distance_m"].as_f64().is_some_and(|d| (d - 10_000.0).abs() < 100.0),
        "{:?}",
        near.body
    );
    for bad in [
        "/api/v1/vessels?bbox=1,2,3",
        "/api/v1/vessels?bbox=5,0,1,1",
        "/api/v1/vessels?lat=1&lon=2",
        "/api/v1/vessels?lat=95&lon=2&radius_m=5",
    ] {
        let reply = operator.get(bad).await;
        assert_eq!(reply.status, 400, "{bad}: {:?}", reply.body);
        assert_eq!(reply.body["in"], "query", "{bad}");
    }
    let track = operator.get("/api/v1/vessels/563000111/track").await;
    assert_eq!((track.status, track.content_type.as_str()), (200, "application/geo+json"));
    assert_eq!(track.body["type"], "Feature");
    assert_eq!(
        track.body["geometry"]["type"], "Point",
        "one history point: reports within the same minute and no turn"
    );
    assert_eq!(track.body["geometry"]["coordinates"][0].as_f64(), Some(103.801), "RFC 7946 order: lon, lat");
    assert_eq!(operator.get("/api/v1/vessels/999999999/track").await.status, 404);
    assert_eq!(operator.get("/api/v1/vessels/1000000000").await.status, 400);

    // Alerts: the zone entries merged into one alert of the zone's owner, shared as the zone is.
    let alerts = operator.get("/api/v1/alerts?mmsi=563000111").await.body;
    let entries = alerts_of(&alerts, "zone_entry");
    assert_eq!(entries.len(), 1, "the second entry merges into the first: {alerts}");
    let entry_alert = entries[0].clone();
    assert_eq!(entry_alert["zone"].as_str(), Some(zone_id.as_str()));
    assert_eq!(entry_alert["releasability"]["tlp"], "GREEN");
    assert_eq!(entry_alert["evidence"].as_array().map(Vec::len), Some(1));
    assert!(entry_alert["evidence"][0].as_str().is_some_and(|e| e.starts_with("!AIVDM")));
    wait_for("the merged entry", async || {
        operator.get(&format!("/api/v1/alerts/{}", id(&entry_alert))).await.body["occurrences"] == 2
    })
    .await;
    assert_eq!(klang.get(&format!("/api/v1/alerts/{}", id(&entry_alert))).await.status, 200, "community member");
    assert_eq!(navy.get(&format!("/api/v1/alerts/{}", id(&entry_alert))).await.status, 404, "outside the community");
    // The watch-list hit and the invalid MMSI stay inside MPA.
    let hit = alerts_of(&operator.get("/api/v1/alerts?kind=watchlist_hit").await.body, "watchlist_hit");
    assert_eq!(hit.len(), 1);
    assert!(hit[0]["detail"].as_str().unwrap_or_default().contains("sanctions list"));
    assert_eq!(klang.get(&format!("/api/v1/alerts/{}", id(&hit[0]))).await.status, 404);
    assert!(alerts_of(&klang.get("/api/v1/alerts").await.body, "watchlist_hit").is_empty());
    let invalid = alerts_of(&operator.get("/api/v1/alerts?kind=invalid_mmsi").await.body, "invalid_mmsi");
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0]["owner"], region.mpa["id"], "the first registered organization owns the node's alerts");

    // Lifecycle: viewers and other organizations may not act; operators of the owner may.
    let path = format!("/api/v1/alerts/{}", id(&invalid[0]));
    assert_eq!(viewer.post(&format!("{path}/acknowledge"), &json!({})).await.status, 403);
    assert_eq!(klang.post(&format!("/api/v1/alerts/{}/acknowledge", id(&entry_alert)), &json!({})).await.status, 403);
    assert_eq!(operator.post(&format!("{path}/acknowledge"), &json!({})).await.body["status"], "acknowledged");
    let blank = operator.post(&format!("{path}/dismiss"), &json!({"reason": "  "})).await;
    assert_eq!((blank.status, blank.body["field"].as_str()), (422, Some("/reason")));
    let dismissed = operator.post(&format!("{path}/dismiss"), &json!({"reason": "test transponder on the quay"})).await;
    assert_eq!(
        (dismissed.body["status"].as_str(), dismissed.body["status_reason"].as_str()),
        (Some("dismissed"), Some("test transponder on the quay"))
    );
    // Status moves only forward: a dismissed alert is not acknowledged, escalated or dismissed
    // again, and it keeps who did what, when and why.
    for (action, body) in
        [("acknowledge", json!({})), ("escalate", json!({"note": "late"})), ("dismiss", json!({"reason": "again"}))]
    {
        let refused = operator.post(&format!("{path}/{action}"), &body).await;
        assert_eq!(refused.status, 409, "{action} after dismissal: {:?}", refused.body);
    }
    let kept = operator.get(&path).await.body;
    assert_eq!(
        (kept["status"].as_str(), kept["status_reason"].as_str()),
        (Some("dismissed"), Some("test transponder on the quay"))
    );
    let handling = kept["handling"].as_array().cloned().unwrap_or_default();
    let steps: Vec<(&str, Option<&str>)> =
        handling.iter().map(|h| (h["status"].as_str().unwrap_or(""), h["reason"].as_str())).collect();
    assert_eq!(steps, [("acknowledged", None), ("dismissed", Some("test transponder on the quay"))], "{kept}");
    assert!(handling.iter().all(|h| h["by"].is_string() && h["at"].as_str().is_some_and(|t| t.starts_with("20"))));
    let escalated = operator
        .post(&format!("/api/v1/alerts/{}/escalate", id(&hit[0])), &json!({"note": "to PCG duty officer"}))
        .await;
    assert_eq!(escalated.body["status"], "escalated");
    assert_eq!(alerts_of(&operator.get("/api/v1/alerts?status=dismissed").await.body, "invalid_mmsi").len(), 1);
    assert_eq!(operator.get("/api/v1/alerts?status=closed").await.status, 400);

    // Bad input was counted per feed and by reason, and broke nothing.
    let feeds = operator.get("/api/v1/feeds").await.body;
    let push_feed = feeds.as_array().and_then(|a| a.iter().find(|f| f["name"] == "push")).cloned().unwrap_or_default();
    assert_eq!(push_feed["errors"]["too_long"], 1, "{push_feed}");
    assert_eq!(push_feed["errors"]["bad_checksum"], 1, "{push_feed}");
    assert!(push_feed["errors"]["malformed"].as_u64().is_some_and(|n| n >= 1), "{push_feed}");
    let udp_feed = feeds.as_array().and_then(|a| a.iter().find(|f| f["name"] == "dgram")).cloned().unwrap_or_default();
    assert_eq!(
        (udp_feed["messages"].as_u64(), udp_feed["errors"]["malformed"].as_u64()),
        (Some(2), Some(1)),
        "{udp_feed}"
    );
    let metrics = crate::support::metrics(&node, &region.mpa_admin).await;
    assert!(metrics.contains(r#"harborlink_feed_errors_total{feed="push",reason="too_long"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"harborlink_feed_messages_total{feed="dgram"} 2"#));

    // The stream carried vessel updates and every alert MPA may see, each after its commit.
    let wanted = ["zone_entry", "invalid_mmsi", "watchlist_hit"];
    let events = stream
        .collect_until(Duration::from_secs(5), |events| {
            wanted.iter().all(|k| events.iter().any(|e| e.0 == "alert" && e.1["kind"] == *k))
        })
        .await;
    let alert_kinds: Vec<String> =
        events.iter().filter(|e| e.0 == "alert").filter_map(|e| e.1["kind"].as_str().map(str::to_owned)).collect();
    for kind in wanted {
        assert!(alert_kinds.iter().any(|k| k == kind), "{kind} not streamed: {alert_kinds:?}");
    }
    assert!(events.iter().any(|e| e.0 == "vessel" && e.1["mmsi"] == 563_000_111), "vessel updates streamed");
    // A Klang subscriber never receives MPA's in-house alerts.
    let mut klang_stream = sse(&node, &region.klang_operator, "").await;
    let reply = Client::new(&node, Some(&region.mpa_operator))
        .send(
            reqwest::Method::POST,
            "/api/v1/ais/sentences",
            Some(("text/plain", nmea(&[position(100_000_002, 1.3, 103.9, 5.0)]).into_bytes())),
        )
        .await;
    assert_eq!((reply.status, reply.body["messages"].as_u64()), (200, Some(1)), "{:?}", reply.body);
    let klang_events = klang_stream.collect_until(Duration::from_secs(2), |_| false).await;
    assert!(klang_events.iter().all(|e| e.0 != "alert"), "{klang_events:?}");
    // Feeding over HTTP needs an operator.
    let refused =
        viewer.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", b"!AIVDM".to_vec()))).await;
    assert_eq!(refused.status, 403);
}

async fn a_restart_keeps_the_picture_and_the_open_alerts(backend: Backend) {
    let Some((mut node, region)) = live_node(backend, "").await else { return };
    let operator = Client::new(&node, Some(&region.mpa_operator));
    let body = nmea(&[
        position(563_000_333, 1.22, 103.82, 6.0),
        static_data(563_000_333, "RESTART TEST"),
        position(100_000_003, 1.2, 103.8, 1.0),
    ]);
    let reply = operator
        .send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", body.clone().into_bytes())))
        .await;
    assert_eq!(reply.body["messages"], 3, "{:?}", reply.body);
    wait_for("the invalid MMSI alert", async || {
        !alerts_of(&operator.get("/api/v1/alerts").await.body, "invalid_mmsi").is_empty()
    })
    .await;
    node.terminate();
    node.serve();
    let operator = Client::new(&node, Some(&region.mpa_operator));
    let vessel = operator.get("/api/v1/vessels/563000333").await;
    assert_eq!((vessel.status, vessel.body["name"].as_str()), (200, Some("RESTART TEST")), "{:?}", vessel.body);
    // The same detection after the restart merges into the stored alert instead of a new one.
    let again = nmea(&[position(100_000_003, 1.21, 103.81, 1.0)]);
    operator.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", again.into_bytes()))).await;
    let invalid = alerts_of(&operator.get("/api/v1/alerts").await.body, "invalid_mmsi");
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    let verify = node.cli(&["verify"]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}

on_both_backends!(
    feeds_build_tracks_and_raise_alerts_with_their_owners_releasability,
    a_restart_keeps_the_picture_and_the_open_alerts,
    a_stalled_subscriber_never_slows_ingestion
);

/// A Server-Sent Events reader.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

pub(crate) async fn sse(node: &TestNode, token: &str, query: &str) -> SseReader {
    let response = reqwest::Client::new()
        .get(node.url(&format!("/api/v1/stream{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream")));
    SseReader { response, buffer: String::new() }
}

impl SseReader {
    /// Whether the server ends the stream within `limit` (events before the end are skipped).
    pub async fn ends_within(&mut self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => {}
                Ok(Ok(None) | Err(_)) => return true,
            }
        }
    }

    /// Whether a comment line (`:`, a keep-alive) arrives within `limit`; events are skipped.
    pub async fn comment_within(&mut self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self.buffer.starts_with(':') || self.buffer.contains("\n:") {
                return true;
            }
            let Ok(chunk) = tokio::time::timeout_at(deadline, self.response.chunk()).await else { return false };
            let Ok(Some(bytes)) = chunk else { return false };
            self.buffer.push_str(&String::from_utf8_lossy(&bytes));
        }
    }

    /// Reads events (name, data) until `done` holds or `limit` passes.
    pub async fn collect_until(
        &mut self,
        limit: Duration,
        done: impl Fn(&[(String, Value)]) -> bool,
    ) -> Vec<(String, Value)> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut events = Vec::new();
        while !done(&events) {
            let Ok(chunk) = tokio::time::timeout_at(deadline, self.response.chunk()).await else { break };
            let Ok(Some(bytes)) = chunk else { break };
            self.buffer.push_str(&String::from_utf8_lossy(&bytes));
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !data.is_empty() {
                    events.push((name, serde_json::from_str(&data).unwrap_or(Value::Null)));
                }
            }
        }
        events
    }
}

/// A TCP client feed reconnects after its aggregator drops the connection; a file feed replays
/// a recording at its recorded pace and keeps its recorded times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_feed_reconnects_and_a_file_feed_replays_at_the_recorded_pace() {
    let Some(mut node) = TestNode::init(Backend::Sqlite).await else { return };
    let region = Region::create(&node);
    // An aggregator that serves one vessel per connection, then hangs up.
    let aggregator = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let aggregator_addr = aggregator.local_addr().unwrap_or_else(|e| panic!("{e}"));
    std::thread::spawn(move || {
        for (i, conn) in aggregator.incoming().take(2).enumerate() {
            let Ok(mut conn) = conn else { continue };
            let line = nmea(&[position(563_100_000 + i as u32, 1.2, 103.9 + i as f64 * 0.01, 5.0)]);
            let _ = conn.write_all(line.as_bytes());
        }
    });
    // A recording: two reports of one vessel 2 s apart by their tag blocks, a day ago.
    let recorded_at = jiff::Timestamp::now().as_second() - 86_400;
    let mut recording = String::new();
    for (k, lon) in [(0, 103.80), (2, 103.81)] {
        let options =
            SentenceOptions { source: Some("rx-1"), time: Some(recorded_at + k), ..SentenceOptions::default() };
        for line in to_sentences(&position(563_200_000, 1.25, lon, 8.0), &options) {
            recording.push_str(&line);
            recording.push('\n');
        }
    }
    let path = node.data_dir().join("yesterday.nmea");
    std::fs::write(&path, recording).unwrap_or_else(|e| panic!("{e}"));
    let config = node.data_dir().join("harborlink.toml");
    let mut file = std::fs::OpenOptions::new().append(true).open(&config).unwrap_or_else(|e| panic!("{e}"));
    writeln!(
        file,
        "\n[[live.feeds]]\nname = \"aggregator\"\nkind = \"tcp_client\"\naddress = \"{aggregator_addr}\"\n\n\
         [[live.feeds]]\nname = \"yesterday\"\nkind = \"file\"\npath = \"{}\"\npace = {{ recorded = {{ speed = 1.0 }} }}",
        path.display()
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let started = std::time::Instant::now();
    node.serve();
    let operator = Client::new(&node, Some(&region.mpa_operator));
    wait_for("both connections' vessels", async || {
        operator.get("/api/v1/vessels/563100000").await.status == 200
            && operator.get("/api/v1/vessels/563100001").await.status == 200
    })
    .await;
    let feeds = operator.get("/api/v1/feeds").await.body;
    let client =
        feeds.as_array().and_then(|a| a.iter().find(|f| f["name"] == "aggregator")).cloned().unwrap_or_default();
    assert!(client["connections"].as_u64().is_some_and(|n| n >= 2), "{client}");
    wait_for("the replay to finish", async || {
        let feeds = operator.get("/api/v1/feeds").await.body;
        feeds
            .as_array()
            .and_then(|a| a.iter().find(|f| f["name"] == "yesterday"))
            .is_some_and(|f| f["finished"] == true)
    })
    .await;
    assert!(started.elapsed() >= Duration::from_secs(2), "paced by the tag-block times");
    let replayed = operator.get("/api/v1/vessels/563200000").await.body;
    let expected = jiff::Timestamp::from_second(recorded_at + 2).map(|t| t.to_string()).unwrap_or_default();
    assert_eq!(replayed["position_time"].as_str(), Some(expected.as_str()), "recorded times are kept: {replayed}");
    assert_eq!(replayed["lon"].as_f64(), Some(103.81));
}

/// A subscriber that never reads its stream neither slows ingestion nor loses the alerts of
/// others: its vessel updates are dropped (and counted), everything else goes on.
async fn a_stalled_subscriber_never_slows_ingestion(backend: Backend) {
    let Some((node, region)) = live_node(backend, "").await else { return };
    // Subscribe with a raw connection and never read from it.
    let address = node.base.trim_start_matches("http://").to_owned();
    let mut stalled = tokio::net::TcpStream::connect(&address).await.unwrap_or_else(|e| panic!("{e}"));
    let request = format!(
        "GET /api/v1/stream HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nAccept: text/event-stream\r\n\r\n",
        region.mpa_operator
    );
    tokio::io::AsyncWriteExt::write_all(&mut stalled, request.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut reader = sse(&node, &region.mpa_officer, "?vessels=false").await;
    let operator = Client::new(&node, Some(&region.mpa_operator));
    // 40,000 distinct vessels: far more vessel updates than socket buffers and the stream's
    // buffer hold.
    let started = std::time::Instant::now();
    for batch in 0..4u32 {
        let messages: Vec<AisMessage> = (0..10_000u32)
            .map(|i| {
                position(
                    563_000_000 + batch * 10_000 + i,
                    5.0 + f64::from(i % 100) * 0.01,
                    106.0 + f64::from(i / 100) * 0.01,
                    9.0,
                )
            })
            .collect();
        let reply = operator
            .send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", nmea(&messages).into_bytes())))
            .await;
        assert_eq!((reply.status, reply.body["messages"].as_u64()), (200, Some(10_000)), "{:?}", reply.body);
    }
    let fed = started.elapsed();
    assert!(fed < Duration::from_secs(30), "ingestion took {fed:?}");
    assert_eq!(operator.get("/api/v1/vessels?limit=1").await.body["total_in_picture"], 40_000);
    // An alert still reaches the subscriber that reads.
    let trigger = nmea(&[position(100_000_009, 5.5, 106.5, 3.0)]);
    operator.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", trigger.into_bytes()))).await;
    let events = reader.collect_until(Duration::from_secs(10), |e| e.iter().any(|x| x.0 == "alert")).await;
    assert!(events.iter().any(|e| e.0 == "alert" && e.1["mmsi"] == 100_000_009), "{events:?}");
    let metrics = crate::support::metrics(&node, &region.mpa_admin).await;
    let dropped = metrics
        .lines()
        .find(|l| l.starts_with("harborlink_stream_updates_dropped_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(dropped > 0.0, "the stalled subscriber's updates were dropped and counted");
    drop(stalled);
}

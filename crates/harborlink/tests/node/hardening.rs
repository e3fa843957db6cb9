//! Regression tests for the defects an adversarial review found (issue 8), one per defect,
//! named after what must hold.

use serde_json::{Value, json};

use crate::live::{alerts_of, live_node, nmea, wait_for};
use crate::on_both_backends;
use crate::support::{Backend, Client, id, position};

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

on_both_backends!(
    watch_list_entries_of_two_owners_never_merge_or_silence_each_other,
    a_watch_list_entry_is_in_force_for_the_next_report,
);

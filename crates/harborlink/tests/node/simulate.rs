//! The simulator against the detectors: `simulate` writes traffic with injected anomalies and
//! their ground truth, `analyze` must find them. Recall and precision of every detector >= 0.95.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::support::BIN;

/// Slack when matching an alert's time span to the truth's (reporting intervals, the acceptance
/// rule for identity changes, held jump alerts).
const SLACK_S: i64 = 20 * 60;

fn seconds(v: &Value) -> i64 {
    v.as_str().and_then(|s| s.parse::<jiff::Timestamp>().ok()).map_or(0, |t| t.as_second())
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn same_event(alert: &Value, truth: &Value) -> bool {
    if alert["kind"] != truth["kind"] {
        return false;
    }
    let pair = |v: &Value| {
        let (a, b) = (v["mmsi"].as_u64().unwrap_or(0), v["mmsi_2"].as_u64().unwrap_or(0));
        (a.min(b), a.max(b))
    };
    if pair(alert) != pair(truth) {
        return false;
    }
    let (a0, a1) = (seconds(&alert["start"]), seconds(&alert["end"]));
    let (t0, t1) = (seconds(&truth["start"]), seconds(&truth["end"]));
    a0 <= t1 + SLACK_S && t0 <= a1 + SLACK_S
}

#[test]
fn every_detector_finds_the_injected_anomalies() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = |name: &str| dir.path().join(name);
    let out = Command::new(BIN)
        .args(["simulate", "--vessels", "180", "--duration", "6h", "--seed", "20261123"])
        .arg("--out")
        .arg(path("traffic.nmea"))
        .arg("--truth")
        .arg(path("truth.jsonl"))
        .arg("--zones-out")
        .arg(path("zones.geojson"))
        .arg("--watchlist-out")
        .arg(path("watch.csv"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(BIN)
        .arg("analyze")
        .arg(path("traffic.nmea"))
        .arg("--zones")
        .arg(path("zones.geojson"))
        .arg("--watchlist")
        .arg(path("watch.csv"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(path("alerts.jsonl"), &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let (truth, alerts) = (lines(&path("truth.jsonl")), lines(&path("alerts.jsonl")));

    let mut scores: BTreeMap<String, (usize, usize, usize, usize)> = BTreeMap::new();
    for t in &truth {
        let entry = scores.entry(t["kind"].as_str().unwrap_or("").to_owned()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(alerts.iter().any(|a| same_event(a, t)));
    }
    for a in &alerts {
        let entry = scores.entry(a["kind"].as_str().unwrap_or("").to_owned()).or_default();
        entry.2 += 1;
        entry.3 += usize::from(truth.iter().any(|t| same_event(a, t)));
    }
    let mut report = String::new();
    for (kind, (truths, found, raised, right)) in &scores {
        let recall = *found as f64 / (*truths).max(1) as f64;
        let precision = *right as f64 / (*raised).max(1) as f64;
        report.push_str(&format!(
            "{kind}: truth {truths}, alerts {raised}, recall {recall:.2}, precision {precision:.2}\n"
        ));
    }
    eprintln!("{report}");
    for kind in [
        "zone_entry",
        "zone_exit",
        "zone_dwell",
        "ais_gap",
        "loitering",
        "encounter",
        "position_jump",
        "duplicate_mmsi",
        "invalid_mmsi",
        "identity_change",
        "static_data_invalid",
        "drift",
        "watchlist_hit",
    ] {
        let (truths, found, raised, right) = scores.get(kind).copied().unwrap_or_default();
        assert!(truths > 0, "the simulation injected no {kind}:\n{report}");
        assert!(found as f64 / truths as f64 >= 0.95, "{kind} recall:\n{report}");
        assert!(right as f64 / raised.max(1) as f64 >= 0.95, "{kind} precision:\n{report}");
    }
}

#[test]
fn the_same_seed_gives_the_same_traffic() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |name: &str| {
        let file = dir.path().join(name);
        let out = Command::new(BIN)
            .args(["simulate", "--vessels", "20", "--duration", "30m", "--seed", "5", "--out"])
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success());
        std::fs::read(&file).unwrap_or_default()
    };
    let (a, b) = (run("a.nmea"), run("b.nmea"));
    assert!(a.len() > 10_000);
    assert_eq!(a, b);
    let bad = Command::new(BIN)
        .args(["simulate", "--duration", "6x", "--out", "/dev/null"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown duration unit"));
}

/// A short simulation writes truth only for what its data contains: no event starts after the
/// last sentence, none ends after it but a gap that runs to the end of the data.
#[test]
fn short_simulations_write_truth_only_for_what_the_data_contains() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (traffic, truth) = (dir.path().join("traffic.nmea"), dir.path().join("truth.jsonl"));
    let out = Command::new(BIN)
        .args(["simulate", "--vessels", "300", "--duration", "1h", "--seed", "7"])
        .arg("--out")
        .arg(&traffic)
        .arg("--truth")
        .arg(&truth)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The last tag-block time (`c:`) in the data.
    let text = std::fs::read_to_string(&traffic).unwrap_or_default();
    let last = text
        .lines()
        .filter_map(|l| l.split("c:").nth(1))
        .filter_map(|rest| rest.split(['*', ',', '\\']).next()?.parse::<i64>().ok())
        .max()
        .unwrap_or_else(|| panic!("no tag-block times"));
    let events = lines(&truth);
    assert!(!events.is_empty());
    for event in &events {
        assert!(seconds(&event["start"]) <= last, "starts after the data: {event}");
        assert!(seconds(&event["end"]) <= last || event["kind"] == "ais_gap", "ends after the data: {event}");
    }
}

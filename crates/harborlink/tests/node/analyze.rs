//! `harborlink analyze` over generated traffic with known events.

use std::process::Command;

use hl_ais::encode::{SentenceOptions, to_sentences};
use hl_ais::{AisMessage, AisText, Header, StaticAndVoyage};

use crate::support::{BIN, position};

const T0: i64 = 1_763_900_000;

fn lines(message: &AisMessage, time: i64) -> Vec<String> {
    to_sentences(message, &SentenceOptions { source: Some("test-rx"), time: Some(time), ..SentenceOptions::default() })
}

#[test]
fn reports_zone_gap_watchlist_and_invalid_mmsi_events_as_json_lines() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut nmea = Vec::new();
    // Ship 563808000 steams east at 10 kn through a restricted box, reporting every 10 s, then
    // goes silent for 40 minutes and reappears further along.
    let speed_deg_per_s = 10.0 * 1852.0 / 3600.0 / 111_320.0;
    for i in 0..360 {
        let t = T0 + i * 10;
        nmea.extend(lines(&position(563_808_000, 1.21, 103.78 + speed_deg_per_s * (i * 10) as f64, 10.0), t));
    }
    let back = T0 + 3_600 + 2_400;
    for i in 0..10 {
        let t = back + i * 10;
        nmea.extend(lines(&position(563_808_000, 1.21, 103.78 + speed_deg_per_s * (t - T0) as f64, 10.0), t));
    }
    // A watch-listed name, and an MMSI that fits no format.
    let watched = AisMessage::StaticAndVoyage(StaticAndVoyage {
        header: Header { message_type: 5, repeat: 0, mmsi: 533_111_222 },
        shipname: AisText::from_str_lossy("OCEAN PRIDE"),
        callsign: AisText::from_str_lossy("9MAB1"),
        ..StaticAndVoyage::default()
    });
    nmea.extend(lines(&watched, T0 + 5));
    nmea.extend(lines(&position(123_456_789, 1.3, 103.9, 5.0), T0 + 7));
    let file = dir.path().join("traffic.nmea");
    std::fs::write(&file, nmea.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    let zones = dir.path().join("zones.geojson");
    std::fs::write(
        &zones,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature",
            "properties":{"id":"tss-east","name":"TSS East","kind":"restricted","dwell_minutes":3},
            "geometry":{"type":"Polygon","coordinates":[[[103.80,1.20],[103.82,1.20],[103.82,1.22],[103.80,1.22],[103.80,1.20]]]}}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let watchlist = dir.path().join("watch.csv");
    std::fs::write(&watchlist, "mmsi,imo,name,callsign,reason\n,,Ocean Pride,,sanctions list\n")
        .unwrap_or_else(|e| panic!("{e}"));

    let out = Command::new(BIN)
        .arg("analyze")
        .arg(&file)
        .arg("--zones")
        .arg(&zones)
        .arg("--watchlist")
        .arg(&watchlist)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = alerts.iter().filter_map(|a| a["kind"].as_str()).collect();
    for expected in ["zone_entry", "zone_dwell", "zone_exit", "ais_gap", "watchlist_hit", "invalid_mmsi"] {
        assert!(kinds.contains(&expected), "{expected} missing from {kinds:?}");
    }
    for a in &alerts {
        for field in ["kind", "mmsi", "mmsi_2", "start", "end", "lat", "lon", "severity", "detail"] {
            assert!(a.get(field).is_some(), "{field} missing from {a}");
        }
        assert!(a["start"].as_str().is_some_and(|s| s.ends_with('Z') && s.starts_with("2025-")), "{a}");
    }
    let gap = alerts.iter().find(|a| a["kind"] == "ais_gap").unwrap_or_else(|| panic!());
    assert_eq!(gap["mmsi"], 563_808_000);
    assert_eq!(gap["start"], "2025-11-23T13:13:10Z", "the last report before the silence");
    assert_eq!(gap["end"], "2025-11-23T13:53:20Z", "the first report after it");
    let entry = alerts.iter().find(|a| a["kind"] == "zone_entry").unwrap_or_else(|| panic!());
    assert_eq!((entry["zone"].as_str(), entry["severity"].as_str()), (Some("tss-east"), Some("high")));
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("1 zones") && summary.contains("1 watch-list entries"), "{summary}");
}

#[test]
fn invalid_zone_files_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("empty.nmea");
    std::fs::write(&file, "").unwrap_or_else(|e| panic!("{e}"));
    let zones = dir.path().join("zones.geojson");
    std::fs::write(&zones, r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0.5]]]}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(BIN)
        .arg("analyze")
        .arg(&file)
        .arg("--zones")
        .arg(&zones)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a valid zone file") && err.contains("not closed"), "{err}");
}

/// `harborlink analyze` over the real AISHub capture (gpsd's `ais-nmea-sample.log`, 85,187
/// lines, 10,335 vessels): its alerts as JSON values.
fn analyze_real_capture() -> Vec<serde_json::Value> {
    let capture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais/gpsd/ais-nmea-sample.log");
    let out = Command::new(BIN).arg("analyze").arg(&capture).output().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("10335 vessels"), "{summary}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn real_traffic_in_docks_rivers_and_canals_is_not_on_land() {
    let alerts = analyze_real_capture();
    let on_land: Vec<&serde_json::Value> = alerts.iter().filter(|a| a["kind"] == "position_on_land").collect();
    let vessels: std::collections::HashSet<u64> = on_land.iter().filter_map(|a| a["mmsi"].as_u64()).collect();
    // With Natural Earth 1:50m land alone, 4,150 of the 10,335 vessels were flagged. With the
    // 1:10m land, lakes, rivers and ports and a 5 km clearance from water, fewer than 3%: most
    // of those left are on canals and docks that no public-domain layer at hand draws (the
    // goal of 0.1% stays open; see BENCHMARKS.md).
    assert!(vessels.len() <= 300, "{} vessels on land", vessels.len());
    let inside = |a: &serde_json::Value, (south, west, north, east): (f64, f64, f64, f64)| {
        let (lat, lon) = (a["lat"].as_f64().unwrap_or(0.0), a["lon"].as_f64().unwrap_or(0.0));
        (south..=north).contains(&lat) && (west..=east).contains(&lon)
    };
    for (place, bbox) in [
        ("Rotterdam Waalhaven", (51.86, 4.38, 51.91, 4.48)),
        ("Hamburg Waltershof", (53.51, 9.86, 53.56, 9.96)),
        ("the Port of Antwerp's docks along the Scheldt", (51.22, 4.25, 51.32, 4.45)),
        ("New Orleans, the Mississippi at the French Quarter", (29.93, -90.08, 29.97, -90.03)),
        ("Rotterdam's Nieuwe Maas", (51.88, 4.25, 51.93, 4.55)),
    ] {
        let flagged: Vec<_> = on_land.iter().filter(|a| inside(a, bbox)).collect();
        assert!(flagged.is_empty(), "vessels in {place} flagged on land: {flagged:?}");
    }
}

#[test]
fn real_static_data_errors_are_data_quality_findings_not_identity_changes() {
    let alerts = analyze_real_capture();
    let of = |kind: &str| alerts.iter().filter(|a| a["kind"] == kind).collect::<Vec<_>>();
    // All 97 former identity_change alerts on this capture were bad IMO check digits.
    let invalid = of("static_data_invalid");
    assert!(invalid.len() >= 90, "{}", invalid.len());
    for a in &invalid {
        assert_eq!(a["severity"], "low", "{a}");
        assert!(a["detail"].as_str().is_some_and(|d| d.contains("check digit") || d.contains("length")), "{a}");
    }
    for a in of("identity_change") {
        assert!(a["detail"].as_str().is_some_and(|d| d.contains("changed from")), "{a}");
    }
}

#[test]
fn detector_thresholds_come_from_the_detect_section_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let capture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais/gpsd/ais-nmea-sample.log");
    let run = |toml: &str| {
        let config = dir.path().join("detect.toml");
        std::fs::write(&config, toml).unwrap_or_else(|e| panic!("{e}"));
        Command::new(BIN)
            .arg("analyze")
            .arg(&capture)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // A clearance of 30 km from water: only transponders far inland remain.
    let out = run("node_id = \"ignored\"\n[detect]\nland_clearance_m = 30000.0\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let on_land = String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("\"position_on_land\"")).count();
    assert!(on_land <= 10, "{on_land}");
    for (toml, expected) in [
        ("[detect]\nland_clearence_m = 3.0\n", "land_clearence_m"),
        ("[detect]\njump_speed_kn = -3.0\n", "jump_speed_kn must be a positive number"),
        ("[detect]\ndrift_speed_kn = [5.0, 1.0]\n", "drift_speed_kn"),
    ] {
        let out = run(toml);
        assert!(!out.status.success(), "{toml}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(expected),
            "{toml}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn testdata(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais").join(relative)
}

fn analyze_file(path: &std::path::Path, extra: &[&str]) -> (Vec<serde_json::Value>, String) {
    let out = Command::new(BIN).arg("analyze").arg(path).args(extra).output().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alerts = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    (alerts, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn recordings_without_times_still_get_the_detectors_that_need_none() {
    // pyais's plain log: no tag blocks, a few base stations late in the file.
    let (alerts, summary) = analyze_file(&testdata("pyais/nmea_data_sample.txt"), &[]);
    assert!(summary.contains("have no time") && summary.contains("not run: ais_gap, position_jump"), "{summary}");
    assert!(!summary.contains(" 0 vessels"), "{summary}");
    assert!(alerts.iter().any(|a| a["kind"] == "invalid_mmsi"), "{alerts:?}");
    assert!(alerts.iter().all(|a| a["start"].is_null() && a["kind"] != "position_jump"), "{alerts:?}");
    // libais's test.aivdm, every sentence prefixed with a logger's Unix time: times are read.
    let text = std::fs::read_to_string(testdata("libais/test.aivdm")).unwrap_or_default();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let logged: String = text
        .lines()
        .filter(|l| l.starts_with('!'))
        .enumerate()
        .map(|(i, l)| format!("{}.250 {l}\n", 1_700_000_000 + i as i64 * 2))
        .collect();
    let path = dir.path().join("logged.nmea");
    std::fs::write(&path, logged).unwrap_or_else(|e| panic!("{e}"));
    let (alerts, summary) = analyze_file(&path, &[]);
    assert!(summary.contains("times from logger timestamps"), "{summary}");
    assert!(alerts.iter().all(|a| a["start"].as_str().is_some_and(|t| t.starts_with("2023-11-14"))), "{alerts:?}");
    // The same plain sentences with a start and a rate given.
    let (alerts, summary) =
        analyze_file(&testdata("libais/test.aivdm"), &["--start", "2024-05-01T00:00:00Z", "--rate", "10"]);
    assert!(summary.contains("times from --start"), "{summary}");
    assert!(alerts.iter().all(|a| a["start"].as_str().is_some_and(|t| t.starts_with("2024-05-01"))), "{alerts:?}");
    // A tag block's own time wins over the logger's; a line without a prefix in a logged file
    // takes the last logged time; a prefix that is no time leaves its sentence to be read.
    let invalid = "!AIVDM,1,1,,A,1:P2fwP01T1gE00EVLT3Q2l00000,0*4F";
    let mixed = format!(
        "1617283945 \\s:x,c:1500000000*40\\{invalid}\n1617283950 {}\n{}\nnot-a-time {}\n",
        "!AIVDM,1,1,,A,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*4E",
        "!AIVDM,1,1,,A,13RlIW?04F1beOVEFLB9bRvH0L0L,0*6C",
        "!AIVDM,1,1,,B,35VwAv0300QcEQ`EGcpN40jD0PUQ,0*61",
    );
    let path = dir.path().join("mixed.nmea");
    std::fs::write(&path, mixed).unwrap_or_else(|e| panic!("{e}"));
    let (alerts, summary) = analyze_file(&path, &[]);
    let first = alerts.iter().find(|a| a["kind"] == "invalid_mmsi").unwrap_or_else(|| panic!("{alerts:?} {summary}"));
    assert!(first["start"].as_str().is_some_and(|t| t.starts_with("2017-07-14")), "{first}");
    assert!(summary.contains("4 messages") && summary.contains("0 messages before any time"), "{summary}");
    assert!(summary.contains("0 undecodable lines"), "{summary}");
    for bad in ["1e-300", "0", "-1"] {
        let out = Command::new(BIN)
            .arg("analyze")
            .arg(testdata("libais/test.aivdm"))
            .args(["--start", "2024-05-01T00:00:00Z", &format!("--rate={bad}")])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--rate"), "{bad}");
    }
    let out = Command::new(BIN)
        .arg("analyze")
        .arg(testdata("libais/test.aivdm"))
        .args(["--start", "yesterday"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--start"));
}

#[test]
fn progress_shows_on_a_terminal_and_nowhere_else() {
    let capture = testdata("gpsd/ais-nmea-sample.log");
    // Off a terminal: the summary and nothing else.
    let (_, summary) = analyze_file(&capture, &[]);
    assert!(!summary.contains('\r') && summary.lines().count() == 1, "{summary:?}");
    // On one (util-linux `script` gives the command a pseudo-terminal).
    let Ok(out) = Command::new("script")
        .args(["-qec", &format!("{BIN} analyze {} > /dev/null", capture.display()), "/dev/null"])
        .output()
    else {
        crate::support::skip("no `script` to give analyze a terminal; progress on a terminal not checked");
        return;
    };
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains('\r') && shown.contains(" lines (") && shown.contains('%'), "{shown:?}");
}

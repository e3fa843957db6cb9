use hl_ais::encode::{SentenceOptions, to_sentences};
use hl_ais::{AisMessage, AisText, Dimensions, Eta, Header, PositionReport, StaticAndVoyage};
use hl_detect::{AlertKind, DetectorConfig, Picture, Watchlist};
use hl_geo::Position;

use super::*;

const T0: i64 = 1_763_900_000;

fn position_message(mmsi: u32, lat: f64, lon: f64, speed: f64, course: f64) -> AisMessage {
    AisMessage::Position(PositionReport {
        header: Header { message_type: 1, repeat: 0, mmsi },
        status: 0,
        speed: Some(speed),
        lat: Some(lat),
        lon: Some(lon),
        course: Some(course),
        heading: Some(course as u16),
        second: 0,
        ..PositionReport::default()
    })
}

fn static_message(mmsi: u32, name: &str) -> AisMessage {
    AisMessage::StaticAndVoyage(StaticAndVoyage {
        header: Header { message_type: 5, repeat: 0, mmsi },
        imo: Some(9_134_270),
        callsign: AisText::from_str_lossy("9V1234"),
        shipname: AisText::from_str_lossy(name),
        shiptype: 70,
        dimensions: Dimensions { to_bow: 150, to_stern: 50, to_port: 15, to_starboard: 15 },
        eta: Eta { month: Some(12), day: Some(2), hour: Some(6), minute: Some(30) },
        draught: Some(9.5),
        destination: AisText::from_str_lossy("SGSIN"),
        ..StaticAndVoyage::default()
    })
}

fn lines(message: &AisMessage, time: Option<i64>) -> Vec<String> {
    to_sentences(message, &SentenceOptions { time, ..SentenceOptions::default() })
}

fn pipeline() -> Pipeline {
    Pipeline::new(Picture::new(DetectorConfig::default(), Vec::new(), Watchlist::default()), Some(Tracks::default()))
}

fn feed_all(p: &mut Pipeline, source: TimeSource, lines: &[String], received: i64) -> Vec<hl_detect::Alert> {
    let mut alerts = Vec::new();
    for line in lines {
        p.feed(0, source, line.as_bytes(), received, &mut alerts);
    }
    alerts
}

#[test]
fn tracks_merge_positions_with_static_and_voyage_data() {
    let mut p = pipeline();
    feed_all(&mut p, TimeSource::Live, &lines(&position_message(563_808_000, 1.25, 103.85, 12.0, 90.0), None), T0);
    feed_all(&mut p, TimeSource::Live, &lines(&static_message(563_808_000, "EVER DIADEM"), None), T0 + 5);
    let track = p.tracks().and_then(|t| t.get(563_808_000)).cloned().unwrap_or_default();
    let s = &track.state;
    assert_eq!((s.lat, s.lon, s.speed(), s.course()), (Some(1.25), Some(103.85), Some(12.0), Some(90.0)));
    assert_eq!((s.name(), s.callsign(), s.imo), (Some("EVER DIADEM"), Some("9V1234"), Some(9_134_270)));
    assert_eq!((s.ship_type, s.length_m(), s.beam_m()), (Some(70), Some(200), Some(30)));
    assert_eq!((s.destination(), s.eta(), s.draught_m()), (Some("SGSIN"), Some("12-02T06:30"), Some(9.5)));
    assert_eq!((s.position_time, s.last_seen, s.messages), (Some(T0), T0 + 5, 2));
    assert_eq!(track.history.len(), 1);
}

#[test]
fn invalid_positions_never_enter_a_track() {
    let mut p = pipeline();
    for (lat, lon) in [(91.0, 181.0), (95.0, 103.0)] {
        let m = AisMessage::Position(PositionReport {
            header: Header { message_type: 1, repeat: 0, mmsi: 563_808_000 },
            lat: Some(lat),
            lon: Some(lon),
            ..PositionReport::default()
        });
        feed_all(&mut p, TimeSource::Live, &lines(&m, None), T0);
    }
    assert_eq!(p.counts().invalid_positions, 2);
    assert!(p.tracks().and_then(|t| t.get(563_808_000)).is_none(), "no track from invalid positions alone");
}

#[test]
fn history_is_down_sampled_and_bounded() {
    let config = TrackConfig {
        history_interval_s: 60,
        history_turn_deg: 20.0,
        history_retention_s: 3_600,
        history_points_max: 50,
    };
    let mut p = Pipeline::new(
        Picture::new(DetectorConfig::default(), Vec::new(), Watchlist::default()),
        Some(Tracks::new(config)),
    );
    let start = Position::new(1.2, 103.8).unwrap_or_else(|| panic!());
    // Ten seconds apart for two hours, steady course: one point a minute, the last hour kept.
    for i in 0..720 {
        let at = start.destination(90.0, 10.0 * 0.5144 * 10.0 * f64::from(i));
        let m = position_message(563_808_000, at.lat(), at.lon(), 10.0, 90.0);
        feed_all(&mut p, TimeSource::Recorded, &lines(&m, Some(T0 + 10 * i64::from(i))), 0);
    }
    let history = &p.tracks().and_then(|t| t.get(563_808_000)).cloned().unwrap_or_default().history;
    assert_eq!(history.len(), 50, "capped at history_points_max");
    assert!(history.iter().zip(history.iter().skip(1)).all(|(a, b)| b.time - a.time == 60));
    // A turn is kept even within the interval.
    let last = history.back().map(|h| h.time).unwrap_or_default();
    assert_eq!(last, T0 + 7_140);
    let m = position_message(563_808_000, 1.2, 103.9, 10.0, 180.0);
    feed_all(&mut p, TimeSource::Recorded, &lines(&m, Some(T0 + 7_195)), 0);
    let history = &p.tracks().and_then(|t| t.get(563_808_000)).cloned().unwrap_or_default().history;
    assert_eq!(history.back().map(|h| h.time), Some(T0 + 7_195), "a 90° turn 55 s after the last point");
}

#[test]
fn area_and_radius_queries_use_the_grid_and_cross_the_antimeridian() {
    let mut tracks = Tracks::default();
    let places = [(1, 1.26, 103.84), (2, 1.36, 103.55), (3, 3.0, 101.39), (4, -17.7, 179.95), (5, -17.8, -179.9)];
    for (mmsi, lat, lon) in places {
        let report = hl_detect::PositionReport {
            mmsi,
            time: T0,
            position: Position::new(lat, lon).unwrap_or_else(|| panic!()),
            speed: Some(1.0),
            course: None,
            heading: None,
            class: hl_detect::VesselClass::A,
            status: None,
        };
        tracks.apply(mmsi, T0, &Observation { position: Some(report), ..Observation::default() });
    }
    let mmsis = |found: Vec<&Track>| found.iter().map(|t| t.state.mmsi).collect::<Vec<_>>();
    let straits = Area::new(1.0, 103.0, 1.5, 104.5).unwrap_or_else(|| panic!());
    assert_eq!(mmsis(tracks.in_area(&straits, 100)), [1, 2]);
    let fiji = Area::new(-18.0, 179.0, -17.0, -179.0).unwrap_or_else(|| panic!());
    assert_eq!(mmsis(tracks.in_area(&fiji, 100)), [4, 5]);
    let world = Area::new(-90.0, -180.0, 90.0, 180.0).unwrap_or_else(|| panic!());
    assert_eq!(mmsis(tracks.in_area(&world, 3)), [1, 2, 3], "limit");
    let singapore = Position::new(1.264, 103.840).unwrap_or_else(|| panic!());
    let near: Vec<u32> = tracks.within(&singapore, 40_000.0, 10).iter().map(|(t, _)| t.state.mmsi).collect();
    assert_eq!(near, [1, 2], "Tanjung Pelepas is about 33 km away, Port Klang 330 km");
    let across = Position::new(-17.75, 180.0).unwrap_or_else(|| panic!());
    assert_eq!(tracks.within(&across, 20_000.0, 10).len(), 2);
    assert!(Area::new(2.0, 0.0, 1.0, 1.0).is_none() && Area::new(0.0, 0.0, 91.0, 1.0).is_none());
    // Moving a vessel moves it between cells.
    let moved = hl_detect::PositionReport {
        mmsi: 1,
        time: T0 + 60,
        position: Position::new(3.0, 101.4).unwrap_or_else(|| panic!()),
        speed: None,
        course: None,
        heading: None,
        class: hl_detect::VesselClass::A,
        status: None,
    };
    tracks.apply(1, T0 + 60, &Observation { position: Some(moved), ..Observation::default() });
    assert_eq!(mmsis(tracks.in_area(&straits, 100)), [2]);
}

#[test]
fn live_times_refuse_implausible_tag_blocks_and_recorded_times_follow_them() {
    let mut p = pipeline();
    let m = position_message(412_000_001, 1.2, 103.8, 5.0, 10.0);
    feed_all(&mut p, TimeSource::Live, &lines(&m, Some(T0 + 3_600)), T0);
    assert_eq!(p.counts().implausible_times, 1);
    let state = p.tracks().and_then(|t| t.get(412_000_001)).map(|t| t.state.clone()).unwrap_or_default();
    assert_eq!(state.position_time, Some(T0), "reception time replaces a tag-block time an hour ahead");
    let mut recorded = pipeline();
    feed_all(&mut recorded, TimeSource::Recorded, &lines(&m, None), T0);
    assert_eq!(recorded.counts().untimed, 1, "a recording without any time yet");
    feed_all(&mut recorded, TimeSource::Recorded, &lines(&m, Some(T0 - 50)), T0);
    assert_eq!(recorded.clock(0), Some(T0 - 50));
}

#[test]
fn detectors_run_on_the_fed_lines() {
    let mut p = pipeline();
    // MID 100 is unallocated: an invalid MMSI.
    let alerts =
        feed_all(&mut p, TimeSource::Live, &lines(&position_message(100_000_001, 1.2, 103.8, 5.0, 10.0), None), T0);
    assert_eq!(alerts.iter().map(|a| a.kind).collect::<Vec<_>>(), [AlertKind::InvalidMmsi]);
    let mut sink = Vec::new();
    assert_eq!(p.feed(0, TimeSource::Live, b"garbage\xff", T0, &mut sink), Fed::Rejected(hl_ais::ErrorKind::Malformed));
}

#[test]
fn short_texts_cut_at_character_boundaries_and_round_trip_through_json() {
    let text = tracks::ShortText::<7>::new("ÉÉÉÉ");
    assert_eq!(text.as_str(), "ÉÉÉ", "7 bytes hold three two-byte characters");
    let mut p = pipeline();
    feed_all(&mut p, TimeSource::Live, &lines(&static_message(563_808_000, "EVER DIADEM"), None), T0);
    feed_all(&mut p, TimeSource::Live, &lines(&position_message(563_808_000, 1.25, 103.85, 12.3, 271.4), None), T0 + 1);
    let track = p.tracks().and_then(|t| t.get(563_808_000)).cloned().unwrap_or_default();
    let json = serde_json::to_string(&track).unwrap_or_default();
    let back: Track = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(back, track);
    assert_eq!(
        (back.state.name(), back.state.speed(), back.state.course()),
        (Some("EVER DIADEM"), Some(12.3), Some(271.4))
    );
}

/// The real AISHub capture (gpsd's `ais-nmea-sample.log`, 85,187 lines, 10,335 vessels).
fn real_capture() -> Vec<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais/gpsd/ais-nmea-sample.log");
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec()).collect()
}

#[test]
fn a_receiver_going_quiet_is_one_feed_alert_not_a_gap_per_vessel() {
    // The capture arrives live over ten minutes (times of reception), then the receiver stops.
    let capture = real_capture();
    let mut p = pipeline();
    p.name_feed(0, "aishub", true);
    let mut alerts = Vec::new();
    let per_second = capture.len() as i64 / 600 + 1;
    for (i, line) in capture.iter().enumerate() {
        p.feed(0, TimeSource::Reception, line, T0 + i as i64 / per_second, &mut alerts);
    }
    assert!(alerts.iter().all(|a| a.kind != AlertKind::AisGap && a.kind != AlertKind::FeedSilent));
    let end = T0 + 600;
    // An hour later: one alert for the feed; no vessel's silence is a gap of its own.
    let swept = p.sweep(end + 3_600);
    let kinds: Vec<AlertKind> = swept.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AlertKind::FeedSilent], "{swept:?}");
    assert_eq!(swept[0].feed.as_deref(), Some("aishub"));
    assert!(swept[0].detail.contains("silent for 60 min"), "{}", swept[0].detail);
    // The same vessels silent while the feed carries on (another vessel keeps it alive): gaps.
    let mut p = pipeline();
    p.name_feed(0, "aishub", true);
    for (i, line) in capture.iter().enumerate() {
        p.feed(0, TimeSource::Reception, line, T0 + i as i64 / per_second, &mut alerts);
    }
    let keeper = lines(&position_message(563_808_000, 1.25, 103.85, 12.0, 90.0), None);
    let mut t = end;
    while t < end + 3_600 {
        feed_all(&mut p, TimeSource::Reception, &keeper, t);
        t += 60;
    }
    let gaps = p.sweep(end + 3_600).iter().filter(|a| a.kind == AlertKind::AisGap).count();
    assert!(gaps > 50, "{gaps} gaps: vessels silent while their feed is not are gaps");
}

#[test]
fn a_replayed_recording_runs_on_its_own_clock() {
    // The capture is from 2012: replayed, its vessels are judged on the recording's clock, not
    // against today's wall clock (which would make every one of them silent for 14 years).
    let lines = real_capture();
    let mut p = pipeline();
    p.name_feed(0, "replay", true);
    let mut alerts = Vec::new();
    for line in &lines {
        p.feed(0, TimeSource::Recorded, line, 0, &mut alerts);
    }
    let wall_clock = T0;
    let swept = p.sweep(wall_clock);
    assert!(swept.is_empty(), "{} alerts, first {:?}", swept.len(), swept.first());
    assert!(p.clock(0).is_some_and(|t| t < 1_400_000_000));
}

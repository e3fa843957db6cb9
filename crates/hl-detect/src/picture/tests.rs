use hl_geo::{NAUTICAL_MILE_M, Position, Zone, ZoneKind};

use super::*;
use crate::imo_valid;
use crate::watchlist::WatchlistEntry;

const SHIP: u32 = 563_808_000;
const T0: i64 = 1_763_900_000;

fn at(lat: f64, lon: f64) -> Position {
    Position::new(lat, lon).unwrap_or_else(|| panic!("{lat},{lon}"))
}

fn report(mmsi: u32, time: i64, position: Position, speed: f64) -> PositionReport {
    PositionReport {
        mmsi,
        time,
        position,
        speed: Some(speed),
        course: Some(90.0),
        heading: Some(90),
        class: VesselClass::A,
        status: Some(0),
    }
}

fn picture(zones: Vec<Zone>) -> Picture {
    Picture::new(DetectorConfig::default(), zones, Watchlist::default())
}

fn kinds(alerts: &[Alert]) -> Vec<AlertKind> {
    alerts.iter().map(|a| a.kind).collect()
}

/// A vessel steaming east at `speed` kn from `start`, one report every `every` seconds.
fn steam(p: &mut Picture, mmsi: u32, start: Position, from: i64, to: i64, every: i64, speed: f64) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let mut t = from;
    while t <= to {
        let travelled = speed * NAUTICAL_MILE_M / 3_600.0 * (t - from) as f64;
        alerts.extend(p.observe_position(&report(mmsi, t, start.destination(90.0, travelled), speed)));
        t += every;
    }
    alerts
}

#[test]
fn zone_entry_dwell_and_exit() {
    let mut zone = Zone::rectangle("tss", ZoneKind::Restricted, 1.20, 103.80, 1.22, 103.82);
    zone.dwell_seconds = Some(600);
    let mut p = picture(vec![zone]);
    // 2 kn eastwards through a 2.2 km wide box: about 36 minutes inside.
    let alerts = steam(&mut p, SHIP, at(1.21, 103.79), T0, T0 + 4 * 3_600, 60, 2.0);
    assert_eq!(kinds(&alerts), [AlertKind::ZoneEntry, AlertKind::ZoneDwell, AlertKind::ZoneExit]);
    let (entry, dwell, exit) = (&alerts[0], &alerts[1], &alerts[2]);
    assert_eq!(entry.zone.as_deref(), Some("tss"));
    assert_eq!(entry.severity, Severity::High, "restricted zone");
    assert_eq!(dwell.start, entry.start);
    assert!(dwell.end - dwell.start >= 600);
    assert_eq!(exit.start, entry.start);
    let inside_min = (exit.end - exit.start) / 60;
    assert!((30..=40).contains(&inside_min), "{inside_min} min inside");
}

#[test]
fn zone_filters_exempt_other_vessel_types() {
    let mut zone = Zone::rectangle("tankers", ZoneKind::Anchorage, 1.20, 103.80, 1.22, 103.82);
    zone.filter.ship_types = vec![(80, 89)];
    let mut p = picture(vec![zone]);
    p.observe_static(&StaticReport { mmsi: SHIP, time: T0, ship_type: Some(70), ..StaticReport::default() });
    assert!(steam(&mut p, SHIP, at(1.21, 103.79), T0, T0 + 3_600, 60, 5.0).is_empty());
}

#[test]
fn a_single_impossible_position_is_one_jump_and_a_real_move_is_accepted() {
    let mut p = picture(vec![]);
    let mut alerts = steam(&mut p, SHIP, at(1.0, 104.0), T0, T0 + 600, 10, 10.0);
    // One report 50 km away, then back on track.
    alerts.extend(p.observe_position(&report(SHIP, T0 + 610, at(1.45, 104.0), 10.0)));
    alerts.extend(steam(
        &mut p,
        SHIP,
        at(1.0, 104.0).destination(90.0, 10.0 * 1_852.0 / 3_600.0 * 620.0),
        T0 + 620,
        T0 + 1_300,
        10,
        10.0,
    ));
    // Held for the duplicate window (10 min) in case it starts a shared-MMSI pattern, then released.
    assert_eq!(kinds(&alerts), [AlertKind::PositionJump]);
    assert!(alerts[0].detail.contains("km in 10 s"), "{}", alerts[0].detail);
    assert!((alerts[0].lat - 1.45).abs() < 1e-9);
    // The same MMSI reappearing far away and staying there: one jump, then a new normal track.
    let mut p = picture(vec![]);
    let mut alerts = steam(&mut p, SHIP, at(1.0, 104.0), T0, T0 + 600, 10, 10.0);
    alerts.extend(steam(&mut p, SHIP, at(2.0, 104.0), T0 + 610, T0 + 1_200, 10, 10.0));
    alerts.extend(p.finish(T0 + 1_210));
    assert_eq!(kinds(&alerts), [AlertKind::PositionJump]);
}

#[test]
fn gaps_need_prior_coverage_and_scale_with_the_reporting_interval() {
    let mut p = picture(vec![]);
    let mut alerts = steam(&mut p, SHIP, at(1.0, 104.0), T0, T0 + 600, 10, 12.0);
    // Silent 20 minutes at 12 kn (expected every 10 s), still on course: a gap, nothing else.
    let resumed = at(1.0, 104.0).destination(90.0, 12.0 * NAUTICAL_MILE_M / 3_600.0 * 1_800.0);
    alerts.extend(steam(&mut p, SHIP, resumed, T0 + 1_800, T0 + 1_900, 10, 12.0));
    assert_eq!(kinds(&alerts), [AlertKind::AisGap]);
    assert_eq!((alerts[0].start, alerts[0].end), (T0 + 600, T0 + 1_800));

    // A moored ship (3-minute interval) silent for an hour: not a gap.
    let mut p = picture(vec![]);
    let moored = |t| PositionReport { status: Some(5), speed: Some(0.0), ..report(SHIP, t, at(1.26, 103.84), 0.0) };
    for i in 0..10 {
        p.observe_position(&moored(T0 + i * 180));
    }
    assert!(p.observe_position(&moored(T0 + 1_800 + 3_600)).is_empty());

    // A vessel heard only twice before falling silent: not enough coverage to call it a gap.
    let mut p = picture(vec![]);
    p.observe_position(&report(SHIP, T0, at(1.0, 104.0), 12.0));
    p.observe_position(&report(SHIP, T0 + 10, at(1.0, 104.001), 12.0));
    assert!(p.observe_position(&report(SHIP, T0 + 7_200, at(1.0, 104.4), 12.0)).is_empty());
}

#[test]
fn still_silent_at_the_end_of_the_data_is_a_gap_too() {
    let mut p = picture(vec![Zone::rectangle("port", ZoneKind::Port, 0.9, 103.9, 1.1, 104.1)]);
    steam(&mut p, SHIP, at(1.0, 104.0), T0, T0 + 600, 10, 12.0);
    let alerts = p.finish(T0 + 4_000);
    assert_eq!(kinds(&alerts), [AlertKind::AisGap]);
    assert_eq!(alerts[0].severity, Severity::High, "went dark inside a zone");
}

#[test]
fn sustained_drift_is_one_episode_and_brief_crabbing_is_none() {
    let mut p = picture(vec![]);
    let crab = |t, heading| PositionReport {
        heading: Some(heading),
        ..report(SHIP, t, at(1.0, 104.0 + (t - T0) as f64 * 1e-6), 3.0)
    };
    let mut alerts = Vec::new();
    for i in 0..60 {
        alerts.extend(p.observe_position(&crab(T0 + i * 10, 150)));
    }
    alerts.extend(p.observe_position(&crab(T0 + 600, 95)));
    assert_eq!(kinds(&alerts), [AlertKind::Drift]);
    assert_eq!((alerts[0].start, alerts[0].end), (T0, T0 + 590));
    for i in 61..70 {
        alerts.extend(p.observe_position(&crab(T0 + i * 10, 150)));
    }
    alerts.extend(p.observe_position(&crab(T0 + 700, 90)));
    assert_eq!(alerts.len(), 1, "90 s of crabbing is not drift");
}

#[test]
fn identity_changes_follow_the_acceptance_rule() {
    let mut p = picture(vec![]);
    let name = |t, n: &str| StaticReport { mmsi: SHIP, time: t, name: Some(n.to_owned()), ..StaticReport::default() };
    let mut alerts = Vec::new();
    for i in 0..5 {
        alerts.extend(p.observe_static(&name(T0 + i, "EVER DIADEM")));
    }
    alerts.extend(p.observe_static(&name(T0 + 5, "NOISE")));
    for i in 0..3 {
        alerts.extend(p.observe_static(&name(T0 + 10 + i, "EVER DIADEM")));
    }
    assert!(alerts.is_empty(), "a single odd value is noise: {alerts:?}");
    for i in 0..30 {
        alerts.extend(p.observe_static(&name(T0 + 20 + i, "OCEAN PRIDE")));
    }
    assert_eq!(kinds(&alerts), [AlertKind::IdentityChange]);
    assert!(alerts[0].detail.contains("`EVER DIADEM` to `OCEAN PRIDE`"), "{}", alerts[0].detail);
}

#[test]
fn invalid_mmsi_and_watch_list_hits_are_reported_once() {
    let list = Watchlist::parse("mmsi,imo,name,callsign,reason\n,,OCEAN PRIDE,,dark fleet\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut p = Picture::new(DetectorConfig::default(), vec![], list);
    let alerts = steam(&mut p, 123_456_789, at(1.0, 104.0), T0, T0 + 100, 10, 5.0);
    assert_eq!(kinds(&alerts), [AlertKind::InvalidMmsi]);
    let hit = p.observe_static(&StaticReport {
        mmsi: SHIP,
        time: T0,
        name: Some("Ocean  Pride".into()),
        ..StaticReport::default()
    });
    assert_eq!(kinds(&hit), [AlertKind::WatchlistHit]);
    assert!(hit[0].detail.contains("dark fleet"));
    let again = p.observe_static(&StaticReport {
        mmsi: SHIP,
        time: T0 + 1,
        name: Some("OCEAN PRIDE".into()),
        ..StaticReport::default()
    });
    assert!(again.is_empty());
}

#[test]
fn repeats_and_out_of_order_reports_are_skipped_and_counted() {
    let mut p = picture(vec![]);
    let r = report(SHIP, T0, at(1.0, 104.0), 5.0);
    p.observe_position(&r);
    assert!(p.observe_position(&r).is_empty());
    assert!(p.observe_position(&report(SHIP, T0 - 60, at(2.0, 104.0), 5.0)).is_empty(), "no jump from an old report");
    assert_eq!((p.skipped_repeats, p.skipped_out_of_order), (1, 1));
}

#[test]
fn loitering_outside_anchorages_but_not_inside() {
    let anchorage = Zone::rectangle("anch", ZoneKind::Anchorage, 1.25, 103.95, 1.27, 103.97);
    let mut p = picture(vec![anchorage]);
    // Three hours at 0.5 kn in open water, then under way: one loitering episode.
    let mut alerts = steam(&mut p, SHIP, at(1.10, 104.20), T0, T0 + 3 * 3_600, 60, 0.5);
    let drifted = at(1.10, 104.20).destination(90.0, 0.5 * NAUTICAL_MILE_M * 3.0);
    alerts.extend(steam(&mut p, SHIP, drifted, T0 + 3 * 3_600 + 60, T0 + 3 * 3_600 + 600, 10, 12.0));
    assert_eq!(kinds(&alerts), [AlertKind::Loitering]);
    assert!(alerts[0].end - alerts[0].start >= 3 * 3_600 - 60);
    // The same inside the anchorage: nothing.
    let mut p = picture(vec![Zone::rectangle("anch", ZoneKind::Anchorage, 1.25, 103.95, 1.27, 103.97)]);
    let mut alerts = steam(&mut p, SHIP, at(1.26, 103.96), T0, T0 + 3 * 3_600, 60, 0.5);
    alerts.extend(p.finish(T0 + 3 * 3_600 + 60));
    assert!(!kinds(&alerts).contains(&AlertKind::Loitering), "{alerts:?}");
}

#[test]
fn two_slow_vessels_side_by_side_for_hours_are_one_encounter() {
    let other = 477_123_456;
    let mut p = picture(vec![]);
    let mut alerts = Vec::new();
    for i in 0..(3 * 60) {
        let t = T0 + i * 60;
        alerts.extend(p.observe_position(&report(SHIP, t, at(1.10, 104.20), 0.5)));
        alerts.extend(p.observe_position(&report(other, t + 5, at(1.1015, 104.2010), 0.5)));
    }
    let encounters: Vec<&Alert> = alerts.iter().filter(|a| a.kind == AlertKind::Encounter).collect();
    assert_eq!(encounters.len(), 1, "{alerts:?}");
    let e = encounters[0];
    assert_eq!((e.mmsi.min(e.mmsi_2.unwrap_or(0)), e.mmsi.max(e.mmsi_2.unwrap_or(0))), (other, SHIP));
    assert!(e.end - e.start >= 2 * 3_600);
    // Two slow vessels 5 km apart: none.
    let mut p = picture(vec![]);
    let mut alerts = Vec::new();
    for i in 0..(3 * 60) {
        let t = T0 + i * 60;
        alerts.extend(p.observe_position(&report(SHIP, t, at(1.10, 104.20), 0.5)));
        alerts.extend(p.observe_position(&report(other, t + 5, at(1.145, 104.20), 0.5)));
    }
    assert!(!kinds(&alerts).contains(&AlertKind::Encounter));
}

fn p_jumps(alerts: &[Alert]) -> usize {
    alerts.iter().filter(|a| a.kind == AlertKind::PositionJump).count()
}

#[test]
fn one_mmsi_in_two_places_is_a_duplicate_not_a_stream_of_jumps() {
    let mut p = picture(vec![]);
    let mut alerts = Vec::new();
    // Two transmitters 60 km apart, alternating every 10 s for 20 minutes.
    for i in 0..120 {
        let t = T0 + i * 10;
        let where_ = if i % 2 == 0 { at(1.0, 104.0) } else { at(1.5, 104.2) };
        alerts.extend(p.observe_position(&report(SHIP, t, where_, 0.0)));
    }
    let jumps = alerts.iter().filter(|a| a.kind == AlertKind::PositionJump).count();
    let duplicates = alerts.iter().filter(|a| a.kind == AlertKind::DuplicateMmsi).count();
    alerts.extend(p.finish(T0 + 1_300));
    let jumps = jumps + p_jumps(&alerts[alerts.len()..]);
    assert_eq!(duplicates, 1, "{alerts:?}");
    assert_eq!(jumps, 0, "the jumps that began the pattern are not reported on their own");
}

#[test]
fn a_position_well_inland_is_reported_once_per_spell() {
    let mut p = picture(vec![]).with_land(hl_geo::Land::natural_earth());
    // Steaming in the Singapore Strait, then a transponder placed inland in Johor.
    let mut alerts = steam(&mut p, SHIP, at(1.20, 103.80), T0, T0 + 300, 10, 1.0);
    let inland = |t| PositionReport { speed: Some(0.0), ..report(SHIP, t, at(1.9, 103.4), 0.0) };
    for i in 0..6 {
        alerts.extend(p.observe_position(&inland(T0 + 10_000 + i * 60)));
    }
    let on_land: Vec<&Alert> = alerts.iter().filter(|a| a.kind == AlertKind::PositionOnLand).collect();
    assert_eq!(on_land.len(), 1, "{alerts:?}");
    assert!(on_land[0].detail.contains("from any coast"), "{}", on_land[0].detail);
    // A ship at a quay, within the coastline's accuracy, is not "on land".
    let mut p = picture(vec![]).with_land(hl_geo::Land::natural_earth());
    let quay = steam(&mut p, 477_000_001, at(1.2653, 103.8200), T0, T0 + 600, 60, 0.0);
    assert!(!kinds(&quay).contains(&AlertKind::PositionOnLand), "{quay:?}");
}

#[test]
fn static_data_inconsistent_with_behaviour_is_an_identity_anomaly() {
    // A declared tug at 24 kn for ten minutes.
    let mut p = picture(vec![]);
    p.observe_static(&StaticReport {
        mmsi: SHIP,
        time: T0,
        ship_type: Some(52),
        imo: Some(9_134_270),
        ..StaticReport::default()
    });
    let alerts = steam(&mut p, SHIP, at(1.0, 104.0), T0, T0 + 600, 10, 24.0);
    assert_eq!(kinds(&alerts), [AlertKind::StaticDataInvalid]);
    assert_eq!(alerts[0].severity, Severity::Low);
    assert!(alerts[0].detail.contains("declared ship type 52"), "{}", alerts[0].detail);
    // A tug at 9 kn is fine; a cargo ship has no ceiling.
    let mut p = picture(vec![]);
    p.observe_static(&StaticReport { mmsi: SHIP, time: T0, ship_type: Some(52), ..StaticReport::default() });
    assert!(steam(&mut p, SHIP, at(1.0, 104.0), T0, T0 + 600, 10, 9.0).is_empty());
    // A bad IMO check digit and an impossible length, once each.
    let mut p = picture(vec![]);
    let bad =
        StaticReport { mmsi: SHIP, time: T0, imo: Some(9_134_271), length_m: Some(900.0), ..StaticReport::default() };
    let alerts = p.observe_static(&bad);
    // Data-quality findings, not changes of identity: the vessel's identity never changed.
    assert_eq!(kinds(&alerts), [AlertKind::StaticDataInvalid, AlertKind::StaticDataInvalid]);
    assert!(alerts[1].detail.contains("check digit"), "{}", alerts[1].detail);
    assert!(p.observe_static(&StaticReport { time: T0 + 360, ..bad }).is_empty());
    assert!(imo_valid(9_134_270) && !imo_valid(9_134_271) && !imo_valid(123));
}

#[test]
fn a_live_sweep_reports_a_vessel_gone_dark_once_and_its_return_again() {
    let mut p = picture(vec![Zone::rectangle("anch", ZoneKind::Anchorage, 1.0, 103.0, 1.5, 104.5)]);
    steam(&mut p, SHIP, at(1.21, 103.79), T0, T0 + 600, 10, 10.0);
    // 10 kn: expected every 10 s, so silence beyond max(600 s, 900 s) = 900 s is a gap.
    assert!(p.sweep(0, T0 + 600 + 800).is_empty(), "not yet past the threshold");
    let swept = p.sweep(0, T0 + 600 + 1_000);
    assert_eq!(kinds(&swept), [AlertKind::AisGap]);
    assert_eq!((swept[0].start, swept[0].end), (T0 + 600, T0 + 1_600));
    assert_eq!(swept[0].severity, Severity::High, "went dark inside a zone");
    assert!(p.sweep(0, T0 + 600 + 5_000).is_empty(), "one silence is reported once");
    // The vessel comes back: the whole silence is reported again, for the gate to merge.
    let back = p.observe_position(&report(SHIP, T0 + 6_000, at(1.21, 103.85), 10.0));
    let gap = back.iter().find(|a| a.kind == AlertKind::AisGap).map(|a| (a.start, a.end));
    assert_eq!(gap, Some((T0 + 600, T0 + 6_000)));
}

#[test]
fn replacing_zones_keeps_vessels_inside_the_zones_that_remain() {
    let keep = Zone::rectangle("keep", ZoneKind::Restricted, 1.20, 103.80, 1.22, 103.82);
    let gone = Zone::rectangle("gone", ZoneKind::Restricted, 1.20, 103.80, 1.22, 103.82);
    let mut p = picture(vec![gone, keep.clone()]);
    let first = p.observe_position(&report(SHIP, T0, at(1.21, 103.81), 1.0));
    assert_eq!(kinds(&first), [AlertKind::ZoneEntry, AlertKind::ZoneEntry]);
    let added = Zone::rectangle("added", ZoneKind::Restricted, 1.20, 103.80, 1.22, 103.82);
    p.set_zones(vec![keep, added]);
    let next = p.observe_position(&report(SHIP, T0 + 10, at(1.21, 103.8101), 1.0));
    let zones: Vec<_> = next.iter().map(|a| (a.kind, a.zone.clone().unwrap_or_default())).collect();
    assert_eq!(zones, [(AlertKind::ZoneEntry, String::from("added"))], "no second entry into `keep`");
}

#[test]
fn an_entry_added_after_a_hit_reports_the_vessel_too_and_kept_entries_stay_quiet() {
    let entry = |id: &str, reason: &str| WatchlistEntry {
        id: Some(id.into()),
        mmsi: Some(SHIP),
        imo: None,
        name: None,
        callsign: None,
        reason: reason.into(),
    };
    let mut p = Picture::new(DetectorConfig::default(), vec![], Watchlist::from_entries([entry("a", "port A")]));
    let first = steam(&mut p, SHIP, at(1.0, 104.0), T0, T0 + 20, 10, 5.0);
    assert_eq!(first.iter().filter_map(|a| a.watch_entry.as_deref()).collect::<Vec<_>>(), ["a"]);
    // Another organization lists the same vessel; the list is replaced (new positions).
    p.set_watchlist(Watchlist::from_entries([entry("b", "port B"), entry("a", "port A")]));
    let next = steam(&mut p, SHIP, at(1.0, 104.01), T0 + 30, T0 + 50, 10, 5.0);
    let hits: Vec<_> = next.iter().filter_map(|a| a.watch_entry.as_deref()).collect();
    assert_eq!(hits, ["b"], "b hits once; a already reported this vessel");
}

/// Two vessels heard through feed 1, one through feed 2, reporting every 10 s from `from` to `to`.
fn two_feeds(p: &mut Picture, from: i64, to: i64, feed_2_until: i64) {
    p.name_feed(1, "north-rx", true);
    p.name_feed(2, "south-rx", true);
    let mut t = from;
    while t <= to {
        for (feed, mmsi, lon) in [(1, SHIP, 103.79), (1, SHIP + 1, 103.70), (2, SHIP + 2, 104.20)] {
            if feed == 2 && t > feed_2_until {
                continue;
            }
            p.heard(feed, t);
            p.observe_position(&report(mmsi, t, at(1.21, lon), 10.0));
        }
        t += 10;
    }
}

#[test]
fn a_silent_feed_is_one_alert_and_explains_the_silence_of_the_vessels_it_heard() {
    let mut p = picture(vec![]);
    // Feed 1 stops at T0 + 600; feed 2 keeps going.
    two_feeds(&mut p, T0, T0 + 600, i64::MAX);
    assert!(p.sweep(1, T0 + 600 + 200).is_empty(), "not silent for 5 minutes yet");
    let swept = p.sweep(1, T0 + 600 + 2_000);
    assert_eq!(kinds(&swept), [AlertKind::FeedSilent], "no gap for the two vessels the feed heard");
    let silent = &swept[0];
    assert_eq!((silent.mmsi, silent.feed.as_deref(), silent.start), (0, Some("north-rx"), T0 + 600));
    assert!(silent.detail.contains("`north-rx` silent for 33 min"), "{}", silent.detail);
    assert!(p.sweep(1, T0 + 600 + 3_000).is_empty(), "one silence, one alert");
    // The feed comes back: its vessels' silences were its own, not gaps.
    let back = T0 + 4_000;
    p.heard(1, back);
    let returned = p.observe_position(&report(SHIP, back, at(1.21, 103.80), 10.0));
    assert!(!kinds(&returned).contains(&AlertKind::AisGap), "{returned:?}");
    // A silence the feed does not explain is still a gap: the feed carries on without SHIP + 1.
    let mut t = back;
    while t <= back + 2_000 {
        p.heard(1, t);
        p.observe_position(&report(SHIP, t, at(1.21, 103.80), 10.0));
        t += 10;
    }
    let swept = p.sweep(1, back + 2_000);
    assert_eq!(kinds(&swept), [AlertKind::AisGap]);
    assert_eq!(swept[0].mmsi, SHIP + 1);
}

#[test]
fn a_feed_that_keeps_going_reports_its_vessels_gaps_and_an_unwatched_feed_is_never_silent() {
    let mut p = picture(vec![]);
    // Feed 2's only vessel goes quiet at T0 + 600 while feed 1 keeps going: feed 2 itself falls
    // silent (its one vessel was all it heard), so its silence explains the vessel's.
    two_feeds(&mut p, T0, T0 + 3_000, T0 + 600);
    let swept = p.sweep(2, T0 + 3_000);
    assert_eq!(kinds(&swept), [AlertKind::FeedSilent]);
    assert_eq!(swept[0].feed.as_deref(), Some("south-rx"));
    assert!(p.sweep(1, T0 + 3_000).is_empty(), "feed 1 and its vessels are fine");
    // An HTTP-like feed, not watched: no feed alert, and the vessel's silence is a gap.
    let mut p = picture(vec![]);
    p.name_feed(3, "http", false);
    for i in 0..60 {
        p.heard(3, T0 + i * 10);
        p.observe_position(&report(SHIP, T0 + i * 10, at(1.21, 103.79), 10.0));
    }
    assert_eq!(kinds(&p.sweep(3, T0 + 3_000)), [AlertKind::AisGap]);
}

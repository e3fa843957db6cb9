//! `harborlink analyze FILE`: yesterday's traffic through the same detectors as the live node.
//! Alerts go to stdout as JSON lines, a summary to stderr.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::Context;
use hl_ais::{AisMessage, Decoder, PartBTail, StaticDataReport};
use hl_detect::{Alert, DetectorConfig, Picture, PositionReport, StaticReport, VesselClass, Watchlist};
use hl_geo::Position;
use serde_json::json;

use crate::ais::{Line, Lines};
use crate::cli::AnalyzeArgs;

/// The largest forward step base stations may make the file's clock take.
const BASE_STATION_STEP_MAX_S: i64 = 3_600;
/// Base-station times kept; the clock is their median.
const BASE_STATION_WINDOW: usize = 9;
/// Base-station times needed before the clock starts.
const BASE_STATION_QUORUM: usize = 5;

/// A base station's (type 4) complete UTC time, as Unix seconds.
fn base_station_time(message: &AisMessage) -> Option<i64> {
    let AisMessage::BaseStation(m) = message else { return None };
    if m.header.message_type != 4 {
        return None;
    }
    let t = m.time;
    let date =
        jiff::civil::Date::new(i16::try_from(t.year?).ok()?, i8::try_from(t.month?).ok()?, i8::try_from(t.day?).ok()?)
            .ok()?;
    let time = jiff::civil::Time::new(
        i8::try_from(t.hour?).ok()?,
        i8::try_from(t.minute?).ok()?,
        i8::try_from(t.second?).ok()?,
        0,
    )
    .ok()?;
    let zoned = date.to_datetime(time).to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(zoned.timestamp().as_second())
}

fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map(|t| t.to_string()).unwrap_or_default()
}

fn alert_json(a: &Alert) -> serde_json::Value {
    json!({
        "kind": a.kind.as_str(), "mmsi": a.mmsi, "mmsi_2": a.mmsi_2,
        "start": rfc3339(a.start), "end": rfc3339(a.end),
        "lat": a.lat, "lon": a.lon, "severity": a.severity.as_str(),
        "detail": a.detail, "zone": a.zone,
    })
}

/// What a decoded message contributes to the picture.
enum Observation {
    Position(PositionReport),
    Static(StaticReport),
    Both(PositionReport, StaticReport),
    Nothing,
}

/// Invalid positions (out of range, "not available") never reach a track: `None`.
fn position(lat: Option<f64>, lon: Option<f64>) -> Option<Position> {
    Position::new(lat?, lon?)
}

fn observe(message: &AisMessage, time: i64) -> (Observation, bool) {
    let mmsi = message.mmsi();
    let length = |bow: u16, stern: u16| (bow + stern > 0).then_some(f64::from(bow + stern));
    let mut invalid_position = false;
    let mut fix = |lat, lon, speed, course, heading, class, status| match position(lat, lon) {
        Some(p) => Some(PositionReport { mmsi, time, position: p, speed, course, heading, class, status }),
        None => {
            invalid_position = true;
            None
        }
    };
    let observation = match message {
        AisMessage::Position(m) => fix(m.lat, m.lon, m.speed, m.course, m.heading, VesselClass::A, Some(m.status))
            .map_or(Observation::Nothing, Observation::Position),
        AisMessage::ClassBPosition(m) => fix(m.lat, m.lon, m.speed, m.course, m.heading, VesselClass::B, None)
            .map_or(Observation::Nothing, Observation::Position),
        AisMessage::LongRange(m) => {
            fix(m.lat, m.lon, m.speed.map(f64::from), m.course.map(f64::from), None, VesselClass::A, Some(m.status))
                .map_or(Observation::Nothing, Observation::Position)
        }
        AisMessage::SarAircraft(m) => {
            fix(m.lat, m.lon, m.speed.map(f64::from), m.course, None, VesselClass::SarAircraft, None)
                .map_or(Observation::Nothing, Observation::Position)
        }
        AisMessage::ClassBExtended(m) => {
            let s = StaticReport {
                mmsi,
                time,
                name: Some(m.shipname.to_string()),
                ship_type: Some(m.shiptype),
                length_m: length(m.dimensions.to_bow, m.dimensions.to_stern),
                ..StaticReport::default()
            };
            match fix(m.lat, m.lon, m.speed, m.course, m.heading, VesselClass::B, None) {
                Some(p) => Observation::Both(p, s),
                None => Observation::Static(s),
            }
        }
        AisMessage::StaticAndVoyage(m) => Observation::Static(StaticReport {
            mmsi,
            time,
            name: Some(m.shipname.to_string()),
            callsign: Some(m.callsign.to_string()),
            imo: m.imo,
            ship_type: Some(m.shiptype),
            length_m: length(m.dimensions.to_bow, m.dimensions.to_stern),
        }),
        AisMessage::StaticData(StaticDataReport::PartA { shipname, .. }) => Observation::Static(StaticReport {
            mmsi,
            time,
            name: Some(shipname.to_string()),
            ..StaticReport::default()
        }),
        AisMessage::StaticData(StaticDataReport::PartB { shiptype, callsign, tail, .. }) => {
            let length_m = match tail {
                PartBTail::Dimensions(d) => length(d.to_bow, d.to_stern),
                PartBTail::Mothership(_) => None,
            };
            Observation::Static(StaticReport {
                mmsi,
                time,
                callsign: Some(callsign.to_string()),
                ship_type: Some(*shiptype),
                length_m,
                ..StaticReport::default()
            })
        }
        _ => Observation::Nothing,
    };
    (observation, invalid_position)
}

pub fn analyze(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let zones = match &args.zones {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            hl_geo::parse_zones(&text).with_context(|| format!("{} is not a valid zone file", path.display()))?
        }
        None => Vec::new(),
    };
    let watchlist = match &args.watchlist {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Watchlist::parse(&text).with_context(|| format!("{} is not a valid watch list", path.display()))?
        }
        None => Watchlist::default(),
    };
    let (zone_count, watch_count) = (zones.len(), watchlist.len());
    let input = File::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
    let mut lines = Lines::new(input);
    let mut decoder = Decoder::default();
    let mut picture =
        Picture::new(DetectorConfig::default(), zones, watchlist).with_land(hl_geo::Land::natural_earth_50m());
    let stdout = io::stdout().lock();
    let mut out = BufWriter::new(stdout);
    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    let (mut messages, mut undecoded, mut untimed, mut invalid_positions) = (0u64, 0u64, 0u64, 0u64);
    // Times come from NMEA 4.10 tag blocks (`c:`); a line without one inherits the last seen.
    // Files without tag blocks are timed by base stations' UTC reports (type 4): the median of
    // the last few, once there are enough, and only forward by at most an hour at a time, so a
    // base station with a wrong clock cannot throw the file's timeline off.
    let mut clock: Option<i64> = None;
    let mut stations: std::collections::VecDeque<i64> = std::collections::VecDeque::new();
    let mut emit = |alerts: Vec<Alert>, out: &mut BufWriter<_>| -> io::Result<()> {
        for a in alerts {
            *by_kind.entry(a.kind.as_str()).or_default() += 1;
            writeln!(out, "{}", alert_json(&a))?;
        }
        Ok(())
    };
    while let Some(line) = lines.next()? {
        let Line::Text(text) = line else {
            decoder.skip_line();
            undecoded += 1;
            continue;
        };
        let decoded = match decoder.feed(text) {
            Ok(Some(d)) => d,
            Ok(None) => continue,
            Err(_) => {
                undecoded += 1;
                continue;
            }
        };
        messages += 1;
        if let Some(t) = decoded.time {
            // Out-of-order tag-block times never move the clock backwards.
            clock = Some(clock.map_or(t, |c| c.max(t)));
        } else if let Some(t) = base_station_time(decoded.message) {
            if stations.len() == BASE_STATION_WINDOW {
                stations.pop_front();
            }
            stations.push_back(t);
            if stations.len() >= BASE_STATION_QUORUM {
                let mut sorted: Vec<i64> = stations.iter().copied().collect();
                sorted.sort_unstable();
                let median = sorted[sorted.len() / 2];
                clock = match clock {
                    None => Some(median),
                    Some(c) if median > c && median - c <= BASE_STATION_STEP_MAX_S => Some(median),
                    other => other,
                };
            }
        }
        let Some(time) = decoded.time.or(clock) else {
            untimed += 1;
            continue;
        };
        let (observation, invalid) = observe(decoded.message, time);
        invalid_positions += u64::from(invalid);
        match observation {
            Observation::Position(p) => emit(picture.observe_position(&p), &mut out)?,
            Observation::Static(s) => emit(picture.observe_static(&s), &mut out)?,
            Observation::Both(p, s) => {
                emit(picture.observe_static(&s), &mut out)?;
                emit(picture.observe_position(&p), &mut out)?;
            }
            Observation::Nothing => {}
        }
    }
    if let Some(end) = clock {
        emit(picture.finish(end), &mut out)?;
    }
    out.flush()?;
    let kinds: Vec<String> = by_kind.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "analyze: {} lines, {messages} messages, {} vessels, {zone_count} zones, {watch_count} watch-list entries; \
         {} alerts{}{}; skipped: {undecoded} undecodable lines, {untimed} messages before any tag-block time, \
         {invalid_positions} invalid positions, {} repeated and {} out-of-order reports",
        decoder.lines(),
        picture.vessels(),
        by_kind.values().sum::<u64>(),
        if kinds.is_empty() { "" } else { ": " },
        kinds.join(", "),
        picture.skipped_repeats,
        picture.skipped_out_of_order,
    );
    Ok(())
}

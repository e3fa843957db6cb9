//! What a decoded AIS message tells about a vessel: a position report for the detectors, static
//! data for identity checks, and voyage data for the track. Invalid positions (out of range,
//! "not available") are dropped here, so they never reach a track or a detector.

use hl_ais::{AisMessage, PartBTail, StaticDataReport};
use hl_detect::{PositionReport, StaticReport, VesselClass};
use hl_geo::Position;

/// Voyage data of a type 5 message (kept in the track; no detector uses it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Voyage {
    pub destination: Option<String>,
    /// `MM-DDTHH:MM` UTC, as transmitted (AIS sends no year).
    pub eta: Option<String>,
    pub draught_m: Option<f64>,
    /// Dimensions to bow, stern, port, starboard, metres.
    pub dimensions: Option<(u16, u16, u8, u8)>,
}

/// The parts of one message that matter to tracks and detectors.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observation {
    pub position: Option<PositionReport>,
    pub identity: Option<StaticReport>,
    pub voyage: Option<Voyage>,
    /// The message carried a position, but not a valid one.
    pub invalid_position: bool,
}

fn text(t: &impl ToString) -> Option<String> {
    let s = t.to_string();
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn length(d: &hl_ais::Dimensions) -> Option<f64> {
    let total = d.to_bow + d.to_stern;
    (total > 0).then_some(f64::from(total))
}

fn dimensions(d: &hl_ais::Dimensions) -> Option<(u16, u16, u8, u8)> {
    (d.to_bow + d.to_stern > 0 || d.to_port + d.to_starboard > 0).then_some((
        d.to_bow,
        d.to_stern,
        d.to_port,
        d.to_starboard,
    ))
}

fn eta(e: &hl_ais::Eta) -> Option<String> {
    let (month, day) = (e.month?, e.day?);
    Some(format!("{month:02}-{day:02}T{:02}:{:02}", e.hour.unwrap_or(0), e.minute.unwrap_or(0)))
}

impl Observation {
    /// Reads `message`, received at `time` (Unix seconds).
    pub fn of(message: &AisMessage, time: i64) -> Self {
        let mmsi = message.mmsi();
        let mut out = Observation::default();
        let fix = |lat: Option<f64>, lon: Option<f64>, speed, course, heading, class, status| {
            lat.zip(lon).and_then(|(lat, lon)| Position::new(lat, lon)).map(|position| PositionReport {
                mmsi,
                time,
                position,
                speed,
                course,
                heading,
                class,
                status,
            })
        };
        match message {
            AisMessage::Position(m) => {
                out.position = fix(m.lat, m.lon, m.speed, m.course, m.heading, VesselClass::A, Some(m.status));
                out.invalid_position = out.position.is_none();
            }
            AisMessage::ClassBPosition(m) => {
                out.position = fix(m.lat, m.lon, m.speed, m.course, m.heading, VesselClass::B, None);
                out.invalid_position = out.position.is_none();
            }
            AisMessage::LongRange(m) => {
                out.position = fix(
                    m.lat,
                    m.lon,
                    m.speed.map(f64::from),
                    m.course.map(f64::from),
                    None,
                    VesselClass::A,
                    Some(m.status),
                );
                out.invalid_position = out.position.is_none();
            }
            AisMessage::SarAircraft(m) => {
                out.position =
                    fix(m.lat, m.lon, m.speed.map(f64::from), m.course, None, VesselClass::SarAircraft, None);
                out.invalid_position = out.position.is_none();
            }
            AisMessage::ClassBExtended(m) => {
                out.identity = Some(StaticReport {
                    mmsi,
                    time,
                    name: text(&m.shipname),
                    ship_type: Some(m.shiptype),
                    length_m: length(&m.dimensions),
                    ..StaticReport::default()
                });
                out.voyage = Some(Voyage { dimensions: dimensions(&m.dimensions), ..Voyage::default() });
                out.position = fix(m.lat, m.lon, m.speed, m.course, m.heading, VesselClass::B, None);
                out.invalid_position = out.position.is_none();
            }
            AisMessage::StaticAndVoyage(m) => {
                out.identity = Some(StaticReport {
                    mmsi,
                    time,
                    name: text(&m.shipname),
                    callsign: text(&m.callsign),
                    imo: m.imo,
                    ship_type: Some(m.shiptype),
                    length_m: length(&m.dimensions),
                });
                out.voyage = Some(Voyage {
                    destination: text(&m.destination),
                    eta: eta(&m.eta),
                    draught_m: m.draught,
                    dimensions: dimensions(&m.dimensions),
                });
            }
            AisMessage::StaticData(StaticDataReport::PartA { shipname, .. }) => {
                out.identity = Some(StaticReport { mmsi, time, name: text(shipname), ..StaticReport::default() });
            }
            AisMessage::StaticData(StaticDataReport::PartB { shiptype, callsign, tail, .. }) => {
                let (length_m, dims) = match tail {
                    PartBTail::Dimensions(d) => (length(d), dimensions(d)),
                    PartBTail::Mothership(_) => (None, None),
                };
                out.identity = Some(StaticReport {
                    mmsi,
                    time,
                    callsign: text(callsign),
                    ship_type: Some(*shiptype),
                    length_m,
                    ..StaticReport::default()
                });
                out.voyage = Some(Voyage { dimensions: dims, ..Voyage::default() });
            }
            _ => {}
        }
        out
    }
}

//! gpsd-compatible AIS JSON, one object per message, as `gpsdecode -j` (gpsd 3.22) writes it:
//! the same field names, order, scaling and legends, so consumers of gpsdecode can read it.
//!
//! Deliberate differences, each for exactness (see ARCHITECTURE.md for the list with clauses):
//! - positions given in 1/10,000 minute print with 7 decimals (gpsd: 6, which rounds away up to
//!   0.05 m of the transmitted value); type 17 and 27 positions (1/10 minute) with 6 (gpsd: 1,
//!   which rounds to 0.1°, about 11 km);
//! - the rate of turn keeps its sign (gpsd prints the square of ROT/4.733 and so loses it;
//!   M.1371-5 Table 48: negative values mean turning to port);
//! - type 23 also prints `txrx` (gpsd decodes it but leaves it out).
//!
//! Like gpsd, a type 24 part A is held back and printed merged with the part B that follows
//! from the same MMSI; parts that never find their other half are not printed.

use std::io::Write;

use crate::message::*;

const NAV_STATUS: [&str; 16] = [
    "Under way using engine",
    "At anchor",
    "Not under command",
    "Restricted manoeuverability",
    "Constrained by her draught",
    "Moored",
    "Aground",
    "Engaged in fishing",
    "Under way sailing",
    "Reserved for HSC",
    "Reserved for WIG",
    "Reserved",
    "Reserved",
    "Reserved",
    "Reserved",
    "Not defined",
];

const EPFD: [&str; 9] = [
    "Undefined",
    "GPS",
    "GLONASS",
    "Combined GPS/GLONASS",
    "Loran-C",
    "Chayka",
    "Integrated navigation system",
    "Surveyed",
    "Galileo",
];

const STATION_TYPES: [&str; 16] = [
    "All types of mobiles",
    "Reserved for future use",
    "All types of Class B mobile stations",
    "SAR airborne mobile station",
    "Aid to Navigation station",
    "Class B shipborne mobile station",
    "Regional use and inland waterways",
    "Regional use and inland waterways",
    "Regional use and inland waterways",
    "Regional use and inland waterways",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
];

const NAVAID_TYPES: [&str; 32] = [
    "Unspecified",
    "Reference point",
    "RACON",
    "Fixed offshore structure",
    "Spare, Reserved for future use.",
    "Light, without sectors",
    "Light, with sectors",
    "Leading Light Front",
    "Leading Light Rear",
    "Beacon, Cardinal N",
    "Beacon, Cardinal E",
    "Beacon, Cardinal S",
    "Beacon, Cardinal W",
    "Beacon, Port hand",
    "Beacon, Starboard hand",
    "Beacon, Preferred Channel port hand",
    "Beacon, Preferred Channel starboard hand",
    "Beacon, Isolated danger",
    "Beacon, Safe water",
    "Beacon, Special mark",
    "Cardinal Mark N",
    "Cardinal Mark E",
    "Cardinal Mark S",
    "Cardinal Mark W",
    "Port hand Mark",
    "Starboard hand Mark",
    "Preferred Channel Port hand",
    "Preferred Channel Starboard hand",
    "Isolated danger",
    "Safe Water",
    "Special Mark",
    "Light Vessel / LANBY / Rigs",
];

/// Ship and cargo type legends, 0-99 (gpsd's table).
const SHIP_TYPES: [&str; 100] = [
    "Not available",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Reserved for future use",
    "Wing in ground (WIG) - all ships of this type",
    "Wing in ground (WIG) - Hazardous category A",
    "Wing in ground (WIG) - Hazardous category B",
    "Wing in ground (WIG) - Hazardous category C",
    "Wing in ground (WIG) - Hazardous category D",
    "Wing in ground (WIG) - Reserved for future use",
    "Wing in ground (WIG) - Reserved for future use",
    "Wing in ground (WIG) - Reserved for future use",
    "Wing in ground (WIG) - Reserved for future use",
    "Wing in ground (WIG) - Reserved for future use",
    "Fishing",
    "Towing",
    "Towing: length exceeds 200m or breadth exceeds 25m",
    "Dredging or underwater ops",
    "Diving ops",
    "Military ops",
    "Sailing",
    "Pleasure Craft",
    "Reserved",
    "Reserved",
    "High speed craft (HSC) - all ships of this type",
    "High speed craft (HSC) - Hazardous category A",
    "High speed craft (HSC) - Hazardous category B",
    "High speed craft (HSC) - Hazardous category C",
    "High speed craft (HSC) - Hazardous category D",
    "High speed craft (HSC) - Reserved for future use",
    "High speed craft (HSC) - Reserved for future use",
    "High speed craft (HSC) - Reserved for future use",
    "High speed craft (HSC) - Reserved for future use",
    "High speed craft (HSC) - No additional information",
    "Pilot Vessel",
    "Search and Rescue vessel",
    "Tug",
    "Port Tender",
    "Anti-pollution equipment",
    "Law Enforcement",
    "Spare - Local Vessel",
    "Spare - Local Vessel",
    "Medical Transport",
    "Ship according to RR Resolution No. 18",
    "Passenger - all ships of this type",
    "Passenger - Hazardous category A",
    "Passenger - Hazardous category B",
    "Passenger - Hazardous category C",
    "Passenger - Hazardous category D",
    "Passenger - Reserved for future use",
    "Passenger - Reserved for future use",
    "Passenger - Reserved for future use",
    "Passenger - Reserved for future use",
    "Passenger - No additional information",
    "Cargo - all ships of this type",
    "Cargo - Hazardous category A",
    "Cargo - Hazardous category B",
    "Cargo - Hazardous category C",
    "Cargo - Hazardous category D",
    "Cargo - Reserved for future use",
    "Cargo - Reserved for future use",
    "Cargo - Reserved for future use",
    "Cargo - Reserved for future use",
    "Cargo - No additional information",
    "Tanker - all ships of this type",
    "Tanker - Hazardous category A",
    "Tanker - Hazardous category B",
    "Tanker - Hazardous category C",
    "Tanker - Hazardous category D",
    "Tanker - Reserved for future use",
    "Tanker - Reserved for future use",
    "Tanker - Reserved for future use",
    "Tanker - Reserved for future use",
    "Tanker - No additional information",
    "Other Type - all ships of this type",
    "Other Type - Hazardous category A",
    "Other Type - Hazardous category B",
    "Other Type - Hazardous category C",
    "Other Type - Hazardous category D",
    "Other Type - Reserved for future use",
    "Other Type - Reserved for future use",
    "Other Type - Reserved for future use",
    "Other Type - Reserved for future use",
    "Other Type - no additional information",
];

fn legend(table: &'static [&'static str], code: impl Into<usize>, invalid: &'static str) -> &'static str {
    table.get(code.into()).copied().unwrap_or(invalid)
}

/// The legend of a ship and cargo type code.
pub fn shiptype_text(code: u8) -> &'static str {
    legend(&SHIP_TYPES, code, "INVALID SHIP TYPE")
}

/// Pressure and water-level trends (IMO 289): 0 steady, 1 decreasing, 2 increasing, 3 N/A.
const TRENDS: [&str; 4] = ["steady", "decreasing", "increasing", "N/A"];
const PRECIPITATION: [&str; 8] =
    ["reserved", "rain", "thunderstorm", "freezing rain", "mixed/ice", "snow", "reserved", "N/A"];
const ICE: [&str; 4] = ["no", "yes", "reserved", "N/A"];

/// Writes gpsd JSON lines; holds back type 24 part A until its part B arrives.
#[derive(Default)]
pub struct JsonWriter {
    /// Recent part A names by MMSI, as gpsd keeps them (8 entries, oldest replaced).
    part_a: [(u32, crate::text::AisText<20>); TYPE24_STASH],
    next: usize,
    /// Value of the `device` member; gpsdecode writes "stdin".
    device: Option<&'static str>,
}

/// Part A names remembered while waiting for part B (gpsd: MAX_TYPE24_INTERLEAVE).
pub const TYPE24_STASH: usize = 8;

/// What [`JsonWriter::write`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Line,
    /// A type 24 part A, held until its part B.
    HeldPartA,
    /// A type 24 part B without a part A before it: not printed, as gpsd.
    UnmatchedPartB,
}

struct Out<'a>(&'a mut Vec<u8>);

impl Out<'_> {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }
    fn key(&mut self, k: &str) {
        self.0.extend_from_slice(b",\"");
        self.0.extend_from_slice(k.as_bytes());
        self.0.extend_from_slice(b"\":");
    }
    fn uint(&mut self, k: &str, v: impl Into<u64>) {
        self.key(k);
        let mut buf = itoa_buf();
        self.0.extend_from_slice(fmt_u64(v.into(), &mut buf));
    }
    fn boolean(&mut self, k: &str, v: bool) {
        self.key(k);
        self.raw(if v { "true" } else { "false" });
    }
    fn float(&mut self, k: &str, v: f64, decimals: usize) {
        self.key(k);
        let _ = write!(self.0, "{v:.decimals$}");
    }
    fn text(&mut self, k: &str, v: &str) {
        self.key(k);
        self.0.push(b'"');
        for &b in v.as_bytes() {
            match b {
                b'"' | b'\\' => {
                    self.0.push(b'\\');
                    self.0.push(b);
                }
                0..=0x1f => {
                    let _ = write!(self.0, "\\u{b:04x}");
                }
                _ => self.0.push(b),
            }
        }
        self.0.push(b'"');
    }
    fn data(&mut self, k: &str, d: &crate::text::BinaryData) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.key(k);
        self.0.push(b'"');
        let mut buf = itoa_buf();
        self.0.extend_from_slice(fmt_u64(d.bit_len() as u64, &mut buf));
        self.0.push(b':');
        for &byte in d.as_bytes() {
            self.0.push(HEX[usize::from(byte >> 4)]);
            self.0.push(HEX[usize::from(byte & 15)]);
        }
        self.0.push(b'"');
    }
    fn lonlat7(&mut self, lon: Option<f64>, lat: Option<f64>) {
        self.key("lon");
        self.tenthousandth_minutes(lon.unwrap_or(181.0));
        self.key("lat");
        self.tenthousandth_minutes(lat.unwrap_or(91.0));
    }

    /// Writes a position given in 1/10,000 minute with 7 decimals, in integer arithmetic.
    /// degrees = raw / 600,000, so the 7-decimal figure is raw × 50 / 3: its remainder is a
    /// third, never a half, so rounding to nearest is exact and matches printf's `%.7f`.
    fn tenthousandth_minutes(&mut self, degrees: f64) {
        let raw = (degrees * 600_000.0).round() as i64;
        let scaled = raw.unsigned_abs() * 50;
        let e7 = scaled / 3 + u64::from(scaled % 3 == 2);
        if raw < 0 && e7 != 0 {
            self.0.push(b'-');
        }
        self.fixed(e7, 7);
    }

    /// Writes `value / 10^decimals` with exactly `decimals` decimals.
    fn fixed(&mut self, value: u64, decimals: u32) {
        let unit = 10u64.pow(decimals);
        let mut buf = itoa_buf();
        self.0.extend_from_slice(fmt_u64(value / unit, &mut buf));
        self.0.push(b'.');
        let frac = value % unit;
        let digits = fmt_u64(frac, &mut buf);
        for _ in digits.len()..decimals as usize {
            self.0.push(b'0');
        }
        self.0.extend_from_slice(digits);
    }

    /// Writes a value transmitted in tenths (speed, course) with one decimal, exactly.
    fn tenths(&mut self, k: &str, value: f64) {
        self.key(k);
        let raw = (value * 10.0).round() as i64;
        if raw < 0 {
            self.0.push(b'-');
        }
        self.fixed(raw.unsigned_abs(), 1);
    }
    fn dims(&mut self, d: &Dimensions) {
        self.uint("to_bow", d.to_bow);
        self.uint("to_stern", d.to_stern);
        self.uint("to_port", d.to_port);
        self.uint("to_starboard", d.to_starboard);
    }
    fn epfd(&mut self, epfd: u8) {
        self.uint("epfd", epfd);
        // Code 15 is "internal GNSS" in M.1371-5; 9-14 are reserved.
        match epfd {
            0..=8 => self.text("epfd_text", EPFD[usize::from(epfd)]),
            15 => self.text("epfd_text", "Internal GNSS"),
            _ => {
                self.key("epfd_text");
                let _ = write!(self.0, "\"Reserved ({epfd})\"");
            }
        }
    }
    /// Types 1-3: gpsd words "not available" and "102.2 knots or more".
    fn speed_legend(&mut self, speed: Option<f64>) {
        self.key("speed");
        match speed {
            None => self.raw("\"nan\""),
            Some(s) if s >= 102.2 => self.raw("\"fast\""),
            Some(s) => {
                let raw = (s * 10.0).round() as u64;
                self.fixed(raw, 1);
            }
        }
    }
}

fn itoa_buf() -> [u8; 20] {
    [0; 20]
}

fn fmt_u64(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

impl JsonWriter {
    /// A writer that names no device (`gpsdecode` itself writes `"device":"stdin"`).
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer that adds `"device":NAME` after `"class"`, exactly like gpsdecode.
    pub fn with_device(device: &'static str) -> Self {
        Self { device: Some(device), ..Self::default() }
    }

    /// Appends one JSON line (with `\n`) for `message`, unless gpsd would hold or drop it.
    pub fn write(&mut self, message: &AisMessage, buf: &mut Vec<u8>) -> Written {
        let header = message.header();
        if let AisMessage::StaticData(report) = message {
            match report {
                StaticDataReport::PartA { shipname, .. } => {
                    self.part_a[self.next] = (header.mmsi, *shipname);
                    self.next = (self.next + 1) % TYPE24_STASH;
                    return Written::HeldPartA;
                }
                StaticDataReport::PartB { .. } => {
                    if !self.part_a.iter().any(|(mmsi, _)| *mmsi == header.mmsi && *mmsi != 0) {
                        return Written::UnmatchedPartB;
                    }
                }
            }
        }
        let mut o = Out(buf);
        o.raw("{\"class\":\"AIS\"");
        if let Some(device) = self.device {
            o.text("device", device);
        }
        o.uint("type", header.message_type);
        o.uint("repeat", header.repeat);
        o.uint("mmsi", header.mmsi);
        o.key("scaled");
        o.raw("true");
        self.body(message, &mut o);
        o.raw("}\n");
        Written::Line
    }

    fn body(&mut self, message: &AisMessage, o: &mut Out<'_>) {
        match message {
            AisMessage::Position(m) => {
                o.uint("status", m.status);
                o.text("status_text", legend(&NAV_STATUS, m.status, "INVALID STATUS"));
                o.key("turn");
                match m.turn {
                    Turn::NotAvailable => o.raw("\"nan\""),
                    Turn::FastLeft => o.raw("\"fastleft\""),
                    Turn::FastRight => o.raw("\"fastright\""),
                    Turn::Rate { degrees_per_minute, .. } => {
                        let _ = write!(o.0, "{degrees_per_minute:.0}");
                    }
                }
                o.speed_legend(m.speed);
                o.boolean("accuracy", m.accuracy);
                o.lonlat7(m.lon, m.lat);
                o.tenths("course", m.course.unwrap_or(360.0));
                o.uint("heading", m.heading.unwrap_or(511));
                o.uint("second", m.second);
                o.uint("maneuver", m.maneuver);
                o.boolean("raim", m.raim);
                o.uint("radio", m.radio);
            }
            AisMessage::BaseStation(m) => {
                let t = m.time;
                o.key("timestamp");
                let _ = write!(
                    o.0,
                    "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\"",
                    t.year.unwrap_or(0),
                    t.month.unwrap_or(0),
                    t.day.unwrap_or(0),
                    t.hour.unwrap_or(24),
                    t.minute.unwrap_or(60),
                    t.second.unwrap_or(60)
                );
                o.boolean("accuracy", m.accuracy);
                o.lonlat7(m.lon, m.lat);
                o.epfd(m.epfd);
                o.boolean("raim", m.raim);
                o.uint("radio", m.radio);
            }
            AisMessage::StaticAndVoyage(m) => {
                o.uint("imo", m.imo.unwrap_or(0));
                o.uint("ais_version", m.ais_version);
                o.text("callsign", m.callsign.as_str());
                o.text("shipname", m.shipname.as_str());
                o.uint("shiptype", m.shiptype);
                o.text("shiptype_text", shiptype_text(m.shiptype));
                o.dims(&m.dimensions);
                o.epfd(m.epfd);
                o.key("eta");
                let e = m.eta;
                let _ = write!(
                    o.0,
                    "\"{:02}-{:02}T{:02}:{:02}Z\"",
                    e.month.unwrap_or(0),
                    e.day.unwrap_or(0),
                    e.hour.unwrap_or(24),
                    e.minute.unwrap_or(60)
                );
                o.float("draught", m.draught.unwrap_or(0.0), 1);
                o.text("destination", m.destination.as_str());
                o.uint("dte", u8::from(m.dte));
            }
            AisMessage::Binary(m) => {
                if m.header.message_type == 6 {
                    o.uint("seqno", m.seqno);
                    o.uint("dest_mmsi", m.dest_mmsi.unwrap_or(0));
                    o.boolean("retransmit", m.retransmit);
                }
                o.uint("dac", m.dac);
                o.uint("fid", m.fid);
                match &m.application {
                    Application::MetHydro(w) => met_hydro(o, w),
                    Application::Opaque => o.data("data", &m.data),
                }
            }
            AisMessage::Acknowledge(m) => {
                for (i, key) in ["mmsi1", "mmsi2", "mmsi3", "mmsi4"].iter().enumerate() {
                    o.uint(key, m.acks[i].map_or(0, |(mmsi, _)| mmsi));
                }
            }
            AisMessage::SarAircraft(m) => {
                o.uint("alt", m.alt.unwrap_or(4095));
                o.key("speed");
                match m.speed {
                    None => o.raw("\"nan\""),
                    Some(s) if s >= 1022 => o.raw("\"fast\""),
                    Some(s) => {
                        let _ = write!(o.0, "{s}");
                    }
                }
                o.boolean("accuracy", m.accuracy);
                o.lonlat7(m.lon, m.lat);
                o.tenths("course", m.course.unwrap_or(360.0));
                o.uint("second", m.second);
                o.uint("regional", m.regional);
                o.uint("dte", u8::from(m.dte));
                o.boolean("raim", m.raim);
                o.uint("radio", m.radio);
            }
            AisMessage::UtcInquiry(m) => o.uint("dest_mmsi", m.dest_mmsi),
            AisMessage::SafetyAddressed(m) => {
                o.uint("seqno", m.seqno);
                o.uint("dest_mmsi", m.dest_mmsi);
                o.boolean("retransmit", m.retransmit);
                o.text("text", m.text.as_str());
            }
            AisMessage::SafetyBroadcast(m) => o.text("text", m.text.as_str()),
            AisMessage::Interrogation(m) => {
                o.uint("mmsi1", m.mmsi1);
                o.uint("type1_1", m.type1_1);
                o.uint("offset1_1", m.offset1_1);
                let (t12, o12) = m.type1_2.unwrap_or((0, 0));
                o.uint("type1_2", t12);
                o.uint("offset1_2", o12);
                let (mmsi2, t21, o21) = m.station2.unwrap_or((0, 0, 0));
                o.uint("mmsi2", mmsi2);
                o.uint("type2_1", t21);
                o.uint("offset2_1", o21);
            }
            AisMessage::AssignmentCommand(m) => {
                o.uint("mmsi1", m.mmsi1);
                o.uint("offset1", m.offset1);
                o.uint("increment1", m.increment1);
                let (mmsi2, offset2, increment2) = m.station2.unwrap_or((0, 0, 0));
                o.uint("mmsi2", mmsi2);
                o.uint("offset2", offset2);
                o.uint("increment2", increment2);
            }
            AisMessage::Dgnss(m) => {
                o.float("lon", m.lon.unwrap_or(181.0), 6);
                o.float("lat", m.lat.unwrap_or(91.0), 6);
                o.data("data", &m.data);
            }
            AisMessage::ClassBPosition(m) => {
                o.uint("reserved", m.reserved);
                o.tenths("speed", m.speed.unwrap_or(102.3));
                o.boolean("accuracy", m.accuracy);
                o.lonlat7(m.lon, m.lat);
                o.tenths("course", m.course.unwrap_or(360.0));
                o.uint("heading", m.heading.unwrap_or(511));
                o.uint("second", m.second);
                o.uint("regional", m.regional);
                o.boolean("cs", m.cs);
                o.boolean("display", m.display);
                o.boolean("dsc", m.dsc);
                o.boolean("band", m.band);
                o.boolean("msg22", m.msg22);
                o.boolean("raim", m.raim);
                o.uint("radio", m.radio);
            }
            AisMessage::ClassBExtended(m) => {
                o.uint("reserved", m.reserved);
                o.tenths("speed", m.speed.unwrap_or(102.3));
                o.boolean("accuracy", m.accuracy);
                o.lonlat7(m.lon, m.lat);
                o.tenths("course", m.course.unwrap_or(360.0));
                o.uint("heading", m.heading.unwrap_or(511));
                o.uint("second", m.second);
                o.uint("regional", m.regional);
                o.text("shipname", m.shipname.as_str());
                o.uint("shiptype", m.shiptype);
                o.text("shiptype_text", shiptype_text(m.shiptype));
                o.dims(&m.dimensions);
                o.epfd(m.epfd);
                o.boolean("raim", m.raim);
                o.uint("dte", u8::from(m.dte));
                o.boolean("assigned", m.assigned);
            }
            AisMessage::DataLinkManagement(m) => {
                for (i, r) in m.reservations.iter().enumerate() {
                    let r = r.unwrap_or_default();
                    let n = i + 1;
                    o.uint(&format!("offset{n}"), r.offset);
                    o.uint(&format!("number{n}"), r.number);
                    o.uint(&format!("timeout{n}"), r.timeout);
                    o.uint(&format!("increment{n}"), r.increment);
                }
            }
            AisMessage::AidToNavigation(m) => {
                o.uint("aid_type", m.aid_type);
                o.text("aid_type_text", legend(&NAVAID_TYPES, m.aid_type, "INVALID NAVAID TYPE"));
                o.text("name", m.name.as_str());
                o.lonlat7(m.lon, m.lat);
                o.boolean("accuracy", m.accuracy);
                o.dims(&m.dimensions);
                o.epfd(m.epfd);
                o.uint("second", m.second);
                o.uint("regional", m.regional);
                o.boolean("off_position", m.off_position);
                o.boolean("raim", m.raim);
                o.boolean("virtual_aid", m.virtual_aid);
            }
            AisMessage::ChannelManagement(m) => {
                o.uint("channel_a", m.channel_a);
                o.uint("channel_b", m.channel_b);
                o.uint("txrx", m.txrx);
                o.boolean("power", m.power);
                let addressed = match m.target {
                    ChannelManagementTarget::Area { ne_lon, ne_lat, sw_lon, sw_lat } => {
                        corners(o, ne_lon, ne_lat, sw_lon, sw_lat);
                        false
                    }
                    ChannelManagementTarget::Addressed { dest1, dest2 } => {
                        o.uint("dest1", dest1);
                        o.uint("dest2", dest2);
                        true
                    }
                    ChannelManagementTarget::None => false,
                };
                o.boolean("addressed", addressed);
                o.boolean("band_a", m.band_a);
                o.boolean("band_b", m.band_b);
                o.uint("zonesize", m.zonesize);
            }
            AisMessage::GroupAssignment(m) => {
                corners(o, m.ne_lon, m.ne_lat, m.sw_lon, m.sw_lat);
                o.uint("stationtype", m.station_type);
                o.text("stationtype_text", legend(&STATION_TYPES, m.station_type, "INVALID STATION TYPE"));
                o.uint("shiptype", m.ship_type);
                o.text("shiptype_text", shiptype_text(m.ship_type));
                o.uint("txrx", m.txrx);
                o.uint("interval", m.interval);
                o.uint("quiet", m.quiet);
            }
            AisMessage::StaticData(StaticDataReport::PartA { .. }) => {}
            AisMessage::StaticData(StaticDataReport::PartB {
                header,
                shiptype,
                vendorid,
                model,
                serial,
                callsign,
                tail,
            }) => {
                if let Some(slot) = self.part_a.iter_mut().find(|(mmsi, _)| *mmsi == header.mmsi) {
                    o.text("shipname", slot.1.as_str());
                    // A repeated part B must not match the same part A again (as gpsd).
                    slot.0 = 0;
                }
                o.uint("shiptype", *shiptype);
                o.text("shiptype_text", shiptype_text(*shiptype));
                o.text("vendorid", gpsd_vendorid(vendorid, *model, *serial).as_str());
                o.uint("model", *model);
                o.uint("serial", *serial);
                o.text("callsign", callsign.as_str());
                match tail {
                    PartBTail::Dimensions(d) => o.dims(d),
                    PartBTail::Mothership(mmsi) => o.uint("mothership_mmsi", *mmsi),
                }
            }
            AisMessage::SlotBinary(m) => {
                o.boolean("addressed", m.addressed);
                o.boolean("structured", m.structured);
                o.uint("dest_mmsi", m.dest_mmsi.unwrap_or(0));
                let app_id = m.app_id.map_or(0, |(dac, fid)| u32::from(dac) << 6 | u32::from(fid));
                o.uint("app_id", app_id);
                o.data("data", &m.data);
                if let Some(radio) = m.radio {
                    o.uint("radio", radio);
                }
            }
            AisMessage::LongRange(m) => {
                o.text("status", legend(&NAV_STATUS, m.status, "INVALID STATUS"));
                o.boolean("accuracy", m.accuracy);
                o.float("lon", m.lon.unwrap_or(181.0), 6);
                o.float("lat", m.lat.unwrap_or(91.0), 6);
                o.uint("speed", m.speed.unwrap_or(63));
                o.uint("course", m.course.unwrap_or(511));
                o.boolean("raim", m.raim);
                o.boolean("gnss", m.gnss);
            }
        }
    }
}

/// gpsd reads the vendor id as 7 characters over bits 48-89 (M.1371-3), which M.1371-5 splits
/// into 3 characters, a 4-bit model and a 20-bit serial; rebuild that reading (it stops at the
/// first `@` and trims trailing spaces, like every gpsd text field).
fn gpsd_vendorid(vendor: &crate::text::AisText<3>, model: u8, serial: u32) -> crate::text::AisText<7> {
    let mut text = crate::text::AisText::<7>::default();
    for &c in vendor.as_str().as_bytes() {
        text.push(c);
    }
    if vendor.len() == 3 {
        let rest = u32::from(model) << 20 | serial;
        for k in 0..4 {
            let c = crate::text::sixbit_ascii(((rest >> (18 - 6 * k)) & 63) as u8);
            if c == b'@' {
                break;
            }
            text.push(c);
        }
    }
    text.trim();
    text
}

fn corners(o: &mut Out<'_>, ne_lon: f64, ne_lat: f64, sw_lon: f64, sw_lat: f64) {
    for (k, v) in [("ne_lon", ne_lon), ("ne_lat", ne_lat), ("sw_lon", sw_lon), ("sw_lat", sw_lat)] {
        o.key(k);
        let _ = write!(o.0, "\"{v:.6}\"");
    }
}

fn met_hydro(o: &mut Out<'_>, w: &MetHydro) {
    let r = w.raw;
    o.float("lat", f64::from(r.lat) / 60_000.0, 6);
    o.float("lon", f64::from(r.lon) / 60_000.0, 6);
    o.boolean("accuracy", w.accuracy);
    o.key("timestamp");
    let _ = write!(o.0, "\"{:02}T{:02}:{:02}Z\"", r.day, r.hour, r.minute);
    o.uint("wspeed", r.wspeed);
    o.uint("wgust", r.wgust);
    o.uint("wdir", r.wdir);
    o.uint("wgustdir", r.wgustdir);
    o.uint("humidity", r.humidity);
    o.float("airtemp", f64::from(r.airtemp) / 10.0, 1);
    o.float("dewpoint", f64::from(r.dewpoint) / 10.0, 1);
    o.uint("pressure", r.pressure + 799);
    o.text("pressuretend", legend(&TRENDS, r.pressuretend, "N/A"));
    o.boolean("visgreater", w.visgreater);
    o.float("visibility", f64::from(r.visibility) / 10.0, 1);
    // 0.01 m resolution: two decimals (gpsd prints one, rounding away a centimetre digit).
    o.float("waterlevel", (f64::from(r.waterlevel) - 1000.0) / 100.0, 2);
    o.text("leveltrend", legend(&TRENDS, r.leveltrend, "N/A"));
    o.float("cspeed", f64::from(r.cspeed) / 10.0, 1);
    o.uint("cdir", r.cdir);
    o.float("cspeed2", f64::from(r.cspeed2) / 10.0, 1);
    o.uint("cdir2", r.cdir2);
    o.uint("cdepth2", r.cdepth2);
    o.float("cspeed3", f64::from(r.cspeed3) / 10.0, 1);
    o.uint("cdir3", r.cdir3);
    o.uint("cdepth3", r.cdepth3);
    o.float("waveheight", f64::from(r.waveheight) / 10.0, 1);
    o.uint("waveperiod", r.waveperiod);
    o.uint("wavedir", r.wavedir);
    o.float("swellheight", f64::from(r.swellheight) / 10.0, 1);
    o.uint("swellperiod", r.swellperiod);
    o.uint("swelldir", r.swelldir);
    o.uint("seastate", r.seastate);
    o.float("watertemp", f64::from(r.watertemp) / 10.0, 1);
    o.text("preciptype", legend(&PRECIPITATION, r.preciptype, "N/A"));
    o.float("salinity", f64::from(r.salinity) / 10.0, 1);
    o.text("ice", legend(&ICE, r.ice, "N/A"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(degrees: f64) -> String {
        let mut buf = Vec::new();
        Out(&mut buf).tenthousandth_minutes(degrees);
        String::from_utf8(buf).unwrap_or_default()
    }

    #[test]
    fn integer_position_formatting_matches_float_formatting() {
        // Every 1/10,000-minute value in a sweep across the whole range, plus the edges.
        let mut raw = -108_600_000i64;
        while raw <= 108_600_000 {
            let degrees = raw as f64 / 600_000.0;
            let expected = format!("{degrees:.7}");
            let expected = if expected == "-0.0000000" { String::from("0.0000000") } else { expected };
            assert_eq!(position(degrees), expected, "raw {raw}");
            raw += 997;
        }
        for raw in [-1i64, 1, 2, -2, 3, 599_999, -54_600_000, 54_600_000] {
            let degrees = raw as f64 / 600_000.0;
            assert_eq!(position(degrees), format!("{degrees:.7}").replace("-0.0000000", "0.0000000"), "raw {raw}");
        }
    }
}

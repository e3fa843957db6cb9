//! The simulation: vessels, their schedules, anomalies and ground truth.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use hl_ais::encode::{SentenceOptions, to_sentences};
use hl_ais::{
    AisMessage, AisText, ClassBPositionReport, Dimensions, Eta, Header, PositionReport, StaticAndVoyage,
    StaticDataReport, Turn,
};
use hl_geo::{NAUTICAL_MILE_M, Position};

use crate::region::{Region, Route};
use crate::rng::Rng;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulationConfig {
    pub vessels: usize,
    pub duration_s: i64,
    pub seed: u64,
    /// Unix seconds of the first report.
    pub start: i64,
}

/// One injected (or geometrically implied) event the detectors should report.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// An alert kind as `harborlink analyze` names it.
    pub kind: &'static str,
    pub mmsi: u32,
    pub mmsi_2: Option<u32>,
    pub start: i64,
    pub end: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Anomaly {
    None,
    Gap,
    Loiter,
    /// Slow alongside another vessel (index of the partner).
    Encounter(usize),
    Jump,
    /// A second transmitter uses this MMSI (index of the ghost).
    Duplicate(usize),
    Drift,
    Rename,
    InvalidMmsi,
    Watchlisted,
    /// A transponder reporting positions well inland.
    OnLand,
    /// Declared a tug, steaming like a fast ship: static data inconsistent with behaviour.
    FastTug,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    A,
    B,
}

struct Vessel {
    mmsi: u32,
    name: String,
    callsign: String,
    imo: u32,
    ship_type: u8,
    class: Class,
    dims: Dimensions,
    /// Route index (0 main lane, 1 ferry lane, 2 intrusion route); `None` when anchored.
    route: Option<usize>,
    /// Distance along the route at the start, metres.
    start_m: f64,
    /// +1 or -1.
    direction: f64,
    /// Metres to the right of the route.
    lateral_m: f64,
    speed_kn: f64,
    /// Where an anchored vessel lies.
    anchored_at: Option<Position>,
    anomaly: Anomaly,
    /// Anomaly window (Unix seconds).
    window: (i64, i64),
    /// A ghost only transmits inside its window, at a fixed place.
    ghost_of: Option<usize>,
    /// Zones the transmitted track is inside: (zone index, since, dwell reported).
    inside: Vec<(usize, i64, bool)>,
    last_report: Option<i64>,
    first_report_done: bool,
    gap_open: bool,
    channel: bool,
}

const WORDS: [&str; 16] = [
    "PACIFIC", "ORIENT", "STRAITS", "MERIDIAN", "CORAL", "JADE", "MONSOON", "LION", "HARMONY", "EASTERN", "GOLDEN",
    "SILVER", "OCEAN", "HORIZON", "TEMASEK", "MALACCA",
];
const NOUNS: [&str; 8] = ["TRADER", "PIONEER", "SPIRIT", "STAR", "GLORY", "VENTURE", "PEARL", "EXPRESS"];
/// Maritime Identification Digits of the region's flags and open registries.
const MIDS: [u32; 8] = [563, 564, 533, 525, 477, 636, 538, 352];

fn imo_with_check_digit(rng: &mut Rng) -> u32 {
    let digits: Vec<u32> = (0..6).map(|i| if i == 0 { 9 } else { rng.below(10) as u32 }).collect();
    let check = digits.iter().zip((2..=7).rev()).map(|(d, w)| d * w).sum::<u32>() % 10;
    digits.iter().fold(0, |acc, d| acc * 10 + d) * 10 + check
}

fn knots_to_mps(kn: f64) -> f64 {
    kn * NAUTICAL_MILE_M / 3_600.0
}

/// Reporting interval, seconds (ITU-R M.1371-5 Table 1).
fn interval_s(class: Class, speed_kn: f64, anchored: bool) -> i64 {
    match class {
        Class::A if anchored => 180,
        Class::A if speed_kn > 23.0 => 2,
        Class::A if speed_kn > 14.0 => 6,
        Class::A => 10,
        Class::B if speed_kn > 2.0 => 30,
        Class::B => 180,
    }
}

/// Static and voyage data every six minutes.
const STATIC_INTERVAL_S: i64 = 360;

/// Speed of a vessel in an anomaly that slows it (loitering, encounters).
const SLOW_KN: f64 = 0.5;
const DRIFT_KN: f64 = 3.0;
const DRIFT_ANGLE_DEG: f64 = 60.0;

/// The simulation, pulled event by event in time order.
pub struct Simulation {
    region: Region,
    routes: Vec<Route>,
    vessels: Vec<Vessel>,
    /// (time, vessel, is_static).
    queue: BinaryHeap<Reverse<(i64, usize, bool)>>,
    end: i64,
    truth: Vec<Truth>,
    watchlist: Vec<(u32, String, String)>,
    sequence: u8,
}

impl Simulation {
    pub fn new(config: &SimulationConfig) -> Self {
        let region = Region::straits();
        let intrusion = vec![Position::new(1.172, 103.72).unwrap_or(region.restricted_point), region.restricted_point];
        // Inland Malaysia, 35-60 km from the coast: a misconfigured or spoofed transponder.
        let inland =
            [(2.30, 102.60), (2.10, 103.10)].iter().filter_map(|&(lat, lon)| Position::new(lat, lon)).collect();
        let routes = vec![
            Route::new(region.main_lane.clone()),
            Route::new(region.ferry_lane.clone()),
            Route::new(intrusion),
            Route::new(inland),
        ];
        let mut rng = Rng::new(config.seed);
        let mut sim = Simulation {
            region,
            routes,
            vessels: Vec::new(),
            queue: BinaryHeap::new(),
            end: config.start + config.duration_s,
            truth: Vec::new(),
            watchlist: Vec::new(),
            sequence: 0,
        };
        let kinds = [
            Anomaly::Gap,
            Anomaly::Loiter,
            Anomaly::Encounter(0),
            Anomaly::Jump,
            Anomaly::Duplicate(0),
            Anomaly::Drift,
            Anomaly::Rename,
            Anomaly::InvalidMmsi,
            Anomaly::Watchlisted,
            Anomaly::FastTug,
        ];
        let long_enough = config.duration_s >= 5 * 3_600;
        let anomalous = (config.vessels / 8).max(kinds.len().min(config.vessels));
        for i in 0..config.vessels {
            let anomaly = if i < anomalous { kinds[i % kinds.len()] } else { Anomaly::None };
            let anomaly = match anomaly {
                Anomaly::Loiter | Anomaly::Encounter(_) | Anomaly::Gap if !long_enough => Anomaly::None,
                a => a,
            };
            let index = sim.add_vessel(&mut rng, config, i, anomaly);
            if let Anomaly::Encounter(_) = anomaly {
                let partner = sim.add_partner(&mut rng, config, index);
                sim.vessels[index].anomaly = Anomaly::Encounter(partner);
            }
            if let Anomaly::Duplicate(_) = anomaly {
                let ghost = sim.add_ghost(&mut rng, index);
                sim.vessels[index].anomaly = Anomaly::Duplicate(ghost);
            }
        }
        // A few restricted-zone intruders and vessels at anchor.
        for _ in 0..(config.vessels / 25).max(1) {
            sim.add_special(&mut rng, config, true);
        }
        for _ in 0..(config.vessels / 10).max(1) {
            sim.add_special(&mut rng, config, false);
        }
        for _ in 0..(config.vessels / 50).max(1) {
            sim.add_inland(&mut rng, config);
        }
        for (index, vessel) in sim.vessels.iter().enumerate() {
            let first = if vessel.ghost_of.is_some() { vessel.window.0 } else { config.start + rng.below(10) as i64 };
            sim.queue.push(Reverse((first, index, false)));
            if vessel.ghost_of.is_none() {
                sim.queue.push(Reverse((config.start + rng.below(STATIC_INTERVAL_S as u64) as i64, index, true)));
            }
        }
        sim.add_anomaly_truth();
        sim
    }

    fn base_vessel(&self, rng: &mut Rng, serial: usize) -> Vessel {
        let mid = MIDS[serial % MIDS.len()];
        let (ship_type, class, speed) = match rng.below(10) {
            0..=3 => (70 + rng.below(10) as u8, Class::A, rng.range(11.0, 15.5)),
            4..=6 => (80 + rng.below(10) as u8, Class::A, rng.range(9.5, 13.5)),
            7 => (52, Class::A, rng.range(7.0, 10.0)),
            8 => (30, Class::A, rng.range(6.0, 9.0)),
            _ => (37, Class::B, rng.range(6.0, 11.0)),
        };
        let length = match ship_type {
            70..=89 => 120 + rng.below(250) as u16,
            52 => 30,
            _ => 15,
        };
        Vessel {
            mmsi: mid * 1_000_000 + 100_000 + serial as u32,
            name: format!("{} {} {}", WORDS[rng.below(16) as usize], NOUNS[rng.below(8) as usize], serial),
            callsign: format!("9V{:04}", serial % 10_000),
            imo: imo_with_check_digit(rng),
            ship_type,
            class,
            dims: Dimensions { to_bow: length * 2 / 3, to_stern: length / 3, to_port: 10, to_starboard: 10 },
            route: Some(0),
            start_m: 0.0,
            direction: if rng.below(2) == 0 { 1.0 } else { -1.0 },
            lateral_m: rng.range(-800.0, 800.0),
            speed_kn: speed,
            anchored_at: None,
            anomaly: Anomaly::None,
            window: (0, 0),
            ghost_of: None,
            inside: Vec::new(),
            last_report: None,
            first_report_done: false,
            gap_open: false,
            channel: false,
        }
    }

    fn add_vessel(&mut self, rng: &mut Rng, config: &SimulationConfig, serial: usize, anomaly: Anomaly) -> usize {
        let mut v = self.base_vessel(rng, serial);
        let length = self.routes[0].length_m();
        v.start_m = rng.range(0.0, length);
        if serial % 7 == 6 {
            // Ferries on the Singapore–Batam route, some fast enough for 2-second reports.
            v.route = Some(1);
            v.ship_type = 60;
            v.class = Class::A;
            v.speed_kn = rng.range(18.0, 28.0);
            v.start_m = rng.range(0.0, self.routes[1].length_m());
            v.lateral_m = rng.range(-300.0, 300.0);
        }
        let span = (config.duration_s - 4 * 3_600).max(3_600);
        let start = config.start + 3_600 + rng.below(span as u64) as i64;
        v.window = match anomaly {
            Anomaly::Gap => (start, start + 2 * 3_600),
            Anomaly::Loiter | Anomaly::Encounter(_) => (start, start + 3 * 3_600),
            Anomaly::Duplicate(_) => (start, start + 1_800),
            Anomaly::Drift => (start, start + 1_200),
            Anomaly::Jump | Anomaly::Rename => (start, start),
            _ => (config.start, config.start),
        };
        v.anomaly = anomaly;
        if anomaly == Anomaly::FastTug {
            v.route = Some(0);
            v.ship_type = 52;
            v.class = Class::A;
            v.speed_kn = rng.range(22.0, 25.0);
            v.start_m = rng.range(0.0, self.routes[0].length_m());
            // Judged after its first static report (within 6 min) and 5 more minutes.
            v.window = (config.start, config.start + 900);
        }
        if anomaly == Anomaly::InvalidMmsi {
            // MID 217 is not allocated.
            v.mmsi = 217_000_000 + serial as u32;
        }
        if anomaly == Anomaly::Watchlisted {
            self.watchlist.push((v.mmsi, v.name.clone(), "sanctions designation (simulated)".into()));
        }
        self.vessels.push(v);
        self.vessels.len() - 1
    }

    /// The other vessel of an encounter: on the same route, meeting the first at the window's
    /// start and staying 150 m away while both are slow.
    fn add_partner(&mut self, rng: &mut Rng, config: &SimulationConfig, of: usize) -> usize {
        let serial = 90_000 + of;
        let mut y = self.base_vessel(rng, serial);
        let x = &self.vessels[of];
        y.class = Class::A;
        y.route = x.route;
        y.direction = x.direction;
        y.lateral_m = x.lateral_m + 150.0;
        y.speed_kn = x.speed_kn + rng.range(1.0, 3.0);
        let meet = (x.window.0 - config.start) as f64;
        y.start_m = x.start_m + x.direction * (knots_to_mps(x.speed_kn) - knots_to_mps(y.speed_kn)) * meet;
        y.window = x.window;
        y.anomaly = Anomaly::Encounter(of);
        self.vessels.push(y);
        self.vessels.len() - 1
    }

    /// A second transmitter with the same MMSI, 100 km away, during the window.
    fn add_ghost(&mut self, rng: &mut Rng, of: usize) -> usize {
        let mut ghost = self.base_vessel(rng, 95_000 + of);
        let x = &self.vessels[of];
        ghost.mmsi = x.mmsi;
        ghost.name = x.name.clone();
        ghost.route = None;
        ghost.anchored_at = Position::new(2.5, 101.0);
        ghost.speed_kn = 8.0;
        ghost.window = x.window;
        ghost.ghost_of = Some(of);
        self.vessels.push(ghost);
        self.vessels.len() - 1
    }

    fn add_special(&mut self, rng: &mut Rng, config: &SimulationConfig, intruder: bool) {
        let serial = 80_000 + self.vessels.len();
        let mut v = self.base_vessel(rng, serial);
        v.class = Class::A;
        if intruder {
            v.route = Some(2);
            v.speed_kn = rng.range(4.0, 6.0);
            v.lateral_m = 0.0;
            v.start_m = 0.0;
            v.direction = 1.0;
        } else {
            let (sw, ne) = self.region.anchorage;
            v.route = None;
            v.speed_kn = 0.0;
            v.anchored_at = Position::new(rng.range(sw.lat(), ne.lat()), rng.range(sw.lon(), ne.lon()));
        }
        v.window = (config.start, config.start);
        self.vessels.push(v);
    }

    fn add_inland(&mut self, rng: &mut Rng, config: &SimulationConfig) {
        let serial = 85_000 + self.vessels.len();
        let mut v = self.base_vessel(rng, serial);
        v.class = Class::A;
        v.route = Some(3);
        v.speed_kn = rng.range(6.0, 9.0);
        v.lateral_m = 0.0;
        v.start_m = rng.range(0.0, self.routes[3].length_m());
        v.anomaly = Anomaly::OnLand;
        v.window = (config.start, config.start);
        self.vessels.push(v);
    }

    fn add_anomaly_truth(&mut self) {
        for v in &self.vessels {
            let (start, end) = v.window;
            let mut push = |kind, mmsi_2| self.truth.push(Truth { kind, mmsi: v.mmsi, mmsi_2, start, end });
            match v.anomaly {
                Anomaly::Loiter => push("loitering", None),
                Anomaly::Encounter(partner) => {
                    push("loitering", None);
                    let other = self.vessels[partner].mmsi;
                    if v.mmsi < other {
                        self.truth.push(Truth { kind: "encounter", mmsi: v.mmsi, mmsi_2: Some(other), start, end });
                    }
                }
                Anomaly::Duplicate(_) => push("duplicate_mmsi", None),
                Anomaly::Drift => push("drift", None),
                Anomaly::Rename => push("identity_change", None),
                Anomaly::Jump => push("position_jump", None),
                Anomaly::FastTug => push("static_data_invalid", None),
                // Gaps, invalid MMSIs and watch-list hits are timed by the reports themselves.
                _ => {}
            }
        }
    }

    /// The watch list the injected vessels are on, as the CSV `harborlink analyze` reads.
    pub fn watchlist_csv(&self) -> String {
        let mut csv = String::from("mmsi,imo,name,callsign,reason\n");
        for (mmsi, name, reason) in &self.watchlist {
            csv.push_str(&format!("{mmsi},,{name},,{reason}\n"));
        }
        csv
    }

    /// Ground truth so far (complete once [`Simulation::next_sentences`] has returned `None`).
    pub fn truth(&self) -> &[Truth] {
        &self.truth
    }

    /// Distance along the route at `t`, with slow spells during loitering and encounters.
    fn distance_m(&self, v: &Vessel, t: i64, start: i64) -> f64 {
        let normal = knots_to_mps(v.speed_kn);
        let mut d = v.start_m + v.direction * normal * (t - start) as f64;
        let slow = match v.anomaly {
            Anomaly::Loiter | Anomaly::Encounter(_) => Some(SLOW_KN),
            Anomaly::Drift => Some(DRIFT_KN),
            _ => None,
        };
        if let Some(slow_kn) = slow {
            let overlap = (t.min(v.window.1) - v.window.0).max(0) as f64;
            d -= v.direction * (normal - knots_to_mps(slow_kn)) * overlap;
        }
        d
    }

    fn in_window(v: &Vessel, t: i64) -> bool {
        (v.window.0..v.window.1).contains(&t)
    }

    /// Pops the next event and appends its sentences; `None` when the simulation is over.
    pub fn next_sentences(&mut self, start: i64, out: &mut Vec<String>) -> Option<i64> {
        let Reverse((t, index, is_static)) = self.queue.pop()?;
        if t >= self.end {
            self.finish_truth();
            self.queue.clear();
            return None;
        }
        if is_static {
            self.emit_static(index, t, out);
            self.queue.push(Reverse((t + STATIC_INTERVAL_S, index, true)));
        } else {
            let next = self.emit_position(index, t, start, out);
            if let Some(next) = next {
                self.queue.push(Reverse((next, index, false)));
            }
        }
        Some(t)
    }

    fn options(&mut self, t: i64, channel_b: bool) -> SentenceOptions<'static> {
        self.sequence = (self.sequence + 1) % 10;
        SentenceOptions {
            channel: if channel_b { 'B' } else { 'A' },
            sequence: self.sequence,
            source: Some("sim-rx"),
            time: Some(t),
            ..SentenceOptions::default()
        }
    }

    fn emit_static(&mut self, index: usize, t: i64, out: &mut Vec<String>) {
        let v = &self.vessels[index];
        let name = if v.anomaly == Anomaly::Rename && t >= v.window.0 {
            format!("RENAMED {}", v.mmsi % 1000)
        } else {
            v.name.clone()
        };
        let header = |message_type| Header { message_type, repeat: 0, mmsi: v.mmsi };
        let messages = match v.class {
            Class::A => vec![AisMessage::StaticAndVoyage(StaticAndVoyage {
                header: header(5),
                ais_version: 2,
                imo: Some(v.imo),
                callsign: AisText::from_str_lossy(&v.callsign),
                shipname: AisText::from_str_lossy(&name),
                shiptype: v.ship_type,
                dimensions: v.dims,
                epfd: 1,
                eta: Eta { month: Some(1), day: Some(2), hour: Some(6), minute: Some(0) },
                draught: Some(8.5),
                destination: AisText::from_str_lossy("SGSIN"),
                dte: false,
            })],
            Class::B => vec![
                AisMessage::StaticData(StaticDataReport::PartA {
                    header: header(24),
                    shipname: AisText::from_str_lossy(&name),
                }),
                AisMessage::StaticData(StaticDataReport::PartB {
                    header: header(24),
                    shiptype: v.ship_type,
                    vendorid: AisText::from_str_lossy("SIM"),
                    model: 1,
                    serial: v.mmsi % 1_000_000,
                    callsign: AisText::from_str_lossy(&v.callsign),
                    tail: hl_ais::PartBTail::Dimensions(v.dims),
                }),
            ],
        };
        let channel = self.vessels[index].channel;
        for m in messages {
            let options = self.options(t, channel);
            out.extend(to_sentences(&m, &options));
        }
    }

    /// Emits a position report; returns when the next is due.
    fn emit_position(&mut self, index: usize, t: i64, start: i64, out: &mut Vec<String>) -> Option<i64> {
        let v = &self.vessels[index];
        // A ghost transmits only inside its window; a vessel in a gap not at all.
        if v.ghost_of.is_some() && t >= v.window.1 {
            return None;
        }
        if v.anomaly == Anomaly::Gap && Self::in_window(v, t) {
            let resume = v.window.1;
            self.vessels[index].gap_open = true;
            return Some(resume);
        }
        let anchored = v.route.is_none();
        let (mut position, course, speed) = match (v.route, v.anchored_at) {
            (Some(route), _) => {
                let d = self.distance_m(v, t, start);
                let (p, forward, reversed) = self.routes[route].at(d);
                // Moving forward along the route when the direction and the bounce agree.
                let course = if (v.direction > 0.0) != reversed { forward } else { (forward + 180.0) % 360.0 };
                let speed = match v.anomaly {
                    Anomaly::Loiter | Anomaly::Encounter(_) if Self::in_window(v, t) => SLOW_KN,
                    Anomaly::Drift if Self::in_window(v, t) => DRIFT_KN,
                    _ => v.speed_kn,
                };
                // The offset is to one side of the lane, whichever way the vessel goes.
                (p.destination((forward + 90.0) % 360.0, v.lateral_m), course, speed)
            }
            (None, Some(p)) => (p, 0.0, if v.ghost_of.is_some() { v.speed_kn } else { 0.0 }),
            (None, None) => return None,
        };
        let mut heading = course.round() as u16 % 360;
        if v.anomaly == Anomaly::Drift && Self::in_window(v, t) {
            heading = ((course + DRIFT_ANGLE_DEG).round() as u16) % 360;
        }
        let spoofed =
            v.anomaly == Anomaly::Jump && t >= v.window.0 && v.last_report.is_some_and(|last| last < v.window.0);
        let (mmsi, class) = (v.mmsi, v.class);
        let status = if anchored && v.ghost_of.is_none() { 1 } else { 0 };
        if spoofed {
            // One report 50 km to the east of the true position.
            position = position.destination(90.0, 50_000.0);
            self.truth_fix_jump(index, t);
        }
        let message = match class {
            Class::A => AisMessage::Position(PositionReport {
                header: Header { message_type: 1, repeat: 0, mmsi },
                status,
                turn: Turn::Rate { raw: 0, degrees_per_minute: 0.0 },
                speed: Some((speed * 10.0).round() / 10.0),
                accuracy: true,
                lon: Some(position.lon()),
                lat: Some(position.lat()),
                course: Some((course * 10.0).round() / 10.0 % 360.0),
                heading: Some(heading),
                second: (t % 60) as u8,
                maneuver: 0,
                raim: false,
                radio: 0,
            }),
            Class::B => AisMessage::ClassBPosition(ClassBPositionReport {
                header: Header { message_type: 18, repeat: 0, mmsi },
                speed: Some((speed * 10.0).round() / 10.0),
                accuracy: true,
                lon: Some(position.lon()),
                lat: Some(position.lat()),
                course: Some((course * 10.0).round() / 10.0 % 360.0),
                heading: Some(heading),
                second: (t % 60) as u8,
                cs: true,
                ..ClassBPositionReport::default()
            }),
        };
        let channel = !self.vessels[index].channel;
        self.vessels[index].channel = channel;
        let options = self.options(t, channel);
        out.extend(to_sentences(&message, &options));
        if !spoofed && self.vessels[index].ghost_of.is_none() {
            self.track_truth(index, t, &position);
        }
        let v = &mut self.vessels[index];
        v.last_report = Some(t);
        Some(t + interval_s(class, speed, anchored && v.ghost_of.is_none()))
    }

    fn truth_fix_jump(&mut self, index: usize, t: i64) {
        let mmsi = self.vessels[index].mmsi;
        if let Some(truth) = self.truth.iter_mut().find(|x| x.kind == "position_jump" && x.mmsi == mmsi) {
            truth.start = self.vessels[index].last_report.unwrap_or(t);
            truth.end = t;
        }
    }

    /// Truth implied by the transmitted track: zones, gaps, first-report events.
    fn track_truth(&mut self, index: usize, t: i64, position: &Position) {
        let zones = &self.region.zones;
        let v = &mut self.vessels[index];
        if !v.first_report_done {
            v.first_report_done = true;
            if v.anomaly == Anomaly::InvalidMmsi {
                self.truth.push(Truth { kind: "invalid_mmsi", mmsi: v.mmsi, mmsi_2: None, start: t, end: t });
            }
            if v.anomaly == Anomaly::Watchlisted {
                self.truth.push(Truth { kind: "watchlist_hit", mmsi: v.mmsi, mmsi_2: None, start: t, end: t });
            }
            if v.anomaly == Anomaly::OnLand {
                self.truth.push(Truth { kind: "position_on_land", mmsi: v.mmsi, mmsi_2: None, start: t, end: t });
            }
        }
        if v.gap_open {
            v.gap_open = false;
            let last = v.last_report.unwrap_or(t);
            self.truth.push(Truth { kind: "ais_gap", mmsi: v.mmsi, mmsi_2: None, start: last, end: t });
        }
        for (zi, zone) in zones.iter().enumerate() {
            let inside = zone.contains(position);
            let slot = v.inside.iter().position(|(z, _, _)| *z == zi);
            match (inside, slot) {
                (true, None) => {
                    v.inside.push((zi, t, false));
                    self.truth.push(Truth { kind: "zone_entry", mmsi: v.mmsi, mmsi_2: None, start: t, end: t });
                }
                (false, Some(s)) => {
                    let (_, since, _) = v.inside.swap_remove(s);
                    self.truth.push(Truth { kind: "zone_exit", mmsi: v.mmsi, mmsi_2: None, start: since, end: t });
                }
                (true, Some(s)) => {
                    let (_, since, reported) = &mut v.inside[s];
                    if let Some(limit) = zone.dwell_seconds
                        && !*reported
                        && t - *since >= limit
                    {
                        *reported = true;
                        self.truth.push(Truth {
                            kind: "zone_dwell",
                            mmsi: v.mmsi,
                            mmsi_2: None,
                            start: *since,
                            end: t,
                        });
                    }
                }
                (false, None) => {}
            }
        }
    }

    /// Events still open when the simulation ends (a gap that never closed), and truth only for
    /// what the data contains: an injected anomaly whose window does not lie within the reports
    /// (a short simulation ends before it, or during it) is no event the data can show.
    fn finish_truth(&mut self) {
        for v in &self.vessels {
            if v.gap_open {
                let last = v.last_report.unwrap_or(self.end);
                self.truth.push(Truth { kind: "ais_gap", mmsi: v.mmsi, mmsi_2: None, start: last, end: self.end });
            }
        }
        let last_report = self.vessels.iter().filter_map(|v| v.last_report).max().unwrap_or(i64::MIN);
        self.truth.retain(|t| t.start <= last_report && (t.end <= last_report || t.kind == "ais_gap"));
    }
}

//! The live picture: the latest state of every vessel, and the detectors run on each report.

use std::collections::{HashMap, VecDeque};

/// Hash maps on the per-report path: foldhash (randomly seeded, so MMSIs from a feed cannot be
/// chosen to collide) is several times faster than the default SipHash on integer keys.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use hl_geo::{Land, NAUTICAL_MILE_M, Position, Zone};

use crate::alert::{Alert, AlertKind, Severity};
use crate::mmsi::{MmsiClass, classify_mmsi};
use crate::watchlist::Watchlist;

mod drift;
mod gap;
mod loitering;
mod zones;

use drift::DriftEpisode;
use gap::{Seen, Silence, gap};
use loitering::SlowSpell;

/// Thresholds of every detector, with the published defaults.
#[derive(Debug, Clone)]
pub struct DetectorConfig {
    /// Implied speed above which a jump between consecutive positions is impossible
    /// (AMSA drops fixes implying more than 50 kn).
    pub jump_speed_kn: f64,
    /// Jumps shorter than this are GNSS noise, whatever the implied speed.
    pub jump_distance_min_m: f64,
    /// A gap is silence longer than this many expected reporting intervals...
    pub gap_intervals: f64,
    /// ...and never shorter than this.
    pub gap_seconds_min: i64,
    /// "Was transmitting within coverage": at least this many reports in the hour before.
    pub gap_reports_before_min: usize,
    /// Drift (AMSA): speed over ground within this range, in knots...
    pub drift_speed_kn: (f64, f64),
    /// ...with course and heading at least this far apart, in degrees...
    pub drift_angle_deg: f64,
    /// ...for at least this long.
    pub drift_seconds_min: i64,
    /// Identity changes (Spire): a new value counts once seen this many times...
    pub identity_repeats_min: u32,
    /// ...making up at least this share of the updates since the last change.
    pub identity_share_min: f64,
    /// Loitering (GFW): slower than this, in knots...
    pub loiter_speed_kn: f64,
    /// ...for at least this long, outside anchorages and berths.
    pub loiter_seconds_min: i64,
    /// Encounter (GFW): two vessels within this distance...
    pub encounter_distance_m: f64,
    /// ...both slower than this...
    pub encounter_speed_kn: f64,
    /// ...for at least this long, outside anchorages and berths.
    pub encounter_seconds_min: i64,
    /// Encounters of the same pair less than this apart are one.
    pub encounter_merge_seconds: i64,
    /// Position on land: the position and points this far around it must all be on land (the
    /// 1:50m coastline is accurate to about a kilometre; ships at quays must not count).
    pub land_margin_m: f64,
    /// Static data inconsistent with behaviour: a declared type faster than its ceiling (see
    /// [`type_speed_ceiling_kn`]) for at least this many consecutive reports...
    pub inconsistent_reports_min: u32,
    /// ...spanning at least this long.
    pub inconsistent_seconds_min: i64,
    /// Duplicate MMSI: this many impossible jumps...
    pub duplicate_jumps_min: usize,
    /// ...within this many seconds mean two transmitters share the MMSI.
    pub duplicate_window_seconds: i64,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            jump_speed_kn: 50.0,
            jump_distance_min_m: 1_000.0,
            gap_intervals: 60.0,
            gap_seconds_min: 900,
            gap_reports_before_min: 5,
            drift_speed_kn: (0.25, 20.0),
            drift_angle_deg: 45.0,
            drift_seconds_min: 300,
            identity_repeats_min: 3,
            identity_share_min: 0.9,
            loiter_speed_kn: 2.0,
            loiter_seconds_min: 2 * 3_600,
            encounter_distance_m: 500.0,
            encounter_speed_kn: 2.0,
            encounter_seconds_min: 2 * 3_600,
            encounter_merge_seconds: 4 * 3_600,
            land_margin_m: 1_000.0,
            inconsistent_reports_min: 3,
            inconsistent_seconds_min: 300,
            duplicate_jumps_min: 3,
            duplicate_window_seconds: 600,
        }
    }
}

/// What kind of transmitter a position came from (it sets the expected reporting interval).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VesselClass {
    A,
    B,
    SarAircraft,
    AidToNavigation,
    BaseStation,
}

/// A position report, with its reception time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionReport {
    pub mmsi: u32,
    /// Unix seconds.
    pub time: i64,
    pub position: Position,
    /// Knots.
    pub speed: Option<f64>,
    /// Degrees.
    pub course: Option<f64>,
    pub heading: Option<u16>,
    pub class: VesselClass,
    /// Navigational status (types 1-3); 1 = at anchor, 5 = moored.
    pub status: Option<u8>,
}

/// Static and voyage data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StaticReport {
    pub mmsi: u32,
    pub time: i64,
    pub name: Option<String>,
    pub callsign: Option<String>,
    pub imo: Option<u32>,
    pub ship_type: Option<u8>,
    pub length_m: Option<f64>,
}

/// Values of one static field, with the counts that decide when a new one is accepted.
///
/// Spire's rule says a new value must be seen at least 3 times and make up at least 90% of the
/// updates "since the last change". Read literally, a vessel that broadcast its old name a
/// thousand times could not be renamed without nine thousand more messages, so the share is
/// counted from the first time the new value appeared: interleaved old values (or noise) keep
/// it below 90%, a real rename passes after three messages.
#[derive(Debug, Default)]
struct IdentityField<T> {
    accepted: Option<T>,
    /// Candidate values: (value, times seen, update number when first seen).
    candidates: Vec<(T, u32, u32)>,
    updates: u32,
}

/// Distinct candidate values kept per field; more are noise.
const IDENTITY_CANDIDATES_MAX: usize = 4;

impl<T: PartialEq + Clone> IdentityField<T> {
    /// Records a value; returns (old, new) when the accepted value changes.
    fn observe(&mut self, value: T, repeats: u32, share: f64) -> Option<(T, T)> {
        let Some(current) = &self.accepted else {
            self.accepted = Some(value);
            return None;
        };
        self.updates += 1;
        if *current == value {
            return None;
        }
        let updates = self.updates;
        let index = match self.candidates.iter().position(|(v, _, _)| *v == value) {
            Some(i) => {
                self.candidates[i].1 += 1;
                i
            }
            None => {
                if self.candidates.len() == IDENTITY_CANDIDATES_MAX {
                    // Forget the rarest candidate.
                    let rarest = (0..self.candidates.len()).min_by_key(|&i| self.candidates[i].1).unwrap_or(0);
                    self.candidates.swap_remove(rarest);
                }
                self.candidates.push((value.clone(), 1, updates));
                self.candidates.len() - 1
            }
        };
        let (_, count, since) = self.candidates[index];
        let window = updates - since + 1;
        if count >= repeats && f64::from(count) / f64::from(window) >= share {
            let old = self.accepted.replace(value)?;
            self.candidates.clear();
            return Some((old, self.accepted.clone()?));
        }
        None
    }
}

#[derive(Debug, Clone, Copy)]
struct Fix {
    time: i64,
    position: Position,
    speed: Option<f64>,
    class: VesselClass,
    status: Option<u8>,
}

/// Jump alerts held per vessel at most (more within one window is a duplicate pattern).
const HELD_JUMPS_MAX: usize = 8;

/// Reports kept to judge "was transmitting" before a gap.
const RECENT_TIMES_MAX: usize = 16;

/// Sustained speed no vessel of a declared ship-and-cargo type makes, knots. Types without a
/// ceiling (cargo, passenger, high-speed craft, unknown) are never judged by speed.
pub fn type_speed_ceiling_kn(ship_type: u8) -> Option<f64> {
    match ship_type {
        30 => Some(18.0),      // fishing
        31 | 32 => Some(16.0), // towing
        33 => Some(14.0),      // dredging or underwater operations
        34 => Some(12.0),      // diving operations
        36 => Some(20.0),      // sailing
        52 => Some(18.0),      // tug
        80..=89 => Some(22.0), // tankers
        _ => None,
    }
}

/// The static-data inconsistencies reported, one alert each per vessel.
#[derive(Debug, Clone, Copy)]
enum Inconsistency {
    SpeedForType = 1,
    Dimensions = 2,
    ImoCheckDigit = 4,
}

/// Whether an IMO ship number's seventh digit is its check digit (the first six weighted 7..2,
/// summed, last digit).
pub fn imo_valid(imo: u32) -> bool {
    if !(1_000_000..=9_999_999).contains(&imo) {
        return false;
    }
    let digits: Vec<u32> = imo.to_string().bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits[..6].iter().zip((2..=7).rev()).map(|(d, w)| d * w).sum();
    sum % 10 == digits[6]
}

/// Longest hull afloat is about 460 m: a declared length beyond it is not a ship's.
const LENGTH_MAX_M: f64 = 470.0;

/// Two vessels close together and slow: (start, last time seen together, position).
#[derive(Debug, Clone, Copy)]
struct Rendezvous {
    start: i64,
    last: i64,
    position: Position,
    reported: bool,
}

/// A slow vessel in the grid: (mmsi, time, position).
type SlowEntry = (u32, i64, Position);

/// Grid cell of about 0.01° (1.1 km): neighbours within 500 m are in the same or an adjacent cell.
fn cell(p: &Position) -> (i32, i32) {
    ((p.lat() * 100.0).floor() as i32, (p.lon() * 100.0).floor() as i32)
}

#[derive(Debug, Default)]
struct Vessel {
    last: Option<Fix>,
    /// Time of the last report heard, accepted or not (silence is measured from it).
    last_heard: i64,
    /// A position that jumped away from `last`, kept until the next report decides which of the
    /// two the vessel is really at.
    jumped_to: Option<Fix>,
    recent: VecDeque<i64>,
    /// Zones the vessel is inside: (zone index, entered at, dwell reported).
    inside: zones::Inside,
    drift: Option<DriftEpisode>,
    invalid_reported: bool,
    watch_reported: bool,
    name: IdentityField<String>,
    callsign: IdentityField<String>,
    imo: IdentityField<u32>,
    ship_type: Option<u8>,
    length_m: Option<f64>,
    slow: Option<SlowSpell>,
    /// The grid cell this vessel occupies in the slow-vessel index, if any.
    slow_cell: Option<(i32, i32)>,
    /// Times of recent impossible jumps.
    jumps: VecDeque<i64>,
    /// Until when this MMSI counts as shared by two transmitters (jumps are then not reported
    /// one by one).
    duplicate_until: i64,
    /// Whether the last position was reported on land (one alert per spell on land).
    on_land: bool,
    /// Consecutive reports faster than the declared type's ceiling: (count, first time).
    too_fast: (u32, i64),
    /// Inconsistencies already reported (bit flags of [`Inconsistency`]).
    inconsistencies: u8,
    /// Jump alerts held until the duplicate window has passed without a duplicate pattern:
    /// a jump cannot be told from the start of a shared MMSI when it happens.
    held_jumps: Vec<Alert>,
    /// `last.time` of the silence a live sweep already reported as a gap (0: none), so a sweep
    /// reports one silence once.
    gap_swept: i64,
}

/// Every vessel's state and every detector.
pub struct Picture {
    config: DetectorConfig,
    zones: Vec<Zone>,
    /// Land polygons for the position-on-land detector; `None` turns it off.
    land: Option<&'static Land>,
    watchlist: Watchlist,
    /// Vessel states, densely packed (a hash table of full states would hold up to twice their
    /// size in growth headroom); `index` maps an MMSI to its slot.
    states: Vec<Vessel>,
    index: FastMap<u32, u32>,
    /// Slow vessels outside mooring areas by grid cell: (mmsi, time, position).
    slow_cells: FastMap<(i32, i32), Vec<SlowEntry>>,
    /// Pairs (lower MMSI first) seen close together and slow.
    pairs: FastMap<(u32, u32), Rendezvous>,
    /// Each vessel's partners in `pairs`, so a report touches only its own pairs.
    partners: FastMap<u32, Vec<u32>>,
    /// Reports skipped as repeats (the same report heard by two receivers) or out of order.
    pub skipped_repeats: u64,
    pub skipped_out_of_order: u64,
}

fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

fn alert(kind: AlertKind, mmsi: u32, start: i64, end: i64, at: &Position, severity: Severity, detail: String) -> Alert {
    Alert {
        kind,
        mmsi,
        mmsi_2: None,
        start,
        end,
        lat: at.lat(),
        lon: at.lon(),
        severity,
        detail,
        zone: None,
        watch_entry: None,
    }
}

impl Picture {
    pub fn new(config: DetectorConfig, zones: Vec<Zone>, watchlist: Watchlist) -> Self {
        Self {
            config,
            zones,
            land: None,
            watchlist,
            states: Vec::new(),
            index: FastMap::default(),
            slow_cells: FastMap::default(),
            pairs: FastMap::default(),
            partners: FastMap::default(),
            skipped_repeats: 0,
            skipped_out_of_order: 0,
        }
    }

    /// Turns on the position-on-land detector with these land polygons.
    pub fn with_land(mut self, land: &'static Land) -> Self {
        self.land = Some(land);
        self
    }

    /// The slot of `mmsi`'s state, created on first sight.
    fn slot(&mut self, mmsi: u32) -> usize {
        let next = self.states.len();
        let slot = *self.index.entry(mmsi).or_insert_with(|| u32::try_from(next).unwrap_or(u32::MAX)) as usize;
        if slot == next {
            self.states.push(Vessel::default());
        }
        slot
    }

    /// Replaces the zones (an operator edited them on a live node). Vessels stay inside the zones
    /// that keep their id, so editing one zone does not re-announce every vessel in the others.
    pub fn set_zones(&mut self, zones: Vec<Zone>) {
        let old_ids: Vec<String> = self.zones.iter().map(|z| z.id.clone()).collect();
        let new_index: HashMap<&str, usize> = zones.iter().enumerate().map(|(i, z)| (z.id.as_str(), i)).collect();
        for vessel in &mut self.states {
            vessel.inside.retain_mut(|(zone, _, _)| {
                match old_ids.get(*zone).and_then(|id| new_index.get(id.as_str())) {
                    Some(&i) => {
                        *zone = i;
                        true
                    }
                    None => false,
                }
            });
        }
        self.zones = zones;
    }

    /// Replaces the watch list. Vessels already reported stay reported.
    pub fn set_watchlist(&mut self, watchlist: Watchlist) {
        self.watchlist = watchlist;
    }

    /// Reports vessels silent past their gap threshold at `now` without waiting for their next
    /// report (a live node cannot wait: a vessel that went dark sends nothing more). Each silence
    /// is reported once; if the vessel comes back, its next report yields the gap again with its
    /// full length, which the alert gate merges into this one.
    pub fn sweep(&mut self, now: i64) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let config = &self.config;
        for (&mmsi, &slot) in &self.index {
            let Some(vessel) = self.states.get_mut(slot as usize) else { continue };
            let Some(last) = vessel.last else { continue };
            if vessel.gap_swept == last.time {
                continue;
            }
            let silence =
                Silence { mmsi, last: &last, since: vessel.last_heard.max(last.time), recent: &vessel.recent };
            if let Some(found) = gap(&silence, now, Seen::StillSilent, config, &self.zones) {
                vessel.gap_swept = last.time;
                alerts.push(found);
            }
        }
        alerts.sort_by_key(|a| a.mmsi);
        alerts
    }

    /// Vessels with any state.
    pub fn vessels(&self) -> usize {
        self.states.len()
    }

    fn in_any_zone(&self, p: &Position) -> bool {
        self.zones.iter().any(|z| z.contains(p))
    }

    /// Runs every detector on one position report; returns what it triggered.
    pub fn observe_position(&mut self, report: &PositionReport) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let config = self.config.clone();
        let near_zone = self.in_any_zone(&report.position);
        let slot = self.slot(report.mmsi);
        let vessel = &mut self.states[slot];
        if !vessel.invalid_reported && classify_mmsi(report.mmsi) == MmsiClass::Invalid {
            vessel.invalid_reported = true;
            alerts.push(alert(
                AlertKind::InvalidMmsi,
                report.mmsi,
                report.time,
                report.time,
                &report.position,
                Severity::Medium,
                format!("MMSI {:09} fits no ITU-R M.585 format or uses an unallocated MID", report.mmsi),
            ));
        }
        if let Some(last) = vessel.last {
            if report.time < last.time {
                self.skipped_out_of_order += 1;
                return alerts;
            }
            if report.time == last.time && report.position == last.position {
                self.skipped_repeats += 1;
                return alerts;
            }
        }
        release_held_jumps(vessel, report.time, config.duplicate_window_seconds, &mut alerts);
        let fix = Fix {
            time: report.time,
            position: report.position,
            speed: report.speed,
            class: report.class,
            status: report.status,
        };
        if let Some(last) = vessel.last {
            // AIS gap: a vessel that was transmitting falls silent for many of its intervals.
            let silence = Silence {
                mmsi: report.mmsi,
                last: &last,
                since: vessel.last_heard.max(last.time),
                recent: &vessel.recent,
            };
            alerts.extend(gap(&silence, report.time, Seen::Returned, &config, &self.zones));
            // Position jump: an implied speed no ship can make.
            let reference = vessel.jumped_to.filter(|j| {
                let d = j.position.distance_m(&report.position);
                let dt = (report.time - j.time).max(1) as f64;
                d / dt * 3_600.0 / NAUTICAL_MILE_M <= config.jump_speed_kn
            });
            if let Some(moved) = reference {
                // The jumped-to position continues: the vessel is there; the old fix was wrong.
                vessel.last = Some(moved);
            }
            let from = vessel.last.unwrap_or(last);
            // Most consecutive reports are metres apart: a cheap bound settles them.
            let distance = if from.position.surely_within_m(&report.position, config.jump_distance_min_m) {
                0.0
            } else {
                from.position.distance_m(&report.position)
            };
            let dt = report.time - from.time;
            let implied_kn = if dt > 0 { distance / dt as f64 * 3_600.0 / NAUTICAL_MILE_M } else { f64::INFINITY };
            if distance > config.jump_distance_min_m && implied_kn > config.jump_speed_kn {
                vessel.jumps.retain(|&t| report.time - t <= config.duplicate_window_seconds);
                vessel.jumps.push_back(report.time);
                let severity = if near_zone { Severity::High } else { Severity::Medium };
                if report.time <= vessel.duplicate_until {
                    // Already reported as shared; keep the window open while jumps continue.
                    vessel.duplicate_until = report.time + config.duplicate_window_seconds;
                } else if vessel.jumps.len() >= config.duplicate_jumps_min {
                    vessel.duplicate_until = report.time + config.duplicate_window_seconds;
                    // The held jumps were this pattern's beginning, not separate events.
                    vessel.held_jumps.clear();
                    let first = vessel.jumps.front().copied().unwrap_or(report.time);
                    alerts.push(alert(
                        AlertKind::DuplicateMmsi,
                        report.mmsi,
                        first,
                        report.time,
                        &report.position,
                        severity,
                        format!(
                            "{} impossible jumps in {} s: two transmitters appear to use this MMSI, {:.1} km apart",
                            vessel.jumps.len(),
                            report.time - first,
                            distance / 1_000.0
                        ),
                    ));
                } else if vessel.held_jumps.len() < HELD_JUMPS_MAX {
                    vessel.held_jumps.push(alert(
                        AlertKind::PositionJump,
                        report.mmsi,
                        from.time,
                        report.time,
                        &report.position,
                        severity,
                        format!(
                            "moved {:.1} km in {dt} s (implied {:.0} kn, limit {:.0} kn)",
                            distance / 1_000.0,
                            implied_kn.min(99_999.0),
                            config.jump_speed_kn
                        ),
                    ));
                }
                vessel.jumped_to = Some(fix);
                vessel.last_heard = report.time;
                return alerts;
            }
            vessel.jumped_to = None;
        }
        // Position on land, well inland of the coastline's accuracy and outside ports and berths.
        let in_harbour = self
            .zones
            .iter()
            .any(|z| matches!(z.kind.as_str(), "port" | "berth" | "anchorage") && z.contains(&report.position));
        let on_land = !in_harbour
            && self.land.is_some_and(|land| land.contains_with_margin(&report.position, config.land_margin_m));
        if on_land && !vessel.on_land {
            alerts.push(alert(
                AlertKind::PositionOnLand,
                report.mmsi,
                report.time,
                report.time,
                &report.position,
                if near_zone { Severity::High } else { Severity::Medium },
                format!(
                    "reported position {:.4}, {:.4} is more than {:.1} km inland (Natural Earth 1:50m land)",
                    report.position.lat(),
                    report.position.lon(),
                    config.land_margin_m / 1_000.0
                ),
            ));
        }
        vessel.on_land = on_land;
        if on_land {
            // An inland position is false: it must not feed loitering, encounters or zones.
            vessel.last = Some(fix);
            vessel.last_heard = report.time;
            return alerts;
        }
        // Static data inconsistent with behaviour: faster than the declared type can go.
        // Reported as an identity anomaly (`identity_change`, the kind list being fixed), with
        // the inconsistency named in the detail.
        let ceiling = vessel.ship_type.and_then(type_speed_ceiling_kn);
        match (ceiling, report.speed) {
            (Some(max), Some(speed)) if speed > max && speed < 102.2 => {
                if vessel.too_fast.0 == 0 {
                    vessel.too_fast.1 = report.time;
                }
                vessel.too_fast.0 += 1;
                let flag = Inconsistency::SpeedForType as u8;
                if vessel.inconsistencies & flag == 0
                    && vessel.too_fast.0 >= config.inconsistent_reports_min
                    && report.time - vessel.too_fast.1 >= config.inconsistent_seconds_min
                {
                    vessel.inconsistencies |= flag;
                    alerts.push(alert(
                        AlertKind::IdentityChange,
                        report.mmsi,
                        vessel.too_fast.1,
                        report.time,
                        &report.position,
                        Severity::Medium,
                        format!(
                            "static data inconsistent with behaviour: declared ship type {} but {:.1} kn for {} min (ceiling {max:.0} kn)",
                            vessel.ship_type.unwrap_or(0),
                            speed,
                            (report.time - vessel.too_fast.1) / 60
                        ),
                    ));
                }
            }
            _ => vessel.too_fast = (0, 0),
        }
        alerts.extend(drift::step(&mut vessel.drift, report, &config));
        // Zones: entry, exit, dwell.
        zones::step(&mut vessel.inside, &self.zones, (vessel.ship_type, vessel.length_m), report, &mut alerts);
        // Watch list, on the MMSI.
        if !vessel.watch_reported
            && let Some((entry, on)) = self.watchlist.lookup(report.mmsi, None, None, None)
        {
            vessel.watch_reported = true;
            let mut hit = alert(
                AlertKind::WatchlistHit,
                report.mmsi,
                report.time,
                report.time,
                &report.position,
                Severity::High,
                format!("watch-listed by {on}: {}", entry.reason),
            );
            hit.watch_entry = entry.id.clone();
            alerts.push(hit);
        }
        let in_mooring_area = self.zones.iter().any(|z| z.is_mooring_area() && z.contains(&report.position));
        let slow = report.speed.is_some_and(|sp| sp < config.loiter_speed_kn) && !in_mooring_area;
        alerts.extend(loitering::step(&mut vessel.slow, report, slow, &config));
        vessel.last = Some(fix);
        vessel.last_heard = report.time;
        let slow_now = report.speed.is_some_and(|s| s < config.encounter_speed_kn) && !in_mooring_area;
        alerts.extend(self.track_encounters(report, slow_now));
        let Some(vessel) = self.index.get(&report.mmsi).and_then(|&i| self.states.get_mut(i as usize)) else {
            return alerts;
        };
        if vessel.recent.len() == RECENT_TIMES_MAX {
            vessel.recent.pop_front();
        }
        vessel.recent.push_back(report.time);
        alerts
    }

    /// Updates the slow-vessel grid with this report and the pairs it makes; returns the
    /// encounters that reached the minimum duration or ended.
    fn track_encounters(&mut self, report: &PositionReport, slow: bool) -> Vec<Alert> {
        let config = &self.config;
        let home = cell(&report.position);
        // Leave the vessel's old cell entry behind (it is refreshed below if still slow).
        let previous = self
            .index
            .get(&report.mmsi)
            .and_then(|&i| self.states.get_mut(i as usize))
            .and_then(|v| v.slow_cell.take());
        if let Some(old) = previous
            && let Some(entries) = self.slow_cells.get_mut(&old)
        {
            entries.retain(|(mmsi, _, _)| *mmsi != report.mmsi);
            if entries.is_empty() {
                self.slow_cells.remove(&old);
            }
        }
        let mut alerts = Vec::new();
        let mut near = Vec::new();
        if slow {
            for dlat in -1..=1 {
                for dlon in -1..=1 {
                    let Some(entries) = self.slow_cells.get(&(home.0 + dlat, home.1 + dlon)) else { continue };
                    for &(other, seen, position) in entries {
                        // The other vessel's report must be recent to count as "together".
                        if report.time - seen <= 600
                            && position.distance_m(&report.position) <= config.encounter_distance_m
                        {
                            near.push(other);
                        }
                    }
                }
            }
            self.slow_cells.entry(home).or_default().push((report.mmsi, report.time, report.position));
            if let Some(v) = self.index.get(&report.mmsi).and_then(|&i| self.states.get_mut(i as usize)) {
                v.slow_cell = Some(home);
            }
        }
        for &other in &near {
            let key = (report.mmsi.min(other), report.mmsi.max(other));
            let fresh =
                Rendezvous { start: report.time, last: report.time, position: report.position, reported: false };
            match self.pairs.get_mut(&key) {
                Some(pair) if report.time - pair.last <= config.encounter_merge_seconds => pair.last = report.time,
                Some(pair) => *pair = fresh,
                None => {
                    self.pairs.insert(key, fresh);
                    self.partners.entry(report.mmsi).or_default().push(other);
                    self.partners.entry(other).or_default().push(report.mmsi);
                }
            }
        }
        // This vessel's pairs: forget those apart for longer than the merge window, report
        // those together long enough.
        let partners = self.partners.get(&report.mmsi).cloned().unwrap_or_default();
        for other in partners {
            let key = (report.mmsi.min(other), report.mmsi.max(other));
            let Some(pair) = self.pairs.get_mut(&key) else { continue };
            if !near.contains(&other) && report.time - pair.last > config.encounter_merge_seconds {
                self.pairs.remove(&key);
                for (a, b) in [(report.mmsi, other), (other, report.mmsi)] {
                    if let Some(list) = self.partners.get_mut(&a) {
                        list.retain(|x| *x != b);
                    }
                }
                continue;
            }
            if !pair.reported && pair.last - pair.start >= config.encounter_seconds_min {
                pair.reported = true;
                let (a, b) = key;
                let mut found = alert(
                    AlertKind::Encounter,
                    a,
                    pair.start,
                    pair.last,
                    &pair.position,
                    Severity::High,
                    format!(
                        "within {:.0} m of {b:09} at under {:.0} kn for {} min outside anchorages (possible ship-to-ship transfer)",
                        config.encounter_distance_m,
                        config.encounter_speed_kn,
                        (pair.last - pair.start) / 60
                    ),
                );
                found.mmsi_2 = Some(b);
                alerts.push(found);
            }
        }
        alerts
    }

    /// Takes static and voyage data: identity changes and watch-list hits on IMO, name or call
    /// sign.
    pub fn observe_static(&mut self, report: &StaticReport) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let slot = self.slot(report.mmsi);
        let config = &self.config;
        let vessel = &mut self.states[slot];
        if report.ship_type.is_some() {
            vessel.ship_type = report.ship_type;
        }
        if report.length_m.is_some() {
            vessel.length_m = report.length_m;
        }
        let mut static_findings = Vec::new();
        if let Some(length) = report.length_m.filter(|l| *l > LENGTH_MAX_M)
            && vessel.inconsistencies & Inconsistency::Dimensions as u8 == 0
        {
            vessel.inconsistencies |= Inconsistency::Dimensions as u8;
            static_findings
                .push(format!("static data inconsistent: declared length {length:.0} m exceeds any ship afloat"));
        }
        if let Some(imo) = report.imo.filter(|i| !imo_valid(*i))
            && vessel.inconsistencies & Inconsistency::ImoCheckDigit as u8 == 0
        {
            vessel.inconsistencies |= Inconsistency::ImoCheckDigit as u8;
            static_findings.push(format!("static data inconsistent: IMO number {imo} fails its check digit"));
        }
        let at = vessel.last.map(|f| f.position).or_else(|| Position::new(0.0, 0.0));
        let Some(at) = at else { return alerts };
        let (repeats, share) = (config.identity_repeats_min, config.identity_share_min);
        let mut changes = Vec::new();
        if let Some(name) = report.name.clone().filter(|n| !n.is_empty()) {
            changes.extend(vessel.name.observe(name, repeats, share).map(|(o, n)| ("name", o, n)));
        }
        if let Some(call) = report.callsign.clone().filter(|c| !c.is_empty()) {
            changes.extend(vessel.callsign.observe(call, repeats, share).map(|(o, n)| ("call sign", o, n)));
        }
        if let Some(imo) = report.imo {
            changes.extend(
                vessel.imo.observe(imo, repeats, share).map(|(o, n)| ("IMO number", o.to_string(), n.to_string())),
            );
        }
        for detail in static_findings {
            alerts.push(alert(
                AlertKind::IdentityChange,
                report.mmsi,
                report.time,
                report.time,
                &at,
                Severity::Medium,
                detail,
            ));
        }
        for (field, old, new) in changes {
            alerts.push(alert(
                AlertKind::IdentityChange,
                report.mmsi,
                report.time,
                report.time,
                &at,
                Severity::Medium,
                format!("{field} changed from `{old}` to `{new}` (new value confirmed {repeats}+ times)"),
            ));
        }
        if !vessel.watch_reported {
            let name = vessel.name.accepted.as_deref().or(report.name.as_deref());
            let call = vessel.callsign.accepted.as_deref().or(report.callsign.as_deref());
            let imo = vessel.imo.accepted.or(report.imo);
            if let Some((entry, on)) = self.watchlist.lookup(report.mmsi, imo, name, call) {
                vessel.watch_reported = true;
                let mut hit = alert(
                    AlertKind::WatchlistHit,
                    report.mmsi,
                    report.time,
                    report.time,
                    &at,
                    Severity::High,
                    format!("watch-listed by {on}: {}", entry.reason),
                );
                hit.watch_entry = entry.id.clone();
                alerts.push(hit);
            }
        }
        alerts
    }

    /// Ends the data at `now`: closes drift episodes, and reports vessels still silent past
    /// their gap threshold.
    pub fn finish(&mut self, now: i64) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let config = self.config.clone();
        let mut mmsis: Vec<(u32, u32)> = self.index.iter().map(|(m, i)| (*m, *i)).collect();
        mmsis.sort_unstable();
        for (mmsi, slot) in mmsis {
            let Some(vessel) = self.states.get_mut(slot as usize) else { continue };
            release_held_jumps(vessel, i64::MAX, 0, &mut alerts);
            if let Some(done) = vessel.drift.take() {
                alerts.extend(drift::close(mmsi, &done, &config));
            }
            if let Some(spell) = vessel.slow.take() {
                alerts.extend(loitering::close(mmsi, &spell, &config));
            }
            let Some(last) = vessel.last else { continue };
            let silence = Silence { mmsi, last: &last, since: last.time, recent: &vessel.recent };
            alerts.extend(gap(&silence, now, Seen::EndOfData, &config, &self.zones));
        }
        alerts
    }
}

/// Jump alerts held longer than the duplicate window without a duplicate pattern are released.
fn release_held_jumps(vessel: &mut Vessel, now: i64, window: i64, alerts: &mut Vec<Alert>) {
    if vessel.held_jumps.is_empty() || vessel.duplicate_until >= now {
        return;
    }
    let (ready, waiting): (Vec<Alert>, Vec<Alert>) =
        vessel.held_jumps.drain(..).partition(|a| now.saturating_sub(a.end) > window);
    alerts.extend(ready);
    vessel.held_jumps = waiting;
}

#[cfg(test)]
mod tests;

/// Bytes of one vessel's inline state (for the memory benchmark).
pub fn vessel_state_bytes() -> usize {
    std::mem::size_of::<Vessel>()
}

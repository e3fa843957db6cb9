//! The live picture: the latest state of every vessel, and the detectors run on each report.

use std::collections::{HashMap, VecDeque};

/// Hash maps on the per-report path: foldhash (randomly seeded, so MMSIs from a feed cannot be
/// chosen to collide) is several times faster than the default SipHash on integer keys.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

use hl_geo::{Land, Position, Zone};

use crate::alert::{Alert, AlertKind, Severity};
use crate::mmsi::{MmsiClass, classify_mmsi};
use crate::watchlist::Watchlist;

mod drift;
mod encounter;
mod gap;
mod identity;
mod kinematics;
mod loitering;
mod zones;

use encounter::{Rendezvous, SlowEntry};
use identity::{IdentityField, Inconsistency};
pub use identity::{imo_valid, type_speed_ceiling_kn};

use drift::DriftEpisode;
use gap::{Seen, Silence, gap};
use loitering::SlowSpell;

/// Thresholds of every detector, with the published defaults. Read from the `[detect]` section
/// of `harborlink.toml` (and `analyze --config`): absent keys keep their defaults, unknown keys
/// are refused, and [`DetectorConfig::check`] refuses values no detector can work with.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// Position on land: the position must be on land and further than this from any water
    /// (coast, lake, river, port): ships at quays, in docks and on rivers must not count.
    pub land_clearance_m: f64,
    /// Static data inconsistent with behaviour: a declared type faster than its ceiling (see
    /// [`type_speed_ceiling_kn`]) for at least this many consecutive reports...
    pub inconsistent_reports_min: u32,
    /// ...spanning at least this long.
    pub inconsistent_seconds_min: i64,
    /// Duplicate MMSI: this many impossible jumps...
    pub duplicate_jumps_min: usize,
    /// ...within this many seconds mean two transmitters share the MMSI.
    pub duplicate_window_seconds: i64,
    /// A feed that delivered at least `feed_active_messages_min` messages and then nothing for
    /// this long is silent: one `feed_silent` alert, and no gaps for the vessels its silence
    /// explains.
    pub feed_silent_seconds: i64,
    pub feed_active_messages_min: u64,
}

impl DetectorConfig {
    /// Refuses values no detector can work with, naming the key.
    pub fn check(&self) -> Result<(), String> {
        let positive = [
            ("jump_speed_kn", self.jump_speed_kn),
            ("gap_intervals", self.gap_intervals),
            ("drift_angle_deg", self.drift_angle_deg),
            ("loiter_speed_kn", self.loiter_speed_kn),
            ("encounter_distance_m", self.encounter_distance_m),
            ("encounter_speed_kn", self.encounter_speed_kn),
        ];
        for (key, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("{key} must be a positive number (is {value})"));
            }
        }
        let not_negative = [
            ("jump_distance_min_m", self.jump_distance_min_m),
            ("land_clearance_m", self.land_clearance_m),
            ("gap_seconds_min", self.gap_seconds_min as f64),
            ("drift_seconds_min", self.drift_seconds_min as f64),
            ("loiter_seconds_min", self.loiter_seconds_min as f64),
            ("encounter_seconds_min", self.encounter_seconds_min as f64),
            ("encounter_merge_seconds", self.encounter_merge_seconds as f64),
            ("inconsistent_seconds_min", self.inconsistent_seconds_min as f64),
            ("duplicate_window_seconds", self.duplicate_window_seconds as f64),
            ("feed_silent_seconds", self.feed_silent_seconds as f64),
        ];
        for (key, value) in not_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("{key} must not be negative (is {value})"));
            }
        }
        let (low, high) = self.drift_speed_kn;
        if !(low.is_finite() && high.is_finite() && 0.0 <= low && low < high) {
            return Err(format!("drift_speed_kn must be [low, high] with 0 <= low < high (is [{low}, {high}])"));
        }
        if !(self.identity_share_min > 0.0 && self.identity_share_min <= 1.0) {
            return Err(format!("identity_share_min must be in (0, 1] (is {})", self.identity_share_min));
        }
        if self.identity_repeats_min == 0 || self.duplicate_jumps_min == 0 || self.inconsistent_reports_min == 0 {
            return Err(String::from(
                "identity_repeats_min, duplicate_jumps_min and inconsistent_reports_min must be at least 1",
            ));
        }
        Ok(())
    }
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
            land_clearance_m: 5_000.0,
            inconsistent_reports_min: 3,
            inconsistent_seconds_min: 300,
            duplicate_jumps_min: 3,
            duplicate_window_seconds: 600,
            feed_silent_seconds: 300,
            feed_active_messages_min: 20,
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

#[derive(Debug, Clone, Copy)]
struct Fix {
    time: i64,
    position: Position,
    speed: Option<f64>,
    class: VesselClass,
    status: Option<u8>,
}

/// Reports kept to judge "was transmitting" before a gap.
const RECENT_TIMES_MAX: usize = 16;

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
    /// The feed that last heard the vessel (its silence is judged on that feed's clock, and
    /// excused by that feed's own silence).
    feed: u16,
}

/// What the picture knows of one feed (receiver): when it was last heard, and its last outage.
#[derive(Debug, Default, Clone)]
struct FeedWatch {
    name: String,
    /// Whether its silence is news (a receiver's is; lines posted now and then over HTTP are
    /// not).
    watched: bool,
    /// Time of the last message, on the feed's clock.
    last: i64,
    messages: u64,
    last_position: Option<Position>,
    /// The current silence has been reported.
    silent_reported: bool,
    /// The last silence that ended: (from, to).
    outage: Option<(i64, i64)>,
}

/// Seconds of `[from, to]` inside `[a, b]`.
fn overlap(a: i64, b: i64, from: i64, to: i64) -> i64 {
    (b.min(to) - a.max(from)).max(0)
}

/// Every vessel's state and every detector.
pub struct Picture {
    config: DetectorConfig,
    zones: Vec<Zone>,
    /// Land polygons for the position-on-land detector; `None` turns it off.
    land: Option<&'static Land>,
    watchlist: Watchlist,
    /// (MMSI, position of the entry in `watchlist`) of hits already reported: each entry that
    /// names a vessel reports it once, whoever else watches it. Kept here rather than per vessel
    /// because hits are rare and vessel states are many.
    watch_reported: FastSet<(u32, usize)>,
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
    /// Feeds by number (see [`Picture::heard`]).
    feeds: Vec<FeedWatch>,
    /// The feed of the message being observed.
    current_feed: u16,
    /// Messages carry no times (see [`Picture::untimed`]).
    untimed: bool,
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
        feed: None,
    }
}

impl Picture {
    pub fn new(config: DetectorConfig, zones: Vec<Zone>, watchlist: Watchlist) -> Self {
        Self {
            config,
            zones,
            land: None,
            watchlist,
            watch_reported: FastSet::default(),
            states: Vec::new(),
            index: FastMap::default(),
            slow_cells: FastMap::default(),
            pairs: FastMap::default(),
            partners: FastMap::default(),
            feeds: Vec::new(),
            current_feed: 0,
            untimed: false,
            skipped_repeats: 0,
            skipped_out_of_order: 0,
        }
    }

    /// For data without times: only the detectors that need none run (invalid MMSI, static
    /// data, identity changes, position on land, zone entry and exit, watch list); gaps, jumps,
    /// duplicate MMSIs, drift, loitering, encounters, dwells and speed for type do not.
    pub fn untimed(mut self) -> Self {
        self.untimed = true;
        self
    }

    /// The detectors an untimed picture does not run, as `analyze` names them.
    pub const TIMED_ONLY: [AlertKind; 7] = [
        AlertKind::AisGap,
        AlertKind::PositionJump,
        AlertKind::DuplicateMmsi,
        AlertKind::Drift,
        AlertKind::Loitering,
        AlertKind::Encounter,
        AlertKind::ZoneDwell,
    ];

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

    /// Replaces the watch list. Vessels already reported by an entry that stays (same record
    /// id) stay reported by it; a new entry reports every vessel it names.
    pub fn set_watchlist(&mut self, watchlist: Watchlist) {
        let old = std::mem::replace(&mut self.watchlist, watchlist);
        let new_positions: HashMap<&str, usize> =
            self.watchlist.entries().iter().enumerate().filter_map(|(i, e)| Some((e.id.as_deref()?, i))).collect();
        self.watch_reported = std::mem::take(&mut self.watch_reported)
            .into_iter()
            .filter_map(|(mmsi, position)| {
                let id = old.entries().get(position)?.id.as_deref()?;
                Some((mmsi, *new_positions.get(id)?))
            })
            .collect();
    }

    /// Names feed number `feed` (for its alerts) and says whether its silence is reported.
    pub fn name_feed(&mut self, feed: u16, name: &str, watched: bool) {
        let watch = self.feed_watch(feed);
        watch.name = name.to_owned();
        watch.watched = watched;
    }

    fn feed_watch(&mut self, feed: u16) -> &mut FeedWatch {
        let index = usize::from(feed);
        if self.feeds.len() <= index {
            self.feeds.resize_with(index + 1, FeedWatch::default);
        }
        &mut self.feeds[index]
    }

    /// A message from feed `feed` at `time` (its own clock), before it is observed: the feed is
    /// alive, and the reports that follow came through it.
    pub fn heard(&mut self, feed: u16, time: i64) {
        let silent_after = self.config.feed_silent_seconds;
        self.current_feed = feed;
        let watch = self.feed_watch(feed);
        if watch.messages > 0 && time - watch.last > silent_after {
            watch.outage = Some((watch.last, time));
        }
        if watch.messages == 0 || time >= watch.last {
            watch.last = time;
            watch.silent_reported = false;
        }
        watch.messages += 1;
    }

    /// Seconds of a vessel's silence `[since, now]` that its feed's own silence explains.
    fn excused(&self, feed: u16, since: i64, now: i64) -> i64 {
        let Some(watch) = self.feeds.get(usize::from(feed)).filter(|w| w.watched) else { return 0 };
        let past = watch.outage.map_or(0, |(a, b)| overlap(a, b, since, now));
        let ongoing =
            if now - watch.last > self.config.feed_silent_seconds { overlap(watch.last, now, since, now) } else { 0 };
        past + ongoing
    }

    /// Reports, on feed `feed`'s clock `now`, the feed's own silence (once per silence) and the
    /// vessels last heard through it that are silent past their gap threshold, without waiting
    /// for their next report (a live node cannot wait: a vessel that went dark sends nothing
    /// more). A vessel whose silence the feed's explains is not a gap. Each silence is reported
    /// once; if the vessel comes back, its next report yields the gap again with its full
    /// length, which the alert gate merges into this one.
    pub fn sweep(&mut self, feed: u16, now: i64) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let config = &self.config;
        if let Some(watch) = self.feeds.get_mut(usize::from(feed))
            && watch.watched
            && watch.messages >= config.feed_active_messages_min
            && now - watch.last > config.feed_silent_seconds
            && !watch.silent_reported
        {
            watch.silent_reported = true;
            let at = watch.last_position.or_else(|| Position::new(0.0, 0.0));
            if let Some(at) = at {
                let mut silent = alert(
                    AlertKind::FeedSilent,
                    0,
                    watch.last,
                    now,
                    &at,
                    Severity::Medium,
                    format!(
                        "feed `{}` silent for {} after {} messages; the gaps of the vessels it heard are not reported \
                         (position: the last report it carried)",
                        watch.name,
                        if now - watch.last >= 120 {
                            format!("{} min", (now - watch.last) / 60)
                        } else {
                            format!("{} s", now - watch.last)
                        },
                        watch.messages
                    ),
                );
                silent.feed = Some(watch.name.clone());
                alerts.push(silent);
            }
        }
        let mut found_gaps = Vec::new();
        for (&mmsi, &slot) in &self.index {
            let Some(vessel) = self.states.get(slot as usize) else { continue };
            let Some(last) = vessel.last else { continue };
            if vessel.feed != feed || vessel.gap_swept == last.time {
                continue;
            }
            let since = vessel.last_heard.max(last.time);
            let silence =
                Silence { mmsi, last: &last, since, recent: &vessel.recent, excused: self.excused(feed, since, now) };
            if let Some(found) = gap(&silence, now, Seen::StillSilent, config, &self.zones) {
                found_gaps.push((slot, last.time, found));
            }
        }
        for (slot, last_time, found) in found_gaps {
            if let Some(vessel) = self.states.get_mut(slot as usize) {
                vessel.gap_swept = last_time;
            }
            alerts.push(found);
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
        kinematics::release_held_jumps(vessel, report.time, config.duplicate_window_seconds, &mut alerts);
        let fix = Fix {
            time: report.time,
            position: report.position,
            speed: report.speed,
            class: report.class,
            status: report.status,
        };
        let feed = self.current_feed;
        let (previous_feed, since, heard_before) =
            (vessel.feed, vessel.last_heard.max(vessel.last.map_or(0, |l| l.time)), vessel.last.is_some());
        let excused = if heard_before { self.excused(previous_feed, since, report.time) } else { 0 };
        let vessel = &mut self.states[slot];
        vessel.feed = feed;
        if let Some(watch) = self.feeds.get_mut(usize::from(feed)) {
            watch.last_position = Some(report.position);
        }
        if self.untimed {
            // Order, not time: land, zone entries and exits, the watch list.
            let on_land = kinematics::on_land(vessel, self.land, &self.zones, report, near_zone, &config, &mut alerts);
            vessel.on_land = on_land;
            if !on_land {
                zones::step(&mut vessel.inside, &self.zones, (vessel.ship_type, vessel.length_m), report, &mut alerts);
            }
            vessel.last = Some(fix);
            for (position, entry) in self.watchlist.matching_mmsi(report.mmsi) {
                if self.watch_reported.insert((report.mmsi, position)) {
                    alerts.push(identity::watchlist_hit(report.mmsi, report.time, &report.position, entry, "MMSI"));
                }
            }
            return alerts;
        }
        if let Some(last) = vessel.last {
            // AIS gap: a vessel that was transmitting falls silent for many of its intervals
            // (less the part its feed's own silence explains).
            let silence = Silence { mmsi: report.mmsi, last: &last, since, recent: &vessel.recent, excused };
            alerts.extend(gap(&silence, report.time, Seen::Returned, &config, &self.zones));
            // Position jump: an implied speed no ship can make.
            if kinematics::jumped(vessel, last, fix, report, near_zone, &config, &mut alerts) {
                return alerts;
            }
            vessel.jumped_to = None;
        }
        // Position on land, well inland of the coastline's accuracy and outside ports and berths.
        let on_land = kinematics::on_land(vessel, self.land, &self.zones, report, near_zone, &config, &mut alerts);
        vessel.on_land = on_land;
        if on_land {
            // An inland position is false: it must not feed loitering, encounters or zones.
            vessel.last = Some(fix);
            vessel.last_heard = report.time;
            return alerts;
        }
        // Static data inconsistent with behaviour: faster than the declared type can go. A
        // data-quality finding (`static_data_invalid`), with the inconsistency in the detail.
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
                        AlertKind::StaticDataInvalid,
                        report.mmsi,
                        vessel.too_fast.1,
                        report.time,
                        &report.position,
                        Severity::Low,
                        format!(
                            "static data invalid for the behaviour: declared ship type {} but {:.1} kn for {} min (ceiling {max:.0} kn)",
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
        // Watch list, on the MMSI: every entry naming the vessel, once each.
        for (position, entry) in self.watchlist.matching_mmsi(report.mmsi) {
            if self.watch_reported.insert((report.mmsi, position)) {
                alerts.push(identity::watchlist_hit(report.mmsi, report.time, &report.position, entry, "MMSI"));
            }
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

    /// Ends the data at `now`: closes drift episodes, and reports vessels still silent past
    /// their gap threshold.
    pub fn finish(&mut self, now: i64) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let config = self.config.clone();
        let mut mmsis: Vec<(u32, u32)> = self.index.iter().map(|(m, i)| (*m, *i)).collect();
        mmsis.sort_unstable();
        for (mmsi, slot) in mmsis {
            let Some(vessel) = self.states.get_mut(slot as usize) else { continue };
            kinematics::release_held_jumps(vessel, i64::MAX, 0, &mut alerts);
            if let Some(done) = vessel.drift.take() {
                alerts.extend(drift::close(mmsi, &done, &config));
            }
            if let Some(spell) = vessel.slow.take() {
                alerts.extend(loitering::close(mmsi, &spell, &config));
            }
            let Some(last) = vessel.last else { continue };
            let silence = Silence { mmsi, last: &last, since: last.time, recent: &vessel.recent, excused: 0 };
            alerts.extend(gap(&silence, now, Seen::EndOfData, &config, &self.zones));
        }
        alerts
    }
}

#[cfg(test)]
mod tests;

/// Bytes of one vessel's inline state (for the memory benchmark).
pub fn vessel_state_bytes() -> usize {
    std::mem::size_of::<Vessel>()
}

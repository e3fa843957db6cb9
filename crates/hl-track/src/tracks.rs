//! The latest state of every vessel, merged from position, static and voyage reports, with a
//! bounded, down-sampled history and a grid index for area and radius queries.

use std::collections::{HashMap, HashSet, VecDeque};

use hl_detect::VesselClass;
use hl_geo::Position;
use serde::{Deserialize, Serialize};

use crate::observe::Observation;

/// How much history is kept, and how densely.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackConfig {
    /// A history point is kept at most this often...
    pub history_interval_s: i64,
    /// ...unless the course turned at least this much since the last kept point.
    pub history_turn_deg: f64,
    /// Points older than this (behind the vessel's latest) are dropped.
    pub history_retention_s: i64,
    /// And never more than this many points per vessel (0: no history).
    pub history_points_max: usize,
}

impl Default for TrackConfig {
    fn default() -> Self {
        Self {
            history_interval_s: 60,
            history_turn_deg: 20.0,
            history_retention_s: 24 * 3_600,
            history_points_max: 1_440,
        }
    }
}

/// The transmitter class, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transponder {
    ClassA,
    ClassB,
    SarAircraft,
    AidToNavigation,
    BaseStation,
}

impl From<VesselClass> for Transponder {
    fn from(c: VesselClass) -> Self {
        match c {
            VesselClass::A => Transponder::ClassA,
            VesselClass::B => Transponder::ClassB,
            VesselClass::SarAircraft => Transponder::SarAircraft,
            VesselClass::AidToNavigation => Transponder::AidToNavigation,
            VesselClass::BaseStation => Transponder::BaseStation,
        }
    }
}

/// Text of at most `N` bytes kept inline: AIS text fields are short and bounded (name 20
/// characters, call sign 7, destination 20), and a heap allocation per field would cost more
/// than the text (the picture must hold 500,000 vessels in under 1 KiB each).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShortText<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> ShortText<N> {
    /// `text`, cut at a character boundary to at most `N` bytes.
    pub fn new(text: &str) -> Self {
        const { assert!(N <= u8::MAX as usize, "ShortText holds at most 255 bytes") };
        let mut end = text.len().min(N);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0u8; N];
        bytes[..end].copy_from_slice(&text.as_bytes()[..end]);
        Self { len: end as u8, bytes }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl<const N: usize> std::fmt::Debug for ShortText<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl<const N: usize> Serialize for ShortText<N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de, const N: usize> Deserialize<'de> for ShortText<N> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self::new(&text))
    }
}

/// A knots, degrees or metres figure AIS sends in tenths, kept as `f32` (exact to far below a
/// tenth) and read back rounded to its tenth.
fn tenths(value: Option<f32>) -> Option<f64> {
    value.map(|v| (f64::from(v) * 10.0).round() / 10.0)
}

/// One vessel's latest known facts. Every field but `mmsi` may be unknown.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VesselState {
    pub mmsi: u32,
    /// Unix seconds of the latest message of any kind.
    pub last_seen: i64,
    /// Unix seconds of the latest valid position.
    pub position_time: Option<i64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Knots (read with [`VesselState::speed`]).
    speed: Option<f32>,
    /// Degrees true (read with [`VesselState::course`]).
    course: Option<f32>,
    pub heading: Option<u16>,
    /// Navigational status code (types 1-3).
    pub status: Option<u8>,
    pub transponder: Option<Transponder>,
    name: Option<ShortText<20>>,
    callsign: Option<ShortText<7>>,
    pub imo: Option<u32>,
    /// Ship and cargo type code (ITU-R M.1371 Table 53).
    pub ship_type: Option<u8>,
    /// Metres to bow, stern, port and starboard from the position reference.
    pub dimensions: Option<(u16, u16, u8, u8)>,
    destination: Option<ShortText<20>>,
    /// `MM-DDTHH:MM`.
    eta: Option<ShortText<11>>,
    draught_m: Option<f32>,
    /// Messages taken into this state.
    pub messages: u64,
}

impl VesselState {
    pub fn speed(&self) -> Option<f64> {
        tenths(self.speed)
    }

    pub fn course(&self) -> Option<f64> {
        tenths(self.course)
    }

    pub fn draught_m(&self) -> Option<f64> {
        tenths(self.draught_m)
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().map(ShortText::as_str)
    }

    pub fn callsign(&self) -> Option<&str> {
        self.callsign.as_ref().map(ShortText::as_str)
    }

    pub fn destination(&self) -> Option<&str> {
        self.destination.as_ref().map(ShortText::as_str)
    }

    pub fn eta(&self) -> Option<&str> {
        self.eta.as_ref().map(ShortText::as_str)
    }

    pub fn position(&self) -> Option<Position> {
        Position::new(self.lat?, self.lon?)
    }

    pub fn length_m(&self) -> Option<u32> {
        self.dimensions.map(|(bow, stern, _, _)| u32::from(bow) + u32::from(stern)).filter(|l| *l > 0)
    }

    pub fn beam_m(&self) -> Option<u32> {
        self.dimensions.map(|(_, _, port, starboard)| u32::from(port) + u32::from(starboard)).filter(|b| *b > 0)
    }
}

/// One point of a vessel's history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackPoint {
    pub time: i64,
    pub lat: f64,
    pub lon: f64,
    pub speed: Option<f64>,
    pub course: Option<f64>,
}

/// A vessel: latest state and history, oldest point first.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Track {
    pub state: VesselState,
    pub history: VecDeque<TrackPoint>,
}

/// A latitude/longitude box; `west > east` crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

impl Area {
    /// A box, refused when a bound is out of range or south is above north.
    pub fn new(south: f64, west: f64, north: f64, east: f64) -> Option<Self> {
        let lat_ok = |x: f64| (-90.0..=90.0).contains(&x);
        let lon_ok = |x: f64| (-180.0..=180.0).contains(&x);
        (lat_ok(south) && lat_ok(north) && lon_ok(west) && lon_ok(east) && south <= north).then_some(Self {
            south,
            west,
            north,
            east,
        })
    }

    pub fn contains(&self, p: &Position) -> bool {
        let lon_in = if self.west <= self.east {
            (self.west..=self.east).contains(&p.lon())
        } else {
            p.lon() >= self.west || p.lon() <= self.east
        };
        lon_in && (self.south..=self.north).contains(&p.lat())
    }

    /// The box around a circle (wider than the circle; callers filter by distance).
    pub fn around(center: &Position, radius_m: f64) -> Self {
        let dlat = radius_m / 111_320.0;
        let south = (center.lat() - dlat).max(-90.0);
        let north = (center.lat() + dlat).min(90.0);
        let widest = center.lat().abs().max(south.abs()).max(north.abs());
        let cos = widest.to_radians().cos();
        if cos < 1e-6 || radius_m / (111_320.0 * cos) >= 180.0 {
            return Self { south, west: -180.0, north, east: 180.0 };
        }
        let dlon = radius_m / (111_320.0 * cos);
        let wrap = |x: f64| {
            if x > 180.0 {
                x - 360.0
            } else if x < -180.0 {
                x + 360.0
            } else {
                x
            }
        };
        Self { south, west: wrap(center.lon() - dlon), north, east: wrap(center.lon() + dlon) }
    }
}

/// Grid cells of 0.1° (about 11 km): small enough that a harbour query reads a few cells.
const CELL_DEG: f64 = 0.1;
type Cell = (i16, i16);

fn cell_of(p: &Position) -> Cell {
    ((p.lat() / CELL_DEG).floor() as i16, (p.lon() / CELL_DEG).floor() as i16)
}

/// Every vessel's track, with the grid index.
#[derive(Debug, Default)]
pub struct Tracks {
    config: TrackConfig,
    /// Tracks densely packed (a hash table of whole tracks would hold up to twice their size
    /// in growth headroom); `index` maps an MMSI to its slot.
    slots: Vec<Track>,
    index: HashMap<u32, u32>,
    cells: HashMap<Cell, Vec<u32>>,
    /// Vessels changed since the last [`Tracks::take_dirty`] (for persistence).
    dirty: HashSet<u32>,
}

fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

impl Tracks {
    pub fn new(config: TrackConfig) -> Self {
        assert!(config.history_interval_s >= 0, "a history interval is a duration");
        Self { config, ..Self::default() }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Vessels whose MMSI or IMO number starts with `text` (digits), or whose name or call sign
    /// contains it (letters; case and repeated spaces ignored), by MMSI, at most `limit`. A scan:
    /// a picture holds tens of thousands of vessels, and a search is a person typing.
    pub fn search(&self, text: &str, limit: usize) -> Vec<&Track> {
        let wanted: String = text.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
        if wanted.is_empty() {
            return Vec::new();
        }
        let digits = wanted.bytes().all(|b| b.is_ascii_digit());
        let matches = |track: &&Track| {
            let s = &track.state;
            let text_match = |value: Option<&str>| {
                value.is_some_and(|v| {
                    v.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase().contains(&wanted)
                })
            };
            (digits
                && (s.mmsi.to_string().starts_with(&wanted)
                    || s.imo.is_some_and(|i| i.to_string().starts_with(&wanted))))
                || text_match(s.name())
                || text_match(s.callsign())
        };
        let mut found: Vec<&Track> = self.slots.iter().filter(matches).collect();
        found.sort_unstable_by_key(|t| t.state.mmsi);
        found.truncate(limit);
        found
    }

    pub fn get(&self, mmsi: u32) -> Option<&Track> {
        self.index.get(&mmsi).and_then(|&i| self.slots.get(i as usize))
    }

    /// The slot of `mmsi`'s track, created on first sight.
    fn slot(&mut self, mmsi: u32) -> usize {
        let next = self.slots.len();
        let slot = *self.index.entry(mmsi).or_insert_with(|| u32::try_from(next).unwrap_or(u32::MAX)) as usize;
        if slot == next {
            self.slots.push(Track { state: VesselState { mmsi, ..VesselState::default() }, history: VecDeque::new() });
        }
        slot
    }

    /// Takes one observation into the vessel's track. Returns whether the vessel's state
    /// changed. Positions older than the track's latest are kept out (out of order).
    pub fn apply(&mut self, mmsi: u32, time: i64, observation: &Observation) -> bool {
        if observation.position.is_none() && observation.identity.is_none() && observation.voyage.is_none() {
            return false;
        }
        let config = self.config;
        let slot = self.slot(mmsi);
        let track = &mut self.slots[slot];
        let state = &mut track.state;
        state.messages += 1;
        state.last_seen = state.last_seen.max(time);
        let mut moved_from = None;
        if let Some(p) = &observation.position
            && state.position_time.is_none_or(|t| p.time >= t)
        {
            moved_from = Some(state.position().map(|old| cell_of(&old)));
            state.position_time = Some(p.time);
            state.lat = Some(p.position.lat());
            state.lon = Some(p.position.lon());
            state.speed = p.speed.map(|v| v as f32);
            state.course = p.course.map(|v| v as f32);
            state.heading = p.heading;
            state.status = p.status.or(state.status);
            state.transponder = Some(p.class.into());
            let keep = match track.history.back() {
                None => true,
                Some(last) => {
                    p.time - last.time >= config.history_interval_s
                        || matches!((last.course, p.course), (Some(a), Some(b)) if angle_between(a, b) >= config.history_turn_deg)
                }
            };
            if keep && config.history_points_max > 0 && track.history.back().is_none_or(|l| l.time < p.time) {
                track.history.push_back(TrackPoint {
                    time: p.time,
                    lat: p.position.lat(),
                    lon: p.position.lon(),
                    speed: p.speed,
                    course: p.course,
                });
            }
            while track.history.len() > config.history_points_max
                || track.history.front().is_some_and(|f| p.time - f.time > config.history_retention_s)
            {
                track.history.pop_front();
            }
        }
        if let Some(s) = &observation.identity {
            state.name = s.name.as_deref().map(ShortText::new).or(state.name);
            state.callsign = s.callsign.as_deref().map(ShortText::new).or(state.callsign);
            state.imo = s.imo.or(state.imo);
            state.ship_type = s.ship_type.or(state.ship_type);
        }
        if let Some(v) = &observation.voyage {
            state.destination = v.destination.as_deref().map(ShortText::new).or(state.destination);
            state.eta = v.eta.as_deref().map(ShortText::new).or(state.eta);
            state.draught_m = v.draught_m.map(|d| d as f32).or(state.draught_m);
            state.dimensions = v.dimensions.or(state.dimensions);
        }
        let new_cell = state.position().map(|p| cell_of(&p));
        if let Some(old) = moved_from
            && old != new_cell
        {
            if let Some(old) = old
                && let Some(list) = self.cells.get_mut(&old)
            {
                list.retain(|m| *m != mmsi);
                if list.is_empty() {
                    self.cells.remove(&old);
                }
            }
            if let Some(new) = new_cell {
                self.cells.entry(new).or_default().push(mmsi);
            }
        }
        self.dirty.insert(mmsi);
        true
    }

    /// Puts back a stored track (at start-up).
    pub fn restore(&mut self, mut track: Track) {
        let mmsi = track.state.mmsi;
        while track.history.len() > self.config.history_points_max {
            track.history.pop_front();
        }
        let slot = self.slot(mmsi);
        if let Some(old) = self.slots[slot].state.position()
            && let Some(list) = self.cells.get_mut(&cell_of(&old))
        {
            list.retain(|m| *m != mmsi);
        }
        if let Some(p) = track.state.position() {
            self.cells.entry(cell_of(&p)).or_default().push(mmsi);
        }
        self.slots[slot] = track;
    }

    /// Vessels with a position inside `area`, at most `limit`, by MMSI.
    pub fn in_area(&self, area: &Area, limit: usize) -> Vec<&Track> {
        let lat_cells = ((area.north - area.south) / CELL_DEG).ceil() as usize + 1;
        let lon_span = if area.west <= area.east { area.east - area.west } else { 360.0 - area.west + area.east };
        let lon_cells = (lon_span / CELL_DEG).ceil() as usize + 1;
        let mut found: Vec<&Track> = Vec::new();
        let mut visit = |list: &Vec<u32>| {
            for mmsi in list {
                if let Some(track) = self.get(*mmsi)
                    && track.state.position().is_some_and(|p| area.contains(&p))
                {
                    found.push(track);
                }
            }
        };
        if lat_cells.saturating_mul(lon_cells) > self.cells.len() {
            // A large area: reading every occupied cell is cheaper than enumerating the box.
            self.cells.values().for_each(&mut visit);
        } else {
            let south = (area.south / CELL_DEG).floor() as i32;
            let west = (area.west / CELL_DEG).floor() as i32;
            let wrap = (360.0 / CELL_DEG).round() as i32;
            for i in 0..lat_cells as i32 {
                for j in 0..lon_cells as i32 {
                    let mut lon = west + j;
                    if lon >= wrap / 2 {
                        lon -= wrap;
                    }
                    let key = (i16::try_from(south + i).unwrap_or(i16::MAX), i16::try_from(lon).unwrap_or(i16::MAX));
                    if let Some(list) = self.cells.get(&key) {
                        visit(list);
                    }
                }
            }
        }
        found.sort_unstable_by_key(|t| t.state.mmsi);
        found.dedup_by_key(|t| t.state.mmsi);
        found.truncate(limit);
        found
    }

    /// Vessels within `radius_m` of `center`, nearest first, at most `limit`.
    pub fn within(&self, center: &Position, radius_m: f64, limit: usize) -> Vec<(&Track, f64)> {
        let mut found: Vec<(&Track, f64)> = self
            .in_area(&Area::around(center, radius_m), usize::MAX)
            .into_iter()
            .filter_map(|t| {
                let d = t.state.position()?.distance_m(center);
                (d <= radius_m).then_some((t, d))
            })
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found.truncate(limit);
        found
    }

    /// The vessels changed since the last call (for persistence).
    pub fn take_dirty(&mut self) -> Vec<&Track> {
        let dirty = std::mem::take(&mut self.dirty);
        let mut out: Vec<&Track> = dirty.iter().filter_map(|m| self.get(*m)).collect();
        out.sort_unstable_by_key(|t| t.state.mmsi);
        out
    }
}

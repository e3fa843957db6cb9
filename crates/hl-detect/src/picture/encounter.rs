//! Encounters (Global Fishing Watch): two vessels within a short distance of each other, both
//! slow, for a long time, outside anchorages and berths; encounters of the same pair close in
//! time are one. Slow vessels sit in a grid of 0.01° cells, so a neighbour search reads nine
//! cells, never the whole fleet.

use hl_geo::Position;

use super::{Picture, PositionReport, alert};
use crate::alert::{Alert, AlertKind, Severity};

/// Two vessels close together and slow: (start, last time seen together, position).
#[derive(Debug, Clone, Copy)]
pub(super) struct Rendezvous {
    start: i64,
    last: i64,
    position: Position,
    reported: bool,
}

/// A slow vessel in the grid: (mmsi, time, position).
pub(super) type SlowEntry = (u32, i64, Position);

/// Grid cell of about 0.01° (1.1 km): neighbours within 500 m are in the same or an adjacent cell.
pub(super) fn cell(p: &Position) -> (i32, i32) {
    ((p.lat() * 100.0).floor() as i32, (p.lon() * 100.0).floor() as i32)
}

impl Picture {
    /// Updates the slow-vessel grid with this report and the pairs it makes; returns the
    /// encounters that reached the minimum duration or ended.
    pub(super) fn track_encounters(&mut self, report: &PositionReport, slow: bool) -> Vec<Alert> {
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
}

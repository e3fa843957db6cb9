//! Identity anomalies: changes of name, call sign or IMO number by Spire's acceptance rule,
//! static data inconsistent with itself (impossible length, IMO check digit) or with behaviour
//! (faster than the declared type goes), and watch-list hits on IMO, name or call sign.

use hl_geo::Position;

use super::{Picture, alert};
use crate::alert::{Alert, AlertKind, Severity};
use crate::picture::StaticReport;
use crate::watchlist::WatchlistEntry;
pub use hl_types::imo_valid;

/// Values of one static field, with the counts that decide when a new one is accepted.
///
/// Spire's rule says a new value must be seen at least 3 times and make up at least 90% of the
/// updates "since the last change". Read literally, a vessel that broadcast its old name a
/// thousand times could not be renamed without nine thousand more messages, so the share is
/// counted from the first time the new value appeared: interleaved old values (or noise) keep
/// it below 90%, a real rename passes after three messages.
#[derive(Debug, Default)]
pub(super) struct IdentityField<T> {
    accepted: Option<T>,
    /// Candidate values: (value, times seen, update number when first seen).
    candidates: Vec<(T, u32, u32)>,
    updates: u32,
}

/// Distinct candidate values kept per field; more are noise.
const IDENTITY_CANDIDATES_MAX: usize = 4;

impl<T: PartialEq + Clone> IdentityField<T> {
    /// Records a value; returns (old, new) when the accepted value changes.
    pub(super) fn observe(&mut self, value: T, repeats: u32, share: f64) -> Option<(T, T)> {
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
pub(super) enum Inconsistency {
    SpeedForType = 1,
    Dimensions = 2,
    ImoCheckDigit = 4,
}

/// Longest hull afloat is about 460 m: a declared length beyond it is not a ship's.
pub(super) const LENGTH_MAX_M: f64 = 470.0;

/// The alert for a vessel matching a watch-list entry on identifier `on`.
pub(super) fn watchlist_hit(mmsi: u32, time: i64, at: &Position, entry: &WatchlistEntry, on: &str) -> Alert {
    let mut hit = alert(
        AlertKind::WatchlistHit,
        mmsi,
        time,
        time,
        at,
        Severity::High,
        format!("watch-listed by {on}: {}", entry.reason),
    );
    hit.watch_entry = entry.id.clone();
    hit
}

impl Picture {
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
            static_findings.push(format!("static data invalid: declared length {length:.0} m exceeds any ship afloat"));
        }
        if let Some(imo) = report.imo.filter(|i| !imo_valid(*i))
            && vessel.inconsistencies & Inconsistency::ImoCheckDigit as u8 == 0
        {
            vessel.inconsistencies |= Inconsistency::ImoCheckDigit as u8;
            static_findings.push(format!("static data invalid: IMO number {imo} fails its check digit"));
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
                AlertKind::StaticDataInvalid,
                report.mmsi,
                report.time,
                report.time,
                &at,
                Severity::Low,
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
        let name = vessel.name.accepted.as_deref().or(report.name.as_deref());
        let call = vessel.callsign.accepted.as_deref().or(report.callsign.as_deref());
        let imo = vessel.imo.accepted.or(report.imo);
        for (position, entry, on) in self.watchlist.matches(report.mmsi, imo, name, call) {
            if self.watch_reported.insert((report.mmsi, position)) {
                alerts.push(watchlist_hit(report.mmsi, report.time, &at, entry, on));
            }
        }
        alerts
    }
}

//! Kinematic anomalies and spoofing: positions implying a speed no ship can make (held for the
//! duplicate window, since a jump cannot be told from the start of a shared MMSI when it
//! happens), the same MMSI in two places at once (repeated impossible jumps), and positions
//! well inland.

use hl_geo::{Land, NAUTICAL_MILE_M, Zone};

use super::{DetectorConfig, Fix, PositionReport, Vessel, alert};
use crate::alert::{Alert, AlertKind, Severity};

/// Jump alerts held per vessel at most (more within one window is a duplicate pattern).
const HELD_JUMPS_MAX: usize = 8;

/// Judges the move from the vessel's last fix to this report. Returns `true` when the report is
/// an impossible jump: it is held aside (the next report decides where the vessel is) and must
/// not feed the other detectors.
pub(super) fn jumped(
    vessel: &mut Vessel,
    last: Fix,
    fix: Fix,
    report: &PositionReport,
    near_zone: bool,
    config: &DetectorConfig,
    alerts: &mut Vec<Alert>,
) -> bool {
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
        return true;
    }
    vessel.jumped_to = None;
    false
}

/// Whether the report is well inland (outside ports, berths and anchorages); reports the first
/// report of each spell on land.
pub(super) fn on_land(
    vessel: &Vessel,
    land: Option<&Land>,
    zones: &[Zone],
    report: &PositionReport,
    near_zone: bool,
    config: &DetectorConfig,
    alerts: &mut Vec<Alert>,
) -> bool {
    let in_harbour = zones.iter().any(|z| z.exempts && z.kind.is_harbour() && z.contains(&report.position));
    let on_land = !in_harbour && land.is_some_and(|land| land.inland(&report.position, config.land_clearance_m));
    if on_land && !vessel.on_land {
        alerts.push(alert(
            AlertKind::PositionOnLand,
            report.mmsi,
            report.time,
            report.time,
            &report.position,
            if near_zone { Severity::High } else { Severity::Medium },
            format!(
                "reported position {:.4}, {:.4} is on land more than {:.1} km from any coast, lake or river (Natural Earth)",
                report.position.lat(),
                report.position.lon(),
                config.land_clearance_m / 1_000.0
            ),
        ));
    }
    on_land
}

/// Jump alerts held longer than the duplicate window without a duplicate pattern are released.
pub(super) fn release_held_jumps(vessel: &mut Vessel, now: i64, window: i64, alerts: &mut Vec<Alert>) {
    if vessel.held_jumps.is_empty() || vessel.duplicate_until >= now {
        return;
    }
    let (ready, waiting): (Vec<Alert>, Vec<Alert>) =
        vessel.held_jumps.drain(..).partition(|a| now.saturating_sub(a.end) > window);
    alerts.extend(ready);
    vessel.held_jumps = waiting;
}

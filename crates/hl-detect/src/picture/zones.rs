//! Zone entry, exit and dwell, for zones given as GeoJSON polygons, optionally only for some
//! vessel types and sizes.

use hl_geo::Zone;

use super::{PositionReport, alert};
use crate::alert::{Alert, AlertKind, Severity};

/// The zones a vessel is inside: (zone index, entered at, dwell reported).
pub(super) type Inside = Vec<(usize, i64, bool)>;

fn zone_alert(
    kind: AlertKind,
    zone: &Zone,
    report: &PositionReport,
    start: i64,
    severity: Severity,
    detail: String,
) -> Alert {
    let mut a = alert(kind, report.mmsi, start, report.time, &report.position, severity, detail);
    a.zone = Some(zone.id.clone());
    a
}

/// Takes one report of a vessel of this (type, length) against every zone; pushes the entries,
/// exits and dwells it makes.
pub(super) fn step(
    inside: &mut Inside,
    zones: &[Zone],
    (ship_type, length_m): (Option<u8>, Option<f64>),
    report: &PositionReport,
    alerts: &mut Vec<Alert>,
) {
    for (index, zone) in zones.iter().enumerate() {
        if !zone.filter.admits(ship_type, length_m) {
            continue;
        }
        let restricted = zone.kind == hl_geo::ZoneKind::Restricted;
        let now_inside = zone.contains(&report.position);
        let slot = inside.iter().position(|(i, _, _)| *i == index);
        match (now_inside, slot) {
            (true, None) => {
                inside.push((index, report.time, false));
                let detail = format!("entered {} `{}` at {:.1} kn", zone.kind, zone.name, report.speed.unwrap_or(0.0));
                let severity = if restricted { Severity::High } else { Severity::Low };
                alerts.push(zone_alert(AlertKind::ZoneEntry, zone, report, report.time, severity, detail));
            }
            (false, Some(at)) => {
                let (_, entered, _) = inside.swap_remove(at);
                let detail =
                    format!("left {} `{}` after {} min inside", zone.kind, zone.name, (report.time - entered) / 60);
                alerts.push(zone_alert(AlertKind::ZoneExit, zone, report, entered, Severity::Info, detail));
            }
            (true, Some(at)) => {
                let (_, entered, reported) = &mut inside[at];
                if let Some(limit) = zone.dwell_seconds
                    && !*reported
                    && report.time - *entered >= limit
                {
                    *reported = true;
                    let detail = format!(
                        "inside {} `{}` for {} min (limit {} min)",
                        zone.kind,
                        zone.name,
                        (report.time - *entered) / 60,
                        limit / 60
                    );
                    let severity = if restricted { Severity::High } else { Severity::Medium };
                    alerts.push(zone_alert(AlertKind::ZoneDwell, zone, report, *entered, severity, detail));
                }
            }
            (false, None) => {}
        }
    }
}

//! Loitering (Global Fishing Watch): slower than a threshold for a long time outside anchorages
//! and berths. Reported when the slow spell ends (or the data does).

use hl_geo::Position;

use super::{DetectorConfig, PositionReport, alert};
use crate::alert::{Alert, AlertKind, Severity};

/// A slow spell of one vessel.
#[derive(Debug, Clone, Copy)]
pub(super) struct SlowSpell {
    start: i64,
    last: i64,
    position: Position,
    speed_sum: f64,
    reports: u32,
}

/// Takes one report (`slow`: under the threshold and outside mooring areas) into the vessel's
/// spell; returns the loitering alert when a spell long enough has just ended.
pub(super) fn step(
    spell: &mut Option<SlowSpell>,
    report: &PositionReport,
    slow: bool,
    config: &DetectorConfig,
) -> Option<Alert> {
    let speed = report.speed.unwrap_or(0.0);
    match (slow, spell.as_mut()) {
        (true, Some(ongoing)) => {
            ongoing.last = report.time;
            ongoing.speed_sum += speed;
            ongoing.reports += 1;
            None
        }
        (true, None) => {
            *spell = Some(SlowSpell {
                start: report.time,
                last: report.time,
                position: report.position,
                speed_sum: speed,
                reports: 1,
            });
            None
        }
        (false, Some(_)) => spell.take().and_then(|done| close(report.mmsi, &done, config)),
        (false, None) => None,
    }
}

/// The alert for a finished spell, if it lasted long enough.
pub(super) fn close(mmsi: u32, spell: &SlowSpell, config: &DetectorConfig) -> Option<Alert> {
    (spell.last - spell.start >= config.loiter_seconds_min).then(|| {
        alert(
            AlertKind::Loitering,
            mmsi,
            spell.start,
            spell.last,
            &spell.position,
            Severity::Medium,
            format!(
                "averaged {:.1} kn for {} min outside anchorages and berths (limit {:.0} kn for {} min)",
                spell.speed_sum / f64::from(spell.reports.max(1)),
                (spell.last - spell.start) / 60,
                config.loiter_speed_kn,
                config.loiter_seconds_min / 60
            ),
        )
    })
}

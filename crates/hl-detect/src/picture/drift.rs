//! Drift (AMSA): a vessel moving, but not where its bow points: speed over ground within a band
//! and course and heading far apart, for long enough. Reported when the episode ends.

use hl_geo::Position;

use super::{DetectorConfig, PositionReport, alert, angle_between};
use crate::alert::{Alert, AlertKind, Severity};

/// An ongoing drift episode.
#[derive(Debug, Clone, Copy)]
pub(super) struct DriftEpisode {
    start: i64,
    last: i64,
    position: Position,
    angle_max: f64,
}

/// Takes one report into the vessel's episode; returns the drift alert when an episode long
/// enough has just ended.
pub(super) fn step(
    episode: &mut Option<DriftEpisode>,
    report: &PositionReport,
    config: &DetectorConfig,
) -> Option<Alert> {
    let drifting = match (report.speed, report.course, report.heading) {
        (Some(s), Some(c), Some(h)) if (config.drift_speed_kn.0..=config.drift_speed_kn.1).contains(&s) && h < 360 => {
            let angle = angle_between(c, f64::from(h));
            (angle >= config.drift_angle_deg).then_some(angle)
        }
        _ => None,
    };
    match (drifting, episode.as_mut()) {
        (Some(angle), Some(ongoing)) => {
            ongoing.last = report.time;
            ongoing.angle_max = ongoing.angle_max.max(angle);
            None
        }
        (Some(angle), None) => {
            *episode = Some(DriftEpisode {
                start: report.time,
                last: report.time,
                position: report.position,
                angle_max: angle,
            });
            None
        }
        (None, Some(_)) => episode.take().and_then(|done| close(report.mmsi, &done, config)),
        (None, None) => None,
    }
}

/// The alert for a finished episode, if it lasted long enough.
pub(super) fn close(mmsi: u32, episode: &DriftEpisode, config: &DetectorConfig) -> Option<Alert> {
    (episode.last - episode.start >= config.drift_seconds_min).then(|| {
        alert(
            AlertKind::Drift,
            mmsi,
            episode.start,
            episode.last,
            &episode.position,
            Severity::Low,
            format!(
                "course and heading up to {:.0}° apart for {} min while moving (AMSA drift rule: >= {:.0}°)",
                episode.angle_max,
                (episode.last - episode.start) / 60,
                config.drift_angle_deg
            ),
        )
    })
}

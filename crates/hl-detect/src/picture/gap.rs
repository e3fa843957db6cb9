//! AIS gap ("going dark"): a vessel that was transmitting within coverage falls silent for many
//! times its expected reporting interval. One rule, asked in three places: when the vessel's
//! next report arrives, by a live sweep while it is still silent, and at the end of the data.

use std::collections::VecDeque;

use hl_geo::Zone;

use super::{DetectorConfig, Fix, VesselClass, alert};
use crate::alert::{Alert, AlertKind, Severity};

/// Expected reporting interval, seconds (ITU-R M.1371-5 Annex 1 Table 1 and §4.3).
pub(super) fn expected_interval_s(fix: &Fix) -> f64 {
    let speed = fix.speed.unwrap_or(0.0);
    match fix.class {
        VesselClass::A => {
            let moored = matches!(fix.status, Some(1 | 5));
            match speed {
                s if moored && s <= 3.0 => 180.0,
                s if s <= 14.0 => 10.0,
                s if s <= 23.0 => 6.0,
                _ => 2.0,
            }
        }
        VesselClass::B => {
            if speed <= 2.0 {
                180.0
            } else {
                30.0
            }
        }
        VesselClass::SarAircraft => 10.0,
        VesselClass::AidToNavigation | VesselClass::BaseStation => 180.0,
    }
}

/// When the gap is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    /// The vessel has just been heard again.
    Returned,
    /// A live sweep: it is still silent.
    StillSilent,
    /// The recording ends.
    EndOfData,
}

/// A vessel's history, as far as the gap rule needs it.
pub(super) struct Silence<'a> {
    pub mmsi: u32,
    /// The last accepted position.
    pub last: &'a Fix,
    /// When the silence began (the last report heard).
    pub since: i64,
    /// Times of recent reports (to judge "was transmitting").
    pub recent: &'a VecDeque<i64>,
    /// Seconds of the silence its feed's own silence explains (not counted towards a gap).
    pub excused: i64,
}

/// The gap alert, if the silence up to `now` is one.
pub(super) fn gap(
    silence: &Silence<'_>,
    now: i64,
    seen: Seen,
    config: &DetectorConfig,
    zones: &[Zone],
) -> Option<Alert> {
    let last = silence.last;
    let length = now - silence.since;
    let interval = expected_interval_s(last);
    let threshold = (interval * config.gap_intervals).max(config.gap_seconds_min as f64);
    if (length - silence.excused) as f64 <= threshold {
        return None;
    }
    let before = silence.recent.iter().filter(|&&t| last.time - t <= 3_600).count();
    if before < config.gap_reports_before_min {
        return None;
    }
    let near = zones.iter().any(|z| z.contains(&last.position));
    let severity = if near { Severity::High } else { Severity::Medium };
    let minutes = length / 60;
    let detail = match seen {
        Seen::EndOfData => {
            format!("silent for {minutes} min to the end of the data after {before} reports in the previous hour")
        }
        Seen::Returned | Seen::StillSilent => format!(
            "silent for {minutes} min{} after {before} reports in the previous hour (expected every {interval:.0} s at {:.1} kn){}",
            if seen == Seen::StillSilent { " so far" } else { "" },
            last.speed.unwrap_or(0.0),
            if near { "; went silent inside a zone" } else { "" }
        ),
    };
    Some(alert(AlertKind::AisGap, silence.mmsi, silence.since, now, &last.position, severity, detail))
}

#[cfg(test)]
mod tests {
    use hl_geo::Position;

    use super::*;

    fn fix(speed: f64, class: VesselClass, status: Option<u8>) -> Fix {
        let position = Position::new(1.2, 103.8).unwrap_or_else(|| panic!());
        Fix { time: 10_000, position, speed: Some(speed), class, status }
    }

    #[test]
    fn intervals_follow_m1371_table_1() {
        let cases = [
            (fix(0.5, VesselClass::A, Some(1)), 180.0),
            (fix(0.5, VesselClass::A, Some(0)), 10.0),
            (fix(18.0, VesselClass::A, None), 6.0),
            (fix(30.0, VesselClass::A, None), 2.0),
            (fix(1.0, VesselClass::B, None), 180.0),
            (fix(8.0, VesselClass::B, None), 30.0),
        ];
        for (f, expected) in cases {
            assert_eq!(expected_interval_s(&f), expected, "{f:?}");
        }
    }

    #[test]
    fn a_gap_needs_a_long_silence_after_steady_transmission() {
        let config = DetectorConfig::default();
        let last = fix(10.0, VesselClass::A, Some(0));
        let steady: VecDeque<i64> = (0..10).map(|i| last.time - i * 10).collect();
        let sparse: VecDeque<i64> = VecDeque::from([last.time]);
        let at = |recent: &VecDeque<i64>, now: i64, seen| {
            gap(&Silence { mmsi: 1, last: &last, since: last.time, recent, excused: 0 }, now, seen, &config, &[])
        };
        // 10 s interval x 60 = 600 s, but never under 900 s.
        assert!(at(&steady, last.time + 900, Seen::Returned).is_none());
        let found = at(&steady, last.time + 901, Seen::Returned).unwrap_or_else(|| panic!("a gap"));
        assert_eq!((found.start, found.end, found.severity), (last.time, last.time + 901, Severity::Medium));
        assert!(at(&sparse, last.time + 5_000, Seen::StillSilent).is_none(), "not transmitting steadily before");
        let end = at(&steady, last.time + 5_000, Seen::EndOfData).unwrap_or_else(|| panic!("a gap"));
        assert!(end.detail.contains("to the end of the data"), "{}", end.detail);
    }
}

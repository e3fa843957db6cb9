//! Merging repeats: one open alert per vessel, kind, zone and partner vessel, so one ship never
//! floods the operators' queue.
//!
//! A detection whose key has an alert that last occurred less than the cool-down ago is a
//! repeat of it (the caller extends that alert); otherwise it opens a new alert. The gate is
//! generic over the caller's alert id, and pure: times are the detections' own.

use std::collections::HashMap;

use crate::alert::{Alert, AlertKind};

/// What makes two detections the same alert. Zone and partner are part of it: entering two
/// zones, or meeting two ships, are different facts for an operator. The watch-list entry is
/// too: two organizations' entries for one vessel are two alerts with two owners and audiences,
/// and a repeat must never carry one entry's reason into the other's alert.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlertKey {
    pub mmsi: u32,
    pub kind: AlertKind,
    pub zone: Option<String>,
    pub mmsi_2: Option<u32>,
    pub watch_entry: Option<String>,
    pub feed: Option<String>,
}

impl AlertKey {
    pub fn of(alert: &Alert) -> Self {
        Self {
            mmsi: alert.mmsi,
            kind: alert.kind,
            zone: alert.zone.clone(),
            mmsi_2: alert.mmsi_2,
            watch_entry: alert.watch_entry.clone(),
            feed: alert.feed.clone(),
        }
    }
}

/// Open alerts remembered at most; beyond it the stalest are forgotten (a forgotten alert's
/// next repeat opens a new one, which is safe: nothing is lost, one more record appears).
pub const GATE_ENTRIES_MAX: usize = 200_000;

/// The decision for one detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission<Id> {
    /// No open alert: record a new one and [`AlertGate::opened`] it.
    New,
    /// A repeat of this alert, which occurred this many times before.
    Repeat { id: Id, occurrences: u32 },
}

#[derive(Debug, Clone)]
struct Open<Id> {
    id: Id,
    last: i64,
    occurrences: u32,
}

/// Open alerts by key.
#[derive(Debug, Clone)]
pub struct AlertGate<Id> {
    cooldown_s: i64,
    open: HashMap<AlertKey, Open<Id>>,
}

impl<Id: Clone> AlertGate<Id> {
    /// A gate where an alert absorbs repeats until `cooldown_s` after its last occurrence.
    pub fn new(cooldown_s: i64) -> Self {
        assert!(cooldown_s >= 0, "a cool-down is a duration");
        Self { cooldown_s, open: HashMap::new() }
    }

    /// Decides whether `alert` opens a new alert or repeats an open one (and then counts it).
    pub fn admit(&mut self, alert: &Alert) -> Admission<Id> {
        let key = AlertKey::of(alert);
        match self.open.get_mut(&key) {
            Some(open) if alert.start - open.last <= self.cooldown_s => {
                open.last = open.last.max(alert.end);
                open.occurrences += 1;
                Admission::Repeat { id: open.id.clone(), occurrences: open.occurrences }
            }
            _ => Admission::New,
        }
    }

    /// Records that `alert` was opened as `id`.
    pub fn opened(&mut self, alert: &Alert, id: Id) {
        self.remember(AlertKey::of(alert), id, alert.end, 1);
    }

    /// Restores an open alert (after a restart, from the stored records).
    pub fn remember(&mut self, key: AlertKey, id: Id, last: i64, occurrences: u32) {
        if self.open.len() >= GATE_ENTRIES_MAX && !self.open.contains_key(&key) {
            self.forget_before(i64::MAX);
        }
        self.open.insert(key, Open { id, last, occurrences });
    }

    /// Forgets alerts whose cool-down ended before `now` (bounded memory on a live node). With
    /// `i64::MAX`, forgets the older half, to make room.
    pub fn forget_before(&mut self, now: i64) {
        if now == i64::MAX {
            let mut lasts: Vec<i64> = self.open.values().map(|o| o.last).collect();
            lasts.sort_unstable();
            let median = lasts.get(lasts.len() / 2).copied().unwrap_or(i64::MAX);
            self.open.retain(|_, o| o.last > median);
        } else {
            let cooldown = self.cooldown_s;
            self.open.retain(|_, o| now - o.last <= cooldown);
        }
    }

    pub fn len(&self) -> usize {
        self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    fn detection(kind: AlertKind, mmsi: u32, start: i64, zone: Option<&str>) -> Alert {
        Alert {
            kind,
            mmsi,
            mmsi_2: None,
            start,
            end: start,
            lat: 1.2,
            lon: 103.8,
            severity: Severity::Medium,
            detail: String::new(),
            zone: zone.map(str::to_owned),
            watch_entry: None,
            feed: None,
        }
    }

    #[test]
    fn repeats_within_the_cooldown_merge_and_later_ones_open_anew() {
        let mut gate = AlertGate::<u32>::new(3_600);
        let first = detection(AlertKind::PositionJump, 1, 1_000, None);
        assert_eq!(gate.admit(&first), Admission::New);
        gate.opened(&first, 7);
        // Fifty jumps a minute apart: all merged, each extending the window.
        for i in 1..=50 {
            let again = detection(AlertKind::PositionJump, 1, 1_000 + i * 60, None);
            assert_eq!(gate.admit(&again), Admission::Repeat { id: 7, occurrences: 1 + i as u32 });
        }
        // Other kinds, vessels and zones are other alerts.
        assert_eq!(gate.admit(&detection(AlertKind::AisGap, 1, 1_100, None)), Admission::New);
        assert_eq!(gate.admit(&detection(AlertKind::PositionJump, 2, 1_100, None)), Admission::New);
        let zone_a = detection(AlertKind::ZoneEntry, 1, 1_100, Some("a"));
        gate.opened(&zone_a, 8);
        assert_eq!(gate.admit(&detection(AlertKind::ZoneEntry, 1, 1_200, Some("b"))), Admission::New);
        assert!(matches!(
            gate.admit(&detection(AlertKind::ZoneEntry, 1, 1_200, Some("a"))),
            Admission::Repeat { id: 8, .. }
        ));
        // Past the cool-down after the last repeat (1,000 + 3,000 s): a new alert.
        assert_eq!(gate.admit(&detection(AlertKind::PositionJump, 1, 4_000 + 3_601, None)), Admission::New);
    }

    #[test]
    fn forgetting_keeps_alerts_still_in_their_cooldown() {
        let mut gate = AlertGate::<u32>::new(600);
        for (i, t) in [0, 500, 1_000].into_iter().enumerate() {
            gate.opened(&detection(AlertKind::Drift, i as u32, t, None), i as u32);
        }
        gate.forget_before(1_050);
        assert_eq!(gate.len(), 2, "the alert last seen at 0 is past its cool-down at 1,050");
        assert!(matches!(gate.admit(&detection(AlertKind::Drift, 2, 1_300, None)), Admission::Repeat { id: 2, .. }));
    }
}

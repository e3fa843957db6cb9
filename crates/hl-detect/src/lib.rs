//! Behaviour detectors over vessel tracks. Pure: reports in (with their own timestamps), alerts
//! out; no clock, no I/O, so every detector is tested with exact times.
//!
//! [`Picture`] keeps the latest state of each vessel and runs every detector on each report.
//! Time only moves forward through reports and [`Picture::advance_to`]; silence-based detectors
//! (AIS gaps, zone dwell) are evaluated when time advances.
//!
//! Defaults come from published definitions (see `shared/DOMAIN.md`) and are all in
//! [`DetectorConfig`].

mod alert;
mod gate;
mod mmsi;
mod picture;
mod watchlist;

pub use alert::{Alert, AlertKind, Severity};
pub use gate::{Admission, AlertGate, AlertKey, GATE_ENTRIES_MAX};
pub use mmsi::{MmsiClass, classify_mmsi, flag_of};
pub use picture::{
    DetectorConfig, Picture, PositionReport, StaticReport, VesselClass, imo_valid, type_speed_ceiling_kn,
    vessel_state_bytes,
};
pub use watchlist::{Watchlist, WatchlistEntry, WatchlistError};

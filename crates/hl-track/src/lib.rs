//! Vessel tracks and the pure per-sentence pipeline. No I/O, no clock: callers pass lines and
//! the time they were received, and get back the alerts the detectors raised.
//!
//! [`Pipeline`] is the one path from an NMEA line to tracks and alerts: `harborlink analyze`
//! runs it over a file, the live node over its feeds.

mod observe;
mod pipeline;
pub mod tracks;

pub use observe::{Observation, Voyage};
pub use pipeline::{FUTURE_SKEW_MAX_S, Fed, Pipeline, PipelineCounts, TimeSource};
pub use tracks::{Area, ShortText, Track, TrackConfig, TrackPoint, Tracks, Transponder, VesselState};

#[cfg(test)]
mod tests;

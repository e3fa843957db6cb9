//! Reproducible AIS traffic for the Singapore and Malacca Straits, for tests, demos and
//! benchmarks. Pure: a seed in, time-ordered NMEA sentences and ground truth out.
//!
//! Vessels of several types follow the Strait of Malacca lane and the Singapore–Batam ferry
//! route, report at the intervals ITU-R M.1371-5 sets for their speed and class, and send static
//! data every six minutes. Some carry an injected anomaly (a gap, loitering, an encounter, a
//! spoofed jump, a shared MMSI, drift, a rename, an invalid MMSI, a watch-listed identity, a
//! restricted-zone intrusion, a transponder inland, a "tug" at 24 kn), recorded as [`Truth`]. Zone events are derived from the zones'
//! geometry applied to the transmitted track, so they are truth by construction.

mod region;
mod rng;
mod sim;

pub use region::{Region, ZONES_GEOJSON};
pub use rng::Rng;
pub use sim::{Simulation, SimulationConfig, Truth};

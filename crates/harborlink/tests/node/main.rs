//! Black-box tests of the `harborlink` binary: every test starts real processes and talks to them
//! over HTTP on loopback, once over SQLite and once over a fresh PostgreSQL database.

mod support;

mod access;
mod ais_decode;
mod analyze;
mod api;
mod authz_model;
mod cli;
mod contract;
mod durability;
mod field;
mod hardening;
mod incidents;
mod integrity;
mod live;
mod simulate;

//! A complete NMEA 0183 AIVDM/AIVDO codec for AIS, ITU-R M.1371-5. No I/O, no async, and no heap
//! allocation on the decoding path: lines in, typed messages out.
//!
//! - [`Sentence::parse`]: one line (optional NMEA 4.10 tag block, checksum, fill bits).
//! - [`Reassembler`]: fragments into complete payloads, keyed by (channel, sequential id), bounded.
//! - [`decode`]: payload bits into an [`AisMessage`] of any of the 27 types.
//! - [`Decoder`]: the three together, for a stream of lines.
//! - [`gpsd`]: gpsd-compatible JSON output.

mod bits;
mod decode;
pub mod encode;
mod error;
pub mod gpsd;
mod message;
mod reassembly;
mod sentence;
mod text;

pub use bits::{Bits, PAYLOAD_BITS_MAX, unarmor};
pub use decode::decode;
pub use error::{DecodeError, ErrorKind, SentenceError};
pub use message::*;
pub use reassembly::{Decoded, Decoder, Reassembler, ReassemblyConfig, Rejected};
pub use sentence::{Channel, Sentence, TagBlock};
pub use text::{AisText, BINARY_BYTES_MAX, BinaryData, TEXT_CHARS_MAX, ascii_sixbit, sixbit_ascii};

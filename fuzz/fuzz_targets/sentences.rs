//! Arbitrary bytes as NMEA lines through parsing, reassembly and decoding.
//!
//! Invariants checked on every input: no panic; the reassembler never holds more messages than
//! its limit; every decoded message prints as valid JSON; and every decoded message encodes to
//! sentences that decode to the same message.
#![no_main]

use hl_ais::encode::{SentenceOptions, to_sentences};
use hl_ais::gpsd::JsonWriter;
use hl_ais::{Decoder, ReassemblyConfig};
use libfuzzer_sys::fuzz_target;

const PENDING_MAX: usize = 8;

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::new(ReassemblyConfig { pending_max: PENDING_MAX, lines_max: 50, seconds_max: 60 });
    let mut writer = JsonWriter::new();
    for line in data.split(|&b| b == b'\n') {
        if let Ok(Some(decoded)) = decoder.feed(line) {
            let mut json = Vec::new();
            writer.write(decoded.message, &mut json);
            if !json.is_empty() {
                let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&json);
                assert!(parsed.is_ok(), "invalid JSON: {}", String::from_utf8_lossy(&json));
            }
            let message = *decoded.message;
            let sentences = to_sentences(&message, &SentenceOptions::default());
            let mut again = Decoder::default();
            let mut round_trip = None;
            for s in &sentences {
                if let Ok(Some(d)) = again.feed(s.as_bytes()) {
                    round_trip = Some(*d.message);
                }
            }
            assert_eq!(round_trip, Some(message), "{sentences:?}");
        }
        let _ = decoder.drain_dropped().count();
    }
    decoder.finish();
    assert!(decoder.drain_dropped().count() <= PENDING_MAX);
});

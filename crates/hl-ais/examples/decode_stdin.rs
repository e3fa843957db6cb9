//! Decodes NMEA lines on stdin to gpsd JSON on stdout (a development aid; the real CLI is
//! `harborlink ais decode`).
use std::io::{BufRead, Write};

fn main() {
    let mut decoder = hl_ais::Decoder::default();
    let mut writer = hl_ais::gpsd::JsonWriter::with_device("stdin");
    let mut out = Vec::new();
    for line in std::io::stdin().lock().split(b'\n') {
        let Ok(line) = line else { break };
        if let Ok(Some(decoded)) = decoder.feed(&line) {
            writer.write(decoded.message, &mut out);
        }
    }
    let _ = std::io::stdout().write_all(&out);
}

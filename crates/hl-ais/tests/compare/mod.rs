//! Field-by-field comparison of our gpsd JSON with a reference decoder's, shared by the fixture
//! and differential tests. Every tolerated difference is listed here with its reason; anything
//! else is a disagreement.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

#[allow(dead_code)]
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais")
}

pub fn read(relative: &str) -> Vec<u8> {
    let path = data_dir().join(relative);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the captured AIS data lives in testdata/ais)", path.display()))
}

/// Our JSON lines for an NMEA byte stream (type 24 merged as gpsd does).
pub fn decode_to_json(nmea: &[u8]) -> Vec<Value> {
    let mut decoder = hl_ais::Decoder::default();
    let mut writer = hl_ais::gpsd::JsonWriter::with_device("stdin");
    let mut out = Vec::new();
    for line in nmea.split(|&b| b == b'\n') {
        if let Ok(Some(decoded)) = decoder.feed(line) {
            writer.write(decoded.message, &mut out);
        }
    }
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice(l)
                .unwrap_or_else(|e| panic!("our output is not JSON ({e}): {}", String::from_utf8_lossy(l)))
        })
        .collect()
}

/// Decimal places of a number as a reference printed it, judged from its shortest form.
fn tolerance(reference: f64) -> f64 {
    let text = format!("{reference}");
    let decimals = text.split('.').nth(1).map_or(0, str::len) as i32;
    // Half a unit in the last printed place, and never tighter than f32 rounding (libais).
    (0.5 * 10f64.powi(-decimals)).max(reference.abs() * 1e-6) + 1e-9
}

/// Why a reference field may differ from ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tolerated {
    /// The reference interprets a regional or IMO application (DAC/FID) that we pass through
    /// as `data`, as the issue asks only DAC 1 FI 31 to be interpreted.
    ApplicationInterpreted,
    /// gpsd never decodes the communication state of type 26 and prints 0.
    Type26Radio,
    /// gpsd copies type 25/26 data without masking the bits after the payload's end.
    UnmaskedDataTail,
    /// gpsd prints ROT as an unsigned square and uses other words for "not available".
    TurnNotation,
    /// gpsd 3.22 prints the type 27 status as its legend; newer gpsd prints the code and text.
    Type27StatusNotation,
    /// Legends of reserved codes are worded differently between gpsd versions
    /// (3.22: "INVALID EPFD"; later: "Reserved (14)").
    ReservedLegend,
    /// gpsd reads the byte-alignment padding of a short type 20 as the next reservation's
    /// offset; M.1371-5 §3.16 (Table 68): a type 20 with fewer than four reservations ends
    /// after the last one, padded to a byte boundary, so the absent offset is 0.
    Type20PaddingRead,
    /// gpsd computes the IMO 289 water level in unsigned arithmetic, so a level below 0 m
    /// prints as about 4.29e7; IMO SN.1/Circ.289: (raw - 1000) / 100 m, -10.0 to +30.0 m.
    WaterLevelUnderflow,
    /// gpsd's legends for the IMO 289 pressure and water-level trends swap "decreasing" and
    /// "increasing"; IMO SN.1/Circ.289: 0 steady, 1 decreasing, 2 increasing, 3 N/A.
    TrendLegend,
    /// pyais keeps text after the first `@` (the 6-bit NUL that ends a text, M.1371-5 Table 47)
    /// and trims leading spaces; gpsd and we end the text there.
    TextAfterNul,
    /// pyais reports an optional field the message does not carry as null; gpsd and we print 0.
    AbsentAsNull,
    /// pyais replaces codes its enumerations do not define (reserved EPFD, ship and station
    /// types) with a default; we print the transmitted code, as gpsd.
    UnknownCodeReplaced,
    /// pyais leaves 1/10-minute positions (types 17, 22, 23) in minutes instead of degrees.
    PositionInMinutes,
    /// pyais reads an application id in type 25/26 even when the structured flag is 0.
    UnstructuredAppId,
    /// pyais prints the 3-character M.1371-5 vendor id; gpsd (and we) the 7-character one of
    /// M.1371-3 that includes the model and serial bits.
    VendorIdWidth,
    /// pyais reads the type 23 Tx/Rx mode as 4 bits; M.1371-5 Table 73 gives 2 (bits 144-145),
    /// so its reporting interval is read two bits late.
    Type23IntervalOffset,
    /// pyais prints 102.3 and 102.2 for speeds that gpsd words "nan" and "fast".
    SpeedNotation,
    /// pyais reads the type 17 reference position as unsigned; M.1371-5 Table 70 has signed
    /// 1/10-minute longitude and latitude.
    UnsignedDgnssPosition,
    /// pyais prints IMO 289 codes (trends, precipitation, ice) as numbers where gpsd prints
    /// their legends.
    CodeForLegend,
    /// pyais trims the first 20 characters of a type 21 name before appending its extension,
    /// and appends it even when the name ended (`@`) before 20 characters; M.1371-5 Table 72:
    /// the extension continues a name that fills all 20 characters (gpsd reads it so too).
    NameExtensionJoin,
}

#[derive(Debug, Default)]
pub struct Report {
    pub fields: u64,
    pub tolerated: BTreeMap<Tolerated, u64>,
    pub disagreements: Vec<String>,
}

fn turn_value(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().map(f64::abs),
        Value::String(s) => s.parse::<f64>().ok().map(f64::abs),
        _ => None,
    }
}

fn application_keys(ours: &Value, theirs: &Value) -> bool {
    let t = ours["type"].as_u64().unwrap_or(0);
    (t == 6 || t == 8) && ours.get("data").is_some() && theirs.get("data").is_none()
}

impl Report {
    /// Compares one message; `ours` may carry extra fields.
    pub fn compare(&mut self, ours: &Value, theirs: &Value) {
        let (Some(o), Some(t)) = (ours.as_object(), theirs.as_object()) else {
            self.disagreements.push(format!("not objects: {ours} / {theirs}"));
            return;
        };
        let interpreted_elsewhere = application_keys(ours, theirs);
        for (key, reference) in t {
            if key == "device" {
                continue;
            }
            self.fields += 1;
            let mine = o.get(key).unwrap_or(&Value::Null);
            if equal(mine, reference) {
                continue;
            }
            let kind = ours["type"].as_u64().unwrap_or(0);
            let tolerated = match key.as_str() {
                _ if interpreted_elsewhere
                    && !matches!(
                        key.as_str(),
                        "type"
                            | "repeat"
                            | "mmsi"
                            | "dac"
                            | "fid"
                            | "seqno"
                            | "dest_mmsi"
                            | "retransmit"
                            | "scaled"
                            | "class"
                    ) =>
                {
                    Some(Tolerated::ApplicationInterpreted)
                }
                "radio" if kind == 26 && reference.as_u64() == Some(0) => Some(Tolerated::Type26Radio),
                "data" if matches!(kind, 25 | 26) && same_bits_but_tail(mine, reference) => {
                    Some(Tolerated::UnmaskedDataTail)
                }
                "turn" if turn_equal(mine, reference) => Some(Tolerated::TurnNotation),
                "status" | "status_text" if kind == 27 => Some(Tolerated::Type27StatusNotation),
                k if kind == 20 && k.starts_with("offset") && mine.as_u64() == Some(0) => {
                    Some(Tolerated::Type20PaddingRead)
                }
                "waterlevel" if reference.as_f64().is_some_and(|v| v > 40.0) => Some(Tolerated::WaterLevelUnderflow),
                "pressuretend" | "leveltrend" if swapped_trend(mine, reference) => Some(Tolerated::TrendLegend),
                _ if text_after_nul(mine, reference) => Some(Tolerated::TextAfterNul),
                _ if reference.is_null() && (mine.as_u64() == Some(0) || mine.is_number()) => {
                    Some(Tolerated::AbsentAsNull)
                }
                "epfd" | "shiptype" | "stationtype" if matches!((reference.as_u64(), mine.as_u64()), (Some(r), Some(m)) if r < m) =>
                {
                    // Reserved codes become 0, or the first code of their group (45-48 -> 45).
                    Some(Tolerated::UnknownCodeReplaced)
                }
                "lon" | "lat" if kind == 17 && unsigned_tenth_minutes(mine, reference, key == "lon") => {
                    Some(Tolerated::UnsignedDgnssPosition)
                }
                "pressuretend" | "leveltrend" | "preciptype" | "ice" if mine.is_string() && reference.is_u64() => {
                    Some(Tolerated::CodeForLegend)
                }
                "lon" | "lat" | "ne_lon" | "ne_lat" | "sw_lon" | "sw_lat"
                    if matches!(kind, 17 | 22 | 23) && in_minutes(mine, reference) =>
                {
                    Some(Tolerated::PositionInMinutes)
                }
                "app_id" if matches!(kind, 25 | 26) && ours["structured"] == Value::Bool(false) => {
                    Some(Tolerated::UnstructuredAppId)
                }
                "vendorid" if prefix_of(reference, mine) => Some(Tolerated::VendorIdWidth),
                "name"
                    if kind == 21
                        && matches!((without_spaces(mine), without_spaces(reference)), (Some(m), Some(r)) if r.starts_with(&m)) =>
                {
                    Some(Tolerated::NameExtensionJoin)
                }
                "interval" if kind == 23 => Some(Tolerated::Type23IntervalOffset),
                "speed" if matches!(mine.as_str(), Some("nan" | "fast")) => Some(Tolerated::SpeedNotation),
                "epfd_text" if o.get("epfd").and_then(Value::as_u64).is_some_and(|c| c > 8) => {
                    Some(Tolerated::ReservedLegend)
                }
                _ => None,
            };
            match tolerated {
                Some(reason) => *self.tolerated.entry(reason).or_default() += 1,
                None => self.disagreements.push(format!(
                    "type {kind} mmsi {} field `{key}`: ours {mine}, reference {reference}",
                    ours["mmsi"]
                )),
            }
        }
    }
}

fn swapped_trend(mine: &Value, reference: &Value) -> bool {
    matches!(
        (mine.as_str(), reference.as_str()),
        (Some("increasing"), Some("decreasing")) | (Some("decreasing"), Some("increasing"))
    )
}

fn text_after_nul(mine: &Value, reference: &Value) -> bool {
    if reference.is_null() && mine.as_str() == Some("") {
        return true;
    }
    let (Some(ours), Some(theirs)) = (mine.as_str(), reference.as_str()) else { return false };
    let ours = ours.trim_start();
    // We trimmed trailing spaces before the `@`; pyais keeps both and trims leading spaces.
    theirs.trim_start().strip_prefix(ours).is_some_and(|rest| rest.is_empty() || rest.trim_start().starts_with('@'))
}

fn unsigned_tenth_minutes(mine: &Value, reference: &Value, longitude: bool) -> bool {
    let (Some(degrees), Some(theirs)) = (mine.as_f64(), reference.as_f64()) else { return false };
    let width = if longitude { 18 } else { 17 };
    let raw = (degrees * 600.0).round() as i64;
    let unsigned = if raw < 0 { raw + (1 << width) } else { raw };
    (unsigned as f64 / 10.0 - theirs).abs() <= 0.051
}

fn prefix_of(short: &Value, long: &Value) -> bool {
    matches!((short.as_str(), long.as_str()), (Some(s), Some(l)) if l.trim_start().starts_with(s.trim_start()))
}

fn without_spaces(v: &Value) -> Option<String> {
    v.as_str().map(|s| s.chars().filter(|c| *c != ' ').collect())
}

/// `reference` is `mine` (degrees, possibly printed as a string) expressed in minutes.
fn in_minutes(mine: &Value, reference: &Value) -> bool {
    let degrees = mine.as_f64().or_else(|| mine.as_str().and_then(|s| s.parse().ok()));
    matches!((degrees, reference.as_f64()), (Some(d), Some(m)) if (d * 60.0 - m).abs() <= 0.051)
}

fn turn_equal(mine: &Value, reference: &Value) -> bool {
    let na = |v: &Value| matches!(v.as_str(), Some("nan" | "n/a"));
    if na(mine) || na(reference) {
        return na(mine) && na(reference);
    }
    match (turn_value(mine), turn_value(reference)) {
        // gpsd prints the square of ROT/4.733 with 0 decimals; we print ROT itself signed.
        (Some(a), Some(b)) => (a - b).abs() <= 0.5 + 1e-9 || (a.round() - b).abs() <= 0.5,
        _ => mine == reference,
    }
}

fn same_bits_but_tail(mine: &Value, reference: &Value) -> bool {
    match (mine.as_str(), reference.as_str()) {
        (Some(a), Some(b)) => a.len() == b.len() && a.len() >= 2 && a[..a.len() - 2] == b[..b.len() - 2],
        _ => false,
    }
}

fn equal(mine: &Value, reference: &Value) -> bool {
    match (mine, reference) {
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= tolerance(y),
            _ => false,
        },
        // gpsd prints type 22/23 corners as strings of numbers.
        (Value::String(a), Value::String(b)) => {
            a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if (x - y).abs() <= tolerance(y))
        }
        (Value::Bool(a), Value::Number(b)) | (Value::Number(b), Value::Bool(a)) => b.as_u64() == Some(u64::from(*a)),
        (Value::String(a), Value::Number(b)) if matches!(a.as_str(), "nan" | "fast") => {
            // gpsd's words for the 1023 / 1022 speed codes, printed as numbers by pyais.
            let code = if a == "nan" { 1023.0 } else { 1022.0 };
            b.as_f64().is_some_and(|v| v == code || v == code / 10.0)
        }
        // A number printed as a string by one side (corners, IMO numbers).
        (Value::String(a), Value::Number(b)) | (Value::Number(b), Value::String(a)) => {
            matches!((a.parse::<f64>(), b.as_f64()), (Ok(x), Some(y)) if (x - y).abs() <= tolerance(y))
        }
        _ => mine == reference,
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce from the seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Lengths (bits) a transmitter sends for each message type.
pub fn valid_lengths(message_type: u8) -> Vec<usize> {
    let stepped = |start: usize, step: usize, max: usize| (start..=max).step_by(step).collect::<Vec<_>>();
    match message_type {
        1..=4 | 9 | 11 | 18 | 22 => vec![168],
        5 => vec![424],
        6 => stepped(88, 8, 1008),
        7 | 13 => vec![72, 104, 136, 168],
        8 => stepped(56, 8, 1008),
        10 => vec![72],
        12 => stepped(72, 6, 1008),
        14 => stepped(40, 6, 1006),
        15 => vec![88, 108, 160],
        16 => vec![96, 144],
        17 => stepped(80, 8, 816),
        19 => vec![312],
        20 => vec![72, 104, 136, 160],
        21 => stepped(272, 6, 356),
        23 | 24 => vec![160, 168],
        25 => stepped(40, 8, 168),
        26 => stepped(60, 8, 1004),
        27 => vec![96],
        _ => vec![],
    }
}

const PAYLOAD_BYTES_MAX: usize = 128;

/// A random payload of a valid length for `message_type`: (bytes, bits).
pub fn random_payload(rng: &mut Rng, message_type: u8) -> (Vec<u8>, usize) {
    let lengths = valid_lengths(message_type);
    let mut bits = lengths[rng.below(lengths.len() as u64) as usize];
    let mut bytes: Vec<u8> = (0..PAYLOAD_BYTES_MAX).map(|_| rng.next() as u8).collect();
    bytes[0] = (message_type << 2) | (bytes[0] & 3);
    if matches!(message_type, 25 | 26) {
        // Room for the destination (addressed, bit 38) and application id (structured, bit 39).
        let addressed = usize::from(bytes[4] >> 1 & 1);
        let structured = usize::from(bytes[4] & 1);
        let radio = if message_type == 26 { 20 } else { 0 };
        bits = bits.max((40 + 30 * addressed + 16 * structured + radio).div_ceil(8) * 8);
    }
    bytes.truncate(bits.div_ceil(8));
    if message_type == 24 {
        // Part A (0) or B (1); 2 and 3 are not defined.
        bytes[4] &= !0b10;
        if bits == 160 {
            bytes[4] &= !0b11;
        } else {
            bytes[4] = (bytes[4] & !0b11) | 1;
        }
    }
    if message_type == 8 && rng.below(4) == 0 && bits >= 360 {
        // Often enough, the IMO meteorological and hydrological application (DAC 1, FI 31).
        // DAC (bits 40-49) = 1, FI (bits 50-55) = 31.
        bytes[5] = 0;
        bytes[6] = 0b0101_1111;
    }
    (bytes, bits)
}

/// A payload as one `!AIVDM` sentence or several.
pub fn payload_sentences(bytes: &[u8], bits: usize, sequence: u8) -> Vec<String> {
    let (payload, fill) = hl_ais::encode::armor(bytes, bits);
    let chunks: Vec<&[u8]> = payload.as_bytes().chunks(60).collect();
    let total = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let seq = if total > 1 { sequence.to_string() } else { String::new() };
            let f = if i + 1 == total { fill } else { 0 };
            let body = format!("AIVDM,{total},{},{seq},A,{},{f}", i + 1, String::from_utf8_lossy(chunk));
            let sum = body.bytes().fold(0u8, |a, b| a ^ b);
            format!("!{body}*{sum:02X}")
        })
        .collect()
}

//! Typed messages back to bits and NMEA sentences: the inverse of [`crate::decode`], used by the
//! traffic simulator and the tests. `decode(encode(m)) == m` for every message the decoder can
//! produce (a property test checks it).

use crate::bits::PAYLOAD_BITS_MAX;
use crate::message::*;
use crate::text::{AisText, BinaryData, ascii_sixbit};

/// Characters of payload per sentence when a message is split (keeps sentences under the
/// 82-character NMEA limit with a two-letter talker and channel).
pub const SENTENCE_PAYLOAD_CHARS_MAX: usize = 60;

/// A growing big-endian bit string.
#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
    len: usize,
}

impl Writer {
    fn u(&mut self, value: u64, width: usize) {
        for i in (0..width).rev() {
            let bit = (value >> i) & 1;
            if self.len.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if bit == 1 {
                let last = self.bytes.len() - 1;
                self.bytes[last] |= 0x80 >> (self.len % 8);
            }
            self.len += 1;
        }
    }

    fn i(&mut self, value: i64, width: usize) {
        let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
        self.u(value as u64 & mask, width);
    }

    fn flag(&mut self, value: bool) {
        self.u(u64::from(value), 1);
    }

    /// Text padded with `@` to `chars` characters.
    fn text<const N: usize>(&mut self, text: &AisText<N>, chars: usize) {
        self.text_str(text.as_str(), chars);
    }

    /// Characters of `text` as they are (no trimming), padded with `@` to `chars`.
    fn text_str(&mut self, text: &str, chars: usize) {
        let bytes = text.as_bytes();
        for i in 0..chars {
            let v = bytes.get(i).and_then(|&c| ascii_sixbit(c)).unwrap_or(0);
            self.u(u64::from(v), 6);
        }
    }

    /// Text of its own length (variable-length fields).
    fn text_exact<const N: usize>(&mut self, text: &AisText<N>) {
        self.text(text, text.len());
    }

    fn data(&mut self, data: &BinaryData) {
        let bytes = data.as_bytes();
        let mut left = data.bit_len();
        for &byte in bytes {
            let take = left.min(8);
            self.u(u64::from(byte >> (8 - take)), take);
            left -= take;
        }
    }

    fn header(&mut self, h: &Header) {
        self.u(u64::from(h.message_type), 6);
        self.u(u64::from(h.repeat), 2);
        self.u(u64::from(h.mmsi), 30);
    }

    fn lon_4(&mut self, lon: Option<f64>) {
        self.i(lon.map_or(181 * 600_000, |d| (d * 600_000.0).round() as i64), 28);
    }

    fn lat_4(&mut self, lat: Option<f64>) {
        self.i(lat.map_or(91 * 600_000, |d| (d * 600_000.0).round() as i64), 27);
    }

    fn tenths(&mut self, value: Option<f64>, na: u64, width: usize) {
        self.u(value.map_or(na, |v| (v * 10.0).round() as u64), width);
    }

    fn dims(&mut self, d: &Dimensions) {
        self.u(u64::from(d.to_bow), 9);
        self.u(u64::from(d.to_stern), 9);
        self.u(u64::from(d.to_port), 6);
        self.u(u64::from(d.to_starboard), 6);
    }

    fn pad_to(&mut self, len: usize) {
        while self.len < len {
            self.u(0, 1);
        }
    }
}

/// The payload bits of a message: (bytes, bit count).
pub fn encode_bits(message: &AisMessage) -> (Vec<u8>, usize) {
    let mut w = Writer::default();
    match message {
        AisMessage::Position(m) => {
            w.header(&m.header);
            w.u(u64::from(m.status), 4);
            w.i(i64::from(m.turn.raw()), 8);
            w.tenths(m.speed, 1023, 10);
            w.flag(m.accuracy);
            w.lon_4(m.lon);
            w.lat_4(m.lat);
            w.tenths(m.course, 3600, 12);
            w.u(u64::from(m.heading.unwrap_or(511)), 9);
            w.u(u64::from(m.second), 6);
            w.u(u64::from(m.maneuver), 2);
            w.u(0, 3);
            w.flag(m.raim);
            w.u(u64::from(m.radio), 19);
        }
        AisMessage::BaseStation(m) => {
            w.header(&m.header);
            let t = m.time;
            w.u(u64::from(t.year.unwrap_or(0)), 14);
            w.u(u64::from(t.month.unwrap_or(0)), 4);
            w.u(u64::from(t.day.unwrap_or(0)), 5);
            w.u(u64::from(t.hour.unwrap_or(24)), 5);
            w.u(u64::from(t.minute.unwrap_or(60)), 6);
            w.u(u64::from(t.second.unwrap_or(60)), 6);
            w.flag(m.accuracy);
            w.lon_4(m.lon);
            w.lat_4(m.lat);
            w.u(u64::from(m.epfd), 4);
            w.u(0, 10);
            w.flag(m.raim);
            w.u(u64::from(m.radio), 19);
        }
        AisMessage::StaticAndVoyage(m) => {
            w.header(&m.header);
            w.u(u64::from(m.ais_version), 2);
            w.u(u64::from(m.imo.unwrap_or(0)), 30);
            w.text(&m.callsign, 7);
            w.text(&m.shipname, 20);
            w.u(u64::from(m.shiptype), 8);
            w.dims(&m.dimensions);
            w.u(u64::from(m.epfd), 4);
            w.u(u64::from(m.eta.month.unwrap_or(0)), 4);
            w.u(u64::from(m.eta.day.unwrap_or(0)), 5);
            w.u(u64::from(m.eta.hour.unwrap_or(24)), 5);
            w.u(u64::from(m.eta.minute.unwrap_or(60)), 6);
            w.tenths(m.draught, 0, 8);
            w.text(&m.destination, 20);
            w.flag(m.dte);
            w.u(0, 1);
        }
        AisMessage::Binary(m) => {
            w.header(&m.header);
            if m.header.message_type == 6 {
                w.u(u64::from(m.seqno), 2);
                w.u(u64::from(m.dest_mmsi.unwrap_or(0)), 30);
                w.flag(m.retransmit);
                w.u(0, 1);
            } else {
                w.u(0, 2);
            }
            w.u(u64::from(m.dac), 10);
            w.u(u64::from(m.fid), 6);
            w.data(&m.data);
        }
        AisMessage::Acknowledge(m) => {
            w.header(&m.header);
            w.u(0, 2);
            for (mmsi, seq) in m.acks.iter().flatten() {
                w.u(u64::from(*mmsi), 30);
                w.u(u64::from(*seq), 2);
            }
        }
        AisMessage::SarAircraft(m) => {
            w.header(&m.header);
            w.u(u64::from(m.alt.unwrap_or(4095)), 12);
            w.u(u64::from(m.speed.unwrap_or(1023)), 10);
            w.flag(m.accuracy);
            w.lon_4(m.lon);
            w.lat_4(m.lat);
            w.tenths(m.course, 3600, 12);
            w.u(u64::from(m.second), 6);
            w.u(u64::from(m.regional), 8);
            w.flag(m.dte);
            w.u(0, 3);
            w.flag(m.assigned);
            w.flag(m.raim);
            w.u(u64::from(m.radio), 20);
        }
        AisMessage::UtcInquiry(m) => {
            w.header(&m.header);
            w.u(0, 2);
            w.u(u64::from(m.dest_mmsi), 30);
            w.u(0, 2);
        }
        AisMessage::SafetyAddressed(m) => {
            w.header(&m.header);
            w.u(u64::from(m.seqno), 2);
            w.u(u64::from(m.dest_mmsi), 30);
            w.flag(m.retransmit);
            w.u(0, 1);
            w.text_exact(&m.text);
        }
        AisMessage::SafetyBroadcast(m) => {
            w.header(&m.header);
            w.u(0, 2);
            w.text_exact(&m.text);
        }
        AisMessage::Interrogation(m) => {
            w.header(&m.header);
            w.u(0, 2);
            w.u(u64::from(m.mmsi1), 30);
            w.u(u64::from(m.type1_1), 6);
            w.u(u64::from(m.offset1_1), 12);
            if let Some((t, o)) = m.type1_2 {
                w.u(0, 2);
                w.u(u64::from(t), 6);
                w.u(u64::from(o), 12);
                if let Some((mmsi, t, o)) = m.station2 {
                    w.u(0, 2);
                    w.u(u64::from(mmsi), 30);
                    w.u(u64::from(t), 6);
                    w.u(u64::from(o), 12);
                    w.u(0, 2);
                }
            }
        }
        AisMessage::AssignmentCommand(m) => {
            w.header(&m.header);
            w.u(0, 2);
            w.u(u64::from(m.mmsi1), 30);
            w.u(u64::from(m.offset1), 12);
            w.u(u64::from(m.increment1), 10);
            match m.station2 {
                Some((mmsi, offset, increment)) => {
                    w.u(u64::from(mmsi), 30);
                    w.u(u64::from(offset), 12);
                    w.u(u64::from(increment), 10);
                    w.u(0, 4);
                }
                None => w.u(0, 4),
            }
        }
        AisMessage::Dgnss(m) => {
            w.header(&m.header);
            w.u(0, 2);
            w.i(m.lon.map_or(181 * 600, |d| (d * 600.0).round() as i64), 18);
            w.i(m.lat.map_or(91 * 600, |d| (d * 600.0).round() as i64), 17);
            w.u(0, 5);
            w.data(&m.data);
        }
        AisMessage::ClassBPosition(m) => {
            w.header(&m.header);
            w.u(u64::from(m.reserved), 8);
            w.tenths(m.speed, 1023, 10);
            w.flag(m.accuracy);
            w.lon_4(m.lon);
            w.lat_4(m.lat);
            w.tenths(m.course, 3600, 12);
            w.u(u64::from(m.heading.unwrap_or(511)), 9);
            w.u(u64::from(m.second), 6);
            w.u(u64::from(m.regional), 2);
            for flag in [m.cs, m.display, m.dsc, m.band, m.msg22, m.assigned, m.raim] {
                w.flag(flag);
            }
            w.u(u64::from(m.radio), 20);
        }
        AisMessage::ClassBExtended(m) => {
            w.header(&m.header);
            w.u(u64::from(m.reserved), 8);
            w.tenths(m.speed, 1023, 10);
            w.flag(m.accuracy);
            w.lon_4(m.lon);
            w.lat_4(m.lat);
            w.tenths(m.course, 3600, 12);
            w.u(u64::from(m.heading.unwrap_or(511)), 9);
            w.u(u64::from(m.second), 6);
            w.u(u64::from(m.regional), 4);
            w.text(&m.shipname, 20);
            w.u(u64::from(m.shiptype), 8);
            w.dims(&m.dimensions);
            w.u(u64::from(m.epfd), 4);
            w.flag(m.raim);
            w.flag(m.dte);
            w.flag(m.assigned);
            w.u(0, 4);
        }
        AisMessage::DataLinkManagement(m) => {
            w.header(&m.header);
            w.u(0, 2);
            for r in m.reservations.iter().flatten() {
                w.u(u64::from(r.offset), 12);
                w.u(u64::from(r.number), 4);
                w.u(u64::from(r.timeout), 3);
                w.u(u64::from(r.increment), 11);
            }
            // Pad to a byte boundary as transmitters do (72, 104, 136 or 160 bits).
            let len = w.len;
            w.pad_to(len.div_ceil(8) * 8);
        }
        AisMessage::AidToNavigation(m) => {
            w.header(&m.header);
            w.u(u64::from(m.aid_type), 5);
            let name = m.name.as_str();
            let (head, tail) = name.split_at(name.len().min(20));
            // The first 20 characters exactly (a space in 20th place is part of the name
            // when an extension follows), then the extension.
            w.text_str(head, 20);
            w.flag(m.accuracy);
            w.lon_4(m.lon);
            w.lat_4(m.lat);
            w.dims(&m.dimensions);
            w.u(u64::from(m.epfd), 4);
            w.u(u64::from(m.second), 6);
            w.flag(m.off_position);
            w.u(u64::from(m.regional), 8);
            w.flag(m.raim);
            w.flag(m.virtual_aid);
            w.flag(m.assigned);
            w.u(0, 1);
            if !tail.is_empty() {
                w.text_str(tail, tail.len());
            }
        }
        AisMessage::ChannelManagement(m) => {
            w.header(&m.header);
            w.u(0, 2);
            w.u(u64::from(m.channel_a), 12);
            w.u(u64::from(m.channel_b), 12);
            w.u(u64::from(m.txrx), 4);
            w.flag(m.power);
            let addressed = match m.target {
                ChannelManagementTarget::Area { ne_lon, ne_lat, sw_lon, sw_lat } => {
                    w.i((ne_lon * 600.0).round() as i64, 18);
                    w.i((ne_lat * 600.0).round() as i64, 17);
                    w.i((sw_lon * 600.0).round() as i64, 18);
                    w.i((sw_lat * 600.0).round() as i64, 17);
                    false
                }
                ChannelManagementTarget::Addressed { dest1, dest2 } => {
                    w.u(u64::from(dest1), 30);
                    w.u(0, 5);
                    w.u(u64::from(dest2), 30);
                    w.u(0, 5);
                    true
                }
                ChannelManagementTarget::None => {
                    w.u(0, 70);
                    false
                }
            };
            w.flag(addressed);
            w.flag(m.band_a);
            w.flag(m.band_b);
            w.u(u64::from(m.zonesize), 3);
            w.u(0, 23);
        }
        AisMessage::GroupAssignment(m) => {
            w.header(&m.header);
            w.u(0, 2);
            w.i((m.ne_lon * 600.0).round() as i64, 18);
            w.i((m.ne_lat * 600.0).round() as i64, 17);
            w.i((m.sw_lon * 600.0).round() as i64, 18);
            w.i((m.sw_lat * 600.0).round() as i64, 17);
            w.u(u64::from(m.station_type), 4);
            w.u(u64::from(m.ship_type), 8);
            w.u(0, 22);
            w.u(u64::from(m.txrx), 2);
            w.u(u64::from(m.interval), 4);
            w.u(u64::from(m.quiet), 4);
            w.u(0, 6);
        }
        AisMessage::StaticData(StaticDataReport::PartA { header, shipname }) => {
            w.header(header);
            w.u(0, 2);
            w.text(shipname, 20);
            w.u(0, 8);
        }
        AisMessage::StaticData(StaticDataReport::PartB {
            header,
            shiptype,
            vendorid,
            model,
            serial,
            callsign,
            tail,
        }) => {
            w.header(header);
            w.u(1, 2);
            w.u(u64::from(*shiptype), 8);
            w.text(vendorid, 3);
            w.u(u64::from(*model), 4);
            w.u(u64::from(*serial), 20);
            w.text(callsign, 7);
            match tail {
                PartBTail::Dimensions(d) => w.dims(d),
                PartBTail::Mothership(mmsi) => w.u(u64::from(*mmsi), 30),
            }
            w.u(0, 6);
        }
        AisMessage::SlotBinary(m) => {
            w.header(&m.header);
            w.flag(m.addressed);
            w.flag(m.structured);
            if let Some(dest) = m.dest_mmsi {
                w.u(u64::from(dest), 30);
            }
            if let Some((dac, fid)) = m.app_id {
                w.u(u64::from(dac), 10);
                w.u(u64::from(fid), 6);
            }
            w.data(&m.data);
            if let Some(radio) = m.radio {
                w.u(u64::from(radio), 20);
            }
        }
        AisMessage::LongRange(m) => {
            w.header(&m.header);
            w.flag(m.accuracy);
            w.flag(m.raim);
            w.u(u64::from(m.status), 4);
            w.i(m.lon.map_or(181 * 600, |d| (d * 600.0).round() as i64), 18);
            w.i(m.lat.map_or(91 * 600, |d| (d * 600.0).round() as i64), 17);
            w.u(u64::from(m.speed.unwrap_or(63)), 6);
            w.u(u64::from(m.course.unwrap_or(511)), 9);
            w.flag(m.gnss);
            w.u(0, 1);
        }
    }
    debug_assert!(w.len <= PAYLOAD_BITS_MAX);
    (w.bytes, w.len)
}

/// Bits → armoured characters and the fill-bit count.
pub fn armor(bytes: &[u8], bits: usize) -> (String, u8) {
    let chars = bits.div_ceil(6);
    let fill = (chars * 6 - bits) as u8;
    let bit = |i: usize| i < bits && bytes.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
    let mut out = String::with_capacity(chars);
    for c in 0..chars {
        let v = (0..6).fold(0u8, |acc, k| acc << 1 | u8::from(bit(c * 6 + k)));
        let ascii = if v < 40 { v + 48 } else { v + 56 };
        out.push(char::from(ascii));
    }
    (out, fill)
}

/// Where and how a message is sent.
#[derive(Debug, Clone, Copy)]
pub struct SentenceOptions<'a> {
    /// Talker id, e.g. `AI`.
    pub talker: &'a str,
    /// `VDO` (own ship) instead of `VDM`.
    pub own_ship: bool,
    /// `A` or `B`.
    pub channel: char,
    /// Sequential message id for multi-sentence messages, 0-9.
    pub sequence: u8,
    /// NMEA 4.10 tag block: station and Unix time.
    pub source: Option<&'a str>,
    pub time: Option<i64>,
}

impl Default for SentenceOptions<'_> {
    fn default() -> Self {
        Self { talker: "AI", own_ship: false, channel: 'A', sequence: 0, source: None, time: None }
    }
}

fn checksum(body: &str) -> u8 {
    body.bytes().fold(0, |acc, b| acc ^ b)
}

/// One message as NMEA sentences (split into fragments when long), each without line ending.
pub fn to_sentences(message: &AisMessage, options: &SentenceOptions<'_>) -> Vec<String> {
    let (bytes, bits) = encode_bits(message);
    let (payload, fill) = armor(&bytes, bits);
    let chunks: Vec<&str> =
        payload.as_bytes().chunks(SENTENCE_PAYLOAD_CHARS_MAX).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    let total = chunks.len().max(1);
    let kind = if options.own_ship { "VDO" } else { "VDM" };
    let mut sentences = Vec::with_capacity(total);
    for (i, chunk) in chunks.iter().enumerate() {
        let number = i + 1;
        let sequence = if total > 1 { options.sequence.to_string() } else { String::new() };
        let fill_here = if number == total { fill } else { 0 };
        let body =
            format!("{}{kind},{total},{number},{sequence},{},{chunk},{fill_here}", options.talker, options.channel);
        let mut line = String::new();
        let mut tags = Vec::new();
        if let Some(source) = options.source {
            tags.push(format!("s:{source}"));
        }
        if let Some(time) = options.time {
            tags.push(format!("c:{time}"));
        }
        if !tags.is_empty() {
            let tag = tags.join(",");
            line.push_str(&format!("\\{tag}*{:02X}\\", checksum(&tag)));
        }
        line.push_str(&format!("!{body}*{:02X}", checksum(&body)));
        sentences.push(line);
    }
    sentences
}

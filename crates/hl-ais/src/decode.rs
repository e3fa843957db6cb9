//! Payload bits → [`AisMessage`]. Bit positions follow ITU-R M.1371-5 as laid out in gpsd's
//! AIVDM.adoc. Each type needs its minimum length (type 5 accepts 420 bits, as many transmitters
//! send); longer messages are accepted, see [`check`].

use crate::bits::Bits;
use crate::error::DecodeError;
use crate::message::*;
use crate::text::{AisText, BinaryData, TEXT_CHARS_MAX};

const LON_NA_TENTHOUSANDTH_MIN: i64 = 181 * 600_000;
const LAT_NA_TENTHOUSANDTH_MIN: i64 = 91 * 600_000;
const LON_NA_TENTH_MIN: i64 = 181 * 600;
const LAT_NA_TENTH_MIN: i64 = 91 * 600;

// Only the "not available" sentinel becomes `None`. A value outside ±180°/±90° is kept as
// transmitted: it is invalid, and consumers that build tracks must refuse it, but a decoder that
// hid it could not report what was sent (gpsd prints it too).

/// Longitude in 1/10,000 minute → degrees; `None` for the 181° sentinel.
fn lon_4(raw: i64) -> Option<f64> {
    (raw != LON_NA_TENTHOUSANDTH_MIN).then(|| raw as f64 / 600_000.0)
}

fn lat_4(raw: i64) -> Option<f64> {
    (raw != LAT_NA_TENTHOUSANDTH_MIN).then(|| raw as f64 / 600_000.0)
}

/// Longitude in 1/10 minute (types 17, 27) → degrees.
fn lon_1(raw: i64) -> Option<f64> {
    (raw != LON_NA_TENTH_MIN).then(|| raw as f64 / 600.0)
}

fn lat_1(raw: i64) -> Option<f64> {
    (raw != LAT_NA_TENTH_MIN).then(|| raw as f64 / 600.0)
}

/// Speed in 1/10 knot, 1023 = not available.
fn speed_10(raw: u64) -> Option<f64> {
    (raw != 1023).then(|| raw as f64 / 10.0)
}

/// Course in 1/10 degree, 3600 = not available (3601-4095 are invalid but kept as sent).
fn course_10(raw: u64) -> Option<f64> {
    (raw != 3600).then(|| raw as f64 / 10.0)
}

/// True heading in degrees, 511 = not available (360-510 are invalid but kept as sent).
fn heading(raw: u64) -> Option<u16> {
    (raw != 511).then_some(raw as u16)
}

fn header(bits: &Bits) -> Header {
    Header { message_type: bits.u(0, 6) as u8, repeat: bits.u(6, 2) as u8, mmsi: bits.u(8, 30) as u32 }
}

/// Refuses a message too short for its type. Longer than the standard is accepted, the extra
/// bits ignored (or, for binary messages, kept as data): transmitters in the wild send 2-6 bits
/// too many, and gpsd 3.22 and pyais accept them too.
fn check(bits: &Bits, message_type: u8, min: usize) -> Result<(), DecodeError> {
    let got = bits.len();
    if got < min {
        return Err(DecodeError::TooShort { message_type, needed: min, got });
    }
    Ok(())
}

fn dimensions(bits: &Bits, at: usize) -> Dimensions {
    Dimensions {
        to_bow: bits.u(at, 9) as u16,
        to_stern: bits.u(at + 9, 9) as u16,
        to_port: bits.u(at + 18, 6) as u8,
        to_starboard: bits.u(at + 24, 6) as u8,
    }
}

/// Decodes one complete message.
pub fn decode(bits: &Bits) -> Result<AisMessage, DecodeError> {
    let mut message = AisMessage::UtcInquiry(UtcInquiry::default());
    decode_into(bits, &mut message)?;
    Ok(message)
}

/// Decodes into `out`, so the large message value is built in place rather than copied
/// through return values (the streaming decoder's hot path). `out` is unchanged on error.
#[inline]
pub fn decode_into(bits: &Bits, out: &mut AisMessage) -> Result<(), DecodeError> {
    if bits.len() < 38 {
        return Err(DecodeError::TooShort { message_type: bits.u(0, 6) as u8, needed: 38, got: bits.len() });
    }
    let h = header(bits);
    let len = bits.len();
    let message = match h.message_type {
        1..=3 => {
            check(bits, h.message_type, 163)?;
            AisMessage::Position(PositionReport {
                header: h,
                status: bits.u(38, 4) as u8,
                turn: Turn::from_raw(bits.i(42, 8) as i8),
                speed: speed_10(bits.u(50, 10)),
                accuracy: bits.flag(60),
                lon: lon_4(bits.i(61, 28)),
                lat: lat_4(bits.i(89, 27)),
                course: course_10(bits.u(116, 12)),
                heading: heading(bits.u(128, 9)),
                second: bits.u(137, 6) as u8,
                maneuver: bits.u(143, 2) as u8,
                raim: bits.flag(148),
                radio: if len >= 168 { bits.u(149, 19) as u32 } else { bits.u(149, len - 149) as u32 },
            })
        }
        4 | 11 => {
            check(bits, h.message_type, 168)?;
            let part = |v: u64, na: u64| (v != na).then_some(v);
            AisMessage::BaseStation(BaseStationReport {
                header: h,
                time: UtcTime {
                    year: part(bits.u(38, 14), 0).map(|v| v as u16),
                    month: part(bits.u(52, 4), 0).map(|v| v as u8),
                    day: part(bits.u(56, 5), 0).map(|v| v as u8),
                    hour: part(bits.u(61, 5), 24).map(|v| v as u8),
                    minute: part(bits.u(66, 6), 60).map(|v| v as u8),
                    second: part(bits.u(72, 6), 60).map(|v| v as u8),
                },
                accuracy: bits.flag(78),
                lon: lon_4(bits.i(79, 28)),
                lat: lat_4(bits.i(107, 27)),
                epfd: bits.u(134, 4) as u8,
                raim: bits.flag(148),
                radio: bits.u(149, 19) as u32,
            })
        }
        5 => {
            // Many transmitters send 420 or 422 bits; what they leave out is spare and DTE.
            check(bits, 5, 420)?;
            let imo = bits.u(40, 30) as u32;
            let draught = bits.u(294, 8);
            AisMessage::StaticAndVoyage(StaticAndVoyage {
                header: h,
                ais_version: bits.u(38, 2) as u8,
                imo: (imo != 0).then_some(imo),
                callsign: AisText::read(bits, 70, 7),
                shipname: AisText::read(bits, 112, 20),
                shiptype: bits.u(232, 8) as u8,
                dimensions: dimensions(bits, 240),
                epfd: bits.u(270, 4) as u8,
                eta: Eta {
                    month: Some(bits.u(274, 4) as u8).filter(|&m| m != 0),
                    day: Some(bits.u(278, 5) as u8).filter(|&d| d != 0),
                    hour: Some(bits.u(283, 5) as u8).filter(|&h| h != 24),
                    minute: Some(bits.u(288, 6) as u8).filter(|&m| m != 60),
                },
                draught: (draught != 0).then(|| draught as f64 / 10.0),
                destination: AisText::read(bits, 302, 20),
                dte: len >= 423 && bits.flag(422),
            })
        }
        6 => {
            check(bits, 6, 88)?;
            AisMessage::Binary(BinaryMessage {
                header: h,
                seqno: bits.u(38, 2) as u8,
                dest_mmsi: Some(bits.u(40, 30) as u32),
                retransmit: bits.flag(70),
                dac: bits.u(72, 10) as u16,
                fid: bits.u(82, 6) as u8,
                data: BinaryData::read(bits, 88, len),
                application: Application::Opaque,
            })
        }
        7 | 13 => {
            check(bits, h.message_type, 72)?;
            let mut acks = [None; 4];
            for (i, ack) in acks.iter_mut().enumerate() {
                // An acknowledgement is present when the message extends past the one before
                // it (72, 104 and 136 bits), as gpsd reads them.
                let at = 40 + 32 * i;
                if i == 0 || len > at {
                    *ack = Some((bits.u(at, 30) as u32, bits.u(at + 30, 2) as u8));
                }
            }
            AisMessage::Acknowledge(Acknowledge { header: h, acks })
        }
        8 => {
            check(bits, 8, 56)?;
            let dac = bits.u(40, 10) as u16;
            let fid = bits.u(50, 6) as u8;
            let application = if dac == 1 && fid == 31 && len >= 350 {
                Application::MetHydro(met_hydro(bits))
            } else {
                Application::Opaque
            };
            AisMessage::Binary(BinaryMessage {
                header: h,
                seqno: 0,
                dest_mmsi: None,
                retransmit: false,
                dac,
                fid,
                data: BinaryData::read(bits, 56, len),
                application,
            })
        }
        9 => {
            check(bits, 9, 168)?;
            let alt = bits.u(38, 12);
            let speed = bits.u(50, 10);
            AisMessage::SarAircraft(SarAircraftReport {
                header: h,
                alt: (alt != 4095).then_some(alt as u16),
                speed: (speed != 1023).then_some(speed as u16),
                accuracy: bits.flag(60),
                lon: lon_4(bits.i(61, 28)),
                lat: lat_4(bits.i(89, 27)),
                course: course_10(bits.u(116, 12)),
                second: bits.u(128, 6) as u8,
                regional: bits.u(134, 8) as u8,
                dte: bits.flag(142),
                assigned: bits.flag(146),
                raim: bits.flag(147),
                radio: bits.u(148, 20) as u32,
            })
        }
        10 => {
            check(bits, 10, 72)?;
            AisMessage::UtcInquiry(UtcInquiry { header: h, dest_mmsi: bits.u(40, 30) as u32 })
        }
        12 => {
            check(bits, 12, 72)?;
            AisMessage::SafetyAddressed(SafetyAddressed {
                header: h,
                seqno: bits.u(38, 2) as u8,
                dest_mmsi: bits.u(40, 30) as u32,
                retransmit: bits.flag(70),
                text: AisText::read(bits, 72, TEXT_CHARS_MAX),
            })
        }
        14 => {
            check(bits, 14, 40)?;
            AisMessage::SafetyBroadcast(SafetyBroadcast { header: h, text: AisText::read(bits, 40, TEXT_CHARS_MAX) })
        }
        15 => {
            check(bits, 15, 88)?;
            AisMessage::Interrogation(Interrogation {
                header: h,
                mmsi1: bits.u(40, 30) as u32,
                type1_1: bits.u(70, 6) as u8,
                offset1_1: bits.u(76, 12) as u16,
                type1_2: (len > 90).then(|| (bits.u(90, 6) as u8, bits.u(96, 12) as u16)),
                station2: (len > 110).then(|| (bits.u(110, 30) as u32, bits.u(140, 6) as u8, bits.u(146, 12) as u16)),
            })
        }
        16 => {
            check(bits, 16, 96)?;
            AisMessage::AssignmentCommand(AssignmentCommand {
                header: h,
                mmsi1: bits.u(40, 30) as u32,
                offset1: bits.u(70, 12) as u16,
                increment1: bits.u(82, 10) as u16,
                station2: (len >= 144).then(|| (bits.u(92, 30) as u32, bits.u(122, 12) as u16, bits.u(134, 10) as u16)),
            })
        }
        17 => {
            check(bits, 17, 80)?;
            AisMessage::Dgnss(DgnssBroadcast {
                header: h,
                lon: lon_1(bits.i(40, 18)),
                lat: lat_1(bits.i(58, 17)),
                data: BinaryData::read(bits, 80, len),
            })
        }
        18 => {
            check(bits, 18, 168)?;
            AisMessage::ClassBPosition(ClassBPositionReport {
                header: h,
                reserved: bits.u(38, 8) as u8,
                speed: speed_10(bits.u(46, 10)),
                accuracy: bits.flag(56),
                lon: lon_4(bits.i(57, 28)),
                lat: lat_4(bits.i(85, 27)),
                course: course_10(bits.u(112, 12)),
                heading: heading(bits.u(124, 9)),
                second: bits.u(133, 6) as u8,
                regional: bits.u(139, 2) as u8,
                cs: bits.flag(141),
                display: bits.flag(142),
                dsc: bits.flag(143),
                band: bits.flag(144),
                msg22: bits.flag(145),
                assigned: bits.flag(146),
                raim: bits.flag(147),
                radio: bits.u(148, 20) as u32,
            })
        }
        19 => {
            check(bits, 19, 312)?;
            AisMessage::ClassBExtended(ClassBExtendedReport {
                header: h,
                reserved: bits.u(38, 8) as u8,
                speed: speed_10(bits.u(46, 10)),
                accuracy: bits.flag(56),
                lon: lon_4(bits.i(57, 28)),
                lat: lat_4(bits.i(85, 27)),
                course: course_10(bits.u(112, 12)),
                heading: heading(bits.u(124, 9)),
                second: bits.u(133, 6) as u8,
                regional: bits.u(139, 4) as u8,
                shipname: AisText::read(bits, 143, 20),
                shiptype: bits.u(263, 8) as u8,
                dimensions: dimensions(bits, 271),
                epfd: bits.u(301, 4) as u8,
                raim: bits.flag(305),
                dte: bits.flag(306),
                assigned: bits.flag(307),
            })
        }
        20 => {
            check(bits, 20, 72)?;
            let mut reservations = [None; 4];
            for (i, slot) in reservations.iter_mut().enumerate() {
                let at = 40 + 30 * i;
                if at + 30 <= len {
                    *slot = Some(SlotReservation {
                        offset: bits.u(at, 12) as u16,
                        number: bits.u(at + 12, 4) as u8,
                        timeout: bits.u(at + 16, 3) as u8,
                        increment: bits.u(at + 19, 11) as u16,
                    });
                }
            }
            AisMessage::DataLinkManagement(DataLinkManagement { header: h, reservations })
        }
        21 => {
            check(bits, 21, 272)?;
            let mut name = AisText::<34>::default();
            // The extension (bits 272 on) continues a name that used all 20 characters.
            if name.extend(bits, 43, 20) == 20 && len > 272 {
                name.extend(bits, 272, (len - 272) / 6);
            }
            name.trim();
            AisMessage::AidToNavigation(AidToNavigation {
                header: h,
                aid_type: bits.u(38, 5) as u8,
                name,
                accuracy: bits.flag(163),
                lon: lon_4(bits.i(164, 28)),
                lat: lat_4(bits.i(192, 27)),
                dimensions: dimensions(bits, 219),
                epfd: bits.u(249, 4) as u8,
                second: bits.u(253, 6) as u8,
                off_position: bits.flag(259),
                regional: bits.u(260, 8) as u8,
                raim: bits.flag(268),
                virtual_aid: bits.flag(269),
                assigned: bits.flag(270),
            })
        }
        22 => {
            check(bits, 22, 168)?;
            let target = if bits.flag(139) {
                ChannelManagementTarget::Addressed { dest1: bits.u(69, 30) as u32, dest2: bits.u(104, 30) as u32 }
            } else {
                ChannelManagementTarget::Area {
                    ne_lon: bits.i(69, 18) as f64 / 600.0,
                    ne_lat: bits.i(87, 17) as f64 / 600.0,
                    sw_lon: bits.i(104, 18) as f64 / 600.0,
                    sw_lat: bits.i(122, 17) as f64 / 600.0,
                }
            };
            AisMessage::ChannelManagement(ChannelManagement {
                header: h,
                channel_a: bits.u(40, 12) as u16,
                channel_b: bits.u(52, 12) as u16,
                txrx: bits.u(64, 4) as u8,
                power: bits.flag(68),
                target,
                band_a: bits.flag(140),
                band_b: bits.flag(141),
                zonesize: bits.u(142, 3) as u8,
            })
        }
        23 => {
            check(bits, 23, 160)?;
            AisMessage::GroupAssignment(GroupAssignment {
                header: h,
                ne_lon: bits.i(40, 18) as f64 / 600.0,
                ne_lat: bits.i(58, 17) as f64 / 600.0,
                sw_lon: bits.i(75, 18) as f64 / 600.0,
                sw_lat: bits.i(93, 17) as f64 / 600.0,
                station_type: bits.u(110, 4) as u8,
                ship_type: bits.u(114, 8) as u8,
                // M.1371-5 Table 71: Tx/Rx mode is 2 bits at 144, reporting interval 4 bits
                // at 146, quiet time 4 bits at 150.
                txrx: bits.u(144, 2) as u8,
                interval: bits.u(146, 4) as u8,
                quiet: bits.u(150, 4) as u8,
            })
        }
        24 => match bits.u(38, 2) {
            0 => {
                check(bits, 24, 160)?;
                AisMessage::StaticData(StaticDataReport::PartA { header: h, shipname: AisText::read(bits, 40, 20) })
            }
            1 => {
                check(bits, 24, 168)?;
                let tail = if h.mmsi / 10_000_000 == 98 {
                    PartBTail::Mothership(bits.u(132, 30) as u32)
                } else {
                    PartBTail::Dimensions(dimensions(bits, 132))
                };
                let mut vendorid = AisText::default();
                vendorid.extend(bits, 48, 3);
                AisMessage::StaticData(StaticDataReport::PartB {
                    header: h,
                    shiptype: bits.u(40, 8) as u8,
                    vendorid,
                    model: bits.u(66, 4) as u8,
                    serial: bits.u(70, 20) as u32,
                    callsign: AisText::read(bits, 90, 7),
                    tail,
                })
            }
            _ => return Err(DecodeError::UnknownType(24)),
        },
        25 => {
            check(bits, 25, 40)?;
            slot_binary(bits, h, false)?
        }
        26 => {
            check(bits, 26, 60)?;
            slot_binary(bits, h, true)?
        }
        27 => {
            check(bits, 27, 96)?;
            let speed = bits.u(79, 6) as u8;
            let course = bits.u(85, 9) as u16;
            AisMessage::LongRange(LongRangeReport {
                header: h,
                accuracy: bits.flag(38),
                raim: bits.flag(39),
                status: bits.u(40, 4) as u8,
                lon: lon_1(bits.i(44, 18)),
                lat: lat_1(bits.i(62, 17)),
                speed: (speed != 63).then_some(speed),
                course: (course != 511).then_some(course),
                gnss: bits.flag(94),
            })
        }
        other => return Err(DecodeError::UnknownType(other)),
    };
    *out = message;
    Ok(())
}

fn slot_binary(bits: &Bits, h: Header, multislot: bool) -> Result<AisMessage, DecodeError> {
    let addressed = bits.flag(38);
    let structured = bits.flag(39);
    let radio_bits = if multislot { 20 } else { 0 };
    let mut at = 40;
    let needed = at + 30 * usize::from(addressed) + 16 * usize::from(structured) + radio_bits;
    if bits.len() < needed {
        return Err(DecodeError::TooShort { message_type: h.message_type, needed, got: bits.len() });
    }
    let dest_mmsi = addressed.then(|| bits.u(at, 30) as u32);
    at += 30 * usize::from(addressed);
    let app_id = structured.then(|| (bits.u(at, 10) as u16, bits.u(at + 10, 6) as u8));
    at += 16 * usize::from(structured);
    let end = bits.len() - radio_bits;
    Ok(AisMessage::SlotBinary(SlotBinaryMessage {
        header: h,
        addressed,
        structured,
        dest_mmsi,
        app_id,
        data: BinaryData::read(bits, at, end),
        radio: multislot.then(|| bits.u(end, 20) as u32),
    }))
}

/// DAC 1, FI 31 (IMO circular 289): meteorological and hydrological data, 360 bits.
fn met_hydro(bits: &Bits) -> MetHydro {
    let u = |at, w| bits.u(at, w);
    let raw = MetHydroRaw {
        lon: bits.i(56, 25) as i32,
        lat: bits.i(81, 24) as i32,
        day: u(106, 5) as u8,
        hour: u(111, 5) as u8,
        minute: u(116, 6) as u8,
        wspeed: u(122, 7) as u8,
        wgust: u(129, 7) as u8,
        wdir: u(136, 9) as u16,
        wgustdir: u(145, 9) as u16,
        airtemp: bits.i(154, 11) as i16,
        humidity: u(165, 7) as u8,
        dewpoint: bits.i(172, 10) as i16,
        pressure: u(182, 9) as u16,
        pressuretend: u(191, 2) as u8,
        visibility: u(194, 7) as u8,
        waterlevel: u(201, 12) as u16,
        leveltrend: u(213, 2) as u8,
        cspeed: u(215, 8) as u8,
        cdir: u(223, 9) as u16,
        cspeed2: u(232, 8) as u8,
        cdir2: u(240, 9) as u16,
        cdepth2: u(249, 5) as u8,
        cspeed3: u(254, 8) as u8,
        cdir3: u(262, 9) as u16,
        cdepth3: u(271, 5) as u8,
        waveheight: u(276, 8) as u8,
        waveperiod: u(284, 6) as u8,
        wavedir: u(290, 9) as u16,
        swellheight: u(299, 8) as u8,
        swellperiod: u(307, 6) as u8,
        swelldir: u(313, 9) as u16,
        seastate: u(322, 4) as u8,
        watertemp: bits.i(326, 10) as i16,
        preciptype: u(336, 3) as u8,
        salinity: u(339, 9) as u16,
        ice: u(348, 2) as u8,
    };
    // Sentinels from IMO circular 289 (as tabled in gpsd's AIVDM.adoc, type 8 DAC 1 FID 31).
    let below = |v: u16, na: u16| (v < na).then_some(v);
    // Speeds and heights: 0.1 units, 251 = 25.1 or more, 255 = not available.
    let tenth = |v: u8| (v != 255).then(|| f64::from(v) / 10.0);
    MetHydro {
        lon: (raw.lon != 181_000 && raw.lon.abs() <= 180_000).then(|| f64::from(raw.lon) / 60_000.0),
        lat: (raw.lat != 91_000 && raw.lat.abs() <= 90_000).then(|| f64::from(raw.lat) / 60_000.0),
        accuracy: bits.flag(105),
        day: (raw.day != 0).then_some(raw.day),
        hour: (raw.hour < 24).then_some(raw.hour),
        minute: (raw.minute < 60).then_some(raw.minute),
        wspeed: (raw.wspeed < 127).then_some(raw.wspeed),
        wgust: (raw.wgust < 127).then_some(raw.wgust),
        wdir: below(raw.wdir, 360),
        wgustdir: below(raw.wgustdir, 360),
        airtemp: (raw.airtemp != -1024).then(|| f64::from(raw.airtemp) / 10.0),
        humidity: (raw.humidity < 101).then_some(raw.humidity),
        dewpoint: (raw.dewpoint != 501).then(|| f64::from(raw.dewpoint) / 10.0),
        // 0 = 799 hPa or less, 402 = 1201 hPa or more, 403-511 = not available.
        pressure: (raw.pressure < 403).then_some(raw.pressure + 799),
        pressuretend: (raw.pressuretend < 3).then_some(raw.pressuretend),
        visgreater: bits.flag(193),
        visibility: (raw.visibility != 127).then(|| f64::from(raw.visibility) / 10.0),
        // 0.01 m with a -10 m offset (-10.0 to +30.0 m); 4001 = not available.
        waterlevel: (raw.waterlevel <= 4000).then(|| (f64::from(raw.waterlevel) - 1000.0) / 100.0),
        leveltrend: (raw.leveltrend < 3).then_some(raw.leveltrend),
        cspeed: tenth(raw.cspeed),
        cdir: below(raw.cdir, 360),
        cspeed2: tenth(raw.cspeed2),
        cdir2: below(raw.cdir2, 360),
        cdepth2: (raw.cdepth2 < 31).then_some(raw.cdepth2),
        cspeed3: tenth(raw.cspeed3),
        cdir3: below(raw.cdir3, 360),
        cdepth3: (raw.cdepth3 < 31).then_some(raw.cdepth3),
        waveheight: tenth(raw.waveheight),
        waveperiod: (raw.waveperiod < 61).then_some(raw.waveperiod),
        wavedir: below(raw.wavedir, 360),
        swellheight: tenth(raw.swellheight),
        swelldir: below(raw.swelldir, 360),
        swellperiod: (raw.swellperiod < 61).then_some(raw.swellperiod),
        seastate: (raw.seastate < 13).then_some(raw.seastate),
        watertemp: (raw.watertemp != 501).then(|| f64::from(raw.watertemp) / 10.0),
        preciptype: (raw.preciptype < 7).then_some(raw.preciptype),
        salinity: (raw.salinity < 501).then(|| f64::from(raw.salinity) / 10.0),
        ice: (raw.ice < 3).then_some(raw.ice),
        raw,
    }
}

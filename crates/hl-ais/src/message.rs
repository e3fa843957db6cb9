//! The 27 message types of ITU-R M.1371-5 as typed values: angles in degrees, speeds in knots,
//! lengths in metres, and every "not available" sentinel as `None`. Values outside their valid
//! range (a heading of 472, a longitude of 205°) are kept as transmitted: they are invalid, and
//! whoever builds tracks must refuse them, but the decoder reports what was sent. Field names
//! follow gpsd's
//! AIVDM documentation (`www/AIVDM.adoc`), so they map one to one onto its JSON.

use crate::text::{AisText, BinaryData, TEXT_CHARS_MAX};

/// Fields every message starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub message_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
}

/// Rate of turn (types 1-3).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Turn {
    /// -128: no turn information.
    #[default]
    NotAvailable,
    /// -127: turning left at more than 5° per 30 s, no turn indicator.
    FastLeft,
    /// +127: turning right at more than 5° per 30 s, no turn indicator.
    FastRight,
    /// Degrees per minute from the turn indicator (ROT = (raw / 4.733)², signed).
    Rate { raw: i8, degrees_per_minute: f64 },
}

impl Turn {
    pub fn from_raw(raw: i8) -> Self {
        match raw {
            -128 => Turn::NotAvailable,
            -127 => Turn::FastLeft,
            127 => Turn::FastRight,
            r => {
                let magnitude = (f64::from(r) / 4.733).powi(2);
                Turn::Rate { raw: r, degrees_per_minute: if r < 0 { -magnitude } else { magnitude } }
            }
        }
    }

    pub fn raw(self) -> i8 {
        match self {
            Turn::NotAvailable => -128,
            Turn::FastLeft => -127,
            Turn::FastRight => 127,
            Turn::Rate { raw, .. } => raw,
        }
    }
}

/// Types 1, 2, 3: Class A position report.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PositionReport {
    pub header: Header,
    /// Navigational status 0-15 (15 = not defined).
    pub status: u8,
    pub turn: Turn,
    /// Knots; `Some(102.2)` means 102.2 knots or more.
    pub speed: Option<f64>,
    pub accuracy: bool,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Course over ground, degrees.
    pub course: Option<f64>,
    /// True heading, degrees.
    pub heading: Option<u16>,
    /// UTC second of the report; 60 = not available, 61-63 = positioning system states.
    pub second: u8,
    pub maneuver: u8,
    pub raim: bool,
    pub radio: u32,
}

/// UTC date and time (types 4 and 11); each part `None` when not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UtcTime {
    pub year: Option<u16>,
    pub month: Option<u8>,
    pub day: Option<u8>,
    pub hour: Option<u8>,
    pub minute: Option<u8>,
    pub second: Option<u8>,
}

/// Types 4 and 11: base station report and UTC/date response.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BaseStationReport {
    pub header: Header,
    pub time: UtcTime,
    pub accuracy: bool,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Type of position fixing device (0 = undefined).
    pub epfd: u8,
    pub raim: bool,
    pub radio: u32,
}

/// Ship dimensions from the reference point, metres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dimensions {
    pub to_bow: u16,
    pub to_stern: u16,
    pub to_port: u8,
    pub to_starboard: u8,
}

/// Estimated time of arrival (month, day, hour, minute), parts `None` when not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Eta {
    pub month: Option<u8>,
    pub day: Option<u8>,
    pub hour: Option<u8>,
    pub minute: Option<u8>,
}

/// Type 5: static and voyage related data.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StaticAndVoyage {
    pub header: Header,
    pub ais_version: u8,
    pub imo: Option<u32>,
    pub callsign: AisText<7>,
    pub shipname: AisText<20>,
    pub shiptype: u8,
    pub dimensions: Dimensions,
    pub epfd: u8,
    pub eta: Eta,
    /// Metres.
    pub draught: Option<f64>,
    pub destination: AisText<20>,
    /// Data terminal equipment not ready.
    pub dte: bool,
}

/// Meteorological and hydrological data, IMO circular 289 (DAC 1, FI 31).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MetHydro {
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub accuracy: bool,
    pub day: Option<u8>,
    pub hour: Option<u8>,
    pub minute: Option<u8>,
    /// Knots (10-minute average); `None` when 127.
    pub wspeed: Option<u8>,
    pub wgust: Option<u8>,
    /// Degrees.
    pub wdir: Option<u16>,
    pub wgustdir: Option<u16>,
    /// °C.
    pub airtemp: Option<f64>,
    /// Percent.
    pub humidity: Option<u8>,
    pub dewpoint: Option<f64>,
    /// hPa.
    pub pressure: Option<u16>,
    pub pressuretend: Option<u8>,
    pub visgreater: bool,
    /// Nautical miles.
    pub visibility: Option<f64>,
    /// Metres, relative to the local chart datum.
    pub waterlevel: Option<f64>,
    pub leveltrend: Option<u8>,
    /// Knots.
    pub cspeed: Option<f64>,
    pub cdir: Option<u16>,
    pub cspeed2: Option<f64>,
    pub cdir2: Option<u16>,
    /// Metres.
    pub cdepth2: Option<u8>,
    pub cspeed3: Option<f64>,
    pub cdir3: Option<u16>,
    pub cdepth3: Option<u8>,
    /// Metres.
    pub waveheight: Option<f64>,
    /// Seconds.
    pub waveperiod: Option<u8>,
    pub wavedir: Option<u16>,
    pub swellheight: Option<f64>,
    pub swelldir: Option<u16>,
    pub swellperiod: Option<u8>,
    /// Beaufort scale 0-12.
    pub seastate: Option<u8>,
    pub watertemp: Option<f64>,
    pub preciptype: Option<u8>,
    /// Per mille.
    pub salinity: Option<f64>,
    pub ice: Option<u8>,
    /// The raw fields, for output that must reproduce the transmitted values exactly.
    pub raw: MetHydroRaw,
}

/// The transmitted values of a [`MetHydro`] message, sentinels included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MetHydroRaw {
    pub lon: i32,
    pub lat: i32,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub wspeed: u8,
    pub wgust: u8,
    pub wdir: u16,
    pub wgustdir: u16,
    pub airtemp: i16,
    pub humidity: u8,
    pub dewpoint: i16,
    pub pressure: u16,
    pub pressuretend: u8,
    pub visibility: u8,
    pub waterlevel: u16,
    pub leveltrend: u8,
    pub cspeed: u8,
    pub cdir: u16,
    pub cspeed2: u8,
    pub cdir2: u16,
    pub cdepth2: u8,
    pub cspeed3: u8,
    pub cdir3: u16,
    pub cdepth3: u8,
    pub waveheight: u8,
    pub waveperiod: u8,
    pub wavedir: u16,
    pub swellheight: u8,
    pub swellperiod: u8,
    pub swelldir: u16,
    pub seastate: u8,
    pub watertemp: i16,
    pub preciptype: u8,
    pub salinity: u16,
    pub ice: u8,
}

/// The application content of a binary message.
// Variants are kept inline on purpose: decoding must not allocate.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Application {
    /// An application this decoder does not interpret: its bits as transmitted.
    #[default]
    Opaque,
    /// DAC 1, FI 31.
    MetHydro(MetHydro),
}

/// Types 6 (addressed) and 8 (broadcast): binary messages.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BinaryMessage {
    pub header: Header,
    /// Type 6 only: sequence number and destination.
    pub seqno: u8,
    pub dest_mmsi: Option<u32>,
    pub retransmit: bool,
    /// Designated area code.
    pub dac: u16,
    /// Function identifier.
    pub fid: u8,
    /// The application data after DAC and FI.
    pub data: BinaryData,
    pub application: Application,
}

/// Types 7 and 13: binary and safety acknowledgements (one to four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Acknowledge {
    pub header: Header,
    /// (MMSI, sequence number) acknowledged; entries beyond the message's length are `None`.
    pub acks: [Option<(u32, u8)>; 4],
}

/// Type 9: standard SAR aircraft position report.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SarAircraftReport {
    pub header: Header,
    /// Metres; `Some(4094)` means 4094 m or higher.
    pub alt: Option<u16>,
    /// Knots (whole knots); `Some(1022)` means 1022 knots or more.
    pub speed: Option<u16>,
    pub accuracy: bool,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub course: Option<f64>,
    pub second: u8,
    pub regional: u8,
    pub dte: bool,
    pub assigned: bool,
    pub raim: bool,
    pub radio: u32,
}

/// Type 10: UTC and date inquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UtcInquiry {
    pub header: Header,
    pub dest_mmsi: u32,
}

/// Type 12: addressed safety-related message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SafetyAddressed {
    pub header: Header,
    pub seqno: u8,
    pub dest_mmsi: u32,
    pub retransmit: bool,
    pub text: AisText<TEXT_CHARS_MAX>,
}

/// Type 14: safety-related broadcast message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SafetyBroadcast {
    pub header: Header,
    pub text: AisText<TEXT_CHARS_MAX>,
}

/// Type 15: interrogation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interrogation {
    pub header: Header,
    pub mmsi1: u32,
    pub type1_1: u8,
    pub offset1_1: u16,
    /// Second request to the first station, when the message is long enough.
    pub type1_2: Option<(u8, u16)>,
    /// Request to a second station, when the message is long enough.
    pub station2: Option<(u32, u8, u16)>,
}

/// Type 16: assignment mode command (one or two stations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssignmentCommand {
    pub header: Header,
    pub mmsi1: u32,
    pub offset1: u16,
    pub increment1: u16,
    pub station2: Option<(u32, u16, u16)>,
}

/// Type 17: DGNSS broadcast binary message.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DgnssBroadcast {
    pub header: Header,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub data: BinaryData,
}

/// Type 18: standard Class B CS position report.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClassBPositionReport {
    pub header: Header,
    pub reserved: u8,
    pub speed: Option<f64>,
    pub accuracy: bool,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub course: Option<f64>,
    pub heading: Option<u16>,
    pub second: u8,
    pub regional: u8,
    /// Carrier-sense unit.
    pub cs: bool,
    pub display: bool,
    pub dsc: bool,
    pub band: bool,
    pub msg22: bool,
    pub assigned: bool,
    pub raim: bool,
    pub radio: u32,
}

/// Type 19: extended Class B position report.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClassBExtendedReport {
    pub header: Header,
    pub reserved: u8,
    pub speed: Option<f64>,
    pub accuracy: bool,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub course: Option<f64>,
    pub heading: Option<u16>,
    pub second: u8,
    pub regional: u8,
    pub shipname: AisText<20>,
    pub shiptype: u8,
    pub dimensions: Dimensions,
    pub epfd: u8,
    pub raim: bool,
    pub dte: bool,
    pub assigned: bool,
}

/// One reservation of type 20.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlotReservation {
    pub offset: u16,
    pub number: u8,
    pub timeout: u8,
    pub increment: u16,
}

/// Type 20: data link management (one to four reservations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataLinkManagement {
    pub header: Header,
    pub reservations: [Option<SlotReservation>; 4],
}

/// Type 21: aid-to-navigation report.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AidToNavigation {
    pub header: Header,
    pub aid_type: u8,
    /// Name with its extension (up to 34 characters in all).
    pub name: AisText<34>,
    pub accuracy: bool,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub dimensions: Dimensions,
    pub epfd: u8,
    pub second: u8,
    pub off_position: bool,
    pub regional: u8,
    pub raim: bool,
    pub virtual_aid: bool,
    pub assigned: bool,
}

/// Type 22's area or addressees.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ChannelManagementTarget {
    /// A rectangle: north-east and south-west corners (lon, lat).
    Area { ne_lon: f64, ne_lat: f64, sw_lon: f64, sw_lat: f64 },
    /// Up to two addressed stations.
    Addressed { dest1: u32, dest2: u32 },
    #[default]
    None,
}

/// Type 22: channel management.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ChannelManagement {
    pub header: Header,
    pub channel_a: u16,
    pub channel_b: u16,
    pub txrx: u8,
    pub power: bool,
    pub target: ChannelManagementTarget,
    pub band_a: bool,
    pub band_b: bool,
    pub zonesize: u8,
}

/// Type 23: group assignment command.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GroupAssignment {
    pub header: Header,
    pub ne_lon: f64,
    pub ne_lat: f64,
    pub sw_lon: f64,
    pub sw_lat: f64,
    pub station_type: u8,
    pub ship_type: u8,
    pub txrx: u8,
    pub interval: u8,
    pub quiet: u8,
}

/// Type 24 part B's last field: dimensions, or the mother ship of an auxiliary craft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartBTail {
    Dimensions(Dimensions),
    Mothership(u32),
}

/// Type 24: static data report, part A (name) or part B (type, vendor, call sign, size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticDataReport {
    PartA {
        header: Header,
        shipname: AisText<20>,
    },
    PartB {
        header: Header,
        shiptype: u8,
        /// Manufacturer id, 3 characters (M.1371-5), kept untrimmed so the bits round-trip.
        vendorid: AisText<3>,
        model: u8,
        serial: u32,
        callsign: AisText<7>,
        tail: PartBTail,
    },
}

/// Types 25 and 26: single- and multiple-slot binary messages.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SlotBinaryMessage {
    pub header: Header,
    pub addressed: bool,
    pub structured: bool,
    pub dest_mmsi: Option<u32>,
    /// (DAC, FI) when structured.
    pub app_id: Option<(u16, u8)>,
    pub data: BinaryData,
    /// Type 26 only: the communication state.
    pub radio: Option<u32>,
}

/// Type 27: long-range AIS broadcast (positions in tenths of a minute).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LongRangeReport {
    pub header: Header,
    pub accuracy: bool,
    pub raim: bool,
    pub status: u8,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Whole knots.
    pub speed: Option<u8>,
    /// Whole degrees.
    pub course: Option<u16>,
    /// True: position is not from the current GNSS fix (position latency > 5 s).
    pub gnss: bool,
}

/// Any decoded AIS message. Variants differ in size (binary payloads are inline, up to 256
/// bytes); boxing them would put an allocation on the decoding path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AisMessage {
    Position(PositionReport),
    BaseStation(BaseStationReport),
    StaticAndVoyage(StaticAndVoyage),
    Binary(BinaryMessage),
    Acknowledge(Acknowledge),
    SarAircraft(SarAircraftReport),
    UtcInquiry(UtcInquiry),
    SafetyAddressed(SafetyAddressed),
    SafetyBroadcast(SafetyBroadcast),
    Interrogation(Interrogation),
    AssignmentCommand(AssignmentCommand),
    Dgnss(DgnssBroadcast),
    ClassBPosition(ClassBPositionReport),
    ClassBExtended(ClassBExtendedReport),
    DataLinkManagement(DataLinkManagement),
    AidToNavigation(AidToNavigation),
    ChannelManagement(ChannelManagement),
    GroupAssignment(GroupAssignment),
    StaticData(StaticDataReport),
    SlotBinary(SlotBinaryMessage),
    LongRange(LongRangeReport),
}

impl AisMessage {
    /// The common header.
    pub fn header(&self) -> Header {
        match self {
            AisMessage::Position(m) => m.header,
            AisMessage::BaseStation(m) => m.header,
            AisMessage::StaticAndVoyage(m) => m.header,
            AisMessage::Binary(m) => m.header,
            AisMessage::Acknowledge(m) => m.header,
            AisMessage::SarAircraft(m) => m.header,
            AisMessage::UtcInquiry(m) => m.header,
            AisMessage::SafetyAddressed(m) => m.header,
            AisMessage::SafetyBroadcast(m) => m.header,
            AisMessage::Interrogation(m) => m.header,
            AisMessage::AssignmentCommand(m) => m.header,
            AisMessage::Dgnss(m) => m.header,
            AisMessage::ClassBPosition(m) => m.header,
            AisMessage::ClassBExtended(m) => m.header,
            AisMessage::DataLinkManagement(m) => m.header,
            AisMessage::AidToNavigation(m) => m.header,
            AisMessage::ChannelManagement(m) => m.header,
            AisMessage::GroupAssignment(m) => m.header,
            AisMessage::StaticData(StaticDataReport::PartA { header, .. })
            | AisMessage::StaticData(StaticDataReport::PartB { header, .. }) => *header,
            AisMessage::SlotBinary(m) => m.header,
            AisMessage::LongRange(m) => m.header,
        }
    }

    /// Message type 1-27.
    pub fn message_type(&self) -> u8 {
        self.header().message_type
    }

    pub fn mmsi(&self) -> u32 {
        self.header().mmsi
    }
}

//! MMSI format rules (ITU-R M.585): what kind of station a nine-digit identity denotes.

/// The kind of station an MMSI denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MmsiClass {
    /// MIDxxxxxx, MID 201-775.
    Ship,
    /// 00MIDxxxx.
    CoastStation,
    /// 0MIDxxxxx.
    Group,
    /// 111MIDxxx.
    SarAircraft,
    /// 970xxxxxx.
    AisSart,
    /// 972xxxxxx.
    ManOverboard,
    /// 974xxxxxx.
    Epirb,
    /// 98MIDxxxx: a craft associated with a parent ship.
    CraftAssociated,
    /// 99MIDxxxx.
    AidToNavigation,
    /// Fits no rule.
    Invalid,
}

fn valid_mid(mid: u32) -> bool {
    // Maritime Identification Digits are allocated from 201 (Europe) to 775 (South America).
    (201..=775).contains(&mid)
}

/// Classifies a nine-digit MMSI by its leading digits.
pub fn classify_mmsi(mmsi: u32) -> MmsiClass {
    if mmsi > 999_999_999 {
        return MmsiClass::Invalid;
    }
    let digits = format!("{mmsi:09}");
    let prefix = |n: usize| digits[..n].parse::<u32>().unwrap_or(0);
    let mid_at = |from: usize| digits[from..from + 3].parse::<u32>().unwrap_or(0);
    let class = match digits.as_bytes() {
        [b'0', b'0', ..] => (MmsiClass::CoastStation, valid_mid(mid_at(2))),
        [b'0', ..] => (MmsiClass::Group, valid_mid(mid_at(1))),
        [b'1', b'1', b'1', ..] => (MmsiClass::SarAircraft, valid_mid(mid_at(3))),
        [b'9', b'7', b'0', ..] => (MmsiClass::AisSart, true),
        [b'9', b'7', b'2', ..] => (MmsiClass::ManOverboard, true),
        [b'9', b'7', b'4', ..] => (MmsiClass::Epirb, true),
        [b'9', b'8', ..] => (MmsiClass::CraftAssociated, valid_mid(mid_at(2))),
        [b'9', b'9', ..] => (MmsiClass::AidToNavigation, valid_mid(mid_at(2))),
        _ => (MmsiClass::Ship, valid_mid(prefix(3))),
    };
    if class.1 { class.0 } else { MmsiClass::Invalid }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_leading_digits() {
        assert_eq!(classify_mmsi(563_808_000), MmsiClass::Ship);
        assert_eq!(classify_mmsi(5_630_001), MmsiClass::CoastStation);
        assert_eq!(classify_mmsi(56_300_001), MmsiClass::Group);
        assert_eq!(classify_mmsi(111_563_001), MmsiClass::SarAircraft);
        assert_eq!(classify_mmsi(970_123_456), MmsiClass::AisSart);
        assert_eq!(classify_mmsi(992_509_976), MmsiClass::AidToNavigation);
        assert_eq!(classify_mmsi(985_631_234), MmsiClass::CraftAssociated);
        for bad in [123_456_789, 0, 999_999_999, 100_000_000, 800_000_000, 1_000_000_000] {
            assert_eq!(classify_mmsi(bad), MmsiClass::Invalid, "{bad}");
        }
    }
}

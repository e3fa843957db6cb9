//! Vessel identifiers: the rules every layer applies the same way (the detectors judge static
//! data with them, the node refuses watch-list entries that break them).

/// Whether an IMO ship number's seventh digit is its check digit (the first six weighted 7..2,
/// summed, last digit).
pub fn imo_valid(imo: u32) -> bool {
    if !(1_000_000..=9_999_999).contains(&imo) {
        return false;
    }
    let digits: Vec<u32> = imo.to_string().bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits[..6].iter().zip((2..=7).rev()).map(|(d, w)| d * w).sum();
    sum % 10 == digits[6]
}

/// The smallest MMSI of any ITU-R M.585 format (a coast station `00` + MID 201 + 4 digits): a
/// smaller number is not a nine-digit MMSI with its leading zeros.
pub const MMSI_MIN: u32 = 2_010_000;
/// The largest nine-digit number.
pub const MMSI_MAX: u32 = 999_999_999;

/// Whether `mmsi` could be a nine-digit MMSI of some M.585 format (its MID is not checked).
pub fn mmsi_plausible(mmsi: u32) -> bool {
    (MMSI_MIN..=MMSI_MAX).contains(&mmsi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imo_check_digits_and_mmsi_ranges() {
        assert!(imo_valid(9_134_270) && imo_valid(9_074_729));
        assert!(!imo_valid(9_134_271) && !imo_valid(123) && !imo_valid(19_134_270));
        assert!(mmsi_plausible(563_808_000) && mmsi_plausible(2_010_001) && mmsi_plausible(970_123_456));
        assert!(!mmsi_plausible(12) && !mmsi_plausible(2_009_999) && !mmsi_plausible(1_000_000_000));
    }
}

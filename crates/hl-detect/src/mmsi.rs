//! MMSI format rules (ITU-R M.585): what kind of station a nine-digit identity denotes, and
//! which administration its Maritime Identification Digits are allocated to.

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

/// Allocated Maritime Identification Digits and the ISO 3166-1 alpha-2 code of the
/// administration (ITU-R M.585 / the ITU MID list), sorted by MID.
const MIDS: &[(u32, [u8; 2])] = &[
    (201, *b"AL"),
    (202, *b"AD"),
    (203, *b"AT"),
    (204, *b"PT"),
    (205, *b"BE"),
    (206, *b"BY"),
    (207, *b"BG"),
    (208, *b"VA"),
    (209, *b"CY"),
    (210, *b"CY"),
    (211, *b"DE"),
    (212, *b"CY"),
    (213, *b"GE"),
    (214, *b"MD"),
    (215, *b"MT"),
    (216, *b"AM"),
    (218, *b"DE"),
    (219, *b"DK"),
    (220, *b"DK"),
    (224, *b"ES"),
    (225, *b"ES"),
    (226, *b"FR"),
    (227, *b"FR"),
    (228, *b"FR"),
    (229, *b"MT"),
    (230, *b"FI"),
    (231, *b"FO"),
    (232, *b"GB"),
    (233, *b"GB"),
    (234, *b"GB"),
    (235, *b"GB"),
    (236, *b"GI"),
    (237, *b"GR"),
    (238, *b"HR"),
    (239, *b"GR"),
    (240, *b"GR"),
    (241, *b"GR"),
    (242, *b"MA"),
    (243, *b"HU"),
    (244, *b"NL"),
    (245, *b"NL"),
    (246, *b"NL"),
    (247, *b"IT"),
    (248, *b"MT"),
    (249, *b"MT"),
    (250, *b"IE"),
    (251, *b"IS"),
    (252, *b"LI"),
    (253, *b"LU"),
    (254, *b"MC"),
    (255, *b"PT"),
    (256, *b"MT"),
    (257, *b"NO"),
    (258, *b"NO"),
    (259, *b"NO"),
    (261, *b"PL"),
    (262, *b"ME"),
    (263, *b"PT"),
    (264, *b"RO"),
    (265, *b"SE"),
    (266, *b"SE"),
    (267, *b"SK"),
    (268, *b"SM"),
    (269, *b"CH"),
    (270, *b"CZ"),
    (271, *b"TR"),
    (272, *b"UA"),
    (273, *b"RU"),
    (274, *b"MK"),
    (275, *b"LV"),
    (276, *b"EE"),
    (277, *b"LT"),
    (278, *b"SI"),
    (279, *b"RS"),
    (301, *b"AI"),
    (303, *b"US"),
    (304, *b"AG"),
    (305, *b"AG"),
    (306, *b"CW"),
    (307, *b"AW"),
    (308, *b"BS"),
    (309, *b"BS"),
    (310, *b"BM"),
    (311, *b"BS"),
    (312, *b"BZ"),
    (314, *b"BB"),
    (316, *b"CA"),
    (319, *b"KY"),
    (321, *b"CR"),
    (323, *b"CU"),
    (325, *b"DM"),
    (327, *b"DO"),
    (329, *b"GP"),
    (330, *b"GD"),
    (331, *b"GL"),
    (332, *b"GT"),
    (334, *b"HN"),
    (336, *b"HT"),
    (338, *b"US"),
    (339, *b"JM"),
    (341, *b"KN"),
    (343, *b"LC"),
    (345, *b"MX"),
    (347, *b"MQ"),
    (348, *b"MS"),
    (350, *b"NI"),
    (351, *b"PA"),
    (352, *b"PA"),
    (353, *b"PA"),
    (354, *b"PA"),
    (355, *b"PA"),
    (356, *b"PA"),
    (357, *b"PA"),
    (358, *b"PR"),
    (359, *b"SV"),
    (361, *b"PM"),
    (362, *b"TT"),
    (364, *b"TC"),
    (366, *b"US"),
    (367, *b"US"),
    (368, *b"US"),
    (369, *b"US"),
    (370, *b"PA"),
    (371, *b"PA"),
    (372, *b"PA"),
    (373, *b"PA"),
    (374, *b"PA"),
    (375, *b"VC"),
    (376, *b"VC"),
    (377, *b"VC"),
    (378, *b"VG"),
    (379, *b"VI"),
    (401, *b"AF"),
    (403, *b"SA"),
    (405, *b"BD"),
    (408, *b"BH"),
    (410, *b"BT"),
    (412, *b"CN"),
    (413, *b"CN"),
    (414, *b"CN"),
    (416, *b"TW"),
    (417, *b"LK"),
    (419, *b"IN"),
    (422, *b"IR"),
    (423, *b"AZ"),
    (425, *b"IQ"),
    (428, *b"IL"),
    (431, *b"JP"),
    (432, *b"JP"),
    (434, *b"TM"),
    (436, *b"KZ"),
    (437, *b"UZ"),
    (438, *b"JO"),
    (440, *b"KR"),
    (441, *b"KR"),
    (443, *b"PS"),
    (445, *b"KP"),
    (447, *b"KW"),
    (450, *b"LB"),
    (451, *b"KG"),
    (453, *b"MO"),
    (455, *b"MV"),
    (457, *b"MN"),
    (459, *b"NP"),
    (461, *b"OM"),
    (463, *b"PK"),
    (466, *b"QA"),
    (468, *b"SY"),
    (470, *b"AE"),
    (471, *b"AE"),
    (472, *b"TJ"),
    (473, *b"YE"),
    (475, *b"YE"),
    (477, *b"HK"),
    (478, *b"BA"),
    (501, *b"TF"),
    (503, *b"AU"),
    (506, *b"MM"),
    (508, *b"BN"),
    (510, *b"FM"),
    (511, *b"PW"),
    (512, *b"NZ"),
    (514, *b"KH"),
    (515, *b"KH"),
    (516, *b"CX"),
    (518, *b"CK"),
    (520, *b"FJ"),
    (523, *b"CC"),
    (525, *b"ID"),
    (529, *b"KI"),
    (531, *b"LA"),
    (533, *b"MY"),
    (536, *b"MP"),
    (538, *b"MH"),
    (540, *b"NC"),
    (542, *b"NU"),
    (544, *b"NR"),
    (546, *b"PF"),
    (548, *b"PH"),
    (553, *b"PG"),
    (555, *b"PN"),
    (557, *b"SB"),
    (559, *b"AS"),
    (561, *b"WS"),
    (563, *b"SG"),
    (564, *b"SG"),
    (565, *b"SG"),
    (566, *b"SG"),
    (567, *b"TH"),
    (570, *b"TO"),
    (572, *b"TV"),
    (574, *b"VN"),
    (576, *b"VU"),
    (577, *b"VU"),
    (578, *b"WF"),
    (601, *b"ZA"),
    (603, *b"AO"),
    (605, *b"DZ"),
    (607, *b"TF"),
    (608, *b"SH"),
    (609, *b"BI"),
    (610, *b"BJ"),
    (611, *b"BW"),
    (612, *b"CF"),
    (613, *b"CM"),
    (615, *b"CG"),
    (616, *b"KM"),
    (617, *b"CV"),
    (618, *b"TF"),
    (619, *b"CI"),
    (620, *b"KM"),
    (621, *b"DJ"),
    (622, *b"EG"),
    (624, *b"ET"),
    (625, *b"ER"),
    (626, *b"GA"),
    (627, *b"GH"),
    (629, *b"GM"),
    (630, *b"GW"),
    (631, *b"GQ"),
    (632, *b"GN"),
    (633, *b"BF"),
    (634, *b"KE"),
    (635, *b"TF"),
    (636, *b"LR"),
    (637, *b"LR"),
    (642, *b"LY"),
    (644, *b"LS"),
    (645, *b"MU"),
    (647, *b"MG"),
    (649, *b"ML"),
    (650, *b"MZ"),
    (654, *b"MR"),
    (655, *b"MW"),
    (656, *b"NE"),
    (657, *b"NG"),
    (659, *b"NA"),
    (660, *b"RE"),
    (661, *b"RW"),
    (662, *b"SD"),
    (663, *b"SN"),
    (664, *b"SC"),
    (665, *b"SH"),
    (666, *b"SO"),
    (667, *b"SL"),
    (668, *b"ST"),
    (669, *b"SZ"),
    (670, *b"TD"),
    (671, *b"TG"),
    (672, *b"TN"),
    (674, *b"TZ"),
    (675, *b"UG"),
    (676, *b"CD"),
    (677, *b"TZ"),
    (678, *b"ZM"),
    (679, *b"ZW"),
    (701, *b"AR"),
    (710, *b"BR"),
    (720, *b"BO"),
    (725, *b"CL"),
    (730, *b"CO"),
    (735, *b"EC"),
    (740, *b"FK"),
    (745, *b"GF"),
    (750, *b"GY"),
    (755, *b"PY"),
    (760, *b"PE"),
    (765, *b"SR"),
    (770, *b"UY"),
    (775, *b"VE"),
];

fn valid_mid(mid: u32) -> bool {
    MIDS.binary_search_by_key(&mid, |(m, _)| *m).is_ok()
}

/// The flag state (ISO 3166-1 alpha-2) a ship-station MMSI's MID is allocated to.
pub fn flag_of(mmsi: u32) -> Option<&'static str> {
    if classify_mmsi(mmsi) != MmsiClass::Ship {
        return None;
    }
    let mid = mmsi / 1_000_000;
    let index = MIDS.binary_search_by_key(&mid, |(m, _)| *m).ok()?;
    std::str::from_utf8(&MIDS.get(index)?.1).ok()
}

/// Classifies a nine-digit MMSI by its leading digits.
pub fn classify_mmsi(mmsi: u32) -> MmsiClass {
    if mmsi > 999_999_999 {
        return MmsiClass::Invalid;
    }
    // Nine digits, leading zeros included, without formatting (this runs on every report).
    let digit = |i: u32| (mmsi / 10u32.pow(8 - i)) % 10;
    let prefix = |n: u32| mmsi / 10u32.pow(9 - n);
    let mid_at = |from: u32| (mmsi / 10u32.pow(6 - from)) % 1_000;
    let class = match (digit(0), digit(1), digit(2)) {
        (0, 0, _) => (MmsiClass::CoastStation, valid_mid(mid_at(2))),
        (0, _, _) => (MmsiClass::Group, valid_mid(mid_at(1))),
        (1, 1, 1) => (MmsiClass::SarAircraft, valid_mid(mid_at(3))),
        (9, 7, 0) => (MmsiClass::AisSart, true),
        (9, 7, 2) => (MmsiClass::ManOverboard, true),
        (9, 7, 4) => (MmsiClass::Epirb, true),
        (9, 8, _) => (MmsiClass::CraftAssociated, valid_mid(mid_at(2))),
        (9, 9, _) => (MmsiClass::AidToNavigation, valid_mid(mid_at(2))),
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
        assert_eq!(flag_of(563_808_000), Some("SG"));
        assert_eq!(flag_of(533_111_222), Some("MY"));
        assert_eq!(flag_of(525_000_001), Some("ID"));
        assert!(MIDS.windows(2).all(|w| w[0].0 < w[1].0), "sorted for binary search");
        // 217 and 221 are not allocated: a ship MMSI starting with them is invalid.
        for bad in [123_456_789, 0, 999_999_999, 100_000_000, 800_000_000, 1_000_000_000, 217_000_001, 221_123_456] {
            assert_eq!(classify_mmsi(bad), MmsiClass::Invalid, "{bad}");
        }
    }

    /// The digit arithmetic against a reading of the nine digits as text.
    #[test]
    fn arithmetic_matches_the_digits_as_written() {
        let reference = |mmsi: u32| -> MmsiClass {
            let digits = format!("{mmsi:09}");
            let number = |from: usize, to: usize| digits[from..to].parse::<u32>().unwrap_or(0);
            let class = match digits.as_bytes() {
                [b'0', b'0', ..] => (MmsiClass::CoastStation, valid_mid(number(2, 5))),
                [b'0', ..] => (MmsiClass::Group, valid_mid(number(1, 4))),
                [b'1', b'1', b'1', ..] => (MmsiClass::SarAircraft, valid_mid(number(3, 6))),
                [b'9', b'7', b'0', ..] => (MmsiClass::AisSart, true),
                [b'9', b'7', b'2', ..] => (MmsiClass::ManOverboard, true),
                [b'9', b'7', b'4', ..] => (MmsiClass::Epirb, true),
                [b'9', b'8', ..] => (MmsiClass::CraftAssociated, valid_mid(number(2, 5))),
                [b'9', b'9', ..] => (MmsiClass::AidToNavigation, valid_mid(number(2, 5))),
                _ => (MmsiClass::Ship, valid_mid(number(0, 3))),
            };
            if class.1 { class.0 } else { MmsiClass::Invalid }
        };
        for mmsi in (0..999_999_999u32).step_by(9_973).chain([5_630_001, 56_300_001, 111_563_001, 985_631_234]) {
            assert_eq!(classify_mmsi(mmsi), reference(mmsi), "{mmsi:09}");
        }
    }
}

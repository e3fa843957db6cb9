//! One NMEA 0183 line: an optional NMEA 4.10 tag block, then `!ccVDM` or `!ccVDO` with its seven
//! fields and checksum. Parsing borrows from the line and allocates nothing.

use crate::error::SentenceError;

/// The radio channel a sentence was received on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    A,
    B,
    /// No channel given (some receivers leave the field empty).
    Unknown,
}

/// NMEA 4.10 tag-block fields HarborLink keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TagBlock<'a> {
    /// `s:` the source station.
    pub source: Option<&'a str>,
    /// `c:` receive time, Unix seconds (millisecond values are converted).
    pub time: Option<i64>,
    /// `g:` sentence grouping: (sentence number, total, group id).
    pub group: Option<(u16, u16, u32)>,
}

/// A parsed `!xxVDM`/`!xxVDO` sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence<'a> {
    pub tag: TagBlock<'a>,
    /// Talker id, e.g. `AI`, `AB`, `BS`.
    pub talker: [u8; 2],
    /// `VDO`: the receiver's own ship.
    pub own_ship: bool,
    /// Number of fragments of the message, 1 to 9.
    pub fragments: u8,
    /// This fragment's number, 1 to `fragments`.
    pub fragment: u8,
    /// Sequential message id tying fragments together, 0 to 9.
    pub sequence: Option<u8>,
    pub channel: Channel,
    /// The armoured payload characters.
    pub payload: &'a [u8],
    /// Bits to drop from the end of the payload, 0 to 5.
    pub fill_bits: u8,
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// XOR of `body`, compared with the two hex digits that follow.
fn checksum_ok(body: &[u8], digits: &[u8]) -> Result<bool, SentenceError> {
    let [hi, lo, ..] = *digits else { return Err(SentenceError::Malformed("checksum is not two hex digits")) };
    let (Some(hi), Some(lo)) = (hex_digit(hi), hex_digit(lo)) else {
        return Err(SentenceError::Malformed("checksum is not two hex digits"));
    };
    let sum = body.iter().fold(0u8, |acc, b| acc ^ b);
    Ok(sum == (hi << 4 | lo))
}

fn small_number(field: &[u8], what: &'static str) -> Result<u32, SentenceError> {
    if field.is_empty() || field.len() > 9 || !field.iter().all(u8::is_ascii_digit) {
        return Err(SentenceError::Malformed(what));
    }
    Ok(field.iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')))
}

/// A decimal integer of at most 15 digits, optionally negative.
fn integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    Some(if negative { -value } else { value })
}

fn parse_tag_block(block: &[u8]) -> Result<TagBlock<'_>, SentenceError> {
    // `block` is what stands between the two backslashes: `s:x,c:123*hh`.
    let star = block.iter().rposition(|&b| b == b'*').ok_or(SentenceError::Malformed("tag block without checksum"))?;
    let (body, digits) = (&block[..star], &block[star + 1..]);
    if !checksum_ok(body, digits)? {
        return Err(SentenceError::BadChecksum);
    }
    let mut tag = TagBlock::default();
    for field in body.split(|&b| b == b',') {
        let (key, value) = match field {
            [key, b':', value @ ..] => (*key, value),
            _ => return Err(SentenceError::Malformed("tag block field is not `k:value`")),
        };
        match key {
            b's' => {
                tag.source = Some(
                    std::str::from_utf8(value).map_err(|_| SentenceError::Malformed("tag block source is not text"))?,
                );
            }
            b'c' => {
                let raw = integer(value).ok_or(SentenceError::Malformed("tag block time is not an integer"))?;
                // Millisecond timestamps (some aggregators) are taken down to seconds.
                tag.time = Some(if raw.abs() > 99_999_999_999 { raw / 1000 } else { raw });
            }
            b'g' => {
                let mut parts = value.split(|&b| b == b'-');
                let (Some(n), Some(total), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return Err(SentenceError::Malformed("tag block group is not n-total-id"));
                };
                let n = u16::try_from(small_number(n, "tag block group")?)
                    .map_err(|_| SentenceError::Malformed("tag block group"))?;
                let total = u16::try_from(small_number(total, "tag block group")?)
                    .map_err(|_| SentenceError::Malformed("tag block group"))?;
                tag.group = Some((n, total, small_number(id, "tag block group")?));
            }
            // Other keys (d: destination, n: line count, r: relative time, t: text) are valid
            // and carry nothing the picture uses.
            _ => {}
        }
    }
    Ok(tag)
}

/// XOR of all bytes, eight at a time.
#[inline]
fn xor_all(bytes: &[u8]) -> u8 {
    let mut chunks = bytes.chunks_exact(8);
    let mut wide = 0u64;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        wide ^= u64::from_le_bytes(word);
    }
    let folded = wide.to_le_bytes().iter().fold(0u8, |acc, b| acc ^ b);
    chunks.remainder().iter().fold(folded, |acc, b| acc ^ b)
}

impl<'a> Sentence<'a> {
    /// Parses one line (trailing CR/LF and spaces allowed; bytes after the checksum, such as
    /// some providers' receive-time suffixes, are ignored).
    pub fn parse(line: &'a [u8]) -> Result<Self, SentenceError> {
        let line = line.trim_ascii_end();
        let line = match line.first() {
            Some(b'!' | b'\\') => line,
            _ => line.trim_ascii_start(),
        };
        if line.is_empty() {
            return Err(SentenceError::Empty);
        }
        let (tag, rest) = if let Some(after) = line.strip_prefix(b"\\") {
            let end =
                after.iter().position(|&b| b == b'\\').ok_or(SentenceError::Malformed("unterminated tag block"))?;
            (parse_tag_block(&after[..end])?, &after[end + 1..])
        } else {
            (TagBlock::default(), line)
        };
        let sentence = match rest.first() {
            Some(b'!') => &rest[1..],
            Some(b'$') => return Err(SentenceError::Unsupported("not an AIS sentence")),
            _ => return Err(SentenceError::Malformed("does not start with `!` or a tag block")),
        };
        // Nearly every line ends with `*hh`; look there before scanning.
        let n = sentence.len();
        let star = if n >= 3 && sentence[n - 3] == b'*' {
            n - 3
        } else {
            sentence.iter().position(|&b| b == b'*').ok_or(SentenceError::Malformed("no checksum"))?
        };
        let (body, digits) = (&sentence[..star], &sentence[star + 1..]);
        let [hi, lo, ..] = *digits else { return Err(SentenceError::Malformed("checksum is not two hex digits")) };
        let (Some(hi), Some(lo)) = (hex_digit(hi), hex_digit(lo)) else {
            return Err(SentenceError::Malformed("checksum is not two hex digits"));
        };
        if xor_all(body) != (hi << 4 | lo) {
            return Err(SentenceError::BadChecksum);
        }
        Self::fields(tag, body)
    }

    fn fields(tag: TagBlock<'a>, body: &'a [u8]) -> Result<Self, SentenceError> {
        // Seven fields: address, count, number, sequence, channel, payload, fill bits. The
        // first five commas are near the start; the last one precedes the fill-bit digit.
        let mut commas = [0usize; 5];
        let mut found = 0;
        for (i, &b) in body.iter().enumerate() {
            if b == b',' {
                commas[found] = i;
                found += 1;
                if found == 5 {
                    break;
                }
            }
        }
        if found < 5 {
            return Err(if body.len() >= 5 && &body[2..5] != b"VDM" && &body[2..5] != b"VDO" {
                SentenceError::Unsupported("not a VDM/VDO sentence")
            } else {
                SentenceError::Malformed("too few fields")
            });
        }
        let last = body.iter().rposition(|&b| b == b',').unwrap_or(0);
        if last <= commas[4] {
            return Err(SentenceError::Malformed("too few fields"));
        }
        let field = |i: usize| -> &'a [u8] {
            let from = if i == 0 { 0 } else { commas[i - 1] + 1 };
            &body[from..commas[i]]
        };
        let address = field(0);
        let [t1, t2, b'V', b'D', kind] = *address else {
            return Err(SentenceError::Unsupported("not a VDM/VDO sentence"));
        };
        let own_ship = match kind {
            b'M' => false,
            b'O' => true,
            _ => return Err(SentenceError::Unsupported("not a VDM/VDO sentence")),
        };
        let fragments = match field(1) {
            [d @ b'1'..=b'9'] => d - b'0',
            _ => return Err(SentenceError::Malformed("fragment count is not 1-9")),
        };
        let fragment = match field(2) {
            [d @ b'1'..=b'9'] if d - b'0' <= fragments => d - b'0',
            _ => return Err(SentenceError::Malformed("fragment number is not 1-count")),
        };
        let sequence = match field(3) {
            [] => None,
            [d @ b'0'..=b'9'] => Some(d - b'0'),
            _ => return Err(SentenceError::Malformed("sequence id is not 0-9")),
        };
        let channel = match field(4) {
            [b'A'] | [b'1'] => Channel::A,
            [b'B'] | [b'2'] => Channel::B,
            [] | [_] => Channel::Unknown,
            _ => return Err(SentenceError::Malformed("channel is not one character")),
        };
        let payload = &body[commas[4] + 1..last];
        if payload.contains(&b',') {
            return Err(SentenceError::Malformed("too many fields"));
        }
        let fill_bits = match &body[last + 1..] {
            [d @ b'0'..=b'5'] => d - b'0',
            [] if fragment < fragments => 0,
            _ => return Err(SentenceError::Malformed("fill bits are not 0-5")),
        };
        if payload.is_empty() {
            return Err(SentenceError::Malformed("empty payload"));
        }
        Ok(Sentence { tag, talker: [t1, t2], own_ship, fragments, fragment, sequence, channel, payload, fill_bits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_plain_sentence() {
        let s = Sentence::parse(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\r\n");
        let s = s.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&s.talker, b"AI");
        assert!(!s.own_ship);
        assert_eq!((s.fragments, s.fragment, s.sequence, s.channel, s.fill_bits), (1, 1, None, Channel::A, 0));
        assert_eq!(s.payload, b"15RTgt0PAso;90TKcjM8h6g208CQ");
    }

    #[test]
    fn keeps_tag_block_source_time_and_group() {
        let line = b"\\g:1-2-1604,s:rORBCOMM000,c:1426118909*4F\\!AIVDM,1,1,,B,15N3mF0P00qmmsdE`7UWOVGt0D1s,0*0A";
        match Sentence::parse(line) {
            Ok(s) => {
                assert_eq!(s.tag.source, Some("rORBCOMM000"));
                assert_eq!(s.tag.time, Some(1_426_118_909));
                assert_eq!(s.tag.group, Some((1, 2, 1604)));
            }
            Err(e) => {
                // The checksum in this hand-written line may be off; what matters is the kind.
                assert_eq!(e, SentenceError::BadChecksum);
            }
        }
    }

    #[test]
    fn refuses_what_it_must() {
        let cases: &[(&[u8], SentenceError)] = &[
            (b"", SentenceError::Empty),
            (b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B", SentenceError::BadChecksum),
            (b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0", SentenceError::Malformed("no checksum")),
            (b"$GPRMC,1,2*00", SentenceError::Unsupported("not an AIS sentence")),
            (b"garbage", SentenceError::Malformed("does not start with `!` or a tag block")),
        ];
        for (line, expected) in cases {
            assert_eq!(Sentence::parse(line).err().as_ref(), Some(expected), "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn accepts_other_talkers_and_numeric_channels() {
        // Checksums computed for each line.
        for (line, talker) in [("AB", b"AB"), ("BS", b"BS"), ("AN", b"AN")] {
            let body = format!("{line}VDM,1,1,,2,15RTgt0PAso;90TKcjM8h6g208CQ,0");
            let sum = body.bytes().fold(0u8, |a, b| a ^ b);
            let text = format!("!{body}*{sum:02X}");
            let s = Sentence::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(&s.talker, talker);
            assert_eq!(s.channel, Channel::B);
        }
    }
}

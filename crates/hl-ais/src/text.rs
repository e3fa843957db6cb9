//! AIS 6-bit text, held inline so decoding never allocates.

use std::fmt;

use crate::bits::Bits;

/// The most characters a text field holds: type 14's safety broadcast filling five slots
/// (161 characters; type 12's addressed text is at most 156).
pub const TEXT_CHARS_MAX: usize = 161;

/// The 6-bit alphabet: value → ASCII.
pub fn sixbit_ascii(v: u8) -> u8 {
    if v < 32 { v + 64 } else { v }
}

/// ASCII → 6-bit value for characters the alphabet has (`@` to `_`, space to `?`); lower case
/// is folded to upper case; `None` for anything else.
pub fn ascii_sixbit(c: u8) -> Option<u8> {
    let c = c.to_ascii_uppercase();
    match c {
        64..=95 => Some(c - 64),
        32..=63 => Some(c),
        _ => None,
    }
}

/// A text field of at most `N` characters, with trailing `@` (the 6-bit NUL) and spaces trimmed.
/// Equality and hashing look at the text only, never at the unused capacity.
#[derive(Clone, Copy)]
pub struct AisText<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> Default for AisText<N> {
    fn default() -> Self {
        Self { bytes: [0; N], len: 0 }
    }
}

impl<const N: usize> AisText<N> {
    const FITS: () = assert!(N <= 255);

    /// Reads up to `chars` 6-bit characters at `start` (fewer if the payload ends first). Like
    /// gpsd, the text ends at the first `@` (the 6-bit NUL); trailing spaces are trimmed.
    pub fn read(bits: &Bits, start: usize, chars: usize) -> Self {
        let mut text = Self::default();
        text.extend(bits, start, chars);
        text.trim();
        text
    }

    /// Appends up to `chars` characters at `start`, stopping at `@`; returns how many were read.
    pub(crate) fn extend(&mut self, bits: &Bits, start: usize, chars: usize) -> usize {
        let () = Self::FITS;
        let available = bits.len().saturating_sub(start) / 6;
        let room = N - usize::from(self.len);
        let count = chars.min(available).min(room);
        let mut read = 0;
        while read < count {
            let c = sixbit_ascii(bits.u(start + read * 6, 6) as u8);
            if c == b'@' {
                break;
            }
            self.bytes[usize::from(self.len)] = c;
            self.len += 1;
            read += 1;
        }
        read
    }

    /// Appends one character; false when full.
    pub(crate) fn push(&mut self, c: u8) -> bool {
        if usize::from(self.len) >= N {
            return false;
        }
        self.bytes[usize::from(self.len)] = c;
        self.len += 1;
        true
    }

    /// Removes trailing spaces and `@`.
    pub(crate) fn trim(&mut self) {
        while self.len > 0 && matches!(self.bytes[usize::from(self.len) - 1], b'@' | b' ') {
            self.len -= 1;
        }
    }

    /// Text from a string (for the encoder and tests): upper-cased, characters outside the
    /// alphabet replaced by `?`, cut at `N`.
    pub fn from_str_lossy(s: &str) -> Self {
        let mut text = Self::default();
        for (i, c) in s.bytes().take(N).enumerate() {
            text.bytes[i] = match ascii_sixbit(c) {
                Some(v) => sixbit_ascii(v),
                None => b'?',
            };
            text.len = (i + 1) as u8;
        }
        while text.len > 0 && matches!(text.bytes[usize::from(text.len) - 1], b'@' | b' ') {
            text.len -= 1;
        }
        text
    }

    pub fn as_str(&self) -> &str {
        // Only characters of the 6-bit alphabet (ASCII 32-95) are ever stored.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }
}

impl<const N: usize> PartialEq for AisText<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> Eq for AisText<N> {}

impl<const N: usize> std::hash::Hash for AisText<N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl<const N: usize> fmt::Debug for AisText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for AisText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Binary application data (types 6, 8, 17, 25, 26), held inline.
#[derive(Clone, Copy)]
pub struct BinaryData {
    bytes: [u8; BINARY_BYTES_MAX],
    bits: u16,
}

/// Largest binary payload kept, in bytes (covers the 2,048-bit payload limit).
pub const BINARY_BYTES_MAX: usize = 256;

impl Default for BinaryData {
    fn default() -> Self {
        Self { bytes: [0; BINARY_BYTES_MAX], bits: 0 }
    }
}

impl BinaryData {
    /// The bits from `start` to the end of the payload (or to `end`).
    pub fn read(bits: &Bits, start: usize, end: usize) -> Self {
        let mut data = Self::default();
        let width = end.min(bits.len()).saturating_sub(start);
        bits.bytes(start, width, &mut data.bytes);
        data.bits = width as u16;
        data
    }

    /// Data from bytes and a bit count (for the encoder).
    pub fn from_bytes(bytes: &[u8], bits: usize) -> Self {
        let mut data = Self::default();
        let bits = bits.min(bytes.len() * 8).min(BINARY_BYTES_MAX * 8);
        let count = bits.div_ceil(8);
        data.bytes[..count].copy_from_slice(&bytes[..count]);
        if !bits.is_multiple_of(8) {
            data.bytes[count - 1] &= 0xffu8 << (8 - bits % 8);
        }
        data.bits = bits as u16;
        data
    }

    /// Number of bits.
    pub fn bit_len(&self) -> usize {
        usize::from(self.bits)
    }

    /// The bytes, left-aligned, last byte zero-padded.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.bit_len().div_ceil(8)]
    }
}

impl PartialEq for BinaryData {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits && self.as_bytes() == other.as_bytes()
    }
}

impl Eq for BinaryData {}

impl fmt::Debug for BinaryData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.bits)?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

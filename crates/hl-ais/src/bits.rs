//! The unarmoured payload: bits in big-endian order packed into 64-bit words, read by
//! (start, length). Reads past the end give zero bits, as short messages are common on air and
//! the decoder decides by length which fields exist.

use crate::error::DecodeError;

/// The longest payload kept, in bits: above the 1,064 bits of a five-slot message with margin
/// for the longest multi-sentence binary messages seen in practice.
pub const PAYLOAD_BITS_MAX: usize = 2_048;
/// One spare word so a read that starts in the last word can look at the next.
const WORDS: usize = PAYLOAD_BITS_MAX / 64 + 2;

/// Decoded payload bits. Lives on the stack; reused between messages without allocation.
#[derive(Clone)]
pub struct Bits {
    words: [u64; WORDS],
    len: usize,
}

impl Default for Bits {
    fn default() -> Self {
        Self { words: [0; WORDS], len: 0 }
    }
}

impl std::fmt::Debug for Bits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bits({} bits)", self.len)
    }
}

/// Marks a byte that is not an armoured character in [`ARMOR`].
const INVALID: u8 = 0x80;

/// Armoured character → 6-bit value, or [`INVALID`].
static ARMOR: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = match c as u8 {
            48..=87 => c as u8 - 48,
            96..=119 => c as u8 - 56,
            _ => INVALID,
        };
        c += 1;
    }
    table
};

/// The 6-bit value of an armoured character, or `None` if it is not one.
#[inline]
pub fn unarmor(c: u8) -> Option<u8> {
    let v = ARMOR[usize::from(c)];
    (v != INVALID).then_some(v)
}

/// Characters packed per word write: 10 characters are 60 bits.
const CHARS_PER_CHUNK: usize = 10;

impl Bits {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the content; only the words that were used are cleared.
    pub fn clear(&mut self) {
        let used = self.len.div_ceil(64) + 1;
        self.words[..used.min(WORDS)].fill(0);
        self.len = 0;
    }

    /// Appends armoured characters.
    ///
    /// This is the hottest loop of the decoder: characters are looked up in a table and packed
    /// ten at a time (60 bits) into a register, so each word is written once per ten
    /// characters, and validity is checked once per chunk.
    pub fn push_armored(&mut self, chars: &[u8]) -> Result<(), DecodeError> {
        let new_len = self.len + chars.len() * 6;
        if new_len > PAYLOAD_BITS_MAX {
            return Err(DecodeError::TooLong(PAYLOAD_BITS_MAX));
        }
        let mut pos = self.len;
        for chunk in chars.chunks(CHARS_PER_CHUNK) {
            let mut packed = 0u64;
            let mut flags = 0u8;
            for &c in chunk {
                let v = ARMOR[usize::from(c)];
                flags |= v;
                packed = packed << 6 | u64::from(v & 63);
            }
            if flags & INVALID != 0 {
                let bad = chunk.iter().copied().find(|&c| ARMOR[usize::from(c)] == INVALID).unwrap_or(0);
                return Err(DecodeError::BadCharacter(bad));
            }
            let width = chunk.len() * 6;
            // Left-align the chunk, then place it at `pos`; it spans at most two words.
            let aligned = packed << (64 - width);
            let (w, o) = (pos / 64, pos % 64);
            self.words[w] |= aligned >> o;
            if o + width > 64 {
                self.words[w + 1] |= aligned << (64 - o);
            }
            pos += width;
        }
        self.len = new_len;
        Ok(())
    }

    /// Drops the last `fill` bits (the sentence's fill-bit count).
    pub fn drop_fill(&mut self, fill: u8) {
        let fill = usize::from(fill).min(self.len);
        let new_len = self.len - fill;
        // Clear the dropped bits so later appends and reads see zeros.
        for bit in new_len..self.len {
            self.words[bit / 64] &= !(1u64 << (63 - bit % 64));
        }
        self.len = new_len;
    }

    /// Replaces the content with one sentence's payload.
    pub fn set_armored(&mut self, chars: &[u8], fill: u8) -> Result<(), DecodeError> {
        self.clear();
        self.push_armored(chars)?;
        self.drop_fill(fill);
        Ok(())
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// An unsigned field of `width` (1 to 64) bits at `start`. Bits past the end read as zero:
    /// every bit beyond `len` is kept zero by [`Bits::clear`] and [`Bits::drop_fill`].
    #[inline]
    pub fn u(&self, start: usize, width: usize) -> u64 {
        debug_assert!((1..=64).contains(&width));
        if start >= PAYLOAD_BITS_MAX {
            return 0;
        }
        let (w, o) = (start / 64, start % 64);
        let high = self.words[w] << o;
        let low = if o == 0 { 0 } else { self.words[w + 1] >> (64 - o) };
        let joined = high | low;
        if width == 64 { joined } else { joined >> (64 - width) }
    }

    /// A two's-complement signed field.
    #[inline]
    pub fn i(&self, start: usize, width: usize) -> i64 {
        let raw = self.u(start, width);
        let shift = 64 - width;
        ((raw << shift) as i64) >> shift
    }

    /// A one-bit flag.
    #[inline]
    pub fn flag(&self, start: usize) -> bool {
        self.u(start, 1) == 1
    }

    /// Copies `width` bits from `start` into bytes, left-aligned (the last byte zero-padded).
    pub fn bytes(&self, start: usize, width: usize, out: &mut [u8]) -> usize {
        let count = width.div_ceil(8).min(out.len());
        for (i, byte) in out.iter_mut().take(count).enumerate() {
            let take = (width - i * 8).min(8);
            *byte = (self.u(start + i * 8, take) << (8 - take)) as u8;
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unarmoring_covers_the_64_values() {
        let alphabet = b"0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw";
        for (i, &c) in alphabet.iter().enumerate() {
            assert_eq!(unarmor(c), Some(i as u8));
        }
        assert_eq!(unarmor(b'X'), None);
        assert_eq!(unarmor(b'x'), None);
        assert_eq!(unarmor(b','), None);
    }

    #[test]
    fn reads_fields_across_word_boundaries() {
        let mut bits = Bits::new();
        // 12 characters of 'w' (63 = 0b111111) give 72 one bits.
        bits.set_armored(b"wwwwwwwwwwww", 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bits.len(), 72);
        assert_eq!(bits.u(60, 8), 0xff);
        assert_eq!(bits.i(60, 8), -1);
        assert_eq!(bits.u(70, 4), 0b1100, "bits past the end read as zero");
        bits.set_armored(b"1", 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((bits.len(), bits.u(0, 4)), (4, 0), "a shorter message does not see old bits");
        assert_eq!(bits.u(0, 6), 0);
    }

    #[test]
    fn fill_bits_are_dropped() {
        let mut bits = Bits::new();
        bits.set_armored(b"w", 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((bits.len(), bits.u(0, 6)), (4, 0b111100));
    }
}

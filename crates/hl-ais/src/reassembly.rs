//! Multi-sentence messages. Each pending message has its own buffer, keyed by (source station,
//! channel, sequential message id, VDM/VDO), so fragments of different messages may interleave
//! and single-sentence messages pass straight through without touching any buffer. When the tag
//! block groups the sentences (NMEA 4.10 `g:`), the group id stands for the station: the usual
//! practice writes `s:` and `c:` on the group's first sentence only, and the message then takes
//! its station and time from that sentence.
//!
//! Memory is bounded: at most [`ReassemblyConfig::pending_max`] messages wait at once (the
//! oldest is dropped to make room) and a message whose fragments stop coming is dropped after
//! [`ReassemblyConfig::lines_max`] lines or [`ReassemblyConfig::seconds_max`] seconds of tag-block
//! time. Every drop is reported, never silent.

use crate::bits::Bits;
use crate::decode::decode_into;
use crate::error::{DecodeError, ErrorKind, SentenceError};
use crate::message::AisMessage;
use crate::sentence::{Channel, Sentence};

/// Limits of the reassembler.
#[derive(Debug, Clone, Copy)]
pub struct ReassemblyConfig {
    /// Messages waiting for fragments at once.
    pub pending_max: usize,
    /// Lines after its first fragment that a message may wait.
    pub lines_max: u64,
    /// Tag-block seconds after its first fragment that a message may wait (when times exist).
    pub seconds_max: i64,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        Self { pending_max: 64, lines_max: 1_000, seconds_max: 60 }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    source: u64,
    channel: Channel,
    sequence: Option<u8>,
    own_ship: bool,
    fragments: u8,
}

struct Pending {
    key: Key,
    /// The first fragment's station (`s:`), for a group whose later sentences carry none.
    source: Option<String>,
    next_fragment: u8,
    first_line: u64,
    first_time: Option<i64>,
    bits: Bits,
}

/// Why a line was not decoded, with the line it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub kind: ErrorKind,
    pub reason: &'static str,
}

/// Joins fragments into complete payloads.
pub struct Reassembler {
    config: ReassemblyConfig,
    pending: Vec<Pending>,
    dropped: Vec<Rejected>,
}

fn source_hash(source: Option<&str>) -> u64 {
    // FNV-1a: stable, cheap, and only needs to tell stations apart.
    source.map_or(0, |s| {
        s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
    })
}

impl Reassembler {
    pub fn new(config: ReassemblyConfig) -> Self {
        let pending_max = config.pending_max.max(1);
        Self {
            config: ReassemblyConfig { pending_max, ..config },
            pending: Vec::with_capacity(pending_max),
            dropped: Vec::new(),
        }
    }

    fn drop_at(&mut self, index: usize, reason: &'static str) {
        let gone = self.pending.swap_remove(index);
        self.dropped.push(Rejected { line: gone.first_line, kind: ErrorKind::IncompleteFragments, reason });
    }

    fn expire(&mut self, line: u64, time: Option<i64>) {
        let mut i = 0;
        while i < self.pending.len() {
            let p = &self.pending[i];
            let stale_lines = line.saturating_sub(p.first_line) > self.config.lines_max;
            let stale_time =
                matches!((time, p.first_time), (Some(now), Some(then)) if now - then > self.config.seconds_max);
            if stale_lines || stale_time {
                self.drop_at(i, "fragments stopped arriving");
            } else {
                i += 1;
            }
        }
    }

    /// Adds a fragment of a multi-sentence message (`fragments > 1`). Returns the index of the
    /// buffer holding the completed payload, to read with [`Reassembler::take`].
    pub fn push(&mut self, sentence: &Sentence<'_>, line: u64) -> Result<Option<usize>, Rejected> {
        debug_assert!(sentence.fragments > 1);
        let reject = |kind, reason| Rejected { line, kind, reason };
        self.expire(line, sentence.tag.time);
        // A tag-block group id names the group better than the station: later sentences of a
        // group often carry only `g:`. Marked so it never equals a station's hash.
        let station = match sentence.tag.group {
            Some((_, _, group)) => (1 << 63) | u64::from(group),
            None => source_hash(sentence.tag.source) & !(1 << 63),
        };
        let key = Key {
            source: station,
            channel: sentence.channel,
            sequence: sentence.sequence,
            own_ship: sentence.own_ship,
            fragments: sentence.fragments,
        };
        let found = self.pending.iter().position(|p| p.key == key);
        if sentence.fragment == 1 {
            if let Some(index) = found {
                self.drop_at(index, "a new message reused the sequential id before completion");
            }
            if self.pending.len() >= self.config.pending_max {
                let oldest = (0..self.pending.len()).min_by_key(|&i| self.pending[i].first_line).unwrap_or(0);
                self.drop_at(oldest, "too many messages waiting for fragments");
            }
            let mut bits = Bits::new();
            bits.push_armored(sentence.payload).map_err(|e| reject(e.kind(), decode_reason(e)))?;
            let source = sentence.tag.source.map(str::to_owned);
            self.pending.push(Pending {
                key,
                source,
                next_fragment: 2,
                first_line: line,
                first_time: sentence.tag.time,
                bits,
            });
            return Ok(None);
        }
        let Some(index) = found else {
            return Err(reject(ErrorKind::IncompleteFragments, "fragment without its first fragment"));
        };
        if self.pending[index].next_fragment != sentence.fragment {
            self.drop_at(index, "fragments out of order or missing");
            return Err(reject(ErrorKind::IncompleteFragments, "fragment out of order"));
        }
        let pending = &mut self.pending[index];
        if let Err(e) = pending.bits.push_armored(sentence.payload) {
            self.drop_at(index, "fragment with a bad payload");
            return Err(reject(e.kind(), decode_reason(e)));
        }
        pending.next_fragment += 1;
        if sentence.fragment == sentence.fragments {
            pending.bits.drop_fill(sentence.fill_bits);
            return Ok(Some(index));
        }
        Ok(None)
    }

    /// Removes a completed payload, with its first fragment's station and time.
    pub fn take(&mut self, index: usize) -> (Bits, Option<String>, Option<i64>) {
        let done = self.pending.swap_remove(index);
        (done.bits, done.source, done.first_time)
    }

    /// Drops reported since the last call.
    pub fn drain_dropped(&mut self) -> std::vec::Drain<'_, Rejected> {
        self.dropped.drain(..)
    }

    /// Ends the stream: whatever is still waiting is reported as incomplete.
    pub fn finish(&mut self) {
        while !self.pending.is_empty() {
            self.drop_at(0, "stream ended before the last fragment");
        }
    }

    /// Messages waiting for fragments.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

fn decode_reason(e: DecodeError) -> &'static str {
    match e {
        DecodeError::BadCharacter(_) => "payload character outside the 6-bit alphabet",
        DecodeError::TooLong(_) => "payload too long",
        DecodeError::TooShort { .. } => "payload too short for its message type",
        DecodeError::UnknownType(_) => "unknown message type",
    }
}

fn sentence_reason(e: SentenceError) -> &'static str {
    match e {
        SentenceError::Empty => "empty line",
        SentenceError::BadChecksum => "checksum mismatch",
        SentenceError::Malformed(why) | SentenceError::Unsupported(why) => why,
    }
}

/// A decoded message with what the sentence said about its reception. The message is lent by
/// the decoder (it is decoded in place, never copied) until the next line is fed.
#[derive(Debug, Clone, Copy)]
pub struct Decoded<'a> {
    pub message: &'a AisMessage,
    /// The line of the message's last sentence (1-based).
    pub line: u64,
    pub channel: Channel,
    pub own_ship: bool,
    /// Tag block of the message's last sentence.
    pub source: Option<&'a str>,
    pub time: Option<i64>,
}

/// Lines in, messages out: parsing, reassembly and decoding.
pub struct Decoder {
    reassembler: Reassembler,
    scratch: Bits,
    /// The last decoded message; `Decoded` borrows it.
    message: AisMessage,
    /// The station of the last multi-sentence message's first fragment; `Decoded` borrows it.
    group_source: Option<String>,
    line: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(ReassemblyConfig::default())
    }
}

impl Decoder {
    pub fn new(config: ReassemblyConfig) -> Self {
        let placeholder = AisMessage::UtcInquiry(crate::message::UtcInquiry::default());
        Self {
            reassembler: Reassembler::new(config),
            scratch: Bits::new(),
            message: placeholder,
            group_source: None,
            line: 0,
        }
    }

    /// Feeds the next line. `Ok(None)` means the line was a fragment that is now waiting.
    pub fn feed<'a>(&'a mut self, raw: &'a [u8]) -> Result<Option<Decoded<'a>>, Rejected> {
        self.line += 1;
        let line = self.line;
        let sentence =
            Sentence::parse(raw).map_err(|e| Rejected { line, kind: e.kind(), reason: sentence_reason(e) })?;
        let (mut first_source, mut first_time) = (None, None);
        let decoded = if sentence.fragments == 1 {
            self.scratch.set_armored(sentence.payload, sentence.fill_bits).map_err(|e| Rejected {
                line,
                kind: e.kind(),
                reason: decode_reason(e),
            })?;
            decode_into(&self.scratch, &mut self.message)
        } else {
            match self.reassembler.push(&sentence, line)? {
                None => return Ok(None),
                Some(index) => {
                    let (bits, source, time) = self.reassembler.take(index);
                    (first_source, first_time) = (source, time);
                    decode_into(&bits, &mut self.message)
                }
            }
        };
        decoded.map_err(|e| Rejected { line, kind: e.kind(), reason: decode_reason(e) })?;
        // The last sentence's tag block, else the group's first sentence's.
        self.group_source = first_source;
        let source = sentence.tag.source.or(self.group_source.as_deref());
        Ok(Some(Decoded {
            message: &self.message,
            line,
            channel: sentence.channel,
            own_ship: sentence.own_ship,
            source,
            time: sentence.tag.time.or(first_time),
        }))
    }

    /// Incomplete messages dropped since the last call (each names its first line).
    pub fn drain_dropped(&mut self) -> std::vec::Drain<'_, Rejected> {
        self.reassembler.drain_dropped()
    }

    /// Ends the stream, reporting messages still waiting for fragments as dropped.
    pub fn finish(&mut self) {
        self.reassembler.finish();
    }

    /// Counts a line the caller did not feed (blank, or refused before parsing), so line
    /// numbers in later reports still match the input.
    pub fn skip_line(&mut self) {
        self.line += 1;
    }

    /// Lines fed so far.
    pub fn lines(&self) -> u64 {
        self.line
    }
}

//! `harborlink ais decode`: NMEA in, gpsd-compatible JSON lines out. Never stops on bad input:
//! every line that yields no message is counted by reason and, with `--errors`, written out.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use hl_ais::gpsd::{JsonWriter, Written};
use hl_ais::{Decoder, ErrorKind, Rejected};
use serde_json::json;

use crate::cli::AisDecodeArgs;

/// Longest line accepted; NMEA allows 82 characters, tag blocks and aggregator suffixes add
/// some. Longer lines are counted as malformed and skipped without being buffered whole.
pub const LINE_BYTES_MAX: usize = 4_096;
const READ_CHUNK_BYTES: usize = 1 << 20;

/// Splits a byte stream into lines without growing past [`LINE_BYTES_MAX`].
pub(crate) struct Lines<R> {
    source: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

pub(crate) enum Line<'a> {
    Text(&'a [u8]),
    TooLong,
}

impl<R: Read> Lines<R> {
    pub(crate) fn new(source: R) -> Self {
        Self { source, buf: vec![0; READ_CHUNK_BYTES], start: 0, end: 0, eof: false }
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while self.end < self.buf.len() && !self.eof {
            let n = self.source.read(&mut self.buf[self.end..])?;
            if n == 0 {
                self.eof = true;
            }
            self.end += n;
            if n > 0 {
                break;
            }
        }
        Ok(())
    }

    pub(crate) fn next(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            if let Some(pos) = self.buf[self.start..self.end].iter().position(|&b| b == b'\n') {
                let line_start = self.start;
                self.start += pos + 1;
                if pos > LINE_BYTES_MAX {
                    return Ok(Some(Line::TooLong));
                }
                return Ok(Some(Line::Text(&self.buf[line_start..line_start + pos])));
            }
            if self.end - self.start > LINE_BYTES_MAX {
                // Drop the overlong line up to its newline, however far that is.
                self.skip_line()?;
                return Ok(Some(Line::TooLong));
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let line_start = self.start;
                self.start = self.end;
                return Ok(Some(Line::Text(&self.buf[line_start..self.end])));
            }
            self.fill()?;
        }
    }

    fn skip_line(&mut self) -> io::Result<()> {
        loop {
            if let Some(pos) = self.buf[self.start..self.end].iter().position(|&b| b == b'\n') {
                self.start += pos + 1;
                return Ok(());
            }
            self.start = self.end;
            if self.eof {
                return Ok(());
            }
            self.fill()?;
        }
    }
}

struct Tally {
    by_kind: BTreeMap<&'static str, u64>,
    errors: Option<BufWriter<File>>,
}

impl Tally {
    fn record(&mut self, rejected: &Rejected, text: Option<&[u8]>) -> io::Result<()> {
        *self.by_kind.entry(rejected.kind.as_str()).or_default() += 1;
        if let Some(out) = &mut self.errors {
            let mut record = json!({"line": rejected.line, "kind": rejected.kind.as_str(), "reason": rejected.reason});
            if let Some(text) = text {
                record["text"] = json!(String::from_utf8_lossy(text));
            }
            writeln!(out, "{record}")?;
        }
        Ok(())
    }
}

pub fn decode(args: &AisDecodeArgs) -> anyhow::Result<()> {
    let (input, size): (Box<dyn Read>, Option<u64>) = match &args.input {
        None => (Box::new(io::stdin().lock()), None),
        Some(path) if path.as_os_str() == "-" => (Box::new(io::stdin().lock()), None),
        Some(path) => {
            let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            let size = file.metadata().ok().map(|m| m.len());
            (Box::new(file), size)
        }
    };
    let mut progress = crate::progress::Progress::new("lines", size);
    let mut bytes = 0u64;
    let errors = args
        .errors
        .as_ref()
        .map(|p: &PathBuf| File::create(p).with_context(|| format!("cannot create {}", p.display())))
        .transpose()?;
    let mut tally = Tally { by_kind: BTreeMap::new(), errors: errors.map(BufWriter::new) };
    let mut lines = Lines::new(input);
    let mut decoder = Decoder::default();
    let mut writer = JsonWriter::with_device("stdin");
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 20, stdout);
    let mut json = Vec::with_capacity(1 << 16);
    let (mut messages, mut held) = (0u64, 0u64);
    while let Some(line) = lines.next()? {
        progress.update(decoder.lines(), bytes);
        let text = match line {
            Line::Text(text) => {
                bytes += text.len() as u64 + 1;
                text
            }
            Line::TooLong => {
                decoder.skip_line();
                let line = decoder.lines();
                tally.record(&Rejected { line, kind: ErrorKind::Malformed, reason: "line too long" }, None)?;
                continue;
            }
        };
        if text.trim_ascii().is_empty() {
            decoder.skip_line();
            continue;
        }
        match decoder.feed(text) {
            Ok(Some(decoded)) => {
                messages += 1;
                match writer.write(decoded.message, &mut json) {
                    Written::Line => {}
                    Written::HeldPartA | Written::UnmatchedPartB => held += 1,
                }
                if json.len() > (1 << 16) - 2048 {
                    out.write_all(&json)?;
                    json.clear();
                }
            }
            Ok(None) => {}
            Err(rejected) => tally.record(&rejected, Some(text))?,
        }
        for dropped in decoder.drain_dropped().collect::<Vec<_>>() {
            tally.record(&dropped, None)?;
        }
    }
    decoder.finish();
    for dropped in decoder.drain_dropped().collect::<Vec<_>>() {
        tally.record(&dropped, None)?;
    }
    out.write_all(&json)?;
    if let Err(err) = out.flush() {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        if err.kind() != io::ErrorKind::BrokenPipe {
            return Err(err.into());
        }
    }
    if let Some(mut errors) = tally.errors.take() {
        errors.flush()?;
    }
    progress.finish();
    let failed: u64 = tally.by_kind.values().sum();
    let reasons: Vec<String> = tally.by_kind.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "ais decode: {} lines, {messages} messages decoded, {held} type 24 parts held or unmatched (not printed, as gpsd), {failed} lines not decoded{}{}",
        decoder.lines(),
        if reasons.is_empty() { "" } else { ": " },
        reasons.join(", ")
    );
    Ok(())
}

//! `harborlink analyze FILE`: yesterday's traffic through the same detectors as the live node.
//! Alerts go to stdout as JSON lines, a summary to stderr.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::Context;
use hl_detect::{Alert, DetectorConfig, Picture, Watchlist};
use hl_track::{Fed, Pipeline, TimeSource};
use serde_json::json;

use crate::ais::{Line, Lines};
use crate::cli::AnalyzeArgs;

fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map(|t| t.to_string()).unwrap_or_default()
}

/// An alert as a JSON line; `start` and `end` are null when the data has no times.
fn alert_json(a: &Alert, timed: bool) -> serde_json::Value {
    let time = |t: i64| timed.then(|| rfc3339(t));
    json!({
        "kind": a.kind.as_str(), "mmsi": a.mmsi, "mmsi_2": a.mmsi_2,
        "start": time(a.start), "end": time(a.end),
        "lat": a.lat, "lon": a.lon, "severity": a.severity.as_str(),
        "detail": a.detail, "zone": a.zone,
    })
}

/// The `[detect]` section of a TOML file, over the defaults.
fn detector_config(path: &std::path::Path) -> anyhow::Result<DetectorConfig> {
    use figment::providers::{Format, Serialized, Toml};
    let config: DetectorConfig = figment::Figment::new()
        .merge(Serialized::defaults(DetectorConfig::default()))
        .merge(figment::Figment::from(Toml::file_exact(path)).focus("detect"))
        .extract()
        .with_context(|| format!("invalid [detect] section in {}", path.display()))?;
    config.check().map_err(|why| anyhow::anyhow!("invalid [detect] setting in {}: {why}", path.display()))?;
    Ok(config)
}

/// A logger's time before the sentence (`1617283945.5 !AIVDM...`, `2021-04-01T12:00:00Z,!AIVDM...`,
/// `2021-04-01 12:00:00.123 \\s:...`): the time, and the sentence. `None` when the line starts
/// with the sentence (or its tag block), or its prefix is no time.
#[cfg(test)]
fn logger_time(line: &[u8]) -> Option<(i64, &[u8])> {
    let (prefix, sentence) = logger_prefix(line)?;
    Some((prefix_time(prefix)?, sentence))
}

/// Logger timestamps accepted: 1970 to 2099 (anything else is not a recording's time).
const LOGGER_TIMES: std::ops::Range<i64> = 0..4_102_444_800;

/// A line's text before its sentence (or tag block), when there is some: `(prefix, sentence)`.
fn logger_prefix(line: &[u8]) -> Option<(&str, &[u8])> {
    let start = line.iter().position(|&b| b == b'!' || b == b'\\' || b == b'$')?;
    if start == 0 {
        return None;
    }
    let prefix = std::str::from_utf8(&line[..start]).ok()?;
    Some((prefix.trim_end_matches([' ', '\t', ',', ';', '|', ':']).trim(), &line[start..]))
}

/// A logger's prefix as a time: Unix seconds (a fraction allowed; 13 digits are milliseconds)
/// or ISO 8601 (an offset, or UTC without one), within [`LOGGER_TIMES`].
fn prefix_time(prefix: &str) -> Option<i64> {
    let time = if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        // Fewer than 9 digits is a counter or a line number, not a Unix time.
        let whole = prefix.split('.').next()?;
        if whole.len() < 9 {
            return None;
        }
        let seconds: i64 = whole.parse().ok()?;
        if whole.len() >= 13 { seconds / 1_000 } else { seconds }
    } else if let Ok(t) = prefix.parse::<jiff::Timestamp>() {
        t.as_second()
    } else {
        let civil = prefix.replacen(' ', "T", 1).parse::<jiff::civil::DateTime>().ok()?;
        civil.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp().as_second()
    };
    LOGGER_TIMES.contains(&time).then_some(time)
}

/// Whether the sentence begins with a tag block that gives a time (`c:`): it wins over any
/// logger prefix, as it was written at reception.
fn tag_block_has_time(sentence: &[u8]) -> bool {
    sentence.strip_prefix(b"\\").is_some_and(|rest| {
        let end = rest.iter().position(|&b| b == b'\\' || b == b'*').unwrap_or(rest.len());
        rest[..end].split(|&b| b == b',').any(|field| field.starts_with(b"c:"))
    })
}

/// How one pass reads times.
#[derive(Clone, Copy)]
enum Timing {
    /// Tag blocks, base stations or logger prefixes; else `--start` and `--rate`.
    Recorded { start: Option<i64>, rate: f64 },
    /// No times at all: only the detectors that need none.
    Untimed,
}

/// One pass over the input.
struct Pass {
    pipeline: Pipeline,
    by_kind: BTreeMap<&'static str, u64>,
    undecoded: u64,
    lines: u64,
    /// Latest time given by logger prefixes or `--start` (the recorded clock keeps its own).
    latest: Option<i64>,
    prefixed: u64,
}

fn run_pass(args: &AnalyzeArgs, picture: Picture, timing: Timing, out: &mut dyn Write) -> anyhow::Result<Pass> {
    let input = File::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
    let size = input.metadata().ok().map(|m| m.len());
    let mut lines = Lines::new(input);
    let mut progress = crate::progress::Progress::new("lines", size);
    // Tracks are for the live picture; analysis needs only the detectors.
    let mut pass = Pass {
        pipeline: Pipeline::new(picture, None),
        by_kind: BTreeMap::new(),
        undecoded: 0,
        lines: 0,
        latest: None,
        prefixed: 0,
    };
    let mut bytes = 0u64;
    let mut alerts = Vec::new();
    let timed = matches!(timing, Timing::Recorded { .. });
    let mut last_logged: Option<i64> = None;
    while let Some(line) = lines.next()? {
        pass.lines += 1;
        let Line::Text(text) = line else {
            pass.pipeline.skip_line(0);
            pass.undecoded += 1;
            continue;
        };
        bytes += text.len() as u64 + 1;
        // A prefix that is no time is dropped all the same: the sentence after it still counts.
        let (prefix, sentence) = logger_prefix(text).map_or((None, text), |(p, s)| (Some(p), s));
        let (source, received) = match timing {
            Timing::Untimed => (TimeSource::Reception, 0),
            // A tag block's own time (else base stations) first, as written at reception...
            Timing::Recorded { .. } if tag_block_has_time(sentence) => (TimeSource::Recorded, 0),
            Timing::Recorded { start, rate } => match prefix.and_then(prefix_time) {
                // ...then the logger's timestamp...
                Some(time) => {
                    pass.prefixed += 1;
                    last_logged = Some(time);
                    (TimeSource::Reception, time)
                }
                // ...then, for a line without one in a logged file, the last logged time...
                None if last_logged.is_some() => (TimeSource::Reception, last_logged.unwrap_or(0)),
                // ...then the start and rate the user gave...
                None if start.is_some() => {
                    let at = start.unwrap_or(0) + ((pass.lines - 1) as f64 / rate).floor() as i64;
                    let at = at.min(LOGGER_TIMES.end - 1);
                    (TimeSource::Reception, at)
                }
                // ...then base stations (see `TimeSource::Recorded`).
                None => (TimeSource::Recorded, 0),
            },
        };
        if source == TimeSource::Reception && received > 0 {
            pass.latest = Some(pass.latest.map_or(received, |t| t.max(received)));
        }
        if let Fed::Rejected(_) = pass.pipeline.feed(0, source, sentence, received, &mut alerts) {
            pass.undecoded += 1;
        }
        emit(&mut alerts, &mut pass.by_kind, timed, out)?;
        progress.update(pass.lines, bytes);
    }
    progress.finish();
    let end = match (pass.pipeline.clock(0), pass.latest) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if let Some(end) = end {
        alerts.extend(pass.pipeline.finish(end));
        emit(&mut alerts, &mut pass.by_kind, timed, out)?;
    }
    Ok(pass)
}

fn emit(
    alerts: &mut Vec<Alert>,
    by_kind: &mut BTreeMap<&'static str, u64>,
    timed: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    for a in alerts.drain(..) {
        *by_kind.entry(a.kind.as_str()).or_default() += 1;
        writeln!(out, "{}", alert_json(&a, timed))?;
    }
    Ok(())
}

pub fn analyze(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let zones = match &args.zones {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            hl_geo::parse_zones(&text).with_context(|| format!("{} is not a valid zone file", path.display()))?
        }
        None => Vec::new(),
    };
    let watchlist = match &args.watchlist {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Watchlist::parse(&text).with_context(|| format!("{} is not a valid watch list", path.display()))?
        }
        None => Watchlist::default(),
    };
    let (zone_count, watch_count) = (zones.len(), watchlist.len());
    let detectors = match &args.config {
        Some(path) => detector_config(path)?,
        None => DetectorConfig::default(),
    };
    let start = args
        .start
        .as_deref()
        .map(|s| s.parse::<jiff::Timestamp>().map(|t| t.as_second()))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--start must be an RFC 3339 time like 2024-05-01T00:00:00Z: {e}"))?;
    anyhow::ensure!((0.001..=1_000_000.0).contains(&args.rate), "--rate must be 0.001 to 1000000 lines per second");
    if let Some(start) = start {
        anyhow::ensure!(LOGGER_TIMES.contains(&start), "--start must be between 1970 and 2099");
    }
    let land = hl_geo::Land::natural_earth();
    let picture = || Picture::new(detectors.clone(), zones.clone(), watchlist.clone()).with_land(land);
    let stdout = io::stdout().lock();
    let mut out = BufWriter::new(stdout);
    // The first pass's alerts are held until it is known whether the data has times.
    let mut held = Vec::new();
    let mut pass = run_pass(args, picture(), Timing::Recorded { start, rate: args.rate }, &mut held)?;
    let counts = pass.pipeline.counts();
    // Most messages had no time (a plain log, where a few base-station reports start the clock
    // late): the data is read again, whole, with the detectors that need none.
    let untimed_data = counts.messages > 0 && counts.untimed * 2 > counts.messages;
    let first_untimed = counts.untimed;
    if untimed_data {
        pass = run_pass(args, picture().untimed(), Timing::Untimed, &mut out)?;
    } else {
        out.write_all(&held)?;
    }
    out.flush()?;
    let counts = pass.pipeline.counts();
    let (messages, untimed, invalid_positions) = (counts.messages, counts.untimed, counts.invalid_positions);
    let kinds: Vec<String> = pass.by_kind.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let timing = if untimed_data {
        format!(
            "{first_untimed} of {messages} messages have no time (no tag blocks, logger timestamps or base-station \
             reports before them; give --start and --rate to set times): ran only the detectors that need none; \
             not run: {}",
            Picture::TIMED_ONLY.map(|k| k.as_str()).join(", ")
        )
    } else if pass.prefixed > 0 {
        format!("times from logger timestamps on {} lines", pass.prefixed)
    } else if start.is_some() {
        format!("times from --start at {} lines/s where the data has none", args.rate)
    } else {
        String::from("times from tag blocks and base stations")
    };
    eprintln!(
        "analyze: {} lines, {messages} messages, {} vessels, {zone_count} zones, {watch_count} watch-list entries; \
         {} alerts{}{}; {timing}; skipped: {} undecodable lines, {} messages before any time, \
         {invalid_positions} invalid positions, {} repeated and {} out-of-order reports",
        pass.lines,
        pass.pipeline.picture().vessels(),
        pass.by_kind.values().sum::<u64>(),
        if kinds.is_empty() { "" } else { ": " },
        kinds.join(", "),
        pass.undecoded,
        if untimed_data { 0 } else { untimed },
        pass.pipeline.picture().skipped_repeats,
        pass.pipeline.picture().skipped_out_of_order,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{logger_time, tag_block_has_time};

    #[test]
    fn logger_timestamps_before_sentences_are_read() {
        let sentence = b"!AIVDM,1,1,,A,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*4E";
        for (prefix, expected) in [
            ("1617283945 ", 1_617_283_945),
            ("1617283945.123,", 1_617_283_945),
            ("1617283945123 ", 1_617_283_945),
            ("2021-04-01T13:32:25Z ", 1_617_283_945),
            ("2021-04-01 13:32:25.5;", 1_617_283_945),
            ("2021-04-01T15:32:25+02:00\t", 1_617_283_945),
        ] {
            let line = [prefix.as_bytes(), sentence].concat();
            let (time, rest) = logger_time(&line).unwrap_or_else(|| panic!("{prefix}"));
            assert_eq!((time, rest), (expected, &sentence[..]), "{prefix}");
        }
        assert!(logger_time(sentence).is_none());
        assert!(logger_time(b"garbage !AIVDM,1,1").is_none());
        assert!(logger_time(b"12 !AIVDM,1,1").is_none(), "a line number, not a time");
        assert!(logger_time(b"9999-12-31T23:59:59Z !AIVDM,1,1").is_none(), "beyond 2099");
        assert!(logger_time(b"32503680000 !AIVDM,1,1").is_none(), "beyond 2099");
        assert!(tag_block_has_time(b"\\s:x,c:1500000000*40\\!AIVDM"));
        assert!(!tag_block_has_time(b"\\s:x*40\\!AIVDM") && !tag_block_has_time(b"!AIVDM"));
    }
}

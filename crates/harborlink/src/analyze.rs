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
pub(crate) fn logger_time(line: &[u8]) -> Option<(i64, &[u8])> {
    let start = line.iter().position(|&b| b == b'!' || b == b'\\' || b == b'$')?;
    if start == 0 {
        return None;
    }
    let prefix = std::str::from_utf8(&line[..start]).ok()?;
    let prefix = prefix.trim_end_matches([' ', '\t', ',', ';', '|', ':']).trim();
    let time = if prefix.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        // Unix seconds, with or without a fraction; milliseconds when 13 digits.
        let whole = prefix.split('.').next()?;
        let seconds: i64 = whole.parse().ok()?;
        let seconds = if whole.len() >= 13 { seconds / 1_000 } else { seconds };
        (946_684_800..=4_102_444_800).contains(&seconds).then_some(seconds)?
    } else if let Ok(t) = prefix.parse::<jiff::Timestamp>() {
        t.as_second()
    } else {
        // ISO 8601 without an offset: UTC.
        let civil = prefix.replacen(' ', "T", 1).parse::<jiff::civil::DateTime>().ok()?;
        civil.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp().as_second()
    };
    Some((time, &line[start..]))
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
    while let Some(line) = lines.next()? {
        pass.lines += 1;
        let Line::Text(text) = line else {
            pass.pipeline.skip_line(0);
            pass.undecoded += 1;
            continue;
        };
        bytes += text.len() as u64 + 1;
        let (source, received, sentence) = match timing {
            Timing::Untimed => (TimeSource::Reception, 0, logger_time(text).map_or(text, |(_, s)| s)),
            Timing::Recorded { start, rate } => match logger_time(text) {
                Some((time, sentence)) => {
                    pass.prefixed += 1;
                    (TimeSource::Reception, time, sentence)
                }
                // Times from tag blocks, else base stations (see `TimeSource::Recorded`)...
                None if start.is_none() || text.contains(&b'\\') => (TimeSource::Recorded, 0, text),
                // ...or, for plain sentences, the start and rate the user gave.
                None => {
                    let at = start.unwrap_or(0) + ((pass.lines - 1) as f64 / rate).floor() as i64;
                    (TimeSource::Reception, at, text)
                }
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
    anyhow::ensure!(args.rate.is_finite() && args.rate > 0.0, "--rate must be a positive number of lines per second");
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
    use super::logger_time;

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
        assert!(logger_time(b"12 !AIVDM,1,1").is_none(), "not a plausible time");
    }
}

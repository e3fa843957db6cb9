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

fn alert_json(a: &Alert) -> serde_json::Value {
    json!({
        "kind": a.kind.as_str(), "mmsi": a.mmsi, "mmsi_2": a.mmsi_2,
        "start": rfc3339(a.start), "end": rfc3339(a.end),
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
    let input = File::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
    let mut lines = Lines::new(input);
    let detectors = match &args.config {
        Some(path) => detector_config(path)?,
        None => DetectorConfig::default(),
    };
    let picture = Picture::new(detectors, zones, watchlist).with_land(hl_geo::Land::natural_earth());
    // Tracks are for the live picture; analysis needs only the detectors.
    let mut pipeline = Pipeline::new(picture, None);
    let stdout = io::stdout().lock();
    let mut out = BufWriter::new(stdout);
    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut undecoded = 0u64;
    let mut emit = |alerts: &mut Vec<Alert>, out: &mut BufWriter<_>| -> io::Result<()> {
        for a in alerts.drain(..) {
            *by_kind.entry(a.kind.as_str()).or_default() += 1;
            writeln!(out, "{}", alert_json(&a))?;
        }
        Ok(())
    };
    let mut alerts = Vec::new();
    while let Some(line) = lines.next()? {
        let Line::Text(text) = line else {
            pipeline.skip_line(0);
            undecoded += 1;
            continue;
        };
        // Times come from tag blocks, else base stations (see `TimeSource::Recorded`).
        if let Fed::Rejected(_) = pipeline.feed(0, TimeSource::Recorded, text, 0, &mut alerts) {
            undecoded += 1;
        }
        if !alerts.is_empty() {
            emit(&mut alerts, &mut out)?;
        }
    }
    if let Some(end) = pipeline.clock(0) {
        alerts.extend(pipeline.finish(end));
        emit(&mut alerts, &mut out)?;
    }
    out.flush()?;
    let counts = pipeline.counts();
    let (messages, untimed, invalid_positions) = (counts.messages, counts.untimed, counts.invalid_positions);
    let kinds: Vec<String> = by_kind.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "analyze: {} lines, {messages} messages, {} vessels, {zone_count} zones, {watch_count} watch-list entries; \
         {} alerts{}{}; skipped: {undecoded} undecodable lines, {untimed} messages before any tag-block time, \
         {invalid_positions} invalid positions, {} repeated and {} out-of-order reports",
        pipeline.lines(0),
        pipeline.picture().vessels(),
        by_kind.values().sum::<u64>(),
        if kinds.is_empty() { "" } else { ": " },
        kinds.join(", "),
        pipeline.picture().skipped_repeats,
        pipeline.picture().skipped_out_of_order,
    );
    Ok(())
}

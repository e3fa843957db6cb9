//! `harborlink simulate`: reproducible traffic with ground truth, written through the AIS encoder.

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::{Context, bail};
use hl_sim::{Simulation, SimulationConfig, ZONES_GEOJSON};
use serde_json::json;

use crate::cli::SimulateArgs;

/// Parses `6h`, `90m`, `3600s`, `1d` (or plain seconds).
fn duration_s(text: &str) -> anyhow::Result<i64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let value: i64 = number.parse().with_context(|| format!("`{text}` is not a duration like 6h, 90m or 3600s"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        other => bail!("unknown duration unit `{other}` (use s, m, h or d)"),
    };
    anyhow::ensure!(value > 0, "the duration must be positive");
    Ok(value * factor)
}

fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map(|t| t.to_string()).unwrap_or_default()
}

pub fn simulate(args: &SimulateArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.region == "straits", "unknown region `{}`; only `straits` exists", args.region);
    anyhow::ensure!(args.vessels > 0, "--vessels must be at least 1");
    let config = SimulationConfig {
        vessels: args.vessels,
        duration_s: duration_s(&args.duration)?,
        seed: args.seed,
        start: args.start,
    };
    let mut simulation = Simulation::new(&config);
    let file = File::create(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut sentences = Vec::new();
    let mut written = 0u64;
    let mut progress = crate::progress::Progress::new("sentences", u64::try_from(config.duration_s).ok());
    while let Some(t) = simulation.next_sentences(config.start, &mut sentences) {
        progress.update(written, u64::try_from(t - config.start).unwrap_or(0));
        for s in sentences.drain(..) {
            out.write_all(s.as_bytes())?;
            out.write_all(b"\n")?;
            written += 1;
        }
    }
    progress.finish();
    out.flush()?;
    if let Some(path) = &args.truth {
        let mut truth =
            BufWriter::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?);
        for t in simulation.truth() {
            let line = json!({"kind": t.kind, "mmsi": t.mmsi, "mmsi_2": t.mmsi_2, "start": rfc3339(t.start), "end": rfc3339(t.end)});
            writeln!(truth, "{line}")?;
        }
        truth.flush()?;
    }
    if let Some(path) = &args.zones_out {
        std::fs::write(path, ZONES_GEOJSON).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.watchlist_out {
        std::fs::write(path, simulation.watchlist_csv()).with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!(
        "simulate: {written} sentences, {} truth events, {} s from {}",
        simulation.truth().len(),
        config.duration_s,
        rfc3339(config.start)
    );
    Ok(())
}

//! AIS decoding throughput, all decoders on the same input in the same run.

use std::hint::black_box;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

const RUNS: usize = 5;

fn best_of<F: FnMut() -> usize>(mut run: F) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut decoded = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        decoded = run();
        best = best.min(started.elapsed());
    }
    (best, decoded)
}

fn ours(lines: &[&[u8]]) -> usize {
    let mut decoder = hl_ais::Decoder::default();
    let mut decoded = 0;
    for line in lines {
        if let Ok(Some(d)) = decoder.feed(line) {
            black_box(&d.message);
            decoded += 1;
        }
    }
    decoded
}

fn ais_crate(lines: &[&[u8]]) -> usize {
    let mut parser = ais::AisParser::new();
    let mut decoded = 0;
    for line in lines {
        if let Ok(ais::AisFragments::Complete(sentence)) = parser.parse(line, true)
            && sentence.message.is_some()
        {
            black_box(&sentence);
            decoded += 1;
        }
    }
    decoded
}

fn aivdm_crate(lines: &[&str]) -> usize {
    let mut assembler = aivdm::nmea::FragmentAssembler::<2048>::new();
    let mut decoded = 0;
    for line in lines {
        let Ok(sentence) = aivdm::nmea::Sentence::parse(line) else { continue };
        let message = if sentence.fragment_count == 1 {
            aivdm::decode_payload(sentence.payload, sentence.fill_bits)
        } else {
            match assembler.push(&sentence) {
                Ok(Some(complete)) => aivdm::decode_payload(complete.armored, complete.fill_bits),
                _ => continue,
            }
        };
        if let Ok(message) = message {
            black_box(&message);
            decoded += 1;
        }
    }
    decoded
}

fn time_command(program: &str, args: &[&str], stdin_file: Option<&std::path::Path>) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let mut command = Command::new(program);
        command.args(args).stdout(Stdio::null()).stderr(Stdio::null());
        if let Some(path) = stdin_file {
            command.stdin(std::fs::File::open(path)?);
        }
        let started = Instant::now();
        let status = command.status().with_context(|| format!("running {program}"))?;
        anyhow::ensure!(status.success(), "{program} failed");
        best = best.min(started.elapsed());
    }
    Ok(best)
}

fn rate(sentences: usize, time: Duration) -> f64 {
    sentences as f64 / time.as_secs_f64()
}

pub fn run(input: &str, target: usize, binary: &str, python: &str) -> anyhow::Result<()> {
    let text = std::fs::read(input).with_context(|| format!("reading {input}"))?;
    let base: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| l.starts_with(b"!") || l.starts_with(b"\\"))
        .collect();
    let repeats = target.div_ceil(base.len().max(1));
    let lines: Vec<&[u8]> = base.iter().copied().cycle().take(base.len() * repeats).collect();
    let text_lines: Vec<&str> = lines.iter().filter_map(|l| std::str::from_utf8(l).ok()).collect();
    let n = lines.len();
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("bench.nmea");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
        for line in &lines {
            out.write_all(line)?;
            out.write_all(b"\n")?;
        }
    }
    println!("input: {input} repeated {repeats}x = {n} sentences; best of {RUNS} runs, one thread\n");
    println!("| decoder | messages | seconds | sentences/s |");
    println!("|---|---|---|---|");
    let mut library = Vec::new();
    for (name, (time, decoded)) in [
        ("hl-ais (this project)", best_of(|| ours(&lines))),
        ("ais 0.12 (crate)", best_of(|| ais_crate(&lines))),
        ("aivdm 0.3 (crate)", best_of(|| aivdm_crate(&text_lines))),
    ] {
        println!("| {name} | {decoded} | {:.3} | {:.0} |", time.as_secs_f64(), rate(n, time));
        library.push((name, rate(n, time)));
    }
    let gpsd = time_command("gpsdecode", &["-j"], Some(&file));
    if let Ok(time) = &gpsd {
        println!("| gpsdecode -j (gpsd 3.22, process) | - | {:.3} | {:.0} |", time.as_secs_f64(), rate(n, *time));
    }
    let script = "import sys\nfrom pyais.stream import FileReaderStream\nn=0\nfor m in FileReaderStream(sys.argv[1]):\n    try:\n        m.decode(); n+=1\n    except Exception:\n        pass\n";
    if let Ok(time) = time_command(python, &["-c", script, &file.to_string_lossy()], None) {
        println!("| pyais 3.3.1 (decode, process) | - | {:.3} | {:.0} |", time.as_secs_f64(), rate(n, time));
    }
    let ours_rate = library[0].1;
    let best_peer = library[1..].iter().map(|(_, r)| *r).fold(0.0, f64::max);
    println!("\nhl-ais / fastest Rust peer: {:.2}x", ours_rate / best_peer);
    let cli = time_command(binary, &["ais", "decode", &file.to_string_lossy()], None)?;
    println!("\n| end to end (read, decode, write JSON) | seconds | sentences/s |");
    println!("|---|---|---|");
    println!("| harborlink ais decode | {:.3} | {:.0} |", cli.as_secs_f64(), rate(n, cli));
    if let Ok(gpsd) = gpsd {
        println!("| gpsdecode -j | {:.3} | {:.0} |", gpsd.as_secs_f64(), rate(n, gpsd));
        println!("\nharborlink ais decode / gpsdecode -j: {:.2}x", gpsd.as_secs_f64() / cli.as_secs_f64());
    }
    Ok(())
}

//! Differential test: random valid messages of every type, decoded by us, by gpsd's gpsdecode
//! (Debian gpsd-clients 3.22) and by pyais 3.3.1, compared field by field.
//!
//! Peers are installed by `scripts/peers`. Without them the test is skipped, except under
//! `CI=true`, where it fails. `HL_DIFF_MESSAGES` sets the number of messages (default 100,000).

mod compare;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::process::{Command, Stdio};

use compare::{Report, Rng, payload_sentences, random_payload};
use serde_json::Value;

/// Says that the test skipped where the person running it sees it (`eprintln!` is captured).
fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED differential test: {why} (under CI=true this fails instead)");
}

fn peers() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let out = Command::new(root.join("scripts/peers")).stderr(Stdio::inherit()).output();
    let venv = match out {
        Ok(out) if out.status.success() => std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()),
        other => {
            assert!(!ci, "peers are required under CI: {other:?}");
            skip(&format!("scripts/peers failed: {other:?}"));
            return None;
        }
    };
    let gpsdecode = std::path::PathBuf::from("/usr/bin/gpsdecode");
    if !gpsdecode.exists() {
        assert!(!ci, "gpsdecode is required under CI");
        skip("no /usr/bin/gpsdecode");
        return None;
    }
    Some((venv.join("python"), gpsdecode))
}

/// Writes `count` messages with unique MMSIs; type 24 comes as part A then part B.
fn generate(count: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut nmea = Vec::new();
    let types: Vec<u8> = (1..=27).collect();
    for i in 0..count {
        let message_type = types[i % types.len()];
        let mmsi = 100_000_000 + i as u32;
        let parts: &[u8] = if message_type == 24 { &[0, 1] } else { &[255] };
        for &part in parts {
            let (mut bytes, mut bits) = random_payload(&mut rng, message_type);
            if message_type == 24 {
                bits = if part == 0 { 160 } else { 168 };
                bytes.resize(bits.div_ceil(8), 0);
                bytes[4] = (bytes[4] & !0b11) | part;
            }
            // MMSI: bits 8-37.
            let mut word = u64::from(bytes[1]) << 32
                | u64::from(bytes[2]) << 24
                | u64::from(bytes[3]) << 16
                | u64::from(bytes[4]) << 8;
            word = (word & !(((1u64 << 30) - 1) << 10)) | u64::from(mmsi) << 10;
            bytes[1] = (word >> 32) as u8;
            bytes[2] = (word >> 24) as u8;
            bytes[3] = (word >> 16) as u8;
            bytes[4] = (word >> 8) as u8;
            for line in payload_sentences(&bytes, bits, (i % 10) as u8) {
                nmea.extend_from_slice(line.as_bytes());
                nmea.push(b'\n');
            }
        }
    }
    nmea
}

fn by_mmsi(lines: &[u8]) -> HashMap<u64, Value> {
    let mut map: HashMap<u64, Value> = HashMap::new();
    for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let Ok(value) = serde_json::from_slice::<Value>(line) else { continue };
        let Some(mmsi) = value["mmsi"].as_u64() else { continue };
        match map.get_mut(&mmsi) {
            // pyais reports type 24 parts separately: merge them as gpsd does.
            Some(Value::Object(existing)) => {
                if let Value::Object(more) = value {
                    existing.extend(more);
                }
            }
            _ => {
                map.insert(mmsi, value);
            }
        }
    }
    map
}

fn run(program: &std::path::Path, args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    if let (Some(data), Some(mut stdin)) = (input, child.stdin.take()) {
        let data = data.to_vec();
        std::thread::spawn(move || stdin.write_all(&data));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}")).stdout
}

fn summary(name: &str, report: &Report) -> f64 {
    let disagreements = report.disagreements.len() as u64;
    let agreement = 1.0 - disagreements as f64 / report.fields.max(1) as f64;
    eprintln!(
        "{name}: {} fields compared, {disagreements} disagreements ({:.4}% agreement), tolerated by documented notation: {:?}",
        report.fields,
        agreement * 100.0,
        report.tolerated
    );
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    for d in &report.disagreements {
        let key: String = d.split(':').next().unwrap_or("").split(" mmsi").next().unwrap_or("").to_owned()
            + " "
            + d.split('`').nth(1).unwrap_or("");
        *kinds.entry(key).or_default() += 1;
    }
    for (kind, n) in kinds.iter().take(40) {
        eprintln!("  {n:>6} {kind}");
    }
    let mut shown = std::collections::BTreeSet::new();
    for d in report
        .disagreements
        .iter()
        .filter(|d| shown.insert(d.split(" mmsi").next().unwrap_or("").to_owned() + d.split('`').nth(1).unwrap_or("")))
        .take(60)
    {
        eprintln!("  e.g. {d}");
    }
    agreement
}

#[test]
fn agrees_with_gpsd_and_pyais_on_random_messages_of_every_type() {
    let Some((python, gpsdecode)) = peers() else { return };
    let count = std::env::var("HL_DIFF_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let nmea = generate(count, 0x4841_5242_4f52);
    let dir = std::env::temp_dir().join(format!("hl-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let file = dir.join("random.nmea");
    std::fs::write(&file, &nmea).unwrap_or_else(|e| panic!("{e}"));

    let ours =
        by_mmsi(&compare::decode_to_json(&nmea).iter().map(|v| v.to_string() + "\n").collect::<String>().into_bytes());
    let gpsd = by_mmsi(&run(&gpsdecode, &["-j"], Some(&nmea)));
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/pyais_decode.py");
    let pyais = by_mmsi(&run(&python, &[&script.to_string_lossy(), &file.to_string_lossy()], None));
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(ours.len(), count, "we decode every generated message");
    let (mut with_gpsd, mut with_pyais) = (Report::default(), Report::default());
    let (mut missing_gpsd, mut missing_pyais) = (0, 0);
    for (mmsi, mine) in &ours {
        match gpsd.get(mmsi) {
            Some(theirs) => with_gpsd.compare(mine, theirs),
            None => missing_gpsd += 1,
        }
        match pyais.get(mmsi) {
            Some(theirs) => {
                // Compare the fields both name; pyais has extra ones (spares, sequence numbers).
                let shared: serde_json::Map<String, Value> = theirs
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| mine.get(k.as_str()).is_some())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                with_pyais.compare(mine, &Value::Object(shared));
            }
            None => missing_pyais += 1,
        }
    }
    eprintln!(
        "{count} messages; gpsd printed {} ({missing_gpsd} missing), pyais {} ({missing_pyais} missing)",
        gpsd.len(),
        pyais.len()
    );
    let gpsd_agreement = summary("gpsd", &with_gpsd);
    let pyais_agreement = summary("pyais", &with_pyais);
    assert!(gpsd_agreement >= 0.999, "agreement with gpsd {gpsd_agreement}");
    assert!(pyais_agreement >= 0.999, "agreement with pyais {pyais_agreement}");
}

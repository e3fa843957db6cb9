//! `harborlink ais decode` as a user runs it: files and stdin, JSON out, errors counted by reason
//! and written with their line numbers, and no surrender to hostile input.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::BIN;

fn shared(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ais").join(relative)
}

fn decode_stdin(input: &[u8], extra: &[&str]) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(["ais", "decode"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let data = input.to_vec();
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let _ = writer.join();
    out
}

#[test]
fn decodes_the_gpsd_sample_to_gpsd_json_lines() {
    let out = Command::new(BIN)
        .args(["ais", "decode"])
        .arg(shared("gpsd/sample.aivdm"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 97, "as many objects as gpsdecode prints");
    let first = &lines[0];
    assert_eq!(first["class"], "AIS");
    assert_eq!((first["type"].as_u64(), first["mmsi"].as_u64()), (Some(1), Some(371_798_000)));
    assert_eq!(first["lon"].as_f64(), Some(-123.3953833));
    assert_eq!(first["speed"].as_f64(), Some(12.3));
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("messages decoded"), "{summary}");
}

#[test]
fn bad_lines_are_counted_by_reason_and_written_with_their_line_numbers() {
    let input = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B\n\
garbage here\n\
!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n\
$GPGGA,1,2,3*00\n\
!AIVDM,2,1,7,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1A\n";
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let errors = dir.path().join("errors.jsonl");
    let out = decode_stdin(input, &["-", "--errors", &errors.to_string_lossy()]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    let summary = String::from_utf8_lossy(&out.stderr);
    for expected in ["bad_checksum=1", "malformed=1", "unsupported=1", "incomplete_fragments=1"] {
        assert!(summary.contains(expected), "{expected} missing from: {summary}");
    }
    let recorded: Vec<serde_json::Value> = std::fs::read_to_string(&errors)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let lines: Vec<u64> = recorded.iter().filter_map(|r| r["line"].as_u64()).collect();
    assert_eq!(lines, [1, 2, 4, 5], "{recorded:?}");
    assert_eq!(recorded[0]["kind"], "bad_checksum");
    assert!(recorded[0]["text"].as_str().is_some_and(|t| t.starts_with("!AIVDM")));
}

#[test]
fn hostile_input_never_stops_the_decoder() {
    let mut input = Vec::new();
    input.extend_from_slice(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A\n");
    // Random binary noise, a 3 MiB line with no newline in it, then a good sentence.
    let mut state = 0x1234_5678u32;
    for _ in 0..200_000 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        input.push(state as u8);
    }
    input.push(b'\n');
    input.extend(std::iter::repeat_n(b'A', 3 << 20));
    input.push(b'\n');
    input.extend_from_slice(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A");
    let out = decode_stdin(&input, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2, "both good sentences decoded");
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("malformed="), "{summary}");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = Command::new(BIN)
        .args(["ais", "decode", "/nonexistent/traffic.nmea"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open /nonexistent/traffic.nmea"));
}

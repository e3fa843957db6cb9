//! Decodes a file many times in a loop (for profiling): `hot_loop FILE [REPEATS]`.
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_default();
    let repeats: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
    let text = std::fs::read(&path).unwrap_or_default();
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let mut decoder = hl_ais::Decoder::default();
    let mut decoded = 0usize;
    let started = std::time::Instant::now();
    for _ in 0..repeats {
        for line in &lines {
            if let Ok(Some(d)) = decoder.feed(line) {
                std::hint::black_box(&d.message);
                decoded += 1;
            }
        }
    }
    let n = lines.len() * repeats;
    eprintln!("{decoded} messages, {:.0} lines/s", n as f64 / started.elapsed().as_secs_f64());
}

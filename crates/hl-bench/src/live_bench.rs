//! `hl-bench live`: the live node under load. Streams position reports over TCP to a real
//! `harborlink serve` at a fixed rate with an SSE subscriber open, injects sentences that each
//! raise an alert (a new invalid MMSI), and measures how long each alert takes from the write
//! of its sentence to its arrival on the stream, and whether the node keeps up.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use hl_ais::encode::{SentenceOptions, to_sentences};
use hl_ais::{AisMessage, Header, PositionReport};

use crate::{BenchNode, percentile};

/// Lines written per pacing step.
const STEP: Duration = Duration::from_millis(5);

fn position(mmsi: u32, lat: f64, lon: f64, speed: f64) -> AisMessage {
    AisMessage::Position(PositionReport {
        header: Header { message_type: 1, repeat: 0, mmsi },
        status: 0,
        speed: Some(speed),
        lat: Some(lat),
        lon: Some(lon),
        course: Some(45.0),
        heading: Some(45),
        second: 0,
        ..PositionReport::default()
    })
}

fn sentence(message: &AisMessage) -> String {
    to_sentences(message, &SentenceOptions::default()).concat()
}

/// Reads the stream, noting when each alert about an MMSI arrives.
async fn read_stream(
    mut response: reqwest::Response,
    arrivals: Arc<Mutex<HashMap<u32, Instant>>>,
    events: Arc<Mutex<u64>>,
) {
    let mut buffer = String::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let now = Instant::now();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if let Ok(mut n) = events.lock() {
                *n += 1;
            }
            if !block.contains("event: alert") {
                continue;
            }
            let data = block.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("{}");
            let value: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
            if value["kind"] == "invalid_mmsi"
                && let Some(mmsi) = value["mmsi"].as_u64()
                && let Ok(mut map) = arrivals.lock()
            {
                map.entry(mmsi as u32).or_insert(now);
                if std::env::var("HL_BENCH_DEBUG").is_ok() {
                    let raised: jiff::Timestamp =
                        value["raised_at"].as_str().and_then(|t| t.parse().ok()).unwrap_or_default();
                    let lag_ms = (jiff::Timestamp::now().as_microsecond() - raised.as_microsecond()) as f64 / 1e3;
                    eprintln!("alert {mmsi}: raised->arrived {lag_ms:.1} ms");
                }
            }
        }
    }
}

pub async fn run(binary: &str, rate: u64, seconds: u64, vessels: u32, alerts_per_second: u64) -> anyhow::Result<()> {
    let feed = "[[live.feeds]]\nname = \"bench\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:0\"";
    let BenchNode { dir: _dir, mut server, base, token } = BenchNode::start(binary, feed)?;
    let http = reqwest::Client::new();
    let feeds: serde_json::Value =
        http.get(format!("{base}/api/v1/feeds")).bearer_auth(&token).send().await?.json().await?;
    let feed = feeds.as_array().and_then(|a| a.iter().find(|f| f["name"] == "bench")).context("bench feed")?;
    let address = feed["local_addr"].as_str().context("feed address")?.to_owned();

    // Traffic: `vessels` ships in open water (South China Sea), each reporting in turn.
    let total = (rate * seconds) as usize;
    eprintln!("live: encoding {total} sentences for {vessels} vessels");
    let mut traffic: Vec<String> = Vec::with_capacity(total);
    for i in 0..total {
        let v = (i as u32) % vessels;
        let round = (i as u32 / vessels) as f64;
        let lat = 5.0 + f64::from(v % 200) * 0.01 + round * 1e-5;
        let lon = 106.0 + f64::from(v / 200) * 0.01 + round * 1e-5;
        traffic.push(sentence(&position(563_000_000 + v, lat, lon, 10.0)));
    }

    let stream_query = std::env::var("HL_BENCH_STREAM_QUERY").unwrap_or_default();
    let response = http.get(format!("{base}/api/v1/stream{stream_query}")).bearer_auth(&token).send().await?;
    anyhow::ensure!(response.status().is_success(), "stream refused: {}", response.status());
    let arrivals: Arc<Mutex<HashMap<u32, Instant>>> = Arc::default();
    let events: Arc<Mutex<u64>> = Arc::default();
    let reader = tokio::spawn(read_stream(response, arrivals.clone(), events.clone()));

    // The sender runs on its own thread at a fixed pace: `rate` lines a second in steps.
    let per_step = ((rate as f64) * STEP.as_secs_f64()).round().max(1.0) as usize;
    let trigger_every = (rate / alerts_per_second.max(1)).max(1) as usize;
    let sent_at: Arc<Mutex<HashMap<u32, Instant>>> = Arc::default();
    let sent = sent_at.clone();
    let sender = std::thread::spawn(move || -> anyhow::Result<(usize, Duration, usize)> {
        let mut stream = std::net::TcpStream::connect(&address)?;
        stream.set_nodelay(true)?;
        let started = Instant::now();
        let mut next = started;
        let mut written = 0usize;
        let mut behind_steps = 0usize;
        let mut trigger = 0u32;
        let mut buffer = String::new();
        while written < traffic.len() {
            let end = (written + per_step).min(traffic.len());
            buffer.clear();
            let mut triggers = Vec::new();
            for (k, s) in traffic[written..end].iter().enumerate() {
                buffer.push_str(s);
                buffer.push_str("\r\n");
                if (written + k).is_multiple_of(trigger_every) {
                    // MID 100 is unallocated: each new such MMSI raises one invalid_mmsi alert.
                    let mmsi = 100_000_000 + trigger;
                    trigger += 1;
                    buffer.push_str(&sentence(&position(mmsi, 6.0, 107.0, 5.0)));
                    buffer.push_str("\r\n");
                    triggers.push(mmsi);
                }
            }
            stream.write_all(buffer.as_bytes())?;
            let now = Instant::now();
            if let Ok(mut map) = sent.lock() {
                for mmsi in triggers {
                    map.insert(mmsi, now);
                }
            }
            written = end;
            next += STEP;
            match next.checked_duration_since(Instant::now()) {
                Some(wait) => std::thread::sleep(wait),
                None => behind_steps += 1,
            }
        }
        Ok((written, started.elapsed(), behind_steps))
    });
    let (written, sending, behind_steps) =
        tokio::task::spawn_blocking(move || sender.join()).await?.map_err(|_| anyhow::anyhow!("sender panicked"))??;
    let triggers = sent_at.lock().map(|m| m.len()).unwrap_or(0);

    // Wait until the node has processed every line (its feed counter), then a little for alerts.
    let expected = (written + triggers) as u64;
    let drain_started = Instant::now();
    let mut processed = 0;
    while drain_started.elapsed() < Duration::from_secs(60) {
        let feeds: serde_json::Value =
            http.get(format!("{base}/api/v1/feeds")).bearer_auth(&token).send().await?.json().await?;
        processed = feeds
            .as_array()
            .and_then(|a| a.iter().find(|f| f["name"] == "bench"))
            .and_then(|f| f["lines"].as_u64())
            .unwrap_or(0);
        if processed >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained_after = drain_started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    reader.abort();
    let _ = server.kill();
    let _ = server.wait();

    let sent = sent_at.lock().map(|m| m.clone()).unwrap_or_default();
    let arrived = arrivals.lock().map(|m| m.clone()).unwrap_or_default();
    let mut latencies: Vec<Duration> =
        sent.iter().filter_map(|(mmsi, at)| arrived.get(mmsi).map(|got| got.saturating_duration_since(*at))).collect();
    latencies.sort();
    let received = latencies.len();
    if std::env::var("HL_BENCH_DEBUG").is_ok() {
        let first = sent.values().min().copied().unwrap_or_else(Instant::now);
        let mut slow: Vec<(f64, f64)> = sent
            .iter()
            .filter_map(|(m, at)| {
                arrived.get(m).map(|g| {
                    (at.duration_since(first).as_secs_f64(), g.saturating_duration_since(*at).as_secs_f64() * 1e3)
                })
            })
            .filter(|(_, l)| *l > 20.0)
            .collect();
        slow.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (t, l) in slow {
            eprintln!("slow alert sent at {t:.2}s: {l:.1} ms");
        }
    }
    println!(
        "live rate_target={rate} seconds={seconds} vessels={vessels} sentences_sent={} send_seconds={:.2} send_rate={:.0} \
         behind_steps={behind_steps} processed={processed} drained_after_ms={:.0} sustained_rate={:.0} \
         stream_events={} alerts_sent={triggers} alerts_streamed={received} \
         latency_p50_ms={:.2} latency_p99_ms={:.2} latency_max_ms={:.2}",
        written + triggers,
        sending.as_secs_f64(),
        (written + triggers) as f64 / sending.as_secs_f64(),
        drained_after.as_secs_f64() * 1e3,
        processed as f64 / (sending + drained_after).as_secs_f64(),
        events.lock().map(|n| *n).unwrap_or(0),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    anyhow::ensure!(received == triggers, "{} of {triggers} alerts never reached the stream", triggers - received);
    Ok(())
}

//! `hl-bench`: the measurements behind BENCHMARKS.md.
//!
//! - `append`: durable events per second through the node's group-committing writer, with
//!   several concurrent submitters, on SQLite (temp file) or PostgreSQL (fresh database).
//! - `read`: p50/p99 latency of `GET /api/v1/advisories/{id}` with a bearer token, under
//!   concurrent load, against the real `harborlink` binary on a loopback port.
//! - `lists`: latency of a listing page (advisories and events) for a reader who may see a few
//!   records behind many it may not, through the node's query path (in process).

mod ais_bench;
mod incidents_bench;
mod live_bench;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use hl_events::{AdvisorySeverity, NodeKey};
use hl_node::{Actor, AdvisoryDraft, Node, OrganizationDraft};
use hl_types::{DistributionScope, Nation, NodeId, OrgKind, Releasability, Role, Tlp};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Bench,
}

#[derive(Clone, Copy, ValueEnum, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Subcommand)]
enum Bench {
    /// Durable appends per second.
    Append {
        #[arg(long, value_enum)]
        backend: Backend,
        /// Concurrent submitters.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Events in total.
        #[arg(long, default_value_t = 20_000)]
        events: usize,
    },
    /// AIS decoding throughput: hl-ais against the `ais` and `aivdm` crates, gpsdecode and pyais,
    /// on the same input, plus `harborlink ais decode` end to end against `gpsdecode -j`.
    Ais {
        /// NMEA file to repeat (default: the AISHub capture in shared/).
        #[arg(long, default_value = "testdata/ais/gpsd/ais-nmea-sample.log")]
        input: String,
        /// Sentences to decode per run (the input is repeated to reach it).
        #[arg(long, default_value_t = 400_000)]
        sentences: usize,
        /// Path to the release `harborlink` binary.
        #[arg(long, default_value = "target/release/harborlink")]
        binary: String,
        /// Python with pyais installed (scripts/peers prints its venv).
        #[arg(long, default_value = "target/peers/venv/bin/python")]
        python: String,
    },
    /// Memory of the live picture: resident memory per tracked vessel (detector state and the
    /// track's latest state, static and voyage data).
    Vessels {
        #[arg(long, default_value_t = 500_000)]
        count: usize,
        /// Position reports per vessel.
        #[arg(long, default_value_t = 3)]
        reports: usize,
        /// History points kept per vessel (0: none, the latest state alone).
        #[arg(long, default_value_t = 0)]
        history_points: usize,
    },
    /// Live ingestion over TCP with the stream open: sustained rate and alert latency.
    Live {
        /// Path to the release `harborlink` binary.
        #[arg(long, default_value = "target/release/harborlink")]
        binary: String,
        /// Sentences per second to send.
        #[arg(long, default_value_t = 100_000)]
        rate: u64,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        #[arg(long, default_value_t = 20_000)]
        vessels: u32,
        /// Alert-raising sentences per second among them.
        #[arg(long, default_value_t = 20)]
        alerts_per_second: u64,
    },
    /// List latency for a reader with many hidden rows before its visible ones.
    Lists {
        #[arg(long, value_enum)]
        backend: Backend,
        /// Advisories another organization keeps to itself, published first.
        #[arg(long, default_value_t = 100_000)]
        hidden: usize,
        /// Public advisories published after them.
        #[arg(long, default_value_t = 50)]
        visible: usize,
        /// Timed page reads per listing.
        #[arg(long, default_value_t = 200)]
        rounds: usize,
    },
    /// Incidents: create, list the newest visible and the stream's delivery decision with many
    /// incidents stored and concurrent clients.
    Incidents {
        #[arg(long, value_enum)]
        backend: Backend,
        /// Incidents in the store before measuring (a third hidden from the reader).
        #[arg(long, default_value_t = 100_000)]
        seed: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 20)]
        clients: usize,
        /// Timed operations per client and kind.
        #[arg(long, default_value_t = 100)]
        rounds: usize,
    },
    /// Authenticated read latency under concurrent load.
    Read {
        /// Path to the release `harborlink` binary.
        #[arg(long, default_value = "target/release/harborlink")]
        binary: String,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
}

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

async fn fresh_pg() -> anyhow::Result<(String, String)> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(PG_ADMIN).await.context("PostgreSQL at 127.0.0.1:5432")?;
    let name = format!("hl_bench_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await?;
    Ok((format!("postgres://postgres@127.0.0.1:5432/{name}"), name))
}

async fn drop_pg(name: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(PG_ADMIN).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut conn).await?;
    Ok(())
}

async fn append(backend: Backend, concurrency: usize, events: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (url, pg_name) = match backend {
        Backend::Sqlite => (format!("sqlite://{}", dir.path().join("bench.db").display()), None),
        Backend::Postgres => {
            let (url, name) = fresh_pg().await?;
            (url, Some(name))
        }
    };
    let store = hl_store::open(&url, true, hl_node::projector()).await?;
    let key = NodeKey::generate();
    let node_id = NodeId::parse("bench")?;
    store.register_node(&node_id, &key.public(), true).await?;
    let node = Node::start(store.clone(), node_id, key);
    let org = node
        .register_organization(OrganizationDraft {
            name: "Bench Port".into(),
            kind: OrgKind::PortFacility,
            nation: Nation::parse("SG")?,
            communities: BTreeSet::new(),
        })
        .await?;
    let (user, token) = node.register_user(Actor::Operator, org.id, "bench", Role::Operator).await?;
    let subject = Arc::new(node.authenticate(&token.secret).await?);
    let _ = user;
    let releasability = Releasability::new(Tlp::Green, DistributionScope::Nation)?;
    let started = Instant::now();
    let per_task = events / concurrency;
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let node = node.clone();
        let subject = subject.clone();
        let releasability = releasability.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                let draft = AdvisoryDraft {
                    title: format!("bench {t}/{i}"),
                    body: String::from("Benchmark advisory body of a realistic, modest length."),
                    severity: AdvisorySeverity::Low,
                    releasability: releasability.clone(),
                };
                node.publish_advisory(&subject, draft).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    let total = per_task * concurrency;
    println!(
        "append backend={backend:?} concurrency={concurrency} events={total} seconds={:.2} events_per_second={:.0}",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    let report = hl_node::verify_log(store.as_ref()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("verified {} events", report.events);
    store.close().await;
    if let Some(name) = pg_name {
        drop_pg(&name).await?;
    }
    Ok(())
}

pub(crate) fn cli(binary: &str, dir: &std::path::Path, args: &[&str]) -> anyhow::Result<serde_json::Value> {
    let out = Command::new(binary).args(args).arg("--data-dir").arg(dir).env("HARBORLINK_LOG", "warn").output()?;
    if !out.status.success() {
        bail!("{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null))
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

/// A node of the release binary in a temporary data directory, with one organization and an
/// operator, serving on a random loopback port. `extra_config` is appended to its
/// configuration.
pub(crate) struct BenchNode {
    pub dir: tempfile::TempDir,
    pub server: std::process::Child,
    pub base: String,
    pub token: String,
}

impl BenchNode {
    pub(crate) fn start(binary: &str, extra_config: &str) -> anyhow::Result<Self> {
        use std::io::Write;
        let dir = tempfile::tempdir()?;
        cli(binary, dir.path(), &["init"])?;
        cli(binary, dir.path(), &["org", "add", "--name", "Bench Port", "--kind", "port_facility", "--nation", "SG"])?;
        let user =
            cli(binary, dir.path(), &["user", "add", "--org", "Bench Port", "--name", "bench", "--role", "operator"])?;
        let token = user["token"].as_str().context("token")?.to_owned();
        let mut config = std::fs::OpenOptions::new().append(true).open(dir.path().join("harborlink.toml"))?;
        writeln!(config, "\n{extra_config}")?;
        let mut server = Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("HARBORLINK_LOG", std::env::var("HL_BENCH_LOG").unwrap_or_else(|_| String::from("warn")))
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(server.stdout.take().context("stdout")?).read_line(&mut line)?;
        let base = line.trim().strip_prefix("harborlink listening on ").context("server address")?.to_owned();
        Ok(Self { dir, server, base, token })
    }
}

async fn read(binary: &str, concurrency: usize, seconds: u64) -> anyhow::Result<()> {
    let BenchNode { dir: _dir, mut server, base, token } = BenchNode::start(binary, "")?;
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..100 {
        let body = serde_json::json!({"title": format!("advisory {i}"), "severity": "low",
            "releasability": {"tlp": "GREEN", "scope": {"kind": "nation"}}});
        let reply: serde_json::Value =
            http.post(format!("{base}/api/v1/advisories")).bearer_auth(&token).json(&body).send().await?.json().await?;
        ids.push(reply["id"].as_str().context("id")?.to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let (http, base, token, ids) = (http.clone(), base.clone(), token.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = t;
            while Instant::now() < deadline {
                let url = format!("{base}/api/v1/advisories/{}", ids[i % ids.len()]);
                let started = Instant::now();
                let status = http.get(url).bearer_auth(&token).send().await?.status();
                latencies.push(started.elapsed());
                anyhow::ensure!(status.is_success(), "status {status}");
                i += 1;
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let _ = server.kill();
    all.sort();
    println!(
        "read concurrency={concurrency} seconds={seconds} requests={} rps={:.0} p50_ms={:.3} p99_ms={:.3} max_ms={:.3}",
        all.len(),
        all.len() as f64 / seconds as f64,
        percentile(&all, 0.50).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    Ok(())
}

async fn lists(backend: Backend, hidden: usize, visible: usize, rounds: usize) -> anyhow::Result<()> {
    let bench = InProcess::start(backend, &[("Hidden Port", "SG"), ("Reading Navy", "FR")], Role::Operator).await?;
    let (node, subjects) = (bench.node.clone(), bench.subjects.clone());
    let publish = |subject: Arc<hl_policy::Subject>, count: usize, releasability: Releasability| {
        let node = node.clone();
        async move {
            const CONCURRENCY: usize = 64;
            let mut tasks = Vec::new();
            for t in 0..CONCURRENCY {
                let (node, subject, releasability) = (node.clone(), subject.clone(), releasability.clone());
                tasks.push(tokio::spawn(async move {
                    for i in (t..count).step_by(CONCURRENCY) {
                        let draft = AdvisoryDraft {
                            title: format!("advisory {i}"),
                            body: String::new(),
                            severity: AdvisorySeverity::Low,
                            releasability: releasability.clone(),
                        };
                        node.publish_advisory(&subject, draft).await?;
                    }
                    anyhow::Ok(())
                }));
            }
            for task in tasks {
                task.await??;
            }
            anyhow::Ok(())
        }
    };
    let started = Instant::now();
    publish(subjects[0].clone(), hidden, Releasability::internal()).await?;
    publish(subjects[0].clone(), visible, Releasability::public()).await?;
    println!(
        "lists backend={backend:?} seeded hidden={hidden} visible={visible} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let reader = subjects[1].clone();
    let owner = subjects[0].clone();
    let report = |what: &str, mut latencies: Vec<Duration>, items: usize| {
        latencies.sort();
        println!(
            "lists backend={backend:?} hidden={hidden} {what}: items={items} p50_ms={:.2} p99_ms={:.2} max_ms={:.2}",
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
            latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        );
    };
    for (what, subject) in [("reader_advisories_page", &reader), ("owner_advisories_page", &owner)] {
        let mut latencies = Vec::with_capacity(rounds);
        let mut items = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let page = node.advisories(subject, None, 100).await?;
            latencies.push(t.elapsed());
            items = page.items.len();
        }
        report(what, latencies, items);
    }
    let mut latencies = Vec::with_capacity(rounds);
    let mut items = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let page = node.events(&reader, None, 100).await?;
        latencies.push(t.elapsed());
        items = page.items.len();
    }
    report("reader_events_page", latencies, items);
    anyhow::ensure!(
        node.advisories(&reader, None, 500).await?.items.len() == visible,
        "the reader misses visible advisories"
    );
    bench.finish().await
}

/// A node in this process on a fresh database (a temporary SQLite file, or a PostgreSQL
/// database dropped at the end), with one user of `role` in each organization `(name, nation)`.
pub(crate) struct InProcess {
    pub(crate) node: Node,
    pub(crate) subjects: Vec<Arc<hl_policy::Subject>>,
    store: Arc<dyn hl_store::Store>,
    pg_name: Option<String>,
    _dir: tempfile::TempDir,
}

impl InProcess {
    pub(crate) async fn start(backend: Backend, orgs: &[(&str, &str)], role: Role) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let (url, pg_name) = match backend {
            Backend::Sqlite => (format!("sqlite://{}", dir.path().join("bench.db").display()), None),
            Backend::Postgres => {
                let (url, name) = fresh_pg().await?;
                (url, Some(name))
            }
        };
        let store = hl_store::open(&url, true, hl_node::projector()).await?;
        let key = NodeKey::generate();
        let node_id = NodeId::parse("bench")?;
        store.register_node(&node_id, &key.public(), true).await?;
        let node = Node::start(store.clone(), node_id, key);
        let mut subjects = Vec::new();
        for (name, nation) in orgs {
            let org = node
                .register_organization(OrganizationDraft {
                    name: (*name).into(),
                    kind: OrgKind::PortFacility,
                    nation: Nation::parse(nation)?,
                    communities: BTreeSet::new(),
                })
                .await?;
            let (_, token) = node.register_user(Actor::Operator, org.id, "bench", role).await?;
            subjects.push(Arc::new(node.authenticate(&token.secret).await?));
        }
        Ok(Self { node, subjects, store, pg_name, _dir: dir })
    }

    /// Closes the database and drops a PostgreSQL one.
    pub(crate) async fn finish(self) -> anyhow::Result<()> {
        self.store.close().await;
        if let Some(name) = self.pg_name {
            drop_pg(&name).await?;
        }
        Ok(())
    }
}

/// Resident set size of this process, bytes (Linux /proc).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4096)
}

fn vessels_bench(count: usize, reports: usize, history_points: usize) -> anyhow::Result<()> {
    use hl_detect::{DetectorConfig, Picture, PositionReport, StaticReport, VesselClass, Watchlist};
    use hl_track::{Observation, TrackConfig, Tracks, Voyage};
    let before = rss_bytes();
    let mut picture = Picture::new(DetectorConfig::default(), Vec::new(), Watchlist::default());
    let mut tracks = Some(Tracks::new(TrackConfig {
        history_points_max: history_points,
        history_interval_s: 0,
        ..TrackConfig::default()
    }));
    let t0 = 1_767_571_200;
    let started = Instant::now();
    for r in 0..reports {
        for i in 0..count {
            let mmsi = 563_000_000 + i as u32;
            // Spread over a 10° x 10° box, each vessel on its own short track.
            let lat = -5.0 + (i % 1000) as f64 * 0.01 + r as f64 * 1e-4;
            let lon = 100.0 + (i / 1000) as f64 * 0.02;
            let Some(position) = hl_geo::Position::new(lat, lon) else { continue };
            if r == 0 {
                let identity = StaticReport {
                    mmsi,
                    time: t0,
                    name: Some(format!("VESSEL {i}")),
                    callsign: Some(format!("9V{i}")),
                    imo: Some(9_000_000 + i as u32),
                    ship_type: Some(70),
                    length_m: Some(180.0),
                };
                picture.observe_static(&identity);
                let voyage = Voyage {
                    destination: Some(String::from("SGSIN")),
                    eta: Some(String::from("12-02T06:30")),
                    draught_m: Some(9.5),
                    dimensions: Some((150, 30, 15, 15)),
                };
                if let Some(t) = tracks.as_mut() {
                    t.apply(
                        mmsi,
                        t0,
                        &Observation { identity: Some(identity), voyage: Some(voyage), ..Observation::default() },
                    );
                }
            }
            let report = PositionReport {
                mmsi,
                time: t0 + 10 * r as i64,
                position,
                speed: Some(12.0),
                course: Some(0.0),
                heading: Some(0),
                class: VesselClass::A,
                status: Some(0),
            };
            picture.observe_position(&report);
            if let Some(t) = tracks.as_mut() {
                t.apply(mmsi, report.time, &Observation { position: Some(report), ..Observation::default() });
            }
        }
    }
    let after = rss_bytes();
    let per_vessel = (after.saturating_sub(before)) as f64 / count as f64;
    println!(
        "vessels={} tracks={} history_points={history_points} reports_each={reports} seconds={:.2} rss_before_mb={:.1} rss_after_mb={:.1} bytes_per_vessel={per_vessel:.0} inline_detector_state_bytes={}",
        picture.vessels(),
        tracks.as_ref().map_or(0, Tracks::len),
        started.elapsed().as_secs_f64(),
        before as f64 / 1e6,
        after as f64 / 1e6,
        hl_detect::vessel_state_bytes()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Bench::Append { backend, concurrency, events } => append(backend, concurrency, events).await,
        Bench::Read { binary, concurrency, seconds } => read(&binary, concurrency, seconds).await,
        Bench::Lists { backend, hidden, visible, rounds } => lists(backend, hidden, visible, rounds).await,
        Bench::Ais { input, sentences, binary, python } => ais_bench::run(&input, sentences, &binary, &python),
        Bench::Live { binary, rate, seconds, vessels, alerts_per_second } => {
            live_bench::run(&binary, rate, seconds, vessels, alerts_per_second).await
        }
        Bench::Vessels { count, reports, history_points } => vessels_bench(count, reports, history_points),
        Bench::Incidents { backend, seed, clients, rounds } => {
            incidents_bench::run(backend, seed, clients, rounds).await
        }
    }
}

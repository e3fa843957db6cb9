//! Incident figures (issue 10): with `seed` incidents in the store (a third hidden from the
//! reader), 20 concurrent clients creating incidents, listing the 50 newest visible, and the
//! delay from a write to its delivery decision on the committed-events feed. Measured through
//! `hl-node` (the policy, the writer and the store; not HTTP).

use std::time::{Duration, Instant};

use hl_node::{Actor, IncidentCategory, IncidentDraft, IncidentLocation, IncidentSeverity, VesselLink};
use hl_store::RecordFilter;
use hl_types::{Releasability, Role};

use crate::{Backend, percentile};

fn draft(i: usize) -> IncidentDraft {
    IncidentDraft {
        category: [IncidentCategory::Stowaway, IncidentCategory::Smuggling, IncidentCategory::SuspiciousVessel][i % 3],
        severity: [IncidentSeverity::Low, IncidentSeverity::Medium, IncidentSeverity::High][i % 3],
        title: format!("incident {i}"),
        description: String::from("Two persons seen climbing the fence near gate 3."),
        occurred_at_us: 1_796_000_000_000_000 + i as i64 * 1_000_000,
        location: IncidentLocation { lat: Some(1.2 + (i % 100) as f64 * 0.001), lon: Some(103.8), facility: None },
        vessels: vec![VesselLink { mmsi: Some(563_000_000 + (i % 1000) as u32), imo: None }],
    }
}

fn report(what: &str, backend: Backend, mut latencies: Vec<Duration>) {
    latencies.sort();
    println!(
        "incidents backend={backend:?} {what}: n={} p50_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        latencies.len(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

pub async fn run(backend: Backend, seed: usize, clients: usize, rounds: usize) -> anyhow::Result<()> {
    let bench = crate::InProcess::start(
        backend,
        &[("Reporting Port", "SG"), ("Reading Coast Guard", "SG")],
        Role::SecurityOfficer,
    )
    .await?;
    let (node, subjects) = (bench.node.clone(), bench.subjects.clone());
    let (owner, reader) = (subjects[0].clone(), subjects[1].clone());
    let nation = Releasability::new(hl_types::Tlp::Green, hl_types::DistributionScope::Nation)?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    const SEEDERS: usize = 64;
    for t in 0..SEEDERS {
        let (node, owner, nation) = (node.clone(), owner.clone(), nation.clone());
        tasks.push(tokio::spawn(async move {
            for i in (t..seed).step_by(SEEDERS) {
                // Every third is the owner's alone: hidden from the reader.
                let releasability = if i % 3 == 2 { Releasability::internal() } else { nation.clone() };
                node.report_incident(&owner, draft(i), releasability).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    println!("incidents backend={backend:?} seeded={seed} in {:.1} s", started.elapsed().as_secs_f64());

    // Creating, 20 clients at once; meanwhile the committed feed's delivery decision for a
    // reader (the stream's per-subscriber check).
    let mut feed = node.committed();
    // Every timed create is released to the reader.
    let expected = (clients * rounds).min(1_000);
    let delivery = {
        let (node, reader) = (node.clone(), reader.clone());
        tokio::spawn(async move {
            let mut delays = Vec::new();
            while let Ok(event) = feed.recv().await {
                if event.record_type != hl_node::Incident::KIND_NAME {
                    continue;
                }
                let visible = node.may_read_event(&reader, &event).await.unwrap_or(false);
                let written = event.recorded_at_us;
                let now = jiff::Timestamp::now().as_microsecond();
                if visible {
                    delays.push(Duration::from_micros(u64::try_from(now - written).unwrap_or(0)));
                }
                if delays.len() >= expected {
                    break;
                }
            }
            delays
        })
    };
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (node, owner, nation) = (node.clone(), owner.clone(), nation.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for r in 0..rounds {
                let t = Instant::now();
                node.report_incident(&owner, draft(seed + c * rounds + r), nation.clone()).await?;
                latencies.push(t.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut creates = Vec::new();
    for task in tasks {
        creates.extend(task.await??);
    }
    report("create", backend, creates);
    let delays = delivery.await?;
    report("feed_delivery_decision", backend, delays);

    // Listing the 50 newest visible, 20 clients at once.
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (node, reader) = (node.clone(), reader.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for _ in 0..rounds {
                let t = Instant::now();
                let page = node.incidents(Actor::User(&reader), &RecordFilter::default(), None, 50).await?;
                latencies.push(t.elapsed());
                anyhow::ensure!(page.items.len() == 50, "a page of {} items", page.items.len());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut lists = Vec::new();
    for task in tasks {
        lists.extend(task.await??);
    }
    report("list_newest_50_visible", backend, lists);
    bench.finish().await
}

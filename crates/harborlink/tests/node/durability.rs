//! Acknowledged writes survive SIGKILL: load, kill mid-load, restart, several times; then every
//! acknowledged advisory is present and the log verifies.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, Client, Region, TestNode, id};

const KILLS: usize = 4;
const WRITERS: usize = 8;

async fn acknowledged_writes_survive_sigkill(backend: Backend) {
    let Some(mut node) = TestNode::start(backend).await else { return };
    let r = Region::create(&node);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    for round in 0..KILLS {
        let client = Client::new(&node, Some(&r.mpa_operator));
        let mut writers = Vec::new();
        for w in 0..WRITERS {
            let client = client.clone();
            let acknowledged = acknowledged.clone();
            writers.push(tokio::spawn(async move {
                for i in 0.. {
                    let body = json!({"title": format!("round {round} writer {w} #{i}"), "severity": "info",
                                      "releasability": {"tlp": "GREEN", "scope": {"kind": "nation"}}});
                    let reply =
                        tokio::time::timeout(Duration::from_secs(5), client.post("/api/v1/advisories", &body)).await;
                    match reply {
                        Ok(reply) if reply.status == 201 => {
                            if let Ok(mut acked) = acknowledged.lock() {
                                acked.push(id(&reply.body));
                            }
                        }
                        _ => break, // the server is gone
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        node.kill();
        for writer in writers {
            let _ = writer.await;
        }
        node.serve();
    }
    let acknowledged = acknowledged.lock().map(|a| a.clone()).unwrap_or_default();
    assert!(acknowledged.len() > 100, "too few writes to mean anything: {}", acknowledged.len());
    let client = Client::new(&node, Some(&r.mpa_operator));
    for advisory in &acknowledged {
        let reply = client.get(&format!("/api/v1/advisories/{advisory}")).await;
        assert_eq!(reply.status, 200, "acknowledged advisory {advisory} was lost");
    }
    let out = node.cli(&["verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    eprintln!("{backend:?}: {} acknowledged writes across {KILLS} kills all present", acknowledged.len());
}

on_both_backends!(acknowledged_writes_survive_sigkill);

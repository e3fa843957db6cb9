//! The API against its own OpenAPI document, checked by an independent tool: schemathesis
//! generates requests from the document (valid and invalid) and checks every response: no 5xx,
//! documented status codes and content types, responses matching their schemas, schema-valid
//! requests accepted and schema-invalid ones refused.

use std::process::Command;

use crate::on_both_backends;
use crate::support::{Backend, Region, TestNode};

/// Installs schemathesis through `scripts/peers`; `None` (skip) outside CI when that fails.
fn schemathesis() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(root.join("scripts/peers")).output().ok();
    match out {
        Some(out) if out.status.success() => {
            let bin = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            Some(std::path::PathBuf::from(bin).join("schemathesis"))
        }
        other => {
            let why = other.map(|o| String::from_utf8_lossy(&o.stderr).into_owned()).unwrap_or_default();
            assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "schemathesis is required under CI: {why}");
            eprintln!("skipping: cannot install schemathesis: {why}");
            None
        }
    }
}

async fn api_conforms_to_its_openapi_document(backend: Backend) {
    let Some(tool) = schemathesis() else { return };
    let Some(node) = TestNode::start(backend).await else { return };
    let region = Region::create(&node);
    let out = tokio::task::spawn_blocking({
        let spec = node.url("/api/v1/openapi.json");
        let base = node.base.clone();
        let auth = format!("Authorization: Bearer {}", region.mpa_officer);
        move || {
            Command::new(tool)
                .args(["run", &spec, "--url", &base, "-H", &auth, "--checks", "all"])
                .args(["--max-examples", "40", "--seed", "20261123", "--no-color"])
                .output()
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("run schemathesis: {e}"));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schemathesis found problems:\n{report}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("No issues found"), "{report}");
    assert!(node.cli(&["verify"]).status.success(), "the generated traffic left the log verifiable");
}

on_both_backends!(api_conforms_to_its_openapi_document);

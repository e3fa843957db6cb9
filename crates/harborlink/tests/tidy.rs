//! The architecture invariants of ARCHITECTURE.md, checked by machine so the map cannot drift
//! from the code: crate dependencies from `cargo metadata` (normal dependencies; tests and the
//! dev-only benchmark harness may use what they need) and the one-door rules in the sources.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Crates that do no I/O: decoding, detection, policy, types.
const PURE: &[&str] = &["hl-types", "hl-events", "hl-policy", "hl-ais", "hl-geo", "hl-detect", "hl-track", "hl-sim"];
/// Runtime, database and HTTP crates a pure crate must not reach, even through another crate of
/// the workspace.
const IMPURE: &[&str] = &["tokio", "sqlx", "axum", "hyper", "hyper-util", "tower", "tower-http", "reqwest"];
/// Dev-only: the benchmark harness drives databases and HTTP itself and is never shipped.
const DEV_ONLY: &[&str] = &["hl-bench"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Each workspace crate's normal dependencies, by name.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cargo metadata: {e}"));
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let mut crates = BTreeMap::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default().to_owned();
        let deps = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str().map(str::to_owned))
            .collect();
        crates.insert(name, deps);
    }
    assert!(crates.contains_key("hl-node") && crates.len() >= 14, "{:?}", crates.keys());
    crates
}

/// `name` and every workspace crate it depends on, transitively.
fn closure(crates: &BTreeMap<String, BTreeSet<String>>, name: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![name.to_owned()];
    while let Some(next) = stack.pop() {
        if seen.insert(next.clone()) {
            stack.extend(crates.get(&next).into_iter().flatten().filter(|d| crates.contains_key(*d)).cloned());
        }
    }
    seen
}

#[test]
fn pure_crates_reach_no_runtime_database_or_http_crate() {
    let crates = dependencies();
    for pure in PURE {
        for member in closure(&crates, pure) {
            let bad: Vec<_> = crates[&member].iter().filter(|d| IMPURE.contains(&d.as_str())).collect();
            assert!(bad.is_empty(), "{pure} reaches {bad:?} through {member}");
        }
    }
}

#[test]
fn only_hl_store_knows_sql_and_only_hl_api_knows_http() {
    let crates = dependencies();
    for (name, deps) in crates.iter().filter(|(n, _)| !DEV_ONLY.contains(&n.as_str())) {
        if deps.contains("sqlx") {
            assert_eq!(name, "hl-store", "{name} depends on sqlx");
        }
        for http in ["axum", "hyper", "hyper-util", "tower", "tower-http", "utoipa-axum"] {
            if deps.contains(http) {
                assert_eq!(name, "hl-api", "{name} depends on {http}");
            }
        }
    }
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root().join(dir)];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.clone(), std::fs::read_to_string(&path).unwrap_or_default()));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under {dir}");
    out
}

#[test]
fn hl_node_is_the_only_door_to_data_and_policy() {
    for (path, text) in sources("crates/hl-api/src") {
        assert!(!text.contains("hl_policy"), "{} asks the policy itself instead of hl-node", path.display());
        assert!(!text.contains(".store()"), "{} reads the store past hl-node", path.display());
    }
    for (path, text) in sources("crates/hl-live/src") {
        assert!(!text.contains(".store()"), "{} reads the store past hl-node", path.display());
    }
    for (path, text) in sources("crates/harborlink/src") {
        assert!(!text.contains("axum::"), "{} speaks HTTP outside hl-api", path.display());
    }
}

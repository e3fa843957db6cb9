//! The command line: initialization rules, configuration precedence, help, refusal of bad data
//! directories.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::{BIN, Backend, TestNode};

fn harborlink(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_remove("HARBORLINK_DATA_DIR")
        .env_remove("HARBORLINK_DATABASE")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Starts `serve` and returns the address line, then kills it.
fn serve_line(args: &[&str], envs: &[(&str, &str)]) -> String {
    let mut child = Command::new(BIN)
        .args(args)
        .envs(envs.iter().copied())
        .env_remove("HARBORLINK_DATABASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let _ = child.kill();
    let _ = child.wait();
    line
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["init", "--help"],
        vec!["serve", "--help"],
        vec!["verify", "--help"],
        vec!["rebuild", "--help"],
        vec!["org", "add", "--help"],
        vec!["org", "list", "--help"],
        vec!["org", "join", "--help"],
        vec!["user", "add", "--help"],
        vec!["token", "revoke", "--help"],
    ] {
        let out = harborlink(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"), "{args:?}");
    }
}

#[test]
fn serve_initializes_an_empty_directory_once_and_never_again() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = root.path().join("node");
    let dir_text = dir.to_string_lossy().into_owned();
    let line = serve_line(&["serve", "--data-dir", &dir_text, "--listen", "127.0.0.1:0"], &[]);
    assert!(line.starts_with("harborlink listening on http://127.0.0.1:"), "{line}");
    let key = std::fs::read_to_string(dir.join("node.key")).unwrap_or_default();
    assert_eq!(key.trim().len(), 64);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.join("node.key")).map(|m| m.permissions()).unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(mode & 0o777, 0o600, "the key file is private");
    let config = std::fs::read_to_string(dir.join("harborlink.toml")).unwrap_or_default();
    assert!(config.contains("node_id") && config.contains('#'), "a commented configuration is written");

    // A second start keeps the same identity.
    let _ = serve_line(&["serve", "--data-dir", &dir_text, "--listen", "127.0.0.1:0"], &[]);
    assert_eq!(std::fs::read_to_string(dir.join("node.key")).unwrap_or_default(), key);
    // And `init` refuses to overwrite it.
    let again = harborlink(&["init", "--data-dir", &dir_text]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

#[test]
fn damaged_data_directories_are_refused_not_reinitialized() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A non-empty directory that is not a node.
    let stranger = root.path().join("stranger");
    std::fs::create_dir_all(&stranger).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(stranger.join("notes.txt"), "mine").unwrap_or_else(|e| panic!("{e}"));
    let out = harborlink(&["serve", "--data-dir", &stranger.to_string_lossy(), "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a HarborLink data directory"));
    assert_eq!(std::fs::read_dir(&stranger).map(|d| d.count()).unwrap_or(0), 1, "nothing was written");

    // A node whose database file is garbage.
    let node = root.path().join("node");
    let node_text = node.to_string_lossy().into_owned();
    assert!(harborlink(&["init", "--data-dir", &node_text]).status.success());
    std::fs::write(node.join("harborlink.db"), b"this is not a database at all, just text padding".repeat(100))
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(node.join("harborlink.db-wal"));
    let _ = std::fs::remove_file(node.join("harborlink.db-shm"));
    for args in [vec!["serve", "--listen", "127.0.0.1:0"], vec!["verify"]] {
        let mut full = args.clone();
        full.extend(["--data-dir", &node_text]);
        let out = harborlink(&full);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot open the database"), "{args:?}: {err}");
    }
    // A node whose database is gone.
    std::fs::remove_file(node.join("harborlink.db")).unwrap_or_else(|e| panic!("{e}"));
    let out = harborlink(&["verify", "--data-dir", &node_text]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
    assert!(!node.join("harborlink.db").exists(), "no empty database was created in its place");
    // A key file that is garbage.
    let other = root.path().join("other");
    let other_text = other.to_string_lossy().into_owned();
    assert!(harborlink(&["init", "--data-dir", &other_text]).status.success());
    std::fs::write(other.join("node.key"), "xyz").unwrap_or_else(|e| panic!("{e}"));
    let out = harborlink(&["verify", "--data-dir", &other_text]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid node key"));
}

#[test]
fn settings_come_from_file_then_environment_then_flags() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = root.path().join("node");
    let dir_text = dir.to_string_lossy().into_owned();
    assert!(harborlink(&["init", "--data-dir", &dir_text]).status.success());
    let config = dir.join("harborlink.toml");
    let text = std::fs::read_to_string(&config).unwrap_or_default().replace("127.0.0.1:8080", "127.0.0.1:0");
    std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));

    let from_file = serve_line(&["serve", "--data-dir", &dir_text], &[]);
    assert!(from_file.starts_with("harborlink listening on http://127.0.0.1:"), "{from_file}");
    let from_env = serve_line(&["serve", "--data-dir", &dir_text], &[("HARBORLINK_LISTEN", "127.0.0.2:0")]);
    assert!(from_env.starts_with("harborlink listening on http://127.0.0.2:"), "{from_env}");
    let from_flag = serve_line(
        &["serve", "--data-dir", &dir_text, "--listen", "127.0.0.3:0"],
        &[("HARBORLINK_LISTEN", "127.0.0.2:0")],
    );
    assert!(from_flag.starts_with("harborlink listening on http://127.0.0.3:"), "{from_flag}");
    let bad = harborlink(&["serve", "--data-dir", &dir_text, "--listen", "not-an-address"]);
    assert!(!bad.status.success());
}

#[test]
fn json_logs_are_json_lines() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = root.path().join("node");
    let out = Command::new(BIN)
        .args(["--log-format", "json", "init", "--data-dir", &dir.to_string_lossy()])
        .env("HARBORLINK_LOG", "info")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    let parsed: serde_json::Value = serde_json::from_str(first).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert_eq!(parsed["fields"]["message"], "initialized data directory");
    assert!(
        !stderr.contains(&std::fs::read_to_string(dir.join("node.key")).unwrap_or_default().trim().to_owned()),
        "the key is never logged"
    );
}

#[tokio::test]
async fn a_postgres_node_is_chosen_by_flag() {
    let Some(node) = TestNode::init(Backend::Postgres).await else { return };
    // TestNode passes the URL through HARBORLINK_DATABASE; here the flag is used instead.
    let url = node.pg.as_ref().map(|p| p.url.clone()).unwrap_or_default();
    let out = Command::new(BIN)
        .args(["org", "list", "--data-dir", &node.data_dir().to_string_lossy(), "--database", &url])
        .env_remove("HARBORLINK_DATABASE")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!node.sqlite_path().exists(), "the PostgreSQL node has no SQLite file");
}

#[tokio::test]
async fn serving_an_empty_directory_on_postgres_records_the_database() {
    let Some(pg) = crate::support::PgDatabase::create().await else { return };
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = root.path().join("node");
    let dir_text = dir.to_string_lossy().into_owned();
    let line = serve_line(&["serve", "--data-dir", &dir_text, "--listen", "127.0.0.1:0", "--database", &pg.url], &[]);
    assert!(line.starts_with("harborlink listening on"), "{line}");
    let config = std::fs::read_to_string(dir.join("harborlink.toml")).unwrap_or_default();
    assert!(config.contains(&format!("database = \"{}\"", pg.url)), "{config}");
    assert!(!dir.join("harborlink.db").exists(), "no SQLite file beside a PostgreSQL node");
    // A later command without the flag uses the same database.
    let out = harborlink(&[
        "org",
        "add",
        "--data-dir",
        &dir_text,
        "--name",
        "Port X",
        "--kind",
        "port_facility",
        "--nation",
        "SG",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!dir.join("harborlink.db").exists());
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.join("harborlink.toml")).map(|m| m.permissions()).unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(mode & 0o777, 0o600, "the configuration may hold a password");
}

/// The data directory holds RED records and token hashes: 0700, and every file in it 0600,
/// including SQLite's `-wal` and `-shm`, even when the directory was made world-readable later.
#[test]
fn the_data_directory_and_its_files_are_private_to_the_node() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = parent.path().join("node");
    let dir_arg = dir.to_string_lossy().into_owned();
    let out = harborlink(&["init", "--data-dir", &dir_arg]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    let check = |when: &str| {
        assert_eq!(mode(&dir), 0o700, "{when}: data directory");
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")).flatten() {
            files += 1;
            assert_eq!(mode(&entry.path()), 0o600, "{when}: {}", entry.path().display());
        }
        files
    };
    assert!(check("after init") >= 3);
    // An operator loosens the modes by hand; the next start puts them back, and SQLite's -wal and
    // -shm files, present while the node serves, are private too.
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
    let _ = std::fs::set_permissions(dir.join("harborlink.db"), std::fs::Permissions::from_mode(0o644));
    let mut server = Command::new(BIN)
        .args(["serve", "--data-dir", &dir_arg, "--listen", "127.0.0.1:0"])
        .env_remove("HARBORLINK_DATABASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    if let Some(out) = server.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    let files = check("while serving");
    let _ = server.kill();
    let _ = server.wait();
    assert!(line.contains("listening"), "{line}");
    assert!(names.iter().any(|n| n.ends_with("-wal")) && files >= 5, "{names:?}");
}

/// `init --org --kind --nation --admin` leaves a node a new user can use at once: the host
/// organization, its administrator and the administrator's token, printed once; a bare `init`
/// and a `serve` without organizations print the exact next commands.
#[test]
fn init_with_the_first_organization_and_administrator_prints_a_working_token() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = root.path().join("node");
    let dir_text = dir.to_string_lossy().into_owned();
    let out = harborlink(&[
        "init",
        "--data-dir",
        &dir_text,
        "--org",
        "MPA Singapore",
        "--kind",
        "port_authority",
        "--nation",
        "SG",
        "--admin",
        "duty-admin",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(printed["user"]["role"], "administrator");
    assert_eq!(printed["organization"]["name"], "MPA Singapore");
    assert!(printed["token"]["secret"].as_str().is_some_and(|t| t.len() > 20), "{printed}");
    let user_id = printed["user"]["id"].as_str().unwrap_or_default().to_owned();
    let listed = harborlink(&["token", "list", "--data-dir", &dir_text, "--user", &user_id]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.contains(printed["token"]["token"]["id"].as_str().unwrap_or("?")), "{listed}");
    assert!(!listed.contains(printed["token"]["secret"].as_str().unwrap_or("?")), "never the secret: {listed}");
    let orgs = harborlink(&["org", "list", "--data-dir", &dir_text]);
    assert!(String::from_utf8_lossy(&orgs.stdout).contains("MPA Singapore"));
    // A refused value leaves nothing behind.
    let bad = root.path().join("bad");
    let out = harborlink(&[
        "init",
        "--data-dir",
        &bad.to_string_lossy(),
        "--org",
        "X",
        "--kind",
        "harbour_master",
        "--nation",
        "SG",
        "--admin",
        "a",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kind"));
    assert!(!bad.exists(), "nothing was created");
    // --org without the rest is refused by the argument parser.
    let out = harborlink(&["init", "--data-dir", &bad.to_string_lossy(), "--org", "X"]);
    assert!(!out.status.success() && !bad.exists());
    // A bare init says what to run next.
    let bare = root.path().join("bare");
    let out = harborlink(&["init", "--data-dir", &bare.to_string_lossy()]);
    assert!(out.status.success());
    let advice = String::from_utf8_lossy(&out.stderr);
    assert!(advice.contains("harborlink org add --data-dir") && advice.contains("harborlink user add"), "{advice}");
}

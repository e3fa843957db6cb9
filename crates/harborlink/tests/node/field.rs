//! Issue 9's field faults, each reproduced as a first real user met it: replays, restarts,
//! recordings pushed over sockets, feeds that cannot start, shutdown with clients connected, a
//! data directory whose database is gone.

use std::io::Write;
use std::time::Duration;

use hl_ais::encode::{SentenceOptions, to_sentences};
use serde_json::Value;

use crate::live::{alerts_of, feed_address, wait_for};
use crate::on_both_backends;
use crate::support::{Backend, Client, Region, TestNode, metrics, position};

/// 2012-03-14T11:00:00Z: recordings from long ago, as the public captures are.
const RECORDED: i64 = 1_331_722_800;

/// Replaces a line of the node's configuration file.
fn configure_line(node: &TestNode, line: &str, with: &str) {
    let path = node.data_dir().join("harborlink.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let needle = format!("\n{line}\n");
    assert!(text.contains(&needle), "no line {line:?} in {text}");
    std::fs::write(&path, text.replacen(&needle, &format!("\n{with}\n"), 1)).unwrap_or_else(|e| panic!("{e}"));
}

/// Appends TOML to the node's configuration file.
fn configure(node: &TestNode, toml: &str) {
    let path = node.data_dir().join("harborlink.toml");
    let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap_or_else(|e| panic!("{e}"));
    writeln!(file, "{toml}").unwrap_or_else(|e| panic!("{e}"));
}

/// A recording with tag-block times from `RECORDED`: vessel 563300001 reporting every 10 s for
/// 20 minutes (steady: silence after it would be a gap on the wall clock) and one report from
/// MMSI 12345 (an invalid MMSI: one alert per replay).
fn recording() -> String {
    recording_of(563_300_001, true)
}

fn recording_of(mmsi: u32, with_invalid: bool) -> String {
    let mut text = String::new();
    let mut add = |message, time| {
        let options = SentenceOptions { source: Some("rx-1"), time: Some(time), ..SentenceOptions::default() };
        for line in to_sentences(&message, &options) {
            text.push_str(&line);
            text.push('\n');
        }
    };
    if with_invalid {
        add(position(12_345, 1.22, 103.85, 3.0), RECORDED);
    }
    for i in 0..120 {
        add(position(mmsi, 1.21, 103.70 + f64::from(i) * 0.0005, 10.0), RECORDED + i64::from(i) * 10);
    }
    text
}

/// Runs `serve` on the node's directory, which must refuse to start: its error output. Fails
/// (rather than hangs) when a node starts after all.
async fn refused_to_serve(node: &TestNode) -> String {
    let mut server = node
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let started = std::time::Instant::now();
    let status = loop {
        if let Ok(Some(status)) = server.try_wait() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(15) {
            let _ = server.kill();
            let _ = server.wait();
            panic!("the node started");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = server.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    assert!(!status.success(), "{stderr}");
    stderr
}

async fn feed(operator: &Client, name: &str) -> Value {
    let feeds = operator.get("/api/v1/feeds").await.body;
    feeds.as_array().and_then(|a| a.iter().find(|f| f["name"] == name)).cloned().unwrap_or_default()
}

async fn alert_count(operator: &Client, kind: &str) -> usize {
    alerts_of(&operator.get(&format!("/api/v1/alerts?kind={kind}")).await.body, kind).len()
}

/// A file feed replays on the recording's clock (no gap for a vessel whose recording simply
/// ends, however old) and, after a restart, resumes where it was instead of replaying (and
/// alerting) again.
async fn a_file_replay_runs_on_its_own_clock_and_resumes_after_a_restart(backend: Backend) {
    let Some(mut node) = TestNode::init(backend).await else { return };
    let region = Region::create(&node);
    let path = node.data_dir().join("recording.nmea");
    std::fs::write(&path, recording()).unwrap_or_else(|e| panic!("{e}"));
    configure_line(&node, "sweep_secs = 10", "sweep_secs = 1");
    configure(
        &node,
        &format!(
            "[[live.feeds]]\nname = \"replay\"\nkind = \"file\"\npath = \"{}\"\n\
             pace = {{ recorded = {{ speed = 600.0 }} }}",
            path.display()
        ),
    );
    node.serve();
    let operator = Client::new(&node, Some(&region.mpa_operator));
    wait_for("the replay to finish", async || feed(&operator, "replay").await["state"] == "finished").await;
    wait_for("the invalid MMSI alert", async || alert_count(&operator, "invalid_mmsi").await == 1).await;
    // Several sweeps later, still no gap: the recording's clock ended with the vessel's reports.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(alert_count(&operator, "ais_gap").await, 0);
    assert_eq!(feed(&operator, "replay").await["time"], "tag");
    node.terminate();
    node.serve();
    let operator = Client::new(&node, Some(&region.mpa_operator));
    wait_for("the feed to see it is done", async || feed(&operator, "replay").await["state"] == "finished").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(alert_count(&operator, "invalid_mmsi").await, 1, "the file was not replayed again");
    assert_eq!(feed(&operator, "replay").await["messages"], 0, "nothing read after the restart");
    // The file replaced by another recording: replayed from its start.
    std::fs::write(&path, recording_of(563_300_003, true)).unwrap_or_else(|e| panic!("{e}"));
    node.terminate();
    node.serve();
    let operator = Client::new(&node, Some(&region.mpa_operator));
    wait_for("the new file to be replayed", async || feed(&operator, "replay").await["messages"] == 121).await;
}

/// A recording pushed over a listener keeps its times when the feed says `time = "tag"`; with
/// the default (`auto`) day-old tag times give way to the time of reception.
async fn a_recording_pushed_over_a_socket_keeps_its_times_with_time_tag(backend: Backend) {
    let Some(mut node) = TestNode::init(backend).await else { return };
    let region = Region::create(&node);
    configure(
        &node,
        "[[live.feeds]]\nname = \"recorded\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:0\"\ntime = \"tag\"\n\n\
         [[live.feeds]]\nname = \"live\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:0\"",
    );
    node.serve();
    let operator = Client::new(&node, Some(&region.mpa_operator));
    for name in ["recorded", "live"] {
        let address = feed_address(&operator, name).await;
        let mut socket = std::net::TcpStream::connect(&address).unwrap_or_else(|e| panic!("{e}"));
        let text = if name == "live" { recording_of(563_300_002, false) } else { recording_of(563_300_001, false) };
        socket.write_all(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    }
    wait_for("both vessels", async || {
        operator.get("/api/v1/vessels/563300001").await.status == 200
            && operator.get("/api/v1/vessels/563300002").await.status == 200
    })
    .await;
    wait_for("the recorded vessel's last report", async || {
        let vessel = operator.get("/api/v1/vessels/563300001").await.body;
        vessel["position_time"].as_str() == Some("2012-03-14T11:19:50Z")
    })
    .await;
    let track = operator.get("/api/v1/vessels/563300001/track").await.body;
    let points = track["geometry"]["coordinates"].as_array().map_or(0, Vec::len);
    assert!(points > 1, "the recording's track has its points: {track}");
    let live = operator.get("/api/v1/vessels/563300002").await.body;
    let year = live["position_time"].as_str().unwrap_or_default().get(..4).unwrap_or_default().to_owned();
    assert_ne!(year, "2012", "auto: day-old tag times give way to reception: {live}");
    assert_eq!(feed(&operator, "recorded").await["time"], "tag");
    assert_eq!(feed(&operator, "live").await["time"], "auto");
}

/// A feed that cannot start (its port is taken) is `failed` with the reason in the API and in
/// `/metrics`, and the node is not ready.
async fn a_feed_that_cannot_start_is_failed_and_the_node_not_ready(backend: Backend) {
    let Some(mut node) = TestNode::init(backend).await else { return };
    let region = Region::create(&node);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let address = taken.local_addr().unwrap_or_else(|e| panic!("{e}"));
    configure(
        &node,
        &format!(
            "[[live.feeds]]\nname = \"blocked\"\nkind = \"tcp_listener\"\nlisten = \"{address}\"\n\n\
             [[live.feeds]]\nname = \"fine\"\nkind = \"udp\"\nlisten = \"127.0.0.1:0\""
        ),
    );
    node.serve();
    let operator = Client::new(&node, Some(&region.mpa_operator));
    wait_for("the feed to fail", async || feed(&operator, "blocked").await["state"] == "failed").await;
    let blocked = feed(&operator, "blocked").await;
    assert!(blocked["error"].as_str().is_some_and(|e| e.contains("in use")), "{blocked}");
    assert_eq!(feed(&operator, "fine").await["state"], "running");
    let ready = Client::new(&node, None).get("/readyz").await;
    assert_eq!(ready.status, 503, "{:?}", ready.body);
    assert_eq!(ready.body["code"], "feed_failed");
    assert!(ready.body["detail"].as_str().is_some_and(|d| d.contains("blocked") && !d.contains("fine")));
    let text = metrics(&node, &region.mpa_admin).await;
    assert!(text.contains("harborlink_feed_up{feed=\"blocked\"} 0"), "{text}");
    assert!(text.contains("harborlink_feed_up{feed=\"fine\"} 1"), "{text}");
    drop(taken);
}

/// Ctrl-C with stream clients connected ends the node within a bounded time (streams closed,
/// picture saved), and while a node runs, a second one on its data directory refuses to start.
async fn ctrl_c_ends_the_node_with_streams_open_and_a_second_node_is_refused(backend: Backend) {
    let Some((mut node, region)) = crate::live::live_node(backend, "").await else { return };
    let operator = Client::new(&node, Some(&region.mpa_operator));
    let lines = crate::live::nmea(&[position(563_400_001, 1.2, 103.9, 8.0), position(563_400_002, 1.21, 103.9, 8.0)]);
    let posted =
        operator.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", lines.into_bytes()))).await;
    assert_eq!(posted.status, 200, "{:?}", posted.body);
    let _first = crate::live::sse(&node, &region.mpa_operator, "").await;
    let _second = crate::live::sse(&node, &region.mpa_officer, "?vessels=false").await;
    // A second node on the same data directory.
    let stderr = refused_to_serve(&node).await;
    assert!(stderr.contains("in use by another harborlink process"), "{stderr}");
    // Ctrl-C with both streams open.
    let started = std::time::Instant::now();
    let exited = node.interrupt_within(Duration::from_secs(20));
    assert!(exited.is_some_and(|s| s.success()), "the node did not end on Ctrl-C: {exited:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "streams end at once; took {:?}", started.elapsed());
    // The picture was saved: both vessels are there after a restart.
    node.serve();
    let operator = Client::new(&node, Some(&region.mpa_operator));
    assert_eq!(operator.get("/api/v1/vessels/563400002").await.status, 200);
}

/// The stream's per-vessel throttle keeps the newest state: of three reports half a second
/// apart, the last reaches the stream when the interval ends; a quiet stream gets keep-alive
/// comments (proxies close silent connections).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_throttle_keeps_the_newest_position_and_quiet_streams_are_kept_alive() {
    let Some((node, region)) = crate::live::live_node(Backend::Sqlite, "").await else { return };
    let operator = Client::new(&node, Some(&region.mpa_operator));
    let mut reader = crate::live::sse(&node, &region.mpa_operator, "?alerts=false").await;
    for lon in [103.90, 103.91, 103.92] {
        let lines = crate::live::nmea(&[position(563_500_001, 1.2, lon, 8.0)]);
        let posted = operator
            .send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", lines.into_bytes())))
            .await;
        assert_eq!(posted.status, 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let events = reader
        .collect_until(Duration::from_secs(5), |events| {
            events.iter().any(|(name, v)| name == "vessel" && v["properties"]["lon"].as_f64() == Some(103.92))
        })
        .await;
    let lons: Vec<f64> = events
        .iter()
        .filter(|(name, _)| name == "vessel")
        .filter_map(|(_, v)| v["properties"]["lon"].as_f64().or(v["lon"].as_f64()))
        .collect();
    assert_eq!(lons.first(), Some(&103.90), "{events:?}");
    assert_eq!(lons.last(), Some(&103.92), "the newest state is sent when the interval ends: {events:?}");
    assert!(lons.len() <= 2, "at most one update per vessel per interval: {lons:?}");
    assert!(reader.comment_within(Duration::from_secs(17)).await, "no keep-alive on a quiet stream");
}

/// An initialized data directory whose database is missing, empty or holds no node is an error
/// for every command, saying what is wrong; nothing is recreated.
async fn an_emptied_database_is_an_error_for_every_command_and_never_recreated(backend: Backend) {
    let Some(node) = TestNode::init(backend).await else { return };
    let _region = Region::create(&node);
    let wiped = match backend {
        Backend::Sqlite => {
            std::fs::write(node.sqlite_path(), b"").unwrap_or_else(|e| panic!("{e}"));
            "is empty (0 bytes)"
        }
        Backend::Postgres => {
            node.execute_sql("DELETE FROM nodes").await;
            "holds no HarborLink node"
        }
    };
    for args in [&["verify"][..], &["org", "list"]] {
        let out = node.cli(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded on an emptied database");
        assert!(stderr.contains(wiped) && stderr.contains("backup"), "{args:?}: {stderr}");
        assert!(!stderr.contains("log intact"), "{stderr}");
    }
    let stderr = refused_to_serve(&node).await;
    assert!(stderr.contains(wiped) && stderr.contains("backup"), "serve: {stderr}");
    if backend == Backend::Sqlite {
        let size = std::fs::metadata(node.sqlite_path()).map(|m| m.len()).unwrap_or(u64::MAX);
        assert_eq!(size, 0, "nothing was recreated in the emptied file");
        std::fs::remove_file(node.sqlite_path()).unwrap_or_else(|e| panic!("{e}"));
        let out = node.cli(&["verify"]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("is missing"), "{out:?}");
        assert!(!node.sqlite_path().exists(), "nothing was recreated");
        // Another program's SQLite database in its place: refused, and left as it was.
        {
            use sqlx::Connection;
            let url = format!("sqlite://{}?mode=rwc", node.sqlite_path().display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
            sqlx::query("CREATE TABLE t (x INTEGER)").execute(&mut conn).await.unwrap_or_else(|e| panic!("{e}"));
            conn.close().await.unwrap_or_else(|e| panic!("{e}"));
        }
        let out = node.cli(&["verify"]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("holds no HarborLink node"), "{out:?}");
        let tables = node.execute_sql("SELECT name FROM sqlite_master WHERE name = '_sqlx_migrations'").await;
        assert_eq!(tables, 0, "the foreign database was not migrated");
    }
}

/// Logs: no colour codes when stderr is not a terminal; the shutdown says how many vessels the
/// picture holds; a database error says SQLite's message once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_plain_off_a_terminal_and_say_each_thing_once() {
    let Some((mut node, region)) = crate::live::live_node(Backend::Sqlite, "").await else { return };
    let operator = Client::new(&node, Some(&region.mpa_operator));
    let lines = crate::live::nmea(&[position(563_600_001, 1.2, 103.9, 8.0), position(563_600_002, 1.21, 103.9, 8.0)]);
    let posted =
        operator.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", lines.into_bytes()))).await;
    assert_eq!(posted.status, 200);
    // Saved once by a snapshot or not: the shutdown reports the picture's size either way.
    node.terminate();
    let mut server = node
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .env("HARBORLINK_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stdout = std::io::BufReader::new(server.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap_or_else(|e| panic!("{e}"));
    assert!(line.starts_with("harborlink listening on"), "{line}");
    let _ = std::process::Command::new("kill").args(["-INT", &server.id().to_string()]).status();
    let out = server.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains('\u{1b}'), "colour codes off a terminal: {log}");
    let saved = log.lines().find(|l| l.contains("picture saved")).unwrap_or_else(|| panic!("{log}"));
    assert!(saved.contains("vessels=2"), "{saved}");
    // A database that is not one: SQLite's message once, not three times.
    std::fs::write(node.sqlite_path(), b"not a database at all, but long enough to be read as one by sqlite")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = node.cli(&["org", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.matches("file is not a database").count(), 1, "{err}");
}

on_both_backends!(
    review_regressions_hold,
    an_emptied_database_is_an_error_for_every_command_and_never_recreated,
    ctrl_c_ends_the_node_with_streams_open_and_a_second_node_is_refused,
    a_file_replay_runs_on_its_own_clock_and_resumes_after_a_restart,
    a_recording_pushed_over_a_socket_keeps_its_times_with_time_tag,
    a_feed_that_cannot_start_is_failed_and_the_node_not_ready,
);

/// What cannot be true or changes nothing is refused, with the field named: an empty or
/// all-null advisory patch, a patch to the values already there, an IMO number with a bad check
/// digit, an MMSI of two digits, a duplicate watch-list entry, a zone kind outside the list, and
/// an unknown key at the top of `harborlink.toml`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_refuses_what_changes_nothing_or_cannot_be_true() {
    let Some(mut node) = TestNode::start(Backend::Sqlite).await else { return };
    let region = Region::create(&node);
    let operator = Client::new(&node, Some(&region.mpa_operator));
    let green = serde_json::json!({"tlp": "GREEN", "scope": {"kind": "nation"}});
    let created = operator
        .post(
            "/api/v1/advisories",
            &serde_json::json!({"title": "Skiffs", "body": "Two skiffs.", "severity": "high", "releasability": green}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let path = format!("/api/v1/advisories/{}", crate::support::id(&created.body));
    for patch in [
        serde_json::json!({}),
        serde_json::json!({"title": null}),
        serde_json::json!({"title": "Skiffs", "severity": "high"}),
    ] {
        let refused = operator.patch(&path, &patch).await;
        assert_eq!((refused.status, refused.body["field"].as_str()), (422, Some("/")), "{patch}: {:?}", refused.body);
    }
    assert_eq!(operator.get(&path).await.body["revision"], 1, "no revision was recorded");
    assert_eq!(operator.patch(&path, &serde_json::json!({"title": "Three skiffs"})).await.status, 200);

    let entry = |body: serde_json::Value| {
        let mut body = body;
        body["reason"] = "suspected smuggling".into();
        body["releasability"] = serde_json::json!({"tlp": "AMBER", "scope": {"kind": "organization"}});
        body
    };
    for (body, field) in [(serde_json::json!({"imo": 9_134_271}), "/imo"), (serde_json::json!({"mmsi": 12}), "/mmsi")] {
        let refused = operator.post("/api/v1/watchlist", &entry(body.clone())).await;
        assert_eq!((refused.status, refused.body["field"].as_str()), (422, Some(field)), "{body}: {:?}", refused.body);
    }
    let first = operator.post("/api/v1/watchlist", &entry(serde_json::json!({"imo": 9_134_270}))).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let again = operator.post("/api/v1/watchlist", &entry(serde_json::json!({"imo": 9_134_270}))).await;
    assert_eq!(again.status, 409, "{:?}", again.body);
    // Another organization may watch the same vessel.
    let klang = Client::new(&node, Some(&region.klang_operator));
    assert_eq!(klang.post("/api/v1/watchlist", &entry(serde_json::json!({"imo": 9_134_270}))).await.status, 201);

    let square = serde_json::json!({"type": "Polygon", "coordinates": [[[103.8, 1.2], [103.81, 1.2], [103.81, 1.21], [103.8, 1.2]]]});
    let zone = serde_json::json!({
        "feature": {"type": "Feature", "properties": {"name": "Fruit", "kind": "banana"}, "geometry": square},
        "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}},
    });
    let refused = operator.post("/api/v1/zones", &zone).await;
    assert_eq!(
        (refused.status, refused.body["field"].as_str()),
        (422, Some("/feature/properties/kind")),
        "{:?}",
        refused.body
    );

    node.terminate();
    // At the top of the file, outside every section.
    let config = node.data_dir().join("harborlink.toml");
    let text = std::fs::read_to_string(&config).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&config, format!("listne = \"127.0.0.1:9\"\n{text}")).unwrap_or_else(|e| panic!("{e}"));
    let stderr = refused_to_serve(&node).await;
    assert!(stderr.contains("unknown field") && stderr.contains("listne"), "{stderr}");
    // A detector threshold no detector can work with (the file ends in its `[detect]` section).
    std::fs::write(&config, format!("{text}jump_speed_kn = -1.0\n")).unwrap_or_else(|e| panic!("{e}"));
    let stderr = refused_to_serve(&node).await;
    assert!(stderr.contains("invalid [detect] setting: jump_speed_kn"), "{stderr}");
}

/// Finding things: vessels by name, call sign and MMSI prefix; an area across the antimeridian;
/// alerts by severity, zone and area, with the zone's name; a user's tokens for them and their
/// administrators; and a secret pasted where an id belongs never comes back in the error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vessels_alerts_and_tokens_can_be_found_and_secrets_are_never_echoed() {
    let Some((node, region)) = crate::live::live_node(Backend::Sqlite, "").await else { return };
    let operator = Client::new(&node, Some(&region.mpa_operator));
    let officer = Client::new(&node, Some(&region.mpa_officer));
    let zone = officer
        .post(
            "/api/v1/zones",
            &serde_json::json!({
                "feature": {"type": "Feature", "properties": {"name": "Security Zone South", "kind": "restricted"},
                    "geometry": {"type": "Polygon", "coordinates": [[[103.85, 1.15], [103.95, 1.15], [103.95, 1.25], [103.85, 1.25], [103.85, 1.15]]]}},
                "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}},
            }),
        )
        .await;
    assert_eq!(zone.status, 201, "{:?}", zone.body);
    let zone_id = crate::support::id(&zone.body);
    let mut stream = crate::live::sse(&node, &region.mpa_officer, "?vessels=false").await;
    let lines = crate::live::nmea(&[
        crate::live::static_data(563_808_000, "EVER DIADEM"),
        position(563_808_000, 1.20, 103.90, 6.0),
        crate::live::static_data(533_111_000, "KOTA RAJA"),
        position(533_111_000, 3.00, 101.30, 12.0),
        position(412_000_001, 0.50, 179.90, 9.0),
        position(412_000_002, -0.50, -179.90, 9.0),
    ]);
    let posted =
        operator.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", lines.into_bytes()))).await;
    assert_eq!(posted.status, 200, "{:?}", posted.body);
    let mmsis = |reply: &crate::support::Reply| -> Vec<u64> {
        reply.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["properties"]["mmsi"].as_u64().or(v["mmsi"].as_u64()))
            .collect()
    };
    assert_eq!(mmsis(&operator.get("/api/v1/vessels?q=ever%20diadem").await), [563_808_000]);
    assert_eq!(mmsis(&operator.get("/api/v1/vessels?q=kota").await), [533_111_000]);
    assert_eq!(mmsis(&operator.get("/api/v1/vessels?q=5638").await), [563_808_000]);
    assert_eq!(mmsis(&operator.get("/api/v1/vessels?q=9V2001").await), [533_111_000, 563_808_000], "call sign");
    assert_eq!(operator.get("/api/v1/vessels?q=ever&bbox=0,0,1,1").await.status, 400);
    assert_eq!(operator.get("/api/v1/vessels?q=%20%20").await.status, 400);
    // An area across the antimeridian: the two vessels on either side of it, and no other.
    assert_eq!(mmsis(&operator.get("/api/v1/vessels?bbox=-10,170,10,-170").await), [412_000_001, 412_000_002]);

    wait_for("the zone entry", async || {
        !alerts_of(&officer.get("/api/v1/alerts?kind=zone_entry").await.body, "zone_entry").is_empty()
    })
    .await;
    let streamed = stream
        .collect_until(Duration::from_secs(5), |events| events.iter().any(|(_, a)| a["kind"] == "zone_entry"))
        .await;
    let entry = streamed.iter().find(|(_, a)| a["kind"] == "zone_entry").map(|(_, a)| a.clone()).unwrap_or_default();
    assert_eq!(entry["zone_name"], "Security Zone South", "on the stream too: {streamed:?}");
    let by_zone = officer.get(&format!("/api/v1/alerts?zone={zone_id}")).await;
    let entries = alerts_of(&by_zone.body, "zone_entry");
    assert_eq!(entries.len(), 1, "{:?}", by_zone.body);
    assert_eq!(entries[0]["zone_name"], "Security Zone South");
    assert_eq!(alerts_of(&officer.get("/api/v1/alerts?severity=high").await.body, "zone_entry").len(), 1);
    assert!(alerts_of(&officer.get("/api/v1/alerts?severity=low").await.body, "zone_entry").is_empty());
    assert_eq!(alerts_of(&officer.get("/api/v1/alerts?bbox=1.0,103.8,1.3,104.0").await.body, "zone_entry").len(), 1);
    assert!(alerts_of(&officer.get("/api/v1/alerts?bbox=10,10,11,11").await.body, "zone_entry").is_empty());
    assert_eq!(officer.get("/api/v1/alerts?severity=urgent").await.status, 400);

    // Tokens: a user's own, and their administrator's view of them; never the secrets.
    let me = operator.get("/api/v1/me").await.body;
    let user_id = me["user"]["id"].as_str().unwrap_or_default().to_owned();
    let own = operator.get(&format!("/api/v1/users/{user_id}/tokens")).await;
    assert_eq!(own.status, 200, "{:?}", own.body);
    assert_eq!(own.body.as_array().map(Vec::len), Some(1));
    assert!(!own.body.to_string().contains(&region.mpa_operator), "a secret in a token list");
    let admin = Client::new(&node, Some(&region.mpa_admin));
    assert_eq!(admin.get(&format!("/api/v1/users/{user_id}/tokens")).await.status, 200);
    let outsider = Client::new(&node, Some(&region.navy_fr_admin));
    assert_eq!(outsider.get(&format!("/api/v1/users/{user_id}/tokens")).await.status, 404);
    // A secret where a token id belongs: refused without repeating it.
    let pasted = operator.delete(&format!("/api/v1/tokens/{}", region.mpa_viewer)).await;
    assert_eq!(pasted.status, 400);
    assert!(!pasted.body.to_string().contains(&region.mpa_viewer), "{:?}", pasted.body);
    let out = node.cli(&["token", "revoke", &region.mpa_viewer]);
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&region.mpa_viewer), "{out:?}");
}

/// Regressions from the adversarial review of issue 9: a hidden zone of another organization
/// never exempts positions from the node's own alerts; concurrent state changes give one winner
/// and a 409; unknown feed keys and non-string zone kinds are refused; acknowledgements take an
/// optional note, strictly; secrets are not echoed by the CLI.
async fn review_regressions_hold(backend: Backend) {
    let Some((mut node, region)) = crate::live::live_node(backend, "").await else { return };
    let operator = Client::new(&node, Some(&region.mpa_operator));
    let officer = Client::new(&node, Some(&region.mpa_officer));
    let klang = Client::new(&node, Some(&region.klang_operator));
    // Klang's own berth zone in Bavaria, visible to Klang only.
    let hidden = klang
        .post(
            "/api/v1/zones",
            &serde_json::json!({
                "feature": {"type": "Feature", "properties": {"name": "Hidden berth", "kind": "berth"},
                    "geometry": {"type": "Polygon", "coordinates": [[[9.9, 47.9], [10.1, 47.9], [10.1, 48.1], [9.9, 48.1], [9.9, 47.9]]]}},
                "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}},
            }),
        )
        .await;
    assert_eq!(hidden.status, 201, "{:?}", hidden.body);
    let lines = crate::live::nmea(&[position(563_700_001, 48.0, 10.0, 0.0), position(563_700_002, 48.5, 10.5, 0.0)]);
    let posted =
        operator.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", lines.into_bytes()))).await;
    assert_eq!(posted.status, 200);
    wait_for("both inland positions reported", async || {
        let on_land = alerts_of(&operator.get("/api/v1/alerts?kind=position_on_land").await.body, "position_on_land");
        on_land.iter().any(|a| a["mmsi"] == 563_700_001) && on_land.iter().any(|a| a["mmsi"] == 563_700_002)
    })
    .await;

    // Two status changes at once: one wins, the other is told so.
    let lines = crate::live::nmea(&[position(12_345, 1.2, 103.9, 5.0)]);
    operator.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", lines.into_bytes()))).await;
    wait_for("the invalid MMSI alert", async || {
        !alerts_of(&operator.get("/api/v1/alerts?kind=invalid_mmsi").await.body, "invalid_mmsi").is_empty()
    })
    .await;
    let alert = alerts_of(&operator.get("/api/v1/alerts?kind=invalid_mmsi").await.body, "invalid_mmsi")[0].clone();
    let path = format!("/api/v1/alerts/{}", crate::support::id(&alert));
    let (dismiss, escalate) = (format!("{path}/dismiss"), format!("{path}/escalate"));
    let (reason, note) = (serde_json::json!({"reason": "r1"}), serde_json::json!({"note": "r2"}));
    let (a, b) = tokio::join!(operator.post(&dismiss, &reason), officer.post(&escalate, &note));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{:?} / {:?}", a.body, b.body);
    let kept = operator.get(&path).await.body;
    assert_eq!(kept["handling"].as_array().map(Vec::len), Some(1), "{kept}");
    // Four identical watch-list entries at once: one is created.
    let entry = serde_json::json!({"mmsi": 563_000_777, "reason": "r",
        "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}}});
    let (r1, r2, r3, r4) = tokio::join!(
        operator.post("/api/v1/watchlist", &entry),
        operator.post("/api/v1/watchlist", &entry),
        operator.post("/api/v1/watchlist", &entry),
        operator.post("/api/v1/watchlist", &entry),
    );
    let replies = [r1, r2, r3, r4];
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());

    // Acknowledgement: an optional note, kept; unknown fields and duplicate keys refused.
    let lines = crate::live::nmea(&[position(54_321, 1.2, 103.95, 5.0)]);
    operator.send(reqwest::Method::POST, "/api/v1/ais/sentences", Some(("text/plain", lines.into_bytes()))).await;
    wait_for("a second invalid MMSI alert", async || {
        alerts_of(&operator.get("/api/v1/alerts?kind=invalid_mmsi&mmsi=54321").await.body, "invalid_mmsi").len() == 1
    })
    .await;
    let second =
        alerts_of(&operator.get("/api/v1/alerts?kind=invalid_mmsi&mmsi=54321").await.body, "invalid_mmsi")[0].clone();
    let ack = format!("/api/v1/alerts/{}/acknowledge", crate::support::id(&second));
    assert_eq!(operator.post(&ack, &serde_json::json!({"zzz": 1})).await.status, 422);
    let raw = operator
        .send(reqwest::Method::POST, &ack, Some(("application/json", br#"{"note":"a","note":"b"}"#.to_vec())))
        .await;
    assert_eq!(raw.status, 400, "{:?}", raw.body);
    let acked = operator.post(&ack, &serde_json::json!({"note": "pilot boat sent"})).await;
    assert_eq!(acked.status, 200, "{:?}", acked.body);
    assert_eq!(acked.body["handling"][0]["reason"], "pilot boat sent");

    // A zone kind that is not a string.
    let zone = serde_json::json!({
        "feature": {"type": "Feature", "properties": {"name": "Seven", "kind": 7},
            "geometry": {"type": "Polygon", "coordinates": [[[103.8, 1.2], [103.81, 1.2], [103.81, 1.21], [103.8, 1.2]]]}},
        "releasability": {"tlp": "AMBER", "scope": {"kind": "organization"}},
    });
    let refused = operator.post("/api/v1/zones", &zone).await;
    assert_eq!((refused.status, refused.body["field"].as_str()), (422, Some("/feature/properties/kind")));

    // The CLI never repeats a secret given where an organization belongs.
    let out = node.cli(&["user", "add", "--org", &region.mpa_viewer, "--name", "x", "--role", "viewer"]);
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&region.mpa_viewer), "{out:?}");
    let out = node.cli(&["org", "join", "--org", "MPA Singapore", "--community", &region.mpa_viewer]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&region.mpa_viewer), "{out:?}");

    // A misspelt key in a feed is refused, not ignored.
    node.terminate();
    configure(
        &node,
        "\n[[live.feeds]]\nname = \"typo\"\nkind = \"udp\"\nlisten = \"127.0.0.1:0\"\ntme = \"reception\"",
    );
    let stderr = refused_to_serve(&node).await;
    assert!(stderr.contains("unknown key `tme` in live.feeds"), "{stderr}");
}

/// A receiver that goes quiet raises one `feed_silent` alert naming the feed (kept in the API),
/// and no gap for the vessels it carried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_receiver_is_one_feed_silent_alert_naming_it() {
    let Some(mut node) = TestNode::init(Backend::Sqlite).await else { return };
    let region = Region::create(&node);
    configure_line(&node, "sweep_secs = 10", "sweep_secs = 1");
    // The file ends in its `[detect]` section.
    configure(&node, "feed_silent_seconds = 1\ngap_seconds_min = 3\ngap_intervals = 0.3\ngap_reports_before_min = 2");
    configure(&node, "\n[[live.feeds]]\nname = \"north-rx\"\nkind = \"tcp_listener\"\nlisten = \"127.0.0.1:0\"");
    node.serve();
    let operator = Client::new(&node, Some(&region.mpa_operator));
    let address = feed_address(&operator, "north-rx").await;
    let mut socket = std::net::TcpStream::connect(&address).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..25 {
        let lines = crate::live::nmea(&[position(563_900_001 + (i % 3), 1.2, 103.9 + f64::from(i) * 0.0001, 5.0)]);
        socket.write_all(lines.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_for("the feed_silent alert", async || {
        !alerts_of(&operator.get("/api/v1/alerts?kind=feed_silent").await.body, "feed_silent").is_empty()
    })
    .await;
    let silent = alerts_of(&operator.get("/api/v1/alerts?kind=feed_silent").await.body, "feed_silent");
    assert_eq!(silent.len(), 1, "{silent:?}");
    assert_eq!((silent[0]["feed"].as_str(), silent[0]["mmsi"].as_u64()), (Some("north-rx"), Some(0)));
    // Past every vessel's gap threshold (3 s): their silence is the feed's.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(alerts_of(&operator.get("/api/v1/alerts?kind=ais_gap").await.body, "ais_gap").is_empty());
    drop(socket);
}

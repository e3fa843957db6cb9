//! Test support: real `harborlink` processes on random loopback ports, over SQLite or a fresh
//! PostgreSQL database per test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_harborlink");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per back end for each `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::support::Backend::Sqlite).await }) +
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::support::Backend::Postgres).await }) +
        }
    };
}

fn admin_url() -> String {
    std::env::var("HARBORLINK_TEST_PG").unwrap_or_else(|_| String::from("postgres://postgres@127.0.0.1:5432/postgres"))
}

/// A PostgreSQL database that exists for one test and is dropped afterwards.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    /// Creates a fresh database. Without PostgreSQL the test is skipped, except under `CI=true`,
    /// where it fails.
    pub async fn create() -> Option<Self> {
        use sqlx::Connection;
        let admin = admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(conn) => conn,
            Err(err) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("PostgreSQL is required under CI=true but unreachable at {admin}: {err}");
                }
                skip(&format!("PostgreSQL unreachable at {admin}: {err}"));
                return None;
            }
        };
        let name = format!("hl_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("create database: {e}"));
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(Self { url: format!("{base}/{name}"), name })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any runtime we may block, so clean up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// A node's data directory and database, able to start and stop its server.
pub struct TestNode {
    pub dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
    server: Option<Child>,
    pub base: String,
}

impl TestNode {
    /// An initialized node that is not serving yet. `None` when the back end is unavailable
    /// outside CI.
    pub async fn init(backend: Backend) -> Option<Self> {
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create().await?),
        };
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let node = Self { dir, pg, server: None, base: String::new() };
        let out = node.cli(&["init", "--node-id", "test-node"]);
        assert!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
        Some(node)
    }

    /// An initialized, serving node.
    pub async fn start(backend: Backend) -> Option<Self> {
        let mut node = Self::init(backend).await?;
        node.serve();
        Some(node)
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The command with this node's data directory and database configured through the
    /// environment, as an operator would.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).env("HARBORLINK_DATA_DIR", self.data_dir()).env("HARBORLINK_LOG", "warn");
        match &self.pg {
            Some(pg) => cmd.env("HARBORLINK_DATABASE", &pg.url),
            None => cmd.env_remove("HARBORLINK_DATABASE"),
        };
        cmd
    }

    /// Runs a CLI command to completion.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("run {args:?}: {e}"))
    }

    /// Runs a CLI command that must succeed and print one JSON object.
    pub fn cli_json(&self, args: &[&str]) -> Value {
        let out = self.cli(args);
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e})"))
    }

    /// Starts the server on a random loopback port and waits until it listens.
    pub fn serve(&mut self) {
        assert!(self.server.is_none(), "already serving");
        let mut child = self
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn serve: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap_or_else(|e| panic!("read serve output: {e}"));
        let address = line.trim().strip_prefix("harborlink listening on ").unwrap_or_else(|| {
            let _ = child.kill();
            panic!("server did not start: {line:?}")
        });
        self.base = address.to_owned();
        self.server = Some(child);
    }

    /// Stops the server with SIGTERM and waits for its graceful shutdown.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let _ = child.wait();
        }
    }

    /// Sends the server SIGINT (Ctrl-C) and waits at most `limit` for it to exit; `None` (and the
    /// server killed) when it did not.
    pub fn interrupt_within(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.server.take()?;
        let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Kills the server with SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir().join("harborlink.db")
    }

    /// Runs one SQL statement directly against the node's database (to tamper with it).
    pub async fn execute_sql(&self, sql: &str) -> u64 {
        use sqlx::Connection;
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.pg {
            Some(pg) => {
                let mut conn = sqlx::PgConnection::connect(&pg.url).await.unwrap_or_else(|e| panic!("{e}"));
                sqlx::query(sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{e}")).rows_affected()
            }
            None => {
                let url = format!("sqlite://{}", self.sqlite_path().display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
                sqlx::query(sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{e}")).rows_affected()
            }
        }
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP client acting with one token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// A response's status and JSON body (`Null` when there is none).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl Client {
    pub fn new(node: &TestNode, token: Option<&str>) -> Self {
        Self { http: reqwest::Client::new(), base: node.base.clone(), token: token.map(str::to_owned) }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<(&str, Vec<u8>)>) -> Reply {
        self.try_send(method, path, body).await.unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Like `send`, but a failed connection is returned rather than a panic.
    pub async fn try_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Reply, reqwest::Error> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let bytes = response.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Reply { status, content_type, body })
    }

    /// A GET whose body is bytes: status, headers (lowercase names), body.
    pub async fn http_get_bytes(&self, path: &str) -> (u16, std::collections::HashMap<String, String>, Vec<u8>) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        (status, headers, response.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, json: &Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(("application/json", json.to_string().into_bytes()))).await
    }

    pub async fn patch(&self, path: &str, json: &Value) -> Reply {
        self.send(reqwest::Method::PATCH, path, Some(("application/json", json.to_string().into_bytes()))).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

/// Organizations and users of a small region, created through the CLI.
pub struct Region {
    /// Singapore port authority, in community straits-psg: an administrator, an operator, a
    /// security officer and a viewer.
    pub mpa: Value,
    pub mpa_admin: String,
    pub mpa_operator: String,
    pub mpa_officer: String,
    pub mpa_viewer: String,
    pub police_sg_operator: String,
    /// A Malaysian port in the community.
    pub klang: Value,
    pub klang_operator: String,
    /// A French navy unit: neither same nation nor community.
    pub navy_fr: Value,
    pub navy_fr_admin: String,
}

fn token_of(user: &Value) -> String {
    user["token"]["secret"].as_str().unwrap_or_else(|| panic!("no token in {user}")).to_owned()
}

impl Region {
    pub fn create(node: &TestNode) -> Self {
        let org = |name: &str, kind: &str, nation: &str, community: Option<&str>| {
            let mut args = vec!["org", "add", "--name", name, "--kind", kind, "--nation", nation];
            if let Some(c) = community {
                args.extend(["--community", c]);
            }
            node.cli_json(&args)
        };
        let user = |org: &str, name: &str, role: &str| {
            token_of(&node.cli_json(&["user", "add", "--org", org, "--name", name, "--role", role]))
        };
        let mpa = org("MPA Singapore", "port_authority", "SG", Some("straits-psg"));
        org("Police Coast Guard SG", "police", "SG", None);
        let klang = org("Port Klang Authority", "port_authority", "MY", Some("straits-psg"));
        let navy_fr = org("Marine nationale FFSA", "navy", "FR", None);
        Self {
            mpa_admin: user("MPA Singapore", "ada", "administrator"),
            mpa_operator: user("MPA Singapore", "oscar", "operator"),
            mpa_officer: user("MPA Singapore", "sofia", "security_officer"),
            mpa_viewer: user("MPA Singapore", "victor", "viewer"),
            police_sg_operator: user("Police Coast Guard SG", "paul", "operator"),
            klang_operator: user("Port Klang Authority", "kamal", "operator"),
            navy_fr_admin: user("Marine nationale FFSA", "nadia", "administrator"),
            mpa,
            klang,
            navy_fr,
        }
    }
}

pub fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_else(|| panic!("no id in {value}")).to_owned()
}

/// A Class A position report (type 1), under way, as test traffic.
pub fn position(mmsi: u32, lat: f64, lon: f64, speed: f64) -> hl_ais::AisMessage {
    hl_ais::AisMessage::Position(hl_ais::PositionReport {
        header: hl_ais::Header { message_type: 1, repeat: 0, mmsi },
        status: 0,
        turn: hl_ais::Turn::NotAvailable,
        speed: Some(speed),
        accuracy: true,
        lon: Some(lon),
        lat: Some(lat),
        course: Some(90.0),
        heading: Some(90),
        second: 0,
        maneuver: 0,
        raim: false,
        radio: 0,
    })
}

/// Says that a test skipped, and why, where the person running the tests sees it: `cargo test`
/// captures `eprintln!` of passing tests, but not writes to the process's stderr itself.
pub fn skip(why: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why} (under CI=true this fails instead)");
}

/// The node's `/metrics` text, read as the host organization's administrator (`token`).
pub async fn metrics(node: &TestNode, token: &str) -> String {
    let reply = reqwest::Client::new()
        .get(node.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reply.status(), 200, "metrics as the node's administrator");
    reply.text().await.unwrap_or_default()
}

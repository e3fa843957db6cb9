//! Layered settings: built-in defaults, then the data directory's `harborlink.toml`, then
//! `HARBORLINK_*` environment variables, then command-line flags (each overriding the one before).

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The default address: loopback only, so a fresh node is never exposed by accident.
pub const LISTEN_DEFAULT: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// This node's id among partners.
    pub node_id: String,
    /// Address the API listens on.
    pub listen: SocketAddr,
    /// Database URL; absent means the SQLite file in the data directory.
    pub database: Option<String>,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Longest a request may take.
    pub request_timeout_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            node_id: String::new(),
            listen: LISTEN_DEFAULT.parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080))),
            database: None,
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
        }
    }
}

/// Flag values that override the rest when given.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

const ENV_KEYS: &[&str] = &["node_id", "listen", "database", "body_limit_bytes", "request_timeout_secs"];

/// Reads the layers in order of precedence.
pub fn load(config_file: &Path, overrides: &Overrides) -> anyhow::Result<Settings> {
    let settings: Settings = Figment::new()
        .merge(Serialized::defaults(Settings::default()))
        .merge(Toml::file_exact(config_file))
        .merge(Env::prefixed("HARBORLINK_").only(ENV_KEYS))
        .merge(Serialized::defaults(overrides))
        .extract()
        .with_context(|| format!("invalid configuration (file {})", config_file.display()))?;
    anyhow::ensure!(!settings.node_id.is_empty(), "`node_id` is not set in {}", config_file.display());
    Ok(settings)
}

/// The commented configuration file `init` writes.
pub fn template(node_id: &str, database: Option<&str>) -> String {
    let database = match database {
        Some(url) => format!("database = \"{}\"", url.replace('\\', "\\\\").replace('"', "\\\"")),
        None => String::from("# database = \"postgres://harborlink@127.0.0.1/harborlink\""),
    };
    format!(
        r#"# HarborLink node configuration.
# Precedence: this file, then HARBORLINK_* environment variables (e.g. HARBORLINK_LISTEN),
# then command-line flags.

# This node's id among federating partners. It is part of every event this node signs:
# do not change it once the node has written events.
node_id = "{node_id}"

# Address the API listens on. Loopback by default; put a TLS-terminating proxy in front
# before exposing it.
listen = "{LISTEN_DEFAULT}"

# Database URL. Without it, the node uses the SQLite file harborlink.db in this directory.
{database}

# Largest accepted request body, in bytes.
body_limit_bytes = 1048576

# Longest a request may take before it is answered 408, in seconds.
request_timeout_secs = 30
"#
    )
}

//! The data directory: `harborlink.toml`, `node.key` (the Ed25519 seed, mode 0600) and, for the
//! embedded default, `harborlink.db`. A directory is initialized only when missing or empty; a
//! non-empty one that is not a complete node is refused, never re-initialized.
//!
//! The directory holds TLP:RED records and token hashes, so it is private to the node's user
//! whatever the umask: the directory is 0700 and every file in it 0600, set at initialization and
//! enforced again each time the directory is opened (SQLite gives its `-wal` and `-shm` files the
//! database file's mode, so a 0600 database keeps them private too).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use hl_events::NodeKey;
use hl_node::Node;
use hl_store::Store;
use hl_types::NodeId;

use crate::cli::NodeArgs;
use crate::settings::{self, Overrides, Settings};

pub const CONFIG_FILE: &str = "harborlink.toml";
pub const KEY_FILE: &str = "node.key";
pub const DB_FILE: &str = "harborlink.db";
/// Held (an exclusive advisory lock) by the node serving the directory.
pub const LOCK_FILE: &str = "harborlink.lock";

/// Takes the data directory for one serving node: a second `serve` on it (which would share
/// the database and the feeds' ports) is refused while the lock file is locked. The lock lasts
/// as long as the returned file is open, and the operating system releases it when the process
/// ends, however it ends.
pub fn lock(dir: &Path) -> anyhow::Result<fs::File> {
    let path = dir.join(LOCK_FILE);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(FILE_MODE)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => bail!(
            "the data directory {} is in use by another harborlink process (it holds {}); stop that node first",
            dir.display(),
            path.display()
        ),
        Err(fs::TryLockError::Error(err)) => Err(err).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// Whether `dir` is missing or has no entries.
pub fn is_vacant(dir: &Path) -> anyhow::Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e).with_context(|| format!("cannot read data directory {}", dir.display())),
    }
}

fn sqlite_url(dir: &Path) -> anyhow::Result<String> {
    let absolute = std::path::absolute(dir.join(DB_FILE)).context("cannot resolve the data directory")?;
    Ok(format!("sqlite://{}", absolute.display()))
}

/// Creates a node in a missing or empty directory.
pub async fn init(dir: &Path, node_id: Option<&str>, database: Option<&str>) -> anyhow::Result<()> {
    if !is_vacant(dir)? {
        bail!("{} is not empty: refusing to initialize over existing data", dir.display());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    make_private(dir)?;
    let key = NodeKey::generate();
    let node_id = match node_id {
        Some(id) => NodeId::parse(id)?,
        None => NodeId::parse(&format!("node-{}", &key.public().to_string()[..12]))?,
    };
    write_new(&dir.join(KEY_FILE), &format!("{}\n", key.to_hex()), 0o600)?;
    // 0600: the configuration may hold a database URL with its password.
    write_new(&dir.join(CONFIG_FILE), &settings::template(node_id.as_str(), database), 0o600)?;
    let settings = settings::load(&dir.join(CONFIG_FILE), &Overrides::default())?;
    let url = match &settings.database {
        Some(url) => url.clone(),
        None => {
            // Created here with mode 0600, before SQLite would create it with 0644.
            write_new(&dir.join(DB_FILE), "", FILE_MODE)?;
            sqlite_url(dir)?
        }
    };
    let store = hl_store::open(&url, true, hl_node::projector())
        .await
        .with_context(|| format!("cannot create the database at {}", redact(&url)))?;
    store.register_node(&node_id, &key.public(), true).await?;
    store.close().await;
    tracing::info!(node_id = %node_id, public_key = %key.public(), dir = %dir.display(), "initialized data directory");
    Ok(())
}

/// The data directory's mode: the node's user only.
const DIR_MODE: u32 = 0o700;
/// The mode of every file in the data directory.
const FILE_MODE: u32 = 0o600;

/// Sets the directory to [`DIR_MODE`] and every file directly in it to [`FILE_MODE`].
fn make_private(dir: &Path) -> anyhow::Result<()> {
    fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
        .with_context(|| format!("cannot make {} private", dir.display()))?;
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_file() && meta.permissions().mode() & 0o777 != FILE_MODE {
            fs::set_permissions(entry.path(), fs::Permissions::from_mode(FILE_MODE))
                .with_context(|| format!("cannot make {} private", entry.path().display()))?;
        }
    }
    Ok(())
}

fn write_new(path: &Path, contents: &str, mode: u32) -> anyhow::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// Hides the password of a database URL for logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Refuses a directory that is not an initialized node's (before anything is written to it).
pub fn check_node_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        bail!("data directory {} does not exist (run `harborlink init --data-dir {}`)", dir.display(), dir.display());
    }
    if !dir.join(CONFIG_FILE).is_file() || !dir.join(KEY_FILE).is_file() {
        bail!("{} is not a HarborLink data directory: {} or {} is missing", dir.display(), CONFIG_FILE, KEY_FILE);
    }
    Ok(())
}

/// A node's files, read and checked.
pub struct Opened {
    pub settings: Settings,
    pub key: NodeKey,
    pub node_id: NodeId,
    pub store: Arc<dyn Store>,
}

/// Opens an initialized data directory and its database, checking the database belongs to it.
pub async fn open(args: &NodeArgs, overrides: Overrides) -> anyhow::Result<Opened> {
    let dir: PathBuf = args.data_dir.clone();
    let config_file = dir.join(CONFIG_FILE);
    let key_file = dir.join(KEY_FILE);
    check_node_dir(&dir)?;
    make_private(&dir)?;
    let overrides = Overrides { database: args.database.clone().or(overrides.database), ..overrides };
    let settings = settings::load(&config_file, &overrides)?;
    let node_id = NodeId::parse(&settings.node_id).context("invalid node_id in the configuration")?;
    let key_text = fs::read_to_string(&key_file).with_context(|| format!("cannot read {}", key_file.display()))?;
    let key =
        NodeKey::from_hex(&key_text).with_context(|| format!("{} is not a valid node key", key_file.display()))?;
    let url = match &settings.database {
        Some(url) => url.clone(),
        None => {
            let db = dir.join(DB_FILE);
            let size = fs::metadata(&db).map(|m| m.len()).ok();
            match size {
                None => bail!(
                    "the database {} is missing: this data directory's node has no data; restore the file from a \
                     backup (nothing is recreated over the existing node key)",
                    db.display()
                ),
                Some(0) => bail!(
                    "the database {} is empty (0 bytes): this data directory's node has lost its data; restore the \
                     file from a backup (nothing is recreated over the existing node key)",
                    db.display()
                ),
                Some(_) => {}
            }
            sqlite_url(&dir)?
        }
    };
    let store = hl_store::open(&url, false, hl_node::projector())
        .await
        .with_context(|| format!("cannot open the database at {}", redact(&url)))?;
    match store.local_node().await.context("cannot read the node registry")? {
        Some((id, public)) if id == node_id && public == key.public() => {}
        Some((id, _)) => bail!("the database belongs to node `{id}`, not to this data directory's node `{node_id}`"),
        // Never adopted: an initialized directory whose database holds no node has lost its
        // data (or points at the wrong database), and a new empty node under the old id would
        // make every token fail and the log start over. A node moves to PostgreSQL by `init
        // --database`.
        None => bail!(
            "the database at {} holds no HarborLink node (it is empty or not this node's): refusing to start an \
             empty node under `{node_id}`; restore the database from a backup, or initialize a new data directory \
             with `harborlink init --database URL`",
            redact(&url)
        ),
    }
    Ok(Opened { settings, key, node_id, store })
}

impl Opened {
    /// Starts the node's writer.
    pub fn start(self) -> (Settings, Node) {
        let node = Node::start(self.store, self.node_id, self.key);
        (self.settings, node)
    }
}

//! SQLite: the embedded default. WAL mode with `synchronous=FULL`, so a committed append survives
//! a process kill and a power cut.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::StoreError;

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections in the pool; SQLite serializes writers anyway, readers run in parallel under WAL.
const POOL_CONNECTIONS_MAX: u32 = 8;

/// The SQLite store.
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    pub(crate) projector: std::sync::Arc<dyn crate::RecordProjector>,
}

impl SqliteStore {
    /// Opens (and with `create`, creates) the database file and migrates it.
    pub async fn open(
        url: &str,
        create: bool,
        projector: std::sync::Arc<dyn crate::RecordProjector>,
    ) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(POOL_CONNECTIONS_MAX).connect_with(options).await?;
        if !create {
            // An existing node's file has HarborLink's schema history; anything else (another
            // program's database, an empty one) is refused as it is, not migrated into a node.
            let known: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_one(&pool)
            .await?;
            if known == 0 {
                return Err(StoreError::NotHarborLink);
            }
        }
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool, projector })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        // IMMEDIATE takes the write lock up front, so reading the chain head and appending after
        // it cannot interleave with another writer (another process included).
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

/// SQLite numbers parameters `?N`; the shared SQL is written with PostgreSQL's `$N`.
fn sql(text: &'static str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text.replace('$', "?"))
}

/// [`sql`] for text assembled at run time (placeholders only, never input).
fn sql_owned(text: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text.replace('$', "?"))
}

crate::sql::sql_store!(SqliteStore, sqlx::Sqlite, crate::Backend::Sqlite, sql, "");

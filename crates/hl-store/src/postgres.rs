//! PostgreSQL, for nodes that want a database server. Chain-head locking uses `SELECT ... FOR
//! UPDATE`, so concurrent writers queue behind each other per origin.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::StoreError;

const POOL_CONNECTIONS_MAX: u32 = 16;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL store.
pub struct PostgresStore {
    pub(crate) pool: PgPool,
    pub(crate) projector: std::sync::Arc<dyn crate::RecordProjector>,
}

impl PostgresStore {
    /// Connects and migrates; without `create`, only a database that already has HarborLink's
    /// schema history (anything else is refused unchanged).
    pub async fn open(
        url: &str,
        create: bool,
        projector: std::sync::Arc<dyn crate::RecordProjector>,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_CONNECTIONS_MAX)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        if !create {
            let known: bool =
                sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL").fetch_one(&pool).await?;
            if !known {
                return Err(StoreError::NotHarborLink);
            }
        }
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self { pool, projector })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

fn sql(text: &'static str) -> sqlx::AssertSqlSafe<&'static str> {
    sqlx::AssertSqlSafe(text)
}

/// [`sql`] for text assembled at run time (placeholders only, never input).
fn sql_owned(text: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text)
}

crate::sql::sql_store!(PostgresStore, sqlx::Postgres, crate::Backend::Postgres, sql, " FOR UPDATE");

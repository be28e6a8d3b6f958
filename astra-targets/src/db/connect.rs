//! Opening a database from its URL, and the connections behind it.

use std::collections::HashSet;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::{PoolConnection, PoolOptions};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Pool, Postgres, Sqlite};
use tokio::sync::{Mutex, MutexGuard};

use super::{dialect, dispatch, schema};
use crate::column::SqlDialect;
use crate::{Error, Result};

/// The database used when none is named: a SQLite file `astra.db` in the working folder.
pub const DEFAULT_URL: &str = "sqlite://astra.db";

/// How long a SQLite writer waits for another process's write lock before retrying.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// How many times a transaction is retried after a lock conflict or deadlock.
const RETRIES: u32 = 60;

/// A database holding task and result tables: SQLite or PostgreSQL, chosen by its URL.
///
/// Cheap to share by reference across tasks of one process; each process opens its own.
pub struct Database {
    url: String,
    pub(crate) inner: Inner,
    /// Result tables (with their column lists) already checked by this process.
    ensured: std::sync::Mutex<HashSet<String>>,
    /// SQLite files: a private connection for single existence checks.
    pub(crate) sqlite_lookup: Option<super::sqlite_lookup::SqliteLookup>,
}

/// The backend's connections.
pub(crate) enum Inner {
    Sqlite(Pools<Sqlite>),
    Postgres(Pools<Postgres>),
}

/// A connection pool plus one connection held across lookups (a pool round trip costs
/// more than an indexed lookup).
pub(crate) struct Pools<DB: sqlx::Database> {
    pub pool: Pool<DB>,
    held: Mutex<Option<PoolConnection<DB>>>,
}

impl<DB: sqlx::Database> Pools<DB> {
    /// Opens a pool of up to four connections.
    async fn open(
        options: <DB::Connection as sqlx::Connection>::Options,
        action: impl FnOnce() -> String,
    ) -> Result<Self> {
        let pool = PoolOptions::<DB>::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| Error::Database {
                action: action(),
                source,
            })?;
        Ok(Pools {
            pool,
            held: Mutex::new(None),
        })
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("url", &self.url).finish()
    }
}

impl Database {
    /// Opens the database at `url`, creating the task tables when missing.
    ///
    /// - `sqlite://PATH` (relative) or `sqlite:///ABSOLUTE/PATH`: the file is created when
    ///   missing; WAL journal, a busy timeout, foreign keys on.
    /// - `postgres://...` or `postgresql://...`: a PostgreSQL server.
    pub async fn connect(url: &str) -> Result<Database> {
        let bad = |reason: String| Error::DatabaseUrl {
            url: url.to_string(),
            reason,
        };
        let action = || format!("connecting to {url}");
        let mut lookup_file = None;
        let inner = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| bad(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .statement_cache_capacity(256)
                // 64 MiB of page cache per connection: bulk writes spill less.
                .pragma("cache_size", "-65536")
                .page_size(16384);
            if !url.contains(":memory:") && !url.contains("mode=memory") {
                lookup_file = Some(options.get_filename().to_path_buf());
            }
            Inner::Sqlite(Pools::open(options, action).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| bad(e.to_string()))?;
            Inner::Postgres(Pools::open(options, action).await?)
        } else {
            return Err(bad("is neither sqlite://PATH nor postgres://... ".into()));
        };
        let mut db = Database {
            url: url.to_string(),
            inner,
            sqlite_lookup: None,
            ensured: Default::default(),
        };
        dispatch!(db, p => schema::create_task_tables(p).await)?;
        db.sqlite_lookup = lookup_file.and_then(|f| super::sqlite_lookup::SqliteLookup::open(&f));
        Ok(db)
    }

    /// Opens the default database, [`DEFAULT_URL`].
    pub async fn connect_default() -> Result<Database> {
        Database::connect(DEFAULT_URL).await
    }

    /// The URL the database was opened from.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The backend's SQL dialect.
    pub fn dialect(&self) -> SqlDialect {
        match self.inner {
            Inner::Sqlite(_) => SqlDialect::Sqlite,
            Inner::Postgres(_) => SqlDialect::Postgres,
        }
    }

    /// Closes every connection (waiting for them to be returned).
    pub async fn close(&self) {
        if let Some(lookup) = &self.sqlite_lookup {
            lookup.close();
        }
        dispatch!(self, p => {
            p.held.lock().await.take();
            p.pool.close().await
        })
    }

    /// Makes sure the result table of `meta` exists and has its columns, once per process.
    pub(crate) async fn ensure_results(&self, meta: &crate::TaskMeta) -> Result<()> {
        let key = schema::table_key(meta);
        if self.ensured.lock().expect("schema cache").contains(&key) {
            return Ok(());
        }
        dispatch!(self, p => schema::ensure_result_table(p, meta).await)?;
        self.ensured.lock().expect("schema cache").insert(key);
        Ok(())
    }
}

/// A connection for reading: the held one when free, else one from the pool.
pub(crate) enum ReadConn<'a, DB: sqlx::Database> {
    Held(MutexGuard<'a, Option<PoolConnection<DB>>>),
    Pooled(PoolConnection<DB>),
}

impl<DB: sqlx::Database> Pools<DB> {
    /// A connection for reads.
    pub(crate) async fn read_conn(&self) -> Result<ReadConn<'_, DB>> {
        let acquire = |e| Error::Database {
            action: "acquiring a connection".into(),
            source: e,
        };
        match self.held.try_lock() {
            Ok(mut guard) => {
                if guard.is_none() {
                    *guard = Some(self.pool.acquire().await.map_err(acquire)?);
                }
                Ok(ReadConn::Held(guard))
            }
            Err(_) => Ok(ReadConn::Pooled(self.pool.acquire().await.map_err(acquire)?)),
        }
    }
}

impl<DB: sqlx::Database> Deref for ReadConn<'_, DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match self {
            ReadConn::Held(g) => g.as_ref().expect("held connection"),
            ReadConn::Pooled(c) => c,
        }
    }
}

impl<DB: sqlx::Database> DerefMut for ReadConn<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            ReadConn::Held(g) => g.as_mut().expect("held connection"),
            ReadConn::Pooled(c) => c,
        }
    }
}

/// Wraps a driver error with what was being done.
pub(crate) fn db_err(action: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error {
    let action = action.into();
    move |source| Error::Database { action, source }
}

/// Runs a write transaction, again after a lock conflict or deadlock (with a growing
/// pause), so concurrent writers all finish.
pub(crate) async fn with_retry<R, F, Fut>(mut attempt: F) -> Result<R>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<R>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(Error::Database { source, .. }) if dialect::retryable(&source) && tries < RETRIES => {
                tries += 1;
                let pause = 5 * u64::from(tries.min(20)) + u64::from(std::process::id() % 7);
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            other => return other,
        }
    }
}

//! [`Database`]: opening a database from its URL and options, and what it keeps open.

use std::collections::HashMap;

use super::dispatch::{Inner, dispatch};
use super::error::redact;
use super::options::ConnectOptions;
use super::schema;
use crate::column::SqlDialect;
use crate::{Error, Result};

/// The database used when none is named: a SQLite file `astra.db` in the working folder.
pub const DEFAULT_URL: &str = "sqlite://astra.db";

/// A database holding task and result tables: SQLite or PostgreSQL, chosen by its URL.
///
/// Cheap to share by reference across tasks of one process; each process opens its own.
pub struct Database {
    url: String,
    read_only: bool,
    pub(crate) inner: Inner,
    /// Result tables (keyed with their column lists) already checked by this process, and
    /// whether they exist (a database opened read-only may lack one).
    ensured: std::sync::Mutex<HashMap<String, bool>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("url", &redact(&self.url))
            .field("read_only", &self.read_only)
            .finish()
    }
}

impl ConnectOptions {
    /// Opens the database: see [`Database::connect`]. Opened read-only, nothing is
    /// created.
    pub async fn connect(mut self) -> Result<Database> {
        // A SQLite URL may ask for a read-only open itself.
        if self.url.starts_with("sqlite:")
            && ["mode=ro", "immutable=1", "immutable=true"]
                .iter()
                .any(|p| self.url.contains(p))
        {
            self.read_only = true;
        }
        let inner = Inner::open(&self).await?;
        let db = Database {
            url: self.url,
            read_only: self.read_only,
            inner,
            ensured: Default::default(),
        };
        if !db.read_only {
            dispatch!(db, p => schema::create_task_tables(p).await)?;
        }
        Ok(db)
    }
}

impl Database {
    /// Opens the database at `url` with the default options, creating the task tables
    /// when missing.
    ///
    /// - `sqlite://PATH` (relative) or `sqlite:///ABSOLUTE/PATH`: the file is created when
    ///   missing (its folder must exist); WAL journal, a busy timeout, foreign keys on.
    ///   Several processes may open one new file at once. `sqlite::memory:` is one
    ///   in-memory database shared by the connections of this `Database`; `sqlite:` with
    ///   no path is refused.
    /// - `postgres://...` or `postgresql://...`: a PostgreSQL server. A server that
    ///   refuses the connection fails at once, naming host and port.
    pub async fn connect(url: &str) -> Result<Database> {
        ConnectOptions::new(url).connect().await
    }

    /// Options for opening the database at `url` (connect timeout, pool size, read-only
    /// open, lock timeout), opened with [`ConnectOptions::connect`].
    pub fn options(url: &str) -> ConnectOptions {
        ConnectOptions::new(url)
    }

    /// Opens the default database, [`DEFAULT_URL`].
    pub async fn connect_default() -> Result<Database> {
        Database::connect(DEFAULT_URL).await
    }

    /// The URL the database was opened from.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the database was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The backend's SQL dialect.
    pub fn dialect(&self) -> SqlDialect {
        self.inner.dialect()
    }

    /// Closes every connection (waiting for them to be returned).
    pub async fn close(&self) {
        self.inner.close().await
    }

    /// Refuses a write on a database opened read-only, saying what was asked.
    pub(crate) fn check_writable(&self, action: impl FnOnce() -> String) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly {
                url: redact(&self.url),
                action: action(),
            });
        }
        Ok(())
    }

    /// Makes sure the result table of `meta` exists and has its columns (declared as
    /// stored), once per process; `false` when a database opened read-only has no such
    /// table.
    pub(crate) async fn ensure_results(&self, meta: &'static crate::TaskMeta) -> Result<bool> {
        let key = schema::table_key(meta);
        if let Some(present) = self.ensured.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(*present);
        }
        let present = if self.read_only {
            dispatch!(self, p => schema::check_result_table(p, meta).await)?
        } else {
            dispatch!(self, p => schema::ensure_result_table(p, meta).await)?;
            true
        };
        self.ensured
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, present);
        Ok(present)
    }
}

//! The options of opening a database: [`ConnectOptions`].

use std::time::Duration;

/// How to open a database: its URL and the options a user may set. Made by
/// [`Database::options`](super::Database::options), opened with
/// [`connect`](ConnectOptions::connect) (or, without async, by
/// `db::blocking::Database::connect_with`).
///
/// ```no_run
/// # async fn f() -> astra_targets::Result<()> {
/// use std::time::Duration;
/// use astra_targets::db::Database;
///
/// let db = Database::options("postgres://astra@db.example.org/astra")
///     .connect_timeout(Duration::from_secs(5))
///     .max_connections(8)
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    pub(crate) url: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_connections: u32,
    pub(crate) read_only: bool,
    pub(crate) lock_timeout: Duration,
}

impl ConnectOptions {
    /// How long opening waits for a server to answer, by default.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// The largest number of pooled connections, by default.
    pub const DEFAULT_MAX_CONNECTIONS: u32 = 4;
    /// How long a SQLite writer waits for another process's lock before retrying, by
    /// default.
    pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

    /// The default options for the database at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        ConnectOptions {
            url: url.into(),
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            read_only: false,
            lock_timeout: Self::DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// How long opening waits for a PostgreSQL server to answer (and for a free pooled
    /// connection) before it fails. A refused connection fails at once.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest number of connections kept in the pool (at least 1).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Opens the database for reading only: nothing is created (no file, no table, and on
    /// SQLite no `-wal` or `-shm` file next to the database), so a released database in a
    /// folder that cannot be written can be read. Writes are refused with
    /// [`Error::ReadOnly`](crate::Error::ReadOnly).
    ///
    /// A read-only SQLite database is opened as unchanging (SQLite's `immutable`): it is
    /// meant for databases no process writes any more; a database still being written
    /// should be opened normally.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// How long a SQLite writer waits for another process's lock before the transaction
    /// is retried (PostgreSQL writers wait for row locks as the server decides).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the database is opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }
}

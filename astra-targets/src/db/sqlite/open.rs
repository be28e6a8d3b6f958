//! Opening a SQLite database: the URL and the file's folder checked first, the switch to
//! WAL made once on a connection of its own (waiting and retrying while other processes
//! hold the database), then the pool and the lookup connection.

use std::ffi::{CStr, CString, c_int};
use std::path::Path;
use std::ptr::null_mut;
use std::str::FromStr;
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;
use sqlx::Sqlite;
use sqlx::pool::PoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteSynchronous};

use super::lookup::SqliteLookup;
use crate::db::error::{connect_error, db_err, redact};
use crate::db::options::ConnectOptions;
use crate::db::pool::Pools;
use crate::db::retry::{pause, retryable};
use crate::{Error, Result};

/// The page size of new database files (larger pages: fewer page splits in bulk loads).
const PAGE_SIZE: u32 = 16384;

/// Opens the pool (and, for files opened to write, the lookup connection) of the SQLite
/// database of `o`.
pub(crate) async fn open(o: &ConnectOptions) -> Result<(Pools<Sqlite>, Option<SqliteLookup>)> {
    let url = o.url.as_str();
    let bad = |reason: String| Error::DatabaseUrl {
        url: redact(url),
        reason,
    };
    let parsed = SqliteConnectOptions::from_str(url).map_err(|e| bad(e.to_string()))?;
    let memory = url.contains(":memory:") || url.contains("mode=memory");
    let file = parsed.get_filename().to_path_buf();
    if !memory && file.as_os_str().is_empty() {
        return Err(bad(
            "names no database file: write sqlite://PATH for a file, or sqlite::memory: \
                        for one in-memory database shared by every connection of the Database"
                .into(),
        ));
    }
    let mut options = parsed
        .busy_timeout(o.lock_timeout)
        .foreign_keys(true)
        .synchronous(SqliteSynchronous::Normal)
        .statement_cache_capacity(256)
        // 64 MiB of page cache per connection: bulk writes spill less.
        .pragma("cache_size", "-65536");
    if o.read_only {
        if memory {
            return Err(bad(
                "an in-memory database cannot be opened read-only (it would be empty)".into(),
            ));
        }
        if !file.is_file() {
            return Err(connect_error(
                url,
                format!(
                    "the database file {} does not exist (a read-only open creates nothing)",
                    file.display()
                ),
            ));
        }
        options = options.read_only(true).immutable(true);
    } else if !memory {
        check_folder(url, &file)?;
        let (path, wait) = (file.clone(), o.lock_timeout);
        tokio::task::spawn_blocking(move || switch_to_wal(&path, wait))
            .await
            .map_err(|e| connect_error(url, format!("preparing the database file: {e}")))?
            .map_err(|reason| connect_error(url, reason))?;
        options = options.create_if_missing(true);
    } else {
        options = options.create_if_missing(true);
    }
    let pool = open_pool(url, o, options).await?;
    let lookup = (!memory && !o.read_only)
        .then(|| SqliteLookup::open(&file, o.lock_timeout))
        .flatten();
    Ok((Pools::new(pool, o.max_connections), lookup))
}

/// Opens the pool, again while the database is locked by another process.
async fn open_pool(url: &str, o: &ConnectOptions, options: SqliteConnectOptions) -> Result<sqlx::Pool<Sqlite>> {
    let start = Instant::now();
    let mut tries = 0;
    loop {
        let opened = PoolOptions::<Sqlite>::new()
            .max_connections(o.max_connections)
            .connect_with(options.clone())
            .await;
        match opened {
            Err(e) if retryable(&e) && start.elapsed() < o.lock_timeout => {
                tries += 1;
                tokio::time::sleep(pause(tries)).await;
            }
            other => return other.map_err(db_err(format!("connecting to {}", redact(url)))),
        }
    }
}

/// Refuses a database file whose folder is missing (or is not a folder), naming it.
fn check_folder(url: &str, file: &Path) -> Result<()> {
    let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    let reason = if dir.exists() {
        format!(
            "{} is not a folder, so the database file {} cannot be created",
            dir.display(),
            file.display()
        )
    } else {
        format!(
            "the folder {} does not exist (the database file {} is created in it, the folder is not)",
            dir.display(),
            file.display()
        )
    };
    Err(connect_error(url, reason))
}

/// Creates the database file when missing and switches it to WAL (a setting kept in the
/// file), on a connection of its own. The switch needs a lock that SQLite's busy timeout
/// does not wait for, so it is retried here until `wait` has passed.
fn switch_to_wal(path: &Path, wait: Duration) -> std::result::Result<(), String> {
    let name = path
        .to_str()
        .and_then(|p| CString::new(p).ok())
        .ok_or_else(|| format!("the file name {} is not valid UTF-8 without NUL bytes", path.display()))?;
    let raw = Raw::open(&name, path)?;
    // SAFETY: `raw.0` is an open connection.
    unsafe { ffi::sqlite3_busy_timeout(raw.0, c_int::try_from(wait.as_millis()).unwrap_or(c_int::MAX)) };
    let start = Instant::now();
    let mut tries = 0;
    loop {
        match raw.exec(&format!("PRAGMA page_size = {PAGE_SIZE}; PRAGMA journal_mode = WAL")) {
            Ok(()) => return Ok(()),
            Err((code, _)) if is_busy(code) && start.elapsed() < wait => {
                tries += 1;
                std::thread::sleep(pause(tries));
            }
            Err((_, message)) => return Err(format!("switching {} to WAL: {message}", path.display())),
        }
    }
}

fn is_busy(code: c_int) -> bool {
    matches!(code & 0xff, ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED)
}

/// A connection of [`switch_to_wal`], closed on drop.
struct Raw(*mut ffi::sqlite3);

impl Raw {
    fn open(name: &CStr, path: &Path) -> std::result::Result<Raw, String> {
        let mut db = null_mut();
        let flags = ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE | ffi::SQLITE_OPEN_FULLMUTEX;
        // SAFETY: a NUL-terminated file name and a fresh handle out-pointer.
        let rc = unsafe { ffi::sqlite3_open_v2(name.as_ptr(), &mut db, flags, std::ptr::null()) };
        let raw = Raw(db);
        if rc != ffi::SQLITE_OK {
            return Err(format!("opening {}: {}", path.display(), raw.message(rc)));
        }
        Ok(raw)
    }

    /// SQLite's text for the last error (or for `rc` when there is no connection).
    fn message(&self, rc: c_int) -> String {
        // SAFETY: both return NUL-terminated strings owned by SQLite.
        let text = unsafe {
            if self.0.is_null() {
                ffi::sqlite3_errstr(rc)
            } else {
                ffi::sqlite3_errmsg(self.0)
            }
        };
        // SAFETY: as above.
        unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned()
    }

    /// Runs statements, returning the extended error code and message on failure.
    fn exec(&self, sql: &str) -> std::result::Result<(), (c_int, String)> {
        let sql = CString::new(sql).map_err(|e| (ffi::SQLITE_MISUSE, e.to_string()))?;
        // SAFETY: an open connection and a NUL-terminated statement; no callback.
        let rc = unsafe { ffi::sqlite3_exec(self.0, sql.as_ptr(), None, null_mut(), null_mut()) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            // SAFETY: an open connection.
            let code = unsafe { ffi::sqlite3_extended_errcode(self.0) };
            Err((code, self.message(rc)))
        }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        // SAFETY: the handle came from sqlite3_open_v2 (possibly null) and is closed once.
        unsafe { ffi::sqlite3_close(self.0) };
    }
}

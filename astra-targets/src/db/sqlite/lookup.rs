//! Existence checks on SQLite through SQLite's C API, on a connection of their own: an
//! indexed lookup costs SQLite a few microseconds, and sqlx's hand-off to its connection
//! thread costs several times that, so a single `exists` runs in the calling thread, and
//! `exists_many` probes its ids one by one there too (cheaper than binding them as one
//! JSON list and reading the matches back through sqlx).

use std::ffi::{CString, c_int};
use std::path::Path;
use std::ptr::{NonNull, null_mut};
use std::sync::Mutex;
use std::time::Duration;

use libsqlite3_sys as ffi;

use crate::db::lookup::EXISTS_SQL_ANONYMOUS;

/// A private read connection with its prepared existence statement.
struct Raw {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
}

// SAFETY: the connection is opened with SQLITE_OPEN_FULLMUTEX and used by one thread at a
// time (behind a mutex); SQLite connections may move between threads.
unsafe impl Send for Raw {}

impl Drop for Raw {
    fn drop(&mut self) {
        // SAFETY: both handles are live and released once, statement first.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
            ffi::sqlite3_close(self.db.as_ptr());
        }
    }
}

/// The lookup connection of a SQLite database file (absent for in-memory databases or
/// when it cannot be opened: lookups then go through sqlx).
pub(crate) struct SqliteLookup(Mutex<Option<Raw>>);

impl SqliteLookup {
    /// Opens a lookup connection on the database file (which exists: the pool created it).
    pub(crate) fn open(path: &Path, busy: Duration) -> Option<SqliteLookup> {
        let name = CString::new(path.to_str()?).ok()?;
        let mut db = null_mut();
        let flags = ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_FULLMUTEX;
        // SAFETY: a NUL-terminated file name and a fresh handle out-pointer.
        let rc = unsafe { ffi::sqlite3_open_v2(name.as_ptr(), &mut db, flags, std::ptr::null()) };
        let db = NonNull::new(db)?;
        let mut stmt = null_mut();
        // SAFETY: `db` is open; the SQL is passed with its length.
        let ok = rc == ffi::SQLITE_OK
            && unsafe {
                ffi::sqlite3_busy_timeout(db.as_ptr(), c_int::try_from(busy.as_millis()).unwrap_or(c_int::MAX));
                ffi::sqlite3_prepare_v3(
                    db.as_ptr(),
                    EXISTS_SQL_ANONYMOUS.as_ptr().cast(),
                    EXISTS_SQL_ANONYMOUS.len() as c_int,
                    ffi::SQLITE_PREPARE_PERSISTENT,
                    &mut stmt,
                    null_mut(),
                )
            } == ffi::SQLITE_OK;
        match NonNull::new(stmt) {
            Some(stmt) if ok => Some(SqliteLookup(Mutex::new(Some(Raw { db, stmt })))),
            _ => {
                // SAFETY: `db` is a handle from sqlite3_open_v2, closed once.
                unsafe { ffi::sqlite3_close(db.as_ptr()) };
                None
            }
        }
    }

    /// Closes the connection; later lookups go through sqlx.
    pub(crate) fn close(&self) {
        if let Ok(mut guard) = self.0.lock() {
            guard.take();
        }
    }

    /// Whether the task has a result; `None` when the connection is busy with another
    /// caller or SQLite reports an error (the caller then asks through sqlx).
    pub(crate) fn exists(&self, family: &str, task_id: &str) -> Option<bool> {
        let guard = self.0.try_lock().ok()?;
        probe(guard.as_ref()?.stmt, family, task_id)
    }

    /// Whether each task has a result, in the order given: one indexed probe per id on
    /// this connection, in one read transaction (so every answer is of one moment);
    /// `None` when the connection is closed or SQLite reports an error.
    pub(crate) fn exists_many(&self, family: &str, task_ids: &[&str]) -> Option<Vec<bool>> {
        let guard = self.0.lock().ok()?;
        let raw = guard.as_ref()?;
        let snapshot = ReadTransaction::begin(raw.db)?;
        let found: Option<Vec<bool>> = task_ids.iter().map(|id| probe(raw.stmt, family, id)).collect();
        drop(snapshot);
        found
    }
}

/// A read transaction on a connection, ended (`COMMIT` of nothing) on drop.
struct ReadTransaction(NonNull<ffi::sqlite3>);

impl ReadTransaction {
    fn begin(db: NonNull<ffi::sqlite3>) -> Option<ReadTransaction> {
        // SAFETY: `db` is live and used under the caller's mutex; the SQL is NUL-terminated.
        let rc = unsafe { ffi::sqlite3_exec(db.as_ptr(), c"BEGIN".as_ptr(), None, null_mut(), null_mut()) };
        (rc == ffi::SQLITE_OK).then_some(ReadTransaction(db))
    }
}

impl Drop for ReadTransaction {
    fn drop(&mut self) {
        // SAFETY: as in `begin`; a read transaction's COMMIT releases its snapshot.
        unsafe { ffi::sqlite3_exec(self.0.as_ptr(), c"COMMIT".as_ptr(), None, null_mut(), null_mut()) };
    }
}

/// One existence probe with the prepared statement `stmt`.
fn probe(stmt: NonNull<ffi::sqlite3_stmt>, family: &str, task_id: &str) -> Option<bool> {
    let s = stmt.as_ptr();
    // SAFETY: `s` is a live statement used only under the lookup mutex; the texts outlive
    // the step (bound without a copy) and the statement is reset before they are dropped.
    unsafe {
        let b1 = ffi::sqlite3_bind_text(
            s,
            1,
            family.as_ptr().cast(),
            family.len() as c_int,
            ffi::SQLITE_STATIC(),
        );
        let b2 = ffi::sqlite3_bind_text(
            s,
            2,
            task_id.as_ptr().cast(),
            task_id.len() as c_int,
            ffi::SQLITE_STATIC(),
        );
        let rc = if b1 == ffi::SQLITE_OK && b2 == ffi::SQLITE_OK {
            ffi::sqlite3_step(s)
        } else {
            ffi::SQLITE_ERROR
        };
        ffi::sqlite3_reset(s);
        ffi::sqlite3_clear_bindings(s);
        match rc {
            ffi::SQLITE_ROW => Some(true),
            ffi::SQLITE_DONE => Some(false),
            _ => None,
        }
    }
}

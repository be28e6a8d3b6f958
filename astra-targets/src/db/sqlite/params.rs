//! Task parameters on SQLite through SQLite's C API, on the connection (and inside the
//! transaction) sqlx holds: the `parameter` rows a batch of tasks needs, inserted by
//! multi-row statements and their keys read back by one indexed probe each, and the
//! `task_parameter` links inserted the same way. Binding tens of thousands of values
//! through one JSON array costs SQLite more than binding them one by one.

use std::ffi::c_int;
use std::ptr::NonNull;

use libsqlite3_sys as ffi;
use sqlx::sqlite::SqliteConnection;

use super::bulk::{Statement, error, prepare, run};
use crate::column::SqlDialect;
use crate::db::dialect::tuples;
use crate::db::error::db_err;

/// Rows per multi-row statement.
const ROWS_PER_STATEMENT: usize = 128;

/// A statement of `head` followed by `n` tuples of two placeholders (and `tail`).
fn pairs_statement(db: NonNull<ffi::sqlite3>, head: &str, tail: &str, n: usize) -> Result<Statement, sqlx::Error> {
    prepare(db, &format!("{head}{} {tail}", tuples(SqlDialect::Sqlite, n, 2)))
}

/// Runs `head VALUES (?, ?), ... tail` over `items`, binding each item's two values with
/// `bind` (parameters `i` and `i + 1`): full statements of [`ROWS_PER_STATEMENT`] rows,
/// then one row at a time.
fn insert_pairs<T>(
    db: NonNull<ffi::sqlite3>,
    head: &str,
    tail: &str,
    items: &[T],
    what: &str,
    bind: impl Fn(&Statement, c_int, &T) -> c_int,
) -> Result<(), sqlx::Error> {
    let full = items.len() / ROWS_PER_STATEMENT;
    if full > 0 {
        let stmt = pairs_statement(db, head, tail, ROWS_PER_STATEMENT)?;
        for chunk in items.chunks_exact(ROWS_PER_STATEMENT) {
            for (k, item) in chunk.iter().enumerate() {
                let rc = bind(&stmt, 1 + 2 * k as c_int, item);
                if rc != ffi::SQLITE_OK {
                    return Err(error(db, rc, what));
                }
            }
            run(db, &stmt, what)?;
        }
    }
    let rest = &items[full * ROWS_PER_STATEMENT..];
    if !rest.is_empty() {
        let stmt = pairs_statement(db, head, tail, 1)?;
        for item in rest {
            let rc = bind(&stmt, 1, item);
            if rc != ffi::SQLITE_OK {
                return Err(error(db, rc, what));
            }
            run(db, &stmt, what)?;
        }
    }
    Ok(())
}

fn bind_text(stmt: &Statement, i: c_int, text: &str) -> c_int {
    // SAFETY: `stmt` is live; the text outlives the step that follows (it is borrowed for
    // the whole call), so it is bound without a copy.
    unsafe {
        ffi::sqlite3_bind_text(
            stmt.0.as_ptr(),
            i,
            text.as_ptr().cast(),
            text.len() as c_int,
            ffi::SQLITE_STATIC(),
        )
    }
}

fn bind_i64(stmt: &Statement, i: c_int, value: i64) -> c_int {
    // SAFETY: `stmt` is live and `i` within its parameters.
    unsafe { ffi::sqlite3_bind_int64(stmt.0.as_ptr(), i, value) }
}

/// The keys of the `(name, value)` parameter pairs, in their order, inserting the pairs
/// that are missing.
pub(crate) async fn parameter_keys(conn: &mut SqliteConnection, pairs: &[(&str, &str)]) -> crate::Result<Vec<i64>> {
    let fail = |e| db_err("storing task parameters")(e);
    let mut handle = conn
        .lock_handle()
        .await
        .map_err(db_err("locking the SQLite connection"))?;
    // While `handle` lives, sqlx's worker makes no call on this connection.
    let db = handle.as_raw_handle();
    insert_pairs(
        db,
        "INSERT INTO parameter (parameter_name, parameter_value) VALUES ",
        "ON CONFLICT (parameter_name, parameter_value) DO NOTHING",
        pairs,
        "storing task parameters",
        |stmt, i, (name, value)| match bind_text(stmt, i, name) {
            ffi::SQLITE_OK => bind_text(stmt, i + 1, value),
            rc => rc,
        },
    )
    .map_err(fail)?;
    let probe = prepare(
        db,
        "SELECT pk FROM parameter WHERE parameter_name = ? AND parameter_value = ?",
    )
    .map_err(fail)?;
    let mut keys = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        let mut rc = bind_text(&probe, 1, name);
        if rc == ffi::SQLITE_OK {
            rc = bind_text(&probe, 2, value);
        }
        // SAFETY: `probe` is live and bound; its texts outlive the step and the reset.
        let pk = unsafe {
            if rc == ffi::SQLITE_OK {
                rc = ffi::sqlite3_step(probe.0.as_ptr());
            }
            let pk = (rc == ffi::SQLITE_ROW).then(|| ffi::sqlite3_column_int64(probe.0.as_ptr(), 0));
            ffi::sqlite3_reset(probe.0.as_ptr());
            pk
        };
        match pk {
            Some(pk) => keys.push(pk),
            None => return Err(fail(error(db, rc, "reading the keys of task parameters"))),
        }
    }
    Ok(keys)
}

/// Inserts `(task_pk, parameter_pk)` links into `task_parameter`, keeping those already
/// there.
pub(crate) async fn insert_links(conn: &mut SqliteConnection, links: &[(i64, i64)]) -> crate::Result<()> {
    let mut handle = conn
        .lock_handle()
        .await
        .map_err(db_err("locking the SQLite connection"))?;
    insert_pairs(
        handle.as_raw_handle(),
        "INSERT INTO task_parameter (task_pk, parameter_pk) VALUES ",
        "ON CONFLICT DO NOTHING",
        links,
        "linking tasks to their parameters",
        |stmt, i, &(task, parameter)| match bind_i64(stmt, i, task) {
            ffi::SQLITE_OK => bind_i64(stmt, i + 1, parameter),
            rc => rc,
        },
    )
    .map_err(db_err("storing task parameters"))
}

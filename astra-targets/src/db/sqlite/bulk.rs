//! Bulk insert of result rows on SQLite through SQLite's own C API, on the connection (and
//! inside the transaction) sqlx holds: one prepared multi-row statement, bound and stepped
//! again and again, as SQLite's own bulk loaders do. sqlx's per-statement argument
//! handling costs more than SQLite's work here.

use std::ffi::{CStr, c_int};
use std::ptr::{NonNull, null_mut};

use libsqlite3_sys as ffi;
use sqlx::sqlite::SqliteConnection;

use crate::column::{AstraResults, ColumnMeta, SqlDialect};
use crate::db::backend::OutputRows;
use crate::db::dialect::tuples;
use crate::db::error::db_err;
use crate::db::values::{column_list, ident, to_blob};
use crate::value::Value;

/// Rows per multi-row statement.
const ROWS_PER_STATEMENT: usize = 64;

/// Inserts result rows into `table`.
pub(crate) async fn insert_rows<R: AstraResults + Sync>(
    conn: &mut SqliteConnection,
    table: &str,
    columns: &[ColumnMeta],
    outputs: &[OutputRows<'_, R>],
) -> crate::Result<()> {
    let total: usize = outputs.iter().map(|o| o.rows.len()).sum();
    if total == 0 {
        return Ok(());
    }
    let mut handle = conn
        .lock_handle()
        .await
        .map_err(db_err("locking the SQLite connection"))?;
    // While `handle` lives, sqlx's worker makes no call on this connection.
    insert_locked(handle.as_raw_handle(), table, columns, outputs, total)
}

/// An owned prepared statement, finalized on drop.
pub(super) struct Statement(pub(super) NonNull<ffi::sqlite3_stmt>);

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the statement came from sqlite3_prepare_v3 and is finalized once.
        unsafe { ffi::sqlite3_finalize(self.0.as_ptr()) };
    }
}

/// SQLite's error `code` on `db`, with its message, while doing `what`.
pub(super) fn error(db: NonNull<ffi::sqlite3>, code: c_int, what: &str) -> sqlx::Error {
    // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the connection.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }
        .to_string_lossy()
        .into_owned();
    sqlx::Error::Io(std::io::Error::other(format!(
        "SQLite error {code} while {what}: {message}"
    )))
}

/// Prepares `sql` on `db`, kept for many steps.
pub(super) fn prepare(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Statement, sqlx::Error> {
    let mut stmt = null_mut();
    // SAFETY: `db` is a live connection locked for us; the SQL is passed with its length.
    let rc = unsafe {
        ffi::sqlite3_prepare_v3(
            db.as_ptr(),
            sql.as_ptr().cast(),
            sql.len() as c_int,
            ffi::SQLITE_PREPARE_PERSISTENT,
            &mut stmt,
            null_mut(),
        )
    };
    match NonNull::new(stmt) {
        Some(s) if rc == ffi::SQLITE_OK => Ok(Statement(s)),
        _ => Err(error(db, rc, "preparing a statement")),
    }
}

/// Binds one value at parameter `i` (1-based). Text is bound without a copy: it lives
/// until the statement is stepped.
fn bind(stmt: &Statement, i: c_int, col: &ColumnMeta, value: &Value) -> c_int {
    let s = stmt.0.as_ptr();
    // SAFETY: `s` is a live statement; pointers passed with SQLITE_STATIC outlive the step
    // that follows (the rows are borrowed for the whole insert); blobs are copied.
    unsafe {
        match value {
            Value::Null => ffi::sqlite3_bind_null(s, i),
            Value::Bool(b) => ffi::sqlite3_bind_int64(s, i, i64::from(*b)),
            Value::Int(x) => ffi::sqlite3_bind_int64(s, i, *x),
            Value::Float(x) if x.is_nan() => ffi::sqlite3_bind_null(s, i),
            Value::Float(x) => ffi::sqlite3_bind_double(s, i, *x),
            Value::Text(t) => ffi::sqlite3_bind_text(s, i, t.as_ptr().cast(), t.len() as c_int, ffi::SQLITE_STATIC()),
            array => {
                let blob = to_blob(col.ty, array);
                ffi::sqlite3_bind_blob(s, i, blob.as_ptr().cast(), blob.len() as c_int, ffi::SQLITE_TRANSIENT())
            }
        }
    }
}

/// Steps a bound statement (doing `what`) to completion and resets it.
pub(super) fn run(db: NonNull<ffi::sqlite3>, stmt: &Statement, what: &str) -> Result<(), sqlx::Error> {
    // SAFETY: `stmt` is a live, fully bound statement.
    let rc = unsafe { ffi::sqlite3_step(stmt.0.as_ptr()) };
    // SAFETY: as above; reset keeps the bindings for the next use.
    unsafe { ffi::sqlite3_reset(stmt.0.as_ptr()) };
    if rc == ffi::SQLITE_DONE {
        Ok(())
    } else {
        Err(error(db, rc, what))
    }
}

fn insert_locked<R: AstraResults>(
    db: NonNull<ffi::sqlite3>,
    table: &str,
    columns: &[ColumnMeta],
    outputs: &[OutputRows<'_, R>],
    total: usize,
) -> crate::Result<()> {
    let fail = |e: sqlx::Error| db_err(format!("inserting rows into `{table}`"))(e);
    let width = columns.len() + 2;
    let per = ROWS_PER_STATEMENT.min(32_766 / width).max(1).min(total);
    let head = format!(
        "INSERT INTO {} (output_pk, row_index, {}) VALUES ",
        ident(table),
        column_list(columns)
    );
    let multi = prepare(db, &format!("{head}{}", tuples(SqlDialect::Sqlite, per, width))).map_err(fail)?;
    let single = match per {
        1 => None,
        _ => Some(prepare(db, &format!("{head}{}", tuples(SqlDialect::Sqlite, 1, width))).map_err(fail)?),
    };
    // The values bound to the statement being filled: text is bound without a copy, so
    // it must live until the statement runs.
    let mut held: Vec<Vec<Value>> = Vec::with_capacity(per);

    let mut in_statement = 0usize;
    let mut done = 0usize;
    for output in outputs {
        for index in 0..output.rows.len() {
            held.push(output.values(columns, index)?);
            let row = held.last().expect("just pushed");
            let (stmt, slot) = if total - (done - in_statement) >= per {
                (&multi, in_statement)
            } else {
                (single.as_ref().unwrap_or(&multi), 0)
            };
            let base = (slot * width) as c_int;
            let s = stmt.0.as_ptr();
            // SAFETY: `s` is a live statement; parameters are 1-based and within its count.
            let mut rc = unsafe { ffi::sqlite3_bind_int64(s, base + 1, output.output_pk) };
            if rc == ffi::SQLITE_OK {
                rc = unsafe { ffi::sqlite3_bind_int64(s, base + 2, index as i64) };
            }
            for (k, (col, value)) in columns.iter().zip(row).enumerate() {
                if rc != ffi::SQLITE_OK {
                    break;
                }
                rc = bind(stmt, base + 3 + k as c_int, col, value);
            }
            if rc != ffi::SQLITE_OK {
                return Err(fail(error(db, rc, "binding result values")));
            }
            done += 1;
            if std::ptr::eq(stmt, &multi) {
                in_statement += 1;
                if in_statement == per {
                    run(db, stmt, "inserting result rows").map_err(fail)?;
                    in_statement = 0;
                    held.clear();
                }
            } else {
                run(db, stmt, "inserting result rows").map_err(fail)?;
                held.clear();
            }
        }
    }
    debug_assert_eq!(in_statement, 0);
    Ok(())
}

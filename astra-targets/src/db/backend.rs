//! The internal trait every backend implements (in `db/sqlite/` and `db/postgres/`): how
//! values are bound and decoded, how write transactions begin, and how result rows are
//! inserted in bulk. The logic of every operation is written once, generic over this
//! trait; this module knows no backend.

use std::future::Future;

use sqlx::{Pool, Transaction};

use super::error::db_err;
use super::values::{check_row, column_list, ident};
use crate::column::{AstraResults, ColumnMeta, SqlDialect};
use crate::value::Value;

/// A query with owned arguments.
pub(crate) type Q<DB> = sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>;

/// A dynamic SQL statement built only from validated identifiers; values are bound.
pub(crate) fn query<DB: sqlx::Database>(sql: String) -> Q<DB> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
}

/// The rows of one task output, to be inserted into a result table.
pub(crate) struct OutputRows<'a, R> {
    /// The task the rows belong to (for error messages).
    pub task_id: &'a str,
    /// The output key the rows belong to.
    pub output_pk: i64,
    /// The rows; the row index is the position.
    pub rows: &'a [R],
}

impl<R: AstraResults> OutputRows<'_, R> {
    /// The values of row `i`, checked against the columns. Rows are converted one at a
    /// time while they are inserted; a refused value ends the transaction, which is then
    /// rolled back, so nothing is written.
    pub fn values(&self, columns: &[ColumnMeta], i: usize) -> crate::Result<Vec<Value>> {
        let values = self.rows[i].to_values();
        check_row(self.task_id, columns, i, &values)?;
        Ok(values)
    }
}

/// What SQLite and PostgreSQL do differently, as far as the generic code is concerned.
pub(crate) trait Backend: sqlx::Database {
    /// The dialect, for SQL types and [`super::dialect`].
    const DIALECT: SqlDialect;
    /// The largest number of bind parameters in one statement.
    const BIND_LIMIT: usize;

    /// Begins a write transaction (SQLite: `BEGIN IMMEDIATE`, taking the write lock now).
    fn begin_write(pool: &Pool<Self>) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send;
    /// Runs a statement, returning the number of rows affected.
    fn execute(conn: &mut Self::Connection, q: Q<Self>) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;
    /// Runs a query, returning all rows.
    fn fetch_all(
        conn: &mut Self::Connection,
        q: Q<Self>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send;
    /// Runs a query, returning its first row if any.
    fn fetch_optional(
        conn: &mut Self::Connection,
        q: Q<Self>,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send;

    /// Binds an integer.
    fn bind_i64(q: Q<Self>, v: i64) -> Q<Self>;
    /// Binds a nullable double.
    fn bind_f64(q: Q<Self>, v: Option<f64>) -> Q<Self>;
    /// Binds a text.
    fn bind_text(q: Q<Self>, v: &str) -> Q<Self>;
    /// Binds a nullable text.
    fn bind_opt_text(q: Q<Self>, v: Option<&str>) -> Q<Self>;
    /// Binds a list of texts as one parameter, for [`super::dialect::in_text_list`].
    fn bind_text_list(q: Q<Self>, v: &[&str]) -> Q<Self>;
    /// Binds a list of text pairs, for [`super::dialect::pair_source`].
    fn bind_text_pairs(q: Q<Self>, first: &[&str], second: &[&str]) -> Q<Self>;
    /// Binds a list of (text, integer) pairs, for [`super::dialect::text_key_pairs`].
    fn bind_text_key_pairs(q: Q<Self>, texts: &[&str], keys: &[i64]) -> Q<Self>;
    /// Binds a list of integers as one parameter, for [`super::dialect::list_source`].
    fn bind_i64_list(q: Q<Self>, v: &[i64]) -> Q<Self>;
    /// Binds a list of integer pairs, for [`super::dialect::pair_source`].
    fn bind_i64_pairs(q: Q<Self>, first: &[i64], second: &[i64]) -> Q<Self>;
    /// Binds a result value for its column (NaN floats as NULL).
    fn bind_value(q: Q<Self>, col: &ColumnMeta, v: &Value) -> Q<Self>;

    /// Reads a nullable integer.
    fn get_i64(row: &Self::Row, i: usize) -> Result<Option<i64>, sqlx::Error>;
    /// Reads a nullable double.
    fn get_f64(row: &Self::Row, i: usize) -> Result<Option<f64>, sqlx::Error>;
    /// Reads a nullable text.
    fn get_text(row: &Self::Row, i: usize) -> Result<Option<String>, sqlx::Error>;
    /// Reads a result value of a column (NULL as [`Value::Null`]); the error says why the
    /// stored value does not fit.
    fn get_value(row: &Self::Row, i: usize, col: &ColumnMeta) -> Result<Value, String>;

    /// Inserts result rows into `table` (whose result columns are `columns`), in the
    /// fastest way the backend offers.
    fn insert_rows<R: AstraResults + Sync>(
        conn: &mut Self::Connection,
        table: &str,
        columns: &[ColumnMeta],
        outputs: &[OutputRows<'_, R>],
    ) -> impl Future<Output = crate::Result<()>> + Send;

    /// The keys of the `(parameter_name, parameter_value)` pairs in `parameter`, in the
    /// pairs' order, inserting those missing, in the fastest way the backend offers.
    fn parameter_keys(
        conn: &mut Self::Connection,
        pairs: &[(&str, &str)],
    ) -> impl Future<Output = crate::Result<Vec<i64>>> + Send;

    /// Inserts `(task_pk, parameter_pk)` links into `task_parameter`, keeping those
    /// already there, in the fastest way the backend offers.
    fn insert_links(
        conn: &mut Self::Connection,
        links: &[(i64, i64)],
    ) -> impl Future<Output = crate::Result<()>> + Send;
}

/// Inserts result rows with multi-row `INSERT ... VALUES` statements kept under the
/// backend's bind limit.
pub(crate) async fn insert_with_values<DB: Backend, R: AstraResults + Sync>(
    conn: &mut DB::Connection,
    table: &str,
    columns: &[ColumnMeta],
    outputs: &[OutputRows<'_, R>],
) -> crate::Result<()> {
    let width = columns.len() + 2;
    // Statements of a few hundred rows are fastest; never more binds than allowed.
    let per_statement = (DB::BIND_LIMIT / width).clamp(1, 250);
    let head = format!(
        "INSERT INTO {} (output_pk, row_index, {}) VALUES ",
        ident(table),
        column_list(columns)
    );
    let full_sql = format!("{head}{}", super::dialect::tuples(DB::DIALECT, per_statement, width));
    let mut flat: Vec<(usize, usize)> = Vec::new();
    for (k, o) in outputs.iter().enumerate() {
        flat.extend((0..o.rows.len()).map(|i| (k, i)));
    }
    let total = flat.len();
    let mut done = 0;
    while done < total {
        let n = per_statement.min(total - done);
        let sql = if n == per_statement {
            full_sql.clone()
        } else {
            format!("{head}{}", super::dialect::tuples(DB::DIALECT, n, width))
        };
        let mut q = query::<DB>(sql);
        for &(k, index) in &flat[done..done + n] {
            let output = &outputs[k];
            q = DB::bind_i64(q, output.output_pk);
            q = DB::bind_i64(q, index as i64);
            for (col, v) in columns.iter().zip(&output.values(columns, index)?) {
                q = DB::bind_value(q, col, v);
            }
        }
        DB::execute(conn, q)
            .await
            .map_err(db_err(format!("inserting rows into `{table}`")))?;
        done += n;
    }
    Ok(())
}

/// A float, or `None` for NaN (stored as NULL on both backends).
pub(crate) fn non_nan(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

//! The two database backends behind one internal trait: how values are bound and decoded,
//! how write transactions begin, and how result rows are inserted in bulk. The logic of
//! every operation is written once, generic over this trait.

use std::future::Future;

use sqlx::{Pool, Postgres, Row, Sqlite, Transaction};

use super::connect::db_err;
use super::values::{check_row, column_list, from_blob, ident, to_blob};
use crate::column::{AstraResults, ColumnMeta, ScalarType, SqlDialect};
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
    /// Binds a list of texts as one parameter, for [`super::dialect::in_text_list`].
    fn bind_text_list(q: Q<Self>, v: &[&str]) -> Q<Self>;
    /// Binds a list of text pairs, for [`super::dialect::pair_source`].
    fn bind_text_pairs(q: Q<Self>, first: &[&str], second: &[&str]) -> Q<Self>;
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

fn non_nan(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

impl Backend for Sqlite {
    const DIALECT: SqlDialect = SqlDialect::Sqlite;
    const BIND_LIMIT: usize = 32_766;

    fn begin_write(pool: &Pool<Self>) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send {
        pool.begin_with("BEGIN IMMEDIATE")
    }
    async fn execute(conn: &mut Self::Connection, q: Q<Self>) -> Result<u64, sqlx::Error> {
        Ok(q.execute(conn).await?.rows_affected())
    }
    async fn fetch_all(conn: &mut Self::Connection, q: Q<Self>) -> Result<Vec<Self::Row>, sqlx::Error> {
        q.fetch_all(conn).await
    }
    async fn fetch_optional(conn: &mut Self::Connection, q: Q<Self>) -> Result<Option<Self::Row>, sqlx::Error> {
        q.fetch_optional(conn).await
    }

    fn bind_i64(q: Q<Self>, v: i64) -> Q<Self> {
        q.bind(v)
    }
    fn bind_f64(q: Q<Self>, v: Option<f64>) -> Q<Self> {
        q.bind(v)
    }
    fn bind_text(q: Q<Self>, v: &str) -> Q<Self> {
        q.bind(v.to_string())
    }
    fn bind_text_list(q: Q<Self>, v: &[&str]) -> Q<Self> {
        q.bind(json_array(v))
    }
    fn bind_text_pairs(q: Q<Self>, first: &[&str], second: &[&str]) -> Q<Self> {
        let mut json = String::from("[");
        for (i, (a, b)) in first.iter().zip(second).enumerate() {
            if i > 0 {
                json.push(',');
            }
            let pair = json_array(&[a, b]);
            json.push_str(&pair);
        }
        json.push(']');
        q.bind(json)
    }
    fn bind_i64_pairs(q: Q<Self>, first: &[i64], second: &[i64]) -> Q<Self> {
        let mut json = String::from("[");
        for (i, (a, b)) in first.iter().zip(second).enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(&format!("[{a},{b}]"));
        }
        json.push(']');
        q.bind(json)
    }
    fn bind_value(q: Q<Self>, col: &ColumnMeta, v: &Value) -> Q<Self> {
        match v {
            Value::Null => q.bind(None::<i64>),
            Value::Bool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Float(x) => q.bind(non_nan(*x)),
            Value::Text(s) => q.bind(s.clone()),
            array => q.bind(to_blob(col.ty, array)),
        }
    }

    fn get_i64(row: &Self::Row, i: usize) -> Result<Option<i64>, sqlx::Error> {
        row.try_get(i)
    }
    fn get_f64(row: &Self::Row, i: usize) -> Result<Option<f64>, sqlx::Error> {
        row.try_get(i)
    }
    fn get_text(row: &Self::Row, i: usize) -> Result<Option<String>, sqlx::Error> {
        row.try_get(i)
    }
    fn get_value(row: &Self::Row, i: usize, col: &ColumnMeta) -> Result<Value, String> {
        let e = |e: sqlx::Error| e.to_string();
        if !col.shape.is_empty() {
            return match row.try_get::<Option<Vec<u8>>, _>(i).map_err(e)? {
                None => Ok(Value::Null),
                Some(bytes) => from_blob(col, &bytes).ok_or_else(|| {
                    format!(
                        "a BLOB of {} bytes is not {} elements of {}",
                        bytes.len(),
                        col.elements(),
                        col.ty.rust_name()
                    )
                }),
            };
        }
        Ok(match col.ty {
            ScalarType::Bool => row.try_get::<Option<bool>, _>(i).map_err(e)?.map(Value::Bool),
            ScalarType::Text => row.try_get::<Option<String>, _>(i).map_err(e)?.map(Value::Text),
            ScalarType::F32 | ScalarType::F64 => row.try_get::<Option<f64>, _>(i).map_err(e)?.map(Value::Float),
            _ => row.try_get::<Option<i64>, _>(i).map_err(e)?.map(Value::Int),
        }
        .unwrap_or(Value::Null))
    }

    async fn insert_rows<R: AstraResults + Sync>(
        conn: &mut Self::Connection,
        table: &str,
        columns: &[ColumnMeta],
        outputs: &[OutputRows<'_, R>],
    ) -> crate::Result<()> {
        super::sqlite_bulk::insert_rows(conn, table, columns, outputs).await
    }
}

/// A JSON array of strings (for SQLite's `json_each`).
fn json_array(items: &[&str]) -> String {
    let mut out = String::with_capacity(items.iter().map(|s| s.len() + 3).sum::<usize>() + 2);
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
}

/// The PostgreSQL row count above which result rows go through binary `COPY`.
const COPY_THRESHOLD: usize = 500;

impl Backend for Postgres {
    const DIALECT: SqlDialect = SqlDialect::Postgres;
    const BIND_LIMIT: usize = 65_535;

    fn begin_write(pool: &Pool<Self>) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send {
        pool.begin()
    }
    async fn execute(conn: &mut Self::Connection, q: Q<Self>) -> Result<u64, sqlx::Error> {
        Ok(q.execute(conn).await?.rows_affected())
    }
    async fn fetch_all(conn: &mut Self::Connection, q: Q<Self>) -> Result<Vec<Self::Row>, sqlx::Error> {
        q.fetch_all(conn).await
    }
    async fn fetch_optional(conn: &mut Self::Connection, q: Q<Self>) -> Result<Option<Self::Row>, sqlx::Error> {
        q.fetch_optional(conn).await
    }

    fn bind_i64(q: Q<Self>, v: i64) -> Q<Self> {
        q.bind(v)
    }
    fn bind_f64(q: Q<Self>, v: Option<f64>) -> Q<Self> {
        q.bind(v)
    }
    fn bind_text(q: Q<Self>, v: &str) -> Q<Self> {
        q.bind(v.to_string())
    }
    fn bind_text_list(q: Q<Self>, v: &[&str]) -> Q<Self> {
        q.bind(v.iter().map(|s| s.to_string()).collect::<Vec<String>>())
    }
    fn bind_text_pairs(q: Q<Self>, first: &[&str], second: &[&str]) -> Q<Self> {
        Self::bind_text_list(Self::bind_text_list(q, first), second)
    }
    fn bind_i64_pairs(q: Q<Self>, first: &[i64], second: &[i64]) -> Q<Self> {
        q.bind(first.to_vec()).bind(second.to_vec())
    }
    fn bind_value(q: Q<Self>, col: &ColumnMeta, v: &Value) -> Q<Self> {
        let floats = |v: &[f64]| -> Vec<Option<f64>> { v.iter().map(|x| non_nan(*x)).collect() };
        match (col.ty, v) {
            (ScalarType::Bool, Value::Bool(b)) => q.bind(*b),
            (ScalarType::U8 | ScalarType::I16, Value::Int(i)) => q.bind(*i as i16),
            (ScalarType::I32, Value::Int(i)) => q.bind(*i as i32),
            (ScalarType::I64, Value::Int(i)) => q.bind(*i),
            (ScalarType::F32, Value::Float(x)) => q.bind(non_nan(*x).map(|x| x as f32)),
            (ScalarType::F64, Value::Float(x)) => q.bind(non_nan(*x)),
            (ScalarType::Text, Value::Text(s)) => q.bind(s.clone()),
            (ScalarType::Bool, Value::Bools(v)) => q.bind(v.clone()),
            (ScalarType::U8 | ScalarType::I16, Value::Ints(v)) => {
                q.bind(v.iter().map(|i| *i as i16).collect::<Vec<_>>())
            }
            (ScalarType::I32, Value::Ints(v)) => q.bind(v.iter().map(|i| *i as i32).collect::<Vec<_>>()),
            (ScalarType::I64, Value::Ints(v)) => q.bind(v.clone()),
            (ScalarType::F32, Value::Floats(v)) => {
                q.bind(floats(v).into_iter().map(|x| x.map(|x| x as f32)).collect::<Vec<_>>())
            }
            (ScalarType::F64, Value::Floats(v)) => q.bind(floats(v)),
            // NULL (or a value the checks before writing refused), typed for the column.
            (ty, _) => bind_pg_null(q, ty, !col.shape.is_empty()),
        }
    }

    fn get_i64(row: &Self::Row, i: usize) -> Result<Option<i64>, sqlx::Error> {
        row.try_get(i)
    }
    fn get_f64(row: &Self::Row, i: usize) -> Result<Option<f64>, sqlx::Error> {
        row.try_get(i)
    }
    fn get_text(row: &Self::Row, i: usize) -> Result<Option<String>, sqlx::Error> {
        row.try_get(i)
    }
    fn get_value(row: &Self::Row, i: usize, col: &ColumnMeta) -> Result<Value, String> {
        let e = |e: sqlx::Error| e.to_string();
        let array = !col.shape.is_empty();
        let value = match (col.ty, array) {
            (ScalarType::Bool, false) => row.try_get::<Option<bool>, _>(i).map_err(e)?.map(Value::Bool),
            (ScalarType::U8 | ScalarType::I16, false) => row
                .try_get::<Option<i16>, _>(i)
                .map_err(e)?
                .map(|x| Value::Int(x.into())),
            (ScalarType::I32, false) => row
                .try_get::<Option<i32>, _>(i)
                .map_err(e)?
                .map(|x| Value::Int(x.into())),
            (ScalarType::I64, false) => row.try_get::<Option<i64>, _>(i).map_err(e)?.map(Value::Int),
            (ScalarType::F32, false) => row
                .try_get::<Option<f32>, _>(i)
                .map_err(e)?
                .map(|x| Value::Float(x.into())),
            (ScalarType::F64, false) => row.try_get::<Option<f64>, _>(i).map_err(e)?.map(Value::Float),
            (ScalarType::Text, _) => row.try_get::<Option<String>, _>(i).map_err(e)?.map(Value::Text),
            (ScalarType::Bool, true) => {
                no_null_elements(row.try_get::<Option<Vec<Option<bool>>>, _>(i).map_err(e)?)?.map(Value::Bools)
            }
            (ScalarType::U8 | ScalarType::I16, true) => {
                no_null_elements(row.try_get::<Option<Vec<Option<i16>>>, _>(i).map_err(e)?)?
                    .map(|v| Value::Ints(v.into_iter().map(i64::from).collect()))
            }
            (ScalarType::I32, true) => no_null_elements(row.try_get::<Option<Vec<Option<i32>>>, _>(i).map_err(e)?)?
                .map(|v| Value::Ints(v.into_iter().map(i64::from).collect())),
            (ScalarType::I64, true) => {
                no_null_elements(row.try_get::<Option<Vec<Option<i64>>>, _>(i).map_err(e)?)?.map(Value::Ints)
            }
            (ScalarType::F32, true) => row
                .try_get::<Option<Vec<Option<f32>>>, _>(i)
                .map_err(e)?
                .map(|v| Value::Floats(v.into_iter().map(|x| x.map_or(f64::NAN, f64::from)).collect())),
            (ScalarType::F64, true) => row
                .try_get::<Option<Vec<Option<f64>>>, _>(i)
                .map_err(e)?
                .map(|v| Value::Floats(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())),
        };
        let value = value.unwrap_or(Value::Null);
        match &value {
            Value::Bools(v) if v.len() != col.elements() => {
                Err(format!("an array of {} elements, not {}", v.len(), col.elements()))
            }
            Value::Ints(v) if v.len() != col.elements() => {
                Err(format!("an array of {} elements, not {}", v.len(), col.elements()))
            }
            Value::Floats(v) if v.len() != col.elements() => {
                Err(format!("an array of {} elements, not {}", v.len(), col.elements()))
            }
            _ => Ok(value),
        }
    }

    async fn insert_rows<R: AstraResults + Sync>(
        conn: &mut Self::Connection,
        table: &str,
        columns: &[ColumnMeta],
        outputs: &[OutputRows<'_, R>],
    ) -> crate::Result<()> {
        let total: usize = outputs.iter().map(|o| o.rows.len()).sum();
        if total < COPY_THRESHOLD {
            return insert_with_values::<Postgres, R>(conn, table, columns, outputs).await;
        }
        super::copy::copy_rows(conn, table, columns, outputs).await
    }
}

fn no_null_elements<T>(v: Option<Vec<Option<T>>>) -> Result<Option<Vec<T>>, String> {
    match v {
        None => Ok(None),
        Some(v) => v
            .into_iter()
            .collect::<Option<Vec<T>>>()
            .map(Some)
            .ok_or_else(|| "a NULL array element".to_string()),
    }
}

fn bind_pg_null(q: Q<Postgres>, ty: ScalarType, array: bool) -> Q<Postgres> {
    match (ty, array) {
        (ScalarType::Bool, false) => q.bind(None::<bool>),
        (ScalarType::U8 | ScalarType::I16, false) => q.bind(None::<i16>),
        (ScalarType::I32, false) => q.bind(None::<i32>),
        (ScalarType::I64, false) => q.bind(None::<i64>),
        (ScalarType::F32, false) => q.bind(None::<f32>),
        (ScalarType::F64, false) => q.bind(None::<f64>),
        (ScalarType::Text, false) => q.bind(None::<String>),
        (ScalarType::Bool, true) => q.bind(None::<Vec<bool>>),
        (ScalarType::U8 | ScalarType::I16, true) => q.bind(None::<Vec<i16>>),
        (ScalarType::I32, true) => q.bind(None::<Vec<i32>>),
        (ScalarType::I64, true) => q.bind(None::<Vec<i64>>),
        (ScalarType::F32, true) => q.bind(None::<Vec<f32>>),
        (ScalarType::F64, true) => q.bind(None::<Vec<f64>>),
        (ScalarType::Text, true) => q.bind(None::<Vec<String>>),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_arrays_escape() {
        assert_eq!(
            super::json_array(&["a", "b\"c", "d\\e\n"]),
            r#"["a","b\"c","d\\e\u000a"]"#
        );
    }
}

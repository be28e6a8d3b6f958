//! The SQLite backend: values bound as SQLite stores them (vectors as little-endian
//! BLOBs), lists bound as JSON arrays, result rows inserted through SQLite's C API
//! ([`bulk`]) and task parameters likewise ([`params`]), existence checks on a C-API
//! connection of their own ([`lookup`]), and opening a database file ([`open`]).

pub(crate) mod bulk;
pub(crate) mod lookup;
pub(crate) mod open;
pub(crate) mod params;

use std::future::Future;

use sqlx::{Pool, Row, Sqlite, Transaction};

use super::backend::{Backend, OutputRows, Q, non_nan};
use super::values::{from_blob, to_blob};
use crate::column::{AstraResults, ColumnMeta, ScalarType, SqlDialect};
use crate::value::Value;

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
    fn bind_opt_text(q: Q<Self>, v: Option<&str>) -> Q<Self> {
        q.bind(v.map(str::to_string))
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
    fn bind_i64_list(q: Q<Self>, v: &[i64]) -> Q<Self> {
        let mut json = String::from("[");
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(&x.to_string());
        }
        json.push(']');
        q.bind(json)
    }
    fn bind_text_key_pairs(q: Q<Self>, texts: &[&str], keys: &[i64]) -> Q<Self> {
        let mut json = String::with_capacity(texts.iter().map(|t| t.len() + 24).sum::<usize>() + 2);
        json.push('[');
        for (i, (t, k)) in texts.iter().zip(keys).enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(&json_array(&[t]));
            json.pop();
            json.push_str(&format!(",{k}]"));
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
        bulk::insert_rows(conn, table, columns, outputs).await
    }

    async fn parameter_keys(conn: &mut Self::Connection, pairs: &[(&str, &str)]) -> crate::Result<Vec<i64>> {
        params::parameter_keys(conn, pairs).await
    }

    async fn insert_links(conn: &mut Self::Connection, links: &[(i64, i64)]) -> crate::Result<()> {
        params::insert_links(conn, links).await
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

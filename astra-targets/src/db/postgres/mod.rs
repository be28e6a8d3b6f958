//! The PostgreSQL backend: values bound with PostgreSQL's own types (vectors as arrays,
//! NaN elements as NULL), result rows loaded with binary `COPY` ([`copy`]), and opening a
//! connection pool that fails fast when the server cannot be reached ([`open`]).

pub(crate) mod copy;
pub(crate) mod open;

use std::future::Future;

use sqlx::{Pool, Postgres, Row, Transaction};

use super::backend::{Backend, OutputRows, Q, insert_with_values, non_nan};
use super::write::{insert_links_by_lists, parameter_keys_by_lists};
use crate::column::{AstraResults, ColumnMeta, ScalarType, SqlDialect};
use crate::value::Value;

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
    fn bind_opt_text(q: Q<Self>, v: Option<&str>) -> Q<Self> {
        q.bind(v.map(str::to_string))
    }
    fn bind_text_list(q: Q<Self>, v: &[&str]) -> Q<Self> {
        q.bind(v.iter().map(|s| s.to_string()).collect::<Vec<String>>())
    }
    fn bind_text_pairs(q: Q<Self>, first: &[&str], second: &[&str]) -> Q<Self> {
        Self::bind_text_list(Self::bind_text_list(q, first), second)
    }
    fn bind_i64_list(q: Q<Self>, v: &[i64]) -> Q<Self> {
        q.bind(v.to_vec())
    }
    fn bind_text_key_pairs(q: Q<Self>, texts: &[&str], keys: &[i64]) -> Q<Self> {
        Self::bind_i64_list(Self::bind_text_list(q, texts), keys)
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
        copy::copy_rows(conn, table, columns, outputs).await
    }

    async fn parameter_keys(conn: &mut Self::Connection, pairs: &[(&str, &str)]) -> crate::Result<Vec<i64>> {
        parameter_keys_by_lists::<Postgres>(conn, pairs).await
    }

    async fn insert_links(conn: &mut Self::Connection, links: &[(i64, i64)]) -> crate::Result<()> {
        insert_links_by_lists::<Postgres>(conn, links).await
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

//! PostgreSQL binary `COPY ... FROM STDIN`: result rows encoded by hand in PostgreSQL's
//! binary copy format, the fastest way to load many rows.

use sqlx::postgres::PgConnection;

use crate::column::{AstraResults, ColumnMeta, ScalarType};
use crate::db::backend::OutputRows;
use crate::db::error::db_err;
use crate::db::values::{column_list, ident};
use crate::value::Value;

/// The size of the buffer sent to the server at a time.
const CHUNK: usize = 1 << 20;

/// Loads result rows into `table` with one binary `COPY`.
pub(crate) async fn copy_rows<R: AstraResults + Sync>(
    conn: &mut PgConnection,
    table: &str,
    columns: &[ColumnMeta],
    outputs: &[OutputRows<'_, R>],
) -> crate::Result<()> {
    let action = || format!("copying rows into `{table}`");
    let sql = format!(
        "COPY {} (output_pk, row_index, {}) FROM STDIN (FORMAT BINARY)",
        ident(table),
        column_list(columns)
    );
    let mut copy = conn.copy_in_raw(&sql).await.map_err(db_err(action()))?;
    let mut buf = Vec::with_capacity(CHUNK + 4096);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes()); // flags
    buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    let fields = (columns.len() + 2) as i16;
    for output in outputs {
        for index in 0..output.rows.len() {
            let row = match output.values(columns, index) {
                Ok(row) => row,
                Err(e) => {
                    let _ = copy.abort("a value was refused").await;
                    return Err(e);
                }
            };
            buf.extend_from_slice(&fields.to_be_bytes());
            field(&mut buf, &output.output_pk.to_be_bytes());
            field(&mut buf, &(index as i32).to_be_bytes());
            for (col, value) in columns.iter().zip(&row) {
                encode(&mut buf, col, value);
            }
            if buf.len() >= CHUNK {
                if let Err(e) = copy.send(std::mem::take(&mut buf)).await {
                    let _ = copy.abort("send failed").await;
                    return Err(db_err(action())(e));
                }
                buf.reserve(CHUNK + 4096);
            }
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    if let Err(e) = copy.send(buf).await {
        let _ = copy.abort("send failed").await;
        return Err(db_err(action())(e));
    }
    copy.finish().await.map_err(db_err(action()))?;
    Ok(())
}

fn field(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    buf.extend_from_slice(bytes);
}

fn null(buf: &mut Vec<u8>) {
    buf.extend_from_slice(&(-1i32).to_be_bytes());
}

/// The type OID of a column's element type.
fn element_oid(ty: ScalarType) -> i32 {
    match ty {
        ScalarType::Bool => 16,
        ScalarType::U8 | ScalarType::I16 => 21,
        ScalarType::I32 => 23,
        ScalarType::I64 => 20,
        ScalarType::F32 => 700,
        ScalarType::F64 => 701,
        ScalarType::Text => 25,
    }
}

/// One scalar in the column's binary form (NaN floats as NULL).
fn scalar(buf: &mut Vec<u8>, ty: ScalarType, value: &Value) {
    match (ty, value) {
        (ScalarType::Bool, Value::Bool(b)) => field(buf, &[u8::from(*b)]),
        (ScalarType::U8 | ScalarType::I16, Value::Int(i)) => field(buf, &(*i as i16).to_be_bytes()),
        (ScalarType::I32, Value::Int(i)) => field(buf, &(*i as i32).to_be_bytes()),
        (ScalarType::I64, Value::Int(i)) => field(buf, &i.to_be_bytes()),
        (ScalarType::F32, Value::Float(x)) if !x.is_nan() => field(buf, &(*x as f32).to_be_bytes()),
        (ScalarType::F64, Value::Float(x)) if !x.is_nan() => field(buf, &x.to_be_bytes()),
        (ScalarType::Text, Value::Text(s)) => field(buf, s.as_bytes()),
        _ => null(buf),
    }
}

/// One cell of a column: a scalar, or a one-dimensional array of the column's elements.
fn encode(buf: &mut Vec<u8>, col: &ColumnMeta, value: &Value) {
    if col.shape.is_empty() {
        return scalar(buf, col.ty, value);
    }
    let elements: Vec<Value> = match value {
        Value::Floats(v) => v.iter().map(|x| Value::Float(*x)).collect(),
        Value::Ints(v) => v.iter().map(|x| Value::Int(*x)).collect(),
        Value::Bools(v) => v.iter().map(|x| Value::Bool(*x)).collect(),
        _ => return null(buf),
    };
    let start = buf.len();
    buf.extend_from_slice(&0i32.to_be_bytes()); // length, patched below
    let has_null = elements.iter().any(|v| matches!(v, Value::Float(x) if x.is_nan()));
    buf.extend_from_slice(&1i32.to_be_bytes()); // dimensions
    buf.extend_from_slice(&i32::from(has_null).to_be_bytes());
    buf.extend_from_slice(&element_oid(col.ty).to_be_bytes());
    buf.extend_from_slice(&(elements.len() as i32).to_be_bytes());
    buf.extend_from_slice(&1i32.to_be_bytes()); // lower bound
    for v in &elements {
        scalar(buf, col.ty, v);
    }
    let len = (buf.len() - start - 4) as i32;
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

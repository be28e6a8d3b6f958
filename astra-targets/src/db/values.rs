//! Checking result values against their columns before anything is written, and the
//! byte layout of vector columns in SQLite (little-endian BLOBs).

use crate::column::{ColumnMeta, ScalarType};
use crate::value::Value;
use crate::{Error, Result};

/// Abbreviates a value for an error message.
pub(crate) fn show(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}...")
    }
}

/// Refuses text holding a NUL byte: PostgreSQL `TEXT` cannot store it, so it is refused on
/// every backend alike.
pub(crate) fn check_text(task_id: &str, what: impl FnOnce() -> String, text: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(Error::Value {
            task_id: task_id.to_string(),
            what: what(),
            value: show(text),
            reason: "contains a NUL byte, which database text cannot hold (refused on every backend)".into(),
        });
    }
    Ok(())
}

/// Checks that one row's values fit the columns: the count, each value's kind, each vector's
/// length, integer ranges, and text without NUL bytes.
pub(crate) fn check_row(task_id: &str, columns: &[ColumnMeta], row_index: usize, values: &[Value]) -> Result<()> {
    if values.len() != columns.len() {
        return Err(Error::Value {
            task_id: task_id.to_string(),
            what: format!("row {row_index}"),
            value: format!("{} values", values.len()),
            reason: format!("does not match the {} declared columns", columns.len()),
        });
    }
    for (col, value) in columns.iter().zip(values) {
        let bad = |reason: String| Error::Value {
            task_id: task_id.to_string(),
            what: format!("column `{}` row {row_index}", col.name),
            value: show(&format!("{value:?}")),
            reason,
        };
        let fits = match (value, col.ty, col.shape.is_empty()) {
            (Value::Null, _, _) => true,
            (Value::Bool(_), ScalarType::Bool, true) => true,
            (Value::Int(i), ty, true) if ty.is_integer() => int_fits(ty, *i),
            (Value::Float(_), ty, true) if ty.is_float() => true,
            (Value::Text(s), ScalarType::Text, true) => {
                check_text(task_id, || format!("column `{}` row {row_index}", col.name), s)?;
                true
            }
            (Value::Bools(v), ScalarType::Bool, false) => v.len() == col.elements(),
            (Value::Ints(v), ty, false) if ty.is_integer() => {
                v.len() == col.elements() && v.iter().all(|i| int_fits(ty, *i))
            }
            (Value::Floats(v), ty, false) if ty.is_float() => v.len() == col.elements(),
            _ => false,
        };
        if !fits {
            return Err(bad(format!(
                "does not fit the column type {} ({} elements)",
                col.rust_type(),
                col.elements()
            )));
        }
    }
    Ok(())
}

fn int_fits(ty: ScalarType, i: i64) -> bool {
    match ty {
        ScalarType::U8 => u8::try_from(i).is_ok(),
        ScalarType::I16 => i16::try_from(i).is_ok(),
        ScalarType::I32 => i32::try_from(i).is_ok(),
        _ => true,
    }
}

/// The number of bytes one element of a vector column takes in a SQLite BLOB.
pub(crate) fn element_size(ty: ScalarType) -> usize {
    match ty {
        ScalarType::Bool | ScalarType::U8 => 1,
        ScalarType::I16 => 2,
        ScalarType::I32 | ScalarType::F32 => 4,
        ScalarType::I64 | ScalarType::F64 | ScalarType::Text => 8,
    }
}

/// A vector value as a little-endian BLOB of the column's element type.
pub(crate) fn to_blob(ty: ScalarType, value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    match value {
        Value::Floats(v) => {
            out.reserve(v.len() * element_size(ty));
            for x in v {
                match ty {
                    ScalarType::F32 => out.extend_from_slice(&(*x as f32).to_le_bytes()),
                    _ => out.extend_from_slice(&x.to_le_bytes()),
                }
            }
        }
        Value::Ints(v) => {
            for i in v {
                match ty {
                    ScalarType::U8 => out.push(*i as u8),
                    ScalarType::I16 => out.extend_from_slice(&(*i as i16).to_le_bytes()),
                    ScalarType::I32 => out.extend_from_slice(&(*i as i32).to_le_bytes()),
                    _ => out.extend_from_slice(&i.to_le_bytes()),
                }
            }
        }
        Value::Bools(v) => out.extend(v.iter().map(|b| u8::from(*b))),
        _ => {}
    }
    out
}

/// A little-endian BLOB back into a vector value; `None` when its length does not fit.
pub(crate) fn from_blob(col: &ColumnMeta, bytes: &[u8]) -> Option<Value> {
    let size = element_size(col.ty);
    if bytes.len() != size * col.elements() {
        return None;
    }
    let chunks = bytes.chunks_exact(size);
    Some(match col.ty {
        ScalarType::F32 => Value::Floats(
            chunks
                .map(|c| f64::from(f32::from_le_bytes(c.try_into().unwrap())))
                .collect(),
        ),
        ScalarType::F64 => Value::Floats(chunks.map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()),
        ScalarType::U8 => Value::Ints(bytes.iter().map(|b| i64::from(*b)).collect()),
        ScalarType::I16 => Value::Ints(
            chunks
                .map(|c| i64::from(i16::from_le_bytes(c.try_into().unwrap())))
                .collect(),
        ),
        ScalarType::I32 => Value::Ints(
            chunks
                .map(|c| i64::from(i32::from_le_bytes(c.try_into().unwrap())))
                .collect(),
        ),
        ScalarType::I64 => Value::Ints(chunks.map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect()),
        ScalarType::Bool => Value::Bools(bytes.iter().map(|b| *b != 0).collect()),
        ScalarType::Text => return None,
    })
}

/// A table or column name quoted for SQL. Names come only from task metadata and are
/// plain identifiers (checked by the derive and again here), so quoting only guards
/// against names that are SQL keywords.
pub(crate) fn ident(name: &str) -> String {
    debug_assert!(is_identifier(name), "{name:?} is not an identifier");
    format!("\"{name}\"")
}

/// The quoted names of columns, comma-separated.
pub(crate) fn column_list(columns: &[ColumnMeta]) -> String {
    columns.iter().map(|c| ident(c.name)).collect::<Vec<_>>().join(", ")
}

/// Whether a name is a plain SQL identifier (letters, digits, underscores; not starting
/// with a digit). The derive validates names; this re-checks before SQL is built.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

#[cfg(test)]
mod tests {
    use super::*;

    const COV: ColumnMeta = ColumnMeta {
        name: "cov",
        ty: ScalarType::F32,
        shape: &[2, 2],
        nullable: false,
        width: 0,
        unit: "",
        description: "",
        flags: &[],
    };

    #[test]
    fn blobs_round_trip_little_endian() {
        let v = Value::Floats(vec![1.0, -2.5, f64::from(f32::MAX), 0.0]);
        let blob = to_blob(ScalarType::F32, &v);
        assert_eq!(blob.len(), 16);
        assert_eq!(&blob[..4], &1.0f32.to_le_bytes());
        assert_eq!(from_blob(&COV, &blob), Some(v));
        assert_eq!(from_blob(&COV, &blob[..12]), None);
    }

    #[test]
    fn rows_are_checked() {
        assert!(check_row("t", &[COV], 0, &[Value::Floats(vec![0.0; 4])]).is_ok());
        let err = check_row("t", &[COV], 3, &[Value::Floats(vec![0.0; 3])])
            .unwrap_err()
            .to_string();
        assert!(err.contains("column `cov` row 3"), "{err}");
        let err = check_text("t", || "parameter `obj`".into(), "a\0b")
            .unwrap_err()
            .to_string();
        assert!(err.contains("NUL") && err.contains("parameter `obj`"), "{err}");
        assert!(is_identifier("thepayne_2") && !is_identifier("x; DROP") && !is_identifier("1a"));
    }
}

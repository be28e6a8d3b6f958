//! The two tables of an astraSource file: `TASK_PARAMETERS` and `RESULTS`, built from the
//! task's metadata and values.

use crate::column::{AstraResults, ColumnMeta, ScalarType};
use crate::fits::{Card, ColumnData, TableColumn, card};
use crate::meta::TaskMeta;
use crate::param::ParamKind;
use crate::task::AstraTask;
use crate::value::Value;
use crate::{Error, Result};

/// Descriptions of the two version columns every task carries.
pub const VERSION_DESCRIPTIONS: [(&str, &str); 2] = [
    ("astra_version_major", "Major version of astra-targets"),
    ("astra_version_minor", "Minor version of astra-targets"),
];

fn text_column(name: &str, description: &str, values: Vec<String>, table: &str) -> Result<TableColumn> {
    for v in &values {
        if !v.chars().all(|c| (' '..='~').contains(&c)) {
            return Err(Error::NonAscii {
                what: format!("{table} column {name}"),
                value: v.clone(),
            });
        }
    }
    let width = values.iter().map(String::len).max().unwrap_or(0).max(1);
    Ok(TableColumn {
        name: name.into(),
        repeat: 1,
        unit: String::new(),
        description: description.into(),
        tnull: None,
        tdim: None,
        data: ColumnData::Text { width, values },
    })
}

/// The columns of the `TASK_PARAMETERS` table, in order: name and description.
pub const TASK_PARAMETER_COLUMNS: [(&str, &str); 3] = [
    ("NAME", "Parameter name"),
    ("VALUE", "Parameter value, as Python's str() writes it"),
    ("DESCRIPTION", "Parameter description"),
];

/// The `TASK_PARAMETERS` table: NAME, VALUE (Python's `str()` form) and DESCRIPTION of
/// every parameter, then of `astra_version_major` and `astra_version_minor`. A value that
/// is not printable ASCII is refused, naming the parameter.
pub fn task_parameters<T: AstraTask>(task: &T) -> Result<Vec<TableColumn>> {
    let values = task.parameters();
    let mut names = Vec::new();
    let mut texts = Vec::new();
    let mut descriptions = Vec::new();
    for (p, v) in values.iter() {
        let text = v.python_str();
        if !text.chars().all(|c| (' '..='~').contains(&c)) {
            return Err(Error::NonAscii {
                what: format!("TASK_PARAMETERS value of parameter `{}`", p.name),
                value: text,
            });
        }
        names.push(p.name.to_string());
        texts.push(text);
        descriptions.push(p.description.to_string());
    }
    for ((name, description), version) in VERSION_DESCRIPTIONS
        .iter()
        .zip([crate::ASTRA_VERSION_MAJOR, crate::ASTRA_VERSION_MINOR])
    {
        names.push(name.to_string());
        texts.push(version.to_string());
        descriptions.push(description.to_string());
    }
    let [name, value, description] = TASK_PARAMETER_COLUMNS;
    Ok(vec![
        text_column(name.0, name.1, names, "TASK_PARAMETERS")?,
        text_column(value.0, value.1, texts, "TASK_PARAMETERS")?,
        text_column(description.0, description.1, descriptions, "TASK_PARAMETERS")?,
    ])
}

/// The `RESULTS` table: one column per result column of the task (in declaration order),
/// then the significant parameters as columns (`astra_version_major`,
/// `astra_version_minor` first), one row per result.
pub fn results<T: AstraTask>(task: &T, rows: &[T::Results]) -> Result<Vec<TableColumn>> {
    let meta = T::META;
    let row_values: Vec<Vec<Value>> = rows.iter().map(AstraResults::to_values).collect();
    let mut columns = Vec::with_capacity(meta.results.len() + 8);
    for (j, column) in meta.results.iter().enumerate() {
        let mut cells = Vec::with_capacity(rows.len());
        for (i, values) in row_values.iter().enumerate() {
            let v = values.get(j).ok_or_else(|| Error::Column {
                column: column.ttype(),
                reason: format!("row {i} has {} values for {} columns", values.len(), meta.results.len()),
            })?;
            cells.push(v);
        }
        columns.push(result_column(column, &cells)?);
    }
    for (name, value) in task.significant_values() {
        columns.push(parameter_column::<T>(name, value, rows.len())?);
    }
    Ok(columns)
}

/// The keyword of the card naming bit `bit` of the RESULTS table's column `n` (1-based,
/// the `n` of `TTYPEn`): `F{n}_{bit}`, as `F5_0`, at most 7 characters.
pub fn flag_keyword(n: usize, bit: u8) -> String {
    format!("F{n}_{bit}")
}

/// The cards of the RESULTS header that name the bits of its bitmask columns: for each
/// such column (the result columns are the table's first columns, in declaration order),
/// a `COMMENT` saying which keywords follow, then one card per bit in bit order, keyword
/// [`flag_keyword`], value the bit's name, comment its description.
pub fn results_flag_cards(meta: &TaskMeta) -> Vec<Card> {
    let mut cards = Vec::new();
    for (j, column) in meta.results.iter().enumerate() {
        if column.flags.is_empty() {
            continue;
        }
        let n = j + 1;
        cards.push(Card {
            key: "COMMENT".into(),
            value: crate::fits::CardValue::None,
            comment: format!(
                "Bits of column {n} ({}): keyword F{n}_b names bit b (value 2**b)",
                column.ttype()
            ),
        });
        let mut bits: Vec<_> = column.flags.iter().collect();
        bits.sort_by_key(|f| f.bit);
        for f in bits {
            cards.push(card::string(&flag_keyword(n, f.bit), f.name, f.description));
        }
    }
    cards
}

/// The null stand-in of a nullable integer column (`TNULLn`).
pub fn integer_null(ty: ScalarType) -> Option<i64> {
    match ty {
        ScalarType::U8 => Some(255),
        ScalarType::I16 => Some(i16::MIN.into()),
        ScalarType::I32 => Some(i32::MIN.into()),
        ScalarType::I64 => Some(i64::MIN),
        _ => None,
    }
}

fn result_column(meta: &ColumnMeta, cells: &[&Value]) -> Result<TableColumn> {
    let ttype = meta.ttype();
    let elements = meta.elements();
    let fail = |row: usize, reason: String| Error::Column {
        column: ttype.clone(),
        reason: format!("row {row}: {reason}"),
    };
    let null = if meta.nullable && meta.ty.is_integer() {
        integer_null(meta.ty)
    } else {
        None
    };
    // Every cell as its flat list of elements, checked against the column's type.
    let mut floats = Vec::new();
    let mut ints = Vec::new();
    let mut bools = Vec::new();
    let mut texts = Vec::new();
    for (row, cell) in cells.iter().enumerate() {
        let wrong = || {
            fail(
                row,
                format!("a {} value in a {} column", cell.type_name(), meta.rust_type()),
            )
        };
        let count = |n: usize| {
            if n == elements {
                Ok(())
            } else {
                Err(fail(row, format!("{n} elements for a cell of {elements}")))
            }
        };
        match (meta.ty, cell) {
            (ScalarType::Text, Value::Text(s)) => texts.push(s.clone()),
            (ScalarType::Text, Value::Null) => texts.push(String::new()),
            (ty, Value::Float(x)) if ty.is_float() && elements == 1 => floats.push(*x),
            (ty, Value::Floats(v)) if ty.is_float() => {
                count(v.len())?;
                floats.extend_from_slice(v);
            }
            (ty, Value::Null) if ty.is_float() => floats.extend(std::iter::repeat_n(f64::NAN, elements)),
            (ty, Value::Int(i)) if ty.is_integer() && elements == 1 => ints.push(*i),
            (ty, Value::Ints(v)) if ty.is_integer() => {
                count(v.len())?;
                ints.extend_from_slice(v);
            }
            (ty, Value::Null) if ty.is_integer() => match null {
                Some(n) => ints.extend(std::iter::repeat_n(n, elements)),
                None => return Err(fail(row, "a missing value in a column that is not an Option".into())),
            },
            (ScalarType::Bool, Value::Bool(b)) if elements == 1 => bools.push(Some(*b)),
            (ScalarType::Bool, Value::Bools(v)) => {
                count(v.len())?;
                bools.extend(v.iter().map(|b| Some(*b)));
            }
            (ScalarType::Bool, Value::Null) if meta.nullable => bools.extend(std::iter::repeat_n(None, elements)),
            _ => return Err(wrong()),
        }
        if let (Some(n), Value::Int(_) | Value::Ints(_)) = (null, cell)
            && ints[ints.len() - elements..].contains(&n)
        {
            return Err(fail(
                row,
                format!("{n} is the column's null value (TNULL) and cannot be written as a value"),
            ));
        }
    }
    let narrow = |range: (i64, i64)| -> Result<()> {
        match ints.iter().position(|&i| i < range.0 || i > range.1) {
            Some(k) => Err(fail(
                k / elements,
                format!("{} does not fit a {} column", ints[k], meta.ty.rust_name()),
            )),
            None => Ok(()),
        }
    };
    let data = match meta.ty {
        ScalarType::Bool => ColumnData::Bool(bools),
        ScalarType::U8 => {
            narrow((0, 255))?;
            ColumnData::U8(ints.iter().map(|&i| i as u8).collect())
        }
        ScalarType::I16 => {
            narrow((i16::MIN.into(), i16::MAX.into()))?;
            ColumnData::I16(ints.iter().map(|&i| i as i16).collect())
        }
        ScalarType::I32 => {
            narrow((i32::MIN.into(), i32::MAX.into()))?;
            ColumnData::I32(ints.iter().map(|&i| i as i32).collect())
        }
        ScalarType::I64 => ColumnData::I64(ints),
        ScalarType::F32 => ColumnData::F32(floats.iter().map(|&x| x as f32).collect()),
        ScalarType::F64 => ColumnData::F64(floats),
        ScalarType::Text => {
            if let Some(v) = texts.iter().find(|v| !v.chars().all(|c| (' '..='~').contains(&c))) {
                return Err(Error::NonAscii {
                    what: format!("RESULTS column {ttype}"),
                    value: v.clone(),
                });
            }
            ColumnData::Text {
                width: meta.width.max(1),
                values: texts,
            }
        }
    };
    Ok(TableColumn {
        name: ttype.clone(),
        repeat: if meta.ty == ScalarType::Text { 1 } else { elements },
        unit: meta.unit.into(),
        description: meta.description.into(),
        tnull: null,
        tdim: meta.tdim(),
        data,
    })
}

fn parameter_column<T: AstraTask>(name: &'static str, value: Value, rows: usize) -> Result<TableColumn> {
    let param = T::META.parameter(name).map(|(_, p)| p);
    let description = param
        .map(|p| p.description)
        .or_else(|| VERSION_DESCRIPTIONS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d))
        .unwrap_or_default();
    let f32_param = param.is_some_and(|p| p.kind == ParamKind::F32);
    let data = match value {
        Value::Int(i) => ColumnData::I64(vec![i; rows]),
        Value::Float(x) if f32_param => ColumnData::F32(vec![x as f32; rows]),
        Value::Float(x) => ColumnData::F64(vec![x; rows]),
        Value::Bool(b) => ColumnData::Bool(vec![Some(b); rows]),
        Value::Text(s) => {
            if !s.chars().all(|c| (' '..='~').contains(&c)) {
                return Err(Error::NonAscii {
                    what: format!("RESULTS column {} (parameter `{name}`)", name.to_ascii_uppercase()),
                    value: s,
                });
            }
            ColumnData::Text {
                width: s.len().max(1),
                values: vec![s; rows],
            }
        }
        other => {
            return Err(Error::Column {
                column: name.to_ascii_uppercase(),
                reason: format!("a parameter cannot be a {}", other.type_name()),
            });
        }
    };
    Ok(TableColumn {
        name: name.to_ascii_uppercase(),
        repeat: 1,
        unit: String::new(),
        description: description.into(),
        tnull: None,
        tdim: None,
        data,
    })
}

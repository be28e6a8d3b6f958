//! Items used by the code that the derives generate. Not a public API.
use std::collections::BTreeMap;

pub use crate::column::find_column;
pub use crate::param::{ParamEnum, ParamField};
pub use crate::registry::TaskRegistration;
pub use crate::template::{Align, PathFunc, PathTemplate, Segment, Source, Spec};
use crate::{Error, ParamValue, Params, Result, TaskMeta, Value, value::ColumnValue};

/// The parameters of a derived task: one value per field, each built by the conversion
/// ([`ParamField`] or [`ParamEnum`]) of the field's type, whose kind the derive declared
/// in the metadata.
pub fn params(meta: &'static TaskMeta, values: Vec<ParamValue>) -> Params {
    Params::trusted(meta, values)
}

/// The conversions of an enum parameter's type, taken from its [`ParamEnum`] impl once
/// (where the derive checks the bound) and used without a bound afterwards.
pub struct EnumConv<T> {
    name: fn(&T) -> &'static str,
    from_name: fn(&str) -> Option<T>,
}

/// The conversions of `T`.
pub const fn enum_conv<T: ParamEnum>() -> EnumConv<T> {
    EnumConv {
        name: T::name,
        from_name: T::from_name,
    }
}

/// The value of an enum parameter.
pub fn enum_param<T>(conv: &EnumConv<T>, value: &T) -> ParamValue {
    ParamValue::Enum((conv.name)(value).to_string())
}

/// The parameter `name` from a map of named values; `Ok(None)` when absent.
pub fn take<T: ParamField>(
    family: &'static str,
    values: &BTreeMap<String, ParamValue>,
    name: &str,
) -> Result<Option<T>> {
    take_with(family, values, name, T::from_param)
}

/// The enum parameter `name` from a map of named values; `Ok(None)` when absent.
pub fn take_enum<T>(
    conv: &EnumConv<T>,
    family: &'static str,
    values: &BTreeMap<String, ParamValue>,
    name: &str,
) -> Result<Option<T>> {
    take_with(family, values, name, |v| v.as_str().and_then(conv.from_name))
}

fn take_with<T>(
    family: &'static str,
    values: &BTreeMap<String, ParamValue>,
    name: &str,
    convert: impl Fn(&ParamValue) -> Option<T>,
) -> Result<Option<T>> {
    values
        .get(name)
        .map(|v| convert(v).ok_or_else(|| mismatch(family, name, v)))
        .transpose()
}

/// The error for a required parameter that is absent.
pub fn missing(family: &'static str, name: &str) -> Error {
    Error::Parameter {
        family,
        name: name.to_string(),
        reason: "is missing".into(),
    }
}

fn mismatch(family: &'static str, name: &str, value: &ParamValue) -> Error {
    Error::Parameter {
        family,
        name: name.to_string(),
        reason: format!("value {value} does not fit its type"),
    }
}

/// The next column value of a row, converted to the field's type.
pub fn column<T: ColumnValue>(values: &mut std::vec::IntoIter<Value>, name: &str) -> Result<T> {
    let value = values.next().ok_or_else(|| Error::Column {
        column: name.to_string(),
        reason: "is missing from the row".into(),
    })?;
    let kind = value.type_name();
    T::from_value(value).ok_or_else(|| Error::Column {
        column: name.to_string(),
        reason: format!(
            "a {kind} value does not fit the field's type {}",
            std::any::type_name::<T>()
        ),
    })
}

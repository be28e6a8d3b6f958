//! # astra-targets
//!
//! The outputs of astronomical survey pipelines, declared once and written correctly:
//! a task's result rows in a database ([`db`]) and its `astraSource` FITS product
//! ([`source`]), with output paths ([`path`]), task identity ([`identity`]) and generated
//! documentation ([`docs`]) all derived from one declaration, `#[derive(AstraTask)]`.
//!
//! The building blocks:
//! - [`task`]: the static metadata of a task ([`TaskMeta`]), its parameters and the
//!   [`AstraTask`] trait the derive implements;
//! - [`column`]: result columns ([`ColumnMeta`]), their SQL types and FITS formats, and the
//!   [`AstraResults`] trait for result-row structs;
//! - [`value`]: dynamically typed parameter and column values;
//! - [`registry`]: every task and plugin linked into a program, found through `inventory`.

extern crate self as astra_targets;

pub mod column;
#[cfg(feature = "db")]
pub mod db;
pub mod docs;
pub mod error;
#[cfg(feature = "fits")]
pub mod fits;
pub mod fs;
pub mod identity;
pub mod param;
pub mod path;
pub mod plugin;
pub mod registry;
#[cfg(feature = "fits")]
pub mod source;
#[cfg(feature = "fits")]
pub mod spectrum;
pub mod task;
pub mod value;

pub use astra_targets_derive::{AstraResults, AstraTask};
pub use column::{AstraResults, ColumnMeta, ScalarType};
pub use error::{Error, Result};
pub use param::{ParamKind, ParamMeta, ParamValue};
pub use path::OutputRoot;
pub use task::{AstraTask, TaskMeta};
pub use value::Value;

/// Re-exported so that plugin crates register with `astra_targets::inventory::submit!`
/// without depending on `inventory` themselves.
pub use inventory;

/// The version of astra-targets, `major.minor.patch`: the `{astra_version}` of output paths.
pub const ASTRA_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The major version, hashed into every task id as `astra_version_major`.
pub const ASTRA_VERSION_MAJOR: &str = env!("CARGO_PKG_VERSION_MAJOR");
/// The minor version, hashed into every task id as `astra_version_minor`.
pub const ASTRA_VERSION_MINOR: &str = env!("CARGO_PKG_VERSION_MINOR");

#[doc(hidden)]
pub mod __private {
    //! Items used by the code that the derives generate. Not a public API.
    use std::collections::BTreeMap;

    pub use crate::column::find_column;
    pub use crate::param::{ParamField, enum_from_str, enum_to_string};
    pub use crate::path::{Align, PathFunc, PathTemplate, Segment, Source, Spec};
    pub use crate::registry::TaskRegistration;
    use crate::{Error, ParamValue, Result, Value, value::ColumnValue};

    /// The parameter `name` from a map of named values; `Ok(None)` when absent.
    pub fn take<T: ParamField>(
        family: &'static str,
        values: &BTreeMap<String, ParamValue>,
        name: &str,
    ) -> Result<Option<T>> {
        values
            .get(name)
            .map(|v| T::from_param(v).ok_or_else(|| mismatch(family, name, v)))
            .transpose()
    }

    /// The enum parameter `name` from a map of named values; `Ok(None)` when absent.
    pub fn take_enum<T: serde::de::DeserializeOwned>(
        family: &'static str,
        values: &BTreeMap<String, ParamValue>,
        name: &str,
    ) -> Result<Option<T>> {
        values
            .get(name)
            .map(|v| {
                v.as_str()
                    .and_then(enum_from_str)
                    .ok_or_else(|| mismatch(family, name, v))
            })
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
}

//! Task metadata: what `#[derive(AstraTask)]` knows about a task at compile time
//! ([`TaskMeta`]), and a task's parameter values checked against it ([`Params`]).
//!
//! Plain data: [`identity`](mod@crate::identity) and [`path`](mod@crate::path) compute from it,
//! and [`task`](mod@crate::task) builds on all three.

use std::collections::BTreeMap;

use crate::column::ColumnMeta;
use crate::param::{ParamMeta, ParamValue};
use crate::template::PathTemplate;
use crate::{Error, Result};

/// Everything known about a task at compile time: identity, parameters, output path rule
/// and result columns. One `static` per derived task, registered through `inventory`.
///
/// Not `#[non_exhaustive]`: the derive (another crate) builds it as a struct literal.
#[derive(Debug)]
pub struct TaskMeta {
    /// The task family (default: the struct name); the `task_module` in the database and
    /// the prefix of the task id.
    pub family: &'static str,
    /// The namespace: the prefix of the short id, and `{namespace}` in paths.
    pub namespace: &'static str,
    /// The task's own version (documentation only: it does not change the task id).
    pub version: &'static str,
    /// The task's description (the struct's doc comment).
    pub description: &'static str,
    /// The Rust path of the struct, `crate::module::Name`.
    pub rust_name: &'static str,
    /// The parameters, in declaration order.
    pub parameters: &'static [ParamMeta],
    /// The astraSource output path rule, if the task writes files.
    pub path: Option<&'static PathTemplate>,
    /// The name of the task family's result table.
    pub table: &'static str,
    /// The Rust name of the result-row struct.
    pub results_type: &'static str,
    /// The result columns (the result-row struct's columns).
    pub results: &'static [ColumnMeta],
}

impl TaskMeta {
    /// The parameter named `name`, with its index.
    pub fn parameter(&self, name: &str) -> Option<(usize, &'static ParamMeta)> {
        self.parameters.iter().enumerate().find(|(_, p)| p.name == name)
    }

    /// The significant parameters, in declaration order.
    pub fn significant_parameters(&self) -> impl Iterator<Item = &'static ParamMeta> {
        self.parameters.iter().filter(|p| p.significant)
    }

    fn parameter_error(&self, name: &str, reason: String) -> Error {
        Error::Parameter {
            family: self.family,
            name: name.to_string(),
            reason,
        }
    }
}

/// The parameter values of one task: one value per declared parameter, in declaration
/// order, each of its parameter's kind.
///
/// The only input of task ids ([`identity`](mod@crate::identity)) and output paths
/// ([`path`](mod@crate::path)). Built by a derived task ([`AstraTask::parameters`]), from
/// values checked against the metadata ([`Params::new`]) or from named text
/// ([`Params::parse`]), so that a missing, extra or ill-kinded value is refused with an
/// error naming the task and the parameter, never hashed into a wrong id.
///
/// Serializes (serde) as a map of name to value in declaration order.
///
/// [`AstraTask::parameters`]: crate::AstraTask::parameters
#[derive(Debug, Clone)]
pub struct Params {
    meta: &'static TaskMeta,
    values: Vec<ParamValue>,
}

impl Params {
    /// The parameters of a task of `meta` with these values (declaration order), refusing
    /// a list of the wrong length or a value of the wrong kind.
    pub fn new(meta: &'static TaskMeta, values: Vec<ParamValue>) -> Result<Params> {
        if let Some(p) = meta.parameters.get(values.len()) {
            return Err(meta.parameter_error(
                p.name,
                format!(
                    "is missing: {} values were given for the {} parameters ({})",
                    values.len(),
                    meta.parameters.len(),
                    names(meta)
                ),
            ));
        }
        if values.len() > meta.parameters.len() {
            return Err(meta.parameter_error(
                "(extra)",
                format!(
                    "is not a parameter: {} values were given for the {} parameters ({})",
                    values.len(),
                    meta.parameters.len(),
                    names(meta)
                ),
            ));
        }
        for (p, v) in meta.parameters.iter().zip(&values) {
            if v.kind() != p.kind {
                return Err(meta.parameter_error(
                    p.name,
                    format!("value {v} is a {}, not a {}", v.kind().doc_name(), p.kind.doc_name()),
                ));
            }
        }
        Ok(Params { meta, values })
    }

    /// Parses named textual values (a command line's `name=value` pairs) into the
    /// parameters of a task of `meta`, refusing unknown and missing names and text that is
    /// not a value of its parameter's kind.
    pub fn parse(meta: &'static TaskMeta, named: &BTreeMap<String, String>) -> Result<Params> {
        if let Some(unknown) = named.keys().find(|k| meta.parameter(k).is_none()) {
            return Err(meta.parameter_error(
                unknown,
                format!("is not a parameter of this task (parameters: {})", names(meta)),
            ));
        }
        let values = meta
            .parameters
            .iter()
            .map(|p| {
                let text = named
                    .get(p.name)
                    .ok_or_else(|| meta.parameter_error(p.name, "is missing".into()))?;
                ParamValue::parse(p.kind, text).ok_or_else(|| {
                    meta.parameter_error(p.name, format!("value {text:?} is not a {}", p.kind.doc_name()))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Params::new(meta, values)
    }

    /// Parameters that the caller guarantees fit `meta` (the derive's generated code,
    /// which builds one value of each parameter's kind from the fields).
    pub(crate) fn trusted(meta: &'static TaskMeta, values: Vec<ParamValue>) -> Params {
        debug_assert!(
            meta.parameters.len() == values.len()
                && meta.parameters.iter().zip(&values).all(|(p, v)| p.kind == v.kind())
        );
        Params { meta, values }
    }

    /// The task's metadata.
    pub fn meta(&self) -> &'static TaskMeta {
        self.meta
    }

    /// The values, in declaration order (one per entry of `meta().parameters`).
    pub fn values(&self) -> &[ParamValue] {
        &self.values
    }

    /// The value of the parameter named `name`.
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.meta.parameter(name).map(|(i, _)| &self.values[i])
    }

    /// Each parameter with its value, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static ParamMeta, &ParamValue)> + '_ {
        self.meta.parameters.iter().zip(&self.values)
    }

    /// The values by name, as [`AstraTask::from_parameters`](crate::AstraTask::from_parameters)
    /// takes them.
    pub fn to_named(&self) -> BTreeMap<String, ParamValue> {
        self.iter().map(|(p, v)| (p.name.to_string(), v.clone())).collect()
    }

    /// The values, in declaration order.
    pub fn into_values(self) -> Vec<ParamValue> {
        self.values
    }
}

/// Equal when of the same task (the same metadata) with equal values.
impl PartialEq for Params {
    fn eq(&self, other: &Params) -> bool {
        std::ptr::eq(self.meta, other.meta) && self.values == other.values
    }
}

fn names(meta: &TaskMeta) -> String {
    meta.parameters.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// A map of parameter name to value ([`ParamValue`]'s natural scalar), in declaration
/// order: `{"telescope": "apo25m", "snr_min": 3.0, ...}` in JSON.
impl serde::Serialize for Params {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (p, v) in self.iter() {
            map.serialize_entry(p.name, v)?;
        }
        map.end()
    }
}

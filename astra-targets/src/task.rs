//! Tasks: the static metadata `#[derive(AstraTask)]` generates, and the [`AstraTask`] trait.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::column::{AstraResults, ColumnMeta};
use crate::param::{ParamMeta, ParamValue};
use crate::path::{OutputRoot, PathTemplate};
use crate::value::Value;
use crate::{Error, Result, identity, path};

/// Everything known about a task at compile time: identity, parameters, output path rule
/// and result columns. One `static` per derived task, registered through `inventory`.
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

    /// Parses named textual values (a command line's `name=value` pairs) into parameter
    /// values in declaration order, refusing unknown and missing names.
    pub fn parse_parameters(&'static self, named: &BTreeMap<String, String>) -> Result<Vec<ParamValue>> {
        if let Some(unknown) = named.keys().find(|k| self.parameter(k).is_none()) {
            return Err(Error::Parameter {
                family: self.family,
                name: unknown.clone(),
                reason: format!(
                    "is not a parameter of this task (parameters: {})",
                    self.parameters.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        self.parameters
            .iter()
            .map(|p| {
                let text = named.get(p.name).ok_or_else(|| Error::Parameter {
                    family: self.family,
                    name: p.name.to_string(),
                    reason: "is missing".into(),
                })?;
                ParamValue::parse(p.kind, text).ok_or_else(|| Error::Parameter {
                    family: self.family,
                    name: p.name.to_string(),
                    reason: format!("value {text:?} is not a {}", p.kind.doc_name()),
                })
            })
            .collect()
    }

    /// The task id `{family}_{h}` of a task with these parameter values.
    pub fn task_id(&self, values: &[ParamValue]) -> String {
        identity::task_id(self, values)
    }

    /// The path (relative to the output root) of a task with these parameter values.
    pub fn relative_path(&'static self, values: &[ParamValue]) -> Result<PathBuf> {
        let template = self.path.ok_or(Error::NoPathTemplate(self.family))?;
        template.render(self, values)
    }
}

/// A task: one analysis with parameters, whose outputs are a database result and an
/// astraSource file. Implemented by `#[derive(AstraTask)]`.
pub trait AstraTask: Sized + 'static {
    /// The result-row struct (`#[derive(AstraResults)]`): one row per analysed spectrum.
    type Results: AstraResults;

    /// The task's static metadata.
    const META: &'static TaskMeta;

    /// The parameter values, in declaration order (matching `META.parameters`).
    fn parameter_values(&self) -> Vec<ParamValue>;

    /// Builds the task from named parameter values. Parameters declared
    /// `#[astra(default)]` may be absent.
    fn from_parameters(values: &BTreeMap<String, ParamValue>) -> Result<Self>;

    /// The task id, `{family}_{h}` (Astra's rule: see [`identity`]).
    fn task_id(&self) -> String {
        identity::task_id(Self::META, &self.parameter_values())
    }

    /// The short id used in file names, `{namespace}-{h}`.
    fn task_short_id(&self) -> String {
        identity::task_short_id(Self::META, &self.parameter_values())
    }

    /// The full MD5 (32 hex digits) of the significant parameters.
    fn param_hash(&self) -> String {
        identity::param_hash(Self::META, &self.parameter_values())
    }

    /// The astraSource path relative to the output root.
    fn relative_path(&self) -> Result<PathBuf> {
        Self::META.relative_path(&self.parameter_values())
    }

    /// The astraSource path under an output root.
    fn output_path(&self, root: &OutputRoot) -> Result<PathBuf> {
        Ok(root.path().join(self.relative_path()?))
    }

    /// Rebuilds a task from its astraSource path (absolute under `root`, or relative).
    fn from_path(root: &OutputRoot, file: &Path) -> Result<Self> {
        let relative = file.strip_prefix(root.path()).unwrap_or(file);
        let named = path::parse(Self::META, relative)?;
        Self::from_parameters(&named)
    }

    /// The values of the significant parameters as result columns, with the
    /// `astra_version_major`/`astra_version_minor` columns first; see
    /// [`identity::significant_columns`].
    fn significant_values(&self) -> Vec<(&'static str, Value)> {
        identity::significant_columns(Self::META, &self.parameter_values())
    }
}

/// A task with no result rows of its own.
impl AstraResults for () {
    const COLUMNS: &'static [ColumnMeta] = &[];
    fn to_values(&self) -> Vec<Value> {
        Vec::new()
    }
    fn from_values(_: Vec<Value>) -> Result<Self> {
        Ok(())
    }
}

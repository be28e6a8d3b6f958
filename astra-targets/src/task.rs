//! Tasks: the [`AstraTask`] trait that `#[derive(AstraTask)]` implements, over the
//! metadata of [`meta`](mod@crate::meta), the identity of [`identity`](mod@crate::identity) and the
//! paths of [`path`](mod@crate::path).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::column::{AstraResults, ColumnMeta};
/// The metadata and the parameters of a task, defined in [`meta`](mod@crate::meta).
pub use crate::meta::{Params, TaskMeta};
use crate::param::ParamValue;
use crate::path::OutputRoot;
use crate::value::Value;
use crate::{Result, identity, path};

/// A task: one analysis with parameters, whose outputs are a database result and an
/// astraSource file. Implemented by `#[derive(AstraTask)]`.
pub trait AstraTask: Sized + 'static {
    /// The result-row struct (`#[derive(AstraResults)]`): one row per analysed spectrum.
    type Results: AstraResults;

    /// The task's static metadata.
    const META: &'static TaskMeta;

    /// The parameter values, one per parameter of `META`, in declaration order.
    fn parameters(&self) -> Params;

    /// Builds the task from named parameter values. Parameters declared
    /// `#[astra(default)]` may be absent.
    fn from_parameters(values: &BTreeMap<String, ParamValue>) -> Result<Self>;

    /// The task id, `{family}_{h}` (Astra's rule: see [`identity`]).
    fn task_id(&self) -> String {
        identity::task_id(&self.parameters())
    }

    /// The short id used in file names, `{namespace}-{h}`.
    fn task_short_id(&self) -> String {
        identity::task_short_id(&self.parameters())
    }

    /// The full MD5 (32 hex digits) of the significant parameters.
    fn param_hash(&self) -> String {
        identity::param_hash(&self.parameters())
    }

    /// The astraSource path relative to the output root.
    fn relative_path(&self) -> Result<PathBuf> {
        path::relative_path(&self.parameters())
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
        identity::significant_columns(&self.parameters())
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

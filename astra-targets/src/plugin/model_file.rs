//! A trained model read from a file, named by the MD5 of that file.

use std::path::Path;

use super::{BoxError, ModelSource, PluginResult};

/// A plugin's trained model with the MD5 of the file it was read from (32 hex digits).
///
/// The MD5 belongs in the plugin's task id ([`Plugin::task`](super::Plugin::task)): a task
/// analysed with another model file is other work.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile<M> {
    /// The model.
    pub model: M,
    /// The MD5 of its file.
    pub md5: String,
}

impl<M> ModelFile<M> {
    /// Reads the model file `source` names with `read`, then the file's MD5.
    ///
    /// Without a file (`astra run` without `--model`) the error is `missing`, a sentence
    /// saying what the method needs (for example "The Cannon needs a trained model: give
    /// its file with --model"). `read`'s error is returned as it is.
    pub fn load<E: Into<BoxError>>(
        source: ModelSource<'_>,
        missing: &str,
        read: impl FnOnce(&Path) -> Result<M, E>,
    ) -> PluginResult<Self> {
        let ModelSource::File(path) = source else {
            return Err(missing.into());
        };
        let model = read(path).map_err(Into::into)?;
        let md5 = crate::fs::file_md5(path).map_err(|e| format!("reading {path:?}: {e}"))?;
        Ok(ModelFile { model, md5 })
    }
}

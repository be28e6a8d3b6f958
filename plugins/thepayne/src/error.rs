//! The one error type of this crate.

use std::path::PathBuf;

/// Why reading a network, evaluating it or fitting a spectrum failed.
///
/// Every variant names the input that was wrong and the offending value, so a message
/// can be shown to a user as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PayneError {
    /// The file system refused an operation on a network file.
    #[error("network file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a readable `.npz` archive.
    #[error("network file {path} is not a readable .npz archive: {source}")]
    Npz {
        /// The file.
        path: PathBuf,
        /// The reader's error.
        #[source]
        source: ndarray_npy::ReadNpzError,
    },
    /// An array the network needs is not in the file.
    #[error("network file {path} has no array {array} (it holds {found})")]
    MissingArray {
        /// The file.
        path: PathBuf,
        /// The array's name, e.g. `w_array_1`.
        array: &'static str,
        /// The names the file holds, comma-separated.
        found: String,
    },
    /// An array is there but cannot be used: wrong type, shape or values.
    #[error("network file {path}, array {array}: {reason}")]
    Array {
        /// The file.
        path: PathBuf,
        /// The array's name.
        array: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A network file could not be written.
    #[error("writing network file {path}: {source}")]
    WriteNpz {
        /// The file.
        path: PathBuf,
        /// The writer's error.
        #[source]
        source: ndarray_npy::WriteNpzError,
    },
    /// The network file could not be put in place (the framework's atomic commit).
    #[error(transparent)]
    Commit(#[from] astra_targets::Error),
    /// Two arrays that must agree in size do not.
    #[error("{what} has {found} values, expected {expected}")]
    Length {
        /// The array, e.g. `"labels"`.
        what: &'static str,
        /// Its length.
        found: usize,
        /// The length it must have.
        expected: usize,
    },
    /// A spectrum to fit has too few usable pixels (finite flux, ivar > 0).
    #[error("spectrum has {usable} usable pixels, at least {needed} are needed to fit {n_parameters} parameters")]
    TooFewPixels {
        /// Pixels with finite flux and positive inverse variance.
        usable: usize,
        /// The minimum needed.
        needed: usize,
        /// Parameters fitted.
        n_parameters: usize,
    },
    /// A setting is out of its range.
    #[error("{setting} = {value} is out of range: {reason}")]
    Setting {
        /// The setting's name.
        setting: &'static str,
        /// The value given.
        value: String,
        /// The allowed range.
        reason: &'static str,
    },
    /// A network cannot be trained on the data or settings given.
    #[error("training a network: {0}")]
    Training(String),
}

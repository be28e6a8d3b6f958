//! The one error type of this crate.

use std::path::PathBuf;

/// Why training, fitting, normalizing or reading/writing a model failed.
///
/// Every variant names the input that was wrong and the offending value, so a message
/// can be shown to a user as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CannonError {
    /// Two arrays that must agree in size do not.
    #[error("{what} has shape {found:?}, expected {expected:?}")]
    Shape {
        /// The array, e.g. `"training ivar"`.
        what: &'static str,
        /// Its shape.
        found: Vec<usize>,
        /// The shape it must have.
        expected: Vec<usize>,
    },
    /// A model needs at least one label, and label names must be unique and non-empty.
    #[error("invalid label names {names:?}: {reason}")]
    LabelNames {
        /// The names given.
        names: Vec<String>,
        /// What is wrong with them.
        reason: &'static str,
    },
    /// A training label is NaN or infinite.
    #[error("training label {label} of spectrum {spectrum} is {value}, not a finite number")]
    NonFiniteLabel {
        /// The label's name.
        label: String,
        /// Row of the training set.
        spectrum: usize,
        /// The value found.
        value: f64,
    },
    /// An inverse variance is negative.
    #[error("{what} at spectrum {spectrum}, pixel {pixel} is {value}; inverse variances must be >= 0")]
    NegativeIvar {
        /// The array, e.g. `"training ivar"`.
        what: &'static str,
        /// Row (spectrum) index.
        spectrum: usize,
        /// Pixel index.
        pixel: usize,
        /// The value found.
        value: f64,
    },
    /// The training set cannot constrain a quadratic model in its labels.
    #[error(
        "the training labels cannot constrain a quadratic model: {n_spectra} spectra for {n_terms} \
         terms, or labels that do not vary independently ({detail})"
    )]
    DegenerateTrainingSet {
        /// Spectra in the training set.
        n_spectra: usize,
        /// Terms of the quadratic vectorizer.
        n_terms: usize,
        /// What was found.
        detail: String,
    },
    /// A spectrum to fit has too few usable pixels (finite flux, ivar > 0, finite scatter).
    #[error("spectrum has {usable} usable pixels, at least {needed} are needed to fit {n_labels} labels")]
    TooFewPixels {
        /// Pixels with finite flux, positive ivar and a trained (finite-scatter) model.
        usable: usize,
        /// The minimum needed.
        needed: usize,
        /// Labels fitted.
        n_labels: usize,
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
    /// A model file could not be read or written by cfitsio.
    #[error("model file {path}: {source}")]
    Fits {
        /// The file.
        path: PathBuf,
        /// cfitsio's error.
        #[source]
        source: fitsio::errors::Error,
    },
    /// A file exists but is not a Cannon model file of a version this crate reads.
    #[error("{path} is not a readable Cannon model file: {reason}")]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file system refused an operation on a model file.
    #[error("model file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The model file could not be put in place (the framework's atomic commit).
    #[error(transparent)]
    Write(#[from] astra_targets::Error),
}

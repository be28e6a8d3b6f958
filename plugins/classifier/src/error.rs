//! The one error type of this crate.

use std::path::PathBuf;

/// Why training, classifying or reading/writing a classifier model failed.
///
/// Every variant names the input that was wrong and the offending value, so a message
/// can be shown to a user as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClassifierError {
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
    /// The class names are not a usable class list.
    #[error("invalid class names {names:?}: {reason}")]
    ClassNames {
        /// The names given.
        names: Vec<String>,
        /// What is wrong with them.
        reason: &'static str,
    },
    /// A training spectrum's class index is not an index into the class list.
    #[error("training spectrum {spectrum} has class index {index}, but there are only {n_classes} classes")]
    UnknownClass {
        /// Row of the training set.
        spectrum: usize,
        /// The index given.
        index: usize,
        /// Number of classes.
        n_classes: usize,
    },
    /// A class of the class list has no training spectrum, so nothing can be learnt about it.
    #[error("class '{class}' has no training spectrum")]
    EmptyClass {
        /// The class's name.
        class: String,
    },
    /// An inverse variance is negative or not a number.
    #[error("{what} at spectrum {spectrum}, pixel {pixel} is {value:?}; inverse variances must be finite and >= 0")]
    BadIvar {
        /// The array, e.g. `"training ivar"`.
        what: &'static str,
        /// Row (spectrum) index.
        spectrum: usize,
        /// Pixel index.
        pixel: usize,
        /// The value found.
        value: f64,
    },
    /// A flux value with a positive inverse variance is NaN, infinite, or beyond
    /// ±[`MAX_ABS_FLUX`](crate::model::MAX_ABS_FLUX), which no normalized flux reaches.
    #[error(
        "{what} at spectrum {spectrum}, pixel {pixel} is {value:?} while its ivar is > 0; normalized flux must be \
         finite and within ±1e6"
    )]
    BadFlux {
        /// The array, e.g. `"training flux"`.
        what: &'static str,
        /// Row (spectrum) index.
        spectrum: usize,
        /// Pixel index.
        pixel: usize,
        /// The value found.
        value: f64,
    },
    /// A spectrum has too few usable pixels (ivar > 0) to be classified or trained on.
    #[error(
        "{what} spectrum {spectrum} has {usable} usable pixels (ivar > 0) of {n_pixels}; at least {needed} are needed"
    )]
    TooFewPixels {
        /// `"training"` or `"input"`.
        what: &'static str,
        /// Row (spectrum) index.
        spectrum: usize,
        /// Pixels with ivar > 0.
        usable: usize,
        /// Pixels of the spectrum.
        n_pixels: usize,
        /// The minimum needed.
        needed: usize,
    },
    /// The training set has no variation along one of the requested principal components.
    #[error(
        "the training flux varies along only {rank} independent directions, {n_components} principal \
         components were requested"
    )]
    DegenerateTrainingSet {
        /// Directions with non-zero variance that were found.
        rank: usize,
        /// Components requested.
        n_components: usize,
    },
    /// A setting is out of its range.
    #[error("{setting} = {value} is out of range: {reason}")]
    Setting {
        /// The setting's name.
        setting: &'static str,
        /// The value given.
        value: String,
        /// The allowed range.
        reason: String,
    },
    /// Newton's method did not reach the optimum of the regression's objective.
    #[error("the logistic regression did not converge in {iterations} Newton steps (gradient norm {gradient_norm:e})")]
    NotConverged {
        /// Steps taken.
        iterations: usize,
        /// The gradient's norm when it stopped.
        gradient_norm: f64,
    },
    /// A linear-algebra step failed on the training data.
    #[error("{step} failed on the training data: {detail}")]
    Numerical {
        /// The step, e.g. `"principal component analysis"`.
        step: &'static str,
        /// What failed.
        detail: String,
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
    /// A file exists but is not a classifier model file of a version this crate reads.
    #[error("{path} is not a readable classifier model file: {reason}")]
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

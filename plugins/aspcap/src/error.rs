//! The one error type of this crate.

use std::path::PathBuf;

/// Why writing FERRE's input files or reading its outputs failed.
///
/// Every variant names the file (and, for a file FERRE wrote, the line, counted from 1)
/// and the offending value, so a message can be shown to a user as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FerreError {
    /// The file system refused an operation on a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A line of a file cannot be read: too few or too many values (a truncated file),
    /// or a value that is not a number.
    #[error("{path}, line {line}: {reason}")]
    Line {
        /// The file.
        path: PathBuf,
        /// The line, counted from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A keyword a file must have is missing, or its value is unusable.
    #[error("{path}: {reason}")]
    Keyword {
        /// The file (`input.nml` or a grid header).
        path: PathBuf,
        /// What is missing or wrong, naming the keyword.
        reason: String,
    },
    /// One spectrum name appears on two lines of one file.
    #[error("{path}: the spectrum {name} appears on lines {first} and {second}")]
    DuplicateName {
        /// The file.
        path: PathBuf,
        /// The name.
        name: String,
        /// Its first line.
        first: usize,
        /// Its second line.
        second: usize,
    },
    /// A spectrum of a batch cannot be written as FERRE needs it.
    #[error("spectrum {name}: {reason}")]
    Spectrum {
        /// The spectrum's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A setting is out of its range.
    #[error("{setting} = {value} is out of range: {reason}")]
    Setting {
        /// The setting's name (FERRE's keyword).
        setting: &'static str,
        /// The value given.
        value: String,
        /// The allowed range.
        reason: &'static str,
    },
    /// An input file could not be read, or a file could not be put in place.
    #[error(transparent)]
    Astra(#[from] astra_targets::Error),
}

/// `Result` with a [`FerreError`].
pub type Result<T, E = FerreError> = std::result::Result<T, E>;

impl FerreError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> FerreError {
        let path = path.into();
        move |source| FerreError::Io { path, source }
    }

    pub(crate) fn line(path: &std::path::Path, line: usize, reason: impl Into<String>) -> FerreError {
        FerreError::Line {
            path: path.to_path_buf(),
            line,
            reason: reason.into(),
        }
    }

    pub(crate) fn keyword(path: &std::path::Path, reason: impl Into<String>) -> FerreError {
        FerreError::Keyword {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

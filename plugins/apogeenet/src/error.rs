//! The errors of reading APOGEENet's output table and matching it with the inputs.

use std::path::PathBuf;

/// An error of the `apogeenet` plugin.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApogeeNetError {
    /// The table could not be read.
    #[error("reading the APOGEENet output table {path:?}: {source}")]
    Io {
        /// The table's path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line of the table is malformed.
    #[error("APOGEENet output table {path:?}, line {line}: {reason}")]
    Table {
        /// The table's path.
        path: PathBuf,
        /// The line, counted from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The table has no line for a spectrum row of an input.
    #[error("the APOGEENet output table {table:?} has no line for spectrum row {row} of {spectrum}")]
    MissingRow {
        /// The table's path.
        table: PathBuf,
        /// The input's file name.
        spectrum: String,
        /// The spectrum row.
        row: usize,
    },
    /// The table has lines for spectrum rows an input does not have.
    #[error(
        "the APOGEENet output table {table:?} has a line for spectrum row {row} of {spectrum}, \
         which has {rows} spectrum rows: the table is not of these inputs"
    )]
    ExtraRow {
        /// The table's path.
        table: PathBuf,
        /// The input's file name.
        spectrum: String,
        /// The spectrum row of the table.
        row: usize,
        /// The number of spectrum rows of the input.
        rows: usize,
    },
}

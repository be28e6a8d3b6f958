//! File-system targets: atomic writes and the file operations of a target path.
//!
//! [`atomic`] holds the primitive every writer uses: a temporary file in the destination's
//! folder, renamed over the final path only when complete. [`target`] holds
//! [`FileTarget`], the seed's file-system target operations built on it, and [`writer`]
//! the [`AtomicWriter`] its `open_write` returns.

pub mod atomic;
pub mod target;
pub mod writer;

pub use atomic::{AtomicFile, AtomicPath, Commit, IfExists, clean_temporaries, commit};
pub use target::{CopyMode, FileTarget, Mode, Opened};
pub use writer::AtomicWriter;

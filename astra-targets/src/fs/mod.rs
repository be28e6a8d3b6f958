//! File-system targets: atomic writes and the file operations of a target path.
//!
//! [`atomic`] holds the primitive every writer uses: a temporary file in the destination's
//! folder, put at the final path only when complete by [`commit`], the one
//! fsync-rename-fsync sequence (replacing or refusing an existing destination, durable or
//! not) that the astraSource writer, the synthetic spectrum writer and every file
//! operation end with. [`target`] holds [`FileTarget`], the seed's file-system target
//! operations built on it, and [`writer`] the [`AtomicWriter`] its `open_write` returns.
//!
//! This layer imports nothing from the crate but its error type.

pub mod atomic;
pub mod target;
pub mod writer;

pub use atomic::{AtomicFile, AtomicPath, Commit, IfExists, clean_temporaries, commit};
pub use target::{CopyMode, FileTarget, Mode, Opened};
pub use writer::AtomicWriter;

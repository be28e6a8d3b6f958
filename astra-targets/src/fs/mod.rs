//! File-system targets: atomic writes and the file operations of a target path.
//!
//! [`atomic`] holds the primitive every writer uses: a temporary file in the destination's
//! folder, renamed over the final path only when complete.

pub mod atomic;

pub use atomic::{AtomicFile, AtomicPath, clean_temporaries};

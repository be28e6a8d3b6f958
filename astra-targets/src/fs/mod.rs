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

/// The MD5 of a file's bytes, as 32 lower-case hex digits (how plugins name the model
/// file a task used, so that another model is other work).
pub fn file_md5(path: impl AsRef<std::path::Path>) -> std::io::Result<String> {
    use md5::{Digest, Md5};
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Md5::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

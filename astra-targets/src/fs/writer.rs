//! [`AtomicWriter`]: what [`FileTarget::open_write`](super::FileTarget::open_write) returns:
//! a buffered writer into a temporary file that takes the target's place only on
//! [`commit`](AtomicWriter::commit) (or [`close`](AtomicWriter::close)), and is discarded if
//! dropped before. [`FileTarget::write_with`](super::FileTarget::write_with) is the form
//! that cannot forget the commit.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::atomic::io_through;
use super::{AtomicFile, Commit};
use crate::Result;

/// A buffered writer into a temporary file beside the target path.
#[derive(Debug)]
pub struct AtomicWriter {
    inner: BufWriter<AtomicFile>,
    final_path: PathBuf,
    how: Commit,
}

impl AtomicWriter {
    /// Starts writing a new file for `final_path` (creating its parent folders), to be put
    /// there as `how` says.
    pub fn create(final_path: impl Into<PathBuf>, how: Commit) -> Result<AtomicWriter> {
        let final_path = final_path.into();
        let file = AtomicFile::create(&final_path)?;
        Ok(AtomicWriter {
            inner: BufWriter::new(file),
            final_path,
            how,
        })
    }

    /// The path this writer will write.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// The temporary file being written.
    pub fn temp_path(&self) -> &Path {
        self.inner.get_ref().temp_path()
    }

    /// Flushes and puts the temporary file at the target path.
    pub fn commit(self) -> Result<()> {
        let temp = self.temp_path().to_path_buf();
        let file = self
            .inner
            .into_inner()
            .map_err(|e| io_through("writing", &self.final_path, &temp)(e.into_error()))?;
        file.commit(self.how)
    }

    /// The same as [`commit`](Self::commit) (the seed's `close()`).
    pub fn close(self) -> Result<()> {
        self.commit()
    }
}

impl Write for AtomicWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

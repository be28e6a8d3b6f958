//! [`AtomicWriter`]: what [`FileTarget::open_write`](super::FileTarget::open_write) returns:
//! a buffered writer into a temporary file that replaces the target only on
//! [`commit`](AtomicWriter::commit) (or [`close`](AtomicWriter::close)), and is discarded if
//! dropped before.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::AtomicFile;
use crate::{Error, Result};

/// A buffered writer into a temporary file beside the target path.
#[derive(Debug)]
pub struct AtomicWriter {
    inner: BufWriter<AtomicFile>,
    final_path: PathBuf,
    durable: bool,
}

impl AtomicWriter {
    /// Starts writing a replacement for `final_path` (creating its parent folders). With
    /// `durable`, the commit fsyncs the file and the folder.
    pub fn create(final_path: impl Into<PathBuf>, durable: bool) -> Result<AtomicWriter> {
        let final_path = final_path.into();
        let file = AtomicFile::create(&final_path)?;
        Ok(AtomicWriter {
            inner: BufWriter::new(file),
            final_path,
            durable,
        })
    }

    /// The path this writer will replace.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// The temporary file being written.
    pub fn temp_path(&self) -> &Path {
        self.inner.get_ref().temp_path()
    }

    /// Flushes and renames the temporary file over the target path.
    pub fn commit(self) -> Result<()> {
        let temp = self.temp_path().to_path_buf();
        let file = self.inner.into_inner().map_err(|e| Error::Io {
            action: "flushing",
            path: temp,
            source: e.into_error(),
        })?;
        file.commit(self.durable)
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

//! Atomic replacement of a file: write a temporary file in the destination's folder, then
//! rename it over the final path. A crash at any moment leaves the old file or the new one,
//! never a partial one.
//!
//! Temporary files are named `.{file name}.astra-tmp-{pid}-{n}`: an unfinished one is
//! removed when its [`AtomicPath`] is dropped, and [`clean_temporaries`] removes those left
//! by processes that died.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

const MARKER: &str = ".astra-tmp-";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// An [`Error::Io`] maker for `map_err`: `action` on `path`.
pub(super) fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A temporary path beside a final path, for writers that open files by name (cfitsio).
/// [`commit`](Self::commit) renames it over the final path; dropping it uncommitted
/// removes the temporary file.
#[derive(Debug)]
pub struct AtomicPath {
    final_path: PathBuf,
    temp_path: PathBuf,
    committed: bool,
}

impl AtomicPath {
    /// Prepares a temporary path beside `final_path`, creating the parent folders.
    pub fn new(final_path: impl Into<PathBuf>) -> Result<Self> {
        let final_path = final_path.into();
        let name = final_path.file_name().ok_or_else(|| Error::Io {
            action: "writing",
            path: final_path.clone(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"),
        })?;
        let dir = parent_of(&final_path);
        fs::create_dir_all(dir).map_err(io_err("creating the folder", dir))?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp_name = format!(".{}{MARKER}{}-{n}", name.to_string_lossy(), std::process::id());
        let temp_path = dir.join(temp_name);
        Ok(AtomicPath {
            final_path,
            temp_path,
            committed: false,
        })
    }

    /// The temporary path to write to.
    pub fn temp_path(&self) -> &Path {
        &self.temp_path
    }

    /// The final path.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Renames the temporary file over the final path. With `durable`, the temporary file
    /// is fsync'd before the rename and the folder after it, so the new file survives a
    /// power cut.
    pub fn commit(mut self, durable: bool) -> Result<()> {
        if durable {
            File::open(&self.temp_path)
                .and_then(|f| f.sync_all())
                .map_err(io_err("syncing", &self.temp_path))?;
        }
        fs::rename(&self.temp_path, &self.final_path).map_err(io_err("renaming into place", &self.final_path))?;
        self.committed = true;
        if durable {
            sync_dir(parent_of(&self.final_path))?;
        }
        Ok(())
    }
}

impl Drop for AtomicPath {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}

/// An open temporary file that replaces its final path atomically on
/// [`commit`](Self::commit), and disappears if dropped before.
#[derive(Debug)]
pub struct AtomicFile {
    path: AtomicPath,
    file: File,
}

impl AtomicFile {
    /// Creates the temporary file beside `final_path` (creating parent folders).
    pub fn create(final_path: impl Into<PathBuf>) -> Result<Self> {
        let path = AtomicPath::new(final_path)?;
        let file = File::create(&path.temp_path).map_err(io_err("creating", &path.temp_path))?;
        Ok(AtomicFile { path, file })
    }

    /// The temporary path being written.
    pub fn temp_path(&self) -> &Path {
        self.path.temp_path()
    }

    /// The final path.
    pub fn final_path(&self) -> &Path {
        self.path.final_path()
    }

    /// Flushes and renames the file into place (see [`AtomicPath::commit`]).
    pub fn commit(mut self, durable: bool) -> Result<()> {
        self.file.flush().map_err(io_err("flushing", self.path.temp_path()))?;
        if durable {
            self.file.sync_all().map_err(io_err("syncing", self.path.temp_path()))?;
        }
        drop(self.file);
        let path = self.path;
        // The file was synced above; the folder is synced by the commit.
        if durable {
            fs::rename(&path.temp_path, &path.final_path).map_err(io_err("renaming into place", &path.final_path))?;
            let mut path = path;
            path.committed = true;
            sync_dir(parent_of(&path.final_path))
        } else {
            path.commit(false)
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The folder holding `path` (`.` for a bare name).
pub(super) fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes a folder's entries (a rename or a new name in it) to disk.
pub(super) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("syncing the folder", dir))
}

/// Whether a file name is one of our temporary files, and the pid that made it.
fn temporary_owner(name: &str) -> Option<u32> {
    let (_, rest) = name.split_once(MARKER)?;
    rest.split('-').next()?.parse().ok()
}

/// Removes, below `root` (recursively), the temporary files left by processes that are no
/// longer running. Returns the paths removed.
pub fn clean_temporaries(root: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::Io {
                    action: "listing",
                    path: dir,
                    source: e,
                });
            }
        };
        for entry in entries {
            let entry = entry.map_err(io_err("listing", &dir))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(io_err("inspecting", &path))?;
            if kind.is_dir() {
                stack.push(path);
            } else if let Some(pid) = entry.file_name().to_str().and_then(temporary_owner)
                && !process_alive(pid)
            {
                fs::remove_file(&path).map_err(io_err("removing", &path))?;
                removed.push(path);
            }
        }
    }
    Ok(removed)
}

fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_file_leaves_nothing_and_commit_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a/b/out.txt");
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(fs::read_dir(dir.path().join("a/b")).unwrap().count(), 0);
        fs::write(&target, b"old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"old");
        f.commit(true).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path().join("a/b")).unwrap().count(), 1);
    }

    #[test]
    fn cleaning_removes_only_dead_owners() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(format!(".x.fits{MARKER}{}-0", u32::MAX - 1));
        let alive = dir.path().join(format!(".y.fits{MARKER}{}-0", std::process::id()));
        fs::write(&dead, b"").unwrap();
        fs::write(&alive, b"").unwrap();
        assert_eq!(clean_temporaries(dir.path()).unwrap(), vec![dead.clone()]);
        assert!(alive.exists() && !dead.exists());
    }
}

//! [`FileTarget`]: the file-system operations of a target path (the seed's
//! `FileSystemTarget`), every one that writes made atomic.
//!
//! - Writing ([`open_write`](FileTarget::open_write), [`copy`](FileTarget::copy),
//!   [`copy_from`](FileTarget::copy_from), [`temporary_path`](FileTarget::temporary_path))
//!   goes to a temporary name beside the destination (see [`super::atomic`]) and is renamed
//!   over it when complete: readers see the old file or the new one, never a partial one.
//! - `raise_if_exists` is checked atomically for files: the new name is created as a hard
//!   link, which fails if it exists, instead of a rename, which would replace it. (On file
//!   systems without hard links, and for folders, the check comes just before the rename.)
//! - Moves across file systems copy to a temporary name in the destination's folder,
//!   rename, then remove the source.
//! - With `durable` (the default), files are fsync'd before they are renamed into place and
//!   the folders after.
//!
//! ```
//! use astra_targets::fs::FileTarget;
//!
//! # fn main() -> astra_targets::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! let target = FileTarget::new(dir.path().join("thepayne/AstraSource-1.fits"));
//! // Parent folders are made; the file appears complete, or not at all.
//! target.temporary_path(|tmp| {
//!     std::fs::write(tmp, b"SIMPLE  =                    T")
//!         .map_err(|source| astra_targets::Error::Io { action: "writing", path: tmp.into(), source })
//! })?;
//! assert!(target.exists());
//! target.copy(dir.path().join("copy.fits"), true)?;
//! assert!(target.copy(dir.path().join("copy.fits"), true).is_err()); // raise_if_exists
//! # Ok(())
//! # }
//! ```

use std::fs::{self, File, FileTimes};
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use super::atomic::{io_err, parent_of, sync_dir};
use super::{AtomicFile, AtomicPath, AtomicWriter};
use crate::{Error, Result};

/// How to [`open`](FileTarget::open) a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read the current file (`'r'`).
    Read,
    /// Write a replacement, committed atomically (`'w'`).
    Write,
}

/// An opened target: a reader, or an atomic writer.
#[derive(Debug)]
pub enum Opened {
    /// From [`Mode::Read`].
    Reader(BufReader<File>),
    /// From [`Mode::Write`].
    Writer(AtomicWriter),
}

/// A path on the local file system that a task writes (the seed's `FileSystemTarget`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTarget {
    path: PathBuf,
    durable: bool,
}

/// Whether anything (a file, folder or symbolic link, even dangling) is at `path`.
fn occupied(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

impl AsRef<Path> for FileTarget {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl FileTarget {
    /// A target at `path` (nothing is touched yet); durable by default.
    pub fn new(path: impl Into<PathBuf>) -> FileTarget {
        FileTarget {
            path: path.into(),
            durable: true,
        }
    }

    /// Sets whether writes are fsync'd before they are renamed into place (and the folder
    /// after). Faster without; a power cut may then lose a just-committed file.
    pub fn durable(mut self, durable: bool) -> FileTarget {
        self.durable = durable;
        self
    }

    /// The target's path (the seed's `fn`, and `fs` for the file system it lives on).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether something exists at the path (following symbolic links: a dangling link
    /// does not count).
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Creates all parent folders of the path that do not exist.
    pub fn makedirs(&self) -> Result<()> {
        let dir = parent_of(&self.path);
        fs::create_dir_all(dir).map_err(io_err("creating the folder", dir))
    }

    /// Opens the target for reading or for an atomic write (see [`Mode`]).
    pub fn open(&self, mode: Mode) -> Result<Opened> {
        Ok(match mode {
            Mode::Read => Opened::Reader(self.open_read()?),
            Mode::Write => Opened::Writer(self.open_write()?),
        })
    }

    /// Opens the current file for reading.
    pub fn open_read(&self) -> Result<BufReader<File>> {
        File::open(&self.path)
            .map(BufReader::new)
            .map_err(io_err("opening", &self.path))
    }

    /// Starts writing a replacement of the file (creating parent folders); it appears at
    /// the path on [`AtomicWriter::commit`], and is discarded if the writer is dropped.
    pub fn open_write(&self) -> Result<AtomicWriter> {
        AtomicWriter::create(&self.path, self.durable)
    }

    /// Removes what is at the path: a file, a symbolic link (not what it points to), or a
    /// folder with everything in it. Nothing there is an error.
    pub fn remove(&self) -> Result<()> {
        let meta = fs::symlink_metadata(&self.path).map_err(io_err("removing", &self.path))?;
        if meta.is_dir() {
            fs::remove_dir_all(&self.path).map_err(io_err("removing the folder", &self.path))
        } else {
            fs::remove_file(&self.path).map_err(io_err("removing", &self.path))
        }
    }

    /// Moves the file or folder to `new_path` (creating its parent folders), by an atomic
    /// rename on one file system, or copy, rename and removal across file systems. With
    /// `raise_if_exists`, an existing `new_path` is an [`Error::AlreadyExists`] and nothing
    /// moves; without, an existing file is replaced.
    pub fn move_to(&self, new_path: impl AsRef<Path>, raise_if_exists: bool) -> Result<()> {
        let new_path = new_path.as_ref();
        let meta = fs::symlink_metadata(&self.path).map_err(io_err("moving", &self.path))?;
        if raise_if_exists && occupied(new_path) {
            return Err(Error::AlreadyExists {
                path: new_path.to_path_buf(),
            });
        }
        FileTarget::new(new_path).makedirs()?;
        let placed = if raise_if_exists && !meta.is_dir() {
            link_new(&self.path, new_path)
        } else {
            fs::rename(&self.path, new_path)
        };
        match placed {
            Ok(()) => {
                if raise_if_exists && !meta.is_dir() {
                    fs::remove_file(&self.path).map_err(io_err("removing the moved file", &self.path))?;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
                self.move_across(new_path, meta.is_dir(), raise_if_exists)?;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(Error::AlreadyExists {
                    path: new_path.to_path_buf(),
                });
            }
            Err(e) => {
                return Err(Error::Io {
                    action: "moving",
                    path: self.path.clone(),
                    source: e,
                });
            }
        }
        if self.durable {
            sync_dir(parent_of(new_path))?;
            sync_dir(parent_of(&self.path))?;
        }
        Ok(())
    }

    /// Moves to another file system: a copy under a temporary name in the destination's
    /// folder, renamed into place, then the source removed.
    fn move_across(&self, new_path: &Path, is_dir: bool, raise_if_exists: bool) -> Result<()> {
        if is_dir {
            let temp = AtomicPath::new(new_path)?;
            let guard = TreeGuard::new(temp.temp_path());
            copy_tree(&self.path, &guard.0)?;
            if raise_if_exists && occupied(new_path) {
                return Err(Error::AlreadyExists {
                    path: new_path.to_path_buf(),
                });
            }
            fs::rename(&guard.0, new_path).map_err(io_err("moving into place", new_path))?;
            guard.disarm();
            fs::remove_dir_all(&self.path).map_err(io_err("removing the moved folder", &self.path))
        } else {
            copy_file_atomic(&self.path, new_path, raise_if_exists, true, self.durable)?;
            fs::remove_file(&self.path).map_err(io_err("removing the moved file", &self.path))
        }
    }

    /// Moves a folder (or file) to `new_path`, never replacing anything there (the seed's
    /// `move_dir`, a rename that does not move into an existing folder).
    pub fn move_dir(&self, new_path: impl AsRef<Path>) -> Result<()> {
        self.move_to(new_path, true)
    }

    /// Copies the file to `new_path` (creating parent folders), atomically: a temporary
    /// copy is renamed into place. Keeps the permissions. With `raise_if_exists`, an
    /// existing `new_path` is an [`Error::AlreadyExists`] and is left as it was.
    pub fn copy(&self, new_path: impl AsRef<Path>, raise_if_exists: bool) -> Result<()> {
        let new_path = new_path.as_ref();
        if raise_if_exists && occupied(new_path) {
            return Err(Error::AlreadyExists {
                path: new_path.to_path_buf(),
            });
        }
        copy_file_atomic(&self.path, new_path, raise_if_exists, false, self.durable)
    }

    /// Runs `write` with a temporary path beside the target (parent folders created), and
    /// renames what it wrote there (a file or a folder) over the target when it returns
    /// `Ok`. When it returns `Err`, panics, or writes nothing, the temporary path is
    /// removed and the target is left as it was.
    pub fn temporary_path<R, E: From<Error>>(&self, write: impl FnOnce(&Path) -> Result<R, E>) -> Result<R, E> {
        let atomic = AtomicPath::new(&self.path)?;
        let guard = TreeGuard::new(atomic.temp_path());
        let value = write(&guard.0)?;
        if !occupied(&guard.0) {
            let nothing = io::Error::new(io::ErrorKind::NotFound, "nothing was written at the temporary path");
            return Err(Error::Io {
                action: "committing",
                path: guard.0.clone(),
                source: nothing,
            }
            .into());
        }
        if self.durable {
            File::open(&guard.0)
                .and_then(|f| f.sync_all())
                .map_err(io_err("syncing", &guard.0))?;
        }
        fs::rename(&guard.0, &self.path).map_err(io_err("renaming into place", &self.path))?;
        guard.disarm();
        if self.durable {
            sync_dir(parent_of(&self.path))?;
        }
        Ok(value)
    }

    /// Makes the target a copy of `source` (the seed's `copy_from`): a symbolic link to it
    /// (its absolute path) with `use_symbolic_link`, or a copy keeping its permissions and
    /// modification and access times. Either way the new link or file is made under a
    /// temporary name and renamed over the target, which is replaced atomically.
    pub fn copy_from(&self, source: impl AsRef<Path>, use_symbolic_link: bool) -> Result<()> {
        let source = source.as_ref();
        if !use_symbolic_link {
            return copy_file_atomic(source, &self.path, false, true, self.durable);
        }
        let absolute = fs::canonicalize(source).map_err(io_err("linking to", source))?;
        let atomic = AtomicPath::new(&self.path)?;
        std::os::unix::fs::symlink(&absolute, atomic.temp_path()).map_err(io_err("linking", atomic.temp_path()))?;
        atomic.commit(self.durable)
    }
}

/// Removes a temporary file or folder tree when dropped (on errors and panics), unless
/// disarmed once the tree has been renamed into place.
struct TreeGuard(PathBuf, bool);

impl TreeGuard {
    fn new(path: &Path) -> TreeGuard {
        TreeGuard(path.to_path_buf(), true)
    }
    fn disarm(mut self) {
        self.1 = false;
    }
}

impl Drop for TreeGuard {
    fn drop(&mut self) {
        if !self.1 {
            return;
        }
        match fs::symlink_metadata(&self.0) {
            Ok(m) if m.is_dir() => {
                let _ = fs::remove_dir_all(&self.0);
            }
            Ok(_) => {
                let _ = fs::remove_file(&self.0);
            }
            Err(_) => {}
        }
    }
}

/// Creates `new` as a hard link to `existing`: fails with `AlreadyExists` if `new` exists.
fn link_new(existing: &Path, new: &Path) -> io::Result<()> {
    match fs::hard_link(existing, new) {
        // File systems without hard links: check, then rename (not atomic).
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied || e.kind() == io::ErrorKind::Unsupported => {
            if occupied(new) {
                Err(io::Error::from(io::ErrorKind::AlreadyExists))
            } else {
                fs::rename(existing, new)
            }
        }
        other => other,
    }
}

/// Copies the file `source` to `dest` through a temporary file beside `dest`, keeping the
/// permissions (and the times, with `keep_times`). With `no_replace`, an existing `dest`
/// is an error and stays as it was.
fn copy_file_atomic(source: &Path, dest: &Path, no_replace: bool, keep_times: bool, durable: bool) -> Result<()> {
    let meta = fs::metadata(source).map_err(io_err("copying", source))?;
    if meta.is_dir() {
        let source_err = io::Error::new(io::ErrorKind::IsADirectory, "a folder, not a file");
        return Err(Error::Io {
            action: "copying",
            path: source.to_path_buf(),
            source: source_err,
        });
    }
    let mut reader = File::open(source).map_err(io_err("opening", source))?;
    let mut temp = AtomicFile::create(dest)?;
    io::copy(&mut reader, &mut temp).map_err(io_err("copying into", temp.temp_path()))?;
    let temp_path = temp.temp_path().to_path_buf();
    fs::set_permissions(&temp_path, meta.permissions()).map_err(io_err("setting permissions of", &temp_path))?;
    if keep_times {
        let times = FileTimes::new()
            .set_modified(meta.modified().map_err(io_err("reading the times of", source))?)
            .set_accessed(meta.accessed().map_err(io_err("reading the times of", source))?);
        File::options()
            .write(true)
            .open(&temp_path)
            .and_then(|f| f.set_times(times))
            .map_err(io_err("setting the times of", &temp_path))?;
    }
    if !no_replace {
        return temp.commit(durable);
    }
    // Keep the temporary file for the link, and let the AtomicFile remove its name after.
    if durable {
        File::open(&temp_path)
            .and_then(|f| f.sync_all())
            .map_err(io_err("syncing", &temp_path))?;
    }
    match fs::hard_link(&temp_path, dest) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(Error::AlreadyExists {
                path: dest.to_path_buf(),
            });
        }
        Err(_) if !occupied(dest) => return temp.commit(durable),
        Err(_) => {
            return Err(Error::AlreadyExists {
                path: dest.to_path_buf(),
            });
        }
    }
    drop(temp);
    if durable {
        sync_dir(parent_of(dest))?;
    }
    Ok(())
}

/// Copies a folder tree (files with their permissions, symbolic links as links).
fn copy_tree(source: &Path, dest: &Path) -> Result<()> {
    fs::create_dir(dest).map_err(io_err("creating the folder", dest))?;
    let perms = fs::metadata(source).map_err(io_err("reading", source))?.permissions();
    for entry in fs::read_dir(source).map_err(io_err("listing", source))? {
        let entry = entry.map_err(io_err("listing", source))?;
        let (from, to) = (entry.path(), dest.join(entry.file_name()));
        let kind = entry.file_type().map_err(io_err("inspecting", &from))?;
        if kind.is_dir() {
            copy_tree(&from, &to)?;
        } else if kind.is_symlink() {
            let target = fs::read_link(&from).map_err(io_err("reading the link", &from))?;
            std::os::unix::fs::symlink(target, &to).map_err(io_err("linking", &to))?;
        } else {
            let mut r = File::open(&from).map_err(io_err("opening", &from))?;
            let mut w = File::create(&to).map_err(io_err("creating", &to))?;
            io::copy(&mut r, &mut w).map_err(io_err("copying into", &to))?;
            w.sync_all().map_err(io_err("syncing", &to))?;
            let p = fs::metadata(&from).map_err(io_err("reading", &from))?.permissions();
            fs::set_permissions(&to, p).map_err(io_err("setting permissions of", &to))?;
        }
    }
    fs::set_permissions(dest, perms).map_err(io_err("setting permissions of", dest))
}

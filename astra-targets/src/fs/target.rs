//! [`FileTarget`]: the file-system operations of a target path (the seed's
//! `FileSystemTarget`), every one that writes made atomic.
//!
//! - Writing ([`open_write`](FileTarget::open_write), [`write_with`](FileTarget::write_with),
//!   [`copy`](FileTarget::copy), [`copy_from`](FileTarget::copy_from),
//!   [`temporary_path`](FileTarget::temporary_path)) goes to a temporary name beside the
//!   destination and ends with the one [`commit`] sequence: readers see the
//!   old file or the new one, never a partial one.
//! - What happens to an existing destination is said at each call ([`IfExists`]), or by the
//!   method's name (`temporary_path` refuses, as the seed's `rename_dont_move` does;
//!   `temporary_path_replacing` replaces). Refusals are atomic: the rename itself refuses
//!   an existing name.
//! - Moves across file systems copy to a temporary name in the destination's folder,
//!   rename, then remove the source.
//! - Durable (the default): files are fsync'd before they are renamed into place and the
//!   folders after.
//!
//! ```
//! use astra_targets::fs::{FileTarget, IfExists};
//! use std::io::Write;
//!
//! # fn main() -> astra_targets::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! let target = FileTarget::new(dir.path().join("thepayne/AstraSource-1.fits"));
//! // Parent folders are made; the file appears complete, or not at all.
//! target.temporary_path(|tmp| -> astra_targets::Result<()> {
//!     std::fs::write(tmp, b"SIMPLE  =                    T")?;
//!     Ok(())
//! })?;
//! assert!(target.exists());
//! // A temporary_path never replaces an existing target.
//! assert!(target.temporary_path(|tmp| std::fs::write(tmp, b"x").map_err(astra_targets::Error::from)).is_err());
//! // The closure form of open_write: committed when the closure returns Ok.
//! FileTarget::new(dir.path().join("notes.txt")).write_with(|w| {
//!     writeln!(w, "written whole or not at all")?;
//!     Ok(())
//! })?;
//! target.copy(dir.path().join("copy.fits"), IfExists::Refuse)?;
//! assert!(target.copy(dir.path().join("copy.fits"), IfExists::Refuse).is_err());
//! # Ok(())
//! # }
//! ```

use std::any::Any;
use std::fs::{self, File, FileTimes};
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use super::atomic::{create_folders, io_err, io_through, name_destination, parent_of, sync_dir};
use super::{AtomicFile, AtomicPath, AtomicWriter, Commit, IfExists, commit};
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

/// How [`FileTarget::copy_from`] makes the target a copy of another file (the seed's
/// `use_symbolic_link`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CopyMode {
    /// A symbolic link to the other file's absolute path.
    Symlink,
    /// A copy of its bytes, keeping its permissions and modification and access times.
    Copy,
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

    /// Creates all parent folders of the path that do not exist. A file where a folder is
    /// needed is an [`Error::NotAFolder`] naming it.
    pub fn makedirs(&self) -> Result<()> {
        create_folders(parent_of(&self.path))
    }

    fn commit_how(&self, if_exists: IfExists) -> Commit {
        Commit::replacing().if_exists(if_exists).durable(self.durable)
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
    /// the path on [`AtomicWriter::commit`], and is discarded if the writer is dropped
    /// before. [`write_with`](Self::write_with) commits by itself.
    pub fn open_write(&self) -> Result<AtomicWriter> {
        AtomicWriter::create(&self.path, self.commit_how(IfExists::Replace))
    }

    /// Writes a replacement of the file with `write` (into a buffered temporary file, see
    /// [`open_write`](Self::open_write)) and commits it when `write` returns `Ok`. When it
    /// returns `Err` or panics, nothing is committed and the target is left as it was.
    /// I/O errors raised with `?` in `write` come back naming the target (and the
    /// temporary file second).
    pub fn write_with<R>(&self, write: impl FnOnce(&mut AtomicWriter) -> Result<R>) -> Result<R> {
        let mut writer = self.open_write()?;
        let value = write(&mut writer).map_err(|e| attribute(e, &self.path, writer.temp_path()))?;
        writer.commit()?;
        Ok(value)
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
    /// rename on one file system, or copy, rename and removal across file systems.
    ///
    /// With [`IfExists::Refuse`] (the seed's `raise_if_exists=True`), an existing
    /// `new_path` is an [`Error::AlreadyExists`] and nothing moves; it is reported even
    /// when the source is missing too. With [`IfExists::Replace`], an existing file (or
    /// empty folder) is replaced.
    pub fn move_to(&self, new_path: impl AsRef<Path>, if_exists: IfExists) -> Result<()> {
        let new_path = new_path.as_ref();
        if if_exists == IfExists::Refuse && occupied(new_path) {
            return Err(Error::AlreadyExists {
                path: new_path.to_path_buf(),
            });
        }
        let meta = fs::symlink_metadata(&self.path).map_err(io_err("moving", &self.path))?;
        FileTarget::new(new_path).makedirs()?;
        match commit(&self.path, new_path, self.commit_how(if_exists)) {
            Ok(()) => {}
            Err(Error::IoThrough { source, .. }) if source.kind() == io::ErrorKind::CrossesDevices => {
                self.move_across(new_path, meta.is_dir(), if_exists)?;
            }
            Err(e) => return Err(e),
        }
        if self.durable {
            sync_dir(parent_of(&self.path))?;
        }
        Ok(())
    }

    /// Moves to another file system: a copy under a temporary name in the destination's
    /// folder, committed into place, then the source removed.
    fn move_across(&self, new_path: &Path, is_dir: bool, if_exists: IfExists) -> Result<()> {
        if is_dir {
            let temp = AtomicPath::new(new_path)?;
            let guard = TreeGuard::new(temp.temp_path());
            copy_tree(&self.path, &guard.0)?;
            commit(&guard.0, new_path, self.commit_how(if_exists))?;
            guard.disarm();
            fs::remove_dir_all(&self.path).map_err(io_err("removing the moved folder", &self.path))
        } else {
            copy_file_atomic(&self.path, new_path, true, self.commit_how(if_exists))?;
            fs::remove_file(&self.path).map_err(io_err("removing the moved file", &self.path))
        }
    }

    /// Moves a folder (or file) to `new_path`, never replacing anything there (the seed's
    /// `move_dir`, a rename that does not move into an existing folder): the same as
    /// [`move_to`](Self::move_to) with [`IfExists::Refuse`].
    pub fn move_dir(&self, new_path: impl AsRef<Path>) -> Result<()> {
        self.move_to(new_path, IfExists::Refuse)
    }

    /// Copies the file to `new_path` (creating parent folders), atomically: a temporary
    /// copy is committed into place. Keeps the permissions. With [`IfExists::Refuse`], an
    /// existing `new_path` is an [`Error::AlreadyExists`] and is left as it was.
    pub fn copy(&self, new_path: impl AsRef<Path>, if_exists: IfExists) -> Result<()> {
        let new_path = new_path.as_ref();
        if if_exists == IfExists::Refuse && occupied(new_path) {
            return Err(Error::AlreadyExists {
                path: new_path.to_path_buf(),
            });
        }
        copy_file_atomic(&self.path, new_path, false, self.commit_how(if_exists))
    }

    /// Runs `write` with a temporary path beside the target (parent folders created), and
    /// moves what it wrote there (a file or a folder) to the target when it returns `Ok`,
    /// as the seed does with `rename_dont_move`: an existing target is an
    /// [`Error::AlreadyExists`] and is left as it was (checked before `write` runs, and
    /// again, atomically, by the rename). When `write` returns `Err`, panics, or writes
    /// nothing, the temporary path is removed and the target is left as it was.
    ///
    /// I/O errors that `write` raises with `?` (as [`Error::UnattributedIo`]) come back
    /// naming the target and the temporary path.
    pub fn temporary_path<R, E: From<Error> + 'static>(
        &self,
        write: impl FnOnce(&Path) -> Result<R, E>,
    ) -> Result<R, E> {
        self.run_temporary(write, IfExists::Refuse)
    }

    /// The same as [`temporary_path`](Self::temporary_path), but what `write` wrote
    /// replaces an existing target (atomically).
    pub fn temporary_path_replacing<R, E: From<Error> + 'static>(
        &self,
        write: impl FnOnce(&Path) -> Result<R, E>,
    ) -> Result<R, E> {
        self.run_temporary(write, IfExists::Replace)
    }

    fn run_temporary<R, E: From<Error> + 'static>(
        &self,
        write: impl FnOnce(&Path) -> Result<R, E>,
        if_exists: IfExists,
    ) -> Result<R, E> {
        if if_exists == IfExists::Refuse && occupied(&self.path) {
            return Err(Error::AlreadyExists {
                path: self.path.clone(),
            }
            .into());
        }
        let atomic = AtomicPath::new(&self.path)?;
        let guard = TreeGuard::new(atomic.temp_path());
        let value = write(&guard.0).map_err(|e| attribute(e, &self.path, &guard.0))?;
        if !occupied(&guard.0) {
            let nothing = io::Error::new(io::ErrorKind::NotFound, "nothing was written at the temporary path");
            return Err(io_through("committing", &self.path, &guard.0)(nothing).into());
        }
        commit(&guard.0, &self.path, self.commit_how(if_exists))?;
        guard.disarm();
        Ok(value)
    }

    /// Makes the target a copy of `source` (the seed's `copy_from`): a symbolic link to it
    /// (its absolute path) with [`CopyMode::Symlink`], or a copy keeping its permissions
    /// and modification and access times with [`CopyMode::Copy`]. Either way the new link
    /// or file is made under a temporary name and committed over the target, which is
    /// replaced atomically.
    pub fn copy_from(&self, source: impl AsRef<Path>, mode: CopyMode) -> Result<()> {
        let source = source.as_ref();
        let how = self.commit_how(IfExists::Replace);
        match mode {
            CopyMode::Copy => copy_file_atomic(source, &self.path, true, how),
            CopyMode::Symlink => {
                let absolute = fs::canonicalize(source).map_err(io_err("linking to", source))?;
                let atomic = AtomicPath::new(&self.path)?;
                std::os::unix::fs::symlink(&absolute, atomic.temp_path()).map_err(io_through(
                    "linking",
                    &self.path,
                    atomic.temp_path(),
                ))?;
                atomic.commit(how)
            }
        }
    }
}

/// Names the destination (and the temporary path second) in an I/O error a caller's
/// closure raised with `?` (see [`name_destination`]); other errors are returned as they
/// are.
fn attribute<E: 'static>(mut error: E, dest: &Path, temp: &Path) -> E {
    if let Some(e) = (&mut error as &mut dyn Any).downcast_mut::<Error>() {
        let placeholder = Error::AlreadyExists { path: PathBuf::new() };
        *e = name_destination(std::mem::replace(e, placeholder), dest, temp);
    }
    error
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

/// Copies the file `source` to `dest` through a temporary file beside `dest`, keeping the
/// permissions (and the times, with `keep_times`), and commits it as `how` says.
fn copy_file_atomic(source: &Path, dest: &Path, keep_times: bool, how: Commit) -> Result<()> {
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
    let temp_path = temp.temp_path().to_path_buf();
    io::copy(&mut reader, &mut temp).map_err(io_through("copying into", dest, &temp_path))?;
    fs::set_permissions(&temp_path, meta.permissions()).map_err(io_through(
        "setting permissions of",
        dest,
        &temp_path,
    ))?;
    if keep_times {
        let times = FileTimes::new()
            .set_modified(meta.modified().map_err(io_err("reading the times of", source))?)
            .set_accessed(meta.accessed().map_err(io_err("reading the times of", source))?);
        File::options()
            .write(true)
            .open(&temp_path)
            .and_then(|f| f.set_times(times))
            .map_err(io_through("setting the times of", dest, &temp_path))?;
    }
    temp.commit(how)
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

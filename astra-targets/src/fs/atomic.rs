//! Atomic writes: write a temporary file in the destination's folder, then [`commit`] it
//! (rename it into place, replacing or refusing an existing destination, durable or not).
//! A crash at any moment leaves the old file or the new one, never a partial one.
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

/// An [`Error::IoThrough`] maker for `map_err`: `action` on the destination `path`, done
/// through `through` (a temporary file, or the source of a move).
pub(crate) fn io_through<'a>(
    action: &'static str,
    path: &'a Path,
    through: &'a Path,
) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error::IoThrough {
        action,
        path: path.to_path_buf(),
        through: through.to_path_buf(),
        source,
    }
}

/// Names the destination first in an error met while writing it through the temporary
/// file `temp`: an [`Error::Io`] on `temp` or an [`Error::UnattributedIo`] becomes an
/// [`Error::IoThrough`], and a cfitsio error on `temp` names the destination, the temporary
/// file second, and so does a failed check of the temporary file ([`Error::Invalid`]).
/// Other errors are returned as they are.
pub(crate) fn name_destination(error: Error, dest: &Path, temp: &Path) -> Error {
    match error {
        Error::Io { action, path, source } if path == temp => io_through(action, dest, temp)(source),
        Error::UnattributedIo(source) => io_through("writing", dest, temp)(source),
        Error::Cfitsio {
            path: Some(path),
            hdu,
            action,
            status,
            message,
        } if path == temp => Error::Cfitsio {
            path: Some(dest.to_path_buf()),
            hdu,
            action: format!("{action} (through the temporary file {temp:?})"),
            status,
            message,
        },
        Error::Invalid { path, reason } if path == temp => Error::Invalid {
            path: dest.to_path_buf(),
            reason: format!("{reason} (found in the temporary file {temp:?}, which was not put in place)"),
        },
        other => other,
    }
}

/// What a commit does when something is already at the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IfExists {
    /// Replace it, atomically: readers see the old file or the new one.
    Replace,
    /// Leave it as it was and refuse with [`Error::AlreadyExists`] (checked atomically
    /// with the rename, so a destination that appears meanwhile is not replaced either).
    Refuse,
}

/// How a finished temporary file (or folder, or link) takes its destination's place: what
/// happens to an existing destination, and whether the commit is durable.
///
/// ```
/// use astra_targets::fs::{Commit, IfExists};
///
/// let how = Commit::no_clobber().durable(true);
/// assert_eq!((how.if_exists, how.durable), (IfExists::Refuse, true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Commit {
    /// What happens to an existing destination.
    pub if_exists: IfExists,
    /// fsync the new file before the rename and its folder after, so that it survives a
    /// power cut.
    pub durable: bool,
}

impl Commit {
    /// Replace an existing destination; not durable.
    pub const fn replacing() -> Commit {
        Commit {
            if_exists: IfExists::Replace,
            durable: false,
        }
    }

    /// Refuse an existing destination, leaving it as it was; not durable.
    pub const fn no_clobber() -> Commit {
        Commit {
            if_exists: IfExists::Refuse,
            durable: false,
        }
    }

    /// The same commit with what happens to an existing destination set.
    pub const fn if_exists(self, if_exists: IfExists) -> Commit {
        Commit { if_exists, ..self }
    }

    /// The same commit, durable or not.
    pub const fn durable(self, durable: bool) -> Commit {
        Commit { durable, ..self }
    }
}

/// Puts the finished `temp` (a file, folder or symbolic link) at `dest`: the one commit
/// sequence every writer of this crate ends with.
///
/// 1. When durable, `temp` is fsync'd (a file or folder; a link has nothing to sync).
/// 2. It is renamed to `dest`: with [`IfExists::Replace`] by `rename`, replacing an
///    existing file atomically; with [`IfExists::Refuse`] by `renameat2` with
///    `RENAME_NOREPLACE`, which fails if `dest` exists (where the file system lacks it: a
///    hard link and the removal of the old name for files, a check just before the rename
///    otherwise).
/// 3. When durable, `dest`'s folder is fsync'd, so the new name survives a power cut.
///
/// Errors name `dest` first and `temp` second; a refusal is [`Error::AlreadyExists`] and
/// leaves both paths as they were. A rename across file systems fails with
/// [`io::ErrorKind::CrossesDevices`] inside an [`Error::IoThrough`].
pub fn commit(temp: &Path, dest: &Path, how: Commit) -> Result<()> {
    if how.durable {
        sync_entry(temp).map_err(io_through("syncing", dest, temp))?;
    }
    let renamed = match how.if_exists {
        IfExists::Replace => fs::rename(temp, dest),
        IfExists::Refuse => rename_no_replace(temp, dest),
    };
    match renamed {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && how.if_exists == IfExists::Refuse => {
            return Err(Error::AlreadyExists {
                path: dest.to_path_buf(),
            });
        }
        Err(e) => return Err(io_through("renaming into place", dest, temp)(e)),
    }
    if how.durable {
        sync_dir(parent_of(dest))?;
    }
    Ok(())
}

/// fsyncs a regular file or a folder; a symbolic link is left alone.
fn sync_entry(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Ok(());
    }
    File::open(path)?.sync_all()
}

/// Renames `from` to `to`, failing with [`io::ErrorKind::AlreadyExists`] if `to` exists.
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    match renameat2_noreplace(from, to) {
        Some(result) => result,
        None => link_or_check_then_rename(from, to),
    }
}

/// [`rename_no_replace`] where `RENAME_NOREPLACE` is missing: a hard link, which fails if
/// `to` exists, then the removal of `from`; without hard links (or for folders and links),
/// a check just before the rename.
fn link_or_check_then_rename(from: &Path, to: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(from)?;
    if meta.is_file() {
        match fs::hard_link(from, to) {
            Ok(()) => return fs::remove_file(from),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
            Err(_) => {}
        }
    }
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::ErrorKind::AlreadyExists.into());
    }
    fs::rename(from, to)
}

/// `renameat2(from, to, RENAME_NOREPLACE)`; `None` where the system or the file system
/// does not offer it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn renameat2_noreplace(from: &Path, to: &Path) -> Option<io::Result<()>> {
    use std::ffi::{CString, c_char, c_int, c_uint};
    use std::os::unix::ffi::OsStrExt;
    unsafe extern "C" {
        fn renameat2(
            olddirfd: c_int,
            oldpath: *const c_char,
            newdirfd: c_int,
            newpath: *const c_char,
            flags: c_uint,
        ) -> c_int;
    }
    const AT_FDCWD: c_int = -100;
    const RENAME_NOREPLACE: c_uint = 1;
    let (Ok(from), Ok(to)) = (
        CString::new(from.as_os_str().as_bytes()),
        CString::new(to.as_os_str().as_bytes()),
    ) else {
        return Some(Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path holds a NUL byte",
        )));
    };
    // SAFETY: two NUL-terminated paths that outlive the call, relative to the current
    // folder (AT_FDCWD), and a flag renameat2 defines.
    let rc = unsafe { renameat2(AT_FDCWD, from.as_ptr(), AT_FDCWD, to.as_ptr(), RENAME_NOREPLACE) };
    if rc == 0 {
        return Some(Ok(()));
    }
    let e = io::Error::last_os_error();
    // EINVAL: the file system does not support the flag; ENOSYS: the kernel lacks the call.
    match e.raw_os_error() {
        Some(22) | Some(38) => None,
        _ => Some(Err(e)),
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn renameat2_noreplace(_from: &Path, _to: &Path) -> Option<io::Result<()>> {
    None
}

/// Creates `dir` and its missing parents. When a file (or anything that is not a folder)
/// is in the way, says so: [`Error::NotAFolder`] naming it.
pub(crate) fn create_folders(dir: &Path) -> Result<()> {
    match fs::create_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) => {
            let blocker = dir
                .ancestors()
                .find(|a| fs::symlink_metadata(a).is_ok())
                .filter(|a| !a.is_dir());
            match blocker {
                Some(path) => Err(Error::NotAFolder {
                    path: path.to_path_buf(),
                    wanted: dir.to_path_buf(),
                }),
                None => Err(io_err("creating the folder", dir)(e)),
            }
        }
    }
}

/// A temporary path beside a final path, for writers that open files by name (cfitsio).
/// [`commit`](Self::commit) renames it to the final path; dropping it uncommitted
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
        Self::prepare(final_path.into(), true)
    }

    /// Prepares a temporary path beside `final_path` in a folder that must exist already:
    /// a missing (for example mistyped) folder is refused with [`Error::Io`] naming it
    /// and nothing is created. For files a user names, such as a trained model.
    pub fn in_existing_folder(final_path: impl Into<PathBuf>) -> Result<Self> {
        Self::prepare(final_path.into(), false)
    }

    fn prepare(final_path: PathBuf, make_folders: bool) -> Result<Self> {
        let name = final_path.file_name().ok_or_else(|| Error::Io {
            action: "writing",
            path: final_path.clone(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"),
        })?;
        let dir = parent_of(&final_path);
        if make_folders {
            create_folders(dir)?;
        } else if !dir.is_dir() {
            let source = match fs::metadata(dir) {
                Err(e) => e,
                Ok(_) => io::Error::new(io::ErrorKind::NotADirectory, "not a folder"),
            };
            return Err(io_err("opening the folder", dir)(source));
        }
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

    /// Puts what was written at the temporary path at the final path (see [`commit`]).
    /// On an error (a refusal too) the temporary file is removed.
    pub fn commit(mut self, how: Commit) -> Result<()> {
        commit(&self.temp_path, &self.final_path, how)?;
        self.committed = true;
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

/// An open temporary file that takes its final path's place on [`commit`](Self::commit),
/// and disappears if dropped before.
#[derive(Debug)]
pub struct AtomicFile {
    path: AtomicPath,
    file: File,
}

impl AtomicFile {
    /// Creates the temporary file beside `final_path` (creating parent folders).
    pub fn create(final_path: impl Into<PathBuf>) -> Result<Self> {
        let path = AtomicPath::new(final_path)?;
        let file = File::create(&path.temp_path).map_err(io_through("creating", &path.final_path, &path.temp_path))?;
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

    /// Flushes the file and puts it at the final path (see [`commit`]).
    pub fn commit(mut self, how: Commit) -> Result<()> {
        self.file
            .flush()
            .map_err(io_through("writing", &self.path.final_path, &self.path.temp_path))?;
        drop(self.file);
        self.path.commit(how)
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
pub(crate) fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes a folder's entries (a rename or a new name in it) to disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
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
        f.commit(Commit::replacing().durable(true)).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path().join("a/b")).unwrap().count(), 1);
    }

    #[test]
    fn a_refusing_commit_leaves_both_paths_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, dest) = (dir.path().join(".t"), dir.path().join("d"));
        fs::write(&temp, b"new").unwrap();
        fs::write(&dest, b"old").unwrap();
        for how in [Commit::no_clobber(), Commit::no_clobber().durable(true)] {
            match commit(&temp, &dest, how) {
                Err(Error::AlreadyExists { path }) => assert_eq!(path, dest),
                other => panic!("expected AlreadyExists, got {other:?}"),
            }
            assert_eq!(
                (fs::read(&temp).unwrap(), fs::read(&dest).unwrap()),
                (b"new".to_vec(), b"old".to_vec())
            );
        }
        let fresh = dir.path().join("fresh");
        commit(&temp, &fresh, Commit::no_clobber().durable(true)).unwrap();
        assert_eq!(fs::read(&fresh).unwrap(), b"new");
        assert!(!temp.exists());
        commit(&fresh, &dest, Commit::replacing()).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
    }

    #[test]
    fn the_fallback_without_rename_noreplace_refuses_too() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        fs::write(&a, b"a").unwrap();
        fs::write(&b, b"b").unwrap();
        let e = link_or_check_then_rename(&a, &b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            (fs::read(&a).unwrap(), fs::read(&b).unwrap()),
            (b"a".to_vec(), b"b".to_vec())
        );
        link_or_check_then_rename(&a, &c).unwrap();
        assert!(!a.exists() && fs::read(&c).unwrap() == b"a");
        let (d1, d2) = (dir.path().join("d1"), dir.path().join("d2"));
        fs::create_dir(&d1).unwrap();
        fs::create_dir(&d2).unwrap();
        let e = link_or_check_then_rename(&d1, &d2).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn errors_on_the_temporary_file_name_the_destination_first() {
        let (dest, temp) = (Path::new("/out/a.fits"), Path::new("/out/.a.fits.astra-tmp-1-0"));
        let io = || io::Error::new(io::ErrorKind::StorageFull, "no space left");
        let e = name_destination(
            Error::Io {
                action: "writing",
                path: temp.into(),
                source: io(),
            },
            dest,
            temp,
        );
        assert!(matches!(&e, Error::IoThrough { path, through, .. } if path == dest && through == temp));
        assert!(e.to_string().starts_with("writing \"/out/a.fits\" (through"), "{e}");
        let e = name_destination(Error::UnattributedIo(io()), dest, temp);
        assert!(matches!(&e, Error::IoThrough { path, .. } if path == dest));
        let e = name_destination(
            Error::Cfitsio {
                path: Some(temp.into()),
                hdu: Some(2),
                action: "writing the image".into(),
                status: 106,
                message: "error writing to FITS file".into(),
            },
            dest,
            temp,
        )
        .to_string();
        assert!(
            e.starts_with("\"/out/a.fits\", HDU 2: writing the image (through the temporary file \"/out/.a.fits"),
            "{e}"
        );
        let other = name_destination(Error::AlreadyExists { path: dest.into() }, dest, temp);
        assert!(matches!(other, Error::AlreadyExists { .. }));
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

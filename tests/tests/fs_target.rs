//! The file-system operations of a target path: each works, refuses what it must with an
//! error naming the path, loses nothing, and leaves no temporary file.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use astra_targets::Error;
use astra_targets::fs::{CopyMode, FileTarget, IfExists, Mode, Opened};

/// Every path below `root`, recursively, sorted.
fn listing(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

fn no_temporaries(root: &Path) {
    let left: Vec<_> = listing(root)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".astra-tmp-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

fn already_exists(e: Error, path: &Path) {
    match &e {
        Error::AlreadyExists { path: p } => assert_eq!(p, path),
        other => panic!("expected AlreadyExists for {path:?}, got {other}"),
    }
    assert!(e.to_string().contains(&*path.to_string_lossy()), "{e}");
}

/// A folder on another file system than `dir` (tmpfs /dev/shm), for moves across devices.
fn other_device(dir: &Path) -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    assert!(
        shm.is_dir(),
        "this test needs /dev/shm (a tmpfs) to move files across file systems"
    );
    let other = tempfile::tempdir_in(shm).unwrap();
    let (a, b) = (
        fs::metadata(dir).unwrap().dev(),
        fs::metadata(other.path()).unwrap().dev(),
    );
    assert_ne!(a, b, "/dev/shm must be another file system than {dir:?} for this test");
    other
}

#[test]
fn paths_exists_and_makedirs() {
    let dir = tempfile::tempdir().unwrap();
    let t = FileTarget::new(dir.path().join("a/b/c.fits"));
    assert_eq!(t.path(), dir.path().join("a/b/c.fits"));
    assert!(!t.exists());
    t.makedirs().unwrap();
    assert!(dir.path().join("a/b").is_dir());
    assert!(!t.exists(), "makedirs makes folders, not the file");
    t.makedirs().unwrap();
    fs::write(t.path(), b"x").unwrap();
    assert!(t.exists());
    // A dangling symbolic link does not exist.
    let link = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
    assert!(!FileTarget::new(&link).exists());
}

#[test]
fn open_write_commits_or_discards() {
    let dir = tempfile::tempdir().unwrap();
    let t = FileTarget::new(dir.path().join("sub/out.txt"));
    {
        let mut w = t.open_write().unwrap();
        w.write_all(b"never committed").unwrap();
        assert!(w.temp_path().exists());
    }
    assert!(!t.exists());
    no_temporaries(dir.path());
    fs::write(t.path(), b"old").unwrap();
    let Opened::Writer(mut w) = t.open(Mode::Write).unwrap() else {
        panic!("a writer")
    };
    w.write_all(b"new contents").unwrap();
    assert_eq!(fs::read(t.path()).unwrap(), b"old", "nothing visible before commit");
    w.close().unwrap();
    let Opened::Reader(mut r) = t.open(Mode::Read).unwrap() else {
        panic!("a reader")
    };
    let mut s = String::new();
    r.read_to_string(&mut s).unwrap();
    assert_eq!(s, "new contents");
    let mut w = t.durable(false).open_write().unwrap();
    w.write_all(b"third").unwrap();
    w.commit().unwrap();
    assert_eq!(fs::read(dir.path().join("sub/out.txt")).unwrap(), b"third");
    no_temporaries(dir.path());
    let missing = dir.path().join("missing.txt");
    let e = FileTarget::new(&missing).open_read().unwrap_err().to_string();
    assert!(e.contains("missing.txt"), "{e}");
}

#[test]
fn move_to_renames_and_refuses_or_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("deep/er/b.txt"));
    fs::write(&a, b"A").unwrap();
    FileTarget::new(&a).move_to(&b, IfExists::Refuse).unwrap();
    assert!(!a.exists());
    assert_eq!(fs::read(&b).unwrap(), b"A");
    // Refused: both files stay as they were.
    fs::write(&a, b"A2").unwrap();
    already_exists(FileTarget::new(&a).move_to(&b, IfExists::Refuse).unwrap_err(), &b);
    assert_eq!(
        (fs::read(&a).unwrap(), fs::read(&b).unwrap()),
        (b"A2".to_vec(), b"A".to_vec())
    );
    // Allowed to replace.
    FileTarget::new(&a).move_to(&b, IfExists::Replace).unwrap();
    assert_eq!(fs::read(&b).unwrap(), b"A2");
    assert!(!a.exists());
    let e = FileTarget::new(&a)
        .move_to(&b, IfExists::Replace)
        .unwrap_err()
        .to_string();
    assert!(e.contains("moving") && e.contains("a.txt"), "{e}");
    assert_eq!(fs::read(&b).unwrap(), b"A2");
    no_temporaries(dir.path());
}

#[test]
fn moves_across_file_systems() {
    let dir = tempfile::tempdir().unwrap();
    let other = other_device(dir.path());
    let src = other.path().join("product.fits");
    fs::write(&src, vec![7u8; 100_000]).unwrap();
    fs::set_permissions(&src, fs::Permissions::from_mode(0o640)).unwrap();
    let dest = dir.path().join("x/product.fits");
    FileTarget::new(&src).move_to(&dest, IfExists::Refuse).unwrap();
    assert!(!src.exists());
    assert_eq!(fs::read(&dest).unwrap(), vec![7u8; 100_000]);
    assert_eq!(fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o640);
    fs::write(&src, b"second").unwrap();
    already_exists(
        FileTarget::new(&src).move_to(&dest, IfExists::Refuse).unwrap_err(),
        &dest,
    );
    assert!(src.exists());
    FileTarget::new(&src).move_to(&dest, IfExists::Replace).unwrap();
    assert_eq!(fs::read(&dest).unwrap(), b"second");
    // A folder tree across devices.
    let tree = other.path().join("tree");
    fs::create_dir_all(tree.join("inner")).unwrap();
    fs::write(tree.join("inner/f"), b"f").unwrap();
    std::os::unix::fs::symlink("inner/f", tree.join("link")).unwrap();
    let moved = dir.path().join("moved-tree");
    FileTarget::new(&tree).move_dir(&moved).unwrap();
    assert!(!tree.exists());
    assert_eq!(fs::read(moved.join("inner/f")).unwrap(), b"f");
    assert_eq!(fs::read(moved.join("link")).unwrap(), b"f");
    no_temporaries(dir.path());
    no_temporaries(other.path());
}

#[test]
fn move_dir_never_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("run-1");
    fs::create_dir_all(src.join("a/b")).unwrap();
    fs::write(src.join("a/b/file"), b"data").unwrap();
    let dest = dir.path().join("archive/run-1");
    FileTarget::new(&src).move_dir(&dest).unwrap();
    assert_eq!(fs::read(dest.join("a/b/file")).unwrap(), b"data");
    assert!(!src.exists());
    // An existing destination, even an empty folder, is refused and nothing moves.
    fs::create_dir_all(src.join("c")).unwrap();
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    already_exists(FileTarget::new(&src).move_dir(&empty).unwrap_err(), &empty);
    already_exists(FileTarget::new(&src).move_dir(&dest).unwrap_err(), &dest);
    assert!(src.join("c").is_dir() && dest.join("a/b/file").exists());
}

#[test]
fn remove_files_links_and_trees() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    fs::write(&file, b"x").unwrap();
    let link = dir.path().join("l");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    FileTarget::new(&link).remove().unwrap();
    assert!(
        !link.exists() && file.exists(),
        "removing a link keeps what it points to"
    );
    FileTarget::new(&file).remove().unwrap();
    assert!(!file.exists());
    let tree = dir.path().join("t");
    fs::create_dir_all(tree.join("a/b")).unwrap();
    fs::write(tree.join("a/b/c"), b"c").unwrap();
    FileTarget::new(&tree).remove().unwrap();
    assert!(!tree.exists());
    let e = FileTarget::new(&tree).remove().unwrap_err().to_string();
    assert!(e.contains("removing") && e.contains(&*tree.to_string_lossy()), "{e}");
}

#[test]
fn copy_is_atomic_and_keeps_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.bin");
    fs::write(&src, vec![1u8; 50_000]).unwrap();
    fs::set_permissions(&src, fs::Permissions::from_mode(0o604)).unwrap();
    let dest = dir.path().join("copies/dest.bin");
    FileTarget::new(&src).copy(&dest, IfExists::Refuse).unwrap();
    assert_eq!(fs::read(&dest).unwrap(), vec![1u8; 50_000]);
    assert_eq!(fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o604);
    assert!(src.exists());
    fs::write(&dest, b"keep me").unwrap();
    already_exists(FileTarget::new(&src).copy(&dest, IfExists::Refuse).unwrap_err(), &dest);
    assert_eq!(fs::read(&dest).unwrap(), b"keep me");
    FileTarget::new(&src).copy(&dest, IfExists::Replace).unwrap();
    assert_eq!(fs::read(&dest).unwrap().len(), 50_000);
    let e = FileTarget::new(dir.path().join("copies"))
        .copy(dir.path().join("c2"), IfExists::Replace)
        .unwrap_err()
        .to_string();
    assert!(e.contains("copies") && e.contains("folder"), "{e}");
    let e = FileTarget::new(dir.path().join("nope"))
        .copy(&dest, IfExists::Replace)
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope"), "{e}");
    assert_eq!(fs::read(&dest).unwrap().len(), 50_000);
    no_temporaries(dir.path());
}

#[test]
fn temporary_path_renames_on_ok_and_cleans_up_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let t = FileTarget::new(dir.path().join("new/dirs/out.fits"));
    let n = t
        .temporary_path(|tmp| -> astra_targets::Result<usize> {
            assert_eq!(
                tmp.parent().unwrap(),
                dir.path().join("new/dirs"),
                "beside the target, folders made"
            );
            assert!(!t.exists());
            fs::write(tmp, b"complete").unwrap();
            Ok(8)
        })
        .unwrap();
    assert_eq!(n, 8);
    assert_eq!(fs::read(t.path()).unwrap(), b"complete");
    // An error: the old file stays, the temporary file goes.
    #[derive(Debug)]
    struct Failed(#[allow(dead_code)] String);
    impl From<Error> for Failed {
        fn from(e: Error) -> Self {
            Failed(e.to_string())
        }
    }
    let r: Result<(), Failed> = t.temporary_path_replacing(|tmp| {
        fs::write(tmp, b"partial").unwrap();
        Err(Failed("the external command failed".into()))
    });
    assert!(r.is_err());
    assert_eq!(fs::read(t.path()).unwrap(), b"complete");
    no_temporaries(dir.path());
    // A panic: the same.
    let panicked = std::panic::catch_unwind(|| {
        let _ = t.temporary_path_replacing(|tmp| -> astra_targets::Result<()> {
            fs::write(tmp, b"partial").unwrap();
            panic!("crash while writing");
        });
    });
    assert!(panicked.is_err());
    assert_eq!(fs::read(t.path()).unwrap(), b"complete");
    no_temporaries(dir.path());
    // Writing nothing is an error, not an empty target; it names the target first.
    let e = t
        .temporary_path_replacing(|_| Ok::<_, Error>(()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("nothing was written"), "{e}");
    assert!(e.starts_with(&format!("committing {:?} (through", t.path())), "{e}");
    assert_eq!(fs::read(t.path()).unwrap(), b"complete");
    // A folder written at the temporary path becomes the target; a failed one is removed.
    let d = FileTarget::new(dir.path().join("outdir"));
    d.temporary_path(|tmp| -> astra_targets::Result<()> {
        fs::create_dir_all(tmp.join("x")).unwrap();
        fs::write(tmp.join("x/y"), b"y").unwrap();
        Ok(())
    })
    .unwrap();
    assert_eq!(fs::read(dir.path().join("outdir/x/y")).unwrap(), b"y");
    let d2 = FileTarget::new(dir.path().join("outdir2"));
    let r = d2.temporary_path(|tmp| -> astra_targets::Result<()> {
        fs::create_dir_all(tmp.join("x")).unwrap();
        Err(Error::AlreadyExists {
            path: tmp.to_path_buf(),
        })
    });
    assert!(r.is_err() && !d2.exists());
    no_temporaries(dir.path());
}

#[test]
fn copy_from_links_or_copies_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src/AstraSource-a.fits");
    fs::create_dir_all(src.parent().unwrap()).unwrap();
    fs::write(&src, b"product").unwrap();
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    fs::File::options()
        .write(true)
        .open(&src)
        .unwrap()
        .set_modified(old)
        .unwrap();
    fs::set_permissions(&src, fs::Permissions::from_mode(0o600)).unwrap();

    // A symbolic link, replacing an existing file atomically.
    let dest = dir.path().join("dest/AstraSource-b.fits");
    fs::create_dir_all(dest.parent().unwrap()).unwrap();
    fs::write(&dest, b"previous").unwrap();
    FileTarget::new(&dest).copy_from(&src, CopyMode::Symlink).unwrap();
    assert!(fs::symlink_metadata(&dest).unwrap().file_type().is_symlink());
    assert_eq!(fs::read_link(&dest).unwrap(), fs::canonicalize(&src).unwrap());
    assert_eq!(fs::read(&dest).unwrap(), b"product");
    // Relinking over the link works too.
    FileTarget::new(&dest).copy_from(&src, CopyMode::Symlink).unwrap();
    // A copy, keeping permissions and modification time, replacing the link.
    FileTarget::new(&dest).copy_from(&src, CopyMode::Copy).unwrap();
    let meta = fs::symlink_metadata(&dest).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(fs::read(&dest).unwrap(), b"product");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.modified().unwrap(), old);
    // A missing source: an error naming it, the destination untouched.
    let e = FileTarget::new(&dest)
        .copy_from(dir.path().join("gone.fits"), CopyMode::Symlink)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gone.fits"), "{e}");
    let e = FileTarget::new(&dest)
        .copy_from(dir.path().join("gone.fits"), CopyMode::Copy)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gone.fits"), "{e}");
    assert_eq!(fs::read(&dest).unwrap(), b"product");
    no_temporaries(dir.path());
}

#[test]
fn temporary_path_refuses_an_existing_target_as_rename_dont_move_does() {
    let dir = tempfile::tempdir().unwrap();
    let t = FileTarget::new(dir.path().join("out.fits"));
    fs::write(t.path(), b"first").unwrap();
    let mut ran = false;
    let e = t
        .temporary_path(|tmp| -> astra_targets::Result<()> {
            ran = true;
            fs::write(tmp, b"second")?;
            Ok(())
        })
        .unwrap_err();
    already_exists(e, t.path());
    assert!(!ran, "refused before any work");
    assert_eq!(fs::read(t.path()).unwrap(), b"first");
    // A target that appears while the closure runs is not replaced either.
    let late = FileTarget::new(dir.path().join("late.fits"));
    let e = late
        .temporary_path(|tmp| -> astra_targets::Result<()> {
            fs::write(tmp, b"mine")?;
            fs::write(late.path(), b"someone else's")?;
            Ok(())
        })
        .unwrap_err();
    already_exists(e, late.path());
    assert_eq!(fs::read(late.path()).unwrap(), b"someone else's");
    no_temporaries(dir.path());
    // Replacing is the explicit choice.
    t.temporary_path_replacing(|tmp| -> astra_targets::Result<()> {
        fs::write(tmp, b"second")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(fs::read(t.path()).unwrap(), b"second");
    no_temporaries(dir.path());
}

#[test]
fn a_refusing_move_reports_the_destination_even_when_the_source_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let (gone, dest) = (dir.path().join("gone"), dir.path().join("dest"));
    fs::write(&dest, b"here").unwrap();
    already_exists(
        FileTarget::new(&gone).move_to(&dest, IfExists::Refuse).unwrap_err(),
        &dest,
    );
    already_exists(FileTarget::new(&gone).move_dir(&dest).unwrap_err(), &dest);
    already_exists(FileTarget::new(&gone).copy(&dest, IfExists::Refuse).unwrap_err(), &dest);
    // Replacing, the missing source is the error.
    let e = FileTarget::new(&gone)
        .move_to(&dest, IfExists::Replace)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gone"), "{e}");
    assert_eq!(fs::read(&dest).unwrap(), b"here");
}

#[test]
fn write_with_commits_on_ok_and_names_the_target_in_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let t = FileTarget::new(dir.path().join("notes/out.txt"));
    let n = t
        .write_with(|w| {
            w.write_all(b"line one\n")?;
            writeln!(w, "line {}", 2)?;
            Ok(2)
        })
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(fs::read_to_string(t.path()).unwrap(), "line one\nline 2\n");
    // An I/O error raised with `?`: nothing committed, the error names the target first
    // and the temporary file second.
    let e = t
        .write_with(|w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("the disk is full"))?;
            Ok(())
        })
        .unwrap_err();
    match &e {
        Error::IoThrough { path, through, .. } => {
            assert_eq!(path, t.path());
            assert!(through.to_string_lossy().contains(".astra-tmp-"), "{through:?}");
        }
        other => panic!("expected an error naming the target, got {other:?}"),
    }
    let text = e.to_string();
    assert!(text.starts_with(&format!("writing {:?}", t.path())), "{text}");
    assert!(text.contains("the disk is full"), "{text}");
    assert_eq!(fs::read_to_string(t.path()).unwrap(), "line one\nline 2\n");
    // The same in a temporary_path closure.
    let u = FileTarget::new(dir.path().join("u.bin"));
    let e = u
        .temporary_path(|tmp| -> astra_targets::Result<()> {
            fs::write(tmp, b"x")?;
            fs::read(tmp.join("not-a-folder"))?;
            Ok(())
        })
        .unwrap_err();
    assert!(matches!(&e, Error::IoThrough { path, .. } if path == u.path()), "{e:?}");
    assert!(!u.exists());
    no_temporaries(dir.path());
}

#[test]
fn a_file_in_the_way_of_a_folder_is_named_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("thepayne");
    fs::write(&blocker, b"a file").unwrap();
    let src = dir.path().join("x");
    fs::write(&src, b"x").unwrap();
    for path in [blocker.join("out.fits"), blocker.join("deeper/out.fits")] {
        for e in [
            FileTarget::new(&path).makedirs().unwrap_err(),
            FileTarget::new(&path).write_with(|_| Ok(())).unwrap_err(),
            FileTarget::new(&src).copy(&path, IfExists::Replace).unwrap_err(),
        ] {
            match &e {
                Error::NotAFolder { path: p, .. } => assert_eq!(p, &blocker),
                other => panic!("expected NotAFolder, got {other:?}"),
            }
            let text = e.to_string();
            assert!(text.contains(&format!("{blocker:?} is a file, not a folder")), "{text}");
            assert!(!text.contains("File exists"), "{text}");
        }
    }
}

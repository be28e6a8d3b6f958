//! Crash safety: a child process writes products to one final path in a loop and is
//! killed with SIGKILL at random moments. After every kill the final path holds either no
//! file or a complete product whose every HDU passes cfitsio's checksum verification, and
//! `clean_temporaries` leaves no temporary file behind.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use astra_targets::fs::clean_temporaries;
use astra_targets::spectrum::synthetic::Rng;
use fitsio::FitsFile;

/// The number of HDUs of a complete product.
const HDUS: usize = 9;
/// Rows per image: about 4 MB a product, so a write takes a measurable time.
const ROWS: &str = "20";
/// How many times the child is killed.
const KILLS: usize = 60;

fn writer(path: &Path, mode: &str, once: bool) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crash-writer"));
    cmd.arg(path)
        .arg(ROWS)
        .arg(mode)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if once {
        cmd.arg("once");
    }
    cmd.spawn().expect("starting crash-writer")
}

/// Verifies every HDU's CHECKSUM and DATASUM with cfitsio (`ffvcks`), and the HDU count.
fn verify(path: &Path) -> Result<(), String> {
    let mut f = FitsFile::open(path).map_err(|e| format!("opening: {e}"))?;
    let n = f.num_hdus().map_err(|e| format!("counting HDUs: {e}"))?;
    if n != HDUS {
        return Err(format!("{n} HDUs, expected {HDUS}"));
    }
    for hdu in 0..n {
        let (mut kind, mut data_ok, mut hdu_ok, mut status) = (0, 0, 0, 0);
        unsafe {
            fitsio::sys::ffmahd(f.as_raw(), hdu as i32 + 1, &mut kind, &mut status);
            fitsio::sys::ffvcks(f.as_raw(), &mut data_ok, &mut hdu_ok, &mut status);
        }
        if status != 0 || data_ok != 1 || hdu_ok != 1 {
            return Err(format!(
                "HDU {hdu}: status {status}, DATASUM {data_ok}, CHECKSUM {hdu_ok} (1 = valid)"
            ));
        }
    }
    Ok(())
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

/// Kills a writer in `mode` KILLS times, checking the product after each kill; at least
/// `min_interrupted` kills must have left a temporary file (proof that kills landed
/// while the file was being written).
fn kill_writers(mode: &str, min_interrupted: usize) {
    let dir = tempfile::tempdir().unwrap();
    let products = dir.path().join("0.1.0/thepayne/apo25m/24");
    let path = products.join("AstraSource-2M00001023-0000126-thepayne-0123abcd.fits");

    // Calibrate: how long one start-and-write takes on this (busy) machine. The median of
    // five: one slow start (a loaded machine) must not stretch the kill window so far that
    // no kill lands before a write completes.
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let out = writer(&path, mode, true).wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "crash-writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        times.push(start.elapsed());
    }
    times.sort();
    let once: Duration = times[times.len() / 2];
    verify(&path).expect("a product written without interruption is valid");
    // The check catches what a crash without atomic writes would leave: a cut file, or
    // changed bytes.
    let bytes = std::fs::read(&path).unwrap();
    let broken = dir.path().join("broken.fits");
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    assert!(verify(&broken).is_err(), "a half-written product must fail the check");
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x40;
    std::fs::write(&broken, &flipped).unwrap();
    assert!(
        verify(&broken).unwrap_err().contains("CHECKSUM"),
        "a changed byte must fail the checksum"
    );
    std::fs::remove_file(&broken).unwrap();
    std::fs::remove_file(&path).unwrap();

    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut rng = Rng::new(seed);
    let window = once.mul_f64(3.0);
    let (mut absent, mut complete, mut interrupted) = (0, 0, 0);
    for kill in 0..KILLS {
        if kill % 3 == 0 && path.exists() {
            // Also exercise the case of a first write, with no old product to fall back on.
            std::fs::remove_file(&path).unwrap();
        }
        let mut child = writer(&path, mode, false);
        std::thread::sleep(window.mul_f64(rng.uniform()));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap(); // reaped: its pid is gone before cleaning
        assert!(!status.success(), "kill {kill}: the writer ended by itself ({status})");
        if path.exists() {
            verify(&path).unwrap_or_else(|e| panic!("kill {kill} (seed {seed}): {path:?} is not complete: {e}"));
            complete += 1;
        } else {
            absent += 1;
        }
        let removed = clean_temporaries(dir.path()).unwrap();
        assert!(
            removed.len() <= 1,
            "kill {kill}: one writer leaves at most one temporary file: {removed:?}"
        );
        interrupted += removed.len();
        let left = entries(&products);
        let expected: Vec<PathBuf> = if path.exists() { vec![path.clone()] } else { vec![] };
        assert_eq!(left, expected, "kill {kill} (seed {seed}): only the product may remain");
    }
    println!(
        "{mode}: {KILLS} kills (window {window:?}, seed {seed}): {complete} left a complete product, {absent} none; \
         {interrupted} interrupted a write (temporary file cleaned)"
    );
    assert!(
        interrupted >= min_interrupted,
        "too few kills landed during a write ({interrupted} of {KILLS}): the test did not exercise the crash window"
    );
    assert!(complete >= 1, "no kill came after a completed write");
    assert!(absent >= 1, "no kill came before a first write completed");
}

#[test]
fn killed_astra_source_writers_leave_a_complete_product_or_none() {
    kill_writers("source", KILLS / 4);
}

/// Assembled in memory, a product is on disk only while its bytes are written out: few
/// kills land then, but every one must still find a complete product or none.
#[test]
fn killed_in_memory_astra_source_writers_leave_a_complete_product_or_none() {
    kill_writers("source-memory", 0);
}

#[test]
fn killed_atomic_path_writers_leave_a_complete_product_or_none() {
    kill_writers("atomic", KILLS / 4);
}

#[test]
fn killed_temporary_path_writers_leave_a_complete_product_or_none() {
    kill_writers("target", KILLS / 4);
}

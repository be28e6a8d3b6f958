//! Whether an astraSource file is there, and whether it is whole and matches its model.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::layout::{HDUS, RESULTS};
use super::tables;
use crate::fits::FitsReader;
use crate::task::AstraTask;
use crate::{Error, Result};

/// Whether `path` is a regular file (or a link to one) that starts like a FITS file and
/// has a whole number of FITS blocks. Files are written atomically, so this cheap check
/// is what `exists()` needs; `AstraSource::verify` reads everything.
pub fn looks_complete(path: &Path) -> bool {
    // One path lookup: open, then the size from the open file.
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let Ok(meta) = file.metadata() else {
        return false;
    };
    if !meta.is_file() || meta.len() == 0 || meta.len() % 2880 != 0 {
        return false;
    }
    let mut head = [0u8; 30];
    file.read_exact(&mut head).is_ok() && &head == b"SIMPLE  =                    T"
}

/// What [`verify_file`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checks {
    /// HDU names, image shapes, RESULTS rows and columns.
    Layout,
    /// The same, and valid `CHECKSUM` and `DATASUM` cards on every HDU.
    LayoutAndChecksums,
}

/// Checks a file against the astraSource model of `task`: nine HDUs with the expected
/// names in order, images of one (N, P) shape, a RESULTS table of N rows whose columns
/// (TTYPE, TFORM, TUNIT) are the task's, and, with [`Checks::LayoutAndChecksums`], valid
/// `CHECKSUM` and `DATASUM` cards on every HDU (cfitsio's `ffvcks`).
pub(crate) fn verify_file<T: AstraTask>(task: &T, path: &Path, checks: Checks) -> Result<()> {
    check(task, path, checks == Checks::LayoutAndChecksums).map_err(|e| match e {
        Error::Cfitsio { .. } => Error::Invalid {
            path: path.to_path_buf(),
            reason: format!("cannot be read as FITS ({e})"),
        },
        e => e,
    })
}

fn check<T: AstraTask>(task: &T, path: &Path, checksums: bool) -> Result<()> {
    let invalid = |reason: String| Error::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let mut fits = FitsReader::open(path).map_err(|e| invalid(format!("cannot be opened as FITS ({e})")))?;
    let count = fits.hdu_count()?;
    if count != HDUS.len() {
        return Err(invalid(format!("{count} HDUs instead of {}", HDUS.len())));
    }
    let mut shape = None;
    for (i, spec) in HDUS.iter().enumerate() {
        fits.select(i)?;
        if i > 0 {
            let name = fits.key_str("EXTNAME")?;
            if name.as_deref() != Some(spec.name) {
                return Err(invalid(format!("HDU {i} is named {name:?} instead of {:?}", spec.name)));
            }
        }
        if checksums {
            let (data, hdu) = fits.checksums()?;
            let word = |s: i32| match s {
                1 => "valid",
                0 => "missing",
                _ => "wrong",
            };
            if data != 1 || hdu != 1 {
                return Err(invalid(format!(
                    "HDU {i} ({}): DATASUM {}, CHECKSUM {}",
                    spec.name,
                    word(data),
                    word(hdu)
                )));
            }
        }
        if (1..=6).contains(&i) {
            let dims = (fits.key_int("NAXIS")?, fits.key_int("NAXIS1")?, fits.key_int("NAXIS2")?);
            match shape {
                None => shape = Some(dims),
                Some(s) if s != dims => {
                    return Err(invalid(format!(
                        "HDU {i} ({}) has NAXIS/NAXIS1/NAXIS2 {dims:?}, HDU 1 {s:?}",
                        spec.name
                    )));
                }
                Some(_) => {}
            }
            if dims.0 != Some(2) {
                return Err(invalid(format!("HDU {i} ({}) is not a 2-D image", spec.name)));
            }
        }
    }
    fits.select(RESULTS)?;
    let rows = fits.key_int("NAXIS2")?;
    let n = shape.and_then(|s| s.2);
    if rows != n {
        let count = |v: Option<i64>| v.map_or("no".to_string(), |v| v.to_string());
        return Err(invalid(format!(
            "RESULTS has {} rows for {} spectra",
            count(rows),
            count(n)
        )));
    }
    let model = tables::results(task, &[])?;
    let fields = fits.key_int("TFIELDS")?;
    if fields != Some(model.len() as i64) {
        return Err(invalid(format!(
            "RESULTS has {} columns; the model has {}",
            fields.map_or("no".to_string(), |f| f.to_string()),
            model.len()
        )));
    }
    for (j, column) in model.iter().enumerate() {
        let k = j + 1;
        let found = (
            fits.key_str(&format!("TTYPE{k}"))?,
            fits.key_str(&format!("TFORM{k}"))?,
            fits.key_str(&format!("TUNIT{k}"))?,
        );
        let unit = (!column.unit.is_empty()).then(|| column.unit.clone());
        let want = (Some(column.name.clone()), Some(column.tform()), unit);
        if found != want {
            return Err(invalid(format!(
                "RESULTS column {k} is (TTYPE, TFORM, TUNIT) {found:?}; the model says {want:?}"
            )));
        }
    }
    Ok(())
}

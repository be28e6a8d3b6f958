//! Reader of BOSS spec-style files (BOSS / Black Hole Mapper).
//!
//! Layout: HDU 0 holds the primary header; the binary table `COADD` (HDU 1 in real files)
//! holds one row per pixel with the columns `flux`, `loglam`, `ivar`, `and_mask` and
//! `or_mask` (names matched case-insensitively; other columns are ignored). Real files have
//! 4648 pixels from log10(lambda) = 3.5523 in steps of 1e-4.
//!
//! The wavelength grid is rebuilt from `loglam`: `CRVAL1 = loglam[0]` and `CDELT1` the mean
//! step `(loglam[P-1] - loglam[0]) / (P - 1)` (one pixel's difference would carry the full
//! rounding error of a single-precision column). For a single-precision column `CRVAL1` is
//! the shortest decimal of the `f32` (`3.5523`), and the step is rounded to the decimal
//! place its precision supports (8 units in the last place of `loglam` over the grid's
//! length: 1e-10 for BOSS, so `0.0001`). Every `loglam` must then lie within 1% of a pixel
//! of `CRVAL1 + i * CDELT1`, or the file is refused.

use std::ffi::c_int;
use std::path::Path;

use fitsio::sys;
use ndarray::Array2;

use super::header::read_cards;
use super::{PixelMask, Spectrum, SpectrumKind, WavelengthGrid};
use crate::Result;
use crate::fits::{Element, FitsReader, HduType};

/// The extension name of the coadded spectrum's table.
pub const COADD: &str = "COADD";

/// Reads a BOSS spec-style file.
pub fn read(path: impl AsRef<Path>) -> Result<Spectrum> {
    let mut fits = FitsReader::open(path.as_ref())?;
    read_open(&mut fits)
}

/// Reads a BOSS spec-style file already open.
pub(crate) fn read_open(fits: &mut FitsReader) -> Result<Spectrum> {
    let hdus = fits.hdu_count()?;
    fits.select(0)?;
    if hdus < 2 {
        return Err(fits.bad(format!(
            "a spec-style file needs the {COADD} table in HDU 1; this file has {hdus} HDU(s)"
        )));
    }
    let header = read_cards(fits)?;
    let hdu = fits.find_hdu(COADD)?.unwrap_or(1);
    if fits.select(hdu)? != HduType::BinaryTable {
        return Err(fits.bad(format!("expected the {COADD} binary table here")));
    }
    let rows = fits.num_rows()?;
    if rows < 2 {
        return Err(fits.bad(format!(
            "the {COADD} table has {rows} row(s); a spectrum needs at least 2 pixels"
        )));
    }
    let (flux, _) = column::<f32>(fits, "flux", rows, false)?;
    let (loglam, loglam_code) = column::<f64>(fits, "loglam", rows, false)?;
    let (ivar, _) = column::<f32>(fits, "ivar", rows, false)?;
    let (and_mask, _) = column::<i32>(fits, "and_mask", rows, true)?;
    let (or_mask, _) = column::<i32>(fits, "or_mask", rows, true)?;
    let grid = grid_from_loglam(fits, &loglam, loglam_code == sys::TFLOAT as c_int)?;
    let row = |v| Array2::from_shape_vec((1, rows), v).map_err(|e| fits.bad(format!("cannot shape the table: {e}")));
    let and_mask = row(and_mask)?;
    let or_mask = row(or_mask)?;
    Ok(Spectrum {
        kind: SpectrumKind::Boss,
        header,
        grid,
        flux: Array2::from_shape_vec((1, rows), flux).map_err(|e| fits.bad(format!("cannot shape flux: {e}")))?,
        ivar: Array2::from_shape_vec((1, rows), ivar).map_err(|e| fits.bad(format!("cannot shape ivar: {e}")))?,
        mask: PixelMask::AndOr { and_mask, or_mask },
    })
}

/// Reads a scalar column of the current table; returns the values and the column's type.
fn column<T: Element>(fits: &mut FitsReader, name: &str, rows: usize, integer: bool) -> Result<(Vec<T>, c_int)> {
    let Some(info) = fits.column(name)? else {
        return Err(fits.bad(format!("the {COADD} table has no column `{name}`")));
    };
    let (code, repeat) = (info.code, info.repeat);
    if repeat != 1 {
        return Err(fits.bad(format!(
            "column `{name}` holds {repeat} values per row; a spec-style table has one pixel per row"
        )));
    }
    let is_integer = [
        sys::TBYTE,
        sys::TSBYTE,
        sys::TSHORT,
        sys::TLONG,
        sys::TLONGLONG,
        sys::TINT,
    ]
    .iter()
    .any(|&c| c as c_int == code);
    let is_float = code == sys::TFLOAT as c_int || code == sys::TDOUBLE as c_int;
    if integer && !is_integer {
        return Err(fits.bad(format!(
            "column `{name}` holds {}; an integer column was expected",
            type_name(code)
        )));
    }
    if !integer && !is_float && !is_integer {
        return Err(fits.bad(format!(
            "column `{name}` holds {}; a numeric column was expected",
            type_name(code)
        )));
    }
    Ok((fits.read_column::<T>(info, name, rows)?, code))
}

/// A reader's name for a cfitsio column type code.
fn type_name(code: c_int) -> String {
    let name = match code as u32 {
        sys::TFLOAT => "float32 (E)",
        sys::TDOUBLE => "float64 (D)",
        sys::TSTRING => "strings (A)",
        sys::TLOGICAL => "logicals (L)",
        sys::TCOMPLEX | sys::TDBLCOMPLEX => "complex numbers",
        sys::TBIT => "bits (X)",
        _ => return format!("values of cfitsio type code {code}"),
    };
    name.to_string()
}

/// The shortest decimal of `x` at single precision, as an `f64` (`3.5523f32` -> `3.5523`).
fn at_single_precision(x: f64) -> f64 {
    format!("{}", x as f32).parse().unwrap_or(x)
}

/// Rebuilds the log-linear grid from the `loglam` column (see the module docs).
fn grid_from_loglam(fits: &FitsReader, loglam: &[f64], single: bool) -> Result<WavelengthGrid> {
    let n = loglam.len();
    if let Some((i, v)) = loglam.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(fits.bad(format!("loglam[{i}] = {v} is not finite")));
    }
    let (first, last) = (loglam[0], loglam[n - 1]);
    let step = (last - first) / (n - 1) as f64;
    if step.is_nan() || step <= 0.0 {
        return Err(fits.bad(format!(
            "loglam does not increase: loglam[0] = {first}, loglam[{}] = {last}",
            n - 1
        )));
    }
    let crval1 = if single { at_single_precision(first) } else { first };
    // The step is known to about 8 units in the last place of loglam over the grid's
    // length: round it to that decimal place.
    let unit = if single { f32::EPSILON as f64 } else { f64::EPSILON } * first.abs().max(last.abs());
    let decimals = (-(8.0 * unit / (n - 1) as f64).log10()).ceil().clamp(0.0, 30.0) as usize;
    let cdelt1 = format!("{step:.decimals$}").parse().unwrap_or(step);
    let tolerance = 0.01 * cdelt1;
    for (i, &v) in loglam.iter().enumerate() {
        let expected = crval1 + i as f64 * cdelt1;
        let off = (v - expected).abs();
        if off > tolerance {
            return Err(fits.bad(format!(
                "loglam is not a uniform grid: loglam[{i}] = {v} differs from {crval1} + {i} * {cdelt1} by {off:e} (tolerance {tolerance:e})"
            )));
        }
    }
    Ok(WavelengthGrid {
        crval1,
        cdelt1,
        crpix1: 1.0,
        ctype1: "LOG-LINEAR",
        dc_flag: 1,
        npix: n,
    })
}

//! Reader of apStar-style files (APOGEE / Milky Way Mapper).
//!
//! Layout: HDU 0 holds the primary header (no data); HDU 1 the flux image, HDU 2 the flux
//! errors (1-sigma), HDU 3 the 16-bit pixel mask, all of shape (N, P) (or (P) when N = 1).
//! Rows are the stacked spectra first, then the individual visits (`NVISITS` in the
//! primary header); all rows are kept. The wavelength grid comes from the WCS cards of
//! HDU 1 (`CRVAL1`, `CDELT1`, `CRPIX1`, `CTYPE1`, `DC-FLAG`; real apStar files: 8575
//! pixels from log10(lambda) = 4.179 in steps of 6e-6). Errors become inverse variances
//! `1 / sigma^2`, with 0 where sigma is not positive and finite (or its square overflows).

use std::path::Path;

use ndarray::Array2;

use super::header::read_cards;
use super::{PixelMask, Spectrum, SpectrumKind, WavelengthGrid};
use crate::Result;
use crate::fits::{Element, FitsReader, HduType};

/// Reads an apStar-style file.
pub fn read(path: impl AsRef<Path>) -> Result<Spectrum> {
    let mut fits = FitsReader::open(path.as_ref())?;
    read_open(&mut fits)
}

/// Reads an apStar-style file already open.
pub(crate) fn read_open(fits: &mut FitsReader) -> Result<Spectrum> {
    let hdus = fits.hdu_count()?;
    if hdus < 4 {
        fits.select(0)?;
        return Err(fits.bad(format!(
            "an apStar-style file needs a flux, an error and a mask image in HDUs 1-3; this file has {hdus} HDU(s)"
        )));
    }
    fits.select(0)?;
    let header = read_cards(fits)?;
    let (shape, flux) = read_image::<f32>(fits, 1, "flux")?;
    let grid = grid_from_wcs(fits, shape.1)?;
    let (error_shape, error) = read_image::<f32>(fits, 2, "error")?;
    same_shape(fits, "error", shape, error_shape)?;
    let (mask_shape, mask) = read_image::<i16>(fits, 3, "mask")?;
    same_shape(fits, "mask", shape, mask_shape)?;
    let bitpix = fits.image_bitpix()?;
    if bitpix < 0 {
        return Err(fits.bad(format!(
            "the mask image has BITPIX = {bitpix}; an integer image was expected"
        )));
    }
    let ivar: Vec<f32> = error.iter().map(|&s| ivar_of_sigma(s)).collect();
    let array = |v, what: &str| {
        Array2::from_shape_vec(shape, v).map_err(|e| fits.bad(format!("the {what} image does not fit {shape:?}: {e}")))
    };
    Ok(Spectrum {
        kind: SpectrumKind::Apogee,
        header,
        grid,
        flux: array(flux, "flux")?,
        ivar: array(ivar, "error")?,
        mask: PixelMask::Single(
            Array2::from_shape_vec(shape, mask)
                .map_err(|e| fits.bad(format!("the mask image does not fit {shape:?}: {e}")))?,
        ),
    })
}

/// The inverse variance of a 1-sigma error: `1 / sigma^2`, or 0 where that is meaningless.
pub fn ivar_of_sigma(sigma: f32) -> f32 {
    if sigma.is_finite() && sigma > 0.0 {
        let s = sigma as f64;
        let ivar = (1.0 / (s * s)) as f32;
        if ivar.is_finite() { ivar } else { 0.0 }
    } else {
        0.0
    }
}

/// The 1-sigma error of an inverse variance: `1 / sqrt(ivar)`, infinite where ivar is not
/// positive (so that [`ivar_of_sigma`] gives 0 back).
pub fn sigma_of_ivar(ivar: f32) -> f32 {
    if ivar.is_finite() && ivar > 0.0 {
        (1.0 / (ivar as f64).sqrt()) as f32
    } else {
        f32::INFINITY
    }
}

/// Reads image HDU `hdu` as an (N, P) array (a 1-D image is one row).
fn read_image<T: Element>(fits: &mut FitsReader, hdu: usize, what: &str) -> Result<((usize, usize), Vec<T>)> {
    if fits.select(hdu)? != HduType::Image {
        return Err(fits.bad(format!("expected the {what} image here, found a table")));
    }
    let dims = fits.image_shape()?;
    let shape = match dims[..] {
        [p] => (1, p),
        [n, p] => (n, p),
        _ => {
            return Err(fits.bad(format!(
                "the {what} image has shape {dims:?}; (N, P) or (P) was expected"
            )));
        }
    };
    if shape.0 == 0 || shape.1 == 0 {
        return Err(fits.bad(format!("the {what} image is empty (shape {dims:?})")));
    }
    let n = shape
        .0
        .checked_mul(shape.1)
        .ok_or_else(|| fits.bad(format!("the {what} image of shape {dims:?} is too large")))?;
    let data = fits.read_pixels::<T>(n)?;
    Ok((shape, data))
}

fn same_shape(fits: &FitsReader, what: &str, flux: (usize, usize), other: (usize, usize)) -> Result<()> {
    if flux == other {
        Ok(())
    } else {
        Err(fits.bad(format!(
            "the {what} image has shape {other:?}, the flux image (HDU 1) {flux:?}"
        )))
    }
}

/// The log-linear wavelength grid described by the WCS cards of the current HDU.
pub(crate) fn grid_from_wcs(fits: &mut FitsReader, npix: usize) -> Result<WavelengthGrid> {
    let crval1 = fits
        .key_f64("CRVAL1")?
        .ok_or_else(|| fits.bad("no CRVAL1 card: the wavelength grid is unknown"))?;
    let cdelt1 = fits
        .key_f64("CDELT1")?
        .ok_or_else(|| fits.bad("no CDELT1 card: the wavelength grid is unknown"))?;
    let crpix1 = fits.key_f64("CRPIX1")?.unwrap_or(1.0);
    if !(crval1.is_finite() && crpix1.is_finite() && cdelt1.is_finite() && cdelt1 > 0.0) {
        return Err(fits.bad(format!(
            "unusable wavelength grid: CRVAL1 = {crval1}, CDELT1 = {cdelt1}, CRPIX1 = {crpix1}"
        )));
    }
    if let Some(ctype) = fits.key_str("CTYPE1")?
        && !ctype.trim().eq_ignore_ascii_case("LOG-LINEAR")
    {
        return Err(fits.bad(format!("CTYPE1 = {ctype:?}: only LOG-LINEAR grids are read")));
    }
    let dc_flag = fits.key_f64("DC-FLAG")?.unwrap_or(1.0);
    if dc_flag != 1.0 {
        return Err(fits.bad(format!(
            "DC-FLAG = {dc_flag}: only log-linear grids (DC-FLAG = 1) are read"
        )));
    }
    Ok(WavelengthGrid {
        crval1,
        cdelt1,
        crpix1,
        ctype1: "LOG-LINEAR",
        dc_flag: 1,
        npix,
    })
}

//! Writers of the two SDSS layouts (any [`Spectrum`] of the right kind, synthetic or not),
//! through cfitsio, atomically: a temporary file beside the destination, renamed over it
//! when complete and fsync'd (file and folder). Every HDU carries `CHECKSUM`/`DATASUM`.

use std::path::Path;

use super::super::cfitsio::Fits;
use super::super::header::{card_problem, write_card, write_cards};
use super::super::{Card, CardValue, PixelMask, Spectrum, SpectrumKind, WavelengthGrid};
use crate::fs::AtomicPath;
use crate::{Error, Result};

/// The flux unit of both layouts, as a FITS unit string.
pub const FLUX_UNIT: &str = "10**-17 erg/s/cm**2/Angstrom";

fn card(key: &str, value: CardValue, comment: &str) -> Card {
    Card {
        key: key.into(),
        value,
        comment: comment.into(),
    }
}

fn refuse(path: &Path, layout: &'static str, reason: String) -> Error {
    Error::SpectrumWrite {
        path: path.to_path_buf(),
        layout,
        reason,
    }
}

/// Checks that every header card can be written as valid FITS.
fn check_header(path: &Path, layout: &'static str, header: &[Card]) -> Result<()> {
    match header.iter().find_map(card_problem) {
        Some(problem) => Err(refuse(path, layout, problem)),
        None => Ok(()),
    }
}

/// Checks that flux, ivar and `mask_shape` agree with each other and with the grid.
fn check_shapes(path: &Path, layout: &'static str, spectrum: &Spectrum, mask_shapes: &[(usize, usize)]) -> Result<()> {
    let shape = spectrum.flux.dim();
    if spectrum.ivar.dim() != shape {
        return Err(refuse(
            path,
            layout,
            format!("ivar has shape {:?}, flux {shape:?}", spectrum.ivar.dim()),
        ));
    }
    if let Some(m) = mask_shapes.iter().find(|&&m| m != shape) {
        return Err(refuse(
            path,
            layout,
            format!("the mask has shape {m:?}, flux {shape:?}"),
        ));
    }
    if shape.1 != spectrum.grid.npix || shape.0 == 0 || shape.1 == 0 {
        return Err(refuse(
            path,
            layout,
            format!(
                "flux has shape {shape:?}, the wavelength grid {} pixels",
                spectrum.grid.npix
            ),
        ));
    }
    Ok(())
}

fn wcs_cards(grid: &WavelengthGrid) -> [Card; 5] {
    [
        card(
            "CRVAL1",
            CardValue::Float(grid.crval1),
            "log10 wavelength (Angstrom) at CRPIX1",
        ),
        card(
            "CDELT1",
            CardValue::Float(grid.cdelt1),
            "log10 wavelength step per pixel",
        ),
        card("CRPIX1", CardValue::Float(grid.crpix1), "Reference pixel (1-based)"),
        card(
            "CTYPE1",
            CardValue::Str(grid.ctype1.into()),
            "Log-linear wavelength axis",
        ),
        card("DC-FLAG", CardValue::Int(grid.dc_flag), "1: log10-linear dispersion"),
    ]
}

/// Writes the primary HDU (no data) with `header`, and its checksum.
fn primary(fits: &mut Fits, header: &[Card]) -> Result<()> {
    fits.create_image(8, &[])?;
    write_cards(fits, header)?;
    fits.write_checksum()
}

/// Writes a [`SpectrumKind::Apogee`] spectrum as an apStar-style file: the primary header,
/// then `FLUX` (float32), `ERROR` (float32, 1-sigma, infinite where ivar is 0) and `MASK`
/// (int16) images of shape (N, P), each with the grid's WCS cards.
pub fn write_apstar(path: impl AsRef<Path>, spectrum: &Spectrum) -> Result<()> {
    let path = path.as_ref();
    let PixelMask::Single(mask) = &spectrum.mask else {
        return Err(refuse(
            path,
            "apStar",
            "the spectrum has AND/OR masks (BOSS); apStar holds one mask".into(),
        ));
    };
    if spectrum.kind != SpectrumKind::Apogee {
        return Err(refuse(
            path,
            "apStar",
            format!("the spectrum is of kind {:?}", spectrum.kind),
        ));
    }
    check_shapes(path, "apStar", spectrum, &[mask.dim()])?;
    check_header(path, "apStar", &spectrum.header)?;
    let (n, p) = spectrum.flux.dim();
    let atomic = AtomicPath::new(path)?;
    let mut fits = Fits::create(atomic.temp_path())?;
    primary(&mut fits, &spectrum.header)?;
    let flux: Vec<f32> = spectrum.flux.iter().copied().collect();
    let error: Vec<f32> = spectrum
        .ivar
        .iter()
        .map(|&v| super::super::apstar::sigma_of_ivar(v))
        .collect();
    let mask: Vec<i16> = mask.iter().copied().collect();
    image(&mut fits, "FLUX", "Flux", FLUX_UNIT, &spectrum.grid, (n, p), &flux)?;
    image(
        &mut fits,
        "ERROR",
        "1-sigma flux error",
        FLUX_UNIT,
        &spectrum.grid,
        (n, p),
        &error,
    )?;
    image(
        &mut fits,
        "MASK",
        "Pixel mask (APOGEE_PIXMASK bits)",
        "",
        &spectrum.grid,
        (n, p),
        &mask,
    )?;
    fits.close()?;
    atomic.commit(true)
}

fn image<T: super::super::cfitsio::Element>(
    fits: &mut Fits,
    extname: &str,
    what: &str,
    bunit: &str,
    grid: &WavelengthGrid,
    shape: (usize, usize),
    data: &[T],
) -> Result<()> {
    let bitpix = if std::mem::size_of::<T>() == 2 { 16 } else { -32 };
    fits.create_image(bitpix, &[shape.0, shape.1])?;
    write_card(fits, &card("EXTNAME", CardValue::Str(extname.into()), what))?;
    write_card(
        fits,
        &card("BUNIT", CardValue::Str(bunit.into()), "Unit of the pixel values"),
    )?;
    write_cards(fits, &wcs_cards(grid))?;
    fits.write_pixels(data)?;
    fits.write_checksum()
}

/// Writes a [`SpectrumKind::Boss`] spectrum of one row as a BOSS spec-style file: the
/// primary header, then the binary table `COADD` with one row per pixel and the columns
/// `flux`, `loglam`, `ivar` (float32) and `and_mask`, `or_mask` (int32).
pub fn write_boss_spec(path: impl AsRef<Path>, spectrum: &Spectrum) -> Result<()> {
    let path = path.as_ref();
    let PixelMask::AndOr { and_mask, or_mask } = &spectrum.mask else {
        return Err(refuse(
            path,
            "spec",
            "the spectrum has a single mask (APOGEE); spec files hold AND/OR masks".into(),
        ));
    };
    if spectrum.kind != SpectrumKind::Boss {
        return Err(refuse(
            path,
            "spec",
            format!("the spectrum is of kind {:?}", spectrum.kind),
        ));
    }
    check_shapes(path, "spec", spectrum, &[and_mask.dim(), or_mask.dim()])?;
    check_header(path, "spec", &spectrum.header)?;
    let (n, p) = spectrum.flux.dim();
    if n != 1 {
        return Err(refuse(
            path,
            "spec",
            format!("a spec file holds one spectrum; this one has {n} rows"),
        ));
    }
    let grid = &spectrum.grid;
    let loglam: Vec<f32> = (0..p)
        .map(|i| (grid.crval1 + (i as f64 + 1.0 - grid.crpix1) * grid.cdelt1) as f32)
        .collect();
    let atomic = AtomicPath::new(path)?;
    let mut fits = Fits::create(atomic.temp_path())?;
    primary(&mut fits, &spectrum.header)?;
    let columns = [
        ("flux", "E"),
        ("loglam", "E"),
        ("ivar", "E"),
        ("and_mask", "J"),
        ("or_mask", "J"),
    ];
    fits.create_table("COADD", p, &columns)?;
    let row = |a: &ndarray::Array2<f32>| a.iter().copied().collect::<Vec<f32>>();
    fits.write_column(1, "flux", &row(&spectrum.flux))?;
    fits.write_column(2, "loglam", &loglam)?;
    fits.write_column(3, "ivar", &row(&spectrum.ivar))?;
    fits.write_column(4, "and_mask", &and_mask.iter().copied().collect::<Vec<i32>>())?;
    fits.write_column(5, "or_mask", &or_mask.iter().copied().collect::<Vec<i32>>())?;
    write_card(
        &mut fits,
        &card("TUNIT1", CardValue::Str(FLUX_UNIT.into()), "Unit of flux"),
    )?;
    fits.write_checksum()?;
    fits.close()?;
    atomic.commit(true)
}

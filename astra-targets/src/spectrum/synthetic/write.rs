//! Writers of the two SDSS layouts (any [`Spectrum`] of the right kind, synthetic or not),
//! through the same FITS code as the astraSource writer ([`crate::fits`]), atomically: a
//! temporary file beside the destination, renamed over it when complete and fsync'd (file
//! and folder). Every HDU carries `CHECKSUM`/`DATASUM`.

use std::path::Path;

use ndarray::Array2;

use super::super::{PixelMask, Spectrum, SpectrumKind, WavelengthGrid};
use crate::fits::{
    Card, CardValue, ColumnData, ExtName, FitsWriter, TableColumn, card, create_image_hdu, create_table_hdu,
};
use crate::fs::atomic::name_destination;
use crate::fs::{AtomicPath, Commit};
use crate::{Error, Result};

/// The flux unit of both layouts, as a FITS unit string.
pub const FLUX_UNIT: &str = "10**-17 erg/s/cm**2/Angstrom";

fn new_card(key: &str, value: CardValue, comment: &str) -> Card {
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

/// Checks, before anything is written, that every header card can be written as FITS.
fn check_header(path: &Path, layout: &'static str, header: &[Card]) -> Result<()> {
    header
        .iter()
        .filter(|c| !card::is_reserved(&c.key))
        .try_for_each(|c| card::format(c).map(|_| ()))
        .map_err(|e| refuse(path, layout, e.to_string()))
}

/// Checks that flux, ivar and the masks agree with each other and with the grid.
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
        new_card(
            "CRVAL1",
            CardValue::Float(grid.crval1),
            "log10 wavelength (Angstrom) at CRPIX1",
        ),
        new_card(
            "CDELT1",
            CardValue::Float(grid.cdelt1),
            "log10 wavelength step per pixel",
        ),
        new_card("CRPIX1", CardValue::Float(grid.crpix1), "Reference pixel (1-based)"),
        new_card(
            "CTYPE1",
            CardValue::Str(grid.ctype1.into()),
            "Log-linear wavelength axis",
        ),
        new_card("DC-FLAG", CardValue::Int(grid.dc_flag), "1: log10-linear dispersion"),
    ]
}

/// Writes a file at a temporary path beside `path` with `write`, and renames it over
/// `path` when complete (the temporary file is removed on any error).
fn atomically(path: &Path, write: impl FnOnce(&mut FitsWriter) -> Result<()>) -> Result<()> {
    let atomic = AtomicPath::new(path)?;
    let written = FitsWriter::create_file(atomic.temp_path(), true).and_then(|mut fits| {
        write(&mut fits)?;
        fits.close()
    });
    written.map_err(|e| name_destination(e, path, atomic.temp_path()))?;
    atomic.commit(Commit::replacing().durable(true))
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
    let error: Array2<f32> = spectrum.ivar.mapv(super::super::apstar::sigma_of_ivar);
    let wcs = wcs_cards(&spectrum.grid);
    atomically(path, |fits| {
        fits.write_primary(&spectrum.header)?;
        let flux = ExtName {
            name: "FLUX",
            comment: "Flux",
        };
        create_image_hdu(fits, &spectrum.flux, &wcs, Some(flux), None, Some(FLUX_UNIT))?;
        let err = ExtName {
            name: "ERROR",
            comment: "1-sigma flux error",
        };
        create_image_hdu(fits, &error, &wcs, Some(err), None, Some(FLUX_UNIT))?;
        let m = ExtName {
            name: "MASK",
            comment: "Pixel mask (APOGEE_PIXMASK bits)",
        };
        create_image_hdu(fits, mask, &wcs, Some(m), None, Some(""))
    })
}

fn column(name: &str, unit: &str, description: &str, data: ColumnData) -> TableColumn {
    TableColumn {
        name: name.into(),
        repeat: 1,
        unit: unit.into(),
        description: description.into(),
        tnull: None,
        tdim: None,
        data,
    }
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
    let columns = [
        column(
            "flux",
            FLUX_UNIT,
            "Coadded flux",
            ColumnData::F32(spectrum.flux.iter().copied().collect()),
        ),
        column(
            "loglam",
            "",
            "log10 of the vacuum wavelength in Angstrom",
            ColumnData::F32(loglam),
        ),
        column(
            "ivar",
            "",
            "Inverse variance of flux",
            ColumnData::F32(spectrum.ivar.iter().copied().collect()),
        ),
        column(
            "and_mask",
            "",
            "Bits set in every exposure",
            ColumnData::I32(and_mask.iter().copied().collect()),
        ),
        column(
            "or_mask",
            "",
            "Bits set in any exposure",
            ColumnData::I32(or_mask.iter().copied().collect()),
        ),
    ];
    atomically(path, |fits| {
        fits.write_primary(&spectrum.header)?;
        create_table_hdu(
            fits,
            ExtName {
                name: "COADD",
                comment: "Coadded spectrum",
            },
            p,
            &columns,
            &[],
        )
    })
}

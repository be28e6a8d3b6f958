//! Input spectra: what a task analysed, as the astraSource writer needs it.
//!
//! Two SDSS layouts exist: APOGEE (Milky Way Mapper) apStar-style files, one pixel mask,
//! 8575 pixels on a log-linear grid described by WCS cards; and BOSS (Black Hole Mapper)
//! spec-style files, a table with `flux`, `loglam`, `ivar`, `and_mask`, `or_mask` on a
//! log10 grid of 4648 pixels. Readers for both and a generator of synthetic files live in
//! the submodules.

use std::path::Path;

use ndarray::{Array2, ArrayView2};

use crate::Result;
use crate::fits::{Card, FitsReader, HduType};

pub mod apstar;
pub mod boss;
mod header;
pub mod synthetic;

/// Reads a spectrum file, telling the layout from HDU 1: an image means apStar-style
/// (APOGEE, [`apstar`]), a binary table BOSS spec-style ([`boss`]).
pub fn read(path: impl AsRef<Path>) -> Result<Spectrum> {
    let mut fits = FitsReader::open(path.as_ref())?;
    let hdus = fits.hdu_count()?;
    if hdus < 2 {
        fits.select(0)?;
        return Err(fits.bad(format!(
            "{hdus} HDU(s): neither apStar-style (images in HDUs 1-3) nor spec-style (a COADD table)"
        )));
    }
    match fits.select(1)? {
        HduType::Image => apstar::read_open(&mut fits),
        HduType::BinaryTable => boss::read_open(&mut fits),
        HduType::AsciiTable => {
            Err(fits.bad("an ASCII table: neither apStar-style (an image) nor spec-style (a binary table)"))
        }
    }
}

/// Which instrument (and so which layout) a spectrum comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpectrumKind {
    /// APOGEE / Milky Way Mapper (apStar-style): one pixel mask.
    Apogee,
    /// BOSS / Black Hole Mapper (spec-style): AND and OR masks.
    Boss,
}

/// The spectral world coordinates of the pixels, as FITS WCS cards describe them:
/// `lambda = 10 ** (CRVAL1 + (pixel - CRPIX1) * CDELT1)` (1-based pixels) when
/// `DC-FLAG = 1` (log10-linear).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WavelengthGrid {
    /// `CRVAL1`: log10 wavelength (Angstrom) at the reference pixel.
    pub crval1: f64,
    /// `CDELT1`: step in log10 wavelength per pixel.
    pub cdelt1: f64,
    /// `CRPIX1`: the reference pixel (1-based).
    pub crpix1: f64,
    /// `CTYPE1`: `LOG-LINEAR` for these grids.
    pub ctype1: &'static str,
    /// `DC-FLAG`: 1 for log-linear dispersion.
    pub dc_flag: i64,
    /// The number of pixels.
    pub npix: usize,
}

impl WavelengthGrid {
    /// APOGEE's apStar grid: 8575 pixels from log10(lambda) = 4.179 in steps of 6e-6.
    pub const APOGEE: WavelengthGrid = WavelengthGrid {
        crval1: 4.179,
        cdelt1: 6e-6,
        crpix1: 1.0,
        ctype1: "LOG-LINEAR",
        dc_flag: 1,
        npix: 8575,
    };
    /// BOSS's coadd grid: 4648 pixels from log10(lambda) = 3.5523 in steps of 1e-4.
    pub const BOSS: WavelengthGrid = WavelengthGrid {
        crval1: 3.5523,
        cdelt1: 1e-4,
        crpix1: 1.0,
        ctype1: "LOG-LINEAR",
        dc_flag: 1,
        npix: 4648,
    };

    /// The wavelength (Angstrom, vacuum) of pixel `i` (0-based).
    pub fn wavelength(&self, i: usize) -> f64 {
        10f64.powf(self.crval1 + (i as f64 + 1.0 - self.crpix1) * self.cdelt1)
    }
}

/// A spectrum's pixel mask(s), keeping the input's integer type.
#[derive(Debug, Clone, PartialEq)]
pub enum PixelMask {
    /// One mask (APOGEE/MWM), as 16-bit integers (apStar's `MASK` HDU is 16-bit).
    Single(Array2<i16>),
    /// 32-bit AND and OR masks (BOSS/BHM).
    AndOr {
        /// Bits set in every exposure.
        and_mask: Array2<i32>,
        /// Bits set in any exposure.
        or_mask: Array2<i32>,
    },
}

/// The mask that goes into an astraSource `BITMASK` HDU, in the input's integer type,
/// borrowed from its spectrum.
#[derive(Debug, Clone, PartialEq)]
pub enum Bitmask<'a> {
    /// 16-bit (APOGEE).
    I16(ArrayView2<'a, i16>),
    /// 32-bit (BOSS).
    I32(ArrayView2<'a, i32>),
}

impl Bitmask<'_> {
    /// The (N, P) shape.
    pub fn shape(&self) -> (usize, usize) {
        let d = match self {
            Bitmask::I16(a) => a.dim(),
            Bitmask::I32(a) => a.dim(),
        };
        (d.0, d.1)
    }
}

/// An input spectrum (N rows of P pixels): what a task analysed.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// The instrument and layout.
    pub kind: SpectrumKind,
    /// The primary header of the input file, in order.
    pub header: Vec<Card>,
    /// The pixels' wavelengths.
    pub grid: WavelengthGrid,
    /// Flux, (N, P), in 1e-17 erg/s/cm^2/Angstrom.
    pub flux: Array2<f32>,
    /// Inverse variance of the flux, (N, P).
    pub ivar: Array2<f32>,
    /// The pixel mask(s), (N, P).
    pub mask: PixelMask,
}

impl Spectrum {
    /// The bitmask the astraSource product carries: the OR mask of BOSS (BHM) spectra, the
    /// single mask of APOGEE (MWM) spectra, as it is: a view, nothing is copied.
    pub fn get_bitmask(&self) -> Bitmask<'_> {
        match &self.mask {
            PixelMask::Single(m) => Bitmask::I16(m.view()),
            PixelMask::AndOr { or_mask, .. } => Bitmask::I32(or_mask.view()),
        }
    }

    /// The (N, P) shape of the flux.
    pub fn shape(&self) -> (usize, usize) {
        self.flux.dim()
    }
}

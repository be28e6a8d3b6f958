//! The measurement: a pseudo-continuum for each spectrum row, and equivalent widths of
//! absorption lines against it.
//!
//! The continuum is estimated in blocks of [`BLOCK`] pixels: each block's level is the
//! inverse-variance-weighted mean of its pixels after clipping, repeatedly, the pixels
//! more than 2 sigma below the level (absorption lines) or 3 sigma above it (cosmic rays);
//! the continuum is the straight line between the levels at the blocks' centres, constant
//! beyond the first and the last. An equivalent width is `sum (1 - f / c) dlambda` over
//! the pixels within [`HALF_WIDTH`] of the line's centre, its uncertainty propagated from
//! the inverse variance.

use astra_targets::ndarray::ArrayView1;
use astra_targets::spectrum::WavelengthGrid;

/// An absorption line that is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// The species, as astronomers write it (`Mg I`).
    pub species: &'static str,
    /// The central wavelength (Angstrom, vacuum).
    pub wavelength: f64,
}

/// The lines measured, in the order of the result columns.
pub const LINES: [Line; 4] = [
    Line {
        species: "Fe I",
        wavelength: 15207.5,
    },
    Line {
        species: "Mg I",
        wavelength: 15765.8,
    },
    Line {
        species: "Si I",
        wavelength: 15960.1,
    },
    Line {
        species: "Al I",
        wavelength: 16718.9,
    },
];

/// Half the width of the window integrated around a line's centre (Angstrom).
pub const HALF_WIDTH: f64 = 2.0;

/// The number of pixels of a continuum block (about 33 Angstrom on the APOGEE grid).
pub const BLOCK: usize = 150;

/// The fewest pixels a continuum block keeps after clipping to give a level.
const MIN_BLOCK_PIXELS: usize = 20;

/// Clipping rounds per block.
const CLIP_ROUNDS: usize = 5;

fn usable(flux: f32, ivar: f32) -> bool {
    flux.is_finite() && ivar.is_finite() && ivar > 0.0
}

/// The level of one block: the clipped inverse-variance-weighted mean, or `None` when
/// too few pixels are usable.
fn block_level(flux: &[f32], ivar: &[f32]) -> Option<f64> {
    let mut values: Vec<f64> = flux
        .iter()
        .zip(ivar)
        .filter(|&(&f, &w)| usable(f, w))
        .map(|(&f, _)| f64::from(f))
        .collect();
    if values.len() < MIN_BLOCK_PIXELS {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mut level = values[values.len() / 2];
    for _ in 0..CLIP_ROUNDS {
        let (mut sum, mut weight, mut kept) = (0.0, 0.0, 0);
        for (&f, &w) in flux.iter().zip(ivar) {
            if !usable(f, w) {
                continue;
            }
            let (f, w) = (f64::from(f), f64::from(w));
            let sigma = 1.0 / w.sqrt();
            if f > level - 2.0 * sigma && f < level + 3.0 * sigma {
                sum += w * f;
                weight += w;
                kept += 1;
            }
        }
        if kept < MIN_BLOCK_PIXELS {
            return None;
        }
        level = sum / weight;
    }
    Some(level)
}

/// The pseudo-continuum of one spectrum row, one value per pixel; an error when no block
/// has enough usable pixels or the continuum is not positive.
pub fn continuum(flux: ArrayView1<'_, f32>, ivar: ArrayView1<'_, f32>) -> Result<Vec<f64>, String> {
    let (flux, ivar) = (flux.to_vec(), ivar.to_vec());
    let knots: Vec<(f64, f64)> = flux
        .chunks(BLOCK)
        .zip(ivar.chunks(BLOCK))
        .enumerate()
        .filter_map(|(b, (f, w))| {
            let centre = (b * BLOCK) as f64 + (f.len() as f64 - 1.0) / 2.0;
            block_level(f, w).map(|level| (centre, level))
        })
        .collect();
    let (Some(&first), Some(&last)) = (knots.first(), knots.last()) else {
        return Err(format!(
            "no block of {BLOCK} pixels has {MIN_BLOCK_PIXELS} usable pixels to estimate the continuum"
        ));
    };
    if let Some(&(centre, level)) = knots.iter().find(|&&(_, level)| level <= 0.0 || !level.is_finite()) {
        return Err(format!(
            "the continuum level near pixel {centre} is {level}, not positive"
        ));
    }
    let mut out = Vec::with_capacity(flux.len());
    let mut k = 0;
    for i in 0..flux.len() {
        let x = i as f64;
        let c = if x <= first.0 {
            first.1
        } else if x >= last.0 {
            last.1
        } else {
            while knots[k + 1].0 < x {
                k += 1;
            }
            let ((x0, y0), (x1, y1)) = (knots[k], knots[k + 1]);
            y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        };
        out.push(c);
    }
    Ok(out)
}

/// An equivalent width and its uncertainty (Angstrom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Width {
    /// The equivalent width: positive for absorption.
    pub ew: f64,
    /// Its 1-sigma uncertainty from the inverse variance.
    pub e_ew: f64,
}

/// The equivalent width of `line` in one spectrum row on `grid`, against `continuum`.
/// Unusable pixels in the window are made up for by scaling the sum (and its
/// uncertainty) by the window's pixels over the usable ones; with fewer than half of them
/// usable, or a window outside the grid, both values are NaN.
pub fn equivalent_width(
    grid: &WavelengthGrid,
    flux: ArrayView1<'_, f32>,
    ivar: ArrayView1<'_, f32>,
    continuum: &[f64],
    line: &Line,
) -> Width {
    let none = Width {
        ew: f64::NAN,
        e_ew: f64::NAN,
    };
    // Pixel index (0-based, fractional) of a wavelength on the log-linear grid.
    let index = |lambda: f64| (lambda.log10() - grid.crval1) / grid.cdelt1 + grid.crpix1 - 1.0;
    let lo = index(line.wavelength - HALF_WIDTH).ceil();
    let hi = index(line.wavelength + HALF_WIDTH).floor();
    if lo < 0.0 || hi >= grid.npix.min(continuum.len()) as f64 || hi < lo {
        return none;
    }
    let (lo, hi) = (lo as usize, hi as usize);
    let (mut ew, mut variance, mut used) = (0.0, 0.0, 0);
    for i in lo..=hi {
        let (f, w) = (flux[i], ivar[i]);
        if !usable(f, w) {
            continue;
        }
        let step = grid.wavelength(i) * std::f64::consts::LN_10 * grid.cdelt1;
        let c = continuum[i];
        ew += (1.0 - f64::from(f) / c) * step;
        variance += (step / c).powi(2) / f64::from(w);
        used += 1;
    }
    let window = hi - lo + 1;
    if 2 * used < window {
        return none;
    }
    let scale = window as f64 / used as f64;
    Width {
        ew: ew * scale,
        e_ew: variance.sqrt() * scale,
    }
}

/// The median signal-to-noise ratio of the continuum per pixel, over the usable pixels
/// (NaN if none is usable).
pub fn continuum_snr(ivar: ArrayView1<'_, f32>, continuum: &[f64]) -> f64 {
    let mut snr: Vec<f64> = ivar
        .iter()
        .zip(continuum)
        .filter(|&(&w, _)| w.is_finite() && w > 0.0)
        .map(|(&w, &c)| c * f64::from(w).sqrt())
        .collect();
    if snr.is_empty() {
        return f64::NAN;
    }
    snr.sort_by(f64::total_cmp);
    snr[snr.len() / 2]
}

#[cfg(test)]
mod tests {
    use astra_targets::ndarray::Array1;

    use super::*;

    const LEVEL: f64 = 100.0;

    /// A flat spectrum at [`LEVEL`] on the APOGEE grid with one Gaussian line of `depth`
    /// and `sigma` (Angstrom) at `centre`, and S/N 10,000 per pixel (no noise drawn).
    fn spectrum(centre: f64, depth: f64, sigma: f64) -> (Array1<f32>, Array1<f32>) {
        let grid = WavelengthGrid::APOGEE;
        let flux = (0..grid.npix)
            .map(|i| {
                let x = (grid.wavelength(i) - centre) / sigma;
                (LEVEL * (1.0 - depth * (-0.5 * x * x).exp())) as f32
            })
            .collect();
        let ivar = Array1::from_elem(grid.npix, (1.0 / (LEVEL / 1e4).powi(2)) as f32);
        (flux, ivar)
    }

    #[test]
    fn a_gaussian_line_has_its_analytic_width() {
        let grid = WavelengthGrid::APOGEE;
        let line = LINES[1];
        let (depth, sigma) = (0.3, 0.4);
        let (flux, ivar) = spectrum(line.wavelength, depth, sigma);
        let c = continuum(flux.view(), ivar.view()).unwrap();
        assert!(
            c.iter().all(|&c| (c - LEVEL).abs() < 1e-3),
            "the line pulled the continuum"
        );
        let w = equivalent_width(&grid, flux.view(), ivar.view(), &c, &line);
        let expected = depth * sigma * (2.0 * std::f64::consts::PI).sqrt();
        assert!((w.ew - expected).abs() < 1e-3, "{} against {expected}", w.ew);
        // About 18 pixels of 0.22 Angstrom at 1e-4 relative noise.
        assert!(w.e_ew > 5e-5 && w.e_ew < 2e-4, "{}", w.e_ew);
        // No line, no width.
        let other = equivalent_width(&grid, flux.view(), ivar.view(), &c, &LINES[3]);
        assert!(other.ew.abs() < 1e-4, "{}", other.ew);
    }

    #[test]
    fn unusable_pixels_are_made_up_for_until_half_the_window_is_missing() {
        let grid = WavelengthGrid::APOGEE;
        let line = LINES[0];
        let (flux, mut ivar) = spectrum(line.wavelength, 0.2, 0.4);
        let c = continuum(flux.view(), ivar.view()).unwrap();
        let whole = equivalent_width(&grid, flux.view(), ivar.view(), &c, &line);
        let window: Vec<usize> = (0..grid.npix)
            .filter(|&i| (grid.wavelength(i) - line.wavelength).abs() <= HALF_WIDTH)
            .collect();
        // One pixel of the far wing lost: the scaled sum barely moves.
        ivar[window[0]] = 0.0;
        let scaled = equivalent_width(&grid, flux.view(), ivar.view(), &c, &line);
        assert!(
            (scaled.ew - whole.ew).abs() < 0.1 * whole.ew,
            "{scaled:?} against {whole:?}"
        );
        assert!(scaled.e_ew > whole.e_ew);
        // More than half lost: no value.
        for &i in &window[..window.len() / 2 + 1] {
            ivar[i] = 0.0;
        }
        let lost = equivalent_width(&grid, flux.view(), ivar.view(), &c, &line);
        assert!(lost.ew.is_nan() && lost.e_ew.is_nan(), "{lost:?}");
    }

    #[test]
    fn a_spectrum_without_usable_pixels_has_no_continuum() {
        let (flux, _) = spectrum(LINES[0].wavelength, 0.2, 0.4);
        let ivar = Array1::zeros(flux.len());
        let err = continuum(flux.view(), ivar.view()).unwrap_err();
        assert!(err.contains("usable pixels"), "{err}");
        assert!(continuum_snr(ivar.view(), &vec![LEVEL; flux.len()]).is_nan());
    }
}

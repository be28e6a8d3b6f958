//! The spectrum model of the synthetic generator: a smooth continuum times absorption lines
//! from a fixed line list whose depths depend on the labels (see the [`super`] docs).

use super::Labels;
use super::rng::Rng;
use crate::spectrum::{SpectrumKind, WavelengthGrid};

/// One absorption line of the fixed line list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// Central wavelength (Angstrom).
    pub wavelength: f64,
    /// Optical depth at line centre for the Sun (Teff 5772 K, log g 4.44, [Fe/H] 0).
    pub strength: f64,
    /// Temperature exponent: the depth scales as `(5772 / Teff) ** temperature`
    /// (positive: stronger in cool stars, as metal and molecular lines; negative: stronger
    /// in hot stars, as hydrogen).
    pub temperature: f64,
    /// Gravity sensitivity: the depth scales as `10 ** (gravity * (log g - 4.44))`.
    pub gravity: f64,
    /// Whether the depth scales with the metallicity, `10 ** [Fe/H]` (hydrogen does not).
    pub metal: bool,
    /// Intrinsic (thermal, pressure, rotational) Gaussian width in km/s, added in
    /// quadrature to the instrument's.
    pub width_kms: f64,
}

const fn line(wavelength: f64, strength: f64, temperature: f64, gravity: f64, metal: bool, width_kms: f64) -> Line {
    Line {
        wavelength,
        strength,
        temperature,
        gravity,
        metal,
        width_kms,
    }
}

/// Strong named lines of the APOGEE H band (approximate vacuum wavelengths).
const APOGEE_LINES: &[Line] = &[
    // H I Brackett series: stronger in hot stars, broad.
    line(15264.7, 0.25, -3.0, -0.1, false, 90.0),
    line(15345.0, 0.28, -3.0, -0.1, false, 90.0),
    line(15443.1, 0.30, -3.0, -0.1, false, 90.0),
    line(15560.7, 0.33, -3.0, -0.1, false, 90.0),
    line(15704.9, 0.36, -3.0, -0.1, false, 90.0),
    line(15884.9, 0.40, -3.0, -0.1, false, 90.0),
    line(16113.7, 0.45, -3.0, -0.1, false, 90.0),
    line(16411.7, 0.50, -3.0, -0.1, false, 90.0),
    line(16811.1, 0.55, -3.0, -0.1, false, 90.0),
    // Fe I.
    line(15194.5, 0.6, 2.0, 0.0, true, 3.0),
    line(15207.5, 0.9, 2.0, 0.0, true, 3.0),
    line(15294.6, 0.8, 2.0, 0.0, true, 3.0),
    line(15395.7, 0.5, 2.0, 0.0, true, 3.0),
    line(15490.3, 0.7, 2.0, 0.0, true, 3.0),
    line(15591.5, 0.8, 2.0, 0.0, true, 3.0),
    line(15621.7, 0.9, 2.0, 0.0, true, 3.0),
    line(15692.7, 0.6, 2.0, 0.0, true, 3.0),
    line(15964.9, 0.7, 2.0, 0.0, true, 3.0),
    line(16040.7, 0.7, 2.0, 0.0, true, 3.0),
    line(16153.2, 0.6, 2.0, 0.0, true, 3.0),
    line(16165.0, 0.6, 2.0, 0.0, true, 3.0),
    line(16486.7, 0.5, 2.0, 0.0, true, 3.0),
    line(16524.5, 0.6, 2.0, 0.0, true, 3.0),
    // Mg I: strong, pressure-broadened, gravity-sensitive.
    line(15740.7, 1.4, 1.5, 0.15, true, 8.0),
    line(15748.9, 1.6, 1.5, 0.15, true, 8.0),
    line(15765.8, 1.5, 1.5, 0.15, true, 8.0),
    // Si I.
    line(15888.4, 0.8, 1.0, 0.05, true, 4.0),
    line(15960.1, 1.0, 1.0, 0.05, true, 4.0),
    line(16060.0, 0.7, 1.0, 0.05, true, 4.0),
    line(16094.8, 0.8, 1.0, 0.05, true, 4.0),
    line(16680.8, 0.9, 1.0, 0.05, true, 4.0),
    // Al I, K I, Ca I, Ti I.
    line(16718.9, 1.0, 2.5, 0.1, true, 5.0),
    line(16750.6, 1.1, 2.5, 0.1, true, 5.0),
    line(15163.1, 0.3, 4.0, 0.1, true, 3.0),
    line(15168.4, 0.3, 4.0, 0.1, true, 3.0),
    line(16150.8, 0.3, 3.0, 0.05, true, 3.0),
    line(16155.2, 0.3, 3.0, 0.05, true, 3.0),
    line(15543.8, 0.2, 5.0, 0.0, true, 3.0),
    line(15602.8, 0.2, 5.0, 0.0, true, 3.0),
    // OH and CO: molecular, only strong in cool stars; CO stronger in giants.
    line(15266.2, 0.15, 8.0, 0.0, true, 3.0),
    line(15391.0, 0.15, 8.0, 0.0, true, 3.0),
    line(15409.2, 0.15, 8.0, 0.0, true, 3.0),
    line(15568.8, 0.15, 8.0, 0.0, true, 3.0),
    line(15582.0, 0.3, 6.0, -0.2, true, 20.0),
    line(15780.0, 0.3, 6.0, -0.2, true, 20.0),
    line(15978.0, 0.3, 6.0, -0.2, true, 20.0),
    line(16185.5, 0.3, 6.0, -0.2, true, 20.0),
    line(16397.0, 0.3, 6.0, -0.2, true, 20.0),
    line(16614.0, 0.3, 6.0, -0.2, true, 20.0),
];

/// Strong named lines of the BOSS optical range (approximate vacuum wavelengths).
const BOSS_LINES: &[Line] = &[
    // Ca II H and K.
    line(3934.8, 3.0, 1.0, 0.05, true, 30.0),
    line(3969.6, 2.6, 1.0, 0.05, true, 30.0),
    // Balmer series: stronger in hot stars, very broad.
    line(3890.2, 1.2, -4.0, 0.0, false, 300.0),
    line(3971.2, 1.4, -4.0, 0.0, false, 300.0),
    line(4102.9, 1.6, -4.0, 0.0, false, 300.0),
    line(4341.7, 1.8, -4.0, 0.0, false, 300.0),
    line(4862.7, 2.0, -4.0, 0.0, false, 300.0),
    line(6564.6, 2.2, -4.0, 0.0, false, 250.0),
    // G band (CH), Fe I.
    line(4301.5, 1.0, 3.0, 0.0, true, 40.0),
    line(4046.9, 0.8, 2.0, 0.0, true, 8.0),
    line(4384.8, 0.8, 2.0, 0.0, true, 8.0),
    line(4958.8, 0.6, 2.0, 0.0, true, 8.0),
    line(5271.0, 0.8, 2.0, 0.0, true, 8.0),
    line(5329.5, 0.6, 2.0, 0.0, true, 8.0),
    // Mg b and Na D: gravity-sensitive.
    line(5168.8, 1.2, 1.5, 0.2, true, 15.0),
    line(5174.1, 1.5, 1.5, 0.2, true, 15.0),
    line(5185.0, 1.6, 1.5, 0.2, true, 15.0),
    line(5891.6, 1.2, 3.0, 0.2, true, 10.0),
    line(5897.6, 1.0, 3.0, 0.2, true, 10.0),
    // K I, TiO band heads (cool stars only).
    line(7667.0, 0.5, 4.0, 0.2, true, 8.0),
    line(7701.1, 0.4, 4.0, 0.2, true, 8.0),
    line(6160.0, 0.3, 12.0, 0.0, true, 300.0),
    line(6653.0, 0.3, 12.0, 0.0, true, 300.0),
    line(7056.0, 0.4, 12.0, 0.0, true, 300.0),
    // Ca II triplet: stronger in giants.
    line(8500.4, 1.2, 0.5, -0.3, true, 20.0),
    line(8544.4, 1.6, 0.5, -0.3, true, 20.0),
    line(8664.5, 1.4, 0.5, -0.3, true, 20.0),
];

/// The seed of the weak-line forest: fixed, so the line list is the same for every star.
const FOREST_SEED: u64 = 0x5EED_0F11_4E5F_0E57;

/// The full, fixed line list of one instrument: the named strong lines plus a forest of
/// weak metal lines spread over the grid (the same for every spectrum).
pub fn line_list(kind: SpectrumKind) -> Vec<Line> {
    let (named, grid, count) = match kind {
        SpectrumKind::Apogee => (APOGEE_LINES, WavelengthGrid::APOGEE, 300),
        SpectrumKind::Boss => (BOSS_LINES, WavelengthGrid::BOSS, 400),
    };
    let mut rng = Rng::new(FOREST_SEED ^ kind as u64);
    let (lo, hi) = (grid.crval1, grid.crval1 + (grid.npix - 1) as f64 * grid.cdelt1);
    let mut lines = named.to_vec();
    for _ in 0..count {
        lines.push(Line {
            wavelength: 10f64.powf(rng.range(lo, hi)),
            strength: 0.02 + 0.25 * rng.uniform().powi(2),
            temperature: rng.range(0.5, 4.0),
            gravity: rng.range(-0.1, 0.1),
            metal: true,
            width_kms: rng.range(2.0, 6.0),
        });
    }
    lines
}

/// The resolving power R = lambda / FWHM of each instrument.
pub fn resolving_power(kind: SpectrumKind) -> f64 {
    match kind {
        SpectrumKind::Apogee => 22_500.0,
        SpectrumKind::Boss => 2_000.0,
    }
}

const SPEED_OF_LIGHT_KMS: f64 = 299_792.458;
const SOLAR_TEFF: f64 = 5772.0;
const SOLAR_LOGG: f64 = 4.44;

/// The optical depth at the centre of `line` for a star with `labels`.
pub fn central_depth(line: &Line, labels: &Labels) -> f64 {
    let metal = if line.metal { 10f64.powf(labels.fe_h) } else { 1.0 };
    line.strength
        * metal
        * (SOLAR_TEFF / labels.teff).powf(line.temperature)
        * 10f64.powf(line.gravity * (labels.logg - SOLAR_LOGG))
}

/// The noise-free continuum-normalized model on `grid`:
/// `exp(-sum_k tau_k * exp(-(lambda - lambda_k)^2 / (2 sigma_k^2)))`.
pub fn normalized_flux(kind: SpectrumKind, grid: &WavelengthGrid, labels: &Labels) -> Vec<f64> {
    let wavelengths: Vec<f64> = (0..grid.npix).map(|i| grid.wavelength(i)).collect();
    let mut tau = vec![0.0f64; grid.npix];
    let instrument = 1.0 / (2.0 * (2.0 * 2f64.ln()).sqrt() * resolving_power(kind));
    let ln_step = grid.cdelt1 * std::f64::consts::LN_10;
    for line in line_list(kind) {
        let depth = central_depth(&line, labels);
        let sigma = line.wavelength * (instrument.powi(2) + (line.width_kms / SPEED_OF_LIGHT_KMS).powi(2)).sqrt();
        // Pixels within 6 sigma: on a log grid, pixel index is ln(lambda / lambda_0) / ln_step.
        let centre = ((line.wavelength / wavelengths[0]).ln() / ln_step).round() as i64;
        let reach = (6.0 * sigma / line.wavelength / ln_step).ceil() as i64 + 1;
        let first = (centre - reach).max(0);
        let last = (centre + reach).min(grid.npix as i64 - 1);
        for i in first..=last {
            let i = i as usize;
            let x = (wavelengths[i] - line.wavelength) / sigma;
            tau[i] += depth * (-0.5 * x * x).exp();
        }
    }
    tau.into_iter().map(|t| (-t).exp()).collect()
}

/// Planck's law in wavelength, up to a constant: `lambda^-5 / (exp(hc / (lambda k T)) - 1)`.
fn planck(wavelength: f64, teff: f64) -> f64 {
    const HC_OVER_K: f64 = 1.438_777e8; // Angstrom K
    wavelength.powi(-5) / ((HC_OVER_K / (wavelength * teff)).exp_m1())
}

/// The continuum on `grid` (1e-17 erg/s/cm^2/Angstrom): a black body of the star's Teff,
/// scaled to `level` at the middle of the grid, times a gentle quadratic "instrument
/// response" `1 + a1 x + a2 x^2` (x from -1 to 1 across the grid).
pub fn continuum(grid: &WavelengthGrid, teff: f64, level: f64, a1: f64, a2: f64) -> Vec<f64> {
    let middle = grid.wavelength(grid.npix / 2);
    let reference = planck(middle, teff);
    let half = (grid.npix.max(2) - 1) as f64 / 2.0;
    (0..grid.npix)
        .map(|i| {
            let x = (i as f64 - half) / half;
            level * planck(grid.wavelength(i), teff) / reference * (1.0 + a1 * x + a2 * x * x)
        })
        .collect()
}

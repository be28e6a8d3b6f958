//! The demo analysis linked into the `astra` program: a simple line-strength fit of
//! synthetic spectra.

use astra_targets::{AstraResults, AstraTask};

/// One spectrum's results from the demo line-strength fit.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct LineStrengthResults {
    /// Effective temperature from the line-depth ratio
    #[astra(unit = "K")]
    pub teff: f32,
    /// Uncertainty of the effective temperature
    #[astra(unit = "K")]
    pub u_teff: f32,
    /// Metallicity [Fe/H] in dex, from the mean line depth
    pub fe_h: f32,
    /// Uncertainty of the metallicity, in dex
    pub u_fe_h: f32,
    /// Median signal-to-noise ratio per pixel
    pub snr: f32,
    /// Reduced chi-squared of the fit
    pub r_chi_sq: f32,
    /// Equivalent widths of the fitted lines
    #[astra(unit = "Angstrom")]
    pub equivalent_widths: [f32; 4],
}

/// Estimate effective temperature and metallicity from absorption-line strengths.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "LineStrength",
    namespace = "linestrength",
    version = "0.1.0",
    results = LineStrengthResults,
    table = "line_strength",
    path = "{astra_version}/{namespace}/star/{telescope}/{healpix|grp}/{healpix}/AstraSource-{release}-{telescope}-{obj}-{task_short_id}.fits"
)]
pub struct LineStrength {
    /// Data release of the input spectra
    pub release: String,
    /// Telescope that observed the star (apo25m, lco25m)
    pub telescope: String,
    /// HEALPix pixel of the star
    pub healpix: i64,
    /// Object identifier
    pub obj: String,
    /// Continuum polynomial order
    pub continuum_order: u8,
    /// Worker threads: does not change the result
    #[astra(insignificant, default)]
    pub n_threads: u32,
}

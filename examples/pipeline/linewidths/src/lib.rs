//! `linewidths`: equivalent widths of four strong APOGEE lines (Fe I 15207.5, Mg I
//! 15765.8, Si I 15960.1 and Al I 16718.9 Angstrom) in each spectrum row, written as
//! database rows and an astraSource file whose normalized flux is the spectrum over the
//! pseudo-continuum the widths are measured against ([`measure`]).
//!
//! A plugin crate of a pipeline outside the astra-targets workspace: it depends on
//! `astra-targets` alone and registers its plugin with one line; the pipeline's program
//! (`my-astra`) links it by naming it.

pub mod measure;

use astra_targets::ndarray::{Array2, Axis};
use astra_targets::plugin::{Analysis, AnalysisImages, Image, Input, ModelSource, Outputs, Plugin, PluginResult};
use astra_targets::spectrum::SpectrumKind;
use astra_targets::{AstraResults, AstraTask};

use measure::{LINES, continuum, continuum_snr, equivalent_width};

/// One spectrum row's equivalent widths (positive for absorption) and continuum S/N.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct LineWidthsResults {
    /// Equivalent width of Fe I 15207.5 Angstrom
    #[astra(unit = "Angstrom")]
    pub ew_fe_15207: f64,
    /// Uncertainty of the equivalent width of Fe I 15207.5 Angstrom
    #[astra(unit = "Angstrom")]
    pub e_ew_fe_15207: f64,
    /// Equivalent width of Mg I 15765.8 Angstrom
    #[astra(unit = "Angstrom")]
    pub ew_mg_15766: f64,
    /// Uncertainty of the equivalent width of Mg I 15765.8 Angstrom
    #[astra(unit = "Angstrom")]
    pub e_ew_mg_15766: f64,
    /// Equivalent width of Si I 15960.1 Angstrom
    #[astra(unit = "Angstrom")]
    pub ew_si_15960: f64,
    /// Uncertainty of the equivalent width of Si I 15960.1 Angstrom
    #[astra(unit = "Angstrom")]
    pub e_ew_si_15960: f64,
    /// Equivalent width of Al I 16718.9 Angstrom
    #[astra(unit = "Angstrom")]
    pub ew_al_16719: f64,
    /// Uncertainty of the equivalent width of Al I 16718.9 Angstrom
    #[astra(unit = "Angstrom")]
    pub e_ew_al_16719: f64,
    /// Median signal-to-noise ratio of the continuum per pixel
    pub continuum_snr: f64,
}

/// Equivalent widths of strong APOGEE lines against a pseudo-continuum.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "LineWidths",
    namespace = "linewidths",
    version = "0.1.0",
    results = LineWidthsResults,
    table = "line_widths",
    path = "{astra_version}/{namespace}/{healpix|grp}/{healpix}/AstraSource-{obj}-{task_short_id}.fits"
)]
pub struct LineWidths {
    /// HEALPix pixel of the star
    pub healpix: i64,
    /// Object identifier
    pub obj: String,
}

/// The `linewidths` plugin.
#[derive(Debug)]
pub struct LineWidthsPlugin;

impl Plugin for LineWidthsPlugin {
    type Task = LineWidths;
    type Model = ();
    const NAME: &'static str = "linewidths";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Equivalent widths of Fe I, Mg I, Si I and Al I lines in APOGEE spectra";
    const OUTPUTS: Outputs = Outputs::RowsAndFile {
        images: &[Image::Continuum],
    };

    fn load_model(_: ModelSource<'_>) -> PluginResult<()> {
        Ok(())
    }

    fn task(_: &(), input: &Input<'_>) -> PluginResult<LineWidths> {
        Ok(LineWidths {
            healpix: input.card_int("HEALPIX")?,
            obj: input.card_str("OBJID")?,
        })
    }

    fn analyse(_: &(), _: &LineWidths, input: &Input<'_>) -> PluginResult<Analysis<LineWidthsResults>> {
        let spectrum = input.spectrum();
        if spectrum.kind != SpectrumKind::Apogee {
            return Err(format!(
                "{:?} is a BOSS spectrum; linewidths measures lines of APOGEE spectra",
                input.path()
            )
            .into());
        }
        let mut rows = Vec::with_capacity(spectrum.shape().0);
        let mut continua = Array2::<f32>::zeros(spectrum.flux.dim());
        for (r, (flux, ivar)) in spectrum
            .flux
            .axis_iter(Axis(0))
            .zip(spectrum.ivar.axis_iter(Axis(0)))
            .enumerate()
        {
            let c = continuum(flux, ivar).map_err(|e| format!("spectrum row {r}: {e}"))?;
            let [fe, mg, si, al] = LINES.map(|line| equivalent_width(&spectrum.grid, flux, ivar, &c, &line));
            rows.push(LineWidthsResults {
                ew_fe_15207: fe.ew,
                e_ew_fe_15207: fe.e_ew,
                ew_mg_15766: mg.ew,
                e_ew_mg_15766: mg.e_ew,
                ew_si_15960: si.ew,
                e_ew_si_15960: si.e_ew,
                ew_al_16719: al.ew,
                e_ew_al_16719: al.e_ew,
                continuum_snr: continuum_snr(ivar, &c),
            });
            for (out, c) in continua.row_mut(r).iter_mut().zip(&c) {
                *out = *c as f32;
            }
        }
        let normalized_flux = &spectrum.flux / &continua;
        let normalized_ivar = &spectrum.ivar * &continua * &continua;
        let images = AnalysisImages::new(normalized_flux, normalized_ivar).continuum(continua);
        Ok(Analysis::with_images(rows, images))
    }
}

astra_targets::register_plugin!(LineWidthsPlugin);

//! `astra-test`: the `astra` program with two test plugins linked in, for the runner's
//! tests (the workspace's own `astra` lists only the workspace's plugins).
//!
//! - `meanflux` writes rows and an astraSource file: the mean flux and S/N of each
//!   spectrum row, the flux divided by its mean as the normalized flux, the mean as the
//!   continuum. `ASTRA_TEST_DELAY_MS` makes each analysis sleep that long (for the
//!   interruption tests).
//! - `failsome` writes rows only, and fails on inputs whose `SYNSEED` card is a multiple
//!   of 4.
//!
//! The workspace's own plugins (`thecannon`, `thepayne`, `aspcap`, `apogeenet`,
//! `classifier`) are linked in too.

use astra_apogeenet as _;
use astra_aspcap as _;
use astra_classifier as _;
use astra_targets::ndarray::{Array2, Axis};
use astra_targets::plugin::{Analysis, AnalysisImages, Image, Input, ModelSource, Outputs, Plugin, PluginResult};
use astra_targets::{AstraResults, AstraTask};
use astra_thecannon as _;
use astra_thepayne as _;

/// One spectrum row's mean flux and S/N.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct MeanFluxResults {
    /// Mean flux of the spectrum row
    #[astra(unit = "10**-17 erg/s/cm**2/Angstrom")]
    pub mean_flux: f64,
    /// Median signal-to-noise ratio per pixel
    pub snr: f32,
}

/// Mean flux of each spectrum: a test analysis.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "MeanFlux",
    namespace = "meanflux",
    version = "0.1.0",
    results = MeanFluxResults,
    table = "mean_flux",
    path = "{astra_version}/{namespace}/{healpix|grp}/{healpix}/AstraSource-{obj}-{task_short_id}.fits"
)]
pub struct MeanFlux {
    /// HEALPix pixel of the star
    pub healpix: i64,
    /// Object identifier
    pub obj: String,
}

fn mean_and_snr(flux: &Array2<f32>, ivar: &Array2<f32>) -> Vec<MeanFluxResults> {
    flux.axis_iter(Axis(0))
        .zip(ivar.axis_iter(Axis(0)))
        .map(|(f, iv)| {
            let mean = f.iter().map(|&x| f64::from(x)).sum::<f64>() / f.len().max(1) as f64;
            let mut snr: Vec<f32> = f.iter().zip(iv.iter()).map(|(&x, &w)| x * w.max(0.0).sqrt()).collect();
            snr.sort_by(f32::total_cmp);
            MeanFluxResults {
                mean_flux: mean,
                snr: snr.get(snr.len() / 2).copied().unwrap_or(f32::NAN),
            }
        })
        .collect()
}

/// The `meanflux` plugin.
pub struct MeanFluxPlugin;

impl Plugin for MeanFluxPlugin {
    type Task = MeanFlux;
    type Model = ();
    const NAME: &'static str = "meanflux";
    const VERSION: &'static str = "1.2.3";
    const DESCRIPTION: &'static str = "Mean flux and S/N of each spectrum (a test plugin)";
    const OUTPUTS: Outputs = Outputs::RowsAndFile {
        images: &[Image::Continuum],
    };

    fn task(_: &(), input: &Input<'_>) -> PluginResult<MeanFlux> {
        // Tests see which inputs were read: one line per task built.
        if let Some(log) = std::env::var_os("ASTRA_TEST_TASK_LOG") {
            use std::io::Write as _;
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
            writeln!(f, "{}", input.path().display())?;
        }
        Ok(MeanFlux {
            healpix: input.card_int("HEALPIX")?,
            obj: input.card_str("OBJID")?,
        })
    }

    fn load_model(_: ModelSource<'_>) -> PluginResult<()> {
        Ok(())
    }

    fn analyse(_: &(), _: &MeanFlux, input: &Input<'_>) -> PluginResult<Analysis<MeanFluxResults>> {
        if let Some(ms) = std::env::var("ASTRA_TEST_DELAY_MS").ok().and_then(|v| v.parse().ok()) {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        let s = input.spectrum();
        let rows = mean_and_snr(&s.flux, &s.ivar);
        let mut continuum = Array2::<f32>::zeros(s.flux.dim());
        for (mut row, r) in continuum.axis_iter_mut(Axis(0)).zip(&rows) {
            row.fill(r.mean_flux as f32);
        }
        let normalized = &s.flux / &continuum;
        let normalized_ivar = &s.ivar * &continuum * &continuum;
        let images = AnalysisImages::new(normalized, normalized_ivar).continuum(continuum);
        Ok(Analysis::with_images(rows, images))
    }
}

/// Results of the sometimes-failing plugin.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct FailSomeResults {
    /// Number of pixels of the spectrum row
    pub n_pixels: i64,
}

/// A database-only analysis that fails on some inputs: a test analysis.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "FailSome",
    namespace = "failsome",
    version = "0.1.0",
    results = FailSomeResults,
    table = "fail_some"
)]
pub struct FailSome {
    /// Seed of the synthetic input
    pub seed: i64,
}

/// The `failsome` plugin.
pub struct FailSomePlugin;

impl Plugin for FailSomePlugin {
    type Task = FailSome;
    type Model = ();
    const NAME: &'static str = "failsome";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Counts pixels, failing on every fourth seed (a test plugin)";
    const OUTPUTS: Outputs = Outputs::Rows;

    fn task(_: &(), input: &Input<'_>) -> PluginResult<FailSome> {
        Ok(FailSome {
            seed: input.card_int("SYNSEED")?,
        })
    }

    fn load_model(_: ModelSource<'_>) -> PluginResult<()> {
        Ok(())
    }

    fn analyse(_: &(), task: &FailSome, input: &Input<'_>) -> PluginResult<Analysis<FailSomeResults>> {
        if task.seed % 4 == 0 {
            return Err(format!("seed {} is a multiple of 4, which this method refuses", task.seed).into());
        }
        let (n, p) = input.spectrum().shape();
        Ok(Analysis::rows(vec![FailSomeResults { n_pixels: p as i64 }; n]))
    }
}

astra_targets::register_plugin!(MeanFluxPlugin);
astra_targets::register_plugin!(FailSomePlugin);

fn main() -> std::process::ExitCode {
    astra_targets::cli::main()
}

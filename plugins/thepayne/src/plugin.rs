//! The `thepayne` plugin: The Payne's fitting step run by the `astra` program over input
//! spectrum files, with a network in The Payne's `.npz` layout given by `--model` (one
//! of The Payne's, or one `astra train thepayne` trained with [`Trainer`]).
//!
//! For each input, every spectrum row is continuum-normalized with The Cannon crate's
//! [`Continuum`] (a Chebyshev series of degree [`CONTINUUM_ORDER`] per APOGEE detector
//! on the apStar grid, as Astra ran The Payne; over the whole spectrum otherwise), put on
//! the network's pixels (linear interpolation when the network's file holds a wavelength
//! grid other than the input's; pixels outside the input get no weight) and fitted
//! ([`Fitter`], with a radial velocity within ±[`DEFAULT_V_RAD_TOLERANCE`] km/s). Each
//! row's result holds the labels with their errors, the radial velocity, S/N, χ² and
//! reduced χ²; the astraSource file holds the normalized flux and inverse variance, the
//! continuum and the model flux on the input's pixels (NaN where the network has none);
//! the model inverse variance is absent (NaN), as Astra wrote The Payne's files. The
//! task id names the network (the MD5 of its file), so a new network is new work.

use std::path::Path;

use astra_targets::ndarray::{Array1, Array2, ArrayView1, Axis};
use astra_targets::plugin::{
    Analysis, AnalysisImages, BoxError, Image, Input, ModelFile, ModelSource, Outputs, Plugin, PluginResult,
    TrainingSet,
};
use astra_targets::spectrum::WavelengthGrid;
use astra_targets::{AstraResults, AstraTask};
use astra_thecannon::continuum::Continuum;
use astra_thecannon::plugin::training_spectra;

use crate::fit::{DEFAULT_V_RAD_TOLERANCE, Fitter};
use crate::network::Network;
use crate::train::Trainer;

/// The degree of the continuum's Chebyshev series (Astra's setting for The Payne).
pub const CONTINUUM_ORDER: usize = 4;

/// How many median steps apart two neighbouring pixels of a wavelength grid are when
/// a gap separates them (nothing is interpolated across it).
pub const GAP: f64 = 3.0;

/// The labels a network must have, in its order (the columns of [`ThePayneResults`]).
pub const LABEL_NAMES: [&str; 3] = ["teff", "logg", "fe_h"];

/// One spectrum's labels from The Payne.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct ThePayneResults {
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: f64,
    /// Error of the effective temperature
    #[astra(unit = "K")]
    pub u_teff: f64,
    /// Surface gravity, log10(g / cm s-2) (dex)
    pub logg: f64,
    /// Error of the surface gravity (dex)
    pub u_logg: f64,
    /// Metallicity [Fe/H] (dex)
    pub fe_h: f64,
    /// Error of the metallicity (dex)
    pub u_fe_h: f64,
    /// Radial velocity relative to the input's rest frame
    #[astra(unit = "km/s")]
    pub v_rel: f64,
    /// Error of the radial velocity
    #[astra(unit = "km/s")]
    pub u_v_rel: f64,
    /// Median signal-to-noise ratio per pixel
    pub snr: f64,
    /// Chi-squared of the fit
    pub chi_sq: f64,
    /// Reduced chi-squared of the fit
    pub r_chi_sq: f64,
}

/// Stellar labels from The Payne, a neural-network emulator of normalized spectra.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "ThePayne",
    namespace = "thepayne",
    version = "0.1.0",
    results = ThePayneResults,
    table = "the_payne",
    path = "{astra_version}/{namespace}/star/{healpix|grp}/{healpix}/AstraSource-{obj}-{task_short_id}.fits"
)]
pub struct ThePayne {
    /// HEALPix pixel of the star
    pub healpix: i64,
    /// Object identifier
    pub obj: String,
    /// MD5 of the network file
    pub model_md5: String,
    /// Bound of the fitted radial velocity, km/s
    pub v_rad_tolerance: f64,
}

/// A trained network with the MD5 of its file.
pub type LoadedNetwork = ModelFile<Network>;

/// The `thepayne` plugin.
#[derive(Debug)]
pub struct ThePaynePlugin;

/// The continuum normalization of a spectrum on `grid`: per APOGEE detector on the
/// apStar grid, over the whole spectrum otherwise.
pub fn continuum_for(grid: &WavelengthGrid) -> Continuum {
    Continuum::for_grid(CONTINUUM_ORDER, grid)
}

/// Where each pixel of `to` falls on the increasing grid `from`: the left neighbour and
/// the weight of the right one, or `None` outside `from` or in a gap of it (two
/// neighbours more than [`GAP`] times its median step apart, in log wavelength, as
/// between APOGEE's detectors).
fn positions(from: ArrayView1<'_, f64>, to: ArrayView1<'_, f64>) -> Vec<Option<(usize, f64)>> {
    let n = from.len();
    let mut steps: Vec<f64> = (1..n).map(|j| (from[j] / from[j - 1]).ln()).collect();
    let median_step = if steps.is_empty() {
        f64::INFINITY
    } else {
        let middle = steps.len() / 2;
        *steps.select_nth_unstable_by(middle, f64::total_cmp).1
    };
    let in_gap = |j: usize| j + 1 < n && (from[j + 1] / from[j]).ln() > GAP * median_step;
    to.iter()
        .map(|&t| {
            if n == 0 || t < from[0] || t > from[n - 1] || !t.is_finite() {
                return None;
            }
            let j = from.as_slice().map_or_else(
                || from.iter().position(|&w| w > t).unwrap_or(n),
                |s| s.partition_point(|&w| w <= t),
            );
            if j >= n {
                return Some((n - 1, 0.0));
            }
            let j = j.max(1) - 1;
            if in_gap(j) {
                return None;
            }
            Some((j, (t - from[j]) / (from[j + 1] - from[j])))
        })
        .collect()
}

/// Linear interpolation of `values` (on `from`) at the pixels `at` describes; `outside`
/// where a pixel falls outside `from`.
fn interpolate(values: ArrayView1<'_, f64>, at: &[Option<(usize, f64)>], outside: f64) -> Array1<f64> {
    at.iter()
        .map(|p| match *p {
            None => outside,
            Some((j, 0.0)) => values[j],
            Some((j, w)) => values[j] * (1.0 - w) + values[j + 1] * w,
        })
        .collect()
}

/// Inverse variances carried to other pixels through the interpolated standard
/// deviation; a pixel next to one without weight, or outside, gets none.
fn interpolate_ivar(ivar: ArrayView1<'_, f64>, at: &[Option<(usize, f64)>]) -> Array1<f64> {
    at.iter()
        .map(|p| {
            let sigma = |i: usize| {
                if ivar[i] > 0.0 {
                    ivar[i].sqrt().recip()
                } else {
                    f64::INFINITY
                }
            };
            let s = match *p {
                None => f64::INFINITY,
                Some((j, 0.0)) => sigma(j),
                Some((j, w)) => sigma(j) * (1.0 - w) + sigma(j + 1) * w,
            };
            if s.is_finite() && s > 0.0 { 1.0 / (s * s) } else { 0.0 }
        })
        .collect()
}

impl Plugin for ThePaynePlugin {
    type Task = ThePayne;
    type Model = LoadedNetwork;
    const NAME: &'static str = "thepayne";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "The Payne: labels fitted with a neural-network emulator of spectra";
    const OUTPUTS: Outputs = Outputs::RowsAndFile {
        images: &[Image::Continuum, Image::ModelFlux],
    };

    const TRAINING_LABELS: &'static [&'static str] = &LABEL_NAMES;
    const MODEL_EXTENSION: &'static str = "npz";

    /// Trains a network ([`Trainer`], default settings) on the first spectrum row of each
    /// input, continuum-normalized as [`analyse`](Plugin::analyse) normalizes, and saves
    /// it with the inputs' wavelength grid.
    fn train(set: &TrainingSet, output: &Path) -> PluginResult<()> {
        let (flux, ivar) = training_spectra(set, CONTINUUM_ORDER)?;
        let wavelength = set.get(0).map(|(input, _)| {
            let grid = &input.spectrum().grid;
            (0..flux.ncols()).map(|i| grid.wavelength(i)).collect::<Array1<f64>>()
        });
        let mut trainer = Trainer::new(set.labels().view(), flux.view(), ivar.view());
        if let Some(wavelength) = wavelength {
            trainer = trainer.wavelength(wavelength);
        }
        trainer.train()?.save(output)?;
        Ok(())
    }

    fn load_model(source: ModelSource<'_>) -> PluginResult<LoadedNetwork> {
        ModelFile::load(
            source,
            "The Payne needs a trained network: give its .npz file with --model",
            |path| {
                let network = Network::load(path)?;
                if network.n_labels() != LABEL_NAMES.len() {
                    return Err::<_, BoxError>(
                        format!(
                            "the network {path:?} has {} labels; this plugin's results hold {} ({})",
                            network.n_labels(),
                            LABEL_NAMES.len(),
                            LABEL_NAMES.join(", ")
                        )
                        .into(),
                    );
                }
                Ok(network)
            },
        )
    }

    fn task(model: &LoadedNetwork, input: &Input<'_>) -> PluginResult<ThePayne> {
        Ok(ThePayne {
            healpix: input.card_int("HEALPIX")?,
            obj: input.card_str("OBJID")?,
            model_md5: model.md5.clone(),
            v_rad_tolerance: DEFAULT_V_RAD_TOLERANCE,
        })
    }

    fn analyse(model: &LoadedNetwork, task: &ThePayne, input: &Input<'_>) -> PluginResult<Analysis<ThePayneResults>> {
        let spectrum = input.spectrum();
        let network = &model.model;
        let (n, p) = spectrum.shape();
        let input_wavelength: Array1<f64> = (0..p).map(|i| spectrum.grid.wavelength(i)).collect();
        // The network's pixels, and how the input maps onto them (None: the same pixels).
        let (fitter, to_network, to_input) = match network.wavelength() {
            None => {
                if network.n_pixels() != p {
                    return Err(format!(
                        "the spectrum has {p} pixels, the network {} and no wavelength grid to put \
                         the spectrum on them",
                        network.n_pixels()
                    )
                    .into());
                }
                let fitter = Fitter::new(network).wavelength(input_wavelength.clone());
                (fitter, None, None)
            }
            Some(grid) => {
                let same = grid.len() == p
                    && grid
                        .iter()
                        .zip(input_wavelength.iter())
                        .all(|(a, b)| (a - b).abs() <= 1e-9 * b);
                let maps = (!same).then(|| {
                    (
                        positions(input_wavelength.view(), grid),
                        positions(grid, input_wavelength.view()),
                    )
                });
                let (to_network, to_input) = maps.unzip();
                (Fitter::new(network), to_network, to_input)
            }
        };
        let fitter = fitter.v_rad_tolerance(task.v_rad_tolerance);
        let continuum = continuum_for(&spectrum.grid);
        let mut images = [(); 4].map(|_| Array2::<f32>::zeros((n, p)));
        let mut rows = Vec::with_capacity(n);
        for (i, (flux, ivar)) in spectrum
            .flux
            .axis_iter(Axis(0))
            .zip(spectrum.ivar.axis_iter(Axis(0)))
            .enumerate()
        {
            let normalized = continuum.normalize(flux.mapv(f64::from).view(), ivar.mapv(f64::from).view())?;
            let fit = match &to_network {
                None => fitter.fit(normalized.flux.view(), normalized.ivar.view()),
                Some(at) => fitter.fit(
                    interpolate(normalized.flux.view(), at, 1.0).view(),
                    interpolate_ivar(normalized.ivar.view(), at).view(),
                ),
            }
            .map_err(|e| format!("spectrum row {i}: {e}"))?;
            let model_flux = match &to_input {
                None => fit.model_flux.clone(),
                Some(at) => interpolate(fit.model_flux.view(), at, f64::NAN),
            };
            for (image, values) in
                images
                    .iter_mut()
                    .zip([&normalized.flux, &normalized.ivar, &normalized.continuum, &model_flux])
            {
                image.row_mut(i).assign(&values.mapv(|x| x as f32));
            }
            rows.push(ThePayneResults {
                teff: fit.labels[0],
                u_teff: fit.u_labels[0],
                logg: fit.labels[1],
                u_logg: fit.u_labels[1],
                fe_h: fit.labels[2],
                u_fe_h: fit.u_labels[2],
                v_rel: fit.v_rad,
                u_v_rel: fit.u_v_rad,
                snr: fit.snr,
                chi_sq: fit.chi_sq,
                r_chi_sq: fit.r_chi_sq,
            });
        }
        let [flux, ivar, continuum, model_flux] = images;
        let images = AnalysisImages::new(flux, ivar)
            .continuum(continuum)
            .model_flux(model_flux);
        Ok(Analysis::with_images(rows, images))
    }
}

astra_targets::register_plugin!(ThePaynePlugin);

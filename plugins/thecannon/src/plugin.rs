//! The `thecannon` plugin: The Cannon run by the `astra` program over input spectrum
//! files, with a model trained beforehand and saved with [`CannonModel::save`].
//!
//! For each input, every spectrum row is continuum-normalized ([`Continuum`], a
//! Chebyshev series of degree [`CONTINUUM_ORDER`] per APOGEE detector on the apStar grid,
//! over the whole spectrum otherwise) and fitted ([`Fitter`]). Each row's result holds the
//! labels, their covariance, S/N, χ², reduced χ² and the winning starting point; the
//! astraSource file holds the normalized flux and inverse variance, the continuum and the
//! model flux. The task id names the model (the MD5 of its file), so a new model is new
//! work.

use std::path::Path;

use astra_targets::ndarray::{Array2, Axis};
use astra_targets::plugin::{
    Analysis, AnalysisImages, BoxError, Image, Input, ModelFile, ModelSource, Outputs, Plugin, PluginResult,
    TrainingSet,
};
use astra_targets::spectrum::WavelengthGrid;
use astra_targets::{AstraResults, AstraTask};

use crate::continuum::Continuum;
use crate::synthetic::LABEL_NAMES;
use crate::{CannonModel, Fitter, Trainer};

/// The degree of the continuum's Chebyshev series.
pub const CONTINUUM_ORDER: usize = 3;

/// The number of labels the results hold (the arrays of [`TheCannonResults`]; a model
/// with another number is refused).
pub const N_LABELS: usize = 3;

/// One spectrum's labels from The Cannon.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct TheCannonResults {
    /// Fitted labels, in the model's label order (teff K, logg, fe_h dex)
    pub labels: [f64; 3],
    /// Covariance matrix of the fitted labels
    pub covariance: [[f64; 3]; 3],
    /// Median signal-to-noise ratio per pixel
    pub snr: f64,
    /// Reduced chi-squared of the fit
    pub r_chi_sq: f64,
    /// Chi-squared of the fit
    pub chi_sq: f64,
    /// Starting labels of the winning fit
    pub x0: [f64; 3],
}

/// Stellar labels from The Cannon, a quadratic-in-labels data-driven model.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "TheCannon",
    namespace = "thecannon",
    version = "0.1.0",
    results = TheCannonResults,
    table = "the_cannon",
    path = "{astra_version}/{namespace}/star/{healpix|grp}/{healpix}/AstraSource-{obj}-{task_short_id}.fits"
)]
pub struct TheCannon {
    /// HEALPix pixel of the star
    pub healpix: i64,
    /// Object identifier
    pub obj: String,
    /// MD5 of the trained model file
    pub model_md5: String,
}

/// A trained model with the MD5 of its file.
pub type LoadedModel = ModelFile<CannonModel>;

/// The `thecannon` plugin.
#[derive(Debug)]
pub struct TheCannonPlugin;

/// The continuum normalization of a spectrum on `grid`: per APOGEE detector on the
/// apStar grid, over the whole spectrum otherwise.
pub fn continuum_for(grid: &WavelengthGrid) -> Continuum {
    Continuum::for_grid(CONTINUUM_ORDER, grid)
}

/// The labelled spectrum of each training input (its first spectrum row),
/// continuum-normalized by a Chebyshev series of degree `continuum_order` (per APOGEE
/// detector on the apStar grid, as [`continuum_for`]): flux and inverse variance, one
/// row per input. A plugin passes the degree it normalizes what it analyses with.
pub fn training_spectra(set: &TrainingSet, continuum_order: usize) -> PluginResult<(Array2<f64>, Array2<f64>)> {
    let mut flux = Vec::new();
    let mut ivar = Vec::new();
    let mut n_pixels = 0;
    for (input, _) in set.iter() {
        let spectrum = input.spectrum();
        n_pixels = spectrum.shape().1;
        let normalized = Continuum::for_grid(continuum_order, &spectrum.grid).normalize(
            spectrum.flux.row(0).mapv(f64::from).view(),
            spectrum.ivar.row(0).mapv(f64::from).view(),
        )?;
        flux.extend(normalized.flux);
        ivar.extend(normalized.ivar);
    }
    let shape = (set.len(), n_pixels);
    Ok((
        Array2::from_shape_vec(shape, flux)?,
        Array2::from_shape_vec(shape, ivar)?,
    ))
}

impl Plugin for TheCannonPlugin {
    type Task = TheCannon;
    type Model = LoadedModel;
    const NAME: &'static str = "thecannon";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "The Cannon: labels from a quadratic-in-labels model of spectra";
    const OUTPUTS: Outputs = Outputs::RowsAndFile {
        images: &[Image::Continuum, Image::ModelFlux],
    };

    const TRAINING_LABELS: &'static [&'static str] = &LABEL_NAMES;

    /// Trains on the first spectrum row of each input, continuum-normalized as
    /// [`analyse`](Plugin::analyse) normalizes, and saves the model.
    fn train(set: &TrainingSet, output: &Path) -> PluginResult<()> {
        let (flux, ivar) = training_spectra(set, CONTINUUM_ORDER)?;
        let model = Trainer::new(
            set.label_names().to_vec(),
            set.labels().view(),
            flux.view(),
            ivar.view(),
        )
        .train()?;
        model.save(output)?;
        Ok(())
    }

    fn load_model(source: ModelSource<'_>) -> PluginResult<LoadedModel> {
        ModelFile::load(
            source,
            "The Cannon needs a trained model: give its file with --model",
            |path| {
                let model = CannonModel::load(path)?;
                if model.n_labels() != N_LABELS {
                    return Err::<_, BoxError>(
                        format!(
                            "the model {path:?} has {} labels; this plugin's results hold {N_LABELS}",
                            model.n_labels()
                        )
                        .into(),
                    );
                }
                Ok(model)
            },
        )
    }

    fn task(model: &LoadedModel, input: &Input<'_>) -> PluginResult<TheCannon> {
        Ok(TheCannon {
            healpix: input.card_int("HEALPIX")?,
            obj: input.card_str("OBJID")?,
            model_md5: model.md5.clone(),
        })
    }

    fn analyse(model: &LoadedModel, _: &TheCannon, input: &Input<'_>) -> PluginResult<Analysis<TheCannonResults>> {
        let spectrum = input.spectrum();
        let (n, p) = spectrum.shape();
        if p != model.model.n_pixels() {
            return Err(format!("the spectrum has {p} pixels, the model {}", model.model.n_pixels()).into());
        }
        let continuum = continuum_for(&spectrum.grid);
        let fitter = Fitter::new(&model.model);
        let mut images = [(); 4].map(|_| Array2::<f32>::zeros((n, p)));
        let mut rows = Vec::with_capacity(n);
        for (i, (flux, ivar)) in spectrum
            .flux
            .axis_iter(Axis(0))
            .zip(spectrum.ivar.axis_iter(Axis(0)))
            .enumerate()
        {
            let normalized = continuum.normalize(flux.mapv(f64::from).view(), ivar.mapv(f64::from).view())?;
            let fit = fitter.fit(normalized.flux.view(), normalized.ivar.view())?;
            for (image, values) in images.iter_mut().zip([
                &normalized.flux,
                &normalized.ivar,
                &normalized.continuum,
                &fit.model_flux,
            ]) {
                image.row_mut(i).assign(&values.mapv(|x| x as f32));
            }
            let vector = |a: &astra_targets::ndarray::Array1<f64>| std::array::from_fn(|k| a[k]);
            rows.push(TheCannonResults {
                labels: vector(&fit.labels),
                covariance: std::array::from_fn(|r| std::array::from_fn(|c| fit.covariance[(r, c)])),
                snr: fit.snr,
                r_chi_sq: fit.r_chi_sq,
                chi_sq: fit.chi_sq,
                x0: vector(&fit.x0),
            });
        }
        let [flux, ivar, continuum, model_flux] = images;
        let images = AnalysisImages::new(flux, ivar)
            .continuum(continuum)
            .model_flux(model_flux);
        Ok(Analysis::with_images(rows, images))
    }
}

astra_targets::register_plugin!(TheCannonPlugin);

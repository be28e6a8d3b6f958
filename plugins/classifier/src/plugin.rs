//! The `classifier` plugin: class probabilities of each input spectrum, written as
//! database rows only (no astraSource file), with a model trained beforehand on the
//! spectral classes ([`SPECTRAL_CLASSES`]) and saved with [`ClassifierModel::save`].
//!
//! Each spectrum row is continuum-normalized as the `thecannon` plugin does
//! (`astra_thecannon::continuum`, degree [`CONTINUUM_ORDER`], per APOGEE detector on the
//! apStar grid) and classified. The task id names the model (the MD5 of its file).

use std::path::Path;

use astra_targets::ndarray::Axis;
use astra_targets::plugin::{
    Analysis, BoxError, Input, ModelFile, ModelSource, Outputs, Plugin, PluginResult, TrainingSet,
};
use astra_targets::{AstraResults, AstraTask};
use astra_thecannon::plugin::{continuum_for, training_spectra};

use crate::classes::{SPECTRAL_CLASSES, spectral_class_of_teff, spectral_classes};
use crate::{ClassifierModel, Trainer};

/// The degree of the continuum's Chebyshev series (The Cannon's).
pub const CONTINUUM_ORDER: usize = astra_thecannon::plugin::CONTINUUM_ORDER;

/// One spectrum's class probabilities, over the classes M, K, G, F.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct ClassifierResults {
    /// Probabilities of the classes M, K, G, F (they sum to 1)
    pub probabilities: [f64; 4],
    /// Natural logarithms of the probabilities of M, K, G, F
    pub log_probabilities: [f64; 4],
    /// Index of the most probable class (0 M, 1 K, 2 G, 3 F)
    pub most_probable: i64,
    /// Pixels with positive inverse variance that were used
    pub usable_pixels: i64,
}

/// Spectral class probabilities from PCA features and softmax regression.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "Classifier",
    namespace = "classifier",
    version = "0.1.0",
    results = ClassifierResults,
    table = "classifier"
)]
pub struct Classify {
    /// HEALPix pixel of the star
    pub healpix: i64,
    /// Object identifier
    pub obj: String,
    /// MD5 of the trained model file
    pub model_md5: String,
}

/// A trained model with the MD5 of its file.
pub type LoadedModel = ModelFile<ClassifierModel>;

/// The `classifier` plugin.
#[derive(Debug)]
pub struct ClassifierPlugin;

impl Plugin for ClassifierPlugin {
    type Task = Classify;
    type Model = LoadedModel;
    const NAME: &'static str = "classifier";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Spectral class probabilities (M, K, G, F) from PCA and softmax regression";
    const OUTPUTS: Outputs = Outputs::Rows;

    /// Trained on effective temperatures, each spectrum's class being
    /// [`spectral_class_of_teff`].
    const TRAINING_LABELS: &'static [&'static str] = &["teff"];

    /// Trains on the first spectrum row of each input, continuum-normalized as
    /// [`analyse`](Plugin::analyse) normalizes, with the default settings, and saves the
    /// model.
    fn train(set: &TrainingSet, output: &Path) -> PluginResult<()> {
        let targets = set
            .iter()
            .map(|(input, labels)| {
                let teff = labels[0];
                spectral_class_of_teff(teff).ok_or_else(|| {
                    format!(
                        "{:?}: teff {teff} K is in none of the classes M, K, G, F (below 7500 K)",
                        input.path()
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (flux, ivar) = training_spectra(set, CONTINUUM_ORDER)?;
        let model = Trainer::new(spectral_classes(), &targets, flux.view(), ivar.view()).train()?;
        model.save(output)?;
        Ok(())
    }

    fn load_model(source: ModelSource<'_>) -> PluginResult<LoadedModel> {
        ModelFile::load(
            source,
            "the classifier needs a trained model: give its file with --model",
            |path| {
                let model = ClassifierModel::load(path)?;
                if model.classes().names() != SPECTRAL_CLASSES {
                    return Err::<_, BoxError>(
                        format!(
                            "the model {path:?} has the classes {:?}; this plugin's results hold {SPECTRAL_CLASSES:?}",
                            model.classes().names()
                        )
                        .into(),
                    );
                }
                Ok(model)
            },
        )
    }

    fn task(model: &LoadedModel, input: &Input<'_>) -> PluginResult<Classify> {
        Ok(Classify {
            healpix: input.card_int("HEALPIX")?,
            obj: input.card_str("OBJID")?,
            model_md5: model.md5.clone(),
        })
    }

    fn analyse(model: &LoadedModel, _: &Classify, input: &Input<'_>) -> PluginResult<Analysis<ClassifierResults>> {
        let spectrum = input.spectrum();
        let continuum = continuum_for(&spectrum.grid);
        let mut rows = Vec::with_capacity(spectrum.shape().0);
        for (flux, ivar) in spectrum.flux.axis_iter(Axis(0)).zip(spectrum.ivar.axis_iter(Axis(0))) {
            let normalized = continuum.normalize(flux.mapv(f64::from).view(), ivar.mapv(f64::from).view())?;
            let c = model.model.classify(normalized.flux.view(), normalized.ivar.view())?;
            rows.push(ClassifierResults {
                probabilities: std::array::from_fn(|k| c.probabilities[k]),
                log_probabilities: std::array::from_fn(|k| c.log_probabilities[k]),
                most_probable: c.most_probable() as i64,
                usable_pixels: c.usable_pixels as i64,
            });
        }
        Ok(Analysis::rows(rows))
    }
}

astra_targets::register_plugin!(ClassifierPlugin);

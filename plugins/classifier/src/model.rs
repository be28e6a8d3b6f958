//! The trained model, its [`Trainer`], and the [`Classification`] of a spectrum.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::classes::ClassList;
use crate::error::ClassifierError;
use crate::features::Pca;
use crate::softmax;

/// Default number of principal components.
pub const DEFAULT_COMPONENTS: usize = 10;
/// Default L2 penalty λ on the regression weights (features have unit variance).
pub const DEFAULT_L2: f64 = 0.1;
/// Default smallest fraction of a spectrum's pixels that must be usable (ivar > 0).
pub const DEFAULT_MIN_USABLE_FRACTION: f64 = 0.5;

/// Largest magnitude of a usable normalized flux value; larger values are refused (they
/// are not normalized flux, and could overflow the features).
pub const MAX_ABS_FLUX: f64 = 1e6;

/// A trained classifier: a principal-component projection of the normalized flux and the
/// weights of a multinomial logistic regression on the projected features.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierModel {
    classes: ClassList,
    pca: Pca,
    /// `n_classes x (1 + n_components)`, intercept first.
    weights: Array2<f64>,
    l2: f64,
    min_usable_fraction: f64,
}

/// The result of classifying one spectrum, over the model's class list in its order.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// Probability of each class; they sum to 1 (to rounding, within 1e-12).
    pub probabilities: Vec<f64>,
    /// Natural logarithm of each class's probability, computed directly (finite even
    /// where the probability rounds to 0).
    pub log_probabilities: Vec<f64>,
    /// Pixels with ivar > 0 that entered the features.
    pub usable_pixels: usize,
}

impl Classification {
    /// Index of the most probable class (the first, on a tie).
    pub fn most_probable(&self) -> usize {
        let mut best = 0;
        for (c, lp) in self.log_probabilities.iter().enumerate() {
            if *lp > self.log_probabilities[best] {
                best = c;
            }
        }
        best
    }
}

/// Trains a [`ClassifierModel`] on labelled, continuum-normalized spectra.
///
/// ```
/// # use astra_classifier::{ClassList, Trainer};
/// # use ndarray::Array2;
/// let classes = ClassList::new(&["dip", "flat"])?;
/// // 40 spectra of 50 pixels: class 0 has a dip at pixel 10, class 1 does not.
/// let flux = Array2::from_shape_fn((40, 50), |(n, p)| {
///     let wiggle = 0.01 * (((n * 7 + p * 13) % 11) as f64 - 5.0);
///     if n % 2 == 0 && p == 10 { 0.5 + wiggle } else { 1.0 + wiggle }
/// });
/// let ivar = Array2::from_elem((40, 50), 1e4);
/// let targets: Vec<usize> = (0..40).map(|n| n % 2).collect();
/// let model = Trainer::new(classes, &targets, flux.view(), ivar.view()).components(3).train()?;
/// let result = model.classify(flux.row(0), ivar.row(0))?;
/// assert_eq!(result.most_probable(), 0);
/// # Ok::<(), astra_classifier::ClassifierError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Trainer<'a> {
    classes: ClassList,
    targets: &'a [usize],
    flux: ArrayView2<'a, f64>,
    ivar: ArrayView2<'a, f64>,
    n_components: usize,
    l2: f64,
    min_usable_fraction: f64,
}

impl<'a> Trainer<'a> {
    /// A trainer for `flux` and `ivar` (`n_spectra x n_pixels`, continuum-normalized)
    /// whose spectrum `i` is of class `targets[i]` (an index into `classes`).
    pub fn new(classes: ClassList, targets: &'a [usize], flux: ArrayView2<'a, f64>, ivar: ArrayView2<'a, f64>) -> Self {
        Self {
            classes,
            targets,
            flux,
            ivar,
            n_components: DEFAULT_COMPONENTS,
            l2: DEFAULT_L2,
            min_usable_fraction: DEFAULT_MIN_USABLE_FRACTION,
        }
    }

    /// Number of principal components kept (default [`DEFAULT_COMPONENTS`]); at least 1
    /// and fewer than the number of training spectra.
    pub fn components(mut self, n_components: usize) -> Self {
        self.n_components = n_components;
        self
    }

    /// L2 penalty λ on the regression weights (default [`DEFAULT_L2`]); finite and > 0.
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }

    /// Smallest fraction of a spectrum's pixels that must have ivar > 0, for training and
    /// later for classifying (default [`DEFAULT_MIN_USABLE_FRACTION`]); in (0, 1].
    pub fn min_usable_fraction(mut self, fraction: f64) -> Self {
        self.min_usable_fraction = fraction;
        self
    }

    /// Checks the inputs and settings, then fits the principal components (thin SVD of
    /// the centred training flux) and the softmax regression on the training features
    /// (Newton's method), as the [crate documentation](crate) describes.
    pub fn train(self) -> Result<ClassifierModel, ClassifierError> {
        let (n_spectra, n_pixels) = self.flux.dim();
        check_settings(self.l2, self.min_usable_fraction)?;
        if self.ivar.dim() != self.flux.dim() {
            return Err(ClassifierError::Shape {
                what: "training ivar",
                found: self.ivar.shape().to_vec(),
                expected: vec![n_spectra, n_pixels],
            });
        }
        if self.targets.len() != n_spectra {
            return Err(ClassifierError::Shape {
                what: "training classes",
                found: vec![self.targets.len()],
                expected: vec![n_spectra],
            });
        }
        if n_pixels == 0 {
            return Err(ClassifierError::Shape {
                what: "training flux",
                found: vec![n_spectra, n_pixels],
                expected: vec![n_spectra, 1],
            });
        }
        if self.n_components == 0 || self.n_components >= n_spectra.max(1) || self.n_components > n_pixels {
            return Err(ClassifierError::Setting {
                setting: "components",
                value: self.n_components.to_string(),
                reason: format!(
                    "at least 1, fewer than the {n_spectra} training spectra and at most the {n_pixels} pixels"
                ),
            });
        }
        for (spectrum, &index) in self.targets.iter().enumerate() {
            if index >= self.classes.len() {
                return Err(ClassifierError::UnknownClass {
                    spectrum,
                    index,
                    n_classes: self.classes.len(),
                });
            }
        }
        if let Some(c) = (0..self.classes.len()).find(|c| !self.targets.contains(c)) {
            return Err(ClassifierError::EmptyClass {
                class: self.classes.names()[c].clone(),
            });
        }
        let mut mask = Array2::from_elem((n_spectra, n_pixels), false);
        for n in 0..n_spectra {
            let row_mask = usable_pixels(
                "training",
                n,
                self.flux.row(n),
                self.ivar.row(n),
                self.min_usable_fraction,
            )?;
            mask.row_mut(n).assign(&Array1::from(row_mask));
        }
        let pca = Pca::fit(self.flux, mask.view(), self.n_components)?;
        let mut features = Array2::zeros((n_spectra, self.n_components));
        for n in 0..n_spectra {
            let row_mask: Vec<bool> = mask.row(n).to_vec();
            features.row_mut(n).assign(&pca.project(self.flux.row(n), &row_mask));
        }
        let weights = softmax::fit(features.view(), self.targets, self.classes.len(), self.l2)?;
        Ok(ClassifierModel {
            classes: self.classes,
            pca,
            weights,
            l2: self.l2,
            min_usable_fraction: self.min_usable_fraction,
        })
    }
}

fn check_settings(l2: f64, min_usable_fraction: f64) -> Result<(), ClassifierError> {
    if !(l2.is_finite() && l2 > 0.0) {
        return Err(ClassifierError::Setting {
            setting: "l2",
            value: l2.to_string(),
            reason: "a finite number > 0".into(),
        });
    }
    if !(min_usable_fraction > 0.0 && min_usable_fraction <= 1.0) {
        return Err(ClassifierError::Setting {
            setting: "min_usable_fraction",
            value: min_usable_fraction.to_string(),
            reason: "a fraction in (0, 1]".into(),
        });
    }
    Ok(())
}

/// The usable-pixel mask of one spectrum (ivar > 0), after refusing negative or
/// non-finite ivar, flux that is not finite or beyond ±[`MAX_ABS_FLUX`] where ivar > 0,
/// and too few usable pixels.
fn usable_pixels(
    what: &'static str,
    spectrum: usize,
    flux: ArrayView1<f64>,
    ivar: ArrayView1<f64>,
    min_usable_fraction: f64,
) -> Result<Vec<bool>, ClassifierError> {
    let (flux_name, ivar_name) = if what == "training" {
        ("training flux", "training ivar")
    } else {
        ("flux", "ivar")
    };
    let mut mask = Vec::with_capacity(flux.len());
    for (pixel, (&f, &v)) in flux.iter().zip(ivar.iter()).enumerate() {
        if !(v.is_finite() && v >= 0.0) {
            return Err(ClassifierError::BadIvar {
                what: ivar_name,
                spectrum,
                pixel,
                value: v,
            });
        }
        if v > 0.0 && !(f.is_finite() && f.abs() <= MAX_ABS_FLUX) {
            return Err(ClassifierError::BadFlux {
                what: flux_name,
                spectrum,
                pixel,
                value: f,
            });
        }
        mask.push(v > 0.0);
    }
    let usable = mask.iter().filter(|m| **m).count();
    let needed = ((min_usable_fraction * flux.len() as f64).ceil() as usize).max(1);
    if usable < needed {
        return Err(ClassifierError::TooFewPixels {
            what,
            spectrum,
            usable,
            n_pixels: flux.len(),
            needed,
        });
    }
    Ok(mask)
}

impl ClassifierModel {
    /// Rebuilds a model from its parts (as read from a model file); an error names the
    /// part that disagrees.
    pub(crate) fn from_parts(
        classes: ClassList,
        pca: Pca,
        weights: Array2<f64>,
        l2: f64,
        min_usable_fraction: f64,
    ) -> Result<Self, String> {
        check_settings(l2, min_usable_fraction).map_err(|e| e.to_string())?;
        if weights.dim() != (classes.len(), pca.n_components() + 1) {
            return Err(format!(
                "WEIGHTS has shape {:?}, expected [{}, {}]",
                weights.shape(),
                classes.len(),
                pca.n_components() + 1
            ));
        }
        if weights.iter().any(|w| !w.is_finite()) {
            return Err("WEIGHTS holds a value that is not finite".into());
        }
        Ok(Self {
            classes,
            pca,
            weights,
            l2,
            min_usable_fraction,
        })
    }

    /// The classes, in the order of every [`Classification`]'s vectors.
    pub fn classes(&self) -> &ClassList {
        &self.classes
    }

    /// The principal-component projection.
    pub fn pca(&self) -> &Pca {
        &self.pca
    }

    /// The regression weights, `n_classes x (1 + n_components)`, intercept first.
    pub fn weights(&self) -> &Array2<f64> {
        &self.weights
    }

    /// The L2 penalty the weights were fitted with.
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// Smallest fraction of a spectrum's pixels that must have ivar > 0.
    pub fn min_usable_fraction(&self) -> f64 {
        self.min_usable_fraction
    }

    /// Pixels per spectrum.
    pub fn n_pixels(&self) -> usize {
        self.pca.n_pixels()
    }

    /// Classifies one continuum-normalized spectrum on the model's pixel grid. Pixels
    /// with ivar = 0 are masked (left out of the features); negative or non-finite ivar,
    /// flux that is not finite or beyond ±[`MAX_ABS_FLUX`] where ivar > 0, a size other than the model's,
    /// or fewer usable pixels than [`min_usable_fraction`](Self::min_usable_fraction)
    /// asks are refused (the error calls the spectrum "spectrum 0").
    pub fn classify(&self, flux: ArrayView1<f64>, ivar: ArrayView1<f64>) -> Result<Classification, ClassifierError> {
        self.classify_row(0, flux, ivar)
    }

    /// Classifies each row of `flux` and `ivar` (`n_spectra x n_pixels`) as
    /// [`classify`](Self::classify) does; the first bad spectrum refuses the batch, and
    /// the error names its row.
    pub fn classify_many(
        &self,
        flux: ArrayView2<f64>,
        ivar: ArrayView2<f64>,
    ) -> Result<Vec<Classification>, ClassifierError> {
        if ivar.dim() != flux.dim() {
            return Err(ClassifierError::Shape {
                what: "ivar",
                found: ivar.shape().to_vec(),
                expected: flux.shape().to_vec(),
            });
        }
        (0..flux.nrows())
            .map(|n| self.classify_row(n, flux.row(n), ivar.row(n)))
            .collect()
    }

    fn classify_row(
        &self,
        spectrum: usize,
        flux: ArrayView1<f64>,
        ivar: ArrayView1<f64>,
    ) -> Result<Classification, ClassifierError> {
        for (what, len) in [("flux", flux.len()), ("ivar", ivar.len())] {
            if len != self.n_pixels() {
                return Err(ClassifierError::Shape {
                    what,
                    found: vec![len],
                    expected: vec![self.n_pixels()],
                });
            }
        }
        let mask = usable_pixels("input", spectrum, flux, ivar, self.min_usable_fraction)?;
        let features = self.pca.project(flux, &mask);
        let log_probabilities = softmax::log_probabilities(self.weights.view(), features.view());
        Ok(Classification {
            probabilities: log_probabilities.iter().map(|l| l.exp()).collect(),
            log_probabilities: log_probabilities.to_vec(),
            usable_pixels: mask.iter().filter(|m| **m).count(),
        })
    }
}

//! The trained model and its training.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::CannonError;
use crate::scaling::LabelScaling;
use crate::train::{Design, PixelTrainer};
use crate::vectorizer::QuadraticVectorizer;

/// A trained Cannon: per pixel, normalized flux is `θ_p · z(l)` plus Gaussian scatter of
/// variance `s²_p`, with `z` the [`QuadraticVectorizer`] terms of the scaled labels `l`.
///
/// Made by [`Trainer::train`] or read by [`CannonModel::load`]; fitted to spectra by
/// [`Fitter`](crate::fit::Fitter).
#[derive(Debug, Clone, PartialEq)]
pub struct CannonModel {
    label_names: Vec<String>,
    scaling: LabelScaling,
    theta: Array2<f64>,
    s2: Array1<f64>,
}

impl CannonModel {
    /// A model from its parts: label names, their scaling, θ (`n_pixels x n_terms`) and
    /// s² (`n_pixels`, `+∞` for an untrained pixel).
    pub fn from_parts(
        label_names: Vec<String>,
        scaling: LabelScaling,
        theta: Array2<f64>,
        s2: Array1<f64>,
    ) -> Result<Self, CannonError> {
        check_label_names(&label_names)?;
        let vectorizer = QuadraticVectorizer::new(label_names.len());
        if scaling.n_labels() != label_names.len() {
            return Err(CannonError::Shape {
                what: "label scaling",
                found: vec![scaling.n_labels()],
                expected: vec![label_names.len()],
            });
        }
        if theta.ncols() != vectorizer.n_terms() {
            return Err(CannonError::Shape {
                what: "theta",
                found: theta.shape().to_vec(),
                expected: vec![theta.nrows(), vectorizer.n_terms()],
            });
        }
        if s2.len() != theta.nrows() {
            return Err(CannonError::Shape {
                what: "s2",
                found: vec![s2.len()],
                expected: vec![theta.nrows()],
            });
        }
        // The fit reads θ a pixel row at a time and s² as one slice.
        let theta = if theta.is_standard_layout() {
            theta
        } else {
            theta.as_standard_layout().into_owned()
        };
        let s2 = if s2.as_slice().is_some() {
            s2
        } else {
            s2.to_vec().into()
        };
        Ok(Self {
            label_names,
            scaling,
            theta,
            s2,
        })
    }

    /// The label names, in the order of every label vector.
    pub fn label_names(&self) -> &[String] {
        &self.label_names
    }

    /// Number of labels.
    pub fn n_labels(&self) -> usize {
        self.label_names.len()
    }

    /// Number of pixels.
    pub fn n_pixels(&self) -> usize {
        self.theta.nrows()
    }

    /// The vectorizer.
    pub fn vectorizer(&self) -> QuadraticVectorizer {
        QuadraticVectorizer::new(self.n_labels())
    }

    /// The label scaling the polynomial is written in.
    pub fn scaling(&self) -> &LabelScaling {
        &self.scaling
    }

    /// θ, `n_pixels x n_terms`.
    pub fn theta(&self) -> &Array2<f64> {
        &self.theta
    }

    /// s² per pixel; `+∞` marks a pixel that could not be trained.
    pub fn s2(&self) -> &Array1<f64> {
        &self.s2
    }

    /// Number of pixels that were trained (finite s²).
    pub fn n_trained_pixels(&self) -> usize {
        self.s2.iter().filter(|s| s.is_finite()).count()
    }

    /// The model's normalized flux at physical `labels`.
    pub fn predict(&self, labels: ArrayView1<'_, f64>) -> Result<Array1<f64>, CannonError> {
        if labels.len() != self.n_labels() {
            return Err(CannonError::Shape {
                what: "labels",
                found: vec![labels.len()],
                expected: vec![self.n_labels()],
            });
        }
        let scaled: Vec<f64> = labels
            .iter()
            .enumerate()
            .map(|(k, v)| self.scaling.scale(k, *v))
            .collect();
        let z = Array1::from(self.vectorizer().terms(&scaled));
        Ok(self.theta.dot(&z))
    }
}

/// Trains a [`CannonModel`] on labelled, continuum-normalized spectra.
///
/// ```no_run
/// # use ndarray::Array2;
/// # use astra_thecannon::model::Trainer;
/// # let (labels, flux, ivar) = (Array2::<f64>::zeros((0, 3)), Array2::<f64>::zeros((0, 1)), Array2::<f64>::zeros((0, 1)));
/// let names = ["teff", "logg", "fe_h"].map(String::from).to_vec();
/// let model = Trainer::new(names, labels.view(), flux.view(), ivar.view()).threads(2).train()?;
/// # Ok::<(), astra_thecannon::CannonError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Trainer<'a> {
    label_names: Vec<String>,
    labels: ArrayView2<'a, f64>,
    flux: ArrayView2<'a, f64>,
    ivar: ArrayView2<'a, f64>,
    threads: usize,
    scaling: Option<LabelScaling>,
}

impl<'a> Trainer<'a> {
    /// Training on `labels` (`n_spectra x n_labels`, physical units, in the order of
    /// `label_names`), `flux` and `ivar` (`n_spectra x n_pixels`, continuum-normalized).
    /// A pixel of a spectrum is used when its flux is finite and its ivar finite and
    /// positive; other pixels are ignored.
    pub fn new(
        label_names: Vec<String>,
        labels: ArrayView2<'a, f64>,
        flux: ArrayView2<'a, f64>,
        ivar: ArrayView2<'a, f64>,
    ) -> Self {
        Self {
            label_names,
            labels,
            flux,
            ivar,
            threads: 1,
            scaling: None,
        }
    }

    /// Number of threads to train pixels on (default 1: everything on the calling
    /// thread). The result does not depend on it.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Use this label scaling instead of the one derived from the training labels
    /// ([`LabelScaling::from_training_labels`]).
    pub fn scaling(mut self, scaling: LabelScaling) -> Self {
        self.scaling = Some(scaling);
        self
    }

    /// Trains every pixel: θ and s² jointly maximizing each pixel's likelihood (see the
    /// crate documentation).
    pub fn train(self) -> Result<CannonModel, CannonError> {
        check_label_names(&self.label_names)?;
        let (n_spectra, n_pixels) = self.flux.dim();
        let n_labels = self.label_names.len();
        if self.labels.dim() != (n_spectra, n_labels) {
            return Err(CannonError::Shape {
                what: "training labels",
                found: self.labels.shape().to_vec(),
                expected: vec![n_spectra, n_labels],
            });
        }
        if self.ivar.dim() != (n_spectra, n_pixels) {
            return Err(CannonError::Shape {
                what: "training ivar",
                found: self.ivar.shape().to_vec(),
                expected: vec![n_spectra, n_pixels],
            });
        }
        if self.threads == 0 {
            return Err(CannonError::Setting {
                setting: "threads",
                value: "0".into(),
                reason: "at least one thread is needed",
            });
        }
        for ((n, k), v) in self.labels.indexed_iter() {
            if !v.is_finite() {
                return Err(CannonError::NonFiniteLabel {
                    label: self.label_names[k].clone(),
                    spectrum: n,
                    value: *v,
                });
            }
        }
        let vectorizer = QuadraticVectorizer::new(n_labels);
        let n_terms = vectorizer.n_terms();
        let degenerate = |detail: String| CannonError::DegenerateTrainingSet {
            n_spectra,
            n_terms,
            detail,
        };
        if n_spectra <= n_terms {
            return Err(degenerate(format!("{n_spectra} spectra")));
        }
        let scaling = match self.scaling {
            Some(s) if s.n_labels() == n_labels => s,
            Some(s) => {
                return Err(CannonError::Shape {
                    what: "label scaling",
                    found: vec![s.n_labels()],
                    expected: vec![n_labels],
                });
            }
            None => LabelScaling::from_training_labels(self.labels)
                .map_err(|k| degenerate(format!("label {} does not vary", self.label_names[k])))?,
        };

        // Pixel-major copies: each pixel's training values contiguous, unusable ones zeroed.
        let mut flux_t = vec![0.0; n_pixels * n_spectra];
        let mut ivar_t = vec![0.0; n_pixels * n_spectra];
        for ((n, p), v) in self.ivar.indexed_iter() {
            if *v < 0.0 {
                return Err(CannonError::NegativeIvar {
                    what: "training ivar",
                    spectrum: n,
                    pixel: p,
                    value: *v,
                });
            }
            let f = self.flux[(n, p)];
            if v.is_finite() && *v > 0.0 && f.is_finite() {
                flux_t[p * n_spectra + n] = f;
                ivar_t[p * n_spectra + n] = *v;
            }
        }

        let mut terms = vec![0.0; n_spectra * n_terms];
        let mut scaled = vec![0.0; n_labels];
        for n in 0..n_spectra {
            for (k, s) in scaled.iter_mut().enumerate() {
                *s = scaling.scale(k, self.labels[(n, k)]);
            }
            vectorizer.terms_into(&scaled, &mut terms[n * n_terms..(n + 1) * n_terms]);
        }
        let design = Design::new(terms, n_spectra, n_terms);
        if !design.is_full_rank() {
            return Err(degenerate(
                "the quadratic terms of the labels are linearly dependent".into(),
            ));
        }

        let mut theta = vec![0.0; n_pixels * n_terms];
        let mut s2 = vec![0.0; n_pixels];
        let train_range = |first: usize, theta: &mut [f64], s2: &mut [f64]| {
            let mut trainer = PixelTrainer::new(&design);
            for (i, (th, s)) in theta.chunks_exact_mut(n_terms).zip(s2.iter_mut()).enumerate() {
                let p = first + i;
                let cols = p * n_spectra..(p + 1) * n_spectra;
                *s = trainer.train(&flux_t[cols.clone()], &ivar_t[cols], th);
            }
        };
        let threads = self.threads.min(n_pixels.max(1));
        if threads <= 1 {
            train_range(0, &mut theta, &mut s2);
        } else {
            let per = n_pixels.div_ceil(threads);
            std::thread::scope(|scope| {
                for (i, (th, s)) in theta.chunks_mut(per * n_terms).zip(s2.chunks_mut(per)).enumerate() {
                    let train_range = &train_range;
                    scope.spawn(move || train_range(i * per, th, s));
                }
            });
        }
        let theta = Array2::from_shape_vec((n_pixels, n_terms), theta).map_err(|_| CannonError::Shape {
            what: "theta",
            found: vec![n_pixels * n_terms],
            expected: vec![n_pixels, n_terms],
        })?;
        CannonModel::from_parts(self.label_names, scaling, theta, Array1::from(s2))
    }
}

fn check_label_names(names: &[String]) -> Result<(), CannonError> {
    let bad = |reason| {
        Err(CannonError::LabelNames {
            names: names.to_vec(),
            reason,
        })
    };
    if names.is_empty() {
        return bad("at least one label is needed");
    }
    if names.iter().any(|n| n.trim().is_empty()) {
        return bad("a name is empty");
    }
    for (i, a) in names.iter().enumerate() {
        if names[..i].contains(a) {
            return bad("a name appears twice");
        }
    }
    Ok(())
}

//! Training a network of The Payne's shape on labelled, continuum-normalized spectra.
//!
//! The Payne trains its network by gradient descent on the flux at every pixel. With a
//! few hundred training spectra of thousands of pixels most of that work is spent on
//! the output layer, which is linear; [`Trainer`] takes a shorter road to a network of
//! the same shape:
//!
//! 1. The labels are scaled as The Payne scales them, with `x_min`/`x_max` the training
//!    set's range of each label.
//! 2. The spectra's principal components ([`Trainer::components`] of them, from the
//!    eigenvectors of the spectra's Gram matrix, pixels without weight filled with the
//!    pixel's mean) are the targets of the two hidden layers: the network
//!    `labels → leaky ReLU → leaky ReLU → components` is trained by full-batch Adam on the
//!    squared error, from seeded random weights ([`Trainer::seed`]).
//! 3. The output layer is then solved for every pixel at once: the least-squares flux of
//!    each pixel from the second hidden layer's activations (and a bias), with a small
//!    ridge term, weighted by nothing but which pixels have weight.
//!
//! The result is a plain [`Network`]: saved in The Payne's `.npz` layout, fitted with
//! [`Fitter`](crate::Fitter) like any other.

use astra_targets::spectrum::synthetic::Rng;
use faer::{Mat, Side};
use ndarray::{Array1, Array2, ArrayView2, Axis, s};

use crate::error::PayneError;
use crate::network::{LEAKY_SLOPE, Network, NetworkArrays};

/// Hidden layer sizes of a trained network unless set ([`Trainer::hidden`]).
pub const DEFAULT_HIDDEN: (usize, usize) = (32, 32);
/// Principal components the hidden layers learn unless set ([`Trainer::components`]).
pub const DEFAULT_COMPONENTS: usize = 16;
/// Adam steps unless set ([`Trainer::epochs`]).
pub const DEFAULT_EPOCHS: usize = 4000;
/// Adam's step size at the start; it falls along a cosine to a hundredth of it.
pub const DEFAULT_LEARNING_RATE: f64 = 0.01;
/// The seed of the first weights unless set ([`Trainer::seed`]).
pub const DEFAULT_SEED: u64 = 0x0070_6179_6e65;

/// Trains a [`Network`] on labelled spectra; a builder, [`train`](Trainer::train) last.
#[derive(Debug, Clone)]
pub struct Trainer<'a> {
    labels: ArrayView2<'a, f64>,
    flux: ArrayView2<'a, f64>,
    ivar: ArrayView2<'a, f64>,
    wavelength: Option<Array1<f64>>,
    hidden: (usize, usize),
    components: usize,
    epochs: usize,
    learning_rate: f64,
    seed: u64,
}

/// The labels of one trained network's training set, scaled, with their bounds.
struct Scaled {
    x: Array2<f64>,
    x_min: Array1<f64>,
    x_max: Array1<f64>,
}

impl<'a> Trainer<'a> {
    /// A trainer for spectra with `labels` (one row per spectrum) and continuum-normalized
    /// `flux` and inverse variance `ivar` (one row per spectrum, one column per pixel).
    pub fn new(labels: ArrayView2<'a, f64>, flux: ArrayView2<'a, f64>, ivar: ArrayView2<'a, f64>) -> Self {
        Trainer {
            labels,
            flux,
            ivar,
            wavelength: None,
            hidden: DEFAULT_HIDDEN,
            components: DEFAULT_COMPONENTS,
            epochs: DEFAULT_EPOCHS,
            learning_rate: DEFAULT_LEARNING_RATE,
            seed: DEFAULT_SEED,
        }
    }

    /// The pixels' wavelengths (Angstrom), saved with the network.
    pub fn wavelength(mut self, wavelength: Array1<f64>) -> Self {
        self.wavelength = Some(wavelength);
        self
    }

    /// The sizes of the two hidden layers.
    pub fn hidden(mut self, first: usize, second: usize) -> Self {
        self.hidden = (first, second);
        self
    }

    /// How many principal components of the spectra the hidden layers learn (at most
    /// one fewer than the spectra).
    pub fn components(mut self, n: usize) -> Self {
        self.components = n;
        self
    }

    /// How many Adam steps train the hidden layers.
    pub fn epochs(mut self, n: usize) -> Self {
        self.epochs = n;
        self
    }

    /// Adam's first step size.
    pub fn learning_rate(mut self, rate: f64) -> Self {
        self.learning_rate = rate;
        self
    }

    /// The seed of the first weights: the same seed and data give the same network.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn bad(reason: impl Into<String>) -> PayneError {
        PayneError::Training(reason.into())
    }

    fn check(&self) -> Result<(), PayneError> {
        let (n, n_labels) = self.labels.dim();
        let (n_flux, p) = self.flux.dim();
        if n < 2 {
            return Err(Self::bad(format!("{n} training spectra; training needs at least 2")));
        }
        if n_labels == 0 {
            return Err(Self::bad("no labels"));
        }
        if n_flux != n || self.ivar.dim() != (n, p) {
            return Err(Self::bad(format!(
                "{n} label rows, flux {:?} and inverse variance {:?}: one row per spectrum, the same pixels",
                self.flux.dim(),
                self.ivar.dim()
            )));
        }
        if p == 0 {
            return Err(Self::bad("the spectra have no pixels"));
        }
        if let Some(w) = &self.wavelength
            && w.len() != p
        {
            return Err(Self::bad(format!("{} wavelengths for {p} pixels", w.len())));
        }
        if self.hidden.0 == 0 || self.hidden.1 == 0 {
            return Err(Self::bad(format!("hidden layers of {:?} neurons", self.hidden)));
        }
        if self.components == 0 || self.epochs == 0 {
            return Err(Self::bad(format!(
                "{} components and {} epochs: both must be at least 1",
                self.components, self.epochs
            )));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Self::bad(format!("learning rate {}", self.learning_rate)));
        }
        Ok(())
    }

    fn scaled_labels(&self) -> Result<Scaled, PayneError> {
        let n_labels = self.labels.ncols();
        let mut x_min = Array1::zeros(n_labels);
        let mut x_max = Array1::zeros(n_labels);
        for (l, column) in self.labels.axis_iter(Axis(1)).enumerate() {
            if let Some((i, v)) = column.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Self::bad(format!("label {l} of spectrum {i} is {v}")));
            }
            let lo = column.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if hi <= lo {
                return Err(Self::bad(format!(
                    "label {l} is {lo} in every training spectrum: a label needs a range"
                )));
            }
            x_min[l] = lo;
            x_max[l] = hi;
        }
        let x = (&self.labels - &x_min) / (&x_max - &x_min) - 0.5;
        Ok(Scaled { x, x_min, x_max })
    }

    /// The flux with every pixel that has no weight (or no finite value) replaced by the
    /// pixel's mean over the spectra where it has one (1 where it never has).
    fn filled_flux(&self) -> Array2<f64> {
        let mut flux = self.flux.to_owned();
        for (mut column, ivar) in flux.axis_iter_mut(Axis(1)).zip(self.ivar.axis_iter(Axis(1))) {
            let good = |f: f64, w: f64| f.is_finite() && w.is_finite() && w > 0.0;
            let (sum, count) = column
                .iter()
                .zip(ivar.iter())
                .filter(|&(&f, &w)| good(f, w))
                .fold((0.0, 0usize), |(s, c), (&f, _)| (s + f, c + 1));
            let mean = if count == 0 { 1.0 } else { sum / count as f64 };
            for (f, &w) in column.iter_mut().zip(ivar.iter()) {
                if !good(*f, w) {
                    *f = mean;
                }
            }
        }
        flux
    }

    /// Trains the network.
    pub fn train(&self) -> Result<Network, PayneError> {
        self.check()?;
        let scaled = self.scaled_labels()?;
        let flux = self.filled_flux();
        let targets = principal_components(&flux, self.components)?;
        let mut layers = Hidden::random(scaled.x.ncols(), self.hidden, targets.ncols(), self.seed);
        layers.fit(&scaled.x, &targets, self.epochs, self.learning_rate);
        let (w2, b2) = output_layer(&layers.features(&scaled.x), &flux)?;
        Network::new(NetworkArrays {
            weights: [layers.w[0].clone(), layers.w[1].clone(), w2],
            biases: [layers.b[0].clone(), layers.b[1].clone(), b2],
            x_min: scaled.x_min,
            x_max: scaled.x_max,
            wavelength: self.wavelength.clone(),
        })
    }
}

/// The coordinates of the mean-subtracted spectra along their `n` leading principal
/// components (N, n), from the eigenvectors of their Gram matrix.
fn principal_components(flux: &Array2<f64>, n: usize) -> Result<Array2<f64>, PayneError> {
    let mean = flux.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(flux.ncols()));
    let centred = flux - &mean;
    let gram = centred.dot(&centred.t());
    let size = gram.nrows();
    let matrix = Mat::<f64>::from_fn(size, size, |i, j| gram[(i, j)]);
    let eigen = matrix
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| PayneError::Training(format!("the spectra's principal components: {e:?}")))?;
    // Eigenvalues come in increasing order: the leading ones are last.
    let values = eigen.S().column_vector();
    let vectors = eigen.U();
    let largest = (0..size).map(|i| values[i]).fold(0.0, f64::max);
    let kept: Vec<usize> = (0..size)
        .rev()
        .filter(|&i| values[i] > 1e-12 * largest && values[i] > 0.0)
        .take(n.min(size.saturating_sub(1)))
        .collect();
    if kept.is_empty() {
        return Err(PayneError::Training(
            "the training spectra are all the same: nothing to learn".into(),
        ));
    }
    Ok(Array2::from_shape_fn((size, kept.len()), |(i, k)| {
        vectors[(i, kept[k])] * values[kept[k]].sqrt()
    }))
}

/// The output layer that best gives `flux` (N, P) from the hidden `features` (N, H):
/// weights (P, H) and biases (P,), by least squares with a small ridge term.
fn output_layer(features: &Array2<f64>, flux: &Array2<f64>) -> Result<(Array2<f64>, Array1<f64>), PayneError> {
    let (n, h) = features.dim();
    let mut design = Array2::ones((n, h + 1));
    design.slice_mut(s![.., ..h]).assign(features);
    let normal = design.t().dot(&design);
    let ridge = 1e-8 * (0..=h).map(|i| normal[(i, i)]).sum::<f64>() / (h + 1) as f64;
    let a = Mat::<f64>::from_fn(h + 1, h + 1, |i, j| normal[(i, j)] + if i == j { ridge } else { 0.0 });
    let rhs_nd = design.t().dot(flux);
    let rhs = Mat::<f64>::from_fn(h + 1, flux.ncols(), |i, j| rhs_nd[(i, j)]);
    let llt = a
        .llt(Side::Lower)
        .map_err(|e| PayneError::Training(format!("the output layer's normal equations: {e:?}")))?;
    let solution = faer::linalg::solvers::Solve::solve(&llt, &rhs);
    let weights = Array2::from_shape_fn((flux.ncols(), h), |(p, k)| solution[(k, p)]);
    let biases = Array1::from_shape_fn(flux.ncols(), |p| solution[(h, p)]);
    Ok((weights, biases))
}

fn leaky(z: f64) -> f64 {
    if z > 0.0 { z } else { LEAKY_SLOPE * z }
}

fn leaky_slope(z: f64) -> f64 {
    if z > 0.0 { 1.0 } else { LEAKY_SLOPE }
}

/// The two hidden layers and a linear head onto the principal components.
struct Hidden {
    /// Weights: first hidden (H1, L), second hidden (H2, H1), head (C, H2).
    w: [Array2<f64>; 3],
    /// Biases of the same three layers.
    b: [Array1<f64>; 3],
}

/// A forward pass: the layers' inputs before and after the activation.
struct Pass {
    z0: Array2<f64>,
    a0: Array2<f64>,
    z1: Array2<f64>,
    a1: Array2<f64>,
    out: Array2<f64>,
}

/// Adam's moment estimates of one parameter array.
struct Moments<D: ndarray::Dimension> {
    m: ndarray::Array<f64, D>,
    v: ndarray::Array<f64, D>,
}

impl<D: ndarray::Dimension> Moments<D> {
    fn like(a: &ndarray::Array<f64, D>) -> Self {
        Moments {
            m: ndarray::Array::zeros(a.raw_dim()),
            v: ndarray::Array::zeros(a.raw_dim()),
        }
    }

    /// One Adam step of `param` along `grad` (β = 0.9, 0.999).
    fn step(&mut self, param: &mut ndarray::Array<f64, D>, grad: &ndarray::Array<f64, D>, rate: f64, t: i32) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        let c1 = 1.0 - B1.powi(t);
        let c2 = 1.0 - B2.powi(t);
        ndarray::Zip::from(param)
            .and(&mut self.m)
            .and(&mut self.v)
            .and(grad)
            .for_each(|p, m, v, &g| {
                *m = B1 * *m + (1.0 - B1) * g;
                *v = B2 * *v + (1.0 - B2) * g * g;
                *p -= rate * (*m / c1) / ((*v / c2).sqrt() + 1e-12);
            });
    }
}

impl Hidden {
    /// Weights drawn from `seed`, scaled to keep each layer's output the size of its
    /// input (He's rule); biases zero.
    fn random(n_labels: usize, hidden: (usize, usize), n_out: usize, seed: u64) -> Hidden {
        let mut rng = Rng::new(seed);
        let mut gaussian =
            |rows: usize, cols: usize, scale: f64| Array2::from_shape_fn((rows, cols), |_| scale * rng.normal());
        // The scaled labels span [-0.5, 0.5]: a standard deviation of about 0.29.
        let w0 = gaussian(hidden.0, n_labels, (2.0 / n_labels as f64).sqrt() / 0.29);
        let w1 = gaussian(hidden.1, hidden.0, (2.0 / hidden.0 as f64).sqrt());
        let w2 = gaussian(n_out, hidden.1, (1.0 / hidden.1 as f64).sqrt());
        Hidden {
            w: [w0, w1, w2],
            b: [Array1::zeros(hidden.0), Array1::zeros(hidden.1), Array1::zeros(n_out)],
        }
    }

    fn forward(&self, x: &Array2<f64>) -> Pass {
        let z0 = x.dot(&self.w[0].t()) + &self.b[0];
        let a0 = z0.mapv(leaky);
        let z1 = a0.dot(&self.w[1].t()) + &self.b[1];
        let a1 = z1.mapv(leaky);
        let out = a1.dot(&self.w[2].t()) + &self.b[2];
        Pass { z0, a0, z1, a1, out }
    }

    /// The second hidden layer's activations (N, H2).
    fn features(&self, x: &Array2<f64>) -> Array2<f64> {
        self.forward(x).a1
    }

    /// Full-batch Adam on the mean squared error against `targets` (scaled to unit
    /// variance overall for the steps' sake), the step size falling along a cosine.
    fn fit(&mut self, x: &Array2<f64>, targets: &Array2<f64>, epochs: usize, rate: f64) {
        let n = x.nrows() as f64;
        let spread = (targets.mapv(|t| t * t).mean().unwrap_or(1.0))
            .sqrt()
            .max(f64::MIN_POSITIVE);
        let targets = targets / spread;
        let mut mw = self.w.clone().map(|w| Moments::like(&w));
        let mut mb = self.b.clone().map(|b| Moments::like(&b));
        for epoch in 0..epochs {
            let pass = self.forward(x);
            let d_out = (&pass.out - &targets) * (2.0 / n);
            let d_a1 = d_out.dot(&self.w[2]);
            let d_z1 = d_a1 * pass.z1.mapv(leaky_slope);
            let d_a0 = d_z1.dot(&self.w[1]);
            let d_z0 = d_a0 * pass.z0.mapv(leaky_slope);
            let grads_w = [d_z0.t().dot(x), d_z1.t().dot(&pass.a0), d_out.t().dot(&pass.a1)];
            let grads_b = [d_z0.sum_axis(Axis(0)), d_z1.sum_axis(Axis(0)), d_out.sum_axis(Axis(0))];
            let progress = epoch as f64 / epochs as f64;
            let step = rate * (0.01 + 0.99 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
            let t = i32::try_from(epoch + 1).unwrap_or(i32::MAX);
            for k in 0..3 {
                mw[k].step(&mut self.w[k], &grads_w[k], step, t);
                mb[k].step(&mut self.b[k], &grads_b[k], step, t);
            }
        }
    }
}

/// The root-mean-square difference between `network`'s flux and `flux` over the pixels
/// with weight: how well a network emulates spectra.
pub fn emulation_rms(
    network: &Network,
    labels: ArrayView2<'_, f64>,
    flux: ArrayView2<'_, f64>,
    ivar: ArrayView2<'_, f64>,
) -> Result<f64, PayneError> {
    let mut sum = 0.0;
    let mut count = 0usize;
    for ((l, f), w) in labels
        .axis_iter(Axis(0))
        .zip(flux.axis_iter(Axis(0)))
        .zip(ivar.axis_iter(Axis(0)))
    {
        let model = network.predict(network.scale(l)?.view())?;
        for ((m, f), w) in model.iter().zip(f.iter()).zip(w.iter()) {
            if *w > 0.0 && f.is_finite() {
                sum += (m - f).powi(2);
                count += 1;
            }
        }
    }
    Ok(if count == 0 {
        f64::NAN
    } else {
        (sum / count as f64).sqrt()
    })
}

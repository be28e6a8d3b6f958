//! The test step: labels of one spectrum by nonlinear least squares.
//!
//! The model flux is `f_p(l) = θ_p · z(l)`, quadratic in the scaled labels `l`, and the
//! objective is `χ²(l) = Σ_p w_p (y_p − f_p(l))²` with `w_p = 1 / (1/ivar_p + s²_p)`
//! over the usable pixels (finite flux, finite positive ivar, finite s²). Because `f` is
//! linear in the terms `z`, `χ²(l) = zᵀ A z − 2 bᵀ z + c` with `A = Σ w θ θᵀ`,
//! `b = Σ w y θ`, `c = Σ w y²`, computed once per spectrum by one matrix product
//! (faer). Levenberg–Marquardt then runs in the space of the terms: the residual
//! gradient is `Jᵀ W r = Dᵀ (b − A z)` and the Gauss–Newton matrix `Jᵀ W J = Dᵀ A D`, with
//! `D = dz/dl` the vectorizer's analytic Jacobian; these are exact (not approximations),
//! and cost nothing that grows with the number of pixels, so several starting points are
//! cheap. The fit with the lowest χ² wins; χ² and the model flux are then recomputed
//! pixel by pixel.
//!
//! Starting points (scaled): the origin (the training set's median labels) and ±0.5 along
//! each label axis, or the caller's own ([`Fitter::starts`]).

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::CannonError;
use crate::linalg::Cholesky;
use crate::model::CannonModel;
use crate::vectorizer::QuadraticVectorizer;

/// The result of fitting one spectrum.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CannonFit {
    /// Fitted labels, physical units, in the model's label order.
    pub labels: Array1<f64>,
    /// Covariance of the labels, physical units: `(Jᵀ W J)⁻¹` at the fit, unscaled. All
    /// NaN when that matrix is singular (a label the spectrum does not constrain).
    pub covariance: Array2<f64>,
    /// `Σ w_p (y_p − f_p)²` over the usable pixels, `w_p = 1/(1/ivar_p + s²_p)`.
    pub chi_sq: f64,
    /// `chi_sq / (n_pixels − n_labels)`.
    pub r_chi_sq: f64,
    /// Median of `flux * sqrt(ivar)` over the usable pixels (the spectrum's own S/N,
    /// without the model's scatter).
    pub snr: f64,
    /// The starting point the winning fit began from, physical units.
    pub x0: Array1<f64>,
    /// The model's normalized flux at the fitted labels, every pixel.
    pub model_flux: Array1<f64>,
    /// Usable pixels (finite flux, finite positive ivar, trained model pixel).
    pub n_pixels: usize,
    /// Levenberg–Marquardt iterations of the winning fit.
    pub iterations: usize,
    /// Whether the winning fit met the convergence test within the iteration limit.
    pub converged: bool,
}

/// Fits spectra with a trained model.
///
/// ```no_run
/// # use astra_thecannon::{model::CannonModel, fit::Fitter};
/// # fn f(model: &CannonModel, flux: ndarray::ArrayView1<f64>, ivar: ndarray::ArrayView1<f64>) -> Result<(), astra_thecannon::CannonError> {
/// let fit = Fitter::new(model).fit(flux, ivar)?;
/// println!("{:?} ± {:?}", fit.labels, fit.covariance.diag().mapv(f64::sqrt));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Fitter<'m> {
    model: &'m CannonModel,
    /// Scaled starting points, one per row.
    starts: Array2<f64>,
    /// The same in physical units (reported as `x0`).
    starts_physical: Array2<f64>,
    max_iterations: usize,
}

impl<'m> Fitter<'m> {
    /// A fitter with the default starting points and at most 100 iterations per start.
    pub fn new(model: &'m CannonModel) -> Self {
        let l = model.n_labels();
        let mut starts = Array2::zeros((2 * l + 1, l));
        for k in 0..l {
            starts[(1 + 2 * k, k)] = 0.5;
            starts[(2 + 2 * k, k)] = -0.5;
        }
        let scaling = model.scaling();
        let starts_physical = Array2::from_shape_fn(starts.dim(), |(i, k)| scaling.unscale(k, starts[(i, k)]));
        Self {
            model,
            starts,
            starts_physical,
            max_iterations: 100,
        }
    }

    /// Start from these points instead (`n_starts x n_labels`, physical units).
    pub fn starts(mut self, starts: ArrayView2<'_, f64>) -> Result<Self, CannonError> {
        let l = self.model.n_labels();
        if starts.ncols() != l || starts.nrows() == 0 || starts.iter().any(|v| !v.is_finite()) {
            return Err(CannonError::Shape {
                what: "starting points (finite values)",
                found: starts.shape().to_vec(),
                expected: vec![starts.nrows().max(1), l],
            });
        }
        let scaling = self.model.scaling();
        self.starts = Array2::from_shape_fn(starts.dim(), |(i, k)| scaling.scale(k, starts[(i, k)]));
        self.starts_physical = starts.to_owned();
        Ok(self)
    }

    /// At most this many Levenberg–Marquardt iterations per starting point (>= 1).
    pub fn max_iterations(mut self, n: usize) -> Result<Self, CannonError> {
        if n == 0 {
            return Err(CannonError::Setting {
                setting: "max_iterations",
                value: "0".into(),
                reason: "at least one iteration is needed",
            });
        }
        self.max_iterations = n;
        Ok(self)
    }

    /// Fits one spectrum (`flux`, `ivar` over the model's pixels, continuum-normalized).
    ///
    /// Errors: a length that is not the model's pixel count ([`CannonError::Shape`]), a
    /// negative ivar ([`CannonError::NegativeIvar`]), fewer than `n_labels + 1` usable
    /// pixels, e.g. an all-zero ivar ([`CannonError::TooFewPixels`]).
    pub fn fit(&self, flux: ArrayView1<'_, f64>, ivar: ArrayView1<'_, f64>) -> Result<CannonFit, CannonError> {
        let mut work = Workspace::new(self.model);
        self.fit_with(&mut work, 0, flux, ivar)
    }

    /// Fits every row of `flux` and `ivar` (`n_spectra x n_pixels`), one result per row,
    /// on the calling thread.
    pub fn fit_many(
        &self,
        flux: ArrayView2<'_, f64>,
        ivar: ArrayView2<'_, f64>,
    ) -> Result<Vec<Result<CannonFit, CannonError>>, CannonError> {
        if flux.dim() != ivar.dim() {
            return Err(CannonError::Shape {
                what: "ivar",
                found: ivar.shape().to_vec(),
                expected: flux.shape().to_vec(),
            });
        }
        let mut work = Workspace::new(self.model);
        Ok(flux
            .rows()
            .into_iter()
            .zip(ivar.rows())
            .enumerate()
            .map(|(i, (f, v))| self.fit_with(&mut work, i, f, v))
            .collect())
    }

    fn fit_with(
        &self,
        work: &mut Workspace,
        spectrum: usize,
        flux: ArrayView1<'_, f64>,
        ivar: ArrayView1<'_, f64>,
    ) -> Result<CannonFit, CannonError> {
        let model = self.model;
        let n_pixels = model.n_pixels();
        for (what, len) in [("flux", flux.len()), ("ivar", ivar.len())] {
            if len != n_pixels {
                return Err(CannonError::Shape {
                    what,
                    found: vec![len],
                    expected: vec![n_pixels],
                });
            }
        }
        let l = model.n_labels();
        let t = model.vectorizer().n_terms();
        let theta = model.theta();
        let s2 = model.s2();

        let (flux, ivar) = (contiguous(flux), contiguous(ivar));
        let s2 = contiguous(s2.view());
        if let Some(p) = ivar.iter().position(|v| *v < 0.0) {
            return Err(CannonError::NegativeIvar {
                what: "ivar",
                spectrum,
                pixel: p,
                value: ivar[p],
            });
        }
        // √w per pixel (0 where unusable), in one pass without branches, then the usable
        // pixels and their S/N.
        work.sqrt_w.resize(n_pixels, 0.0);
        work.root_ivar.resize(n_pixels, 0.0);
        for ((((sw, rv), &y), &v), &s) in work
            .sqrt_w
            .iter_mut()
            .zip(work.root_ivar.iter_mut())
            .zip(flux.iter())
            .zip(ivar.iter())
            .zip(s2.iter())
        {
            let usable = y.is_finite() & v.is_finite() & (v > 0.0) & s.is_finite();
            let w = (v / (1.0 + v * s)).sqrt();
            *sw = if usable { w } else { 0.0 };
            *rv = if usable { v.sqrt() } else { 0.0 };
        }
        work.used.clear();
        work.snr.clear();
        for (p, (&rv, &y)) in work.root_ivar.iter().zip(flux.iter()).enumerate() {
            if rv > 0.0 {
                work.used.push(p);
                work.snr.push(y * rv);
            }
        }
        let m = work.used.len();
        if m <= l {
            return Err(CannonError::TooFewPixels {
                usable: m,
                needed: l + 1,
                n_labels: l,
            });
        }
        // The Gram matrix of X = [√w θ_p | √w y_p] over the usable pixels, summed block
        // by block (rows of X in a small buffer that stays in cache).
        let width = t + 1;
        let theta_rows = theta.as_standard_layout();
        let theta_rows = theta_rows.as_slice().unwrap_or_default();
        work.x.resize(GRAM_BLOCK * width, 0.0);
        let mut gram = vec![0.0; width * width];
        let mut accum = Accum::Replace;
        for block in work.used.chunks(GRAM_BLOCK) {
            for (row, &p) in work.x.chunks_exact_mut(width).zip(block) {
                let sw = work.sqrt_w[p];
                for (x, th) in row.iter_mut().zip(&theta_rows[p * t..(p + 1) * t]) {
                    *x = sw * th;
                }
                row[t] = sw * flux[p];
            }
            let x = MatRef::from_row_major_slice(&work.x[..block.len() * width], block.len(), width);
            matmul(
                MatMut::from_column_major_slice_mut(&mut gram, width, width),
                accum,
                x.transpose(),
                x,
                1.0,
                Par::Seq,
            );
            accum = Accum::Add;
        }
        let quad = Quadratic::from_gram(&gram, t);

        let vectorizer = model.vectorizer();
        let mut lm = LevenbergMarquardt::new(vectorizer);
        let mut best: Option<(Outcome, usize)> = None;
        for (i, start) in self.starts.rows().into_iter().enumerate() {
            let outcome = lm.run(
                &quad,
                start.as_slice().map(<[f64]>::to_vec).unwrap_or_else(|| start.to_vec()),
                self.max_iterations,
            );
            if best
                .as_ref()
                .is_none_or(|(b, _)| outcome.chi_sq < b.chi_sq || b.chi_sq.is_nan())
            {
                best = Some((outcome, i));
            }
        }
        let Some((best, start_index)) = best else {
            return Err(CannonError::Setting {
                setting: "starting points",
                value: "none".into(),
                reason: "at least one starting point is needed",
            });
        };

        let z = vectorizer.terms(&best.labels);
        let model_flux = theta.dot(&ArrayView1::from(&z[..]));
        let mut chi_sq = 0.0;
        for &p in &work.used {
            let r = (flux[p] - model_flux[p]) * work.sqrt_w[p];
            chi_sq += r * r;
        }
        let covariance_scaled = lm.covariance(&quad, &best.labels);
        let scaling = model.scaling();
        let sc = scaling.scales();
        let covariance = Array2::from_shape_fn((l, l), |(i, j)| covariance_scaled[i * l + j] * sc[i] * sc[j]);
        let labels = Array1::from_shape_fn(l, |k| scaling.unscale(k, best.labels[k]));
        let x0 = self.starts_physical.row(start_index).to_owned();
        let snr = median(&mut work.snr);
        Ok(CannonFit {
            labels,
            covariance,
            chi_sq,
            r_chi_sq: chi_sq / (m - l) as f64,
            snr,
            x0,
            model_flux,
            n_pixels: m,
            iterations: best.iterations,
            converged: best.converged,
        })
    }
}

/// Pixels summed into the Gram matrix at a time.
const GRAM_BLOCK: usize = 256;

/// Buffers reused from one spectrum to the next.
struct Workspace {
    used: Vec<usize>,
    snr: Vec<f64>,
    sqrt_w: Vec<f64>,
    root_ivar: Vec<f64>,
    x: Vec<f64>,
}

impl Workspace {
    fn new(model: &CannonModel) -> Self {
        Self {
            used: Vec::with_capacity(model.n_pixels()),
            snr: Vec::with_capacity(model.n_pixels()),
            sqrt_w: vec![0.0; model.n_pixels()],
            root_ivar: vec![0.0; model.n_pixels()],
            x: Vec::new(),
        }
    }
}

/// `χ²(z) = zᵀ A z − 2 bᵀ z + c` in the terms `z`.
struct Quadratic {
    t: usize,
    /// `t x t`, row-major.
    a: Vec<f64>,
    b: Vec<f64>,
    c: f64,
}

impl Quadratic {
    /// From the Gram matrix of `[√w θ | √w y]` (`(t+1) x (t+1)`, column-major).
    fn from_gram(gram: &[f64], t: usize) -> Self {
        let n = t + 1;
        let mut a = vec![0.0; t * t];
        for i in 0..t {
            for j in 0..t {
                a[i * t + j] = gram[j * n + i];
            }
        }
        let b = (0..t).map(|i| gram[t * n + i]).collect();
        Self {
            t,
            a,
            b,
            c: gram[t * n + t],
        }
    }

    /// χ² and `A z − b` at `z`.
    fn eval(&self, z: &[f64], az_b: &mut [f64]) -> f64 {
        let t = self.t;
        let mut chi = self.c;
        for i in 0..t {
            let row = &self.a[i * t..(i + 1) * t];
            let az: f64 = row.iter().zip(z).map(|(a, b)| a * b).sum();
            az_b[i] = az - self.b[i];
            chi += z[i] * (az - 2.0 * self.b[i]);
        }
        chi
    }
}

struct Outcome {
    labels: Vec<f64>,
    chi_sq: f64,
    iterations: usize,
    converged: bool,
}

/// Levenberg–Marquardt over the labels with the exact reduced gradient and
/// Gauss–Newton matrix (see the module documentation).
struct LevenbergMarquardt {
    vectorizer: QuadraticVectorizer,
    chol: Cholesky,
    z: Vec<f64>,
    jac: Vec<f64>,
    az_b: Vec<f64>,
    ad: Vec<f64>,
    jtj: Vec<f64>,
    damped: Vec<f64>,
    grad: Vec<f64>,
    trial: Vec<f64>,
}

impl LevenbergMarquardt {
    fn new(vectorizer: QuadraticVectorizer) -> Self {
        let (l, t) = (vectorizer.n_labels(), vectorizer.n_terms());
        Self {
            vectorizer,
            chol: Cholesky::new(l),
            z: vec![0.0; t],
            jac: vec![0.0; t * l],
            az_b: vec![0.0; t],
            ad: vec![0.0; t * l],
            jtj: vec![0.0; l * l],
            damped: vec![0.0; l * l],
            grad: vec![0.0; l],
            trial: vec![0.0; l],
        }
    }

    /// χ² at `labels`, with `grad = Dᵀ(b − A z)` and `jtj = Dᵀ A D` filled in.
    fn linearize(&mut self, quad: &Quadratic, labels: &[f64]) -> f64 {
        let (l, t) = (self.vectorizer.n_labels(), self.vectorizer.n_terms());
        self.vectorizer.terms_into(labels, &mut self.z);
        self.vectorizer.jacobian_into(labels, &mut self.jac);
        let chi = quad.eval(&self.z, &mut self.az_b);
        for k in 0..l {
            self.grad[k] = -(0..t).map(|i| self.jac[i * l + k] * self.az_b[i]).sum::<f64>();
        }
        // AD (t x l), then Dᵀ(AD).
        for i in 0..t {
            for k in 0..l {
                self.ad[i * l + k] = (0..t).map(|j| quad.a[i * t + j] * self.jac[j * l + k]).sum();
            }
        }
        for k in 0..l {
            for q in 0..l {
                self.jtj[k * l + q] = (0..t).map(|i| self.jac[i * l + k] * self.ad[i * l + q]).sum();
            }
        }
        chi
    }

    fn chi_at(&mut self, quad: &Quadratic, labels: &[f64]) -> f64 {
        self.vectorizer.terms_into(labels, &mut self.z);
        quad.eval(&self.z, &mut self.az_b)
    }

    fn run(&mut self, quad: &Quadratic, mut labels: Vec<f64>, max_iterations: usize) -> Outcome {
        let l = self.vectorizer.n_labels();
        let mut lambda = 1e-3;
        let mut chi = self.linearize(quad, &labels);
        let mut converged = false;
        let mut iterations = 0;
        while iterations < max_iterations {
            iterations += 1;
            let mut improved = false;
            // Try increasing damping until χ² drops (or damping is hopeless).
            while lambda < 1e16 {
                self.damped.copy_from_slice(&self.jtj);
                for k in 0..l {
                    let d = self.jtj[k * l + k];
                    self.damped[k * l + k] = d + lambda * d.max(1e-12);
                }
                if !self.chol.factor_full(&self.damped) {
                    lambda *= 10.0;
                    continue;
                }
                let mut step = self.grad.clone();
                self.chol.solve(&mut step);
                for k in 0..l {
                    self.trial[k] = labels[k] + step[k];
                }
                let trial = self.trial.clone();
                let chi_trial = self.chi_at(quad, &trial);
                if chi_trial.is_finite() && chi_trial <= chi {
                    let small_step = step
                        .iter()
                        .zip(&labels)
                        .all(|(s, x)| s.abs() <= 1e-10 * (1.0 + x.abs()));
                    let small_drop = chi - chi_trial <= 1e-12 * chi.abs().max(1.0);
                    labels = trial;
                    chi = self.linearize(quad, &labels);
                    lambda = (lambda * 0.1).max(1e-12);
                    improved = true;
                    converged = small_step || small_drop;
                    break;
                }
                lambda *= 10.0;
            }
            if !improved {
                // No damping reduces χ²: a minimum to machine precision.
                converged = true;
            }
            if converged {
                break;
            }
        }
        Outcome {
            labels,
            chi_sq: chi,
            iterations,
            converged,
        }
    }

    /// `(Dᵀ A D)⁻¹` at `labels` (scaled), row-major; NaN if singular.
    fn covariance(&mut self, quad: &Quadratic, labels: &[f64]) -> Vec<f64> {
        let l = self.vectorizer.n_labels();
        self.linearize(quad, labels);
        let jtj = self.jtj.clone();
        if self.chol.factor_full(&jtj) {
            self.chol.inverse()
        } else {
            vec![f64::NAN; l * l]
        }
    }
}

/// Median of a non-empty slice (reorders it); NaN if empty.
/// The values of `a`, borrowed when they are contiguous.
fn contiguous<'a>(a: ArrayView1<'a, f64>) -> std::borrow::Cow<'a, [f64]> {
    match a.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.to_vec()),
    }
}

fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower = values[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (lower + upper)
    }
}

//! Per-pixel training: the coefficients θ and the scatter s² of one pixel from the
//! training set's fluxes at that pixel.
//!
//! The likelihood of pixel `p` is `y_n ~ N(θ · z_n, 1/ivar_n + s²)` over the training
//! spectra `n`, with `z_n` the vectorizer's terms of spectrum `n`'s scaled labels. For a
//! given s², θ maximizing it is the weighted least-squares solution with weights
//! `w_n = 1 / (1/ivar_n + s²)`, found by a Cholesky solve of the normal equations. What
//! remains is the profile negative log-likelihood in s² alone,
//! `N(s²) = ½ Σ (w_n r_n² − ln w_n)`, `r_n = y_n − θ(s²) · z_n`, whose derivative is
//! `g = ½ Σ w_n (1 − w_n r_n²)` (θ's own dependence drops out because θ is optimal) and
//! whose second derivative follows from `dθ/ds² = −A⁻¹ Σ w_n² r_n z_n` (`A = Σ w_n z_n z_nᵀ`).
//! s² is the root of `g` found by Newton's method safeguarded by a bracket (bisection
//! when a Newton step leaves it), started at the moment estimate
//! `mean(r² − 1/ivar)` of the s² = 0 fit; when `g(0) >= 0` the likelihood rises from
//! s² = 0 and s² = 0 is the answer. So θ and s² jointly maximize the pixel's likelihood.
//!
//! A pixel with no more usable training spectra (finite flux, finite positive ivar) than
//! terms, or whose usable labels do not constrain the terms, cannot be trained: it gets
//! θ = (1, 0, …, 0) (the normalized continuum, flux 1 whatever the labels) and
//! s² = +∞, so that fitting gives it zero weight.

use crate::linalg::Cholesky;

/// The design of one training set: terms of every training spectrum, and their packed
/// outer products (`z_n z_nᵀ`, upper triangle row by row) so that `A(s²)` is one
/// weighted sum per evaluation.
pub(crate) struct Design {
    n_spectra: usize,
    n_terms: usize,
    /// `n_spectra x n_terms`, row-major.
    terms: Vec<f64>,
    /// `n_spectra x n_packed`, row-major.
    outer: Vec<f64>,
}

impl Design {
    /// `terms` is `n_spectra x n_terms` row-major.
    pub(crate) fn new(terms: Vec<f64>, n_spectra: usize, n_terms: usize) -> Self {
        let n_packed = n_terms * (n_terms + 1) / 2;
        let mut outer = vec![0.0; n_spectra * n_packed];
        for n in 0..n_spectra {
            let z = &terms[n * n_terms..(n + 1) * n_terms];
            let row = &mut outer[n * n_packed..(n + 1) * n_packed];
            let mut k = 0;
            for i in 0..n_terms {
                for j in i..n_terms {
                    row[k] = z[i] * z[j];
                    k += 1;
                }
            }
        }
        Self {
            n_spectra,
            n_terms,
            terms,
            outer,
        }
    }

    fn n_packed(&self) -> usize {
        self.n_terms * (self.n_terms + 1) / 2
    }

    /// Whether `Σ z_n z_nᵀ` over all spectra is positive definite.
    pub(crate) fn is_full_rank(&self) -> bool {
        let mut packed = vec![0.0; self.n_packed()];
        for row in self.outer.chunks_exact(self.n_packed()) {
            packed.iter_mut().zip(row).for_each(|(a, b)| *a += b);
        }
        Cholesky::new(self.n_terms).factor_packed(&packed)
    }
}

/// Scratch space for training one pixel after another.
pub(crate) struct PixelTrainer<'d> {
    design: &'d Design,
    chol: Cholesky,
    packed: Vec<f64>,
    w: Vec<f64>,
    r: Vec<f64>,
    theta: Vec<f64>,
    u: Vec<f64>,
    ainv_u: Vec<f64>,
}

/// One evaluation of the profile at a given s².
struct Eval {
    g: f64,
    h: f64,
}

const MAX_ITERATIONS: usize = 100;
const REL_TOL: f64 = 1e-7;

impl<'d> PixelTrainer<'d> {
    pub(crate) fn new(design: &'d Design) -> Self {
        let n = design.n_spectra;
        let t = design.n_terms;
        Self {
            design,
            chol: Cholesky::new(t),
            packed: vec![0.0; design.n_packed()],
            w: vec![0.0; n],
            r: vec![0.0; n],
            theta: vec![0.0; t],
            u: vec![0.0; t],
            ainv_u: vec![0.0; t],
        }
    }

    /// Trains one pixel: `flux` and `ivar` over the training spectra, with unusable
    /// entries already given `ivar = 0` and a finite flux. Writes θ into `theta_out` and
    /// returns s².
    pub(crate) fn train(&mut self, flux: &[f64], ivar: &[f64], theta_out: &mut [f64]) -> f64 {
        let t = self.design.n_terms;
        let usable = ivar.iter().filter(|v| **v > 0.0).count();
        if usable <= t {
            return untrained(theta_out);
        }
        let Some(at_zero) = self.evaluate(flux, ivar, 0.0, false) else {
            return untrained(theta_out);
        };
        if at_zero.g >= 0.0 {
            theta_out.copy_from_slice(&self.theta);
            return 0.0;
        }
        // Moment estimate from the s² = 0 residuals.
        let (mut sum, mut count) = (0.0, 0.0);
        for (r, v) in self.r.iter().zip(ivar) {
            if *v > 0.0 {
                sum += r * r - 1.0 / v;
                count += 1.0;
            }
        }
        let mean_r2 = self
            .r
            .iter()
            .zip(ivar)
            .filter(|(_, v)| **v > 0.0)
            .map(|(r, _)| r * r)
            .sum::<f64>()
            / count;
        let mut s2 = (sum / count).max(1e-3 * mean_r2).max(f64::MIN_POSITIVE);
        let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
        for _ in 0..MAX_ITERATIONS {
            let Some(e) = self.evaluate(flux, ivar, s2, true) else {
                return untrained(theta_out);
            };
            if e.g < 0.0 {
                lo = s2;
            } else {
                hi = s2;
            }
            let newton = s2 - e.g / e.h;
            let next = if e.h > 0.0 && newton > lo && newton < hi {
                newton
            } else if hi.is_infinite() {
                4.0 * s2
            } else if lo > 0.0 {
                (lo * hi).sqrt()
            } else {
                0.5 * hi
            };
            let done = (next - s2).abs() <= REL_TOL * s2 || (hi - lo) <= REL_TOL * hi;
            s2 = next;
            if done {
                break;
            }
        }
        if self.evaluate(flux, ivar, s2, false).is_none() {
            return untrained(theta_out);
        }
        theta_out.copy_from_slice(&self.theta);
        s2
    }

    /// θ, residuals and weights at `s2`; `g` of the profile, and `h` when `curvature`
    /// (else NaN). `None` if the weighted normal equations are singular.
    fn evaluate(&mut self, flux: &[f64], ivar: &[f64], s2: f64, curvature: bool) -> Option<Eval> {
        let d = self.design;
        let (t, np) = (d.n_terms, d.n_packed());
        for (w, v) in self.w.iter_mut().zip(ivar) {
            *w = v / (1.0 + v * s2);
        }
        self.packed.iter_mut().for_each(|a| *a = 0.0);
        self.theta.iter_mut().for_each(|a| *a = 0.0);
        for n in 0..d.n_spectra {
            let w = self.w[n];
            if w == 0.0 {
                continue;
            }
            let row = &d.outer[n * np..(n + 1) * np];
            for (a, q) in self.packed.iter_mut().zip(row) {
                *a += w * q;
            }
            let wy = w * flux[n];
            let z = &d.terms[n * t..(n + 1) * t];
            for (b, zi) in self.theta.iter_mut().zip(z) {
                *b += wy * zi;
            }
        }
        if !self.chol.factor_packed(&self.packed) {
            return None;
        }
        self.chol.solve(&mut self.theta);
        self.u.iter_mut().for_each(|a| *a = 0.0);
        let (mut sum_w2, mut sum_w3r2, mut g) = (0.0, 0.0, 0.0);
        for n in 0..d.n_spectra {
            let z = &d.terms[n * t..(n + 1) * t];
            let model: f64 = z.iter().zip(&self.theta).map(|(a, b)| a * b).sum();
            let r = flux[n] - model;
            self.r[n] = r;
            let w = self.w[n];
            if w == 0.0 {
                continue;
            }
            let w2 = w * w;
            g += w - w2 * r * r;
            sum_w2 += w2;
            sum_w3r2 += w2 * w * r * r;
            if curvature {
                let w2r = w2 * r;
                for (u, zi) in self.u.iter_mut().zip(z) {
                    *u += w2r * zi;
                }
            }
        }
        if !curvature {
            return Some(Eval { g, h: f64::NAN });
        }
        self.ainv_u.copy_from_slice(&self.u);
        self.chol.solve(&mut self.ainv_u);
        let u_ainv_u: f64 = self.u.iter().zip(&self.ainv_u).map(|(a, b)| a * b).sum();
        let h = 2.0 * sum_w3r2 - sum_w2 - 2.0 * u_ainv_u;
        Some(Eval { g, h })
    }
}

/// The untrained pixel: θ = (1, 0, …), s² = +∞.
fn untrained(theta_out: &mut [f64]) -> f64 {
    theta_out.iter_mut().for_each(|a| *a = 0.0);
    if let Some(a) = theta_out.first_mut() {
        *a = 1.0;
    }
    f64::INFINITY
}

//! The fitting step: the labels of one normalized spectrum by nonlinear least squares
//! within the network's label bounds, with a radial-velocity shift, as The Payne's
//! published fitting code does.
//!
//! The parameters are the scaled labels, each bounded to [-0.5, 0.5] (the training
//! set's range), and, when [`Fitter::v_rad_tolerance`] is above zero, a radial velocity
//! `v` in km/s bounded to ±tolerance (The Payne's code fits it within ±5 km/s, the
//! default here). The model spectrum is the network's rest-frame flux, Doppler-shifted by
//! `v` and linearly interpolated back onto the network's pixels (a positive `v` moves
//! the star away). χ² weights each pixel by its inverse variance; pixels with zero
//! inverse variance or non-finite flux are left out.
//!
//! The minimizer is Levenberg–Marquardt with the analytic Jacobian (through the network,
//! and through the interpolation for `v`), each step projected back into the bounds, run
//! from several starting points (the centre of the label box and the corners of its
//! inner half); the lowest χ² wins. The covariance is the inverse of `JᵀWJ` at the
//! solution (the inverse variances taken as absolute, as The Payne's `curve_fit` call
//! does), scaled back to the labels' units.

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Side};
use ndarray::{Array1, Array2, ArrayView1, Axis};

use crate::error::PayneError;
use crate::network::Network;

/// The speed of light in km/s.
pub const SPEED_OF_LIGHT: f64 = 299_792.458;

/// The radial-velocity bound of The Payne's published fitting code, km/s.
pub const DEFAULT_V_RAD_TOLERANCE: f64 = 5.0;

/// One spectrum's fit.
#[derive(Debug, Clone, PartialEq)]
pub struct PayneFit {
    /// The labels, in their own units, in the network's order.
    pub labels: Array1<f64>,
    /// Their one-sigma errors (square roots of the covariance's diagonal).
    pub u_labels: Array1<f64>,
    /// The labels scaled as the network takes them.
    pub scaled_labels: Array1<f64>,
    /// The radial velocity (km/s); 0 when it is not fitted.
    pub v_rad: f64,
    /// Its one-sigma error; NaN when it is not fitted.
    pub u_v_rad: f64,
    /// Covariance of the fitted parameters in their own units: the labels, then the
    /// radial velocity when it is fitted. NaN when `JᵀWJ` is singular.
    pub covariance: Array2<f64>,
    /// χ² of the fit over the usable pixels.
    pub chi_sq: f64,
    /// χ² divided by (usable pixels − parameters).
    pub r_chi_sq: f64,
    /// Median of flux × sqrt(ivar) over the usable pixels.
    pub snr: f64,
    /// The model spectrum at the solution, at every pixel.
    pub model_flux: Array1<f64>,
    /// Levenberg–Marquardt iterations of the winning start.
    pub iterations: usize,
}

/// Fits spectra with one network: see the [module](self) for the method.
#[derive(Debug, Clone)]
pub struct Fitter<'a> {
    network: &'a Network,
    wavelength: Option<Array1<f64>>,
    v_rad_tolerance: f64,
    max_iterations: usize,
}

/// The model at one parameter vector: flux and Jacobian (P, K).
struct Evaluation {
    flux: Array1<f64>,
    jacobian: Array2<f64>,
}

impl<'a> Fitter<'a> {
    /// A fitter with The Payne's defaults: radial velocity within ±5 km/s, on the
    /// network's own wavelength grid.
    pub fn new(network: &'a Network) -> Self {
        Fitter {
            network,
            wavelength: network.wavelength().map(|w| w.to_owned()),
            v_rad_tolerance: DEFAULT_V_RAD_TOLERANCE,
            max_iterations: 200,
        }
    }

    /// The bound of the radial velocity, km/s (0: not fitted). A negative or non-finite
    /// value is refused when fitting.
    pub fn v_rad_tolerance(mut self, km_s: f64) -> Self {
        self.v_rad_tolerance = km_s;
        self
    }

    /// The wavelengths of the network's pixels (Angstrom), for a network whose file
    /// does not hold them: the Doppler shift needs them.
    pub fn wavelength(mut self, wavelength: Array1<f64>) -> Self {
        self.wavelength = Some(wavelength);
        self
    }

    /// The most Levenberg–Marquardt iterations per starting point (200 by default).
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.max_iterations = n;
        self
    }

    fn fits_v_rad(&self) -> bool {
        self.v_rad_tolerance > 0.0
    }

    fn n_parameters(&self) -> usize {
        self.network.n_labels() + usize::from(self.fits_v_rad())
    }

    fn check(&self) -> Result<(), PayneError> {
        let t = self.v_rad_tolerance;
        if !(t.is_finite() && t >= 0.0) {
            return Err(PayneError::Setting {
                setting: "v_rad_tolerance",
                value: t.to_string(),
                reason: "a finite number of km/s, at least 0",
            });
        }
        if t >= SPEED_OF_LIGHT / 2.0 {
            return Err(PayneError::Setting {
                setting: "v_rad_tolerance",
                value: t.to_string(),
                reason: "below half the speed of light",
            });
        }
        if self.fits_v_rad() {
            match &self.wavelength {
                None => {
                    return Err(PayneError::Setting {
                        setting: "wavelength",
                        value: "none".into(),
                        reason: "fitting a radial velocity needs the network's wavelength grid",
                    });
                }
                Some(w) if w.len() != self.network.n_pixels() => {
                    return Err(PayneError::Length {
                        what: "wavelength",
                        found: w.len(),
                        expected: self.network.n_pixels(),
                    });
                }
                Some(w) => {
                    if let Some(i) =
                        (1..w.len()).find(|&i| w[i].partial_cmp(&w[i - 1]) != Some(std::cmp::Ordering::Greater))
                    {
                        return Err(PayneError::Setting {
                            setting: "wavelength",
                            value: format!("{} then {} at pixel {i}", w[i - 1], w[i]),
                            reason: "strictly increasing",
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The model spectrum for scaled labels and a radial velocity (km/s; ignored when
    /// it is not fitted).
    pub fn model(&self, scaled_labels: ArrayView1<'_, f64>, v_rad: f64) -> Result<Array1<f64>, PayneError> {
        self.check()?;
        let mut theta = scaled_labels.to_vec();
        if self.fits_v_rad() {
            theta.push(v_rad);
        }
        Ok(self.evaluate(&theta)?.flux)
    }

    fn evaluate(&self, theta: &[f64]) -> Result<Evaluation, PayneError> {
        let n_labels = self.network.n_labels();
        let labels = ArrayView1::from(&theta[..n_labels]);
        let (rest, rest_jacobian) = self.network.predict_with_jacobian(labels)?;
        if !self.fits_v_rad() {
            return Ok(Evaluation {
                flux: rest,
                jacobian: rest_jacobian,
            });
        }
        let wavelength = self
            .wavelength
            .as_ref()
            .expect("checked: a wavelength grid when fitting v_rad");
        let v = theta[n_labels];
        let c = SPEED_OF_LIGHT;
        let factor = ((1.0 - v / c) / (1.0 + v / c)).sqrt();
        let dfactor_dv = -factor * c / (c * c - v * v);
        let p = rest.len();
        let mut flux = Array1::zeros(p);
        let mut jacobian = Array2::zeros((p, n_labels + 1));
        let mut j = 0;
        for i in 0..p {
            let t = wavelength[i] * factor;
            // Linear interpolation at t, held at the end values outside the grid.
            if t <= wavelength[0] {
                flux[i] = rest[0];
                jacobian
                    .row_mut(i)
                    .slice_mut(ndarray::s![..n_labels])
                    .assign(&rest_jacobian.row(0));
                continue;
            }
            if t >= wavelength[p - 1] {
                flux[i] = rest[p - 1];
                jacobian
                    .row_mut(i)
                    .slice_mut(ndarray::s![..n_labels])
                    .assign(&rest_jacobian.row(p - 1));
                continue;
            }
            while wavelength[j + 1] < t {
                j += 1;
            }
            while j > 0 && wavelength[j] > t {
                j -= 1;
            }
            let width = wavelength[j + 1] - wavelength[j];
            let w = (t - wavelength[j]) / width;
            flux[i] = rest[j] * (1.0 - w) + rest[j + 1] * w;
            for k in 0..n_labels {
                jacobian[(i, k)] = rest_jacobian[(j, k)] * (1.0 - w) + rest_jacobian[(j + 1, k)] * w;
            }
            let slope = (rest[j + 1] - rest[j]) / width;
            jacobian[(i, n_labels)] = slope * wavelength[i] * dfactor_dv;
        }
        Ok(Evaluation { flux, jacobian })
    }

    fn bounds(&self, k: usize) -> (f64, f64) {
        if k < self.network.n_labels() {
            (-0.5, 0.5)
        } else {
            (-self.v_rad_tolerance, self.v_rad_tolerance)
        }
    }

    /// Fits one normalized spectrum (flux and inverse variance on the network's pixels).
    pub fn fit(&self, flux: ArrayView1<'_, f64>, ivar: ArrayView1<'_, f64>) -> Result<PayneFit, PayneError> {
        self.check()?;
        let p = self.network.n_pixels();
        for (what, a) in [("flux", &flux), ("ivar", &ivar)] {
            if a.len() != p {
                return Err(PayneError::Length {
                    what,
                    found: a.len(),
                    expected: p,
                });
            }
        }
        let weights: Array1<f64> = flux
            .iter()
            .zip(ivar.iter())
            .map(|(f, w)| {
                if f.is_finite() && w.is_finite() && *w > 0.0 {
                    *w
                } else {
                    0.0
                }
            })
            .collect();
        let data: Array1<f64> = flux.mapv(|f| if f.is_finite() { f } else { 0.0 });
        let usable = weights.iter().filter(|w| **w > 0.0).count();
        let k = self.n_parameters();
        if usable <= k {
            return Err(PayneError::TooFewPixels {
                usable,
                needed: k + 1,
                n_parameters: k,
            });
        }

        let mut best: Option<(Vec<f64>, f64, usize)> = None;
        for start in self.starts() {
            let (theta, chi_sq, iterations) = self.minimize(start, data.view(), weights.view())?;
            if best.as_ref().is_none_or(|b| chi_sq < b.1) {
                best = Some((theta, chi_sq, iterations));
            }
        }
        let (theta, chi_sq, iterations) = best.expect("at least one starting point");

        let at = self.evaluate(&theta)?;
        let (normal, _) = normal_equations(&at, data.view(), weights.view());
        let n_labels = self.network.n_labels();
        let range = &self.network.x_max() - &self.network.x_min();
        let scale: Vec<f64> = (0..k).map(|i| if i < n_labels { range[i] } else { 1.0 }).collect();
        let covariance = match invert(&normal) {
            Some(inv) => Array2::from_shape_fn((k, k), |(r, c)| inv[(r, c)] * scale[r] * scale[c]),
            None => Array2::from_elem((k, k), f64::NAN),
        };
        let scaled_labels = Array1::from(theta[..n_labels].to_vec());
        let labels = self.network.unscale(scaled_labels.view())?;
        let u_labels = Array1::from_shape_fn(n_labels, |i| covariance[(i, i)].sqrt());
        let (v_rad, u_v_rad) = if self.fits_v_rad() {
            (theta[n_labels], covariance[(n_labels, n_labels)].sqrt())
        } else {
            (0.0, f64::NAN)
        };
        let mut snr: Vec<f64> = data
            .iter()
            .zip(weights.iter())
            .filter(|(_, w)| **w > 0.0)
            .map(|(f, w)| f * w.sqrt())
            .collect();
        Ok(PayneFit {
            labels,
            u_labels,
            scaled_labels,
            v_rad,
            u_v_rad,
            covariance,
            chi_sq,
            r_chi_sq: chi_sq / (usable - k) as f64,
            snr: median(&mut snr),
            model_flux: at.flux,
            iterations,
        })
    }

    /// The starting points: the centre of the label box, then the corners of its inner
    /// half (radial velocity 0).
    fn starts(&self) -> Vec<Vec<f64>> {
        let n_labels = self.network.n_labels();
        let k = self.n_parameters();
        let mut starts = vec![vec![0.0; k]];
        if n_labels <= 4 {
            for corner in 0..(1usize << n_labels) {
                let mut s = vec![0.0; k];
                for (i, v) in s.iter_mut().enumerate().take(n_labels) {
                    *v = if corner >> i & 1 == 1 { 0.25 } else { -0.25 };
                }
                starts.push(s);
            }
        }
        starts
    }

    /// Projected Levenberg–Marquardt from `start`: the parameters, χ² and iterations.
    fn minimize(
        &self,
        start: Vec<f64>,
        data: ArrayView1<'_, f64>,
        weights: ArrayView1<'_, f64>,
    ) -> Result<(Vec<f64>, f64, usize), PayneError> {
        let k = start.len();
        let mut theta = start;
        let mut at = self.evaluate(&theta)?;
        let mut chi_sq = chi_square(&at.flux, data, weights);
        let mut lambda = 1e-3;
        let mut iterations = 0;
        while iterations < self.max_iterations {
            iterations += 1;
            let (normal, gradient) = normal_equations(&at, data, weights);
            let mut improved = false;
            while lambda < 1e12 {
                let mut damped = normal.clone();
                let largest = (0..k).map(|i| normal[(i, i)]).fold(0.0_f64, f64::max);
                for i in 0..k {
                    damped[(i, i)] += lambda * (normal[(i, i)] + 1e-12 * largest.max(1e-300));
                }
                let Some(step) = solve(&damped, &gradient) else {
                    lambda *= 10.0;
                    continue;
                };
                let trial: Vec<f64> = (0..k)
                    .map(|i| {
                        let (lo, hi) = self.bounds(i);
                        (theta[i] + step[i]).clamp(lo, hi)
                    })
                    .collect();
                let moved = (0..k).map(|i| (trial[i] - theta[i]).abs()).fold(0.0, f64::max);
                if moved == 0.0 {
                    // Pinned at the bounds in every direction that helps.
                    return Ok((theta, chi_sq, iterations));
                }
                let next = self.evaluate(&trial)?;
                let next_chi_sq = chi_square(&next.flux, data, weights);
                if next_chi_sq <= chi_sq {
                    let gain = chi_sq - next_chi_sq;
                    theta = trial;
                    at = next;
                    let converged = gain <= 1e-10 * chi_sq.max(1e-300) || moved < 1e-10;
                    chi_sq = next_chi_sq;
                    lambda = (lambda / 10.0).max(1e-12);
                    improved = true;
                    if converged {
                        return Ok((theta, chi_sq, iterations));
                    }
                    break;
                }
                lambda *= 10.0;
            }
            if !improved {
                break;
            }
        }
        Ok((theta, chi_sq, iterations))
    }
}

fn chi_square(model: &Array1<f64>, data: ArrayView1<'_, f64>, weights: ArrayView1<'_, f64>) -> f64 {
    model
        .iter()
        .zip(data.iter())
        .zip(weights.iter())
        .filter(|(_, w)| **w > 0.0)
        .map(|((m, d), w)| w * (d - m) * (d - m))
        .sum()
}

/// `JᵀWJ` and `JᵀW(data − model)`.
fn normal_equations(at: &Evaluation, data: ArrayView1<'_, f64>, weights: ArrayView1<'_, f64>) -> (Mat<f64>, Vec<f64>) {
    let k = at.jacobian.ncols();
    let mut normal = Mat::<f64>::zeros(k, k);
    let mut gradient = vec![0.0; k];
    for (i, row) in at.jacobian.axis_iter(Axis(0)).enumerate() {
        let w = weights[i];
        if w <= 0.0 {
            continue;
        }
        let r = data[i] - at.flux[i];
        for a in 0..k {
            gradient[a] += w * row[a] * r;
            for b in a..k {
                normal[(a, b)] += w * row[a] * row[b];
            }
        }
    }
    for a in 0..k {
        for b in 0..a {
            normal[(a, b)] = normal[(b, a)];
        }
    }
    (normal, gradient)
}

fn solve(matrix: &Mat<f64>, rhs: &[f64]) -> Option<Vec<f64>> {
    let inverse = invert(matrix)?;
    let k = rhs.len();
    Some((0..k).map(|r| (0..k).map(|c| inverse[(r, c)] * rhs[c]).sum()).collect())
}

/// The inverse of a symmetric positive-definite matrix (faer's Cholesky), `None` when it
/// is not numerically positive definite.
fn invert(matrix: &Mat<f64>) -> Option<Mat<f64>> {
    if (0..matrix.nrows()).any(|i| (0..matrix.ncols()).any(|j| !matrix[(i, j)].is_finite())) {
        return None;
    }
    let llt = matrix.llt(Side::Lower).ok()?;
    let inverse = llt.inverse();
    let finite = (0..inverse.nrows()).all(|i| (0..inverse.ncols()).all(|j| inverse[(i, j)].is_finite()));
    finite.then_some(inverse)
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

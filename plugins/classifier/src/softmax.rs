//! Multinomial logistic (softmax) regression with an L2 penalty, fitted by Newton's
//! method with a backtracking line search.
//!
//! For features `z` (with a leading 1 for the intercept) the probability of class `c` is
//! `p_c = exp(w_c · z) / Σ_k exp(w_k · z)`. Fitting minimizes the penalized negative
//! log-likelihood
//!
//! `L(W) = −Σ_i log p_{y_i}(z_i) + (λ/2) Σ_c |w_c|² + (λ₀/2) Σ_c b_c²`
//!
//! over all class weight vectors `w_c` (intercepts `b_c` separate, with a tiny fixed
//! `λ₀ = 1e-6` that only removes the softmax's invariance to a common shift). `L` is
//! strictly convex, so Newton's method with the exact Hessian
//! `Σ_i (diag(p_i) − p_i p_iᵀ) ⊗ z_i z_iᵀ + penalty` (solved by faer's Cholesky
//! factorization) converges to its unique minimum.

use faer::linalg::solvers::Solve;
use faer::{Col, Mat, Side};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::ClassifierError;

/// Penalty on the intercepts.
const INTERCEPT_L2: f64 = 1e-6;
/// Newton steps before giving up.
const MAX_ITERATIONS: usize = 100;

/// Log-probabilities `log p_c` for features `z` (without the leading 1) under weights `w`
/// (`n_classes x (1 + n_features)`, intercept first), by a stable log-sum-exp.
pub(crate) fn log_probabilities(w: ArrayView2<f64>, z: ArrayView1<f64>) -> Array1<f64> {
    let logits = Array1::from_shape_fn(w.nrows(), |c| {
        w[(c, 0)] + z.iter().enumerate().map(|(j, v)| w[(c, j + 1)] * v).sum::<f64>()
    });
    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let log_sum = top + logits.iter().map(|l| (l - top).exp()).sum::<f64>().ln();
    logits.mapv(|l| l - log_sum)
}

/// The penalized objective at `w`.
fn objective(w: ArrayView2<f64>, z: ArrayView2<f64>, y: &[usize], l2: f64) -> f64 {
    let nll: f64 = (0..z.nrows()).map(|i| -log_probabilities(w, z.row(i))[y[i]]).sum();
    let penalty: f64 = w
        .indexed_iter()
        .map(|((_, j), v)| 0.5 * if j == 0 { INTERCEPT_L2 } else { l2 } * v * v)
        .sum();
    nll + penalty
}

/// Fits the weights (`n_classes x (1 + n_features)`) to features `z`
/// (`n_spectra x n_features`) and classes `y`.
pub(crate) fn fit(z: ArrayView2<f64>, y: &[usize], n_classes: usize, l2: f64) -> Result<Array2<f64>, ClassifierError> {
    let (n, k) = z.dim();
    let d = k + 1;
    let size = n_classes * d;
    let mut w = Array2::<f64>::zeros((n_classes, d));
    let mut value = objective(w.view(), z, y, l2);
    let tolerance = 1e-8 * (n as f64).max(1.0);
    let mut gradient_norm = f64::INFINITY;
    for _ in 0..MAX_ITERATIONS {
        let mut g = Col::<f64>::zeros(size);
        let mut h = Mat::<f64>::zeros(size, size);
        let mut x = vec![0.0; d];
        for i in 0..n {
            x[0] = 1.0;
            for j in 0..k {
                x[j + 1] = z[(i, j)];
            }
            let p = log_probabilities(w.view(), z.row(i)).mapv(f64::exp);
            for c in 0..n_classes {
                let residual = p[c] - if y[i] == c { 1.0 } else { 0.0 };
                for a in 0..d {
                    g[c * d + a] += residual * x[a];
                }
                for c2 in 0..n_classes {
                    let weight = p[c] * (if c == c2 { 1.0 } else { 0.0 } - p[c2]);
                    if weight == 0.0 {
                        continue;
                    }
                    for a in 0..d {
                        let wa = weight * x[a];
                        for b in 0..d {
                            h[(c * d + a, c2 * d + b)] += wa * x[b];
                        }
                    }
                }
            }
        }
        for c in 0..n_classes {
            for a in 0..d {
                let lambda = if a == 0 { INTERCEPT_L2 } else { l2 };
                g[c * d + a] += lambda * w[(c, a)];
                h[(c * d + a, c * d + a)] += lambda;
            }
        }
        gradient_norm = (0..size).map(|i| g[i] * g[i]).sum::<f64>().sqrt();
        if gradient_norm < tolerance {
            return Ok(w);
        }
        let llt = h.llt(Side::Lower).map_err(|e| ClassifierError::Numerical {
            step: "the logistic regression's Newton step",
            detail: format!("{e:?}"),
        })?;
        let step = llt.solve(&g);
        // Backtracking: halve the step until the objective decreases.
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..40 {
            let trial = Array2::from_shape_fn((n_classes, d), |(c, a)| w[(c, a)] - t * step[c * d + a]);
            let trial_value = objective(trial.view(), z, y, l2);
            if trial_value <= value {
                w = trial;
                value = trial_value;
                improved = true;
                break;
            }
            t *= 0.5;
        }
        if !improved {
            break;
        }
    }
    Err(ClassifierError::NotConverged {
        iterations: MAX_ITERATIONS,
        gradient_norm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn log_probabilities_are_normalized_even_for_huge_logits() {
        let w = array![[0.0, 800.0], [0.0, -800.0], [1.0, 0.0]];
        let lp = log_probabilities(w.view(), array![1.0].view());
        assert!(lp.iter().all(|v| v.is_finite()));
        let total: f64 = lp.iter().map(|v| v.exp()).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn newton_reaches_a_zero_gradient_on_overlapping_classes() {
        // Two overlapping 1-d classes: the fit must stop at the penalized optimum, where
        // a small perturbation of any weight does not lower the objective.
        let z = array![[-1.0], [-0.5], [0.2], [0.4], [-0.1], [1.0], [1.5], [0.3]];
        let y = [0, 0, 0, 0, 1, 1, 1, 1];
        let w = fit(z.view(), &y, 2, 0.1).unwrap();
        let best = objective(w.view(), z.view(), &y, 0.1);
        for c in 0..2 {
            for a in 0..2 {
                for delta in [-1e-4, 1e-4] {
                    let mut moved = w.clone();
                    moved[(c, a)] += delta;
                    assert!(objective(moved.view(), z.view(), &y, 0.1) >= best - 1e-12);
                }
            }
        }
        // Larger z favours class 1.
        assert!(w[(1, 1)] > w[(0, 1)]);
    }
}

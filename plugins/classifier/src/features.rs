//! Features of a spectrum: its continuum-normalized flux projected onto the training
//! set's leading principal components, each scaled to unit variance over the training
//! set.
//!
//! Masked pixels (ivar = 0) are left out: in training they take the training set's
//! mean flux at that pixel (they add nothing to the decomposition); a spectrum to
//! classify with masked pixels gets the scores whose combination of components best
//! reproduces its usable pixels (least squares on the components restricted to the
//! usable pixels, "gappy" PCA as in Everson & Sirovich 1995), or, when those equations
//! are singular, the projection with masked pixels at the training mean.

use faer::linalg::solvers::Solve;
use faer::{Col, Mat, Side};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::ClassifierError;

/// A principal-component projection fitted on a training set.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Mean training flux per pixel (over the spectra where the pixel is unmasked; 0 for a
    /// pixel masked in every training spectrum).
    mean: Array1<f64>,
    /// `n_components x n_pixels`, orthonormal rows, leading component first.
    components: Array2<f64>,
    /// Standard deviation of the training scores along each component.
    scales: Array1<f64>,
}

/// Size, relative to the training flux's norm, below which a singular value counts as
/// zero.
const RANK_TOLERANCE: f64 = 1e-10;

impl Pca {
    /// Fits `n_components` components to `flux` (`n_spectra x n_pixels`) with `mask`
    /// (`true` where the pixel is usable). The caller has checked shapes and values.
    pub(crate) fn fit(
        flux: ArrayView2<f64>,
        mask: ArrayView2<bool>,
        n_components: usize,
    ) -> Result<Self, ClassifierError> {
        let (n_spectra, n_pixels) = flux.dim();
        let mut mean = Array1::zeros(n_pixels);
        for p in 0..n_pixels {
            let (mut sum, mut count) = (0.0, 0usize);
            for n in 0..n_spectra {
                if mask[(n, p)] {
                    sum += flux[(n, p)];
                    count += 1;
                }
            }
            if count > 0 {
                mean[p] = sum / count as f64;
            }
        }
        let centred = Mat::from_fn(n_spectra, n_pixels, |n, p| {
            if mask[(n, p)] { flux[(n, p)] - mean[p] } else { 0.0 }
        });
        let svd = centred.thin_svd().map_err(|e| ClassifierError::Numerical {
            step: "principal component analysis",
            detail: format!("{e:?}"),
        })?;
        let singular = svd.S().column_vector();
        let v = svd.V();
        // Variance below rounding error of the flux itself is no variance.
        let flux_norm = (0..n_spectra)
            .flat_map(|n| (0..n_pixels).map(move |p| (n, p)))
            .filter(|&(n, p)| mask[(n, p)])
            .map(|(n, p)| flux[(n, p)] * flux[(n, p)])
            .sum::<f64>()
            .sqrt();
        let rank = (0..singular.nrows())
            .filter(|&j| singular[j] > flux_norm * RANK_TOLERANCE)
            .count();
        // Scores of a centred training spectrum have variance s_j^2 / (n - 1).
        if rank < n_components || n_spectra < 2 {
            return Err(ClassifierError::DegenerateTrainingSet { rank, n_components });
        }
        let dof = (n_spectra - 1) as f64;
        let components = Array2::from_shape_fn((n_components, n_pixels), |(j, p)| v[(p, j)]);
        let scales = Array1::from_shape_fn(n_components, |j| singular[j] / dof.sqrt());
        Ok(Self {
            mean,
            components,
            scales,
        })
    }

    /// Rebuilds a projection from its parts (as read from a model file); `None` if the
    /// parts disagree in size or hold a non-finite value or a scale that is not > 0.
    pub(crate) fn from_parts(mean: Array1<f64>, components: Array2<f64>, scales: Array1<f64>) -> Option<Self> {
        let ok = components.ncols() == mean.len()
            && components.nrows() == scales.len()
            && mean.iter().chain(components.iter()).all(|v| v.is_finite())
            && scales.iter().all(|s| s.is_finite() && *s > 0.0);
        ok.then_some(Self {
            mean,
            components,
            scales,
        })
    }

    /// Mean training flux per pixel.
    pub fn mean(&self) -> &Array1<f64> {
        &self.mean
    }

    /// The components, `n_components x n_pixels`, leading first.
    pub fn components(&self) -> &Array2<f64> {
        &self.components
    }

    /// Standard deviation of the training scores along each component.
    pub fn scales(&self) -> &Array1<f64> {
        &self.scales
    }

    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.scales.len()
    }

    /// Number of pixels.
    pub fn n_pixels(&self) -> usize {
        self.mean.len()
    }

    /// The scaled scores of one spectrum. With every pixel usable they are the
    /// projections on the components; with masked pixels, the scores whose combination
    /// of components best matches the usable pixels in the least-squares sense
    /// (`(V_m V_mᵀ) a = V_m (x_m − mean_m)` over the usable pixels `m`, "gappy" PCA, as
    /// Everson & Sirovich 1995), falling back to the projection with masked pixels at the
    /// training mean when those equations are singular. The caller has checked the sizes
    /// and values.
    pub(crate) fn project(&self, flux: ArrayView1<f64>, mask: &[bool]) -> Array1<f64> {
        let k = self.n_components();
        let centred: Vec<f64> = (0..self.n_pixels())
            .map(|p| if mask[p] { flux[p] - self.mean[p] } else { 0.0 })
            .collect();
        let mut rhs = Col::<f64>::from_fn(k, |j| {
            self.components.row(j).iter().zip(&centred).map(|(c, x)| c * x).sum()
        });
        if mask.iter().any(|m| !m) {
            let normal = Mat::<f64>::from_fn(k, k, |i, j| {
                let (a, b) = (self.components.row(i), self.components.row(j));
                (0..self.n_pixels()).filter(|&p| mask[p]).map(|p| a[p] * b[p]).sum()
            });
            if let Ok(llt) = normal.llt(Side::Lower) {
                rhs = llt.solve(&rhs);
            }
        }
        Array1::from_shape_fn(k, |j| rhs[j] / self.scales[j])
    }
}

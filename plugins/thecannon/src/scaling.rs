//! Label scaling: the affine map between physical labels and the scaled labels the
//! model's polynomial is written in.

use ndarray::{Array1, ArrayView2};

/// `scaled = (label - offset) / scale`, per label.
///
/// [`from_training_labels`](Self::from_training_labels) takes each label's median as its
/// offset and half the width of its central 95% interval (2.5th to 97.5th percentile) as
/// its scale, so the bulk of a training set maps into about [-1, 1] whatever the label's
/// units (kelvin next to dex), which keeps the quadratic design matrix well conditioned.
/// Stored with the model: a model is only meaningful with the scaling it was trained in.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelScaling {
    offsets: Array1<f64>,
    scales: Array1<f64>,
}

impl LabelScaling {
    /// A scaling from explicit offsets and scales; `None` if their lengths differ or a
    /// scale is not a finite positive number or an offset is not finite.
    pub fn new(offsets: Array1<f64>, scales: Array1<f64>) -> Option<Self> {
        let ok = offsets.len() == scales.len()
            && offsets.iter().all(|o| o.is_finite())
            && scales.iter().all(|s| s.is_finite() && *s > 0.0);
        ok.then_some(Self { offsets, scales })
    }

    /// Median and half the central-95% width of each column of `labels`
    /// (`n_spectra x n_labels`, all finite). `Err(k)` names the first label whose scale
    /// comes out zero (a label that does not vary).
    pub fn from_training_labels(labels: ArrayView2<'_, f64>) -> Result<Self, usize> {
        let n_labels = labels.ncols();
        let mut offsets = Array1::zeros(n_labels);
        let mut scales = Array1::zeros(n_labels);
        for k in 0..n_labels {
            let mut col: Vec<f64> = labels.column(k).to_vec();
            col.sort_by(f64::total_cmp);
            let median = percentile(&col, 50.0);
            let mut scale = 0.5 * (percentile(&col, 97.5) - percentile(&col, 2.5));
            if scale <= 0.0 {
                // Few distinct values: fall back to the full range.
                scale = 0.5 * (col.last().copied().unwrap_or(0.0) - col.first().copied().unwrap_or(0.0));
            }
            if !(scale > 0.0 && scale.is_finite()) {
                return Err(k);
            }
            offsets[k] = median;
            scales[k] = scale;
        }
        Ok(Self { offsets, scales })
    }

    /// The offsets (subtracted first).
    pub fn offsets(&self) -> &Array1<f64> {
        &self.offsets
    }

    /// The scales (divided by after the offset is subtracted).
    pub fn scales(&self) -> &Array1<f64> {
        &self.scales
    }

    /// Number of labels.
    pub fn n_labels(&self) -> usize {
        self.offsets.len()
    }

    /// Physical label `value` of label `k` to its scaled value.
    pub fn scale(&self, k: usize, value: f64) -> f64 {
        (value - self.offsets[k]) / self.scales[k]
    }

    /// Scaled value of label `k` back to physical units.
    pub fn unscale(&self, k: usize, scaled: f64) -> f64 {
        scaled * self.scales[k] + self.offsets[k]
    }
}

/// Linear-interpolated percentile `q` (0–100) of sorted, non-empty `sorted`.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] * (1.0 - frac) + sorted[hi] * frac
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn median_and_half_central_range() {
        let labels = Array2::from_shape_fn((201, 1), |(i, _)| i as f64);
        let s = LabelScaling::from_training_labels(labels.view()).unwrap();
        assert_eq!(s.offsets()[0], 100.0);
        assert!((s.scales()[0] - 0.5 * (195.0 - 5.0)).abs() < 1e-12);
        assert!((s.unscale(0, s.scale(0, 42.0)) - 42.0).abs() < 1e-12);
    }

    #[test]
    fn constant_label_is_refused_by_index() {
        let mut labels = Array2::from_shape_fn((10, 2), |(i, _)| i as f64);
        labels.column_mut(1).fill(3.0);
        assert_eq!(LabelScaling::from_training_labels(labels.view()), Err(1));
    }
}

//! Networks with seeded random weights, for tests, demos and benchmarks: they have The
//! Payne's shape and output normalized-looking spectra (flux near 1 with features a few
//! pixels wide and a few per cent deep that change with the labels), but were trained
//! on nothing.

use astra_targets::spectrum::synthetic::Rng;
use ndarray::{Array1, Array2};

use crate::error::PayneError;
use crate::network::{Network, NetworkArrays};

/// The shape of a random network: its label bounds, hidden layer sizes and pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomNetwork {
    /// The labels' lower bounds.
    pub x_min: Array1<f64>,
    /// The labels' upper bounds.
    pub x_max: Array1<f64>,
    /// The sizes of the two hidden layers.
    pub hidden: (usize, usize),
    /// The pixels' wavelengths (Angstrom), increasing.
    pub wavelength: Array1<f64>,
    /// The typical size of the spectral features (0.03: a few per cent).
    pub depth: f64,
}

/// The width (standard deviation, pixels) of the Gaussian that smooths the output
/// weights along the pixels: spectral features a few pixels wide, as a spectrograph's
/// resolution makes them.
pub const SMOOTHING: f64 = 2.0;

/// Each column of `w` convolved with a unit-norm Gaussian of `width` pixels, so that a
/// column of white noise keeps its per-pixel size.
fn smooth(w: Array2<f64>, width: f64) -> Array2<f64> {
    let half = (4.0 * width).ceil() as isize;
    let kernel: Vec<f64> = (-half..=half)
        .map(|d| (-0.5 * (d as f64 / width).powi(2)).exp())
        .collect();
    let norm = kernel.iter().map(|k| k * k).sum::<f64>().sqrt();
    let (p, h) = w.dim();
    Array2::from_shape_fn((p, h), |(i, j)| {
        let mut sum = 0.0;
        for (d, k) in (-half..=half).zip(&kernel) {
            let at = (i as isize + d).clamp(0, p as isize - 1) as usize;
            sum += k * w[(at, j)];
        }
        sum / norm
    })
}

impl RandomNetwork {
    /// The shape used for stars: Teff 3,500–6,500 K, log g 0–5 and [Fe/H] −2 to +0.5 (in
    /// this order), hidden layers of 32 and 32 neurons, features about 4% deep, on the
    /// pixels of `wavelength`.
    pub fn stellar(wavelength: Array1<f64>) -> RandomNetwork {
        RandomNetwork {
            x_min: Array1::from(vec![3500.0, 0.0, -2.0]),
            x_max: Array1::from(vec![6500.0, 5.0, 0.5]),
            hidden: (32, 32),
            wavelength,
            depth: 0.04,
        }
    }

    /// The network drawn from `seed`: weights Gaussian, scaled so that each layer keeps
    /// its inputs' size; output biases 1.
    pub fn build(&self, seed: u64) -> Result<Network, PayneError> {
        let mut rng = Rng::new(seed);
        let n_labels = self.x_min.len();
        let (h1, h2) = self.hidden;
        let p = self.wavelength.len();
        let mut gaussian =
            |rows: usize, cols: usize, scale: f64| Array2::from_shape_fn((rows, cols), |_| scale * rng.normal());
        let w0 = gaussian(h1, n_labels, 1.5);
        let w1 = gaussian(h2, h1, 1.0 / (h1 as f64).sqrt());
        let w2 = smooth(gaussian(p, h2, self.depth / (h2 as f64).sqrt()), SMOOTHING);
        let b0 = Array1::from_shape_fn(h1, |_| 0.5 * rng.normal());
        let b1 = Array1::from_shape_fn(h2, |_| 0.5 * rng.normal());
        Network::new(NetworkArrays {
            weights: [w0, w1, w2],
            biases: [b0, b1, Array1::ones(p)],
            x_min: self.x_min.clone(),
            x_max: self.x_max.clone(),
            wavelength: Some(self.wavelength.clone()),
        })
    }
}

//! The Payne (Ting et al. 2019): stellar labels fitted with a neural network that
//! emulates normalized spectra. A fully connected network with two hidden layers and
//! leaky-ReLU activations maps scaled labels to the normalized flux at every pixel; the
//! labels of a spectrum are those whose emulated spectrum fits it best, within the range
//! of the network's training set.
//!
//! - [`network`]: [`Network`], read from (and written to) the `.npz` layout The Payne's
//!   training code saves, evaluated with its Jacobian.
//! - [`fit`]: the fitting step, [`Fitter`]: labels and a radial velocity by
//!   Levenberg–Marquardt within the bounds, with errors from the covariance, χ², reduced
//!   χ² and S/N in a [`PayneFit`].
//! - [`plugin`]: the `thepayne` plugin of the `astra` program (rows and an astraSource
//!   file per input, with a network file given by `--model`).
//! - [`train`]: [`Trainer`], a network of this shape trained on labelled spectra (the
//!   plugin's `astra train thepayne`).
//! - [`synthetic`]: networks with seeded random weights, for tests and demos.
//!
//! Linear algebra is faer's (Cholesky factorizations).
//!
//! ```
//! use astra_thepayne::network::{Network, NetworkArrays};
//! use astra_thepayne::Fitter;
//! use ndarray::{Array1, Array2, array};
//!
//! // A tiny network: 2 labels, hidden layers of 4 and 3, 40 pixels.
//! let w0 = Array2::from_shape_fn((4, 2), |(i, j)| ((i * 2 + j) as f64 * 0.7).sin());
//! let w1 = Array2::from_shape_fn((3, 4), |(i, j)| ((i * 4 + j) as f64 * 1.3).cos());
//! let w2 = Array2::from_shape_fn((40, 3), |(i, j)| 0.05 * ((i * 3 + j) as f64 * 0.37).sin());
//! let network = Network::new(NetworkArrays {
//!     weights: [w0, w1, w2],
//!     biases: [Array1::zeros(4), Array1::from_elem(3, 0.1), Array1::ones(40)],
//!     x_min: array![4000.0, 1.0],
//!     x_max: array![6000.0, 5.0],
//!     wavelength: None,
//! })?;
//! let truth = array![5200.0, 2.5];
//! let flux = network.predict(network.scale(truth.view())?.view())?;
//! let fit = Fitter::new(&network).v_rad_tolerance(0.0).fit(flux.view(), Array1::from_elem(40, 1e6).view())?;
//! assert!((fit.labels[0] - 5200.0).abs() < 1.0 && (fit.labels[1] - 2.5).abs() < 1e-3);
//! # Ok::<(), astra_thepayne::PayneError>(())
//! ```

// The numerical kernels index several arrays in lockstep; index loops read best there.
#![allow(clippy::needless_range_loop)]

mod error;
pub mod fit;
pub mod network;
pub mod plugin;
pub mod synthetic;
pub mod train;

pub use error::PayneError;
pub use fit::{Fitter, PayneFit};
pub use network::Network;
pub use train::Trainer;

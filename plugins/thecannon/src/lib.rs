//! The Cannon (Ness et al. 2015; Casey et al. 2016): a data-driven model of stellar
//! spectra in which each pixel's continuum-normalized flux is a quadratic polynomial in
//! the stellar labels (e.g. effective temperature, surface gravity, metallicity) plus
//! Gaussian scatter.
//!
//! The numerical core, independent of how spectra are read or results written:
//!
//! - [`continuum`]: continuum normalization of a spectrum (weighted, sigma-clipped
//!   Chebyshev fit per region).
//! - [`model`]: [`CannonModel`] and its [`Trainer`]: per pixel, the coefficients θ and
//!   scatter s² that jointly maximize the training set's likelihood (weighted least
//!   squares with weights `1/(1/ivar + s²)`, s² by Newton's method on the profile
//!   likelihood, see [`train`](crate::model::Trainer::train)).
//! - [`fit`]: the test step, [`Fitter`]: labels of a spectrum by Levenberg–Marquardt
//!   with the analytic Jacobian, from several starting points, with the covariance,
//!   χ², reduced χ², S/N and winning starting point in a [`CannonFit`].
//! - [`file`](mod@file): the versioned model file ([`CannonModel::save`], [`CannonModel::load`]).
//! - [`plugin`]: the `thecannon` plugin of the `astra` program (rows and an astraSource
//!   file per input, with a trained model file).
//! - [`synthetic`]: labelled synthetic spectra from a physical-looking line model that is
//!   *not* the Cannon's, for tests, demos and benchmarks.
//!
//! Linear algebra is faer's (Cholesky factorizations and matrix products).
//!
//! ```
//! use astra_thecannon::{fit::Fitter, model::Trainer, synthetic::SyntheticSpectra};
//!
//! let generator = SyntheticSpectra::new(1000).snr(100.0);
//! let train = generator.generate(120, 1);
//! let test = generator.generate(5, 2);
//! let model = Trainer::new(train.label_names.clone(), train.labels.view(), train.flux.view(), train.ivar.view())
//!     .train()?;
//! let fit = Fitter::new(&model).fit(test.flux.row(0), test.ivar.row(0))?;
//! assert!((fit.labels[0] - test.labels[(0, 0)]).abs() < 200.0); // teff within 200 K
//! # Ok::<(), astra_thecannon::CannonError>(())
//! ```

// The numerical kernels index several arrays in lockstep; index loops read best there.
#![allow(clippy::needless_range_loop)]

pub mod continuum;
mod error;
pub mod file;
pub mod fit;
mod linalg;
pub mod model;
pub mod plugin;
pub mod scaling;
pub mod synthetic;
mod train;
pub mod vectorizer;

pub use error::CannonError;
pub use fit::{CannonFit, Fitter};
pub use model::{CannonModel, Trainer};
pub use scaling::LabelScaling;

//! The Payne's network: a fully connected network with two hidden layers and leaky-ReLU
//! activations that maps scaled labels to the normalized flux at every pixel, read from
//! (and written to) the `.npz` layout The Payne's training code saves.
//!
//! The file holds, as NumPy arrays (float32 or float64, either byte order):
//!
//! | array | shape | meaning |
//! |---|---|---|
//! | `w_array_0` | (H1, L) | first hidden layer's weights |
//! | `b_array_0` | (H1,) | its biases |
//! | `w_array_1` | (H2, H1) | second hidden layer's weights |
//! | `b_array_1` | (H2,) | its biases |
//! | `w_array_2` | (P, H2) | output layer's weights, one row per pixel |
//! | `b_array_2` | (P,) | its biases |
//! | `x_min`, `x_max` | (L,) | the labels' range in the training set |
//! | `wavelength` | (P,) | optional: the pixels' vacuum wavelengths in Angstrom |
//!
//! The Payne publishes the wavelength grid in a file of its own (a `wavelength` array);
//! a network file may carry it as `wavelength`. Without it, the network's pixels are
//! taken to be the analysed spectrum's own pixels.
//!
//! Labels are scaled as The Payne scales them, `(x - x_min) / (x_max - x_min) - 0.5`,
//! so the training set spans [-0.5, 0.5] in every label.

use std::fs::File;
use std::path::{Path, PathBuf};

use astra_targets::fs::{AtomicPath, Commit};
use ndarray::{Array1, Array2, ArrayD, ArrayView1, Axis, Ix1, Ix2};
use ndarray_npy::{NpzReader, NpzWriter, ReadNpyError, ReadNpzError};

use crate::error::PayneError;

/// The slope of the leaky ReLU below zero, as in The Payne's published code.
pub const LEAKY_SLOPE: f64 = 0.01;

/// The arrays a network file must hold.
pub const REQUIRED_ARRAYS: [&str; 8] = [
    "w_array_0",
    "w_array_1",
    "w_array_2",
    "b_array_0",
    "b_array_1",
    "b_array_2",
    "x_min",
    "x_max",
];

fn leaky_relu(z: f64) -> f64 {
    if z > 0.0 { z } else { LEAKY_SLOPE * z }
}

fn leaky_relu_slope(z: f64) -> f64 {
    if z > 0.0 { 1.0 } else { LEAKY_SLOPE }
}

/// A trained network: weights, biases, label bounds and (optionally) its wavelength grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    weights: [Array2<f64>; 3],
    biases: [Array1<f64>; 3],
    x_min: Array1<f64>,
    x_max: Array1<f64>,
    wavelength: Option<Array1<f64>>,
}

/// A network's arrays before their shapes are checked ([`Network::new`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkArrays {
    /// `w_array_0`, `w_array_1`, `w_array_2`.
    pub weights: [Array2<f64>; 3],
    /// `b_array_0`, `b_array_1`, `b_array_2`.
    pub biases: [Array1<f64>; 3],
    /// The labels' lower bounds.
    pub x_min: Array1<f64>,
    /// The labels' upper bounds.
    pub x_max: Array1<f64>,
    /// The pixels' vacuum wavelengths (Angstrom), if known.
    pub wavelength: Option<Array1<f64>>,
}

/// Where an array came from, for error messages.
struct Origin<'a>(&'a Path);

impl Origin<'_> {
    fn array(&self, array: &'static str, reason: impl Into<String>) -> PayneError {
        PayneError::Array {
            path: self.0.to_path_buf(),
            array,
            reason: reason.into(),
        }
    }
}

impl Network {
    /// A network from its arrays, with every shape and value checked: the error names
    /// the array and says what is wrong (the path shown is `<memory>`).
    pub fn new(arrays: NetworkArrays) -> Result<Network, PayneError> {
        Network::checked(arrays, &Origin(Path::new("<memory>")))
    }

    fn checked(arrays: NetworkArrays, origin: &Origin<'_>) -> Result<Network, PayneError> {
        let NetworkArrays {
            weights,
            biases,
            x_min,
            x_max,
            wavelength,
        } = arrays;
        let n_labels = x_min.len();
        let expect = |array: &'static str, found: &[usize], expected: &[usize]| {
            if found == expected {
                Ok(())
            } else {
                Err(origin.array(array, format!("shape {found:?}, expected {expected:?}")))
            }
        };
        if n_labels == 0 {
            return Err(origin.array("x_min", "no labels (shape [0])"));
        }
        expect("x_max", x_max.shape(), &[n_labels])?;
        let (h1, h2, p) = (weights[0].nrows(), weights[1].nrows(), weights[2].nrows());
        expect("w_array_0", weights[0].shape(), &[h1, n_labels])?;
        expect("w_array_1", weights[1].shape(), &[h2, h1])?;
        expect("w_array_2", weights[2].shape(), &[p, h2])?;
        for (name, size) in [("w_array_0", h1), ("w_array_1", h2), ("w_array_2", p)] {
            if size == 0 {
                return Err(origin.array(name, "no rows (an empty layer)"));
            }
        }
        expect("b_array_0", biases[0].shape(), &[h1])?;
        expect("b_array_1", biases[1].shape(), &[h2])?;
        expect("b_array_2", biases[2].shape(), &[p])?;
        let names = ["w_array_0", "w_array_1", "w_array_2"];
        for (name, w) in names.iter().zip(&weights) {
            if let Some(v) = w.iter().find(|v| !v.is_finite()) {
                return Err(origin.array(name, format!("holds {v}, not a finite number")));
            }
        }
        let names = ["b_array_0", "b_array_1", "b_array_2", "x_min", "x_max"];
        for (name, b) in names.iter().zip(biases.iter().chain([&x_min, &x_max])) {
            if let Some(v) = b.iter().find(|v| !v.is_finite()) {
                return Err(origin.array(name, format!("holds {v}, not a finite number")));
            }
        }
        if let Some(k) = (0..n_labels).find(|&k| x_max[k] <= x_min[k]) {
            return Err(origin.array(
                "x_max",
                format!("label {k}: x_max {} is not above x_min {}", x_max[k], x_min[k]),
            ));
        }
        if let Some(w) = &wavelength {
            expect("wavelength", w.shape(), &[p])?;
            let bad = |i: usize| {
                let positive = w[i].is_finite() && w[i] > 0.0;
                !positive || (i > 0 && w[i].partial_cmp(&w[i - 1]) != Some(std::cmp::Ordering::Greater))
            };
            if let Some(i) = (0..p).find(|&i| bad(i)) {
                let before = if i > 0 {
                    w[i - 1].to_string()
                } else {
                    "none".to_string()
                };
                return Err(origin.array(
                    "wavelength",
                    format!(
                        "not positive and strictly increasing at pixel {i} ({before} then {})",
                        w[i]
                    ),
                ));
            }
        }
        Ok(Network {
            weights,
            biases,
            x_min,
            x_max,
            wavelength,
        })
    }

    /// Reads a network file in The Payne's `.npz` layout (see the [module](self)). A
    /// missing array, an array of another type or shape, or a non-finite value is an
    /// error naming the file and the array.
    pub fn load(path: impl AsRef<Path>) -> Result<Network, PayneError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| PayneError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let npz_err = |source| PayneError::Npz {
            path: path.to_path_buf(),
            source,
        };
        let mut npz = NpzReader::new(file).map_err(npz_err)?;
        let names = npz.names().map_err(npz_err)?;
        let origin = Origin(path);
        let mut read = |array: &'static str| -> Result<Option<ArrayD<f64>>, PayneError> {
            if !names.iter().any(|n| n == array) {
                return Ok(None);
            }
            read_float(&mut npz, path, array).map(Some)
        };
        let mut required = |array: &'static str| match read(array)? {
            Some(a) => Ok(a),
            None => Err(PayneError::MissingArray {
                path: path.to_path_buf(),
                array,
                found: if names.is_empty() {
                    "no arrays".to_string()
                } else {
                    names.join(", ")
                },
            }),
        };
        let matrix = |array: &'static str, a: ArrayD<f64>| {
            let shape = a.shape().to_vec();
            a.into_dimensionality::<Ix2>()
                .map_err(|_| origin.array(array, format!("shape {shape:?}, expected 2 dimensions")))
        };
        let vector = |array: &'static str, a: ArrayD<f64>| {
            let shape = a.shape().to_vec();
            a.into_dimensionality::<Ix1>()
                .map_err(|_| origin.array(array, format!("shape {shape:?}, expected 1 dimension")))
        };
        let w0 = matrix("w_array_0", required("w_array_0")?)?;
        let w1 = matrix("w_array_1", required("w_array_1")?)?;
        let w2 = matrix("w_array_2", required("w_array_2")?)?;
        let b0 = vector("b_array_0", required("b_array_0")?)?;
        let b1 = vector("b_array_1", required("b_array_1")?)?;
        let b2 = vector("b_array_2", required("b_array_2")?)?;
        let x_min = vector("x_min", required("x_min")?)?;
        let x_max = vector("x_max", required("x_max")?)?;
        let wavelength = match read("wavelength")? {
            Some(w) => Some(vector("wavelength", w)?),
            None => None,
        };
        Network::checked(
            NetworkArrays {
                weights: [w0, w1, w2],
                biases: [b0, b1, b2],
                x_min,
                x_max,
                wavelength,
            },
            &origin,
        )
    }

    /// Writes the network to `path` in The Payne's `.npz` layout (float64 arrays, stored
    /// uncompressed as `numpy.savez` does), atomically: the file appears whole or not at
    /// all.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), PayneError> {
        let path = path.as_ref();
        let file = AtomicPath::new(path)?;
        let tmp: PathBuf = file.temp_path().to_path_buf();
        let write_err = |source| PayneError::WriteNpz {
            path: path.to_path_buf(),
            source,
        };
        let out = File::create(&tmp).map_err(|source| PayneError::Io {
            path: tmp.clone(),
            source,
        })?;
        let mut npz = NpzWriter::new(out);
        for (i, w) in self.weights.iter().enumerate() {
            npz.add_array(format!("w_array_{i}"), w).map_err(write_err)?;
        }
        for (i, b) in self.biases.iter().enumerate() {
            npz.add_array(format!("b_array_{i}"), b).map_err(write_err)?;
        }
        npz.add_array("x_min", &self.x_min).map_err(write_err)?;
        npz.add_array("x_max", &self.x_max).map_err(write_err)?;
        if let Some(w) = &self.wavelength {
            npz.add_array("wavelength", w).map_err(write_err)?;
        }
        let out = npz.finish().map_err(write_err)?;
        out.sync_all().map_err(|source| PayneError::Io { path: tmp, source })?;
        file.commit(Commit::replacing().durable(true))?;
        Ok(())
    }

    /// The number of labels.
    pub fn n_labels(&self) -> usize {
        self.x_min.len()
    }

    /// The number of pixels of the output.
    pub fn n_pixels(&self) -> usize {
        self.biases[2].len()
    }

    /// The sizes of the two hidden layers.
    pub fn hidden_sizes(&self) -> (usize, usize) {
        (self.biases[0].len(), self.biases[1].len())
    }

    /// The labels' lower bounds (`x_min`).
    pub fn x_min(&self) -> ArrayView1<'_, f64> {
        self.x_min.view()
    }

    /// The labels' upper bounds (`x_max`).
    pub fn x_max(&self) -> ArrayView1<'_, f64> {
        self.x_max.view()
    }

    /// The pixels' wavelengths, when the file holds them.
    pub fn wavelength(&self) -> Option<ArrayView1<'_, f64>> {
        self.wavelength.as_ref().map(|w| w.view())
    }

    /// The same network with its pixels' wavelengths set.
    pub fn with_wavelength(mut self, wavelength: Array1<f64>) -> Result<Network, PayneError> {
        self.wavelength = Some(wavelength);
        let Network {
            weights,
            biases,
            x_min,
            x_max,
            wavelength,
        } = self;
        Network::new(NetworkArrays {
            weights,
            biases,
            x_min,
            x_max,
            wavelength,
        })
    }

    fn check_labels(&self, labels: ArrayView1<'_, f64>) -> Result<(), PayneError> {
        if labels.len() == self.n_labels() {
            Ok(())
        } else {
            Err(PayneError::Length {
                what: "labels",
                found: labels.len(),
                expected: self.n_labels(),
            })
        }
    }

    /// Labels in their own units scaled as the network takes them:
    /// `(x - x_min) / (x_max - x_min) - 0.5`.
    pub fn scale(&self, labels: ArrayView1<'_, f64>) -> Result<Array1<f64>, PayneError> {
        self.check_labels(labels)?;
        Ok((&labels - &self.x_min) / (&self.x_max - &self.x_min) - 0.5)
    }

    /// Scaled labels back in their own units.
    pub fn unscale(&self, scaled: ArrayView1<'_, f64>) -> Result<Array1<f64>, PayneError> {
        self.check_labels(scaled)?;
        Ok((&scaled + 0.5) * (&self.x_max - &self.x_min) + &self.x_min)
    }

    /// The normalized flux at every pixel for `scaled` labels.
    pub fn predict(&self, scaled: ArrayView1<'_, f64>) -> Result<Array1<f64>, PayneError> {
        self.check_labels(scaled)?;
        let a0 = (self.weights[0].dot(&scaled) + &self.biases[0]).mapv(leaky_relu);
        let a1 = (self.weights[1].dot(&a0) + &self.biases[1]).mapv(leaky_relu);
        Ok(self.weights[2].dot(&a1) + &self.biases[2])
    }

    /// The normalized flux for `scaled` labels and its derivatives with respect to them,
    /// (P, L), through the network (the leaky ReLU's slope taken as 0.01 at zero).
    pub fn predict_with_jacobian(&self, scaled: ArrayView1<'_, f64>) -> Result<(Array1<f64>, Array2<f64>), PayneError> {
        self.check_labels(scaled)?;
        let z0 = self.weights[0].dot(&scaled) + &self.biases[0];
        let a0 = z0.mapv(leaky_relu);
        let z1 = self.weights[1].dot(&a0) + &self.biases[1];
        let a1 = z1.mapv(leaky_relu);
        let flux = self.weights[2].dot(&a1) + &self.biases[2];
        // d a0 / d x = diag(slope(z0)) W0; d a1 / d x = diag(slope(z1)) W1 d a0 / d x.
        let mut da0 = self.weights[0].clone();
        for (mut row, z) in da0.axis_iter_mut(Axis(0)).zip(z0.iter()) {
            row *= leaky_relu_slope(*z);
        }
        let mut da1 = self.weights[1].dot(&da0);
        for (mut row, z) in da1.axis_iter_mut(Axis(0)).zip(z1.iter()) {
            row *= leaky_relu_slope(*z);
        }
        Ok((flux, self.weights[2].dot(&da1)))
    }
}

/// Reads one array as float64, from float64 or float32 data.
fn read_float(npz: &mut NpzReader<File>, path: &Path, array: &'static str) -> Result<ArrayD<f64>, PayneError> {
    let wrong_type = |e: &ReadNpzError| matches!(e, ReadNpzError::Npy(ReadNpyError::WrongDescriptor(_)));
    let unreadable = |e: ReadNpzError| PayneError::Array {
        path: path.to_path_buf(),
        array,
        reason: e.to_string(),
    };
    match npz.by_name::<ndarray::OwnedRepr<f64>, ndarray::IxDyn>(array) {
        Ok(a) => Ok(a),
        Err(e) if wrong_type(&e) => match npz.by_name::<ndarray::OwnedRepr<f32>, ndarray::IxDyn>(array) {
            Ok(a) => Ok(a.mapv(f64::from)),
            Err(e) if wrong_type(&e) => Err(PayneError::Array {
                path: path.to_path_buf(),
                array,
                reason: format!("{e}; a network's arrays are float32 or float64"),
            }),
            Err(e) => Err(unreadable(e)),
        },
        Err(e) => Err(unreadable(e)),
    }
}

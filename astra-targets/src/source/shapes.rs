//! The shape rules of the astraSource images (`_check_shapes` of the seed).

use ndarray::{Array, Array2, ArrayView, ArrayView2, ArrayViewD, CowArray, Dimension, Ix2};

use crate::{Error, Result};

/// A float image handed to the writer: 1-D (P) or 2-D (N, P), borrowed.
#[derive(Debug, Clone)]
pub struct Pixels<'a>(pub ArrayViewD<'a, f32>);

impl<'a, D: Dimension> From<ArrayView<'a, f32, D>> for Pixels<'a> {
    fn from(a: ArrayView<'a, f32, D>) -> Self {
        Pixels(a.into_dyn())
    }
}

impl<'a, D: Dimension> From<&'a Array<f32, D>> for Pixels<'a> {
    fn from(a: &'a Array<f32, D>) -> Self {
        Pixels(a.view().into_dyn())
    }
}

/// The images of an astraSource file as a task hands them over, before they are checked:
/// the normalized flux and its inverse variance, then, each optional and set by its name,
/// the continuum, the model flux and the model inverse variance. Arrays are 1-D (P, one
/// spectrum) or 2-D (N, P), borrowed.
///
/// ```
/// use astra_targets::source::SourceImages;
/// use ndarray::Array2;
///
/// let flux = Array2::<f32>::ones((2, 100));
/// let ivar = Array2::<f32>::ones((2, 100));
/// let model = Array2::<f32>::ones((2, 100));
/// let images = SourceImages::new(&flux, &ivar).model_flux(&model).check(2).unwrap();
/// assert_eq!(images.shape(), (2, 100));
/// assert!(images.continuum().iter().all(|x| x.is_nan())); // not given: NaN
/// ```
#[derive(Debug, Clone)]
pub struct SourceImages<'a> {
    normalized_flux: Pixels<'a>,
    normalized_ivar: Pixels<'a>,
    continuum: Option<Pixels<'a>>,
    model_flux: Option<Pixels<'a>>,
    model_ivar: Option<Pixels<'a>>,
}

impl<'a> SourceImages<'a> {
    /// The normalized flux and its inverse variance; no continuum and no model yet.
    pub fn new(normalized_flux: impl Into<Pixels<'a>>, normalized_ivar: impl Into<Pixels<'a>>) -> Self {
        SourceImages {
            normalized_flux: normalized_flux.into(),
            normalized_ivar: normalized_ivar.into(),
            continuum: None,
            model_flux: None,
            model_ivar: None,
        }
    }

    /// Sets the continuum of the flux (NaN when not set).
    pub fn continuum(mut self, continuum: impl Into<Pixels<'a>>) -> Self {
        self.continuum = Some(continuum.into());
        self
    }

    /// Sets the model of the normalized flux (NaN when not set).
    pub fn model_flux(mut self, model_flux: impl Into<Pixels<'a>>) -> Self {
        self.model_flux = Some(model_flux.into());
        self
    }

    /// Sets the inverse variance of the model flux (NaN when not set).
    pub fn model_ivar(mut self, model_ivar: impl Into<Pixels<'a>>) -> Self {
        self.model_ivar = Some(model_ivar.into());
        self
    }

    /// Checks the shapes for `results_len` result rows and completes the missing images;
    /// see [`check_shapes`].
    pub fn check(self, results_len: usize) -> Result<Images<'a>> {
        check_shapes(self, results_len)
    }
}

/// The five float images of an astraSource file, checked: every one (N, P), with N result
/// rows. Made only by [`check_shapes`] (or [`SourceImages::check`]).
#[derive(Debug, Clone)]
pub struct Images<'a> {
    normalized_flux: CowArray<'a, f32, Ix2>,
    normalized_ivar: CowArray<'a, f32, Ix2>,
    continuum: CowArray<'a, f32, Ix2>,
    model_flux: CowArray<'a, f32, Ix2>,
    model_ivar: CowArray<'a, f32, Ix2>,
}

impl Images<'_> {
    /// The (N, P) shape.
    pub fn shape(&self) -> (usize, usize) {
        self.normalized_flux.dim()
    }

    /// Continuum-normalized flux.
    pub fn normalized_flux(&self) -> ArrayView2<'_, f32> {
        self.normalized_flux.view()
    }

    /// Inverse variance of the normalized flux.
    pub fn normalized_ivar(&self) -> ArrayView2<'_, f32> {
        self.normalized_ivar.view()
    }

    /// Continuum (NaN when not given).
    pub fn continuum(&self) -> ArrayView2<'_, f32> {
        self.continuum.view()
    }

    /// Model flux (NaN when not given).
    pub fn model_flux(&self) -> ArrayView2<'_, f32> {
        self.model_flux.view()
    }

    /// Model inverse variance (NaN when not given).
    pub fn model_ivar(&self) -> ArrayView2<'_, f32> {
        self.model_ivar.view()
    }
}

/// Turns a 1-D array into a (1, P) one; refuses other dimensionalities.
fn two_d<'a>(name: &'static str, a: ArrayViewD<'a, f32>) -> Result<ArrayView<'a, f32, Ix2>> {
    let shape = a.shape().to_vec();
    let refuse = || Error::Shape {
        array: name,
        shape: shape.clone(),
        expected: "astraSource images are 1-D (P) or 2-D (N, P)".into(),
    };
    match a.ndim() {
        1 => {
            let p = shape[0];
            a.into_shape_with_order((1, p)).map_err(|_| refuse())
        }
        2 => a.into_dimensionality::<Ix2>().map_err(|_| refuse()),
        _ => Err(refuse()),
    }
}

/// Checks and completes the images of an astraSource file.
///
/// - 1-D arrays become (1, P);
/// - the normalized flux must have at least one row and one pixel, and N ≤ P (an (N, P)
///   array with more rows than pixels is most likely transposed);
/// - every other array must have the normalized flux's shape;
/// - the continuum, model flux and model inverse variance may be left out: they become NaN
///   arrays of the flux's shape;
/// - `results_len` (the number of result rows) must be N.
///
/// Each refusal is an [`Error::Shape`] naming the array and both shapes.
pub fn check_shapes<'a>(images: SourceImages<'a>, results_len: usize) -> Result<Images<'a>> {
    let SourceImages {
        normalized_flux,
        normalized_ivar,
        continuum,
        model_flux,
        model_ivar,
    } = images;
    let flux = two_d("normalized_flux", normalized_flux.0)?;
    let (n, p) = flux.dim();
    if n == 0 || p == 0 {
        return Err(Error::Shape {
            array: "normalized_flux",
            shape: vec![n, p],
            expected: "it must hold at least one spectrum of at least one pixel".into(),
        });
    }
    if n > p {
        return Err(Error::Shape {
            array: "normalized_flux",
            shape: vec![n, p],
            expected: format!("its {n} spectra outnumber its {p} pixels (N > P): the array looks transposed"),
        });
    }
    let same = |name: &'static str, a: Option<Pixels<'a>>| -> Result<CowArray<'a, f32, Ix2>> {
        match a {
            None => Ok(CowArray::from(Array2::from_elem((n, p), f32::NAN))),
            Some(a) => {
                let original = a.0.shape().to_vec();
                let a = two_d(name, a.0)?;
                if a.dim() != (n, p) {
                    return Err(Error::Shape {
                        array: name,
                        shape: original,
                        expected: format!("the normalized flux's shape is [{n}, {p}]"),
                    });
                }
                Ok(CowArray::from(a))
            }
        }
    };
    let normalized_ivar = same("normalized_ivar", Some(normalized_ivar))?;
    let continuum = same("continuum", continuum)?;
    let model_flux = same("model_flux", model_flux)?;
    let model_ivar = same("model_ivar", model_ivar)?;
    if results_len != n {
        return Err(Error::Shape {
            array: "results",
            shape: vec![results_len],
            expected: format!("the normalized flux's shape is [{n}, {p}]: one result row per spectrum"),
        });
    }
    Ok(Images {
        normalized_flux: CowArray::from(flux),
        normalized_ivar,
        continuum,
        model_flux,
        model_ivar,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array3};

    fn err(r: Result<Images<'_>>) -> (String, Vec<usize>, String) {
        match r {
            Err(Error::Shape { array, shape, expected }) => (array.to_string(), shape, expected),
            other => panic!("expected a shape error, got {other:?}"),
        }
    }

    #[test]
    fn one_d_arrays_become_single_rows_and_missing_ones_nan() {
        let f = Array1::<f32>::ones(10);
        let i = Array2::<f32>::ones((1, 10));
        let images = SourceImages::new(&f, &i).check(1).unwrap();
        assert_eq!(images.shape(), (1, 10));
        assert!(images.model_ivar().iter().all(|x| x.is_nan()));
        assert_eq!(images.continuum().dim(), (1, 10));
    }

    #[test]
    fn each_refusal_names_the_array_and_both_shapes() {
        let f = Array2::<f32>::ones((3, 10));
        let bad = Array2::<f32>::ones((2, 10));
        let (array, shape, expected) = err(SourceImages::new(&f, &f).model_flux(&bad).check(3));
        assert_eq!((array.as_str(), shape), ("model_flux", vec![2, 10]));
        assert!(expected.contains("[3, 10]"), "{expected}");
        let (array, ..) = err(SourceImages::new(&f, &f).check(2));
        assert_eq!(array, "results");
        let t = Array2::<f32>::ones((10, 3));
        let (array, shape, _) = err(SourceImages::new(&t, &t).check(10));
        assert_eq!((array.as_str(), shape), ("normalized_flux", vec![10, 3]));
        let cube = Array3::<f32>::ones((1, 3, 10));
        let (array, shape, _) = err(SourceImages::new(&f, &cube).check(3));
        assert_eq!((array.as_str(), shape), ("normalized_ivar", vec![1, 3, 10]));
    }
}

//! The shape rules of the astraSource images (`_check_shapes` of the seed).

use ndarray::{Array, Array2, ArrayView, ArrayViewD, CowArray, Dimension, Ix2};

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

/// The five float images of an astraSource file, every one (N, P).
#[derive(Debug, Clone)]
pub struct Images<'a> {
    /// Continuum-normalized flux.
    pub normalized_flux: CowArray<'a, f32, Ix2>,
    /// Inverse variance of the normalized flux.
    pub normalized_ivar: CowArray<'a, f32, Ix2>,
    /// Continuum (NaN when not given).
    pub continuum: CowArray<'a, f32, Ix2>,
    /// Model flux (NaN when not given).
    pub model_flux: CowArray<'a, f32, Ix2>,
    /// Model inverse variance (NaN when not given).
    pub model_ivar: CowArray<'a, f32, Ix2>,
}

impl Images<'_> {
    /// The (N, P) shape.
    pub fn shape(&self) -> (usize, usize) {
        self.normalized_flux.dim()
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
/// - `continuum`, `model_flux` and `model_ivar` may be `None`: they become NaN arrays of
///   the flux's shape;
/// - `results_len` (the number of result rows) must be N.
///
/// Each refusal is an [`Error::Shape`] naming the array and both shapes.
pub fn check_shapes<'a>(
    normalized_flux: Pixels<'a>,
    normalized_ivar: Pixels<'a>,
    model_flux: Option<Pixels<'a>>,
    model_ivar: Option<Pixels<'a>>,
    continuum: Option<Pixels<'a>>,
    results_len: usize,
) -> Result<Images<'a>> {
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
    let model_flux = same("model_flux", model_flux)?;
    let model_ivar = same("model_ivar", model_ivar)?;
    let continuum = same("continuum", continuum)?;
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
        let images = check_shapes((&f).into(), (&i).into(), None, None, None, 1).unwrap();
        assert_eq!(images.shape(), (1, 10));
        assert!(images.model_ivar.iter().all(|x| x.is_nan()));
        assert_eq!(images.continuum.dim(), (1, 10));
    }

    #[test]
    fn each_refusal_names_the_array_and_both_shapes() {
        let f = Array2::<f32>::ones((3, 10));
        let bad = Array2::<f32>::ones((2, 10));
        let (array, shape, expected) = err(check_shapes(
            (&f).into(),
            (&f).into(),
            Some((&bad).into()),
            None,
            None,
            3,
        ));
        assert_eq!((array.as_str(), shape), ("model_flux", vec![2, 10]));
        assert!(expected.contains("[3, 10]"), "{expected}");
        let (array, ..) = err(check_shapes((&f).into(), (&f).into(), None, None, None, 2));
        assert_eq!(array, "results");
        let t = Array2::<f32>::ones((10, 3));
        let (array, shape, _) = err(check_shapes((&t).into(), (&t).into(), None, None, None, 10));
        assert_eq!((array.as_str(), shape), ("normalized_flux", vec![10, 3]));
        let cube = Array3::<f32>::ones((1, 3, 10));
        let (array, shape, _) = err(check_shapes((&f).into(), (&cube).into(), None, None, None, 3));
        assert_eq!((array.as_str(), shape), ("normalized_ivar", vec![1, 3, 10]));
    }
}

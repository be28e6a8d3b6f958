//! Image HDUs: [`create_image_hdu`], the one way images are written.

use std::borrow::Cow;
use std::ffi::c_int;

use fitsio::sys;
use ndarray::{ArrayView, ArrayViewD, Dimension};

use super::card;
use super::card::Card;
use super::checksum::Sum32;
use super::file::{FitsWriter, read_only};
use crate::{Error, Result};

/// The pixel type of an image HDU (`BITPIX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// 32-bit IEEE float, `BITPIX = -32`.
    F32,
    /// 64-bit IEEE float, `BITPIX = -64`.
    F64,
    /// 16-bit integer, `BITPIX = 16`.
    I16,
    /// 32-bit integer, `BITPIX = 32`.
    I32,
}

impl Dtype {
    /// The `BITPIX` value.
    pub fn bitpix(self) -> i32 {
        match self {
            Dtype::F32 => -32,
            Dtype::F64 => -64,
            Dtype::I16 => 16,
            Dtype::I32 => 32,
        }
    }

    /// The numpy name of the type (`float32`, `int16`, ...), for documentation.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
            Dtype::I16 => "int16",
            Dtype::I32 => "int32",
        }
    }

    fn cfitsio_type(self) -> c_int {
        (match self {
            Dtype::F32 => sys::TFLOAT,
            Dtype::F64 => sys::TDOUBLE,
            Dtype::I16 => sys::TSHORT,
            Dtype::I32 => sys::TINT,
        }) as c_int
    }
}

/// The pixels of an image, of any number of dimensions (C order: the last axis is
/// `NAXIS1`).
#[derive(Debug, Clone)]
pub enum ImageData<'a> {
    /// `float32` pixels.
    F32(ArrayViewD<'a, f32>),
    /// `float64` pixels.
    F64(ArrayViewD<'a, f64>),
    /// `int16` pixels.
    I16(ArrayViewD<'a, i16>),
    /// `int32` pixels.
    I32(ArrayViewD<'a, i32>),
}

macro_rules! image_from {
    ($($t:ty => $variant:ident),*) => {$(
        impl<'a, D: Dimension> From<ArrayView<'a, $t, D>> for ImageData<'a> {
            fn from(a: ArrayView<'a, $t, D>) -> Self {
                ImageData::$variant(a.into_dyn())
            }
        }
        impl<'a, D: Dimension> From<&'a ndarray::Array<$t, D>> for ImageData<'a> {
            fn from(a: &'a ndarray::Array<$t, D>) -> Self {
                ImageData::$variant(a.view().into_dyn())
            }
        }
    )*};
}
image_from!(f32 => F32, f64 => F64, i16 => I16, i32 => I32);

impl ImageData<'_> {
    /// The pixel type of the data.
    pub fn dtype(&self) -> Dtype {
        match self {
            ImageData::F32(_) => Dtype::F32,
            ImageData::F64(_) => Dtype::F64,
            ImageData::I16(_) => Dtype::I16,
            ImageData::I32(_) => Dtype::I32,
        }
    }

    /// The shape, C order.
    pub fn shape(&self) -> &[usize] {
        match self {
            ImageData::F32(a) => a.shape(),
            ImageData::F64(a) => a.shape(),
            ImageData::I16(a) => a.shape(),
            ImageData::I32(a) => a.shape(),
        }
    }
}

/// An `EXTNAME` and the comment saying what the HDU holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtName<'a> {
    /// The extension name.
    pub name: &'a str,
    /// The meaning of the HDU (the `EXTNAME` card's comment).
    pub comment: &'a str,
}

impl<'a> From<&'a str> for ExtName<'a> {
    fn from(name: &'a str) -> Self {
        ExtName { name, comment: "" }
    }
}

/// Pixels in the type they are written as, borrowed when no conversion was needed.
pub(crate) enum Pixels<'a> {
    F32(Cow<'a, [f32]>),
    F64(Cow<'a, [f64]>),
    I16(Cow<'a, [i16]>),
    I32(Cow<'a, [i32]>),
}

fn contiguous<'a, T: Clone>(a: &ArrayViewD<'a, T>) -> Cow<'a, [T]> {
    match a.to_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().cloned().collect()),
    }
}

fn converted<T: Copy, U>(a: &ArrayViewD<'_, T>, f: impl Fn(T) -> U) -> Vec<U> {
    a.iter().map(|x| f(*x)).collect()
}

pub(crate) fn pixels<'a>(data: &ImageData<'a>, dtype: Dtype, what: &str) -> Result<Pixels<'a>> {
    use ImageData as D;
    Ok(match (data, dtype) {
        (D::F32(a), Dtype::F32) => Pixels::F32(contiguous(a)),
        (D::F64(a), Dtype::F64) => Pixels::F64(contiguous(a)),
        (D::I16(a), Dtype::I16) => Pixels::I16(contiguous(a)),
        (D::I32(a), Dtype::I32) => Pixels::I32(contiguous(a)),
        (D::F32(a), Dtype::F64) => Pixels::F64(Cow::Owned(converted(a, f64::from))),
        (D::F64(a), Dtype::F32) => Pixels::F32(Cow::Owned(converted(a, |x| x as f32))),
        (D::I16(a), Dtype::I32) => Pixels::I32(Cow::Owned(converted(a, i32::from))),
        (D::I16(a), Dtype::F32) => Pixels::F32(Cow::Owned(converted(a, f32::from))),
        (D::I16(a), Dtype::F64) => Pixels::F64(Cow::Owned(converted(a, f64::from))),
        (D::I32(a), Dtype::F32) => Pixels::F32(Cow::Owned(converted(a, |x| x as f32))),
        (D::I32(a), Dtype::F64) => Pixels::F64(Cow::Owned(converted(a, f64::from))),
        (from, to) => {
            return Err(Error::Card {
                key: "BITPIX".into(),
                reason: format!(
                    "{what}: {} pixels cannot be written as {} without losing values",
                    from.dtype().name(),
                    to.name()
                ),
            });
        }
    })
}

/// Writes an image HDU: the Rust form of `create_image_hdu(data, header, name, dtype,
/// bunit)`.
///
/// The HDU gets, in order: the structural cards, `EXTNAME` (with its comment) when `name`
/// is given, `BUNIT` when `bunit` is given (an empty string means dimensionless), then the
/// `header` cards (structural keys, `EXTNAME`, `BUNIT` and checksum cards among them are
/// skipped: the writer sets those), then the checksum cards when the writer checksums.
/// `dtype` converts the pixels (widening, or `float64` to `float32`); conversions that
/// would lose integer values are refused. The first HDU of a file is its primary HDU.
pub fn create_image_hdu<'a>(
    fits: &mut FitsWriter,
    data: impl Into<ImageData<'a>>,
    header: &[Card],
    name: Option<ExtName<'_>>,
    dtype: Option<Dtype>,
    bunit: Option<&str>,
) -> Result<()> {
    let data = data.into();
    let what = name.map_or("image", |n| n.name).to_string();
    let dtype = dtype.unwrap_or(data.dtype());
    let pixels = pixels(&data, dtype, &what)?;
    let mut naxes: Vec<i64> = data.shape().iter().rev().map(|&n| n as i64).collect();
    let mut status = 0;
    // SAFETY: valid handle; naxes holds naxis values.
    unsafe {
        sys::ffcrimll(
            fits.as_raw(),
            dtype.bitpix(),
            naxes.len() as c_int,
            naxes.as_mut_ptr(),
            &mut status,
        )
    };
    fits.check(status, || format!("creating image HDU {what}"))?;
    fits.hdu_created();
    if let Some(n) = name {
        fits.write_card(&card::string("EXTNAME", n.name, n.comment))?;
    }
    if let Some(unit) = bunit {
        fits.write_card(&card::string("BUNIT", unit, "Unit of the pixel values"))?;
    }
    let skip =
        |key: &str| card::is_reserved(key) || key == "EXTNAME" && name.is_some() || key == "BUNIT" && bunit.is_some();
    fits.write_cards(header.iter().filter(|c| !skip(&c.key)))?;
    let sum = fits.checksum().then(|| {
        let mut s = Sum32::default();
        match &pixels {
            Pixels::F32(p) => s.add_f32(p),
            Pixels::F64(p) => s.add_f64(p),
            Pixels::I16(p) => s.add_i16(p),
            Pixels::I32(p) => s.add_i32(p),
        }
        s
    });
    fits.reserve_checksum(sum)?;
    let (ptr, n) = match &pixels {
        Pixels::F32(p) => (read_only(p), p.len()),
        Pixels::F64(p) => (read_only(p), p.len()),
        Pixels::I16(p) => (read_only(p), p.len()),
        Pixels::I32(p) => (read_only(p), p.len()),
    };
    if n > 0 {
        // SAFETY: `ptr` holds `n` values of the declared type; cfitsio converts them into
        // its own buffers and does not write to the array.
        unsafe { sys::ffppr(fits.as_raw(), dtype.cfitsio_type(), 1, n as i64, ptr, &mut status) };
        fits.check(status, || format!("writing the pixels of {what}"))?;
    }
    fits.finish_hdu(true)
}

//! A small, panic-free handle over the cfitsio calls the spectrum readers need (writing
//! goes through [`crate::fits`]).
//!
//! Files are opened with cfitsio's disk-file entry point (`ffdkopn`), which takes the name
//! literally: no extended-filename syntax (`[`, `!`, `.gz`) is interpreted. Every cfitsio status is turned into [`Error::Cfitsio`] naming the
//! file, the HDU and what was being done.

use std::ffi::{CString, c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::ptr;

use fitsio::sys;

use crate::{Error, Result};

/// HDU types as cfitsio numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HduType {
    /// An image (or the primary array).
    Image,
    /// An ASCII table.
    AsciiTable,
    /// A binary table.
    BinaryTable,
}

/// A Rust element type with its cfitsio datatype code.
pub(crate) trait Element: Copy + Default {
    /// cfitsio's datatype code (`TFLOAT`, `TSHORT`, ...).
    const CODE: c_int;
}

impl Element for f32 {
    const CODE: c_int = sys::TFLOAT as c_int;
}
impl Element for f64 {
    const CODE: c_int = sys::TDOUBLE as c_int;
}
impl Element for i16 {
    const CODE: c_int = sys::TSHORT as c_int;
}
impl Element for i32 {
    const CODE: c_int = sys::TINT as c_int;
}

/// A FITS file open for reading, closed on drop.
pub(crate) struct Fits {
    ptr: *mut sys::fitsfile,
    path: PathBuf,
    hdu: usize,
    /// The file's size when opened: no HDU can hold more elements than this many bytes,
    /// so a corrupt header cannot make a reader allocate more than the file could hold.
    size: u64,
}

fn c_string(path: &Path, what: &str) -> Result<CString> {
    let text = path.to_str().ok_or_else(|| Error::Cfitsio {
        path: path.to_path_buf(),
        hdu: None,
        action: format!("naming {what}"),
        status: 0,
        message: "the path is not valid UTF-8".into(),
    })?;
    CString::new(text).map_err(|_| Error::Cfitsio {
        path: path.to_path_buf(),
        hdu: None,
        action: format!("naming {what}"),
        status: 0,
        message: "the path contains a NUL byte".into(),
    })
}

fn text(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

fn from_buf(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// cfitsio's short text for a status code.
fn status_text(status: c_int) -> String {
    let mut buf = [0 as c_char; 32];
    unsafe { sys::ffgerr(status, buf.as_mut_ptr()) };
    from_buf(&buf)
}

impl Fits {
    /// Opens an existing file read-only.
    pub(crate) fn open(path: &Path) -> Result<Fits> {
        let name = c_string(path, "the file")?;
        let mut ptr = ptr::null_mut();
        let mut status = 0;
        unsafe { sys::ffdkopn(&mut ptr, name.as_ptr(), 0, &mut status) };
        if status != 0 || ptr.is_null() {
            return Err(Error::Cfitsio {
                path: path.to_path_buf(),
                hdu: None,
                action: "opening".into(),
                status,
                message: status_text(status),
            });
        }
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Ok(Fits {
            ptr,
            path: path.to_path_buf(),
            hdu: 0,
            size,
        })
    }

    /// Refuses to read `n` elements that the file is too small to hold.
    fn check_count(&self, n: usize, what: &str) -> Result<()> {
        if n as u64 > self.size {
            return Err(self.bad(format!(
                "the header announces {n} {what}, more than the file's {} bytes can hold",
                self.size
            )));
        }
        Ok(())
    }

    /// Turns a cfitsio status into an error naming the file, the current HDU and `action`.
    pub(crate) fn check(&self, status: c_int, action: impl FnOnce() -> String) -> Result<()> {
        if status == 0 {
            return Ok(());
        }
        Err(Error::Cfitsio {
            path: self.path.clone(),
            hdu: Some(self.hdu),
            action: action(),
            status,
            message: status_text(status),
        })
    }

    /// A layout error on the current HDU.
    pub(crate) fn bad(&self, reason: impl Into<String>) -> Error {
        Error::SpectrumFile {
            path: self.path.clone(),
            hdu: self.hdu,
            reason: reason.into(),
        }
    }

    /// The number of HDUs in the file.
    pub(crate) fn num_hdus(&mut self) -> Result<usize> {
        let mut n = 0;
        let mut status = 0;
        unsafe { sys::ffthdu(self.ptr, &mut n, &mut status) };
        self.check(status, || "counting the HDUs".into())?;
        Ok(n.max(0) as usize)
    }

    /// Moves to HDU `hdu` (0-based) and returns its type.
    pub(crate) fn move_to(&mut self, hdu: usize) -> Result<HduType> {
        let mut kind = 0;
        let mut status = 0;
        unsafe { sys::ffmahd(self.ptr, hdu as c_int + 1, &mut kind, &mut status) };
        if status != 0 {
            return Err(Error::SpectrumFile {
                path: self.path.clone(),
                hdu,
                reason: format!("cannot read this HDU: cfitsio error {status} ({})", status_text(status)),
            });
        }
        self.hdu = hdu;
        match kind {
            0 => Ok(HduType::Image),
            1 => Ok(HduType::AsciiTable),
            _ => Ok(HduType::BinaryTable),
        }
    }

    /// The image dimensions of the current HDU in C order (slowest first: `(N, P)`).
    pub(crate) fn image_shape(&mut self) -> Result<Vec<usize>> {
        let mut naxis = 0;
        let mut status = 0;
        unsafe { sys::ffgidm(self.ptr, &mut naxis, &mut status) };
        self.check(status, || "reading NAXIS".into())?;
        if !(0..=999).contains(&naxis) {
            return Err(self.bad(format!("NAXIS = {naxis} is out of range")));
        }
        let mut axes = vec![0i64; naxis as usize];
        if naxis > 0 {
            unsafe { sys::ffgiszll(self.ptr, naxis, axes.as_mut_ptr(), &mut status) };
            self.check(status, || "reading NAXISn".into())?;
        }
        axes.reverse();
        if let Some(bad) = axes.iter().find(|&&a| a < 0) {
            return Err(self.bad(format!("negative axis length {bad}")));
        }
        Ok(axes.into_iter().map(|a| a as usize).collect())
    }

    /// The image's BITPIX (after BZERO/BSCALE: the equivalent type).
    pub(crate) fn image_bitpix(&mut self) -> Result<i32> {
        let mut bitpix = 0;
        let mut status = 0;
        unsafe { sys::ffgiet(self.ptr, &mut bitpix, &mut status) };
        self.check(status, || "reading BITPIX".into())?;
        Ok(bitpix)
    }

    /// Reads `n` pixels of the current image, converted to `T` by cfitsio.
    pub(crate) fn read_pixels<T: Element>(&mut self, n: usize) -> Result<Vec<T>> {
        self.check_count(n, "pixels")?;
        let mut out = vec![T::default(); n];
        if n == 0 {
            return Ok(out);
        }
        let mut status = 0;
        unsafe {
            sys::ffgpv(
                self.ptr,
                T::CODE,
                1,
                n as i64,
                ptr::null_mut(),
                out.as_mut_ptr() as *mut c_void,
                ptr::null_mut(),
                &mut status,
            )
        };
        self.check(status, || format!("reading {n} pixels"))?;
        Ok(out)
    }

    /// The number of rows of the current table.
    pub(crate) fn num_rows(&mut self) -> Result<usize> {
        let mut rows = 0i64;
        let mut status = 0;
        unsafe { sys::ffgnrwll(self.ptr, &mut rows, &mut status) };
        self.check(status, || "reading NAXIS2".into())?;
        Ok(rows.max(0) as usize)
    }

    /// The 1-based number of the column named `name` (case-insensitive), its type code
    /// and repeat count; `None` when there is no such column.
    pub(crate) fn column(&mut self, name: &str) -> Result<Option<(c_int, c_int, i64)>> {
        let template = text(name);
        let mut col = 0;
        let mut status = 0;
        unsafe { sys::ffgcno(self.ptr, 0, template.as_ptr() as *mut c_char, &mut col, &mut status) };
        if status == sys::COL_NOT_FOUND as c_int {
            return Ok(None);
        }
        self.check(status, || format!("looking for the column {name}"))?;
        let (mut code, mut repeat, mut width) = (0, 0i64, 0i64);
        unsafe { sys::ffgtclll(self.ptr, col, &mut code, &mut repeat, &mut width, &mut status) };
        self.check(status, || format!("reading the format of column {name}"))?;
        Ok(Some((col, code, repeat)))
    }

    /// Reads `n` elements of column `col` (1-based) from the first row, converted to `T`.
    pub(crate) fn read_column<T: Element>(&mut self, col: c_int, name: &str, n: usize) -> Result<Vec<T>> {
        self.check_count(n, "values")?;
        let mut out = vec![T::default(); n];
        if n == 0 {
            return Ok(out);
        }
        let mut status = 0;
        unsafe {
            sys::ffgcv(
                self.ptr,
                T::CODE,
                col,
                1,
                1,
                n as i64,
                ptr::null_mut(),
                out.as_mut_ptr() as *mut c_void,
                ptr::null_mut(),
                &mut status,
            )
        };
        self.check(status, || format!("reading column {name}"))?;
        Ok(out)
    }

    /// The raw handle, for the header functions of [`super::header`].
    pub(crate) fn raw(&mut self) -> *mut sys::fitsfile {
        self.ptr
    }
}

impl Drop for Fits {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            let mut status = 0;
            unsafe { sys::ffclos(self.ptr, &mut status) };
        }
    }
}

impl Fits {
    /// The HDU (0-based) whose `EXTNAME` is `name` (any HDU type), if there is one.
    pub(crate) fn find_hdu(&mut self, name: &str) -> Result<Option<usize>> {
        let ext = text(name);
        let mut status = 0;
        unsafe { sys::ffmnhd(self.ptr, -1, ext.as_ptr() as *mut c_char, 0, &mut status) };
        if status == sys::BAD_HDU_NUM as c_int {
            return Ok(None);
        }
        self.check(status, || format!("looking for the HDU {name}"))?;
        let mut num = 0;
        unsafe { sys::ffghdn(self.ptr, &mut num) };
        self.hdu = (num.max(1) - 1) as usize;
        Ok(Some(self.hdu))
    }

    /// A floating-point key of the current HDU, `None` when absent.
    pub(crate) fn key_f64(&mut self, key: &str) -> Result<Option<f64>> {
        let name = text(key);
        let mut value = 0f64;
        let mut status = 0;
        unsafe { sys::ffgkyd(self.ptr, name.as_ptr(), &mut value, ptr::null_mut(), &mut status) };
        if status == sys::KEY_NO_EXIST as c_int {
            return Ok(None);
        }
        if status != 0 {
            return Err(self.bad(format!(
                "the key {key} is not a number (cfitsio error {status}: {})",
                status_text(status)
            )));
        }
        Ok(Some(value))
    }

    /// A string key of the current HDU (long strings joined), `None` when absent.
    pub(crate) fn key_str(&mut self, key: &str) -> Result<Option<String>> {
        let name = text(key);
        let mut value = [0 as c_char; 72];
        let mut status = 0;
        unsafe {
            sys::ffgkys(
                self.ptr,
                name.as_ptr(),
                value.as_mut_ptr(),
                ptr::null_mut(),
                &mut status,
            )
        };
        if status == sys::KEY_NO_EXIST as c_int {
            return Ok(None);
        }
        self.check(status, || format!("reading the key {key}"))?;
        Ok(Some(from_buf(&value)))
    }
}

//! Reading a FITS file through cfitsio: its HDUs, images, table columns, keywords, header
//! cards and checksums.
//!
//! Files are opened with cfitsio's disk-file entry point (`ffdkopn`), which takes the name
//! literally: no extended-filename syntax (`[`, `!`, `.gz`) is interpreted. Every cfitsio
//! status becomes an [`Error::Cfitsio`] naming the file, the HDU and what was being done.

use std::ffi::{CStr, CString, c_char, c_int, c_long, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;

use fitsio::sys;

use super::file::cstr;
use super::status::check;
use crate::{Error, Result};

/// HDU types as cfitsio numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HduType {
    /// An image (or the primary array).
    Image,
    /// An ASCII table.
    AsciiTable,
    /// A binary table.
    BinaryTable,
}

/// A Rust element type that cfitsio converts pixels and column values into.
pub trait Element: Copy + Default {
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

/// A table column found by [`FitsReader::column`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnInfo {
    /// The column's 1-based number.
    pub number: c_int,
    /// cfitsio's datatype code of the column (`TFLOAT`, `TINT`, ...).
    pub code: c_int,
    /// The number of values per row.
    pub repeat: i64,
}

/// One header card as written: keyword, raw value field and comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCard {
    /// The keyword (`TELESCOP`, `HISTORY`, `CONTINUE`, ...).
    pub key: String,
    /// The value field as written (quoted strings keep their quotes).
    pub value: String,
    /// The comment (for commentary cards, their text).
    pub comment: String,
}

/// A FITS file opened read-only (the name taken literally), closed on drop.
///
/// ```no_run
/// use astra_targets::fits::FitsReader;
///
/// let mut fits = FitsReader::open("AstraSource-2M0000.fits".as_ref())?;
/// for hdu in 0..fits.hdu_count()? {
///     fits.select(hdu)?;
///     println!("{hdu}: {:?} {:?}", fits.key_str("EXTNAME")?, fits.checksums()?);
/// }
/// # Ok::<(), astra_targets::Error>(())
/// ```
#[derive(Debug)]
pub struct FitsReader {
    fptr: *mut sys::fitsfile,
    path: PathBuf,
    hdu: usize,
    /// The file's size when opened: no HDU can hold more elements than this many bytes,
    /// so a corrupt header cannot make a reader allocate more than the file could hold.
    size: u64,
}

/// cfitsio's status for a keyword that is not there.
const KEY_NO_EXIST: c_int = sys::KEY_NO_EXIST as c_int;

fn buf_string(buf: &[c_char]) -> String {
    // SAFETY: every buffer handed to cfitsio here is zeroed and one longer than cfitsio
    // writes, so it holds a NUL.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

impl FitsReader {
    /// Opens `path` read-only, at the primary HDU.
    pub fn open(path: &Path) -> Result<Self> {
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::Cfitsio {
            path: Some(path.into()),
            hdu: None,
            action: "opening".into(),
            status: 0,
            message: "the name holds a NUL byte".into(),
        })?;
        let mut fptr = ptr::null_mut();
        let mut status = 0;
        // SAFETY: valid C string and out-pointers.
        unsafe { sys::ffdkopn(&mut fptr, c.as_ptr(), sys::READONLY as c_int, &mut status) };
        if fptr.is_null() && status == 0 {
            status = sys::FILE_NOT_OPENED as c_int;
        }
        check(status, Some(path), None, || "opening".into())?;
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Ok(FitsReader {
            fptr,
            path: path.into(),
            hdu: 0,
            size,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current HDU (0-based).
    pub fn hdu(&self) -> usize {
        self.hdu
    }

    /// The cfitsio handle, for calls this type does not wrap.
    pub fn as_raw(&mut self) -> *mut sys::fitsfile {
        self.fptr
    }

    /// Turns a cfitsio status into an error naming the file, the current HDU and `action`.
    pub(crate) fn check(&self, status: c_int, action: impl FnOnce() -> String) -> Result<()> {
        check(status, Some(&self.path), Some(self.hdu), action)
    }

    /// An error about the layout of the current HDU (a spectrum reader's or this
    /// reader's own check).
    pub(crate) fn bad(&self, reason: impl Into<String>) -> Error {
        Error::SpectrumFile {
            path: self.path.clone(),
            hdu: self.hdu,
            reason: reason.into(),
        }
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

    /// The number of HDUs.
    pub fn hdu_count(&mut self) -> Result<usize> {
        let (mut n, mut status) = (0, 0);
        // SAFETY: valid handle.
        unsafe { sys::ffthdu(self.fptr, &mut n, &mut status) };
        self.check(status, || "counting the HDUs".into())?;
        Ok(n.max(0) as usize)
    }

    /// Moves to HDU `index` (0 is the primary HDU) and returns its type.
    pub fn select(&mut self, index: usize) -> Result<HduType> {
        let (mut kind, mut status) = (0, 0);
        // SAFETY: valid handle.
        unsafe { sys::ffmahd(self.fptr, index as c_int + 1, &mut kind, &mut status) };
        check(status, Some(&self.path), Some(index), || "moving to the HDU".into())?;
        self.hdu = index;
        Ok(match kind {
            0 => HduType::Image,
            1 => HduType::AsciiTable,
            _ => HduType::BinaryTable,
        })
    }

    /// Moves to the HDU (any type) whose `EXTNAME` is `name` and returns its index;
    /// `None` (staying where it was) when there is none.
    pub fn find_hdu(&mut self, name: &str) -> Result<Option<usize>> {
        let ext = cstr(name);
        let mut status = 0;
        // SAFETY: valid handle and C string (cfitsio does not write through it).
        unsafe { sys::ffmnhd(self.fptr, -1, ext.as_ptr() as *mut c_char, 0, &mut status) };
        if status == sys::BAD_HDU_NUM as c_int {
            return Ok(None);
        }
        self.check(status, || format!("looking for the HDU {name}"))?;
        let mut num = 0;
        // SAFETY: valid handle.
        unsafe { sys::ffghdn(self.fptr, &mut num) };
        self.hdu = (num.max(1) - 1) as usize;
        Ok(Some(self.hdu))
    }

    /// The image dimensions of the current HDU in C order (slowest first: `(N, P)`).
    pub fn image_shape(&mut self) -> Result<Vec<usize>> {
        let mut naxis = 0;
        let mut status = 0;
        // SAFETY: valid handle and out-pointers.
        unsafe { sys::ffgidm(self.fptr, &mut naxis, &mut status) };
        self.check(status, || "reading NAXIS".into())?;
        if !(0..=999).contains(&naxis) {
            return Err(self.bad(format!("NAXIS = {naxis} is out of range")));
        }
        let mut axes = vec![0i64; naxis as usize];
        if naxis > 0 {
            // SAFETY: `axes` holds `naxis` values.
            unsafe { sys::ffgiszll(self.fptr, naxis, axes.as_mut_ptr(), &mut status) };
            self.check(status, || "reading NAXISn".into())?;
        }
        axes.reverse();
        if let Some(bad) = axes.iter().find(|&&a| a < 0) {
            return Err(self.bad(format!("negative axis length {bad}")));
        }
        Ok(axes.into_iter().map(|a| a as usize).collect())
    }

    /// The image's BITPIX (after BZERO/BSCALE: the equivalent type).
    pub fn image_bitpix(&mut self) -> Result<i32> {
        let mut bitpix = 0;
        let mut status = 0;
        // SAFETY: valid handle and out-pointers.
        unsafe { sys::ffgiet(self.fptr, &mut bitpix, &mut status) };
        self.check(status, || "reading BITPIX".into())?;
        Ok(bitpix)
    }

    /// Reads the first `n` pixels of the current image, converted to `T` by cfitsio.
    pub fn read_pixels<T: Element>(&mut self, n: usize) -> Result<Vec<T>> {
        let fptr = self.fptr;
        self.read_values("pixels", "", n, |out, status| {
            // SAFETY: valid handle; `out` holds `n` values of the type named by `T::CODE`.
            unsafe {
                sys::ffgpv(
                    fptr,
                    T::CODE,
                    1,
                    n as i64,
                    ptr::null_mut(),
                    out,
                    ptr::null_mut(),
                    status,
                )
            };
        })
    }

    /// `n` values (`what`, `of` what) of type `T` filled by `read` (given the buffer and
    /// the status), after refusing counts the file is too small to hold.
    fn read_values<T: Element>(
        &mut self,
        what: &str,
        of: &str,
        n: usize,
        read: impl FnOnce(*mut c_void, &mut c_int),
    ) -> Result<Vec<T>> {
        self.check_count(n, what)?;
        let mut out = vec![T::default(); n];
        if n == 0 {
            return Ok(out);
        }
        let mut status = 0;
        read(out.as_mut_ptr() as *mut c_void, &mut status);
        self.check(status, || format!("reading {n} {what}{of}"))?;
        Ok(out)
    }

    /// The number of rows of the current table.
    pub fn num_rows(&mut self) -> Result<usize> {
        let mut rows = 0i64;
        let mut status = 0;
        // SAFETY: valid handle and out-pointers.
        unsafe { sys::ffgnrwll(self.fptr, &mut rows, &mut status) };
        self.check(status, || "reading NAXIS2".into())?;
        Ok(rows.max(0) as usize)
    }

    /// The column of the current table named `name` (case-insensitive); `None` when there
    /// is no such column.
    pub fn column(&mut self, name: &str) -> Result<Option<ColumnInfo>> {
        let template = cstr(name);
        let mut number = 0;
        let mut status = 0;
        // SAFETY: valid handle and C string (cfitsio does not write through it).
        unsafe { sys::ffgcno(self.fptr, 0, template.as_ptr() as *mut c_char, &mut number, &mut status) };
        if status == sys::COL_NOT_FOUND as c_int {
            return Ok(None);
        }
        self.check(status, || format!("looking for the column {name}"))?;
        let (mut code, mut repeat, mut width) = (0, 0i64, 0i64);
        // SAFETY: valid handle and out-pointers.
        unsafe { sys::ffgtclll(self.fptr, number, &mut code, &mut repeat, &mut width, &mut status) };
        self.check(status, || format!("reading the format of column {name}"))?;
        Ok(Some(ColumnInfo { number, code, repeat }))
    }

    /// Reads `n` values of `column` from the first row on, converted to `T` by cfitsio.
    pub fn read_column<T: Element>(&mut self, column: ColumnInfo, name: &str, n: usize) -> Result<Vec<T>> {
        let fptr = self.fptr;
        self.read_values("values", &format!(" of column {name}"), n, |out, status| {
            // SAFETY: valid handle; `out` holds `n` values of the type named by `T::CODE`.
            unsafe {
                sys::ffgcv(
                    fptr,
                    T::CODE,
                    column.number,
                    1,
                    1,
                    n as i64,
                    ptr::null_mut(),
                    out,
                    ptr::null_mut(),
                    status,
                )
            };
        })
    }

    /// A keyword of the current HDU read by `read` (given the key and the status), `None`
    /// when absent.
    fn key<V>(
        &mut self,
        key: &str,
        what: &str,
        read: impl FnOnce(*const c_char, &mut c_int) -> V,
    ) -> Result<Option<V>> {
        let k = cstr(key);
        let mut status = 0;
        let value = read(k.as_ptr(), &mut status);
        if status == KEY_NO_EXIST {
            let _ = super::status::message(status);
            return Ok(None);
        }
        self.check(status, || format!("reading the key {key}{what}"))?;
        Ok(Some(value))
    }

    /// A string keyword of the current HDU (`None` when absent; long strings are not
    /// followed).
    pub fn key_str(&mut self, key: &str) -> Result<Option<String>> {
        let fptr = self.fptr;
        self.key(key, "", |k, status| {
            let mut value = [0 as c_char; 1025];
            // SAFETY: valid handle; ffgkys writes at most a 68-character value plus NUL.
            unsafe { sys::ffgkys(fptr, k, value.as_mut_ptr(), ptr::null_mut(), status) };
            buf_string(&value)
        })
    }

    /// An integer keyword of the current HDU (`None` when absent).
    pub fn key_int(&mut self, key: &str) -> Result<Option<i64>> {
        let fptr = self.fptr;
        self.key(key, " as an integer", |k, status| {
            let mut value: c_long = 0;
            // SAFETY: valid handle and out-pointer.
            unsafe { sys::ffgkyj(fptr, k, &mut value, ptr::null_mut(), status) };
            value as i64
        })
    }

    /// A floating-point keyword of the current HDU (`None` when absent).
    pub fn key_f64(&mut self, key: &str) -> Result<Option<f64>> {
        let fptr = self.fptr;
        self.key(key, " as a number", |k, status| {
            let mut value = 0f64;
            // SAFETY: valid handle and out-pointer.
            unsafe { sys::ffgkyd(fptr, k, &mut value, ptr::null_mut(), status) };
            value
        })
    }

    /// The number of header cards of the current HDU (without `END`).
    pub fn card_count(&mut self) -> Result<usize> {
        let (mut count, mut more, mut status) = (0, 0, 0);
        // SAFETY: valid handle and out-pointers.
        unsafe { sys::ffghsp(self.fptr, &mut count, &mut more, &mut status) };
        self.check(status, || "counting the header cards".into())?;
        Ok(count.max(0) as usize)
    }

    /// Header card `n` (1-based) of the current HDU, as written.
    pub fn card(&mut self, n: usize) -> Result<RawCard> {
        let mut key = [0 as c_char; 81];
        let mut value = [0 as c_char; 81];
        let mut comment = [0 as c_char; 81];
        let mut status = 0;
        // SAFETY: valid handle; each buffer holds a whole card plus NUL.
        unsafe {
            sys::ffgkyn(
                self.fptr,
                n as c_int,
                key.as_mut_ptr(),
                value.as_mut_ptr(),
                comment.as_mut_ptr(),
                &mut status,
            )
        };
        self.check(status, || format!("reading header card {n}"))?;
        Ok(RawCard {
            key: buf_string(&key),
            value: buf_string(&value),
            comment: buf_string(&comment),
        })
    }

    /// cfitsio's verdict on the current HDU's checksums, `(data, hdu)`: 1 correct, 0
    /// missing, -1 wrong.
    pub fn checksums(&mut self) -> Result<(i32, i32)> {
        let (mut data, mut hdu, mut status) = (0, 0, 0);
        // SAFETY: valid handle and out-pointers.
        unsafe { sys::ffvcks(self.fptr, &mut data, &mut hdu, &mut status) };
        self.check(status, || "verifying checksums".into())?;
        Ok((data, hdu))
    }
}

impl Drop for FitsReader {
    fn drop(&mut self) {
        let mut status = 0;
        // SAFETY: valid handle, closed once; a read-only file has nothing to flush.
        unsafe { sys::ffclos(self.fptr, &mut status) };
    }
}

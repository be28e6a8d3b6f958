//! Opening a FITS file to check it: its HDUs, keywords and checksums.

use std::ffi::{CStr, CString, c_char, c_int, c_long};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;

use fitsio::sys;

use super::file::cstr;
use super::status::check;
use crate::{Error, Result};

/// A FITS file opened read-only (the name taken literally).
#[derive(Debug)]
pub struct FitsReader {
    fptr: *mut sys::fitsfile,
    path: PathBuf,
}

/// cfitsio's status for a keyword that is not there.
const KEY_NO_EXIST: c_int = 202;

impl FitsReader {
    /// Opens `path` read-only.
    pub fn open(path: &Path) -> Result<Self> {
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::Invalid {
            path: path.into(),
            reason: "the name holds a NUL byte".into(),
        })?;
        let mut fptr = ptr::null_mut();
        let mut status = 0;
        // SAFETY: valid C string and out-pointers.
        unsafe { sys::ffdkopn(&mut fptr, c.as_ptr(), sys::READONLY as c_int, &mut status) };
        check(status, || format!("opening {}", path.display()))?;
        Ok(FitsReader {
            fptr,
            path: path.into(),
        })
    }

    /// The cfitsio handle, for calls this type does not wrap.
    pub fn as_raw(&mut self) -> *mut sys::fitsfile {
        self.fptr
    }

    fn check(&self, status: c_int, action: impl FnOnce() -> String) -> Result<()> {
        check(status, || format!("{} ({})", action(), self.path.display()))
    }

    /// The number of HDUs.
    pub fn hdu_count(&mut self) -> Result<usize> {
        let (mut n, mut status) = (0, 0);
        // SAFETY: valid handle.
        unsafe { sys::ffthdu(self.fptr, &mut n, &mut status) };
        self.check(status, || "counting HDUs".into())?;
        Ok(n as usize)
    }

    /// Moves to HDU `index` (0 is the primary HDU).
    pub fn select(&mut self, index: usize) -> Result<()> {
        let (mut kind, mut status) = (0, 0);
        // SAFETY: valid handle.
        unsafe { sys::ffmahd(self.fptr, index as c_int + 1, &mut kind, &mut status) };
        self.check(status, || format!("moving to HDU {index}"))
    }

    /// A string keyword of the current HDU (`None` when absent).
    pub fn key_str(&mut self, key: &str) -> Result<Option<String>> {
        let k = cstr(key);
        let mut value = [0 as c_char; 1025];
        let mut status = 0;
        // SAFETY: valid handle; ffgkys writes at most a 68-character value plus NUL (long
        // strings are not followed).
        unsafe { sys::ffgkys(self.fptr, k.as_ptr(), value.as_mut_ptr(), ptr::null_mut(), &mut status) };
        if status == KEY_NO_EXIST {
            let _ = super::status::message(status);
            return Ok(None);
        }
        self.check(status, || format!("reading keyword {key}"))?;
        Ok(Some(
            unsafe { CStr::from_ptr(value.as_ptr()) }.to_string_lossy().into_owned(),
        ))
    }

    /// An integer keyword of the current HDU (`None` when absent).
    pub fn key_int(&mut self, key: &str) -> Result<Option<i64>> {
        let k = cstr(key);
        let mut value: c_long = 0;
        let mut status = 0;
        // SAFETY: valid handle and out-pointer.
        unsafe { sys::ffgkyj(self.fptr, k.as_ptr(), &mut value, ptr::null_mut(), &mut status) };
        if status == KEY_NO_EXIST {
            let _ = super::status::message(status);
            return Ok(None);
        }
        self.check(status, || format!("reading keyword {key}"))?;
        Ok(Some(value as i64))
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

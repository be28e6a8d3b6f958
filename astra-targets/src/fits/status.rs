//! cfitsio status codes into [`Error::Cfitsio`].

use std::ffi::{CStr, c_char, c_int};
use std::path::Path;

use fitsio::sys;

use crate::{Error, Result};

/// Turns a cfitsio status into a result; on error, an [`Error::Cfitsio`] naming the file
/// (`None`: a file in memory), the HDU when one is known, `action`, the status, and
/// cfitsio's text for the status followed by its error-message stack (which is cleared).
pub(crate) fn check(
    status: c_int,
    path: Option<&Path>,
    hdu: Option<usize>,
    action: impl FnOnce() -> String,
) -> Result<()> {
    if status == 0 {
        return Ok(());
    }
    Err(Error::Cfitsio {
        path: path.map(Path::to_path_buf),
        hdu,
        action: action(),
        status,
        message: message(status),
    })
}

/// cfitsio's description of `status` and the messages on its stack, emptying the stack.
pub(crate) fn message(status: c_int) -> String {
    let mut buf = [0 as c_char; 81];
    // SAFETY: ffgerr writes at most 30 characters plus NUL; ffgmsg at most 80 plus NUL.
    let mut out = unsafe {
        sys::ffgerr(status, buf.as_mut_ptr());
        CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
    };
    loop {
        let n = unsafe { sys::ffgmsg(buf.as_mut_ptr()) };
        if n == 0 {
            break;
        }
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy();
        out.push_str("; ");
        out.push_str(text.trim());
    }
    out
}

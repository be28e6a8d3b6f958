//! Command-line tools the tests judge our files with.

use std::path::Path;
use std::process::Command;

/// Runs `fitsverify -q` on a FITS file: whether it passed (exit status 0 and
/// `verification OK`), and its output. Panics when `fitsverify` is not installed.
///
/// Warnings count as failures: a checksum mismatch is only a warning to fitsverify.
pub fn fitsverify(path: impl AsRef<Path>) -> (bool, String) {
    let path = path.as_ref();
    let output = Command::new("fitsverify")
        .arg("-q")
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run fitsverify ({e}): install the Debian package `fitsverify` (scripts/test.sh does)")
        });
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let ok = output.status.success() && text.contains("verification OK");
    (ok, text)
}

#[cfg(test)]
mod tests {
    use super::fitsverify;
    use crate::run_python;

    /// The judge itself: a valid file passes; a checksum mismatch (only a warning to
    /// fitsverify) and a truncated file fail.
    #[test]
    fn fitsverify_passes_valid_files_and_fails_warnings_and_errors() {
        let dir = std::env::temp_dir().join(format!("astra-fitsverify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.fits");
        let script = "import sys, numpy\nfrom astropy.io import fits\n\
                      fits.PrimaryHDU(numpy.zeros((3, 3), dtype='f4')).writeto(sys.argv[1], overwrite=True, checksum=True)";
        run_python(script, &[good.to_str().unwrap()], None);
        let (ok, text) = fitsverify(&good);
        assert!(ok, "{text}");

        let mut bytes = std::fs::read(&good).unwrap();
        bytes[2880 + 4] ^= 1;
        let bad_sum = dir.join("bad_sum.fits");
        std::fs::write(&bad_sum, &bytes).unwrap();
        let (ok, text) = fitsverify(&bad_sum);
        assert!(!ok && text.contains("warning"), "{text}");

        let truncated = dir.join("truncated.fits");
        std::fs::write(&truncated, &bytes[..2000]).unwrap();
        let (ok, text) = fitsverify(&truncated);
        assert!(!ok, "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

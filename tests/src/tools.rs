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

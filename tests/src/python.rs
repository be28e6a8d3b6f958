//! The Python interpreter of the test venv (astropy, numpy, fitsio, psycopg, peewee,
//! SQLAlchemy), and running scripts with it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::workspace::workspace_root;

/// The environment variable naming the venv's Python.
pub const PYTHON_ENV: &str = "ASTRA_TEST_PYTHON";

/// The test venv's Python: `$ASTRA_TEST_PYTHON`, else `<workspace>/.venv/bin/python` when
/// it exists. Panics when neither is there.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.exists(),
            "{PYTHON_ENV}={} does not exist: run scripts/test.sh",
            p.display()
        );
        return p;
    }
    let venv = workspace_root().join(".venv/bin/python");
    if venv.exists() {
        return venv;
    }
    panic!("{PYTHON_ENV} is not set and .venv is missing: run scripts/test.sh");
}

/// Runs `script` (Python source) with `args`, feeding `stdin` when given, and returns its
/// standard output. Panics, showing the standard error, when the script fails.
pub fn run_python(script: &str, args: &[&str], stdin: Option<&str>) -> String {
    let python = python();
    let mut child = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    // Feed stdin from a thread so that a script writing much output cannot deadlock.
    let feeder = stdin.map(|text| {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        let text = text.to_string();
        std::thread::spawn(move || {
            let _ = pipe.write_all(text.as_bytes());
        })
    });
    let output = child.wait_with_output().expect("waiting for python");
    if let Some(f) = feeder {
        f.join().expect("stdin feeder thread");
    }
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "python script failed ({}) with args {args:?}\n--- stderr ---\n{stderr}\n--- stdout ---\n{stdout}",
        output.status
    );
    stdout
}

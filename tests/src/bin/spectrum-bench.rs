//! Reading speed of the spectrum readers against astropy, on synthetic apStar (N = 1 and
//! N = 12) and spec files: `cargo run -p astra-targets-tests --bin spectrum-bench [K]`
//! with `ASTRA_TEST_PYTHON` naming a Python with astropy. Prints seconds per read for both
//! and the ratio (astropy / ours); compare ratios, not absolute times, on a busy machine.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use astra_targets::spectrum::{self, synthetic};

fn main() {
    let k: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let Ok(python) = std::env::var("ASTRA_TEST_PYTHON") else {
        eprintln!("ASTRA_TEST_PYTHON is not set: it names a Python with astropy (run scripts/test.sh)");
        std::process::exit(2);
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let labels = synthetic::Labels::SUN;
    let files = [
        ("apStar-1.fits", synthetic::apogee(1, labels, 80.0, 1)),
        ("apStar-12.fits", synthetic::apogee(2, labels, 80.0, 10)),
        ("spec.fits", synthetic::boss(3, labels, 30.0)),
    ];
    let mut paths = Vec::new();
    for (name, s) in files {
        let s = s.expect("a synthetic spectrum");
        let path = dir.path().join(name);
        let written = if name.starts_with("spec") {
            synthetic::write_boss_spec(&path, &s)
        } else {
            synthetic::write_apstar(&path, &s)
        };
        written.expect("writing a synthetic file");
        paths.push(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/spectrum_fixtures.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg("bench")
        .arg(k.to_string())
        .args(&paths)
        .output()
        .expect("running ASTRA_TEST_PYTHON");
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        std::process::exit(1);
    }
    let theirs: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("bench "))
        .filter_map(|l| l.split(' ').nth(1)?.parse().ok())
        .collect();
    println!(
        "{:<16} {:>12} {:>12} {:>8}",
        "file", "ours (ms)", "astropy (ms)", "ratio"
    );
    for (path, theirs) in paths.iter().zip(theirs) {
        let start = Instant::now();
        for _ in 0..k {
            let s = spectrum::read(path).expect("reading");
            std::hint::black_box(s);
        }
        let ours = start.elapsed().as_secs_f64() / k as f64;
        let name = path.file_name().unwrap().to_string_lossy();
        println!(
            "{name:<16} {:>12.3} {:>12.3} {:>7.1}x",
            ours * 1e3,
            theirs * 1e3,
            theirs / ours
        );
    }
}

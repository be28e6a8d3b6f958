//! The Cannon against `the-cannon` 0.2.6 (the code Astra ran) on the same normalized
//! arrays: 300 training and 100 test spectra of 8,575 pixels, three labels, S/N 100,
//! from `astra_thecannon::synthetic`.
//!
//! ```text
//! bench-cannon [--python PATH] [--reference PATH] [--out DIR] [--snr S] [--ours-only]
//! ```
//!
//! Writes `DIR/cannon-bench.fits` (FLUX and IVAR images, LABELS table with one column per
//! label and a logical TRAIN column), runs the reference script on it with one thread
//! (python from `--python`, else `ASTRA_CANNON_PYTHON`, else `.venv-cannon/bin/python`
//! in the workspace root), then this crate on one thread, and prints training time, fit
//! time per spectrum and each label's bias and scatter for both, with the ratios.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use astra_thecannon::synthetic::{SyntheticSet, SyntheticSpectra};
use astra_thecannon::{CannonError, CannonFit, Fitter, Trainer};
use fitsio::FitsFile;
use fitsio::images::{ImageDescription, ImageType};
use fitsio::tables::{ColumnDataType, ColumnDescription};
use ndarray::{Axis, concatenate};

const N_TRAIN: usize = 300;
const N_TEST: usize = 100;
const N_PIXELS: usize = 8575;

struct Options {
    python: PathBuf,
    reference: PathBuf,
    out: PathBuf,
    snr: f64,
    ours_only: bool,
}

fn main() {
    if let Err(message) = run() {
        eprintln!("bench-cannon: {message}");
        std::process::exit(1);
    }
}

fn options() -> Result<Options, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut o = Options {
        python: std::env::var_os("ASTRA_CANNON_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".venv-cannon/bin/python")),
        reference: root.join("../shared/reference/cannon_ref.py"),
        out: std::env::temp_dir().join("astra-bench-cannon"),
        snr: 100.0,
        ours_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--python" => o.python = value()?.into(),
            "--reference" => o.reference = value()?.into(),
            "--out" => o.out = value()?.into(),
            "--ours-only" => o.ours_only = true,
            "--snr" => {
                let v = value()?;
                o.snr = v.parse().map_err(|_| format!("--snr {v} is not a number"))?;
            }
            other => return Err(format!("unknown argument {other}; see the program's documentation")),
        }
    }
    Ok(o)
}

fn run() -> Result<(), String> {
    let o = options()?;
    for (what, path) in [("python", &o.python), ("reference script", &o.reference)] {
        if !path.exists() {
            return Err(format!("{what} {} does not exist", path.display()));
        }
    }
    std::fs::create_dir_all(&o.out).map_err(|e| format!("{}: {e}", o.out.display()))?;
    let generator = SyntheticSpectra::new(N_PIXELS).snr(o.snr);
    let train = generator.generate(N_TRAIN, 1);
    let test = generator.generate(N_TEST, 2);
    let file = o.out.join("cannon-bench.fits");
    write_input(&file, &train, &test).map_err(|e| format!("writing {}: {e}", file.display()))?;
    println!(
        "The Cannon: {N_TRAIN} training + {N_TEST} test spectra of {N_PIXELS} pixels, 3 labels, S/N {}, one thread",
        o.snr
    );

    if o.ours_only {
        let (train_s, fit_s, fits) = ours(&train, &test)?;
        println!("train {train_s:.3} s, fit {:.3} ms per spectrum", fit_s * 1e3);
        for (k, name) in train.label_names.iter().enumerate() {
            let (bias, scatter) = bias_scatter(&fits, &test, k);
            println!("{name}: bias {bias:+.4}, scatter {scatter:.4}");
        }
        return Ok(());
    }
    let output = Command::new(&o.python)
        .arg(&o.reference)
        .arg(&file)
        .args(["--threads", "1"])
        .output()
        .map_err(|e| format!("running {}: {e}", o.python.display()))?;
    if !output.status.success() {
        return Err(format!(
            "the reference failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let json = String::from_utf8_lossy(&output.stdout);
    let json = json
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or("");
    let ref_train = number_after(json, "\"train_s\":").ok_or("no train_s in the reference's output")?;
    let ref_test = number_after(json, "\"test_s\":").ok_or("no test_s in the reference's output")? / N_TEST as f64;

    let t0 = Instant::now();
    let model = Trainer::new(
        train.label_names.clone(),
        train.labels.view(),
        train.flux.view(),
        train.ivar.view(),
    )
    .threads(1)
    .train()
    .map_err(|e| e.to_string())?;
    let our_train = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let fits = Fitter::new(&model)
        .fit_many(test.flux.view(), test.ivar.view())
        .map_err(|e| e.to_string())?;
    let our_test = t1.elapsed().as_secs_f64() / N_TEST as f64;

    println!("{:<40} {:>12} {:>12} {:>9}", "", "the-cannon", "ours", "ratio");
    println!(
        "{:<40} {:>12.3} {:>12.3} {:>8.1}x",
        "train (s)",
        ref_train,
        our_train,
        ref_train / our_train
    );
    println!(
        "{:<40} {:>12.3} {:>12.3} {:>8.1}x",
        "fit (ms per spectrum)",
        ref_test * 1e3,
        our_test * 1e3,
        ref_test / our_test
    );
    for (k, name) in train.label_names.iter().enumerate() {
        let key = format!("\"{name}\":");
        let at = json
            .find(&key)
            .ok_or_else(|| format!("no label {name} in the reference's output"))?;
        let ref_bias = number_after(&json[at..], "\"bias\":").ok_or("no bias")?;
        let ref_scatter = number_after(&json[at..], "\"scatter\":").ok_or("no scatter")?;
        let (bias, scatter) = bias_scatter(&fits, &test, k);
        println!(
            "{:<40} {:>12.4} {:>12.4} {:>8.2}x",
            format!("{name} scatter (bias {ref_bias:+.3} / {bias:+.3})"),
            ref_scatter,
            scatter,
            scatter / ref_scatter
        );
    }
    let failures = fits.iter().filter(|f| f.is_err()).count();
    if failures > 0 {
        println!("{failures} test spectra failed to fit (left out of the scatter)");
    }
    println!(
        "ratios: train = reference/ours (target >= 20), fit = reference/ours (target >= 10), scatter = ours/reference (target <= 1.1)"
    );
    Ok(())
}

type Fits = Vec<Result<CannonFit, CannonError>>;

/// Trains and fits on one thread: training seconds, fit seconds per spectrum, the fits.
fn ours(train: &SyntheticSet, test: &SyntheticSet) -> Result<(f64, f64, Fits), String> {
    let t0 = Instant::now();
    let model = Trainer::new(
        train.label_names.clone(),
        train.labels.view(),
        train.flux.view(),
        train.ivar.view(),
    )
    .threads(1)
    .train()
    .map_err(|e| e.to_string())?;
    let train_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let fits = Fitter::new(&model)
        .fit_many(test.flux.view(), test.ivar.view())
        .map_err(|e| e.to_string())?;
    let fit_s = t1.elapsed().as_secs_f64() / test.flux.nrows() as f64;
    Ok((train_s, fit_s, fits))
}

/// Bias and scatter (standard deviation) of fitted minus true label `k` over the
/// spectra that fitted.
fn bias_scatter(fits: &Fits, test: &SyntheticSet, k: usize) -> (f64, f64) {
    let diffs: Vec<f64> = fits
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.as_ref().ok().map(|f| f.labels[k] - test.labels[(i, k)]))
        .collect();
    let n = diffs.len() as f64;
    let bias = diffs.iter().sum::<f64>() / n;
    let scatter = (diffs.iter().map(|d| (d - bias).powi(2)).sum::<f64>() / n).sqrt();
    (bias, scatter)
}

/// The number following `key` in `text`.
fn number_after(text: &str, key: &str) -> Option<f64> {
    let rest = &text[text.find(key)? + key.len()..];
    let rest = rest.trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

/// FLUX and IVAR images (training rows first) and the LABELS table with TRAIN.
fn write_input(path: &Path, train: &SyntheticSet, test: &SyntheticSet) -> Result<(), Box<dyn std::error::Error>> {
    let flux = concatenate(Axis(0), &[train.flux.view(), test.flux.view()])?;
    let ivar = concatenate(Axis(0), &[train.ivar.view(), test.ivar.view()])?;
    let labels = concatenate(Axis(0), &[train.labels.view(), test.labels.view()])?;
    let n = flux.nrows();
    let mut f = FitsFile::create(path).overwrite().open()?;
    for (name, data) in [("FLUX", &flux), ("IVAR", &ivar)] {
        let hdu = f.create_image(
            name,
            &ImageDescription {
                data_type: ImageType::Double,
                dimensions: &[n, N_PIXELS],
            },
        )?;
        hdu.write_image(&mut f, &data.iter().copied().collect::<Vec<f64>>())?;
    }
    let mut columns = Vec::new();
    for name in &train.label_names {
        columns.push(
            ColumnDescription::new(name.as_str())
                .with_type(ColumnDataType::Double)
                .create()?,
        );
    }
    columns.push(
        ColumnDescription::new("TRAIN")
            .with_type(ColumnDataType::Logical)
            .create()?,
    );
    let hdu = f.create_table("LABELS", &columns)?;
    for (k, name) in train.label_names.iter().enumerate() {
        hdu.write_col(&mut f, name.as_str(), &labels.column(k).to_vec())?;
    }
    // TRAIN: logical, true for the first N_TRAIN rows (cfitsio's logical writer).
    let mut flags: Vec<std::os::raw::c_char> = (0..n)
        .map(|i| (i < train.flux.nrows()) as std::os::raw::c_char)
        .collect();
    let mut status = 0;
    let column = train.label_names.len() as i32 + 1;
    unsafe {
        fitsio::sys::ffpcll(f.as_raw(), column, 1, 1, n as i64, flags.as_mut_ptr(), &mut status);
    }
    if status != 0 {
        return Err(format!("writing the TRAIN column: cfitsio status {status}").into());
    }
    Ok(())
}

//! `bench-end-to-end`: `astra run thecannon` on synthetic APOGEE inputs beside the
//! astraSource writer alone, in one run.
//!
//! ```text
//! bench-end-to-end [--astra PATH] [--inputs N] [--train N] [--workers W] [--fsync] [--keep]
//! ```
//!
//! `--keep` leaves the temporary folder (inputs, model, database, outputs) in place and
//! prints its path, for profiling the program on the same inputs.
//!
//! Before any timing: a model of The Cannon trained on `--train` (default 200)
//! synthetic APOGEE spectra with known labels, continuum-normalized as the plugin does,
//! and saved; `--inputs` (default 1,000) other synthetic APOGEE spectra written as
//! apStar-style files (one spectrum of 8,575 pixels each, S/N 100).
//!
//! Timed:
//! - the `astra` program (`--astra`, else `ASTRA_BIN`, else `target/release/astra` of the
//!   workspace) running `astra run thecannon INPUTS --model M --workers W --no-fsync`
//!   (default 2 workers; `--fsync` drops `--no-fsync`), SQLite in a temporary folder:
//!   files per second, from start to exit;
//! - the astraSource writer alone writing the same products (each task's rows as the run
//!   committed them, four images of the input's shape, the input's header) on W threads
//!   and on one, with the same fsync setting.
//!
//! Then the stages of one task on one thread (read the input, normalize and fit, write
//! the file), for where the time goes. Prints the ratio to the writer's rate on W threads
//! (goal: at least 0.5). Speed is never asserted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use astra_targets::db::blocking::Database;
use astra_targets::ndarray::{Array2, Axis, arr1};
use astra_targets::plugin::{Input, ModelSource, Plugin};
use astra_targets::source::{AstraSource, SourceImages, WriteOptions};
use astra_targets::spectrum::Spectrum;
use astra_targets::spectrum::synthetic::{self, Labels};
use astra_targets::{AstraTask, OutputRoot};
use astra_thecannon::Trainer;
use astra_thecannon::continuum::{APOGEE_CHIPS, Continuum};
use astra_thecannon::plugin::{CONTINUUM_ORDER, TheCannon, TheCannonPlugin, TheCannonResults};

/// S/N of the synthetic spectra.
const SNR: f64 = 100.0;
/// Tasks timed stage by stage.
const STAGED: usize = 100;

struct Options {
    astra: PathBuf,
    inputs: usize,
    train: usize,
    workers: usize,
    fsync: bool,
    keep: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        astra: std::env::var_os("ASTRA_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| astra_targets_tests::workspace_root().join("target/release/astra")),
        inputs: 1000,
        train: 200,
        workers: 2,
        fsync: false,
        keep: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--astra" => o.astra = value()?.into(),
            "--inputs" => o.inputs = count(&flag, &value()?)?,
            "--train" => o.train = count(&flag, &value()?)?,
            "--workers" => o.workers = count(&flag, &value()?)?,
            "--fsync" => o.fsync = true,
            "--keep" => o.keep = true,
            other => return Err(format!("unknown argument {other}; see the program's documentation")),
        }
    }
    if !o.astra.is_file() {
        return Err(format!(
            "the astra program {} does not exist (build it: cargo build --release -p astra-cli)",
            o.astra.display()
        ));
    }
    Ok(o)
}

fn count(flag: &str, v: &str) -> Result<usize, String> {
    v.parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{flag} {v} is not a positive count"))
}

fn main() {
    if let Err(message) = run() {
        eprintln!("bench-end-to-end: {message}");
        std::process::exit(1);
    }
}

fn labels_of(seed: u64) -> Labels {
    let mut rng = synthetic::Rng::new(seed);
    Labels {
        teff: rng.range(4200.0, 5200.0),
        logg: rng.range(1.5, 3.5),
        fe_h: rng.range(-1.0, 0.2),
    }
}

/// Runs `work(i)` for i in 0..n on `threads` threads.
fn on_threads<E: Send>(n: usize, threads: usize, work: impl Fn(usize) -> Result<(), E> + Sync) -> Result<(), E> {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= n {
                            return Ok(());
                        }
                        work(i)?;
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
}

/// Trains and saves a model on `n` synthetic spectra (seeds 1,000,000 on).
fn train(path: &Path, n: usize) -> Result<(), String> {
    let continuum = Continuum::new(CONTINUUM_ORDER).regions(APOGEE_CHIPS);
    let p = astra_targets::spectrum::WavelengthGrid::APOGEE.npix;
    let mut flux = Array2::<f64>::zeros((n, p));
    let mut ivar = Array2::<f64>::zeros((n, p));
    let mut labels = Array2::<f64>::zeros((n, 3));
    for i in 0..n {
        let seed = 1_000_000 + i as u64;
        let l = labels_of(seed);
        let s = synthetic::apogee(seed, l, SNR, 1).map_err(|e| e.to_string())?;
        let f = s.flux.index_axis(Axis(0), 0).mapv(f64::from);
        let w = s.ivar.index_axis(Axis(0), 0).mapv(f64::from);
        let normalized = continuum.normalize(f.view(), w.view()).map_err(|e| e.to_string())?;
        flux.row_mut(i).assign(&normalized.flux);
        ivar.row_mut(i).assign(&normalized.ivar);
        labels.row_mut(i).assign(&arr1(&[l.teff, l.logg, l.fe_h]));
    }
    let names = vec!["teff".to_string(), "logg".to_string(), "fe_h".to_string()];
    let model = Trainer::new(names, labels.view(), flux.view(), ivar.view())
        .train()
        .map_err(|e| e.to_string())?;
    model.save(path).map_err(|e| e.to_string())
}

fn input_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("apStar-bench-{i:05}.fits"))
}

/// The task, rows and spectrum of one input after the run.
struct Product {
    task: TheCannon,
    rows: Vec<TheCannonResults>,
    spectrum: Spectrum,
}

/// Files per second writing every product on `threads` threads under `root`.
fn writer_alone(products: &[Product], root: &Path, threads: usize, options: &WriteOptions) -> Result<f64, String> {
    let root = OutputRoot::new(root);
    let t = Instant::now();
    on_threads(products.len(), threads, |i| -> Result<(), String> {
        let p = &products[i];
        let (flux, ivar) = (&p.spectrum.flux, &p.spectrum.ivar);
        let images = SourceImages::new(flux, ivar).continuum(flux).model_flux(flux);
        let path = p.task.output_path(&root).map_err(|e| e.to_string())?;
        AstraSource::at(&p.task, path)
            .write_images(&p.spectrum, images, &p.rows, options)
            .map_err(|e| e.to_string())
    })?;
    Ok(products.len() as f64 / t.elapsed().as_secs_f64())
}

fn run() -> Result<(), String> {
    let o = options()?;
    let work = tempfile::Builder::new()
        .prefix("bench-end-to-end-")
        .tempdir_in(astra_targets_tests::workspace_root().join("target"))
        .map_err(|e| format!("a temporary folder under target/: {e}"))?;
    let dir = if o.keep {
        let kept = work.keep();
        eprintln!("bench-end-to-end: keeping {}", kept.display());
        kept
    } else {
        work.path().to_path_buf()
    };
    let dir = dir.as_path();
    let t = Instant::now();
    let model_path = dir.join("cannon-model.fits");
    train(&model_path, o.train)?;
    let inputs = dir.join("inputs");
    std::fs::create_dir_all(&inputs).map_err(|e| e.to_string())?;
    on_threads(o.inputs, 2, |i| {
        let seed = 1 + i as u64;
        let s = synthetic::apogee(seed, labels_of(seed), SNR, 1).map_err(|e| e.to_string())?;
        synthetic::write_apstar(input_path(&inputs, i), &s).map_err(|e| e.to_string())
    })?;
    eprintln!(
        "bench-end-to-end: model trained on {} spectra and {} inputs written in {:.1} s",
        o.train,
        o.inputs,
        t.elapsed().as_secs_f64()
    );

    // The program, as a user runs it.
    let db_url = format!("sqlite://{}", dir.join("astra.db").display());
    let out = dir.join("out");
    let mut command = Command::new(&o.astra);
    command
        .env("ASTRA_DATABASE_URL", &db_url)
        .env("ASTRA_OUTPUT_DIR", &out)
        .arg("run")
        .arg("thecannon")
        .arg(&inputs)
        .arg("--model")
        .arg(&model_path)
        .args(["--workers", &o.workers.to_string()]);
    if !o.fsync {
        command.arg("--no-fsync");
    }
    let t = Instant::now();
    let output = command
        .output()
        .map_err(|e| format!("running {}: {e}", o.astra.display()))?;
    let seconds = t.elapsed().as_secs_f64();
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    let expected = format!("{} inputs: 0 already done, {} succeeded, 0 failed", o.inputs, o.inputs);
    if !output.status.success() || !shown.contains(&expected) {
        return Err(format!(
            "astra run did not run every task ({}): {shown}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let program = o.inputs as f64 / seconds;

    // The same products, written by the writer alone.
    let db = Database::connect(&db_url).map_err(|e| e.to_string())?;
    let loaded = TheCannonPlugin::load_model(ModelSource::File(&model_path)).map_err(|e| e.to_string())?;
    let mut products = Vec::with_capacity(o.inputs);
    for i in 0..o.inputs {
        let path = input_path(&inputs, i);
        let spectrum = astra_targets::spectrum::read(&path).map_err(|e| e.to_string())?;
        let task = TheCannonPlugin::task(&loaded, &Input::new(&path, &spectrum)).map_err(|e| e.to_string())?;
        let rows = db.target(&task).read().map_err(|e| e.to_string())?;
        products.push(Product { task, rows, spectrum });
    }
    let options = WriteOptions::default()
        .durable(o.fsync)
        .plugin(TheCannonPlugin::NAME, TheCannonPlugin::VERSION);
    let writer = writer_alone(&products, &dir.join("writer"), o.workers, &options)?;
    let writer_one = writer_alone(&products, &dir.join("writer-one"), 1, &options)?;

    // Stages of one task on one thread.
    let n = STAGED.min(o.inputs);
    let t = Instant::now();
    let spectra: Vec<Spectrum> = (0..n)
        .map(|i| astra_targets::spectrum::read(input_path(&inputs, i)))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let read = t.elapsed().as_secs_f64() / n as f64;
    let t = Instant::now();
    for (i, s) in spectra.iter().enumerate() {
        let path = input_path(&inputs, i);
        let input = Input::new(&path, s);
        TheCannonPlugin::analyse(&loaded, &products[i].task, &input).map_err(|e| e.to_string())?;
    }
    let analyse = t.elapsed().as_secs_f64() / n as f64;
    // The analysis's two steps apart.
    let continuum = Continuum::new(CONTINUUM_ORDER).regions(APOGEE_CHIPS);
    let fitter = astra_thecannon::Fitter::new(&loaded.model);
    let (mut normalize, mut fit) = (0.0, 0.0);
    for s in &spectra {
        let t = Instant::now();
        let flux = s.flux.index_axis(Axis(0), 0).mapv(f64::from);
        let ivar = s.ivar.index_axis(Axis(0), 0).mapv(f64::from);
        let normalized = continuum
            .normalize(flux.view(), ivar.view())
            .map_err(|e| e.to_string())?;
        normalize += t.elapsed().as_secs_f64();
        let t = Instant::now();
        fitter
            .fit(normalized.flux.view(), normalized.ivar.view())
            .map_err(|e| e.to_string())?;
        fit += t.elapsed().as_secs_f64();
    }
    let (normalize, fit) = (normalize / n as f64, fit / n as f64);
    let write = 1.0 / writer_one;

    println!(
        "End to end: astra run thecannon on {} synthetic APOGEE inputs (1 x 8575 pixels), --workers {}, {}, one run",
        o.inputs,
        o.workers,
        if o.fsync {
            "each file fsync'd"
        } else {
            "--no-fsync (the writer alone: no fsync either)"
        }
    );
    println!("{:<58} {:>10}", "", "files/s");
    println!(
        "{:<58} {:>10.0}",
        format!("astra run thecannon, {} workers (program start to exit)", o.workers),
        program
    );
    println!(
        "{:<58} {:>10.0}",
        format!("astraSource writer alone, same products, {} threads", o.workers),
        writer
    );
    println!("{:<58} {:>10.0}", "astraSource writer alone, one thread", writer_one);
    println!(
        "runner + analysis / writer alone ({} threads each): {:.2}x   goal >= 0.5x   (against the writer on one thread: {:.2}x)",
        o.workers,
        program / writer,
        program / writer_one
    );
    println!("\nOne task's stages on one thread (ms, {n} tasks):");
    println!("  read the input (spectrum::read)                {:7.3}", read * 1e3);
    println!("  continuum-normalize and fit (the analysis)     {:7.3}", analyse * 1e3);
    println!(
        "    of which continuum normalization             {:7.3}",
        normalize * 1e3
    );
    println!("    of which the fit of the labels               {:7.3}", fit * 1e3);
    println!("  write the astraSource file                     {:7.3}", write * 1e3);
    println!(
        "  sum {:.3} ms: {:.0} tasks/s a thread",
        (read + analyse + write) * 1e3,
        1.0 / (read + analyse + write)
    );
    Ok(())
}

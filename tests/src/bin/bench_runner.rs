//! `bench-runner`: the runner's own overhead against luigi's local scheduler, in one run.
//!
//! ```text
//! bench-runner [--tasks N] [--complete M] [--luigi-python PATH] [--reference DIR]
//! ```
//!
//! - N tasks (default 2,000) of `benchnoop`, a plugin that does no analysis: it copies its
//!   input's flux and inverse variance into the normalized images and writes one result
//!   row and an astraSource file per task. Inputs are apStar-style files of one spectrum
//!   of 100 pixels (cut from a synthetic APOGEE spectrum), made before any timing. One
//!   worker, SQLite in a temporary folder, files not fsync'd (luigi's `LocalTarget` does
//!   not fsync either; a run with fsync is shown beside it). Timed: the first run
//!   (read, check, run, write, commit) and a re-run where everything is complete, in
//!   tasks per second, against `bench_luigi.py OUT N 1` of the references (python from
//!   `--luigi-python`, else `ASTRA_LUIGI_PYTHON`, else `.venv-luigi/bin/python`).
//! - M inputs (default 100,000), copies of one input with their own object id and group
//!   (the primary header's cards and checksum patched), run once by the runner (two
//!   workers, files not fsync'd); then a re-run of the runner over them is timed: it
//!   decides that all M tasks are complete (one `stat` per input and per file, the input
//!   memo and the result rows asked once per 8,192 inputs) and runs nothing.
//!
//! Prints a table with the ratios and the goals (first run >= 10x luigi, re-run >= 2x,
//! completeness of 100,000 tasks < 1 s). Speed is never asserted: times on a shared
//! machine drift, compare the ratios of one run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use astra_targets::db::TaskRun;
use astra_targets::db::blocking::Database;
use astra_targets::fits::{Card, CardValue};
use astra_targets::ndarray::s;
use astra_targets::plugin::{Analysis, AnalysisImages, Input, ModelSource, Outputs, Plugin, PluginResult};
use astra_targets::run::Runner;
use astra_targets::source::{AstraSource, SourceImages, WriteOptions, looks_complete};
use astra_targets::spectrum::synthetic::{self, Labels};
use astra_targets::spectrum::{PixelMask, Spectrum};
use astra_targets::{AstraResults, AstraTask, OutputRoot};

/// Pixels of each input spectrum.
const PIXELS: usize = 100;
/// Tasks whose completeness the runner checks together (its chunk of inputs).
const CHUNK: usize = 256;

/// The one result row of a `benchnoop` task.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct NoopResults {
    /// Number of pixels of the spectrum row
    pub n_pixels: i64,
}

/// A task that analyses nothing: the runner's overhead alone.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "BenchNoop",
    namespace = "benchnoop",
    version = "0.1.0",
    results = NoopResults,
    table = "bench_noop",
    path = "{astra_version}/{namespace}/{healpix|grp}/{healpix}/AstraSource-{obj}-{task_short_id}.fits"
)]
pub struct BenchNoop {
    /// Group of the task (1,000 tasks a folder, as in luigi's reference)
    pub healpix: i64,
    /// Object identifier
    pub obj: String,
}

/// The `benchnoop` plugin.
pub struct NoopPlugin;

impl Plugin for NoopPlugin {
    type Task = BenchNoop;
    type Model = ();
    const NAME: &'static str = "benchnoop";
    const VERSION: &'static str = "0.1.0";
    const DESCRIPTION: &'static str = "Writes one row and an astraSource file per input, analysing nothing";
    const OUTPUTS: Outputs = Outputs::RowsAndFile { images: &[] };

    fn task(_: &(), input: &Input<'_>) -> PluginResult<BenchNoop> {
        Ok(BenchNoop {
            healpix: input.card_int("HEALPIX")?,
            obj: input.card_str("OBJID")?,
        })
    }

    fn load_model(_: ModelSource<'_>) -> PluginResult<()> {
        Ok(())
    }

    fn analyse(_: &(), _: &BenchNoop, input: &Input<'_>) -> PluginResult<Analysis<NoopResults>> {
        let s = input.spectrum();
        let rows = vec![
            NoopResults {
                n_pixels: s.flux.ncols() as i64
            };
            s.flux.nrows()
        ];
        Ok(Analysis::with_images(
            rows,
            AnalysisImages::new(s.flux.clone(), s.ivar.clone()),
        ))
    }
}

astra_targets::register_plugin!(NoopPlugin);

struct Options {
    tasks: usize,
    complete: usize,
    luigi_python: PathBuf,
    reference: PathBuf,
}

fn options() -> Result<Options, String> {
    let root = astra_targets_tests::workspace_root();
    let mut o = Options {
        tasks: 2000,
        complete: 100_000,
        luigi_python: std::env::var_os("ASTRA_LUIGI_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".venv-luigi/bin/python")),
        reference: root.join("../shared/reference"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--tasks" => o.tasks = count(&flag, &value()?)?,
            "--complete" => o.complete = count(&flag, &value()?)?,
            "--luigi-python" => o.luigi_python = value()?.into(),
            "--reference" => o.reference = value()?.into(),
            other => return Err(format!("unknown argument {other}; see the program's documentation")),
        }
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
        eprintln!("bench-runner: {message}");
        std::process::exit(1);
    }
}

/// The input spectrum of task `i`: one row of 100 pixels of a synthetic APOGEE spectrum,
/// with its own object id and group.
fn input_spectrum(base: &Spectrum, i: usize) -> Spectrum {
    let mut spectrum = base.clone();
    for card in &mut spectrum.header {
        match card.key.as_str() {
            "OBJID" => card.value = CardValue::Str(obj(i)),
            "HEALPIX" => card.value = CardValue::Int(group(i)),
            _ => {}
        }
    }
    spectrum
}

fn obj(i: usize) -> String {
    format!("bench{i:07}")
}

fn group(i: usize) -> i64 {
    (i / 1000) as i64
}

/// A synthetic APOGEE spectrum cut to its first row and 100 pixels.
fn base_spectrum() -> Result<Spectrum, String> {
    let full = synthetic::apogee(7, Labels::SUN, 100.0, 1).map_err(|e| e.to_string())?;
    let PixelMask::Single(mask) = &full.mask else {
        return Err("a synthetic APOGEE spectrum without its single mask".into());
    };
    let cut = s![..1, ..PIXELS];
    let mut grid = full.grid;
    grid.npix = PIXELS;
    for key in ["OBJID", "HEALPIX"] {
        if !full.header.iter().any(|c: &Card| c.key == key) {
            return Err(format!("the synthetic header has no {key} card"));
        }
    }
    Ok(Spectrum {
        kind: full.kind,
        header: full.header.clone(),
        grid,
        flux: full.flux.slice(cut).to_owned(),
        ivar: full.ivar.slice(cut).to_owned(),
        mask: PixelMask::Single(mask.slice(cut).to_owned()),
    })
}

/// Writes the N input files (apStar layout).
fn write_inputs(dir: &Path, base: &Spectrum, n: usize) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    (0..n)
        .map(|i| {
            let path = dir.join(format!("apStar-{}.fits", obj(i)));
            synthetic::write_apstar(&path, &input_spectrum(base, i)).map_err(|e| e.to_string())?;
            Ok(path)
        })
        .collect()
}

/// Tasks per second of one runner run over `inputs`; checks what it did.
fn timed_run(db: &Database, root: &Path, inputs: &[PathBuf], durable: bool, expect_done: usize) -> Result<f64, String> {
    let plugin = astra_targets::plugin::find(NoopPlugin::NAME).map_err(|e| e.to_string())?;
    let runner = Runner::new(plugin, db, OutputRoot::new(root))
        .workers(1)
        .durable(durable);
    let t = Instant::now();
    let report = runner.run(inputs).map_err(|e| e.to_string())?;
    let seconds = t.elapsed().as_secs_f64();
    let ran = inputs.len() - expect_done;
    if report.already_done != expect_done || report.succeeded != ran || !report.failed.is_empty() {
        return Err(format!(
            "the run did not do what was expected: {} already done (expected {expect_done}), {} succeeded (expected {ran}), {} failed, {} bad inputs",
            report.already_done,
            report.succeeded,
            report.failed.len(),
            report.bad_inputs.len()
        ));
    }
    Ok(inputs.len() as f64 / seconds)
}

/// luigi's first-run and all-complete tasks per second (`bench_luigi.py OUT N 1`).
fn luigi(o: &Options, out: &Path) -> Result<(f64, f64, String), String> {
    let script = o.reference.join("bench_luigi.py");
    for (what, path) in [("python", &o.luigi_python), ("reference script", &script)] {
        if !path.exists() {
            return Err(format!(
                "{what} {} does not exist (scripts/bench.sh runner makes the venv)",
                path.display()
            ));
        }
    }
    let output = Command::new(&o.luigi_python)
        .arg(&script)
        .arg(out)
        .arg(o.tasks.to_string())
        .arg("1")
        .output()
        .map_err(|e| format!("running {}: {e}", o.luigi_python.display()))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "the luigi reference failed ({}): {text}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    // "... first run 17.09 s (117 tasks/s), all complete 0.06 s (33000 tasks/s)"
    let rates: Vec<f64> = text
        .split('(')
        .skip(1)
        .filter_map(|part| part.split(" tasks/s").next()?.trim().parse().ok())
        .collect();
    match rates[..] {
        [first, second] => Ok((first, second, text.trim().to_string())),
        _ => Err(format!("no two rates in the luigi reference's output: {text}")),
    }
}

/// Writes `m` inputs: input 0 through the apStar writer, the others copies of its bytes
/// with their own `OBJID` and `HEALPIX` and the primary header's checksum made again.
fn copied_inputs(dir: &Path, base: &Spectrum, m: usize) -> Result<Vec<PathBuf>, String> {
    use astra_targets::fits::checksum::{Sum32, encode};
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let first = dir.join(format!("apStar-{}.fits", obj(0)));
    synthetic::write_apstar(&first, &input_spectrum(base, 0)).map_err(|e| e.to_string())?;
    let mut bytes = std::fs::read(&first).map_err(|e| e.to_string())?;
    let record = |key: &str, bytes: &[u8]| {
        let key = format!("{key:<8}=");
        (0..bytes.len() / 80)
            .map(|r| r * 80)
            .find(|&at| bytes[at..].starts_with(key.as_bytes()))
            .ok_or_else(|| format!("the input has no {key} card"))
    };
    let objid = record("OBJID", &bytes)? + 11;
    let healpix = record("HEALPIX", &bytes)? + 10;
    let checksum = record("CHECKSUM", &bytes)? + 11;
    let end = (0..bytes.len() / 80)
        .map(|r| r * 80)
        .find(|&at| bytes[at..at + 80].starts_with(b"END") && bytes[at + 3..at + 80].iter().all(|&b| b == b' '))
        .ok_or_else(|| "the input's primary header has no END".to_string())?;
    let header_end = (end + 80).div_ceil(2880) * 2880;
    let mut paths = vec![first];
    for i in 1..m {
        let id = obj(i);
        bytes[objid..objid + id.len()].copy_from_slice(id.as_bytes());
        bytes[healpix..healpix + 20].copy_from_slice(format!("{:>20}", group(i)).as_bytes());
        bytes[checksum..checksum + 16].copy_from_slice(b"0000000000000000");
        let mut sum = Sum32::default();
        sum.add_bytes(&bytes[..header_end]);
        bytes[checksum..checksum + 16].copy_from_slice(encode(sum.value(), true).as_bytes());
        let path = dir.join(format!("apStar-{id}.fits"));
        std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}

fn run() -> Result<(), String> {
    let o = options()?;
    let work = tempfile::Builder::new()
        .prefix("bench-runner-")
        .tempdir_in(astra_targets_tests::workspace_root().join("target"))
        .map_err(|e| format!("a temporary folder under target/: {e}"))?;
    let dir = work.path();
    let base = base_spectrum()?;
    let t = Instant::now();
    let inputs = write_inputs(&dir.join("inputs"), &base, o.tasks)?;
    eprintln!(
        "bench-runner: {} input files of {PIXELS} pixels written in {:.1} s",
        inputs.len(),
        t.elapsed().as_secs_f64()
    );

    let (luigi_first, luigi_again, luigi_line) = luigi(&o, &dir.join("luigi"))?;

    let db = Database::connect(&format!("sqlite://{}", dir.join("astra.db").display())).map_err(|e| e.to_string())?;
    let root = dir.join("out");
    let first = timed_run(&db, &root, &inputs, false, 0)?;
    let again = timed_run(&db, &root, &inputs, false, inputs.len())?;
    let durable_db =
        Database::connect(&format!("sqlite://{}", dir.join("durable.db").display())).map_err(|e| e.to_string())?;
    let durable = timed_run(&durable_db, &dir.join("out-durable"), &inputs, true, 0)?;
    let sample = first_file(&root)
        .and_then(|p| std::fs::metadata(p).ok())
        .map_or(0, |m| m.len());

    println!(
        "The runner against luigi's local scheduler: {} tasks, one worker, one run (files not fsync'd on either side)",
        o.tasks
    );
    println!("({luigi_line})\n");
    println!("{:<44} {:>10} {:>10} {:>8}   goal", "", "luigi", "ours", "ratio");
    println!(
        "{:<44} {:>10.0} {:>10.0} {:>7.1}x   >= 10x",
        "first run (tasks/s)",
        luigi_first,
        first,
        first / luigi_first
    );
    println!(
        "{:<44} {:>10.0} {:>10.0} {:>7.1}x   >= 2x",
        "re-run, all complete (tasks/s)",
        luigi_again,
        again,
        again / luigi_again
    );
    println!(
        "{:<44} {:>10} {:>10.0} {:>7.1}x   (information)",
        "first run, each file fsync'd (tasks/s)",
        "",
        durable,
        durable / luigi_first
    );
    println!(
        "(each task: an input of 1 x {PIXELS} pixels read, an astraSource file of {sample} bytes written, one row committed)"
    );
    drop(durable_db);
    stages(&db, &root, &inputs, &base)?;

    let t = Instant::now();
    let many = copied_inputs(&dir.join("many"), &base, o.complete)?;
    let made = t.elapsed().as_secs_f64();
    let complete_db =
        Database::connect(&format!("sqlite://{}", dir.join("complete.db").display())).map_err(|e| e.to_string())?;
    let plugin = astra_targets::plugin::find(NoopPlugin::NAME).map_err(|e| e.to_string())?;
    let runner = Runner::new(plugin, &complete_db, OutputRoot::new(dir.join("complete")))
        .workers(2)
        .durable(false);
    let t = Instant::now();
    let report = runner.run(&many).map_err(|e| e.to_string())?;
    let first_seconds = t.elapsed().as_secs_f64();
    // Two different tasks may share a task id (8 hex digits of an MD5, Astra's rule: about
    // one pair in 100,000 tasks); the runner runs such an id once.
    let shared = report.duplicates;
    if report.succeeded + shared != many.len() || !report.failed.is_empty() || !report.bad_inputs.is_empty() {
        return Err(format!(
            "{} of {} tasks succeeded ({shared} ids shared): {:?} {:?}",
            report.succeeded,
            many.len(),
            report.failed.first(),
            report.bad_inputs.first(),
        ));
    }
    eprintln!(
        "bench-runner: {} inputs copied in {made:.1} s and run in {first_seconds:.1} s (two workers)",
        many.len()
    );
    let t = Instant::now();
    let report = runner.run(&many).map_err(|e| e.to_string())?;
    let seconds = t.elapsed().as_secs_f64();
    if report.already_done + shared != many.len() || report.succeeded != 0 {
        return Err(format!(
            "the re-run found {} of {} tasks complete and ran {}",
            report.already_done,
            many.len(),
            report.succeeded
        ));
    }
    println!(
        "\ncompleteness of {} finished tasks (rows committed, astraSource files present), decided by a re-run of the runner: {seconds:.3} s, {:.1} µs a task   goal < 1 s for 100,000",
        many.len(),
        seconds * 1e6 / many.len() as f64
    );
    println!(
        "(their first run, two workers: {:.0} tasks/s; {shared} of the {} task ids are shared by two tasks: the id is 8 hex digits of an MD5)",
        many.len() as f64 / first_seconds,
        many.len()
    );
    Ok(())
}

/// Where a task's time goes: each stage of the runner's work timed alone over the inputs
/// (whose tasks are complete in `db` and under `root`), in microseconds a task.
fn stages(db: &Database, root: &Path, inputs: &[PathBuf], base: &Spectrum) -> Result<(), String> {
    let n = inputs.len() as f64;
    let per_task = |t: Instant| t.elapsed().as_secs_f64() * 1e6 / n;
    let err = |e: astra_targets::Error| e.to_string();
    let t = Instant::now();
    let spectra: Vec<Spectrum> = inputs
        .iter()
        .map(astra_targets::spectrum::read)
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let read = per_task(t);
    let t = Instant::now();
    let tasks: Vec<BenchNoop> = inputs
        .iter()
        .zip(&spectra)
        .map(|(p, s)| NoopPlugin::task(&(), &Input::new(p, s)))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let task = per_task(t);
    let root = OutputRoot::new(root);
    let t = Instant::now();
    let ids: Vec<String> = tasks.iter().map(AstraTask::task_id).collect();
    let id = per_task(t);
    let t = Instant::now();
    let paths: Vec<PathBuf> = tasks
        .iter()
        .map(|t| t.output_path(&root))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let path = per_task(t);
    let t = Instant::now();
    for chunk in ids.chunks(CHUNK) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        db.exists_many::<BenchNoop>(&refs).map_err(err)?;
    }
    let exists = per_task(t);
    let t = Instant::now();
    let whole = paths.iter().filter(|p| looks_complete(p)).count();
    let complete = per_task(t);
    if whole != paths.len() {
        return Err(format!("{whole} of {} files look complete", paths.len()));
    }
    let rows = [NoopResults {
        n_pixels: PIXELS as i64,
    }];
    let scratch = tempfile::tempdir_in(root.path()).map_err(|e| e.to_string())?;
    let options = WriteOptions::default().plugin(NoopPlugin::NAME, NoopPlugin::VERSION);
    let t = Instant::now();
    for (i, task) in tasks.iter().enumerate() {
        let path = scratch.path().join(format!("{}/{i}.fits", i / 1000));
        AstraSource::at(task, path)
            .write_images(&spectra[i], SourceImages::new(&base.flux, &base.ivar), &rows, &options)
            .map_err(err)?;
    }
    let write = per_task(t);
    let t = Instant::now();
    for chunk in tasks.chunks(64) {
        let runs: Vec<TaskRun<'_, BenchNoop>> = chunk.iter().map(|t| TaskRun::succeeded(t, &rows, 0.0)).collect();
        db.record_runs(&runs).map_err(err)?;
    }
    let record = per_task(t);
    println!(
        "\nWhere a task's time goes (each stage alone over the {} inputs, µs a task):",
        inputs.len()
    );
    println!("  read the input file (spectrum::read)             {read:8.1}");
    println!("  build the task from its header                   {task:8.1}");
    println!("  task id                                          {id:8.1}");
    println!("  output path                                      {path:8.1}");
    println!("  exists_many, one query per {CHUNK} tasks            {exists:8.1}");
    println!("  looks_complete of the file                       {complete:8.1}");
    println!("  write the astraSource file (no fsync)            {write:8.1}");
    println!("  commit rows and status, 64 tasks a transaction   {record:8.1}");
    Ok(())
}

/// Some astraSource file under `root`.
fn first_file(root: &Path) -> Option<PathBuf> {
    let mut dir = root.to_path_buf();
    loop {
        let entry = std::fs::read_dir(&dir).ok()?.flatten().next()?;
        let path = entry.path();
        if path.is_file() {
            return Some(path);
        }
        dir = path;
    }
}

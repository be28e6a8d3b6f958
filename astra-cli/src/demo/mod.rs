//! `astra demo`: a real pipeline on synthetic data, with no server.
//!
//! It writes synthetic APOGEE and BOSS spectrum files of stars with known labels (from
//! a line model that is neither The Cannon's nor The Payne's; S/N stated per
//! instrument), trains The Cannon, The Payne's network and the classifier on a labelled
//! subset of each instrument's spectra, runs `thecannon` and `thepayne` on the other
//! spectra and `classifier` on all of them, and ends with the two methods' recovered
//! labels side by side against the true ones. Rows go to a SQLite database and astraSource
//! files under the demo's folder. Every step keeps what an earlier run made, so a second
//! run finds the work done.

mod data;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use astra_targets::OutputRoot;
use astra_targets::cli::clap::{Arg, ArgMatches, Command, value_parser};
use astra_targets::cli::{Bar, CliError, Result, Settings};
use astra_targets::db::blocking::Database;
use astra_targets::plugin::PluginDescriptor;
use astra_targets::run::{RunReport, Runner};

use data::{Instrument, InstrumentData};

/// Training and test stars per instrument.
const N_TRAIN: usize = 160;
const N_TEST: usize = 80;

/// The `demo` command's definition.
pub fn command() -> Command {
    Command::new("demo")
        .about(
            "Run the demo: The Cannon, The Payne and the classifier trained and run on synthetic APOGEE and BOSS \
             spectra",
        )
        .arg(
            Arg::new("dir")
                .long("dir")
                .value_name("DIR")
                .default_value("astra-demo")
                .value_parser(value_parser!(PathBuf))
                .help("The demo's folder: inputs, label tables, models, database and astraSource files"),
        )
        .arg(
            Arg::new("workers")
                .long("workers")
                .value_name("N")
                .default_value("2")
                .value_parser(value_parser!(u32).range(1..=256))
                .help("Worker threads"),
        )
}

/// The model files of one instrument.
#[derive(Debug, Clone)]
pub struct Models {
    /// The Cannon's model.
    pub cannon: PathBuf,
    /// The Payne's network.
    pub payne: PathBuf,
    /// The classifier's model.
    pub classifier: PathBuf,
}

fn failed(what: impl std::fmt::Display) -> CliError {
    CliError::Failed(what.to_string())
}

/// Runs the demo.
pub fn run(args: &ArgMatches, settings: &Settings) -> Result<ExitCode> {
    let started = Instant::now();
    let dir = args
        .get_one::<PathBuf>("dir")
        .cloned()
        .unwrap_or_else(|| PathBuf::from("astra-demo"));
    let workers = args.get_one::<u32>("workers").copied().unwrap_or(2) as usize;
    std::fs::create_dir_all(&dir).map_err(|e| failed(format!("creating the demo folder {dir:?}: {e}")))?;
    let database = if settings.database_given {
        settings.database.clone()
    } else {
        format!("sqlite://{}", dir.join("astra.db").display())
    };
    let root = if settings.output_dir_given {
        settings.output_root.clone()
    } else {
        OutputRoot::new(dir.join("output"))
    };

    println!("astra demo in {}", dir.display());
    let data: Vec<InstrumentData> = Instrument::ALL
        .iter()
        .map(|&i| data::layout(&dir, i, N_TRAIN, N_TEST))
        .collect();
    for d in &data {
        step_inputs(d, workers)?;
    }
    let cannon = astra_targets::plugin::find_trainable("thecannon")?;
    let payne = astra_targets::plugin::find_trainable("thepayne")?;
    let classifier = astra_targets::plugin::find_trainable("classifier")?;
    let mut models = Vec::new();
    for d in &data {
        models.push(Models {
            cannon: step_train(cannon, d, &dir)?,
            payne: step_train(payne, d, &dir)?,
            classifier: step_train(classifier, d, &dir)?,
        });
    }

    let db = Database::connect(&database)?;
    let mut all_done = true;
    let mut any_failed = false;
    for (d, m) in data.iter().zip(&models) {
        for (plugin, model, inputs, what) in [
            (cannon, &m.cannon, d.test_inputs(), "test"),
            (payne, &m.payne, d.test_inputs(), "test"),
            (classifier, &m.classifier, d.all_inputs(), "all"),
        ] {
            let report = step_run(plugin, &db, &root, model, &inputs, workers)?;
            println!(
                "  {:<10} {:<6} {:>3} {what:<4} spectra: {} already done, {} run, {} failed, in {:.2} s",
                plugin.name,
                d.instrument.name(),
                inputs.len(),
                report.already_done,
                report.succeeded,
                report.failed.len() + report.bad_inputs.len(),
                report.elapsed.as_secs_f64()
            );
            for f in report.failed.iter().take(5) {
                println!("    failed {}: {}", f.input.display(), f.message);
            }
            all_done &= report.succeeded == 0 && report.failed.is_empty() && report.bad_inputs.is_empty();
            any_failed |= !report.failed.is_empty() || !report.bad_inputs.is_empty();
            if report.interrupted {
                return Err(failed(
                    "interrupted: run `astra demo` again to resume (complete tasks are skipped)",
                ));
            }
        }
    }

    println!();
    report::labels(&db, &data, &models)?;
    report::classes(&db, &data, &models)?;
    println!();
    report::places(&dir, &database, &root, &data, &models);
    if all_done {
        println!(
            "\nEverything was already done: nothing was run ({:.2} s).",
            started.elapsed().as_secs_f64()
        );
    } else {
        println!(
            "\nDone in {:.1} s. Run it again: the work is found done.",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(if any_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes an instrument's synthetic inputs, unless a finished earlier run wrote them.
fn step_inputs(d: &InstrumentData, workers: usize) -> Result<()> {
    let n = d.train.len() + d.test.len();
    if data::is_complete(d) {
        println!(
            "  inputs     {:<6} {n} synthetic spectra already written",
            d.instrument.name()
        );
        return Ok(());
    }
    let t = Instant::now();
    data::write(d, workers).map_err(failed)?;
    println!(
        "  inputs     {:<6} {n} synthetic spectra at S/N {} written in {:.2} s",
        d.instrument.name(),
        d.instrument.snr(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The model of `plugin` for an instrument: trained on its training table, unless an
/// earlier run saved it.
fn step_train(plugin: &'static PluginDescriptor, d: &InstrumentData, dir: &Path) -> Result<PathBuf> {
    let models = dir.join("models");
    std::fs::create_dir_all(&models).map_err(|e| failed(format!("creating {models:?}: {e}")))?;
    let path = models.join(format!(
        "{}-{}.{}",
        plugin.name,
        d.instrument.key(),
        plugin.model_extension
    ));
    if path.is_file() {
        println!(
            "  train      {:<10} {:<6} model already trained",
            plugin.name,
            d.instrument.name()
        );
        return Ok(path);
    }
    let t = Instant::now();
    let set = plugin.training_set(&d.train_table)?;
    plugin.train(&set, &path)?;
    println!(
        "  train      {:<10} {:<6} on {} spectra ({}) in {:.2} s",
        plugin.name,
        d.instrument.name(),
        set.len(),
        set.label_names().join(", "),
        t.elapsed().as_secs_f64()
    );
    Ok(path)
}

fn step_run(
    plugin: &'static PluginDescriptor,
    db: &Database,
    root: &OutputRoot,
    model: &Path,
    inputs: &[PathBuf],
    workers: usize,
) -> Result<RunReport> {
    let bar = Bar::new();
    let report = Runner::new(plugin, db, root.clone())
        .workers(workers)
        .model(model)
        .observer(&bar)
        .run(inputs);
    bar.finish();
    Ok(report?)
}

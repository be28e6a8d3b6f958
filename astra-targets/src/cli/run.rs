//! `astra run PLUGIN INPUTS...`: the runner from the command line, with a progress bar,
//! a dry run, and SIGINT stopping cleanly.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;

use super::progress::Bar;
use super::{CliError, Result, inputs};
use crate::OutputRoot;
use crate::db::blocking::Database;
use crate::run::{Pending, Plan, RunReport, Runner};

/// The arguments of `astra run`.
#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// The plugin (`astra plugins` lists them).
    plugin: String,
    /// Input spectrum files (apStar or BOSS spec layout): files, folders, glob patterns,
    /// or @FILE for a list of files, one per line.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Worker threads.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    workers: u32,
    /// Run at most this many tasks (complete ones are not counted).
    #[arg(long)]
    limit: Option<usize>,
    /// Show what would run and what is done, changing nothing.
    #[arg(long)]
    dry_run: bool,
    /// The plugin's trained model file.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Do not fsync each astraSource file before its rename (faster; after a power cut
    /// a file may be missing, and the next run redoes its task).
    #[arg(long)]
    no_fsync: bool,
    /// Do not run again the tasks whose last run failed (by default they are retried).
    #[arg(long)]
    no_retry: bool,
}

/// The most failures listed after a run.
const SHOWN: usize = 20;

pub(crate) fn run(args: RunArgs, database: &str, root: OutputRoot) -> Result<ExitCode> {
    let plugin = crate::plugin::find(&args.plugin)?;
    if let Some(model) = &args.model
        && !model.is_file()
    {
        return Err(CliError::Usage(format!("model file {model:?} does not exist")));
    }
    let inputs = inputs::expand(&args.inputs)?;
    let db = Database::connect(database)?;
    let stop = Arc::new(AtomicBool::new(false));
    let bar = Bar::new();
    let mut runner = Runner::new(plugin, &db, root)
        .workers(args.workers as usize)
        .durable(!args.no_fsync)
        .retry_failed(!args.no_retry)
        .stop_flag(stop.clone())
        .observer(&bar);
    if let Some(limit) = args.limit {
        runner = runner.limit(limit);
    }
    if let Some(model) = &args.model {
        runner = runner.model(model);
    }
    if args.dry_run {
        let plan = runner.plan(&inputs)?;
        print_plan(plugin.name, inputs.len(), &plan);
        return Ok(ExitCode::SUCCESS);
    }
    install_interrupt(stop);
    let report = runner.run(&inputs);
    bar.finish();
    let report = report?;
    Ok(print_report(plugin.name, &report))
}

/// On the first SIGINT: stop taking tasks, finish those in flight. On the second: leave
/// at once (tasks in flight are redone by the next run).
fn install_interrupt(stop: Arc<AtomicBool>) {
    // Only one handler per process; a second run in the same process keeps the first.
    let _ = ctrlc::set_handler(move || {
        if stop.swap(true, Ordering::SeqCst) {
            eprintln!("interrupted again: leaving now; tasks in flight will be redone by the next run");
            std::process::exit(130);
        }
        eprintln!("interrupted: finishing the tasks in flight (press Ctrl-C again to abandon them)");
    });
}

fn print_plan(plugin: &str, inputs: usize, plan: &Plan) {
    for t in &plan.done {
        println!("done       {}  {}", t.task_id, t.input.display());
    }
    for t in &plan.to_run {
        let why = match t.pending {
            Some(Pending::FileMissing) => "result row, but its astraSource file is missing",
            _ => "no result",
        };
        println!("would run  {}  {}  ({why})", t.task_id, t.input.display());
    }
    for b in &plan.bad_inputs {
        println!("unusable   {}: {}", b.input.display(), b.message);
    }
    if plan.failed_before > 0 {
        println!(
            "not retried: {} tasks whose last run failed (--no-retry)",
            plan.failed_before
        );
    }
    println!(
        "{plugin}: {inputs} inputs: {} done, {} would run, {} beyond the limit, {} unusable, {} duplicate (dry run: nothing changed)",
        plan.done.len(),
        plan.to_run.len(),
        plan.beyond_limit,
        plan.bad_inputs.len(),
        plan.duplicates
    );
}

fn print_report(plugin: &str, r: &RunReport) -> ExitCode {
    println!(
        "{plugin}: {} inputs: {} already done, {} succeeded, {} failed, {} unusable, {} beyond the limit, {} duplicate, in {:.2} s",
        r.inputs,
        r.already_done,
        r.succeeded,
        r.failed.len(),
        r.bad_inputs.len(),
        r.beyond_limit,
        r.duplicates,
        r.elapsed.as_secs_f64()
    );
    for f in r.failed.iter().take(SHOWN) {
        println!("failed     {}  {}: {}", f.task_id, f.input.display(), f.message);
    }
    for b in r.bad_inputs.iter().take(SHOWN) {
        println!("unusable   {}: {}", b.input.display(), b.message);
    }
    let listed = r.failed.len().min(SHOWN) + r.bad_inputs.len().min(SHOWN);
    if listed < r.failed.len() + r.bad_inputs.len() {
        println!("(more failures: `astra status` lists them)");
    }
    if r.failed_before > 0 {
        println!(
            "not retried: {} tasks whose last run failed (--no-retry)",
            r.failed_before
        );
    }
    if r.interrupted {
        eprintln!(
            "interrupted: {} tasks were committed; run the same command again to resume (complete tasks are skipped)",
            r.succeeded + r.failed.len()
        );
        return ExitCode::from(130);
    }
    if r.failed.is_empty() && r.bad_inputs.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

//! `astra`: the command-line program of astra-targets.

#[allow(dead_code)] // The task is declared for its metadata; the demo runner constructs it.
mod demo;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use astra_targets::{OutputRoot, Params, TaskMeta, registry};
use clap::{Parser, Subcommand};

/// Outputs of astronomical survey pipelines: tasks, database targets and astraSource files.
#[derive(Parser)]
#[command(name = "astra", version, about)]
struct Cli {
    /// Output root for astraSource files (default: $ASTRA_OUTPUT_DIR, else ./astra-output).
    #[arg(long, global = true)]
    output_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every task linked into this program, with its parameters and path rule.
    Tasks,
    /// Resolve a task's id and astraSource path from its parameters (name=value ...).
    Path {
        /// The task family.
        family: String,
        /// Parameter values, as name=value.
        params: Vec<String>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let root = cli.output_dir.map(OutputRoot::new).unwrap_or_else(OutputRoot::from_env);
    match cli.command {
        Command::Tasks => {
            for task in registry::tasks()? {
                print_task(task);
            }
            Ok(())
        }
        Command::Path { family, params } => {
            let meta = registry::task(&family)?;
            let named = parse_pairs(&params)?;
            let params = Params::parse(meta, &named)?;
            let relative = astra_targets::path::relative_path(&params)?;
            let ids = astra_targets::identity::ids(&params);
            println!("task_id        {}", ids.task_id);
            println!("task_short_id  {}", ids.task_short_id);
            println!("path           {}", root.path().join(relative).display());
            Ok(())
        }
    }
}

fn parse_pairs(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let (k, v) = pair
            .split_once('=')
            .with_context(|| format!("parameter {pair:?} is not name=value"))?;
        if out.insert(k.to_string(), v.to_string()).is_some() {
            bail!("parameter `{k}` is given twice");
        }
    }
    Ok(out)
}

fn print_task(task: &TaskMeta) {
    println!("{} {} ({})", task.family, task.version, task.rust_name);
    println!("  {}", task.description);
    println!(
        "  id: {}_<8 hex digits of the MD5 of its significant parameters>",
        task.family
    );
    if let Some(path) = task.path {
        println!("  path: {}", path.text);
    }
    println!("  parameters:");
    for p in task.parameters {
        let significance = if p.significant { "" } else { " (insignificant)" };
        println!(
            "    {:<18} {:<8} {}{}",
            p.name, p.rust_type, p.description, significance
        );
    }
    println!(
        "  results: table `{}`, {} columns ({})",
        task.table,
        task.results.len(),
        task.results_type
    );
    for c in task.results {
        println!(
            "    {:<18} {:<14} {:<5} {:<9} {}",
            c.name,
            c.rust_type(),
            c.tform(),
            c.unit,
            c.description
        );
    }
}

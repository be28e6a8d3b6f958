//! `astra status`: tasks per family and status code, their durations, and failures with
//! their messages.

use std::process::ExitCode;

use clap::Args;

use super::Result;
use crate::db::blocking::Database;
use crate::db::{ConnectOptions, StatusCode};

/// The arguments of `astra status`.
#[derive(Args, Debug)]
pub(crate) struct StatusArgs {
    /// The most failures listed.
    #[arg(long, default_value_t = 20)]
    failures: usize,
}

fn status_name(code: i64) -> String {
    StatusCode::from_code(code).map_or_else(|| format!("code {code}"), |s| s.to_string())
}

pub(crate) fn status(args: StatusArgs, database: &str) -> Result<ExitCode> {
    let db = Database::connect_with(ConnectOptions::new(database).read_only())?;
    let counts = db.status_counts()?;
    if counts.is_empty() {
        println!("no task in {database}");
        return Ok(ExitCode::SUCCESS);
    }
    // The plugin of each family, when one is linked into this program.
    let plugins = crate::plugin::plugins().unwrap_or_default();
    let plugin_of = |family: &str| plugins.iter().find(|p| p.task.family == family).map_or("-", |p| p.name);
    println!(
        "{:<14} {:<24} {:<22} {:>8} {:>14}",
        "plugin", "family", "status", "tasks", "mean duration"
    );
    for c in &counts {
        let mean = c.mean_duration.map_or_else(|| "-".to_string(), |d| format!("{d:.3} s"));
        println!(
            "{:<14} {:<24} {:<22} {:>8} {:>14}",
            plugin_of(&c.family),
            c.family,
            status_name(c.code),
            c.count,
            mean
        );
    }
    let failed = db.failed_tasks(args.failures)?;
    if !failed.is_empty() {
        println!("failures (newest first, at most {}):", args.failures);
        for f in failed {
            println!(
                "  {}  {}  {}",
                f.task_id,
                status_name(f.code),
                f.message.as_deref().unwrap_or("(no message)")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

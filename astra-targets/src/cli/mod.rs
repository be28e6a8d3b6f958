//! The `astra` command-line program, as a library: a program links the tasks and plugins
//! it wants and calls [`main`]. The workspace's own program is the `astra-cli` package; a
//! pipeline outside the workspace builds its own the same way:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     astra_targets::cli::main()
//! }
//! ```
//!
//! Every task and plugin linked into the program (through `#[derive(AstraTask)]` and
//! [`register_plugin!`](crate::register_plugin) in any crate it depends on, when that
//! crate is used) is listed and usable. User mistakes end the program with one sentence
//! on standard error and a non-zero exit status, never a panic.
//!
//! The database is `--database`, else `$ASTRA_DATABASE_URL`, else `sqlite://astra.db`;
//! the output root `--output-dir`, else `$ASTRA_OUTPUT_DIR`, else `./astra-output`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{OutputRoot, Params, TaskMeta, registry};

mod inputs;
mod plugins;
mod progress;
mod run;
mod status;
mod verify;

/// The environment variable naming the database URL.
pub const DATABASE_ENV: &str = "ASTRA_DATABASE_URL";

/// What can end a command: a mistake in its arguments, or an error of the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// An argument the command cannot use.
    #[error("{0}")]
    Usage(String),
    /// An error of astra-targets.
    #[error(transparent)]
    Astra(#[from] crate::Error),
}

/// `Result` with [`CliError`].
pub type Result<T, E = CliError> = std::result::Result<T, E>;

/// Outputs of astronomical survey pipelines: tasks, database targets and astraSource files.
#[derive(Parser, Debug)]
#[command(name = "astra", version, about)]
pub struct Cli {
    /// Output root for astraSource files (default: $ASTRA_OUTPUT_DIR, else ./astra-output).
    #[arg(long, global = true)]
    output_dir: Option<PathBuf>,
    /// Database URL (default: $ASTRA_DATABASE_URL, else sqlite://astra.db).
    #[arg(long, global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
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
    /// List every plugin linked into this program: name, version, crate, task, outputs.
    Plugins,
    /// Run a plugin over input spectrum files, skipping complete tasks.
    Run(run::RunArgs),
    /// Summarise the database: tasks per family and status, durations, failures.
    Status(status::StatusArgs),
    /// Check astraSource files against their plugin's model and their checksums.
    Verify {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// The database URL: the flag, else the environment, else the default.
fn database_url(flag: Option<String>) -> String {
    flag.or_else(|| std::env::var(DATABASE_ENV).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| crate::db::DEFAULT_URL.to_string())
}

/// Runs the program on the process's arguments: the body of an `astra` binary's `main`.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// Runs the program on the given arguments (the first is the program's name); clap's
/// own messages for malformed arguments, `--help` and `--version` included.
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command; the exit status it ends with.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let root = cli.output_dir.map(OutputRoot::new).unwrap_or_else(OutputRoot::from_env);
    let database = database_url(cli.database);
    match cli.command {
        Command::Tasks => {
            for task in registry::tasks()? {
                print_task(task);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plugins => plugins::list(),
        Command::Run(args) => run::run(args, &database, root),
        Command::Status(args) => status::status(args, &database),
        Command::Verify { files } => verify::verify(&files),
        Command::Path { family, params } => {
            let meta = registry::task(&family)?;
            let named = parse_pairs(&params)?;
            let params = Params::parse(meta, &named)?;
            let relative = crate::path::relative_path(&params)?;
            let ids = crate::identity::ids(&params);
            println!("task_id        {}", ids.task_id);
            println!("task_short_id  {}", ids.task_short_id);
            println!("path           {}", root.path().join(relative).display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn parse_pairs(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("parameter {pair:?} is not name=value")))?;
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(CliError::Usage(format!("parameter `{k}` is given twice")));
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

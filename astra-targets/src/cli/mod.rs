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
//! A program may add commands of its own with [`Program::command`] (a [`clap::Command`]
//! and the function that runs it); the workspace's program adds `demo` this way.
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

pub use clap;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::{OutputRoot, Params, TaskMeta, registry};

mod docs;
mod inputs;
mod plugins;
mod progress;
mod run;
mod status;
mod train;
mod verify;

pub use progress::Bar;

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
    /// A command's own failure, as one sentence naming what failed.
    #[error("{0}")]
    Failed(String),
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
    /// Train a plugin's model on labelled input spectra and write the model file.
    Train(train::TrainArgs),
    /// Summarise the database: tasks per family and status, durations, failures.
    Status(status::StatusArgs),
    /// Write the documentation of every linked task and plugin (Markdown, HTML, YAML), or
    /// compare the products with an earlier release's datamodel YAML.
    Docs(docs::DocsArgs),
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
    Program::new().main()
}

/// Runs the program on the given arguments (the first is the program's name); clap's
/// own messages for malformed arguments, `--help` and `--version` included.
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    Program::new().main_from(args)
}

/// What every command is given: the database URL and the output root, from the global
/// flags, the environment, or the defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The database URL.
    pub database: String,
    /// The output root of astraSource files.
    pub output_root: OutputRoot,
    /// Whether `--database` was given (a command with its own default may keep it).
    pub database_given: bool,
    /// Whether `--output-dir` was given.
    pub output_dir_given: bool,
}

/// The function running a program's own command, with its arguments.
pub type CommandFn = fn(&ArgMatches, &Settings) -> Result<ExitCode>;

/// The `astra` program with commands of its own besides the library's.
#[derive(Debug, Default)]
pub struct Program {
    extra: Vec<(clap::Command, CommandFn)>,
}

impl Program {
    /// The library's commands only.
    pub fn new() -> Program {
        Program::default()
    }

    /// Adds the command `command` (its name must not be one of the library's), run by
    /// `run` with its parsed arguments.
    pub fn command(mut self, command: clap::Command, run: CommandFn) -> Program {
        self.extra.push((command, run));
        self
    }

    /// Runs the program on the process's arguments.
    pub fn main(self) -> ExitCode {
        self.main_from(std::env::args_os())
    }

    /// Runs the program on the given arguments (the first is the program's name).
    pub fn main_from<I, T>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        restore_sigpipe();
        keep_freed_memory();
        let mut command = Cli::command();
        for (extra, _) in &self.extra {
            command = command.subcommand(extra.clone());
        }
        let matches = match command.try_get_matches_from(args) {
            Ok(matches) => matches,
            Err(e) => {
                let _ = e.print();
                return if e.use_stderr() {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
        };
        let extra = matches
            .subcommand()
            .and_then(|(name, sub)| Some((self.extra.iter().find(|(c, _)| c.get_name() == name)?.1, sub)));
        let outcome = match extra {
            Some((run_extra, sub)) => run_extra(sub, &settings(&matches)),
            None => Cli::from_arg_matches(&matches)
                .map_err(|e| CliError::Usage(e.to_string()))
                .and_then(run),
        };
        match outcome {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    }
}

/// Lets a closed pipe end the program quietly, as it ends other command-line tools
/// (`astra status | head`), instead of failing a write to standard output.
fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to the default has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Lets the C allocator keep freed memory below 64 MiB for reuse and serve requests
/// below 4 MiB from it: a worker's per-task buffers (spectra, images, file bytes of a few
/// hundred kB) are then reused from one task to the next instead of being returned to
/// the system and faulted in again (measured: the Cannon's analysis of an APOGEE
/// spectrum 1.8x faster). Larger buffers still come from and go back to the system, so
/// a large file's memory is given back after it.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's thresholds; called before any thread
    // of the program starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

fn settings(matches: &ArgMatches) -> Settings {
    let output_dir = matches.get_one::<PathBuf>("output_dir").cloned();
    let database = matches.get_one::<String>("database").cloned();
    Settings {
        database_given: database.is_some(),
        output_dir_given: output_dir.is_some(),
        database: database_url(database),
        output_root: output_dir.map(OutputRoot::new).unwrap_or_else(OutputRoot::from_env),
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
        Command::Train(args) => train::train(args),
        Command::Status(args) => status::status(args, &database),
        Command::Verify { files } => verify::verify(&files),
        Command::Docs(args) => docs::docs(args),
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

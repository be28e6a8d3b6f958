//! `astra ferre-prepare`: FERRE's input files for a set of input spectrum files, written
//! into a folder where FERRE then runs (see `astra_aspcap::prepare`); its outputs are
//! read by `astra run aspcap INPUTS --model DIR/input.nml`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use astra_aspcap::{FerreBatch, GridHeader, Parameter, Point};
use astra_targets::cli::clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use astra_targets::cli::{CliError, Result, Settings};

/// Where a parameter's initial value comes from.
#[derive(Debug, Clone)]
enum Start {
    /// One value for every input.
    Value(f64),
    /// The input's header card of this name.
    Card(String),
}

/// The `ferre-prepare` command's definition.
pub fn command() -> Command {
    let names: Vec<&str> = Parameter::ALL.iter().map(|p| p.name()).collect();
    Command::new("ferre-prepare")
        .about("Write FERRE's input files (parameters, flux, errors, input.nml) for input spectrum files")
        .arg(
            Arg::new("grid")
                .long("grid")
                .value_name("HEADER")
                .required(true)
                .value_parser(value_parser!(PathBuf))
                .help("The FERRE grid's header file (named in input.nml by its absolute path)"),
        )
        .arg(
            Arg::new("dir")
                .long("dir")
                .value_name("DIR")
                .required(true)
                .value_parser(value_parser!(PathBuf))
                .help("The folder to write into (FERRE runs there); refused if it holds a batch"),
        )
        .arg(
            Arg::new("freeze")
                .long("freeze")
                .value_name("PARAMETER")
                .action(ArgAction::Append)
                .help(format!("Hold a parameter at its initial value: {}", names.join(", "))),
        )
        .arg(
            Arg::new("initial")
                .long("initial")
                .value_name("PARAMETER=VALUE|CARD")
                .action(ArgAction::Append)
                .help("A parameter's initial value, or the header card holding it (default: the grid's centre)"),
        )
        .arg(
            Arg::new("threads")
                .long("threads")
                .value_name("N")
                .default_value("1")
                .value_parser(value_parser!(u32).range(1..=1024))
                .help("FERRE's NTHREADS"),
        )
        .arg(
            Arg::new("inputs")
                .value_name("INPUTS")
                .required(true)
                .num_args(1..)
                .value_parser(value_parser!(PathBuf))
                .help("Input spectrum files, or folders of them (their .fits files)"),
        )
}

fn parameter(name: &str) -> Result<Parameter> {
    Parameter::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Parameter::ALL.iter().map(|p| p.name()).collect();
        CliError::Usage(format!("unknown parameter {name:?}: ASPCAP's are {}", names.join(", ")))
    })
}

/// The input files: each file given, and the `.fits` files of each folder, sorted.
fn input_files(given: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in given {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| CliError::Failed(format!("reading the folder {}: {e}", path.display())))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "fits"))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(CliError::Usage(format!("input {} does not exist", path.display())));
        }
    }
    if files.is_empty() {
        return Err(CliError::Usage("no input files found".into()));
    }
    Ok(files)
}

/// Writes the batch.
pub fn run(args: &ArgMatches, _settings: &Settings) -> Result<ExitCode> {
    let failed = |e: astra_aspcap::FerreError| CliError::Failed(e.to_string());
    let grid = args.get_one::<PathBuf>("grid").cloned().unwrap_or_default();
    let dir = args.get_one::<PathBuf>("dir").cloned().unwrap_or_default();
    let threads = args.get_one::<u32>("threads").copied().unwrap_or(1);
    let given: Vec<PathBuf> = args
        .get_many::<PathBuf>("inputs")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let mut starts = Vec::new();
    for pair in args.get_many::<String>("initial").into_iter().flatten() {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("--initial {pair:?} is not PARAMETER=VALUE or PARAMETER=CARD")))?;
        let start = match value.trim().parse::<f64>() {
            Ok(x) => Start::Value(x),
            Err(_) => Start::Card(value.trim().to_string()),
        };
        starts.push((parameter(name.trim())?, start));
    }
    let header = GridHeader::read(&grid).map_err(failed)?;
    let absolute =
        std::path::absolute(&grid).map_err(|e| CliError::Failed(format!("resolving {}: {e}", grid.display())))?;
    let mut batch = FerreBatch::new(header).synthfile(absolute).n_threads(threads);
    for name in args.get_many::<String>("freeze").into_iter().flatten() {
        batch = batch.freeze(parameter(name)?);
    }
    let inputs = input_files(&given)?;
    let control = astra_aspcap::prepare(batch, &inputs, &dir, |input| {
        let mut point = Point::new();
        for (parameter, start) in &starts {
            let value = match start {
                Start::Value(x) => *x,
                Start::Card(card) => input.card_f64(card)?,
            };
            point.set(*parameter, value);
        }
        Ok(point)
    })
    .map_err(failed)?;
    let spectra = std::fs::read_to_string(dir.join(astra_aspcap::input::names::PARAMETERS))
        .map(|t| t.lines().count())
        .unwrap_or(0);
    println!(
        "wrote FERRE's inputs for {spectra} spectra of {} files to {}",
        inputs.len(),
        dir.display()
    );
    println!(
        "run FERRE there, then: astra run aspcap INPUTS --model {}",
        Path::new(&control).display()
    );
    Ok(ExitCode::SUCCESS)
}

//! `astra train PLUGIN --labels TABLE`: trains a plugin's model on labelled inputs and
//! writes the model file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{CliError, Result};

/// The arguments of `astra train`.
#[derive(Args, Debug)]
pub(crate) struct TrainArgs {
    /// The plugin (`astra plugins` says which are trained by the program).
    plugin: String,
    /// The label table: comma-separated, a header line naming a `file` column (input
    /// spectrum files, relative to the table's folder) and the plugin's label columns.
    #[arg(long)]
    labels: PathBuf,
    /// The model file to write (default: PLUGIN-model.EXT, with the extension of the
    /// plugin's model files); an existing file is not replaced.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub(crate) fn train(args: TrainArgs) -> Result<ExitCode> {
    let plugin = crate::plugin::find_trainable(&args.plugin)?;
    let output = args
        .output
        .unwrap_or_else(|| PathBuf::from(format!("{}-model.{}", plugin.name, plugin.model_extension)));
    if output.exists() {
        return Err(CliError::Usage(format!(
            "model file {output:?} exists: remove it or choose another --output (tasks name their model by its MD5)"
        )));
    }
    if !args.labels.is_file() {
        return Err(CliError::Usage(format!("label table {:?} does not exist", args.labels)));
    }
    let set = plugin.training_set(&args.labels)?;
    let started = std::time::Instant::now();
    plugin.train(&set, &output)?;
    println!(
        "{}: trained on {} spectra (labels {}) in {:.2} s: {}",
        plugin.name,
        set.len(),
        set.label_names().join(", "),
        started.elapsed().as_secs_f64(),
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}

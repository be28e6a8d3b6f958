//! The `apogeenet` plugin: APOGEENet's labels, errors and quality bits for each spectrum
//! row of each input, as database rows only, read from the network's output table
//! ([`OutputTable`], given with `--model`).

use astra_targets::ndarray::Axis;
use astra_targets::plugin::{Analysis, Input, ModelSource, Outputs, Plugin, PluginResult};
use astra_targets::{AstraResults, AstraTask};

use crate::quality;
use crate::table::OutputTable;

/// One spectrum row's APOGEENet results.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct ApogeeNetResults {
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: f64,
    /// Error of teff: standard deviation of the network's draws
    #[astra(unit = "K")]
    pub u_teff: f64,
    /// Surface gravity, log10 of g in cm/s2 (dex)
    pub logg: f64,
    /// Error of logg (dex)
    pub u_logg: f64,
    /// Metallicity [Fe/H] (dex)
    pub fe_h: f64,
    /// Error of fe_h (dex)
    pub u_fe_h: f64,
    /// Median signal-to-noise ratio per pixel of the spectrum row
    pub snr: f64,
    /// Quality flags: the sum of 2**bit of the bits set
    #[astra(flags(
        BAD_OUTPUT = (0, "a value or error is not a finite number"),
        UNRELIABLE_TEFF = (1, "teff outside 1700 K to 100000 K"),
        UNRELIABLE_LOGG = (2, "logg outside -1 to 6"),
        UNRELIABLE_FE_H = (3, "teff < 3200 K, logg > 5 or fe_h not in -4..2"),
        LOW_SNR = (4, "median S/N per pixel below 10"),
        LARGE_ERROR = (5, "u_teff > 10% of teff, u_logg or u_fe_h > 0.5"),
    ))]
    pub result_flags: i64,
}

/// APOGEENet's labels of each spectrum row, read from the network's output table.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "APOGEENet",
    namespace = "apogeenet",
    version = "0.1.0",
    results = ApogeeNetResults,
    table = "apogeenet"
)]
pub struct ApogeeNet {
    /// HEALPix pixel of the star
    pub healpix: i64,
    /// Object identifier
    pub obj: String,
    /// MD5 of the network's output table
    pub outputs_md5: String,
}

/// The network's output table with the MD5 of its file.
#[derive(Debug)]
pub struct LoadedOutputs {
    /// The table.
    pub table: OutputTable,
    /// The MD5 of its file (32 hex digits).
    pub md5: String,
}

/// The `apogeenet` plugin.
#[derive(Debug)]
pub struct ApogeeNetPlugin;

impl Plugin for ApogeeNetPlugin {
    type Task = ApogeeNet;
    type Model = LoadedOutputs;
    const NAME: &'static str = "apogeenet";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "APOGEENet's teff, logg, fe_h, errors and quality bits, read from the network's output table";
    const OUTPUTS: Outputs = Outputs::Rows;

    /// Reads the table given with `--model`, whole: a malformed table stops the run
    /// before any task.
    fn load_model(source: ModelSource<'_>) -> PluginResult<LoadedOutputs> {
        let ModelSource::File(path) = source else {
            return Err("apogeenet reads the network's output table: give its file with --model".into());
        };
        let table = OutputTable::read(path)?;
        let md5 = astra_targets::fs::file_md5(path).map_err(|e| format!("reading {path:?}: {e}"))?;
        Ok(LoadedOutputs { table, md5 })
    }

    fn task(outputs: &LoadedOutputs, input: &Input<'_>) -> PluginResult<ApogeeNet> {
        Ok(ApogeeNet {
            healpix: input.card_int("HEALPIX")?,
            obj: input.card_str("OBJID")?,
            outputs_md5: outputs.md5.clone(),
        })
    }

    /// One row per spectrum row of the input, from the table's line of that file name
    /// and row; a row the table lacks fails the task.
    fn analyse(outputs: &LoadedOutputs, _: &ApogeeNet, input: &Input<'_>) -> PluginResult<Analysis<ApogeeNetResults>> {
        let spectrum = input.spectrum();
        let name = input
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let network = outputs.table.rows_of(&name, spectrum.shape().0)?;
        let rows = network
            .iter()
            .zip(spectrum.flux.axis_iter(Axis(0)).zip(spectrum.ivar.axis_iter(Axis(0))))
            .map(|(n, (flux, ivar))| {
                let snr = quality::snr(flux, ivar);
                ApogeeNetResults {
                    teff: n.teff,
                    u_teff: n.u_teff,
                    logg: n.logg,
                    u_logg: n.u_logg,
                    fe_h: n.fe_h,
                    u_fe_h: n.u_fe_h,
                    snr,
                    result_flags: quality::flags(n, snr),
                }
            })
            .collect();
        Ok(Analysis::rows(rows))
    }
}

astra_targets::register_plugin!(ApogeeNetPlugin);

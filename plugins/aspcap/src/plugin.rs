//! The `aspcap` plugin: ASPCAP's stellar parameters from FERRE, run by the `astra`
//! program over input spectrum files, with the FERRE run's control file given by
//! `--model`.
//!
//! FERRE runs outside the program. The flow:
//!
//! 1. [`prepare`] writes FERRE's inputs for a set of input files into a folder: each
//!    spectrum row of each input is one FERRE spectrum, named [`spectrum_name`] (the
//!    input's `OBJID` card and the row), with the pixels FERRE sees ([`FerrePixels`]).
//! 2. FERRE runs in that folder (`ferre.x input.nml`), writing its outputs there.
//! 3. `astra run aspcap INPUTS --model FOLDER/input.nml` reads the outputs once
//!    ([`FerreRun`]) and, for each input, takes its rows' fits by name: the initial and
//!    fitted parameters with their errors and frozen flags, log10 of the S/N squared and
//!    of the reduced χ², into the database; the normalized flux, the continuum (the input
//!    flux over the normalized flux) and the normalized model flux into its astraSource
//!    file (NaN at the pixels FERRE does not see; the model inverse variance NaN). An
//!    input one of whose rows FERRE left out fails with a message naming the row and the
//!    files that lack it; the other inputs go on.
//!
//! The task id names the FERRE run by the MD5 of its control file, parameter input and
//! outputs ([`FerreRun::md5`]): other outputs are other work. Missing values of the
//! results are `None` (NULL in the database, NaN in the FITS table); a parameter the
//! grid does not have is `None` too, and not frozen.

use std::path::{Path, PathBuf};

use astra_targets::ndarray::Array2;
use astra_targets::plugin::{Analysis, AnalysisImages, Image, Input, ModelSource, Outputs, Plugin, PluginResult};
use astra_targets::{AstraResults, AstraTask};

use crate::error::{FerreError, Result};
use crate::input::FerreBatch;
use crate::output::FerreRun;
use crate::parameter::{Parameter, Point};
use crate::pixels::FerrePixels;

/// One spectrum's stellar parameters from FERRE, as ASPCAP reports them.
#[derive(Debug, Clone, PartialEq, Default, AstraResults)]
pub struct AspcapResults {
    /// Initial effective temperature
    #[astra(unit = "K")]
    pub initial_teff: Option<f64>,
    /// Initial surface gravity, log10(g / cm s-2) (dex)
    pub initial_logg: Option<f64>,
    /// Initial metallicity [M/H] (dex)
    pub initial_m_h: Option<f64>,
    /// Initial rotation, log10(v sin i / km s-1)
    pub initial_log10_v_sini: Option<f64>,
    /// Initial microturbulence, log10(v_micro / km s-1)
    pub initial_log10_v_micro: Option<f64>,
    /// Initial [alpha/M] (dex)
    pub initial_alpha_m: Option<f64>,
    /// Initial [C/M] (dex)
    pub initial_c_m: Option<f64>,
    /// Initial [N/M] (dex)
    pub initial_n_m: Option<f64>,
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: Option<f64>,
    /// Error of the effective temperature
    #[astra(unit = "K")]
    pub u_teff: Option<f64>,
    /// Surface gravity, log10(g / cm s-2) (dex)
    pub logg: Option<f64>,
    /// Error of the surface gravity (dex)
    pub u_logg: Option<f64>,
    /// Metallicity [M/H] (dex)
    pub m_h: Option<f64>,
    /// Error of the metallicity [M/H] (dex)
    pub u_m_h: Option<f64>,
    /// Rotation, log10(v sin i / km s-1)
    pub log10_v_sini: Option<f64>,
    /// Error of the rotation (dex)
    pub u_log10_v_sini: Option<f64>,
    /// Microturbulence, log10(v_micro / km s-1)
    pub log10_v_micro: Option<f64>,
    /// Error of the microturbulence (dex)
    pub u_log10_v_micro: Option<f64>,
    /// [alpha/M] (dex)
    pub alpha_m: Option<f64>,
    /// Error of the [alpha/M] (dex)
    pub u_alpha_m: Option<f64>,
    /// [C/M] (dex)
    pub c_m: Option<f64>,
    /// Error of the [C/M] (dex)
    pub u_c_m: Option<f64>,
    /// [N/M] (dex)
    pub n_m: Option<f64>,
    /// Error of the [N/M] (dex)
    pub u_n_m: Option<f64>,
    /// Whether the effective temperature was held at its initial value
    pub flag_teff_frozen: bool,
    /// Whether the surface gravity was held at its initial value
    pub flag_logg_frozen: bool,
    /// Whether the metallicity [M/H] was held at its initial value
    pub flag_m_h_frozen: bool,
    /// Whether the rotation was held at its initial value
    pub flag_log10_v_sini_frozen: bool,
    /// Whether the microturbulence was held at its initial value
    pub flag_log10_v_micro_frozen: bool,
    /// Whether the [alpha/M] was held at its initial value
    pub flag_alpha_m_frozen: bool,
    /// Whether the [C/M] was held at its initial value
    pub flag_c_m_frozen: bool,
    /// Whether the [N/M] was held at its initial value
    pub flag_n_m_frozen: bool,
    /// Fraction of the spectrum's pixels FERRE used
    pub frac_phot_data_points: Option<f64>,
    /// log10 of the S/N squared, as FERRE computed it
    pub log_snr_sq: Option<f64>,
    /// log10 of the reduced chi-squared of FERRE's fit
    pub log_chisq_fit: Option<f64>,
    /// Line of the spectrum in FERRE's parameter output, from 0
    pub ferre_output_index: i64,
}

impl AspcapResults {
    /// Sets the columns of `parameter`.
    pub fn set(
        &mut self,
        parameter: Parameter,
        initial: Option<f64>,
        value: Option<f64>,
        error: Option<f64>,
        frozen: bool,
    ) {
        match parameter {
            Parameter::Teff => {
                self.initial_teff = initial;
                self.teff = value;
                self.u_teff = error;
                self.flag_teff_frozen = frozen;
            }
            Parameter::Logg => {
                self.initial_logg = initial;
                self.logg = value;
                self.u_logg = error;
                self.flag_logg_frozen = frozen;
            }
            Parameter::MH => {
                self.initial_m_h = initial;
                self.m_h = value;
                self.u_m_h = error;
                self.flag_m_h_frozen = frozen;
            }
            Parameter::Log10VSini => {
                self.initial_log10_v_sini = initial;
                self.log10_v_sini = value;
                self.u_log10_v_sini = error;
                self.flag_log10_v_sini_frozen = frozen;
            }
            Parameter::Log10VMicro => {
                self.initial_log10_v_micro = initial;
                self.log10_v_micro = value;
                self.u_log10_v_micro = error;
                self.flag_log10_v_micro_frozen = frozen;
            }
            Parameter::AlphaM => {
                self.initial_alpha_m = initial;
                self.alpha_m = value;
                self.u_alpha_m = error;
                self.flag_alpha_m_frozen = frozen;
            }
            Parameter::CM => {
                self.initial_c_m = initial;
                self.c_m = value;
                self.u_c_m = error;
                self.flag_c_m_frozen = frozen;
            }
            Parameter::NM => {
                self.initial_n_m = initial;
                self.n_m = value;
                self.u_n_m = error;
                self.flag_n_m_frozen = frozen;
            }
        }
    }
}

/// ASPCAP's stellar parameters, fitted by FERRE.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "ASPCAP",
    namespace = "aspcap",
    version = "0.1.0",
    results = AspcapResults,
    table = "aspcap",
    path = "{astra_version}/{namespace}/star/{healpix|grp}/{healpix}/AstraSource-{obj}-{task_short_id}.fits"
)]
pub struct Aspcap {
    /// HEALPix pixel of the star
    pub healpix: i64,
    /// Object identifier
    pub obj: String,
    /// File name of the FERRE grid header
    pub grid: String,
    /// MD5 of the FERRE run's control, parameter and output files
    pub ferre_md5: String,
}

/// The `aspcap` plugin.
#[derive(Debug)]
pub struct AspcapPlugin;

/// The FERRE name of row `row` of the input whose `OBJID` is `obj`.
pub fn spectrum_name(obj: &str, row: usize) -> String {
    format!("{obj}_{row}")
}

/// Writes FERRE's inputs for the spectrum files `inputs` into `dir` with `batch`'s grid
/// and settings (see [`FerreBatch::write`]): every row of every input, named
/// [`spectrum_name`], starting from the point `initial` gives for the input (a parameter
/// it leaves unset starts at the grid's centre). Every input must be on one wavelength
/// grid whose FERRE pixels number the grid's `NPIX`, and no two inputs may have one
/// `OBJID`. Returns the control file's path, to give `astra run aspcap --model`.
pub fn prepare(
    mut batch: FerreBatch,
    inputs: &[PathBuf],
    dir: &Path,
    initial: impl Fn(&Input<'_>) -> Result<Point>,
) -> Result<PathBuf> {
    let mut objects: std::collections::HashMap<String, &Path> = std::collections::HashMap::new();
    for path in inputs {
        let spectrum = astra_targets::spectrum::read(path)?;
        let input = Input::new(path, &spectrum);
        let obj = input.card_str("OBJID")?;
        if let Some(other) = objects.insert(obj.clone(), path) {
            return Err(FerreError::Spectrum {
                name: obj,
                reason: format!(
                    "the inputs {} and {} have this OBJID; FERRE's names must be unique",
                    other.display(),
                    path.display()
                ),
            });
        }
        let pixels = FerrePixels::for_grid(&spectrum.grid);
        let start = initial(&input)?;
        for row in 0..spectrum.shape().0 {
            let flux = pixels.select(|i| spectrum.flux[(row, i)]);
            let ivar = pixels.select(|i| spectrum.ivar[(row, i)]);
            batch.push(&spectrum_name(&obj, row), &start, &flux, &ivar)?;
        }
    }
    batch.write(dir)
}

impl Plugin for AspcapPlugin {
    type Task = Aspcap;
    type Model = FerreRun;
    const NAME: &'static str = "aspcap";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "ASPCAP: stellar parameters fitted by FERRE, read from its output files";
    const OUTPUTS: Outputs = Outputs::RowsAndFile {
        images: &[Image::Continuum, Image::ModelFlux],
    };

    fn load_model(source: ModelSource<'_>) -> PluginResult<FerreRun> {
        let ModelSource::File(path) = source else {
            return Err("ASPCAP reads a FERRE run: give its control file with --model FOLDER/input.nml".into());
        };
        Ok(FerreRun::read(path)?)
    }

    fn task(run: &FerreRun, input: &Input<'_>) -> PluginResult<Aspcap> {
        let grid = run.header().path();
        Ok(Aspcap {
            healpix: input.card_int("HEALPIX")?,
            obj: input.card_str("OBJID")?,
            grid: grid
                .file_name()
                .map_or_else(|| grid.display().to_string(), |n| n.to_string_lossy().into_owned()),
            ferre_md5: run.md5().to_string(),
        })
    }

    fn analyse(run: &FerreRun, task: &Aspcap, input: &Input<'_>) -> PluginResult<Analysis<AspcapResults>> {
        let spectrum = input.spectrum();
        let (n, p) = spectrum.shape();
        let pixels = FerrePixels::for_grid(&spectrum.grid);
        if pixels.len() != run.header().npix() {
            return Err(format!(
                "FERRE sees {} pixels of this input's wavelength grid, the grid {} has {}",
                pixels.len(),
                run.header().path().display(),
                run.header().npix()
            )
            .into());
        }
        let mut normalized_flux = Array2::<f32>::from_elem((n, p), f32::NAN);
        let mut normalized_ivar = Array2::<f32>::zeros((n, p));
        let mut continuum = Array2::<f32>::from_elem((n, p), f32::NAN);
        let mut model_flux = Array2::<f32>::from_elem((n, p), f32::NAN);
        let mut rows = Vec::with_capacity(n);
        for row in 0..n {
            let name = spectrum_name(&task.obj, row);
            let (Some(fit), Some(model), Some(normalized)) =
                (run.fit(&name), run.model_flux(&name), run.normalized_flux(&name))
            else {
                let missing: Vec<String> = run
                    .missing_from(&name)
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                let reason = if run.input_names().contains(&name) {
                    "FERRE left it out"
                } else {
                    "it was not in FERRE's inputs"
                };
                return Err(format!(
                    "spectrum row {row} ({name}): {reason}, no line in {}",
                    missing.join(", ")
                )
                .into());
            };
            let model = pixels.unmask(model, f32::NAN);
            let normalized = pixels.unmask(normalized, f32::NAN);
            for i in 0..p {
                let (f, w, r) = (spectrum.flux[(row, i)], spectrum.ivar[(row, i)], normalized[i]);
                model_flux[(row, i)] = model[i];
                normalized_flux[(row, i)] = r;
                let c = f / r;
                if c.is_finite() && c != 0.0 {
                    continuum[(row, i)] = c;
                    let v = w * c * c;
                    normalized_ivar[(row, i)] = if v.is_finite() && v > 0.0 { v } else { 0.0 };
                }
            }
            let mut result = AspcapResults {
                frac_phot_data_points: fit.frac_phot_data_points,
                log_snr_sq: fit.log_snr_sq,
                log_chisq_fit: fit.log_chisq_fit,
                ferre_output_index: fit.output_index as i64,
                ..AspcapResults::default()
            };
            for (d, &parameter) in run.header().parameters().iter().enumerate() {
                result.set(
                    parameter,
                    Some(fit.initial[d]),
                    fit.values[d],
                    fit.errors[d],
                    !run.is_free(d),
                );
            }
            rows.push(result);
        }
        let images = AnalysisImages::new(normalized_flux, normalized_ivar)
            .continuum(continuum)
            .model_flux(model_flux);
        Ok(Analysis::with_images(rows, images))
    }
}

astra_targets::register_plugin!(AspcapPlugin);

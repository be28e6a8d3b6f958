//! FERRE's input files for a batch of spectra: the parameter file (each spectrum's name
//! and initial parameters), the flux and error files (one row of pixel values per
//! spectrum, in the parameter file's order) and the control file `input.nml`.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use astra_targets::fs::{AtomicWriter, Commit};

use crate::control::{self, Value};
use crate::error::{FerreError, Result};
use crate::format::scientific;
use crate::header::GridHeader;
use crate::parameter::{Parameter, Point};

/// The longest spectrum name written (FERRE reads the name of a spectrum as a word).
pub const MAX_NAME_LEN: usize = 40;

/// The error given to pixels without a measurement (non-finite flux, no inverse
/// variance), whose flux is written as 0, as Astra does: FERRE gives them no weight.
pub const NO_WEIGHT_ERROR: f64 = 1e10;

/// The file names a batch writes, as Astra names them (the outputs are FERRE's to write).
pub mod names {
    /// The control file.
    pub const CONTROL: &str = "input.nml";
    /// `PFILE`: names and initial parameters.
    pub const PARAMETERS: &str = "parameter.input";
    /// `FFILE`: the flux.
    pub const FLUX: &str = "flux.input";
    /// `ERFILE`: the flux errors.
    pub const ERRORS: &str = "e_flux.input";
    /// `OPFILE`: FERRE's fitted parameters.
    pub const PARAMETER_OUTPUT: &str = "parameter.output";
    /// `OFFILE`: FERRE's best-fitting (normalized) model flux.
    pub const MODEL_FLUX_OUTPUT: &str = "rectified_model_flux.output";
    /// `SFFILE`: the observed flux as FERRE normalized it.
    pub const FLUX_OUTPUT: &str = "rectified_flux.output";
}

/// How FERRE normalizes the continuum (`CONT`, `NCONT`, `REJECTCONT`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ContinuumFit {
    /// No normalization: the input flux is compared with the grid as it is.
    None,
    /// A polynomial of `order` per grid segment, fitted to the ratio of the data and the
    /// model with pixels of relative error above `reject` left out (`CONT = 1`).
    Polynomial {
        /// `NCONT`.
        order: u32,
        /// `REJECTCONT`.
        reject: f64,
    },
}

/// The spectra of one FERRE run and its settings, written by [`FerreBatch::write`].
///
/// ```
/// # use astra_aspcap::{FerreBatch, GridHeader, Parameter, Point};
/// # fn demo(header: GridHeader, flux: &[f32], ivar: &[f32], dir: &std::path::Path) -> astra_aspcap::Result<()> {
/// let mut batch = FerreBatch::new(header).freeze(Parameter::Log10VSini).n_threads(8);
/// batch.push("2M00001023-0000126_0", &Point::new().with(Parameter::Teff, 4800.0), flux, ivar)?;
/// batch.write(dir)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FerreBatch {
    header: GridHeader,
    synthfile: PathBuf,
    frozen: Vec<Parameter>,
    interpolation_order: u8,
    error_algorithm: u8,
    optimization_algorithm: u8,
    continuum: ContinuumFit,
    n_threads: u32,
    n_runs: u32,
    covariance: bool,
    names: Vec<String>,
    index: HashMap<String, usize>,
    initial: Vec<Vec<f64>>,
    flux: Vec<Vec<f64>>,
    errors: Vec<Vec<f64>>,
}

impl FerreBatch {
    /// An empty batch on the grid of `header`, with Astra's settings for ASPCAP's
    /// stellar parameters: cubic Bézier interpolation (`INTER = 3`), errors from the
    /// curvature matrix (`ERRBAR = 1`), FERRE's truncated Newton method (`ALGOR = 3`),
    /// a continuum polynomial of order 4 rejecting pixels of relative error above 0.3,
    /// one thread, one run, no covariance printed, nothing frozen. `SYNTHFILE(1)` is the
    /// header's path as given ([`synthfile`](Self::synthfile) changes it).
    pub fn new(header: GridHeader) -> FerreBatch {
        let synthfile = header.path().to_path_buf();
        FerreBatch {
            header,
            synthfile,
            frozen: Vec::new(),
            interpolation_order: 3,
            error_algorithm: 1,
            optimization_algorithm: 3,
            continuum: ContinuumFit::Polynomial { order: 4, reject: 0.3 },
            n_threads: 1,
            n_runs: 1,
            covariance: false,
            names: Vec::new(),
            index: HashMap::new(),
            initial: Vec::new(),
            flux: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// The grid's header.
    pub fn header(&self) -> &GridHeader {
        &self.header
    }

    /// Names the grid in `SYNTHFILE(1)` by `path` (as FERRE will see it where it runs;
    /// relative paths are relative to the batch's folder).
    pub fn synthfile(mut self, path: impl Into<PathBuf>) -> Self {
        self.synthfile = path.into();
        self
    }

    /// Holds `parameter` at each spectrum's initial value (it is left out of `INDV`).
    /// A parameter the grid does not have is ignored.
    pub fn freeze(mut self, parameter: Parameter) -> Self {
        if !self.frozen.contains(&parameter) {
            self.frozen.push(parameter);
        }
        self
    }

    /// `INTER`: 0 nearest neighbour, 1 linear, 2 quadratic Bézier, 3 cubic Bézier, 4
    /// cubic splines. Others are refused by [`write`](Self::write).
    pub fn interpolation_order(mut self, order: u8) -> Self {
        self.interpolation_order = order;
        self
    }

    /// `ERRBAR`: 0 from where χ² reaches its minimum + 1, 1 by inverting the curvature
    /// matrix, 2 from numerical experiments injecting noise.
    pub fn error_algorithm(mut self, algorithm: u8) -> Self {
        self.error_algorithm = algorithm;
        self
    }

    /// `ALGOR`: 1 Nelder–Mead, 2 Boender–Timmer–Rinnoy Kan, 3 Powell's truncated Newton
    /// method, 4 Nash's truncated Newton method.
    pub fn optimization_algorithm(mut self, algorithm: u8) -> Self {
        self.optimization_algorithm = algorithm;
        self
    }

    /// How FERRE normalizes the continuum.
    pub fn continuum(mut self, continuum: ContinuumFit) -> Self {
        self.continuum = continuum;
        self
    }

    /// `NTHREADS`.
    pub fn n_threads(mut self, n: u32) -> Self {
        self.n_threads = n;
        self
    }

    /// `NRUNS`: how many times FERRE searches each spectrum from its initial point.
    pub fn n_runs(mut self, n: u32) -> Self {
        self.n_runs = n;
        self
    }

    /// `COVPRINT = 1`: FERRE writes each fit's covariance matrix after its other
    /// columns in the parameter output.
    pub fn print_covariance(mut self) -> Self {
        self.covariance = true;
        self
    }

    /// The number of spectra pushed.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no spectrum was pushed.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Adds a spectrum: its name (at most [`MAX_NAME_LEN`] ASCII letters, digits and
    /// `_ - . +`, unique in the batch), its initial point and the flux and inverse
    /// variance of the pixels FERRE sees (the grid's `NPIX` values each).
    ///
    /// A parameter of the grid that `initial` does not set starts at the grid's centre;
    /// an initial value is moved inside the grid by 1% of its range from an edge when it
    /// is outside or on it (as Astra clips initial guesses). A pixel with a non-finite
    /// flux or no positive finite inverse variance is written with flux 0 and error
    /// [`NO_WEIGHT_ERROR`].
    pub fn push(&mut self, name: &str, initial: &Point, flux: &[f32], ivar: &[f32]) -> Result<()> {
        let refuse = |reason: String| FerreError::Spectrum {
            name: name.to_string(),
            reason,
        };
        check_name(name).map_err(refuse)?;
        if self.index.contains_key(name) {
            return Err(refuse("the batch already has a spectrum of this name".into()));
        }
        let npix = self.header.npix();
        if flux.len() != npix || ivar.len() != npix {
            return Err(refuse(format!(
                "{} flux and {} inverse variance values, the grid {} has {npix} pixels",
                flux.len(),
                ivar.len(),
                self.header.path().display()
            )));
        }
        let mut point = Vec::with_capacity(self.header.n_dim());
        for (d, &parameter) in self.header.parameters().iter().enumerate() {
            let (lo, hi) = self.header.limits(d);
            let margin = 0.01 * (hi - lo);
            let value = match initial.get(parameter) {
                None => 0.5 * (lo + hi),
                Some(v) if !v.is_finite() => {
                    return Err(refuse(format!("the initial {parameter} is {v}")));
                }
                Some(v) => v.clamp(lo + margin, hi - margin),
            };
            point.push(value);
        }
        let mut f = Vec::with_capacity(npix);
        let mut e = Vec::with_capacity(npix);
        for (&x, &w) in flux.iter().zip(ivar) {
            let (x, w) = (f64::from(x), f64::from(w));
            if x.is_finite() && w.is_finite() && w > 0.0 {
                f.push(x);
                e.push(w.sqrt().recip());
            } else {
                f.push(0.0);
                e.push(NO_WEIGHT_ERROR);
            }
        }
        self.index.insert(name.to_string(), self.names.len());
        self.names.push(name.to_string());
        self.initial.push(point);
        self.flux.push(f);
        self.errors.push(e);
        Ok(())
    }

    fn check_settings(&self) -> Result<()> {
        let setting = |setting, value: String, reason| FerreError::Setting { setting, value, reason };
        if self.interpolation_order > 4 {
            return Err(setting("INTER", self.interpolation_order.to_string(), "0 to 4"));
        }
        if self.error_algorithm > 2 {
            return Err(setting("ERRBAR", self.error_algorithm.to_string(), "0 to 2"));
        }
        if !(1..=4).contains(&self.optimization_algorithm) {
            return Err(setting("ALGOR", self.optimization_algorithm.to_string(), "1 to 4"));
        }
        if self.n_threads == 0 {
            return Err(setting("NTHREADS", "0".into(), "at least 1"));
        }
        if self.n_runs == 0 {
            return Err(setting("NRUNS", "0".into(), "at least 1"));
        }
        if let ContinuumFit::Polynomial { reject, .. } = self.continuum
            && !(reject.is_finite() && reject > 0.0)
        {
            return Err(setting("REJECTCONT", reject.to_string(), "a positive number"));
        }
        if self.indv().is_empty() {
            return Err(setting(
                "INDV",
                "(empty)".into(),
                "at least one of the grid's parameters must be free",
            ));
        }
        if self.synthfile.to_str().is_none_or(|s| s.contains('\'')) {
            return Err(setting(
                "SYNTHFILE(1)",
                self.synthfile.display().to_string(),
                "a UTF-8 path without quotes",
            ));
        }
        Ok(())
    }

    /// The free dimensions (from 1), FERRE's `INDV`.
    fn indv(&self) -> Vec<i64> {
        (1..=self.header.n_dim() as i64)
            .filter(|&d| !self.frozen.contains(&self.header.parameters()[d as usize - 1]))
            .collect()
    }

    /// The control file's text.
    pub fn control_text(&self) -> String {
        let indv = self.indv();
        let mut keywords = vec![
            ("NDIM", Value::Int(self.header.n_dim() as i64)),
            ("NOV", Value::Int(indv.len() as i64)),
            ("INDV", Value::Ints(indv)),
            ("SYNTHFILE(1)", Value::Str(self.synthfile.display().to_string())),
            ("PFILE", Value::Str(names::PARAMETERS.into())),
            ("FFILE", Value::Str(names::FLUX.into())),
            ("ERFILE", Value::Str(names::ERRORS.into())),
            ("OPFILE", Value::Str(names::PARAMETER_OUTPUT.into())),
            ("OFFILE", Value::Str(names::MODEL_FLUX_OUTPUT.into())),
            ("SFFILE", Value::Str(names::FLUX_OUTPUT.into())),
            ("ERRBAR", Value::Int(self.error_algorithm.into())),
            ("INIT", Value::Int(0)),
            ("ALGOR", Value::Int(self.optimization_algorithm.into())),
            ("NRUNS", Value::Int(self.n_runs.into())),
            ("NTHREADS", Value::Int(self.n_threads.into())),
            ("COVPRINT", Value::Int(self.covariance.into())),
            ("INTER", Value::Int(self.interpolation_order.into())),
            ("F_FORMAT", Value::Int(1)),
            ("F_ACCESS", Value::Int(0)),
        ];
        if let ContinuumFit::Polynomial { order, reject } = self.continuum {
            keywords.push(("CONT", Value::Int(1)));
            keywords.push(("NCONT", Value::Int(order.into())));
            keywords.push(("REJECTCONT", Value::Real(reject)));
            keywords.push(("OBSCONT", Value::Int(1)));
        }
        control::write(&keywords)
    }

    /// Writes the batch into the folder `dir` (created if needed): `parameter.input`,
    /// `flux.input`, `e_flux.input`, then `input.nml` (see [`names`]). Each file is
    /// written to a temporary file and renamed into place, the control file last, so a
    /// folder with an `input.nml` holds a complete batch. A folder that already holds
    /// one of these files, or FERRE's outputs, is refused: a batch is written once.
    /// Returns the control file's path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        self.check_settings()?;
        if self.is_empty() {
            return Err(FerreError::Setting {
                setting: "batch",
                value: "0 spectra".into(),
                reason: "a FERRE run needs at least one spectrum",
            });
        }
        let files = [
            names::PARAMETERS,
            names::FLUX,
            names::ERRORS,
            names::CONTROL,
            names::PARAMETER_OUTPUT,
            names::MODEL_FLUX_OUTPUT,
            names::FLUX_OUTPUT,
        ];
        for file in files {
            let path = dir.join(file);
            if path.exists() {
                return Err(FerreError::Io {
                    path,
                    source: std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "exists: a FERRE batch is written into a folder of its own",
                    ),
                });
            }
        }
        let how = Commit::no_clobber().durable(true);
        let mut writers = Vec::new();
        let mut parameters = String::new();
        for (name, point) in self.names.iter().zip(&self.initial) {
            parameters.push_str(&format!("{name:<MAX_NAME_LEN$}"));
            for x in point {
                // Right-aligned in 12 columns, as Astra writes them; a wider value still
                // gets a blank before it.
                let value = format!("{x:12.5}");
                if !value.starts_with(' ') {
                    parameters.push(' ');
                }
                parameters.push_str(&value);
            }
            parameters.push('\n');
        }
        writers.push(self.writer(dir, names::PARAMETERS, how, parameters.as_bytes())?);
        writers.push(self.writer(dir, names::FLUX, how, pixel_rows(&self.flux).as_bytes())?);
        writers.push(self.writer(dir, names::ERRORS, how, pixel_rows(&self.errors).as_bytes())?);
        writers.push(self.writer(dir, names::CONTROL, how, self.control_text().as_bytes())?);
        for w in writers {
            w.commit()?;
        }
        Ok(dir.join(names::CONTROL))
    }

    fn writer(&self, dir: &Path, file: &str, how: Commit, bytes: &[u8]) -> Result<AtomicWriter> {
        let path = dir.join(file);
        let mut w = AtomicWriter::create(&path, how)?;
        w.write_all(bytes).map_err(FerreError::io(&path))?;
        Ok(w)
    }
}

/// One line per row, values in `%.4e` separated by single blanks.
fn pixel_rows(rows: &[Vec<f64>]) -> String {
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row.iter().map(|&x| scientific(x)).collect();
        out.push_str(&line.join(" "));
        out.push('\n');
    }
    out
}

/// Why `name` cannot name a spectrum in FERRE's files, if it cannot.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("a spectrum name may not be empty".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "the name has {} characters, FERRE's files hold at most {MAX_NAME_LEN}",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+')))
    {
        return Err(format!(
            "the name has the character {c:?}; FERRE's names are ASCII letters, digits and _ - . +"
        ));
    }
    Ok(())
}

//! FERRE's outputs for a batch, read and matched to its inputs by name.
//!
//! FERRE writes, for each spectrum it analysed, one line in each output file, starting
//! with the spectrum's name:
//!
//! - the parameter output (`OPFILE`): the `NDIM` fitted parameters, their `NDIM` errors,
//!   then three more columns: the fraction of the spectrum's pixels it used, log10 of the
//!   S/N squared and log10 of the reduced χ² of the fit; with `COVPRINT = 1`, the
//!   `NDIM × NDIM` covariance matrix follows;
//! - the model flux output (`OFFILE`): the best-fitting model, normalized (`NPIX`
//!   values);
//! - the normalized flux output (`SFFILE`): the observed flux divided by the continuum
//!   FERRE fitted (`NPIX` values).
//!
//! FERRE may leave spectra out (a time-out, a crash of a thread) and, with several
//! threads, writes them in the order they finish: lines are matched by name, never by
//! position. Missing values are `None` for the parameters and statistics and NaN for the
//! pixels: FERRE's sentinels (-9999, -999), NaN and the infinities; an error that is not
//! positive or is 9999 or more; a parameter other than `teff` of magnitude 9999 or more
//! (as Astra read them). A line with too few or too many values (a truncated file) or a
//! value that is not a number makes the whole run unreadable: one error naming the file
//! and the line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

use crate::control::Control;
use crate::error::{FerreError, Result};
use crate::format::{parse_number, present};
use crate::header::GridHeader;
use crate::parameter::Parameter;

/// FERRE's fit of one spectrum, from the parameter input and output.
#[derive(Debug, Clone, PartialEq)]
pub struct FerreFit {
    /// The initial value of each grid dimension (FERRE's order), from the parameter
    /// input (frozen dimensions keep it).
    pub initial: Vec<f64>,
    /// The fitted value of each grid dimension; `None` when missing.
    pub values: Vec<Option<f64>>,
    /// The error of each fitted value; `None` when missing.
    pub errors: Vec<Option<f64>>,
    /// The fraction of the spectrum's pixels FERRE used.
    pub frac_phot_data_points: Option<f64>,
    /// log10 of the S/N squared.
    pub log_snr_sq: Option<f64>,
    /// log10 of the reduced χ² of the fit.
    pub log_chisq_fit: Option<f64>,
    /// The line of the spectrum in the parameter output, from 0.
    pub output_index: usize,
}

/// The pixel rows of one FERRE flux output, by spectrum name.
#[derive(Debug, Clone, Default)]
struct PixelRows {
    rows: HashMap<String, Vec<f32>>,
}

/// A FERRE run's control file, grid header, inputs and outputs, read: every spectrum's
/// fit, model flux and normalized flux by its name.
#[derive(Debug, Clone)]
pub struct FerreRun {
    control: Control,
    header: GridHeader,
    free: Vec<bool>,
    fits: HashMap<String, FerreFit>,
    model_flux: PixelRows,
    flux: PixelRows,
    input_names: Vec<String>,
    md5: String,
}

impl FerreRun {
    /// Reads the run whose control file is `control` (an `input.nml`): the grid header
    /// `SYNTHFILE(1)` names, the parameter input `PFILE`, and the outputs `OPFILE`,
    /// `OFFILE` and `SFFILE` (paths relative to the control file's folder).
    pub fn read(control: &Path) -> Result<FerreRun> {
        let control = Control::read(control)?;
        let header = GridHeader::read(&control.file("SYNTHFILE(1)")?)?;
        let ndim = control.integer("NDIM")?;
        if ndim != header.n_dim() as i64 {
            return Err(FerreError::keyword(
                control.path(),
                format!(
                    "NDIM = {ndim}, but the grid {} has {} dimensions",
                    header.path().display(),
                    header.n_dim()
                ),
            ));
        }
        let n = header.n_dim();
        let indv = control.integers("INDV")?;
        let mut free = vec![false; n];
        for &d in &indv {
            let slot = usize::try_from(d)
                .ok()
                .and_then(|d| d.checked_sub(1))
                .and_then(|d| free.get_mut(d))
                .ok_or_else(|| FerreError::keyword(control.path(), format!("INDV names dimension {d}, NDIM is {n}")))?;
            *slot = true;
        }
        if let Some(nov) = control.get("NOV")
            && nov.parse::<usize>() != Ok(indv.len())
        {
            return Err(FerreError::keyword(
                control.path(),
                format!("NOV = {nov}, but INDV lists {} dimensions", indv.len()),
            ));
        }
        let covariance = match control.get("COVPRINT") {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => {
                return Err(FerreError::keyword(
                    control.path(),
                    format!("COVPRINT = {other} is not 0 or 1"),
                ));
            }
        };

        let mut hasher = Md5::new();
        let mut hash = |path: &Path| -> Result<String> {
            let text = std::fs::read_to_string(path).map_err(FerreError::io(path))?;
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
            Ok(text)
        };
        hash(control.path())?;
        let pfile = control.file("PFILE")?;
        let initial = read_rows(&pfile, &hash(&pfile)?, n)?;
        let opfile = control.file("OPFILE")?;
        let n_columns = 2 * n + 3 + if covariance { n * n } else { 0 };
        let outputs = read_rows(&opfile, &hash(&opfile)?, n_columns)?;
        let offile = control.file("OFFILE")?;
        let model_flux = pixel_rows(&offile, &hash(&offile)?, header.npix())?;
        let sffile = control.file("SFFILE")?;
        let flux = pixel_rows(&sffile, &hash(&sffile)?, header.npix())?;
        let md5 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();

        let initial_by_name: HashMap<&str, &Vec<f64>> = initial.iter().map(|r| (r.name.as_str(), &r.values)).collect();
        let mut fits = HashMap::with_capacity(outputs.len());
        for (output_index, row) in outputs.iter().enumerate() {
            let Some(start) = initial_by_name.get(row.name.as_str()) else {
                return Err(FerreError::line(
                    &opfile,
                    row.line,
                    format!(
                        "the spectrum {} is not in the parameter input {}",
                        row.name,
                        pfile.display()
                    ),
                ));
            };
            let v = &row.values;
            let values = (0..n)
                .map(|d| {
                    let x = present(v[d])?;
                    let huge = x.abs() >= 9999.0 && header.parameters()[d] != Parameter::Teff;
                    (!huge).then_some(x)
                })
                .collect();
            let errors = (0..n)
                .map(|d| present(v[n + d]).filter(|&e| e > 0.0 && e < 9999.0))
                .collect();
            fits.insert(
                row.name.clone(),
                FerreFit {
                    initial: start.to_vec(),
                    values,
                    errors,
                    frac_phot_data_points: present(v[2 * n]),
                    log_snr_sq: present(v[2 * n + 1]),
                    log_chisq_fit: present(v[2 * n + 2]),
                    output_index,
                },
            );
        }
        Ok(FerreRun {
            input_names: initial.into_iter().map(|r| r.name).collect(),
            control,
            header,
            free,
            fits,
            model_flux,
            flux,
            md5,
        })
    }

    /// The control file.
    pub fn control(&self) -> &Control {
        &self.control
    }

    /// The grid's header.
    pub fn header(&self) -> &GridHeader {
        &self.header
    }

    /// The MD5 of the run's control file, parameter input and three outputs (32 hex
    /// digits): what a task analysing them names, so that other outputs are other work.
    pub fn md5(&self) -> &str {
        &self.md5
    }

    /// The names of the parameter input, in its order.
    pub fn input_names(&self) -> &[String] {
        &self.input_names
    }

    /// Whether dimension `d` (FERRE's order, from 0) was fitted (in `INDV`); a
    /// dimension that was not is frozen at its initial value.
    pub fn is_free(&self, d: usize) -> bool {
        self.free.get(d).copied().unwrap_or(false)
    }

    /// The fit of the spectrum `name`, if FERRE wrote one.
    pub fn fit(&self, name: &str) -> Option<&FerreFit> {
        self.fits.get(name)
    }

    /// The normalized model flux of `name` (`NPIX` values, NaN where missing), if FERRE
    /// wrote it.
    pub fn model_flux(&self, name: &str) -> Option<&[f32]> {
        self.model_flux.rows.get(name).map(Vec::as_slice)
    }

    /// The normalized observed flux of `name` (`NPIX` values, NaN where missing), if
    /// FERRE wrote it.
    pub fn normalized_flux(&self, name: &str) -> Option<&[f32]> {
        self.flux.rows.get(name).map(Vec::as_slice)
    }

    /// Which output files lack the spectrum `name` (empty when FERRE wrote all three).
    pub fn missing_from(&self, name: &str) -> Vec<PathBuf> {
        let mut missing = Vec::new();
        for (keyword, present) in [
            ("OPFILE", self.fits.contains_key(name)),
            ("OFFILE", self.model_flux.rows.contains_key(name)),
            ("SFFILE", self.flux.rows.contains_key(name)),
        ] {
            if !present {
                missing.push(self.control.file(keyword).unwrap_or_else(|_| PathBuf::from(keyword)));
            }
        }
        missing
    }
}

/// One line of a FERRE text file: the name and the values after it.
struct Row {
    line: usize,
    name: String,
    values: Vec<f64>,
}

/// The lines of `text` (the file `path`), each a name and exactly `n` numbers; blank
/// lines are skipped; a name on two lines is refused.
fn read_rows(path: &Path, text: &str, n: usize) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let mut words = line.split_whitespace();
        let Some(name) = words.next() else { continue };
        let mut values = Vec::with_capacity(n);
        for (k, word) in words.enumerate() {
            let x = parse_number(word).ok_or_else(|| {
                FerreError::line(
                    path,
                    line_no,
                    format!("value {} of {name}, {word:?}, is not a number", k + 1),
                )
            })?;
            values.push(x);
        }
        if values.len() != n {
            let hint = if values.len() < n { " (a truncated file?)" } else { "" };
            return Err(FerreError::line(
                path,
                line_no,
                format!("the spectrum {name} has {} values, expected {n}{hint}", values.len()),
            ));
        }
        if let Some(&first) = seen.get(name) {
            return Err(FerreError::DuplicateName {
                path: path.to_path_buf(),
                name: name.to_string(),
                first,
                second: line_no,
            });
        }
        seen.insert(name.to_string(), line_no);
        rows.push(Row {
            line: line_no,
            name: name.to_string(),
            values,
        });
    }
    Ok(rows)
}

/// A flux output: `npix` values per name, missing values NaN.
fn pixel_rows(path: &Path, text: &str, npix: usize) -> Result<PixelRows> {
    let rows = read_rows(path, text, npix)?;
    Ok(PixelRows {
        rows: rows
            .into_iter()
            .map(|r| {
                let values = r
                    .values
                    .iter()
                    .map(|&x| present(x).map_or(f32::NAN, |x| x as f32))
                    .collect();
                (r.name, values)
            })
            .collect(),
    })
}

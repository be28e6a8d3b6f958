//! The header of a FERRE grid: the first `&SYNTH` namelist of its `.hdr` file (or of the
//! grid file itself), naming its dimensions, their ranges and its number of pixels.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{FerreError, Result};
use crate::format::parse_number;
use crate::parameter::Parameter;

/// A FERRE grid's header: which of ASPCAP's parameters its dimensions are, in order,
/// their ranges, and the number of pixels of its spectra.
#[derive(Debug, Clone, PartialEq)]
pub struct GridHeader {
    path: PathBuf,
    parameters: Vec<Parameter>,
    lower: Vec<f64>,
    steps: Vec<f64>,
    n_points: Vec<i64>,
    npix: usize,
}

impl GridHeader {
    /// Reads the header at `path`: its first `&SYNTH` block, up to the line ` /`
    /// (`N_OF_DIM`, `NPIX`, `LABEL(1..N_OF_DIM)`, `N_P`, `LLIMITS`, `STEPS`). Every label
    /// must be one of ASPCAP's parameters ([`Parameter::ferre_label`]).
    pub fn read(path: &Path) -> Result<GridHeader> {
        let text = std::fs::read_to_string(path).map_err(FerreError::io(path))?;
        let mut keys: BTreeMap<String, (usize, String)> = BTreeMap::new();
        let mut started = false;
        let mut ended = false;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if !started {
                if trimmed.eq_ignore_ascii_case("&SYNTH") {
                    started = true;
                }
                continue;
            }
            if trimmed == "/" {
                ended = true;
                break;
            }
            if let Some((key, value)) = trimmed.split_once('=') {
                let value = value.trim();
                let value = value
                    .strip_prefix('\'')
                    .and_then(|v| v.strip_suffix('\''))
                    .unwrap_or(value);
                keys.insert(key.trim().to_ascii_uppercase(), (i + 1, value.to_string()));
            }
        }
        if !started || !ended {
            return Err(FerreError::keyword(
                path,
                "is not a FERRE grid header: no &SYNTH block ending with /",
            ));
        }
        let get = |key: &str| {
            keys.get(key)
                .ok_or_else(|| FerreError::keyword(path, format!("the grid header has no {key}")))
        };
        let integer = |key: &str| -> Result<i64> {
            let (line, value) = get(key)?;
            value
                .parse()
                .map_err(|_| FerreError::line(path, *line, format!("{key} = {value} is not an integer")))
        };
        let numbers = |key: &str, n: usize| -> Result<Vec<f64>> {
            let (line, value) = get(key)?;
            let parsed: Option<Vec<f64>> = value.split_whitespace().map(parse_number).collect();
            match parsed {
                Some(v) if v.len() == n && v.iter().all(|x| x.is_finite()) => Ok(v),
                _ => Err(FerreError::line(
                    path,
                    *line,
                    format!("{key} = {value}: expected {n} finite numbers, one per dimension"),
                )),
            }
        };
        let n_dim = integer("N_OF_DIM")?;
        let n = usize::try_from(n_dim)
            .ok()
            .filter(|n| (1..=Parameter::ALL.len()).contains(n))
            .ok_or_else(|| FerreError::keyword(path, format!("N_OF_DIM = {n_dim} is not between 1 and 8")))?;
        let npix = integer("NPIX")?;
        let npix = usize::try_from(npix)
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| FerreError::keyword(path, format!("NPIX = {npix} is not a positive integer")))?;
        let mut parameters = Vec::with_capacity(n);
        for d in 1..=n {
            let key = format!("LABEL({d})");
            let (line, label) = get(&key)?;
            let parameter = Parameter::from_ferre_label(label).ok_or_else(|| {
                let known: Vec<String> = Parameter::ALL
                    .iter()
                    .map(|p| format!("'{}'", p.ferre_label()))
                    .collect();
                FerreError::line(
                    path,
                    *line,
                    format!(
                        "{key} = '{label}' is not one of ASPCAP's parameters ({})",
                        known.join(", ")
                    ),
                )
            })?;
            if parameters.contains(&parameter) {
                return Err(FerreError::line(
                    path,
                    *line,
                    format!("{key} = '{label}' names a dimension twice"),
                ));
            }
            parameters.push(parameter);
        }
        let n_points = numbers("N_P", n)?;
        let steps = numbers("STEPS", n)?;
        Ok(GridHeader {
            path: path.to_path_buf(),
            parameters,
            lower: numbers("LLIMITS", n)?,
            n_points: n_points.iter().map(|&x| x as i64).collect(),
            steps,
            npix,
        })
    }

    /// The header file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The grid's dimensions, in FERRE's order.
    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    /// The number of dimensions (`N_OF_DIM`, FERRE's `NDIM`).
    pub fn n_dim(&self) -> usize {
        self.parameters.len()
    }

    /// The number of pixels of the grid's spectra (`NPIX`).
    pub fn npix(&self) -> usize {
        self.npix
    }

    /// The dimension of `parameter` (from 0), if the grid has it.
    pub fn dimension(&self, parameter: Parameter) -> Option<usize> {
        self.parameters.iter().position(|&p| p == parameter)
    }

    /// The range of dimension `d`: `LLIMITS` to `LLIMITS + STEPS * (N_P - 1)`.
    pub fn limits(&self, d: usize) -> (f64, f64) {
        let upper = self.lower[d] + self.steps[d] * (self.n_points[d] - 1) as f64;
        (self.lower[d].min(upper), self.lower[d].max(upper))
    }
}

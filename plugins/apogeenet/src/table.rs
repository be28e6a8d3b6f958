//! The table of APOGEENet's outputs for a batch of spectra.
//!
//! A text file of comma-separated values, one line per analysed spectrum row:
//!
//! ```text
//! # APOGEENet outputs (lines starting with # are comments; blank lines are skipped)
//! spectrum,row,teff,u_teff,logg,u_logg,fe_h,u_fe_h
//! apStar-1.fits,0,4812.5,35.1,2.61,0.05,-0.21,0.03
//! apStar-2.fits,0,5930.0,61.0,4.32,0.07,0.05,0.04
//! ```
//!
//! - The first line that is not a comment is the header: it names the columns, in any
//!   order. `spectrum` (the input's file name, without its folder), `row` (the spectrum
//!   row in that file, from 0: apStar files hold stacks, then visits), `teff` (K),
//!   `logg` and `fe_h` (dex) and their errors `u_teff`, `u_logg`, `u_fe_h` (the standard
//!   deviations of the network's Monte-Carlo draws) must each be there once; other
//!   columns (a draw count, timings) are allowed and not read.
//! - Every other line has one field per header column, without quoting (so a file name
//!   holds no comma), surrounding blanks ignored. A value is a decimal number; `nan` or an
//!   empty field is the network's "no value" (NaN, flagged `BAD_OUTPUT` in the results).
//! - A spectrum row appears once.
//!
//! Anything else is refused with an [`ApogeeNetError::Table`] naming the file and the
//! line; the table is read whole before any task uses it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::ApogeeNetError;

/// The columns the table must have.
pub const COLUMNS: [&str; 8] = ["spectrum", "row", "teff", "u_teff", "logg", "u_logg", "fe_h", "u_fe_h"];

/// The network's output for one spectrum row: its labels and their errors (NaN where
/// the network gave no value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetworkRow {
    /// Effective temperature (K).
    pub teff: f64,
    /// Error of `teff` (K).
    pub u_teff: f64,
    /// Surface gravity, log10 of g in cm/s2 (dex).
    pub logg: f64,
    /// Error of `logg` (dex).
    pub u_logg: f64,
    /// Metallicity [Fe/H] (dex).
    pub fe_h: f64,
    /// Error of `fe_h` (dex).
    pub u_fe_h: f64,
}

/// A table of APOGEENet's outputs, read and checked: its lines by spectrum file name
/// and spectrum row.
#[derive(Debug, Clone)]
pub struct OutputTable {
    path: PathBuf,
    /// By file name, then by spectrum row.
    rows: HashMap<String, BTreeMap<usize, NetworkRow>>,
    len: usize,
}

impl OutputTable {
    /// Reads the table at `path`.
    pub fn read(path: &Path) -> Result<OutputTable, ApogeeNetError> {
        let text = std::fs::read_to_string(path).map_err(|source| ApogeeNetError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        OutputTable::parse(path, &text)
    }

    /// Parses the text of a table read from `path` (named in errors).
    pub fn parse(path: &Path, text: &str) -> Result<OutputTable, ApogeeNetError> {
        let fail = |line: usize, reason: String| ApogeeNetError::Table {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let Some((header_line, header)) = lines.next() else {
            return Err(fail(
                text.lines().count().max(1),
                format!(
                    "the table is empty: it needs a header line naming the columns {}",
                    COLUMNS.join(",")
                ),
            ));
        };
        let names: Vec<&str> = header.split(',').map(str::trim).collect();
        let mut index = [0usize; COLUMNS.len()];
        for (k, column) in COLUMNS.iter().enumerate() {
            let found: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| *n == column)
                .map(|(i, _)| i)
                .collect();
            match found.as_slice() {
                [i] => index[k] = *i,
                [] => {
                    return Err(fail(
                        header_line,
                        format!(
                            "the header {header:?} has no column `{column}` (it needs {})",
                            COLUMNS.join(",")
                        ),
                    ));
                }
                _ => {
                    return Err(fail(
                        header_line,
                        format!("the header {header:?} names the column `{column}` twice"),
                    ));
                }
            }
        }
        let mut rows: HashMap<String, BTreeMap<usize, NetworkRow>> = HashMap::new();
        let mut first_line: HashMap<(String, usize), usize> = HashMap::new();
        for (number, line) in lines {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields.len() != names.len() {
                return Err(fail(
                    number,
                    format!(
                        "{} fields where the header has {} columns: {line:?}",
                        fields.len(),
                        names.len()
                    ),
                ));
            }
            let spectrum = fields[index[0]];
            if spectrum.is_empty() || spectrum.contains(['/', '\\']) {
                return Err(fail(
                    number,
                    format!("`spectrum` is {spectrum:?}: it must be an input's file name, without its folder"),
                ));
            }
            let row_text = fields[index[1]];
            let row: usize = row_text.parse().map_err(|_| {
                fail(
                    number,
                    format!("`row` is {row_text:?}, not a spectrum row number (0, 1, ...)"),
                )
            })?;
            let value = |k: usize| -> Result<f64, ApogeeNetError> {
                let text = fields[index[k]];
                if text.is_empty() || text.eq_ignore_ascii_case("nan") {
                    return Ok(f64::NAN);
                }
                let looks_numeric = text
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
                match text.parse::<f64>() {
                    Ok(x) if looks_numeric => Ok(x),
                    _ => Err(fail(
                        number,
                        format!("`{}` is {text:?}, not a number (or nan)", COLUMNS[k]),
                    )),
                }
            };
            let network = NetworkRow {
                teff: value(2)?,
                u_teff: value(3)?,
                logg: value(4)?,
                u_logg: value(5)?,
                fe_h: value(6)?,
                u_fe_h: value(7)?,
            };
            let key = (spectrum.to_string(), row);
            if let Some(first) = first_line.get(&key) {
                return Err(fail(
                    number,
                    format!("spectrum row {row} of {spectrum} is already on line {first}"),
                ));
            }
            first_line.insert(key, number);
            rows.entry(spectrum.to_string()).or_default().insert(row, network);
        }
        Ok(OutputTable {
            path: path.to_path_buf(),
            rows,
            len: first_line.len(),
        })
    }

    /// The table's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number of spectrum rows in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table has no spectrum row.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The network's output for spectrum row `row` of the input file named `spectrum`.
    pub fn get(&self, spectrum: &str, row: usize) -> Option<&NetworkRow> {
        self.rows.get(spectrum)?.get(&row)
    }

    /// The network's outputs for the `rows` spectrum rows of the input file named
    /// `spectrum`, in row order: an error naming the first row the table lacks, or a row
    /// beyond `rows` that the table has (then the table is of other inputs).
    pub fn rows_of(&self, spectrum: &str, rows: usize) -> Result<Vec<NetworkRow>, ApogeeNetError> {
        let of_file = self.rows.get(spectrum);
        if let Some((&extra, _)) = of_file.and_then(|r| r.range(rows..).next()) {
            return Err(ApogeeNetError::ExtraRow {
                table: self.path.clone(),
                spectrum: spectrum.to_string(),
                row: extra,
                rows,
            });
        }
        (0..rows)
            .map(|row| {
                self.get(spectrum, row)
                    .copied()
                    .ok_or_else(|| ApogeeNetError::MissingRow {
                        table: self.path.clone(),
                        spectrum: spectrum.to_string(),
                        row,
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<OutputTable, ApogeeNetError> {
        OutputTable::parse(Path::new("batch.csv"), text)
    }

    #[test]
    fn reads_columns_in_any_order_with_comments_nan_and_extras() {
        let t = parse(
            "# outputs\n\nrow, spectrum ,draws,u_fe_h,fe_h,u_logg,logg,u_teff,teff\n\
             0,apStar-1.fits,100,0.03,-0.21,0.05,2.61,35.1,4812.5\n\
             1,apStar-1.fits,100,,nan,0.05,2.61,35.1,4812.5\n",
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        let r = t.get("apStar-1.fits", 0).unwrap();
        assert_eq!(
            (r.teff, r.u_teff, r.logg, r.fe_h, r.u_fe_h),
            (4812.5, 35.1, 2.61, -0.21, 0.03)
        );
        let r = t.get("apStar-1.fits", 1).unwrap();
        assert!(r.fe_h.is_nan() && r.u_fe_h.is_nan());
        assert_eq!(t.rows_of("apStar-1.fits", 2).unwrap().len(), 2);
    }

    #[test]
    fn refuses_malformed_lines_naming_the_line() {
        let header = "spectrum,row,teff,u_teff,logg,u_logg,fe_h,u_fe_h\n";
        for (text, line, part) in [
            ("", 1, "the table is empty"),
            ("spectrum,row,teff,u_teff,logg,u_logg,fe_h\n", 1, "no column `u_fe_h`"),
            (
                "spectrum,row,teff,teff,u_teff,logg,u_logg,fe_h,u_fe_h\n",
                1,
                "names the column `teff` twice",
            ),
            (
                &format!("{header}a.fits,0,1,2,3,4,5,6\na.fits,0,1,2,3,4,5\n"),
                3,
                "7 fields where the header has 8",
            ),
            (
                &format!("# c\n{header}a.fits,zero,1,2,3,4,5,6\n"),
                3,
                "`row` is \"zero\"",
            ),
            (
                &format!("{header}a.fits,0,1,2,3,4,5,6\na.fits,1,hot,2,3,4,5,6\n"),
                3,
                "`teff` is \"hot\"",
            ),
            (&format!("{header}a.fits,0,1,2,3,4,5,inf\n"), 2, "`u_fe_h` is \"inf\""),
            (
                &format!("{header}a.fits,0,1,2,3,4,5,6\n\na.fits,0,1,2,3,4,5,6\n"),
                4,
                "already on line 2",
            ),
            (&format!("{header}in/a.fits,0,1,2,3,4,5,6\n"), 2, "without its folder"),
        ] {
            let err = parse(text).unwrap_err();
            let ApogeeNetError::Table { line: got, .. } = &err else {
                panic!("{err}")
            };
            let message = err.to_string();
            assert_eq!(*got, line, "{message}");
            assert!(message.contains("\"batch.csv\"") && message.contains(part), "{message}");
        }
    }

    #[test]
    fn missing_and_extra_rows_are_named() {
        let t = parse("spectrum,row,teff,u_teff,logg,u_logg,fe_h,u_fe_h\na.fits,1,1,2,3,4,5,6\n").unwrap();
        let missing = t.rows_of("a.fits", 2).unwrap_err().to_string();
        assert!(missing.contains("no line for spectrum row 0 of a.fits"), "{missing}");
        let extra = t.rows_of("a.fits", 1).unwrap_err().to_string();
        assert!(
            extra.contains("spectrum row 1 of a.fits, which has 1 spectrum rows"),
            "{extra}"
        );
        assert!(t.rows_of("b.fits", 1).is_err());
    }
}

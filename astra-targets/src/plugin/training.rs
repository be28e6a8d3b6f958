//! A training set: labelled input spectra, read from a label table, for a plugin whose
//! model the program trains (`astra train PLUGIN`).
//!
//! A label table is a comma-separated text file. Its first line names the columns: one
//! is `file` (an input spectrum file, relative to the table's folder unless absolute),
//! and the others are labels (`teff`, `logg`, `fe_h`, ...). Each further line is one
//! training spectrum: the first spectrum row of its file (the combined spectrum of an
//! apStar file, the only one of a BOSS spec file) has those labels. Blank lines and lines
//! starting with `#` are skipped; fields are not quoted, so a path holds no comma. Extra
//! columns are allowed and ignored.

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView1, Axis};

use super::input::Input;
use crate::spectrum::{self, Spectrum};
use crate::{Error, Result};

/// The column of a label table naming each input file.
pub const FILE_COLUMN: &str = "file";

/// Labelled input spectra for training, with the labels a plugin asked for, in its order.
#[derive(Debug)]
pub struct TrainingSet {
    table: PathBuf,
    label_names: Vec<String>,
    inputs: Vec<(PathBuf, Spectrum)>,
    labels: Array2<f64>,
}

impl TrainingSet {
    /// Reads the label table at `table` and every input it names, keeping the columns
    /// `labels` (in that order). An error names the table, the line, the column and the
    /// value: a missing column, a number that is not finite, an input that cannot be
    /// read, a table with no rows, or inputs of different wavelength grids.
    pub fn read(table: impl AsRef<Path>, labels: &[&str]) -> Result<TrainingSet> {
        let table = table.as_ref();
        let bad = |line: usize, reason: String| Error::LabelTable {
            path: table.to_path_buf(),
            line,
            reason,
        };
        let text = std::fs::read_to_string(table).map_err(|e| bad(0, format!("cannot be read: {e}")))?;
        let folder = table.parent().unwrap_or(Path::new("."));
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let Some((header_line, header)) = lines.next() else {
            return Err(bad(0, "is empty: it needs a header line naming the columns".into()));
        };
        let names: Vec<&str> = header.split(',').map(str::trim).collect();
        let column = |name: &str| {
            names.iter().position(|n| *n == name).ok_or_else(|| {
                bad(
                    header_line,
                    format!("has no column {name:?} (its columns: {})", names.join(", ")),
                )
            })
        };
        let file_at = column(FILE_COLUMN)?;
        let label_at = labels.iter().map(|l| column(l)).collect::<Result<Vec<_>>>()?;

        let mut inputs: Vec<(PathBuf, Spectrum)> = Vec::new();
        let mut values = Vec::new();
        for (line, text) in lines {
            let fields: Vec<&str> = text.split(',').map(str::trim).collect();
            if fields.len() != names.len() {
                return Err(bad(
                    line,
                    format!("has {} fields; the header names {}", fields.len(), names.len()),
                ));
            }
            for (&at, name) in label_at.iter().zip(labels) {
                let value = fields[at];
                match value.parse::<f64>() {
                    Ok(x) if x.is_finite() => values.push(x),
                    _ => return Err(bad(line, format!("label {name} is {value:?}, not a finite number"))),
                }
            }
            let file = folder.join(fields[file_at]);
            let spectrum = spectrum::read(&file).map_err(|e| bad(line, format!("input {:?}: {e}", fields[file_at])))?;
            if spectrum.shape().0 == 0 {
                return Err(bad(line, format!("input {:?} holds no spectrum", fields[file_at])));
            }
            if let Some((first, s)) = inputs.first()
                && s.grid != spectrum.grid
            {
                return Err(bad(
                    line,
                    format!(
                        "input {:?} is on another wavelength grid than {first:?}: one model is trained on one grid",
                        fields[file_at]
                    ),
                ));
            }
            inputs.push((file, spectrum));
        }
        if inputs.is_empty() {
            return Err(bad(header_line, "names no training spectrum".into()));
        }
        let labels_array =
            Array2::from_shape_vec((inputs.len(), labels.len()), values).map_err(|e| bad(0, format!("labels: {e}")))?;
        Ok(TrainingSet {
            table: table.to_path_buf(),
            label_names: labels.iter().map(|s| s.to_string()).collect(),
            inputs,
            labels: labels_array,
        })
    }

    /// The label table it was read from.
    pub fn table(&self) -> &Path {
        &self.table
    }

    /// The label names, in the order of [`labels`](Self::labels)' columns.
    pub fn label_names(&self) -> &[String] {
        &self.label_names
    }

    /// The number of training spectra.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// Whether there is none (never, for a set that was read).
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// The labels, one row per training spectrum.
    pub fn labels(&self) -> &Array2<f64> {
        &self.labels
    }

    /// The `i`-th input (its first spectrum row is the labelled one) and its labels;
    /// `None` past the end.
    pub fn get(&self, i: usize) -> Option<(Input<'_>, ArrayView1<'_, f64>)> {
        let (path, spectrum) = self.inputs.get(i)?;
        Some((Input::new(path, spectrum), self.labels.index_axis(Axis(0), i)))
    }

    /// Every input with its labels, in the table's order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Input<'_>, ArrayView1<'_, f64>)> {
        self.inputs
            .iter()
            .zip(self.labels.axis_iter(Axis(0)))
            .map(|((path, spectrum), labels)| (Input::new(path, spectrum), labels))
    }
}

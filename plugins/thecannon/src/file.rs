//! The model file: a FITS file, written atomically, read back with its format checked.
//!
//! Layout (format version 1):
//!
//! | HDU | content |
//! |---|---|
//! | primary | no data; `FORMAT = 'ASTRA-THECANNON'`, `FMTVER = 1`, `VECTORIZ = 'QUADRATIC'`, `NLABELS`, `NPIXELS`, `NTERMS` |
//! | `LABELS` | binary table, one row per label: `NAME` (string), `OFFSET`, `SCALE` (float64): `scaled = (label - OFFSET) / SCALE` |
//! | `THETA` | float64 image, `NPIXELS` rows of `NTERMS` coefficients (terms in the [`QuadraticVectorizer`](crate::vectorizer::QuadraticVectorizer) order) |
//! | `S2` | float64 image of `NPIXELS` scatter terms s²; `+Inf` marks an untrained pixel |

use std::path::Path;

use astra_targets::fs::{AtomicPath, Commit};

use fitsio::FitsFile;
use fitsio::images::{ImageDescription, ImageType};
use fitsio::tables::{ColumnDataType, ColumnDescription};
use ndarray::{Array1, Array2};

use crate::error::CannonError;
use crate::model::CannonModel;
use crate::scaling::LabelScaling;

/// The value of the model file's `FORMAT` card.
pub const FORMAT: &str = "ASTRA-THECANNON";
/// The model file format version this crate writes and reads (`FMTVER` card).
pub const FORMAT_VERSION: i64 = 1;
const NAME_WIDTH: usize = 64;

impl CannonModel {
    /// Writes the model to `path` (a new file, or replacing one): written to a temporary
    /// file in the same folder and renamed into place, so `path` never holds a partial
    /// model. Label names longer than 64 bytes are refused.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CannonError> {
        let path = path.as_ref();
        if let Some(long) = self.label_names().iter().find(|n| n.len() > NAME_WIDTH) {
            return Err(CannonError::LabelNames {
                names: vec![long.clone()],
                reason: "a model file holds label names of at most 64 bytes",
            });
        }
        // A model goes into an existing folder: a mistyped folder is refused, not made.
        let file = AtomicPath::in_existing_folder(path)?;
        self.write_fits(file.temp_path())?;
        file.commit(Commit::replacing().durable(true))?;
        Ok(())
    }

    fn write_fits(&self, tmp: &Path) -> Result<(), CannonError> {
        let fits_err = |source| CannonError::Fits {
            path: tmp.to_path_buf(),
            source,
        };
        let (n_pixels, n_terms) = self.theta().dim();
        let mut f = FitsFile::create(tmp).overwrite().open().map_err(fits_err)?;
        let primary = f.primary_hdu().map_err(fits_err)?;
        primary
            .write_key(&mut f, "FORMAT", (FORMAT, "model file format"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "FMTVER", (FORMAT_VERSION, "model file format version"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "VECTORIZ", ("QUADRATIC", "terms: 1, l_i, l_i*l_j (i<=j)"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "NLABELS", (self.n_labels() as i64, "number of labels"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "NPIXELS", (n_pixels as i64, "number of pixels"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "NTERMS", (n_terms as i64, "number of terms per pixel"))
            .map_err(fits_err)?;

        let columns = [
            ColumnDescription::new("NAME")
                .with_type(ColumnDataType::String)
                .that_repeats(NAME_WIDTH)
                .create(),
            ColumnDescription::new("OFFSET")
                .with_type(ColumnDataType::Double)
                .create(),
            ColumnDescription::new("SCALE")
                .with_type(ColumnDataType::Double)
                .create(),
        ]
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(fits_err)?;
        let table = f.create_table("LABELS", &columns).map_err(fits_err)?;
        table.write_col(&mut f, "NAME", self.label_names()).map_err(fits_err)?;
        table
            .write_col(&mut f, "OFFSET", &self.scaling().offsets().to_vec())
            .map_err(fits_err)?;
        table
            .write_col(&mut f, "SCALE", &self.scaling().scales().to_vec())
            .map_err(fits_err)?;

        let theta: Vec<f64> = self.theta().iter().copied().collect();
        let image = f
            .create_image(
                "THETA",
                &ImageDescription {
                    data_type: ImageType::Double,
                    dimensions: &[n_pixels, n_terms],
                },
            )
            .map_err(fits_err)?;
        image.write_image(&mut f, &theta).map_err(fits_err)?;
        let image = f
            .create_image(
                "S2",
                &ImageDescription {
                    data_type: ImageType::Double,
                    dimensions: &[n_pixels],
                },
            )
            .map_err(fits_err)?;
        image.write_image(&mut f, &self.s2().to_vec()).map_err(fits_err)?;
        Ok(())
    }

    /// Reads a model written by [`save`](Self::save). A file that is not a model file of
    /// a supported version, or whose parts disagree, is a [`CannonError::ModelFile`]
    /// naming what is wrong; an unreadable or damaged FITS file a [`CannonError::Fits`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CannonError> {
        let path = path.as_ref();
        std::fs::metadata(path).map_err(|source| CannonError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let fits_err = |source| CannonError::Fits {
            path: path.to_path_buf(),
            source,
        };
        let bad = |reason: String| CannonError::ModelFile {
            path: path.to_path_buf(),
            reason,
        };
        let mut f = FitsFile::open(path).map_err(fits_err)?;
        let primary = f.primary_hdu().map_err(fits_err)?;
        let format: String = primary
            .read_key(&mut f, "FORMAT")
            .map_err(|_| bad(format!("no FORMAT card (expected FORMAT = '{FORMAT}')")))?;
        if format != FORMAT {
            return Err(bad(format!("FORMAT is '{format}', expected '{FORMAT}'")));
        }
        let version: i64 = primary
            .read_key(&mut f, "FMTVER")
            .map_err(|_| bad("no FMTVER card".into()))?;
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "format version {version} is not supported (this build reads version {FORMAT_VERSION})"
            )));
        }
        let card = |f: &mut FitsFile, name: &str| -> Result<usize, CannonError> {
            let v: i64 = primary.read_key(f, name).map_err(|_| bad(format!("no {name} card")))?;
            usize::try_from(v).map_err(|_| bad(format!("{name} = {v} is negative")))
        };
        let n_labels = card(&mut f, "NLABELS")?;
        let n_pixels = card(&mut f, "NPIXELS")?;
        let n_terms = card(&mut f, "NTERMS")?;

        let hdu = |f: &mut FitsFile, name: &str| f.hdu(name).map_err(|_| bad(format!("no {name} HDU")));
        let table = hdu(&mut f, "LABELS")?;
        let names: Vec<String> = table.read_col(&mut f, "NAME").map_err(fits_err)?;
        let offsets: Vec<f64> = table.read_col(&mut f, "OFFSET").map_err(fits_err)?;
        let scales: Vec<f64> = table.read_col(&mut f, "SCALE").map_err(fits_err)?;
        if names.len() != n_labels || offsets.len() != n_labels || scales.len() != n_labels {
            return Err(bad(format!("LABELS has {} rows, NLABELS is {n_labels}", names.len())));
        }
        let names: Vec<String> = names.into_iter().map(|n| n.trim_end().to_string()).collect();
        let scaling = LabelScaling::new(Array1::from(offsets), Array1::from(scales))
            .ok_or_else(|| bad("LABELS has a non-finite offset or a scale that is not > 0".into()))?;
        let theta: Vec<f64> = hdu(&mut f, "THETA")?.read_image(&mut f).map_err(fits_err)?;
        let s2: Vec<f64> = hdu(&mut f, "S2")?.read_image(&mut f).map_err(fits_err)?;
        if theta.len() != n_pixels * n_terms || s2.len() != n_pixels {
            return Err(bad(format!(
                "THETA has {} values and S2 {}, expected {} and {n_pixels}",
                theta.len(),
                s2.len(),
                n_pixels * n_terms
            )));
        }
        let theta = Array2::from_shape_vec((n_pixels, n_terms), theta).map_err(|e| bad(e.to_string()))?;
        CannonModel::from_parts(names, scaling, theta, Array1::from(s2)).map_err(|e| bad(e.to_string()))
    }
}

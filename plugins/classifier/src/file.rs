//! The model file: a FITS file, written atomically, read back with its format checked.
//!
//! Layout (format version 1):
//!
//! | HDU | content |
//! |---|---|
//! | primary | no data; `FORMAT = 'ASTRA-CLASSIFIER'`, `FMTVER = 1`, `METHOD = 'PCA+SOFTMAX'`, `NPIXELS`, `NCOMP`, `NCLASSES`, `L2`, `MINUSABL` |
//! | `CLASSES` | binary table, one row per class in order: `NAME` (string) |
//! | `MEAN` | float64 image of `NPIXELS` mean training fluxes |
//! | `COMPONENTS` | float64 image, `NCOMP` rows of `NPIXELS` (leading component first) |
//! | `SCALES` | float64 image of `NCOMP` score standard deviations |
//! | `WEIGHTS` | float64 image, `NCLASSES` rows of `1 + NCOMP` (intercept first) |

use std::path::Path;

use astra_targets::fs::{AtomicPath, Commit};

use fitsio::FitsFile;
use fitsio::images::{ImageDescription, ImageType};
use fitsio::tables::{ColumnDataType, ColumnDescription};
use ndarray::{Array1, Array2};

use crate::classes::{ClassList, MAX_NAME_LEN};
use crate::error::ClassifierError;
use crate::features::Pca;
use crate::model::ClassifierModel;

/// The value of the model file's `FORMAT` card.
pub const FORMAT: &str = "ASTRA-CLASSIFIER";
/// The model file format version this crate writes and reads (`FMTVER` card).
pub const FORMAT_VERSION: i64 = 1;
/// The value of the model file's `METHOD` card.
pub const METHOD: &str = "PCA+SOFTMAX";

impl ClassifierModel {
    /// Writes the model to `path` (a new file, or replacing one): written to a temporary
    /// file in the same folder, flushed to disk and renamed into place, so `path` never
    /// holds a partial model.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ClassifierError> {
        let path = path.as_ref();
        // A model goes into an existing folder: a mistyped folder is refused, not made.
        let file = AtomicPath::in_existing_folder(path)?;
        self.write_fits(file.temp_path())?;
        file.commit(Commit::replacing().durable(true))?;
        Ok(())
    }

    fn write_fits(&self, tmp: &Path) -> Result<(), ClassifierError> {
        let fits_err = |source| ClassifierError::Fits {
            path: tmp.to_path_buf(),
            source,
        };
        let n_pixels = self.n_pixels();
        let n_components = self.pca().n_components();
        let n_classes = self.classes().len();
        let mut f = FitsFile::create(tmp).overwrite().open().map_err(fits_err)?;
        let primary = f.primary_hdu().map_err(fits_err)?;
        primary
            .write_key(&mut f, "FORMAT", (FORMAT, "model file format"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "FMTVER", (FORMAT_VERSION, "model file format version"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "METHOD", (METHOD, "PCA features, softmax regression"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "NPIXELS", (n_pixels as i64, "number of pixels"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "NCOMP", (n_components as i64, "number of principal components"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "NCLASSES", (n_classes as i64, "number of classes"))
            .map_err(fits_err)?;
        primary
            .write_key(&mut f, "L2", (self.l2(), "L2 penalty on the regression weights"))
            .map_err(fits_err)?;
        primary
            .write_key(
                &mut f,
                "MINUSABL",
                (self.min_usable_fraction(), "least fraction of pixels with ivar > 0"),
            )
            .map_err(fits_err)?;

        let column = ColumnDescription::new("NAME")
            .with_type(ColumnDataType::String)
            .that_repeats(MAX_NAME_LEN)
            .create()
            .map_err(fits_err)?;
        let table = f.create_table("CLASSES", &[column]).map_err(fits_err)?;
        table
            .write_col(&mut f, "NAME", self.classes().names())
            .map_err(fits_err)?;

        let images: [(&str, Vec<usize>, Vec<f64>); 4] = [
            ("MEAN", vec![n_pixels], self.pca().mean().to_vec()),
            (
                "COMPONENTS",
                vec![n_components, n_pixels],
                self.pca().components().iter().copied().collect(),
            ),
            ("SCALES", vec![n_components], self.pca().scales().to_vec()),
            (
                "WEIGHTS",
                vec![n_classes, n_components + 1],
                self.weights().iter().copied().collect(),
            ),
        ];
        for (name, dimensions, values) in images {
            let image = f
                .create_image(
                    name,
                    &ImageDescription {
                        data_type: ImageType::Double,
                        dimensions: &dimensions,
                    },
                )
                .map_err(fits_err)?;
            image.write_image(&mut f, &values).map_err(fits_err)?;
        }
        Ok(())
    }

    /// Reads a model written by [`save`](Self::save). A file that is not a classifier
    /// model file of a supported version, or whose parts disagree, is a
    /// [`ClassifierError::ModelFile`] naming what is wrong; a missing file a
    /// [`ClassifierError::Io`]; an unreadable FITS file a [`ClassifierError::Fits`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ClassifierError> {
        let path = path.as_ref();
        std::fs::metadata(path).map_err(|source| ClassifierError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let fits_err = |source| ClassifierError::Fits {
            path: path.to_path_buf(),
            source,
        };
        let bad = |reason: String| ClassifierError::ModelFile {
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
        let method: String = primary
            .read_key(&mut f, "METHOD")
            .map_err(|_| bad("no METHOD card".into()))?;
        if method != METHOD {
            return Err(bad(format!("METHOD is '{method}', expected '{METHOD}'")));
        }
        let count = |f: &mut FitsFile, name: &str| -> Result<usize, ClassifierError> {
            let v: i64 = primary.read_key(f, name).map_err(|_| bad(format!("no {name} card")))?;
            usize::try_from(v).map_err(|_| bad(format!("{name} = {v} is negative")))
        };
        let n_pixels = count(&mut f, "NPIXELS")?;
        let n_components = count(&mut f, "NCOMP")?;
        let n_classes = count(&mut f, "NCLASSES")?;
        let l2: f64 = primary.read_key(&mut f, "L2").map_err(|_| bad("no L2 card".into()))?;
        let min_usable: f64 = primary
            .read_key(&mut f, "MINUSABL")
            .map_err(|_| bad("no MINUSABL card".into()))?;

        let hdu = |f: &mut FitsFile, name: &str| f.hdu(name).map_err(|_| bad(format!("no {name} HDU")));
        let names: Vec<String> = hdu(&mut f, "CLASSES")?.read_col(&mut f, "NAME").map_err(fits_err)?;
        if names.len() != n_classes {
            return Err(bad(format!(
                "CLASSES has {} rows, NCLASSES is {n_classes}",
                names.len()
            )));
        }
        let names: Vec<String> = names.into_iter().map(|n| n.trim_end().to_string()).collect();
        let classes = ClassList::new(&names).map_err(|e| bad(format!("CLASSES: {e}")))?;
        let mut image = |name: &str, expected: usize| -> Result<Vec<f64>, ClassifierError> {
            let values: Vec<f64> = hdu(&mut f, name)?.read_image(&mut f).map_err(fits_err)?;
            if values.len() != expected {
                return Err(bad(format!("{name} has {} values, expected {expected}", values.len())));
            }
            Ok(values)
        };
        let mean = image("MEAN", n_pixels)?;
        let components = image("COMPONENTS", n_components * n_pixels)?;
        let scales = image("SCALES", n_components)?;
        let weights = image("WEIGHTS", n_classes * (n_components + 1))?;
        let components =
            Array2::from_shape_vec((n_components, n_pixels), components).map_err(|e| bad(e.to_string()))?;
        let weights = Array2::from_shape_vec((n_classes, n_components + 1), weights).map_err(|e| bad(e.to_string()))?;
        let pca = Pca::from_parts(Array1::from(mean), components, Array1::from(scales)).ok_or_else(|| {
            bad("MEAN, COMPONENTS or SCALES holds a non-finite value or a scale that is not > 0".into())
        })?;
        ClassifierModel::from_parts(classes, pca, weights, l2, min_usable).map_err(bad)
    }
}

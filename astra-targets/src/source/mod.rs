//! The astraSource FITS product of a task: [`AstraSource`].
//!
//! One file per (task, source) holding N spectra of P pixels, in nine HDUs
//! ([`layout::HDUS`]): the input's primary header with provenance cards, the normalized
//! flux and inverse variance, the input's bitmask, the continuum, the model flux and
//! inverse variance, a `TASK_PARAMETERS` table and a `RESULTS` table with one row per
//! spectrum (its header names the bits of bitmask columns, one card `F{n}_{bit}` per bit:
//! [`tables::results_flag_cards`]). Every HDU is checksummed; the file is written to a temporary name beside the
//! destination and renamed over it only when complete.
//!
//! Files up to [`MEMORY_LIMIT`] are made in memory. The first file of each layout (image
//! shape and types, table columns) a thread writes goes through cfitsio; later files of
//! that layout are assembled from the records cfitsio wrote for it, once the same bytes
//! have been assembled from the first file ([`layouts_learnt`]). Files with a header card
//! in the long-string convention always go through cfitsio.

mod assembly;
mod created;
pub mod layout;
mod options;
mod shapes;
pub mod tables;
mod verify;
mod write;

use std::path::{Path, PathBuf};

pub use assembly::{MAX_LAYOUTS, layouts_learnt};
pub use created::{format_utc, now_utc};
pub use options::{FloatType, Staging, WriteOptions};
pub use shapes::{Images, Pixels, SourceImages, check_shapes};
pub use verify::looks_complete;
pub use write::{MEMORY_LIMIT, PROVENANCE_KEYS};

use crate::Result;
use crate::fs::{CopyMode, FileTarget};
use crate::path::OutputRoot;
use crate::spectrum::{Bitmask, Spectrum};
use crate::task::AstraTask;

/// The astraSource file of one task.
#[derive(Debug)]
pub struct AstraSource<'a, T: AstraTask> {
    task: &'a T,
    path: PathBuf,
}

impl<'a, T: AstraTask> AstraSource<'a, T> {
    /// The astraSource file of `task` under `root` (at `task.output_path(root)`).
    pub fn new(task: &'a T, root: &OutputRoot) -> Result<Self> {
        Ok(AstraSource {
            task,
            path: task.output_path(root)?,
        })
    }

    /// The astraSource file of `task` at an explicit path.
    pub fn at(task: &'a T, path: impl Into<PathBuf>) -> Self {
        AstraSource {
            task,
            path: path.into(),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file-system operations of the file's path (the seed's `makedirs`, `open`,
    /// `move`, `move_dir`, `remove`, `copy`, `exists`, `temporary_path`), each write
    /// atomic; see [`FileTarget`].
    ///
    /// `FileTarget::exists` is true for anything at the path, while
    /// [`AstraSource::exists`] also wants a complete FITS file there.
    ///
    /// ```no_run
    /// # use astra_targets::{fs::IfExists, path::OutputRoot, source::AstraSource, task::AstraTask};
    /// # fn demo<T: AstraTask>(task: &T, root: &OutputRoot) -> astra_targets::Result<()> {
    /// let source = AstraSource::new(task, root)?;
    /// source.fs().copy(root.path().join("backup.fits"), IfExists::Refuse)?;
    /// source.fs().move_to(root.path().join("moved.fits"), IfExists::Replace)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn fs(&self) -> FileTarget {
        FileTarget::new(&self.path)
    }

    /// The task.
    pub fn task(&self) -> &T {
        self.task
    }

    /// The bitmask written for `spectrum` (the seed's `get_bitmask`): the OR mask of BOSS
    /// spectra, the single mask of APOGEE spectra, borrowed from the spectrum.
    pub fn get_bitmask<'s>(&self, spectrum: &'s Spectrum) -> Bitmask<'s> {
        spectrum.get_bitmask()
    }

    /// Checks and completes the images for `results` (the seed's `_check_shapes`); see
    /// [`check_shapes`].
    pub fn check_shapes<'i>(&self, images: SourceImages<'i>, results: &[T::Results]) -> Result<Images<'i>> {
        check_shapes(images, results.len())
    }

    /// Writes the file in the seed's argument order: a thin convenience over
    /// [`write_images`](Self::write_images). 1-D arrays are single spectra; a `None`
    /// continuum, model flux or model inverse variance is written as NaN.
    #[allow(clippy::too_many_arguments)]
    pub fn write<'i>(
        &self,
        spectrum: &Spectrum,
        normalized_flux: impl Into<Pixels<'i>>,
        normalized_ivar: impl Into<Pixels<'i>>,
        continuum: Option<Pixels<'i>>,
        model_flux: Option<Pixels<'i>>,
        model_ivar: Option<Pixels<'i>>,
        results: &[T::Results],
        options: &WriteOptions,
    ) -> Result<()> {
        let mut images = SourceImages::new(normalized_flux, normalized_ivar);
        if let Some(c) = continuum {
            images = images.continuum(c);
        }
        if let Some(m) = model_flux {
            images = images.model_flux(m);
        }
        if let Some(m) = model_ivar {
            images = images.model_ivar(m);
        }
        self.write_images(spectrum, images, results, options)
    }

    /// Writes the file: checks the images' shapes ([`check_shapes`]: one result row per
    /// spectrum, missing images written as NaN), then [`write_checked`](Self::write_checked).
    ///
    /// ```no_run
    /// # use astra_targets::{source::{AstraSource, SourceImages, WriteOptions}, spectrum::Spectrum, task::AstraTask};
    /// # fn demo<T: AstraTask>(source: &AstraSource<'_, T>, spectrum: &Spectrum, rows: &[T::Results],
    /// #     flux: &ndarray::Array2<f32>, ivar: &ndarray::Array2<f32>, model: &ndarray::Array2<f32>)
    /// #     -> astra_targets::Result<()> {
    /// let images = SourceImages::new(flux, ivar).model_flux(model);
    /// source.write_images(spectrum, images, rows, &WriteOptions::default())?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn write_images(
        &self,
        spectrum: &Spectrum,
        images: SourceImages<'_>,
        results: &[T::Results],
        options: &WriteOptions,
    ) -> Result<()> {
        let images = check_shapes(images, results.len())?;
        self.write_checked(spectrum, &images, results, options)
    }

    /// Writes the file from images already checked.
    ///
    /// Refused, with nothing written (not even a folder) and any old file left as it was:
    /// a wavelength grid of another length than P, a bitmask that is not (N, P) or not of
    /// the spectrum kind's integer type, result rows that are not N or do not fit their
    /// columns (text longer than its declared width too), text that is not printable ASCII
    /// (naming the column or parameter), and, with [`IfExists::Refuse`](crate::fs::IfExists::Refuse),
    /// an existing file.
    pub fn write_checked(
        &self,
        spectrum: &Spectrum,
        images: &Images<'_>,
        results: &[T::Results],
        options: &WriteOptions,
    ) -> Result<()> {
        write::write(self.task, &self.path, spectrum, images, results, options)
    }

    /// Whether the file is there: a regular file that starts as FITS and has a whole
    /// number of blocks. (Files are only ever renamed into place complete;
    /// [`verify`](Self::verify) checks every byte.)
    pub fn exists(&self) -> bool {
        looks_complete(&self.path)
    }

    /// Checks the file: nine HDUs named as the layout says, every checksum valid, images
    /// of one (N, P) shape, and a RESULTS table of N rows with the task's columns.
    pub fn verify(&self) -> Result<()> {
        verify::verify_file(self.task, &self.path, verify::Checks::LayoutAndChecksums)
    }

    /// The checks of [`verify`](Self::verify) without the checksums: for a file written
    /// with [`WriteOptions::checksum`] off, which carries none.
    pub fn verify_layout(&self) -> Result<()> {
        verify::verify_file(self.task, &self.path, verify::Checks::Layout)
    }

    /// Makes this file a symbolic link to `source` (another astraSource file, or any path)
    /// or a copy of it keeping its permissions and times, replacing any old file
    /// atomically: [`FileTarget::copy_from`] on the file's path.
    pub fn copy_from(&self, source: impl AsRef<Path>, mode: CopyMode) -> Result<()> {
        self.fs().copy_from(source, mode)
    }
}

impl<T: AstraTask> AsRef<Path> for AstraSource<'_, T> {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

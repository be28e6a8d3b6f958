//! What an analysis returns: result rows and, for a file-writing plugin, its images.

use ndarray::Array2;

use super::{Image, Outputs};
use crate::source::SourceImages;

/// The images of an astraSource file as an analysis hands them over (owned, (N, P)):
/// the normalized flux and inverse variance, then, each optional and set by name, the
/// continuum, the model flux and the model inverse variance (missing ones are written
/// as NaN).
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisImages {
    normalized_flux: Array2<f32>,
    normalized_ivar: Array2<f32>,
    continuum: Option<Array2<f32>>,
    model_flux: Option<Array2<f32>>,
    model_ivar: Option<Array2<f32>>,
}

impl AnalysisImages {
    /// The normalized flux and its inverse variance.
    pub fn new(normalized_flux: Array2<f32>, normalized_ivar: Array2<f32>) -> Self {
        AnalysisImages {
            normalized_flux,
            normalized_ivar,
            continuum: None,
            model_flux: None,
            model_ivar: None,
        }
    }

    /// Sets the continuum.
    pub fn continuum(mut self, continuum: Array2<f32>) -> Self {
        self.continuum = Some(continuum);
        self
    }

    /// Sets the model flux.
    pub fn model_flux(mut self, model_flux: Array2<f32>) -> Self {
        self.model_flux = Some(model_flux);
        self
    }

    /// Sets the model inverse variance.
    pub fn model_ivar(mut self, model_ivar: Array2<f32>) -> Self {
        self.model_ivar = Some(model_ivar);
        self
    }

    /// The optional images that are set.
    pub fn filled(&self) -> Vec<Image> {
        let mut out = Vec::new();
        if self.continuum.is_some() {
            out.push(Image::Continuum);
        }
        if self.model_flux.is_some() {
            out.push(Image::ModelFlux);
        }
        if self.model_ivar.is_some() {
            out.push(Image::ModelIvar);
        }
        out
    }

    /// The images borrowed for the astraSource writer.
    pub fn as_source_images(&self) -> SourceImages<'_> {
        let mut images = SourceImages::new(&self.normalized_flux, &self.normalized_ivar);
        if let Some(c) = &self.continuum {
            images = images.continuum(c);
        }
        if let Some(m) = &self.model_flux {
            images = images.model_flux(m);
        }
        if let Some(m) = &self.model_ivar {
            images = images.model_ivar(m);
        }
        images
    }
}

/// The result of analysing one input: one result row per analysed spectrum and, for a
/// file-writing plugin, the images of its astraSource file.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis<R> {
    rows: Vec<R>,
    images: Option<AnalysisImages>,
}

impl<R> Analysis<R> {
    /// Result rows only (a plugin writing [`Outputs::Rows`]).
    pub fn rows(rows: Vec<R>) -> Self {
        Analysis { rows, images: None }
    }

    /// Result rows and the astraSource images (a plugin writing
    /// [`Outputs::RowsAndFile`]).
    pub fn with_images(rows: Vec<R>, images: AnalysisImages) -> Self {
        Analysis {
            rows,
            images: Some(images),
        }
    }

    /// The result rows.
    pub fn result_rows(&self) -> &[R] {
        &self.rows
    }

    /// The images, if any.
    pub fn images(&self) -> Option<&AnalysisImages> {
        self.images.as_ref()
    }

    /// The rows and the images.
    pub fn into_parts(self) -> (Vec<R>, Option<AnalysisImages>) {
        (self.rows, self.images)
    }

    /// Checks the analysis against what the plugin declares it writes: images exactly
    /// when it writes a file, and then exactly the declared optional images. The error
    /// says what differs.
    pub fn check(&self, outputs: Outputs) -> Result<(), String> {
        match (outputs, &self.images) {
            (Outputs::Rows, None) => Ok(()),
            (Outputs::Rows, Some(_)) => {
                Err("the analysis returned images, but the plugin declares that it writes rows only".into())
            }
            (Outputs::RowsAndFile { .. }, None) => {
                Err("the analysis returned no images, but the plugin declares that it writes a file".into())
            }
            (Outputs::RowsAndFile { images: declared }, Some(images)) => {
                let filled = images.filled();
                let name = |list: &[Image]| {
                    let names: Vec<&str> = list.iter().map(|i| i.extname()).collect();
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                };
                let same = filled.len() == declared.len() && filled.iter().all(|i| declared.contains(i));
                if same {
                    Ok(())
                } else {
                    Err(format!(
                        "the analysis filled the images {} but the plugin declares {}",
                        name(&filled),
                        name(declared)
                    ))
                }
            }
        }
    }
}

//! ASPCAP with FERRE: the interface to FERRE (Allende Prieto et al. 2006), the program
//! that fits spectra by interpolating in a grid of model spectra, as SDSS's ASPCAP ran
//! it through Astra. FERRE runs outside; this crate writes its input files and reads its
//! output files in FERRE's own formats.
//!
//! - [`parameter`]: ASPCAP's stellar parameters ([`Parameter`]) and the labels FERRE's
//!   grids give them; a [`Point`] of values.
//! - [`header`]: a grid's header ([`GridHeader`]): its dimensions, ranges and pixels.
//! - [`input`]: a batch of spectra ([`FerreBatch`]) written as FERRE's parameter, flux
//!   and error files and its control file `input.nml`.
//! - [`output`]: FERRE's outputs read and matched to the inputs by name ([`FerreRun`]).
//! - [`control`]: the control file's namelist ([`Control`]).
//! - [`pixels`]: the pixels of an input spectrum FERRE sees ([`FerrePixels`]).
//! - [`format`](mod@format): numbers as FERRE's text files hold them, and its sentinel values.
//! - [`plugin`]: the `aspcap` plugin of the `astra` program, and [`prepare`], which
//!   writes a FERRE batch for a set of input files.

pub mod control;
mod error;
pub mod format;
pub mod header;
pub mod input;
pub mod output;
pub mod parameter;
pub mod pixels;
pub mod plugin;

pub use control::Control;
pub use error::{FerreError, Result};
pub use header::GridHeader;
pub use input::{ContinuumFit, FerreBatch};
pub use output::{FerreFit, FerreRun};
pub use parameter::{Parameter, Point};
pub use pixels::FerrePixels;
pub use plugin::{Aspcap, AspcapPlugin, AspcapResults, prepare};

/// The folder holding `path` (`.` for a bare name).
pub(crate) fn parent_dir(path: &std::path::Path) -> &std::path::Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    }
}

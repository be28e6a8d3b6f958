//! Typed options of [`AstraSource::write_images`](super::AstraSource::write_images): the
//! seed's keyword arguments `dtype`, `overwrite`, `checksum`, `output_verify`, plus
//! durability and the plugin's name.

use crate::fits::Dtype;
use crate::fs::IfExists;

/// The float type of the image HDUs other than `BITMASK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FloatType {
    /// `float32` (`BITPIX = -32`), the default.
    #[default]
    F32,
    /// `float64` (`BITPIX = -64`).
    F64,
}

impl FloatType {
    /// The image pixel type.
    pub fn dtype(self) -> Dtype {
        match self {
            FloatType::F32 => Dtype::F32,
            FloatType::F64 => Dtype::F64,
        }
    }
}

/// Where cfitsio assembles the file before it is renamed into place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Staging {
    /// In memory up to [`MEMORY_LIMIT`](super::MEMORY_LIMIT) bytes, else on disk. In
    /// memory is the faster way: cfitsio converts into a buffer (kept for the next file,
    /// up to [`KEEP_LIMIT`](crate::fits::KEEP_LIMIT) bytes, released by
    /// [`release_kept_memory`](crate::fits::release_kept_memory)) and the file is written
    /// in one piece; it needs memory for a copy of the file.
    #[default]
    Auto,
    /// In memory, then written to the temporary file in one piece.
    Memory,
    /// Straight into the temporary file.
    Disk,
}

/// How an astraSource file is written: [`Default`] and then the builder methods (the fields
/// can be read; more may come, so the struct is not built literally).
///
/// ```
/// use astra_targets::fs::IfExists;
/// use astra_targets::source::{FloatType, WriteOptions};
///
/// let options = WriteOptions::default()
///     .dtype(FloatType::F64)
///     .if_exists(IfExists::Refuse)
///     .durable(true);
/// assert!(options.checksum);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteOptions {
    /// The float type of the spectra images (default `float32`).
    pub dtype: FloatType,
    /// What happens to an existing file: [`IfExists::Replace`] (the default, the seed's
    /// `overwrite=True`) or [`IfExists::Refuse`], which leaves it alone and refuses the write
    /// with [`Error::AlreadyExists`](crate::Error::AlreadyExists).
    pub if_exists: IfExists,
    /// Write `CHECKSUM` and `DATASUM` on every HDU (default `true`).
    pub checksum: bool,
    /// Reopen the finished temporary file and check it (HDU names, RESULTS columns and,
    /// with `checksum`, every checksum) before it replaces the destination (default
    /// `false`): the typed form of the seed's `output_verify`.
    pub output_verify: bool,
    /// fsync the file before it is renamed into place and its folder after (default
    /// `false`; the `astra` program turns it on).
    pub durable: bool,
    /// Where the file is assembled (a tuning knob; the bytes are the same).
    pub staging: Staging,
    /// The `PLUGIN` card; `None` writes the task's family.
    pub plugin: Option<String>,
    /// The `PLUGVER` card; `None` writes the task's version.
    pub plugin_version: Option<String>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            dtype: FloatType::F32,
            if_exists: IfExists::Replace,
            checksum: true,
            output_verify: false,
            durable: false,
            staging: Staging::Auto,
            plugin: None,
            plugin_version: None,
        }
    }
}

impl WriteOptions {
    /// Sets the float type.
    pub fn dtype(mut self, dtype: FloatType) -> Self {
        self.dtype = dtype;
        self
    }
    /// Sets what happens to an existing file.
    pub fn if_exists(mut self, if_exists: IfExists) -> Self {
        self.if_exists = if_exists;
        self
    }
    /// Sets whether HDUs are checksummed.
    pub fn checksum(mut self, checksum: bool) -> Self {
        self.checksum = checksum;
        self
    }
    /// Sets whether the file is checked before it replaces the destination.
    pub fn output_verify(mut self, verify: bool) -> Self {
        self.output_verify = verify;
        self
    }
    /// Sets whether the file is fsync'd.
    pub fn durable(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }
    /// Sets where the file is assembled.
    pub fn staging(mut self, staging: Staging) -> Self {
        self.staging = staging;
        self
    }
    /// Sets the plugin name and version cards.
    pub fn plugin(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.plugin = Some(name.into());
        self.plugin_version = Some(version.into());
        self
    }
}

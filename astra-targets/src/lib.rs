//! # astra-targets
//!
//! The outputs of astronomical survey pipelines, declared once and written correctly:
//! a task's result rows in a database ([`db`]) and its `astraSource` FITS product
//! ([`source`]), with output paths ([`path`]), task identity ([`identity`]) and generated
//! documentation ([`docs`]) all derived from one declaration, `#[derive(AstraTask)]`.
//!
//! The building blocks:
//! - [`meta`]: the static metadata of a task ([`TaskMeta`]) and its parameter values
//!   checked against it ([`Params`]);
//! - [`task`]: the [`AstraTask`] trait the derive implements;
//! - [`param`]: parameter kinds and values, and [`ParamEnum`] for enum parameters;
//! - [`column`](mod@column): result columns ([`ColumnMeta`]), their SQL types and FITS formats, and the
//!   [`AstraResults`] trait for result-row structs;
//! - [`value`]: dynamically typed parameter and column values;
//! - [`registry`]: every task and plugin linked into a program, found through `inventory`;
//! - [`template`]: compiled path templates (plain data), rendered and parsed by [`path`].
//!
//! The core modules import one way, each only from those before it:
//! `value`, `float` (Python's float layout), `template` → `column`, `param` → `meta` →
//! `identity` → `path` → `task` → `registry`.

extern crate self as astra_targets;

#[cfg(feature = "fits")]
mod civil;
#[cfg(feature = "cli")]
pub mod cli;
pub mod column;
#[cfg(feature = "db")]
pub mod db;
#[cfg(all(feature = "db", feature = "fits"))]
pub mod docs;
pub mod error;
#[cfg(feature = "fits")]
pub mod fits;
mod float;
pub mod fs;
pub mod identity;
pub mod meta;
pub mod param;
pub mod path;
#[cfg(all(feature = "db", feature = "fits"))]
pub mod plugin;
pub mod registry;
#[cfg(all(feature = "db", feature = "fits"))]
pub mod run;
#[cfg(feature = "fits")]
pub mod source;
#[cfg(feature = "fits")]
pub mod spectrum;
pub mod task;
pub mod template;
pub mod value;

pub use astra_targets_derive::{AstraParamEnum, AstraResults, AstraTask};
pub use column::{AstraResults, ColumnMeta, FlagBit, ScalarType};
pub use error::{Error, Result};
pub use meta::{Params, TaskMeta};
pub use param::{ParamEnum, ParamKind, ParamMeta, ParamValue};
pub use path::OutputRoot;
pub use task::AstraTask;
pub use value::Value;

/// Re-exported: the arrays of [`source`] and [`spectrum`] (images, masks, pixels) are
/// `ndarray` arrays, so a user names them with the same version of `ndarray` as this crate.
#[cfg(feature = "fits")]
pub use ndarray;

/// Re-exported: [`fits::FitsWriter::as_raw`] and [`fits::FitsReader::as_raw`] hand out
/// cfitsio's handle as `fitsio::sys::fitsfile`, for calls this crate does not wrap.
#[cfg(feature = "fits")]
pub use fitsio;

/// Re-exported so that plugin crates register with `astra_targets::inventory::submit!`
/// without depending on `inventory` themselves.
pub use inventory;

/// The version of astra-targets, `major.minor.patch`: the `{astra_version}` of output paths.
pub const ASTRA_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The major version, hashed into every task id as `astra_version_major`.
pub const ASTRA_VERSION_MAJOR: &str = env!("CARGO_PKG_VERSION_MAJOR");
/// The minor version, hashed into every task id as `astra_version_minor`.
pub const ASTRA_VERSION_MINOR: &str = env!("CARGO_PKG_VERSION_MINOR");

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

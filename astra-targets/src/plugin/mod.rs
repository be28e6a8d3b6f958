//! Plugins: one analysis method each, found at run time through `inventory`.
//!
//! A plugin is a type implementing [`Plugin`]: its task type (whose derive is the output
//! model), a name, version and description, what it writes ([`Outputs`]: database rows
//! only, or rows and an astraSource file with some of its images), how its task is made
//! from an input file ([`Plugin::task`]), how its trained model is loaded
//! ([`Plugin::load_model`]) and the analysis itself ([`Plugin::analyse`]), which returns
//! result rows and images ([`Analysis`]). The framework does everything else: it skips
//! finished work, writes the file and then the rows, sets the file's `PLUGIN`/`PLUGVER`
//! cards from the registration, and records each task's status, duration and failure.
//!
//! One line registers a plugin, in the crate that defines it:
//!
//! ```ignore
//! astra_targets::register_plugin!(MeanFlux);
//! ```
//!
//! (A complete plugin is shown at [`register_plugin!`](crate::register_plugin).)
//!
//! It builds a [`PluginDescriptor`] at compile time (plain data and function pointers,
//! as sqlx's `AnyDriver` is built from a driver type) and submits it through the
//! re-exported `inventory`. A plugin's name must be lower-case ASCII (letters, digits,
//! `_`), checked when the crate compiles. [`plugins`] lists every plugin linked into the
//! program and [`find`] looks one up by name; both refuse two plugins with one name, or
//! two plugins on one task family or result table, naming both crates.
//!
//! A plugin crate that the program depends on but never names is dropped by the linker,
//! and its registration with it: a program names each plugin crate it links (`use
//! my_plugin as _;`).

mod analysis;
mod descriptor;
mod input;
mod lookup;
mod model_file;
mod provenance;
mod training;

use std::error::Error as StdError;
use std::path::Path;

pub use analysis::{Analysis, AnalysisImages};
pub use descriptor::{Job, JobRun, Model, PluginDescriptor, PluginRegistration, WriteSettings};
pub use input::Input;
pub use lookup::{find, find_trainable, is_valid_name, plugins};
pub use model_file::ModelFile;
pub use provenance::{Provenance, provenance};
pub use training::{FILE_COLUMN, TrainingSet};

use crate::task::AstraTask;

/// The error a plugin's own code returns: any error, reported by its message.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with a plugin's [`BoxError`].
pub type PluginResult<T> = std::result::Result<T, BoxError>;

/// One of the astraSource images a file-writing plugin may fill (besides the normalized
/// flux and inverse variance, which every file has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Image {
    /// `CONTINUUM`.
    Continuum,
    /// `MODEL_FLUX`.
    ModelFlux,
    /// `MODEL_IVAR`.
    ModelIvar,
}

impl Image {
    /// The HDU's `EXTNAME`.
    pub const fn extname(self) -> &'static str {
        match self {
            Image::Continuum => "CONTINUUM",
            Image::ModelFlux => "MODEL_FLUX",
            Image::ModelIvar => "MODEL_IVAR",
        }
    }
}

/// What a plugin writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outputs {
    /// Result rows in the database only.
    Rows,
    /// Result rows and an astraSource file, whose normalized flux and inverse variance
    /// the plugin fills, and of the other images those named here (the rest are NaN).
    RowsAndFile {
        /// The images filled besides the normalized flux and inverse variance.
        images: &'static [Image],
    },
}

impl Outputs {
    /// Whether an astraSource file is written.
    pub const fn writes_file(self) -> bool {
        matches!(self, Outputs::RowsAndFile { .. })
    }

    /// The images filled besides the normalized ones (none for [`Outputs::Rows`]).
    pub const fn images(self) -> &'static [Image] {
        match self {
            Outputs::Rows => &[],
            Outputs::RowsAndFile { images } => images,
        }
    }
}

/// Where a plugin's trained model comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelSource<'a> {
    /// No model was given (`astra run` without `--model`): a method that needs one
    /// refuses, naming the option.
    None,
    /// A model file.
    File(&'a Path),
}

/// One analysis method. Implement it, then register the type with
/// [`register_plugin!`](crate::register_plugin).
pub trait Plugin: Send + Sync + 'static {
    /// The task: its parameters, its result rows and its output path.
    type Task: AstraTask<Results: Send + Sync> + Send + Sync;
    /// The trained model the analysis uses (`()` for a method without one).
    type Model: Send + Sync + 'static;

    /// The name: lower-case ASCII letters, digits and `_`, unique in a program; written
    /// into each file's `PLUGIN` card.
    const NAME: &'static str;
    /// The version, written into each file's `PLUGVER` card.
    const VERSION: &'static str;
    /// One line saying what the method does.
    const DESCRIPTION: &'static str;
    /// What the plugin writes.
    const OUTPUTS: Outputs;

    /// The labels training needs: columns of the label table given to `astra train`
    /// ([`TrainingSet`]), in the order [`train`](Self::train) sees them. Empty (the
    /// default) for a method whose model the program does not train.
    const TRAINING_LABELS: &'static [&'static str] = &[];

    /// The extension (without the dot) of the model files [`train`](Self::train) writes,
    /// for the file names the program makes up (`astra train`'s default output):
    /// `fits` unless the model has a format of its own.
    const MODEL_EXTENSION: &'static str = "fits";

    /// Trains a model on `set` (which holds the [`TRAINING_LABELS`](Self::TRAINING_LABELS)
    /// columns) and writes it to `output`, atomically; [`load_model`](Self::load_model)
    /// reads it back. The default refuses: a plugin with training labels overrides it.
    fn train(set: &TrainingSet, output: &Path) -> PluginResult<()> {
        let _ = (set, output);
        Err(format!("plugin {} has no training", Self::NAME).into())
    }

    /// Loads the trained model, once per run (dry runs too: a task's parameters may name
    /// its model).
    fn load_model(source: ModelSource<'_>) -> PluginResult<Self::Model>;

    /// The task analysing one input file with `model`, its parameters taken from the
    /// input's header cards ([`Input::card_str`], [`Input::card_int`], ...) and, for a
    /// method with a trained model, from the model (its identity belongs in the task id:
    /// another model is other work).
    fn task(model: &Self::Model, input: &Input<'_>) -> PluginResult<Self::Task>;

    /// Analyses one input spectrum: one result row per analysed spectrum row and, for a
    /// file-writing plugin, the images of its astraSource file.
    fn analyse(
        model: &Self::Model,
        task: &Self::Task,
        input: &Input<'_>,
    ) -> PluginResult<Analysis<<Self::Task as AstraTask>::Results>>;
}

/// Registers a plugin type: one line, in the crate defining the plugin.
///
/// Builds its [`PluginDescriptor`] at compile time (the crate name from
/// `CARGO_PKG_NAME`), checks that its name is lower-case ASCII (a compile error
/// otherwise), and submits it through the re-exported `inventory`.
///
/// ```
/// use astra_targets::plugin::{Analysis, Input, ModelSource, Outputs, Plugin, PluginResult};
/// use astra_targets::{AstraResults, AstraTask};
///
/// /// The number of spectra in a file
/// #[derive(Debug, Clone, PartialEq, AstraResults)]
/// pub struct CountResults {
///     /// Number of spectrum rows
///     pub rows: i64,
/// }
///
/// /// Counts spectra.
/// #[derive(Debug, Clone, PartialEq, AstraTask)]
/// #[astra(family = "Count", version = "0.1.0", results = CountResults, table = "count")]
/// pub struct Count {
///     /// Object identifier
///     pub obj: String,
/// }
///
/// pub struct Counter;
///
/// impl Plugin for Counter {
///     type Task = Count;
///     type Model = ();
///     const NAME: &'static str = "counter";
///     const VERSION: &'static str = "0.1.0";
///     const DESCRIPTION: &'static str = "Counts the spectra of each file";
///     const OUTPUTS: Outputs = Outputs::Rows;
///
///     fn task(_: &(), input: &Input<'_>) -> PluginResult<Count> {
///         Ok(Count { obj: input.card_str("OBJID")? })
///     }
///     fn load_model(_: ModelSource<'_>) -> PluginResult<()> {
///         Ok(())
///     }
///     fn analyse(_: &(), _: &Count, input: &Input<'_>) -> PluginResult<Analysis<CountResults>> {
///         Ok(Analysis::rows(vec![CountResults { rows: input.spectrum().shape().0 as i64 }]))
///     }
/// }
///
/// astra_targets::register_plugin!(Counter);
///
/// let found = astra_targets::plugin::find("counter").unwrap();
/// assert_eq!((found.task.family, found.outputs), ("Count", Outputs::Rows));
/// ```
///
/// A name that is not lower-case ASCII does not compile:
///
/// ```compile_fail
/// # use astra_targets::plugin::{Analysis, Input, ModelSource, Outputs, Plugin, PluginResult};
/// # use astra_targets::{AstraResults, AstraTask};
/// # /// The number of spectra in a file
/// # #[derive(Debug, Clone, PartialEq, AstraResults)]
/// # pub struct CountResults {
/// #     /// Number of spectrum rows
/// #     pub rows: i64,
/// # }
/// # /// Counts spectra.
/// # #[derive(Debug, Clone, PartialEq, AstraTask)]
/// # #[astra(family = "Count", version = "0.1.0", results = CountResults, table = "count")]
/// # pub struct Count {
/// #     /// Object identifier
/// #     pub obj: String,
/// # }
/// pub struct Counter;
///
/// impl Plugin for Counter {
///     type Task = Count;
///     type Model = ();
///     const NAME: &'static str = "Counter";
///     // ...
/// #   const VERSION: &'static str = "0.1.0";
/// #   const DESCRIPTION: &'static str = "Counts the spectra of each file";
/// #   const OUTPUTS: Outputs = Outputs::Rows;
/// #   fn task(_: &(), input: &Input<'_>) -> PluginResult<Count> {
/// #       Ok(Count { obj: input.card_str("OBJID")? })
/// #   }
/// #   fn load_model(_: ModelSource<'_>) -> PluginResult<()> {
/// #       Ok(())
/// #   }
/// #   fn analyse(_: &(), _: &Count, input: &Input<'_>) -> PluginResult<Analysis<CountResults>> {
/// #       Ok(Analysis::rows(vec![CountResults { rows: input.spectrum().shape().0 as i64 }]))
/// #   }
/// }
///
/// astra_targets::register_plugin!(Counter);
/// ```
#[macro_export]
macro_rules! register_plugin {
    ($plugin:ty) => {
        const _: () = {
            const DESCRIPTOR: $crate::plugin::PluginDescriptor =
                $crate::plugin::PluginDescriptor::of::<$plugin>(::core::env!("CARGO_PKG_NAME"));
            ::core::assert!(
                $crate::plugin::is_valid_name(<$plugin as $crate::plugin::Plugin>::NAME),
                "a plugin's NAME must be lower-case ASCII letters, digits and `_`, starting with a letter"
            );
            $crate::inventory::submit! { $crate::plugin::PluginRegistration(&DESCRIPTOR) }
        };
    };
}

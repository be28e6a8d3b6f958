//! The error type of astra-targets.

use std::path::PathBuf;

/// Everything that can go wrong in astra-targets, each variant naming the thing and the
/// value at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter value cannot be placed in an output path.
    #[error("parameter `{name}` of task {family}: value {value:?} {reason}")]
    PathValue {
        /// The task family.
        family: &'static str,
        /// The parameter (or built-in) name.
        name: &'static str,
        /// The offending value.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A path does not match a task's path template.
    #[error("path {path:?} does not match the template {template:?} of task {family}: {reason}")]
    PathParse {
        /// The task family.
        family: &'static str,
        /// The template.
        template: &'static str,
        /// The path given.
        path: PathBuf,
        /// What did not match.
        reason: String,
    },
    /// A task was asked for a path but declares no path template.
    #[error("task {0} declares no output path (add #[astra(path = \"...\")])")]
    NoPathTemplate(&'static str),
    /// A parameter is missing, or has a value of the wrong kind, when a task is rebuilt
    /// from named parameters.
    #[error("task {family}: parameter `{name}` {reason}")]
    Parameter {
        /// The task family.
        family: &'static str,
        /// The parameter name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A result value does not fit its column.
    #[error("column `{column}`: {reason}")]
    Column {
        /// The column name.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// No task or plugin of that name is linked into this program.
    #[error("no {kind} named {name:?} is linked into this program (known: {known})")]
    NotRegistered {
        /// `task` or `plugin`.
        kind: &'static str,
        /// The name asked for.
        name: String,
        /// The names that are known.
        known: String,
    },
    /// Two tasks linked into this program declare the same family or the same result
    /// table (each must belong to one task).
    #[error("tasks {first} and {second} both declare the {what} {name:?}: a {what} belongs to one task")]
    RegistryClash {
        /// `family` or `result table`.
        what: &'static str,
        /// The family or table name they share.
        name: String,
        /// The Rust path of one task.
        first: &'static str,
        /// The Rust path of the other.
        second: &'static str,
    },
    /// Two plugins linked into this program share a name, a task family or a result
    /// table (each belongs to one plugin).
    #[error("plugins {first} and {second} both have the {what} {shared:?}: a {what} belongs to one plugin")]
    PluginClash {
        /// `name`, `task family` or `result table`.
        what: &'static str,
        /// The name they share.
        shared: String,
        /// One plugin, with its crate.
        first: String,
        /// The other, with its crate.
        second: String,
    },
    /// A plugin's name is not lower-case ASCII.
    #[error(
        "plugin {name:?} of crate {crate_name}: a plugin name is lower-case ASCII letters, digits and `_`, starting with a letter"
    )]
    PluginName {
        /// The name.
        name: &'static str,
        /// The crate registering it.
        crate_name: &'static str,
    },
    /// No plugin of that name is linked into this program.
    #[error("no plugin named {name:?} is linked into this program (known: {known}){suggestion}")]
    UnknownPlugin {
        /// The name asked for.
        name: String,
        /// The names that are known.
        known: String,
        /// `; did you mean "x"?` when one name is close, else empty.
        suggestion: String,
    },
    /// A plugin's own code failed on an input.
    #[error("plugin {plugin}, {what} {input:?}: {message}")]
    PluginFailed {
        /// The plugin.
        plugin: &'static str,
        /// What it was doing (`building its task`, `analysing`).
        what: &'static str,
        /// The input file.
        input: PathBuf,
        /// The plugin's message.
        message: String,
    },
    /// A plugin's model could not be loaded.
    #[error("plugin {plugin}: loading its model: {message}")]
    PluginModel {
        /// The plugin.
        plugin: &'static str,
        /// The plugin's message.
        message: String,
    },
    /// A plugin returned something that does not fit what it declares (or was handed
    /// another plugin's job).
    #[error("plugin {plugin}: {reason}")]
    PluginMismatch {
        /// The plugin.
        plugin: &'static str,
        /// What does not fit.
        reason: String,
    },
    /// A plugin that the program cannot train was asked to train.
    #[error("plugin {plugin} is not trained by this program (trainable: {trainable})")]
    NotTrainable {
        /// The plugin.
        plugin: &'static str,
        /// The plugins that are, comma-separated (`none` when none is).
        trainable: String,
    },
    /// A plugin's training failed.
    #[error("plugin {plugin}: training: {message}")]
    PluginTraining {
        /// The plugin.
        plugin: &'static str,
        /// The plugin's message.
        message: String,
    },
    /// A label table for training cannot be used.
    #[error("label table {path:?}, line {line}: {reason}")]
    LabelTable {
        /// The table's file.
        path: PathBuf,
        /// The line (1 is the header; 0 when the file itself is at fault).
        line: usize,
        /// What is wrong, naming the column and the value.
        reason: String,
    },
    /// A database operation failed.
    #[cfg(feature = "db")]
    #[error("database: {action}: {source}")]
    Database {
        /// What was being done (`connecting to sqlite://astra.db`, `writing results of ThePayne_1a2b3c4d`, ...).
        action: String,
        /// The underlying driver error.
        source: sqlx::Error,
    },
    /// A database URL is not one this program can use.
    #[error("database URL {url:?}: {reason}")]
    DatabaseUrl {
        /// The URL given.
        url: String,
        /// Why it is refused.
        reason: String,
    },
    /// An existing database schema does not fit the declared result columns.
    #[error("table `{table}`, column `{column}`: {reason}")]
    Schema {
        /// The table name.
        table: String,
        /// The column name.
        column: String,
        /// What does not fit (names the old and the new SQL types).
        reason: String,
    },
    /// A value cannot be stored in the database (for example, text holding a NUL byte).
    #[error("task {task_id}, {what}: value {value:?} {reason}")]
    Value {
        /// The task id the value belongs to.
        task_id: String,
        /// Which value (`column `name` row 3`, `parameter `obj``).
        what: String,
        /// The offending value (abbreviated when long).
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A stored value cannot be read back as the declared column type.
    #[error("table `{table}`, column `{column}`: stored value does not fit: {reason}")]
    Decode {
        /// The table name.
        table: String,
        /// The column name.
        column: String,
        /// What did not fit.
        reason: String,
    },
    /// A database operation was asked of a task that has no such data.
    #[error("task {task_id}: {reason}")]
    Missing {
        /// The task id.
        task_id: String,
        /// What is missing.
        reason: String,
    },
    /// A database cannot be opened or reached (refused, no answer, a missing folder or
    /// file).
    #[error("database {url}: {reason}")]
    Connect {
        /// The URL (its password, if any, replaced by `***`).
        url: String,
        /// What went wrong, naming the host and port, folder or file.
        reason: String,
    },
    /// A write was asked of a database opened read-only.
    #[error("database {url} is opened read-only: cannot {action}")]
    ReadOnly {
        /// The URL (its password, if any, replaced by `***`).
        url: String,
        /// What was asked (`write the results of ThePayne_1a2b3c4d`, ...).
        action: String,
    },
    /// `copy_from` between tasks whose results are stored in different tables.
    #[error(
        "task {task_id}: cannot copy the result of {other_task_id}: its rows are in table `{other_table}`, not `{table}`"
    )]
    TableMismatch {
        /// The task copied to.
        task_id: String,
        /// Its result table.
        table: &'static str,
        /// The task copied from.
        other_task_id: String,
        /// That task's result table.
        other_table: &'static str,
    },
    /// The blocking database API cannot run here (called inside an async runtime, or its
    /// runtime could not be started).
    #[error("blocking database API: {reason}")]
    Blocking {
        /// What went wrong.
        reason: String,
    },
    /// An array handed to the astraSource writer has the wrong shape.
    #[error("{array} has shape {shape:?}, but {expected}")]
    Shape {
        /// The array (`normalized_ivar`, `model_flux`, `bitmask`, `results`, ...).
        array: &'static str,
        /// Its shape.
        shape: Vec<usize>,
        /// What was expected, naming the reference shape (`the flux's shape is [3, 8575]`).
        expected: String,
    },
    /// The pixel mask of a spectrum does not have the integer type of its kind (16-bit for
    /// APOGEE, 32-bit for BOSS).
    #[error("the bitmask of this {kind} spectrum is {found}, but {kind} bitmasks are {expected}")]
    BitmaskType {
        /// The spectrum kind.
        kind: &'static str,
        /// The integer type found.
        found: &'static str,
        /// The integer type required.
        expected: &'static str,
    },
    /// A text value cannot be written as FITS text (printable ASCII only).
    #[error("{what}: value {value:?} is not printable ASCII, which FITS text requires")]
    NonAscii {
        /// Where the value goes (`RESULTS column NAME`, `TASK_PARAMETERS value of obj`, ...).
        what: String,
        /// The value.
        value: String,
    },
    /// A header card cannot be written.
    #[error("header card {key:?}: {reason}")]
    Card {
        /// The card's keyword.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A FITS file does not match the astraSource model (or its checksums are wrong).
    #[error("{path:?} is not a valid astraSource file: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What does not match.
        reason: String,
    },
    /// A datamodel YAML file (`astra docs --diff`) that cannot be read as one.
    #[error("{path:?} is not a datamodel YAML file as `astra docs` writes them: {reason}")]
    DataModel {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An input/output error on a path.
    #[error("{action} {path:?}: {source}")]
    Io {
        /// What was being done (`writing`, `renaming`, ...).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// cfitsio reported an error on a file (or a FITS file's structure cannot be used).
    #[error(
        "{}{}: {action}: cfitsio error {status} ({message})",
        path.as_ref().map_or_else(|| "FITS file in memory".to_string(), |p| format!("{p:?}")),
        hdu.map(|h| format!(", HDU {h}")).unwrap_or_default()
    )]
    Cfitsio {
        /// The file (`None`: a file being assembled in memory).
        path: Option<PathBuf>,
        /// The HDU (0-based) being worked on, when one was.
        hdu: Option<usize>,
        /// What was being done (`opening`, `reading the key CRVAL1`, ...).
        action: String,
        /// cfitsio's status code (0 when the check was this program's own).
        status: i32,
        /// cfitsio's text for that status and its error-message stack.
        message: String,
    },
    /// A spectrum file does not have the layout its reader expects.
    #[error("spectrum file {path:?}, HDU {hdu}: {reason}")]
    SpectrumFile {
        /// The file.
        path: PathBuf,
        /// The HDU (0-based) at fault.
        hdu: usize,
        /// What is wrong (wrong shape, missing column, ...).
        reason: String,
    },
    /// A spectrum cannot be written in the layout asked for.
    #[error("cannot write {path:?} as {layout}: {reason}")]
    SpectrumWrite {
        /// The destination.
        path: PathBuf,
        /// `apStar` or `spec`.
        layout: &'static str,
        /// What does not fit (kind, shapes, mask type).
        reason: String,
    },
    /// A destination exists and the operation was asked not to replace it (an
    /// astraSource written without `overwrite`, a move or copy with `raise_if_exists`).
    #[error("{path:?} already exists and was not replaced (replacing it was not allowed)")]
    AlreadyExists {
        /// The existing path.
        path: PathBuf,
    },
    /// A synthetic spectrum was asked for with an unusable setting.
    #[error("synthetic spectrum: {name} = {value} {reason}")]
    Synthetic {
        /// The label or setting.
        name: &'static str,
        /// Its value.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// An input/output error on a destination that is written through another path (a
    /// temporary file beside it, or the source of a move): the destination is named first.
    #[error("{action} {path:?} (through {through:?}): {source}")]
    IoThrough {
        /// What was being done (`writing`, `renaming into place`, ...).
        action: &'static str,
        /// The destination.
        path: PathBuf,
        /// The temporary file (or moved source) the destination is written through.
        through: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A folder cannot be created because a file (or anything else that is not a folder)
    /// is in the way.
    #[error("creating the folder {wanted:?}: {path:?} is a file, not a folder")]
    NotAFolder {
        /// What is in the way: the folder asked for, or one of its parents.
        path: PathBuf,
        /// The folder that was to be created.
        wanted: PathBuf,
    },
    /// An input/output error raised in a caller's code (`?` on a [`std::io::Error`] in a
    /// closure handed to a file operation) before any path was attached to it; the file
    /// operations that run such closures replace it with [`Error::IoThrough`] naming their
    /// destination where they can.
    #[error("input/output error: {0}")]
    UnattributedIo(#[from] std::io::Error),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The descriptor of a plugin: its identity as plain data and its operations as function
//! pointers, built at compile time from the plugin's type, so that the runner and the
//! program above work on any plugin without being generic.

use std::any::Any;
use std::fmt;
use std::path::{Path, PathBuf};

use super::input::Input;
use super::training::TrainingSet;
use super::{ModelSource, Outputs, Plugin};
use crate::db::blocking::Database;
use crate::db::{StatusCode, TaskRun};
use crate::meta::{Params, TaskMeta};
use crate::path::OutputRoot;
use crate::source::{AstraSource, WriteOptions};
use crate::spectrum::{self, Spectrum};
use crate::task::AstraTask;
use crate::{Error, Result};

/// A plugin's trained model, loaded once per run, of the plugin's own type inside.
pub struct Model {
    plugin: &'static str,
    inner: Box<dyn Any + Send + Sync>,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("plugin", &self.plugin)
            .finish_non_exhaustive()
    }
}

/// One task of a run: an input read, its task built, its paths known; after the analysis
/// it holds the result rows (the spectrum is then dropped). Made by
/// [`PluginDescriptor::prepare`], of the plugin's own type inside.
pub trait Job: Send + 'static {
    /// The task id.
    fn task_id(&self) -> &str;
    /// The input file.
    fn input(&self) -> &Path;
    /// The astraSource file, for a file-writing plugin.
    fn output(&self) -> Option<&Path>;
    /// The job as `Any`, for the plugin's own functions.
    fn as_any(&self) -> &dyn Any;
    /// The job as `Any`, for the plugin's own functions.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// A finished job, to be recorded: its duration in seconds and its status; a failed run
/// carries its error's message.
pub struct JobRun {
    /// The job.
    pub job: Box<dyn Job>,
    /// [`StatusCode::Success`], or the failure's code.
    pub status: StatusCode,
    /// The run's duration in seconds.
    pub duration: f64,
    /// The failure's message (`None` for a success).
    pub message: Option<String>,
}

impl fmt::Debug for JobRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobRun")
            .field("task_id", &self.job.task_id())
            .field("status", &self.status)
            .field("duration", &self.duration)
            .field("message", &self.message)
            .finish()
    }
}

/// How a run writes astraSource files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteSettings {
    /// fsync each file before its rename and its folder after (see
    /// [`WriteOptions::durable`]).
    pub durable: bool,
}

impl Default for WriteSettings {
    /// Durable, as the `astra` program writes.
    fn default() -> Self {
        WriteSettings { durable: true }
    }
}

/// A plugin as the program sees it: identity, output model and operations. Built from
/// the plugin's type by [`PluginDescriptor::of`] (at compile time, in
/// [`register_plugin!`](crate::register_plugin)).
#[derive(Clone, Copy)]
pub struct PluginDescriptor {
    /// The plugin's name (`PLUGIN` card).
    pub name: &'static str,
    /// The plugin's version (`PLUGVER` card).
    pub version: &'static str,
    /// What the method does.
    pub description: &'static str,
    /// The crate that registered it.
    pub crate_name: &'static str,
    /// Its task's metadata (family, parameters, result columns, path rule).
    pub task: &'static TaskMeta,
    /// What it writes.
    pub outputs: Outputs,
    /// The labels its training needs (empty when the program does not train it).
    pub training_labels: &'static [&'static str],
    /// The extension of its model files (`fits`, `npz`, ...), without the dot.
    pub model_extension: &'static str,
    train: fn(&TrainingSet, &Path) -> Result<()>,
    load_model: fn(ModelSource<'_>) -> Result<Model>,
    prepare: fn(&Model, &Path, &OutputRoot) -> Result<Box<dyn Job>>,
    analyse: fn(&Model, &mut dyn Job, WriteSettings) -> Result<()>,
    exists_many: fn(&Database, &[&dyn Job]) -> Result<Vec<bool>>,
    exists_ids: fn(&Database, &[&str]) -> Result<Vec<bool>>,
    failed_many: fn(&Database, &[&dyn Job]) -> Result<Vec<bool>>,
    mark_status: fn(&Database, &[&dyn Job], StatusCode) -> Result<()>,
    record: fn(&Database, &[JobRun]) -> Result<()>,
    verify: fn(&Path, &str) -> Result<()>,
}

impl fmt::Debug for PluginDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginDescriptor")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("crate_name", &self.crate_name)
            .field("task", &self.task.family)
            .field("outputs", &self.outputs)
            .finish()
    }
}

/// The registration of one plugin; [`register_plugin!`](crate::register_plugin) submits one.
#[derive(Debug)]
pub struct PluginRegistration(pub &'static PluginDescriptor);

inventory::collect!(PluginRegistration);

impl PluginDescriptor {
    /// The descriptor of plugin `P`, registered by the crate `crate_name`.
    pub const fn of<P: Plugin>(crate_name: &'static str) -> PluginDescriptor {
        PluginDescriptor {
            name: P::NAME,
            version: P::VERSION,
            description: P::DESCRIPTION,
            crate_name,
            task: <P::Task as AstraTask>::META,
            outputs: P::OUTPUTS,
            training_labels: P::TRAINING_LABELS,
            model_extension: P::MODEL_EXTENSION,
            train: train::<P>,
            load_model: load_model::<P>,
            prepare: prepare::<P>,
            analyse: analyse::<P>,
            exists_many: exists_many::<P>,
            exists_ids: exists_ids::<P>,
            failed_many: failed_many::<P>,
            mark_status: mark_status::<P>,
            record: record::<P>,
            verify: verify::<P>,
        }
    }

    /// Whether the program trains this plugin's model (`astra train`).
    pub fn is_trainable(&self) -> bool {
        !self.training_labels.is_empty()
    }

    /// Reads the label table `table` (with the columns of
    /// [`training_labels`](Self::training_labels)) and its inputs into a training set.
    pub fn training_set(&self, table: &Path) -> Result<TrainingSet> {
        self.refuse_untrainable()?;
        TrainingSet::read(table, self.training_labels)
    }

    /// Trains the plugin's model on `set` and writes it to `output` (atomically).
    /// [`Error::NotTrainable`] for a plugin without training.
    pub fn train(&self, set: &TrainingSet, output: &Path) -> Result<()> {
        self.refuse_untrainable()?;
        (self.train)(set, output)
    }

    fn refuse_untrainable(&self) -> Result<()> {
        if self.is_trainable() {
            return Ok(());
        }
        Err(Error::NotTrainable {
            plugin: self.name,
            trainable: "see `astra plugins`".into(),
        })
    }

    /// Loads the plugin's model (once per run).
    pub fn load_model(&self, source: ModelSource<'_>) -> Result<Model> {
        (self.load_model)(source)
    }

    /// Reads an input file and builds its task with `model`: the job to run.
    pub fn prepare(&self, model: &Model, input: &Path, root: &OutputRoot) -> Result<Box<dyn Job>> {
        (self.prepare)(model, input, root)
    }

    /// Analyses a job's input and, for a file-writing plugin, writes its astraSource file
    /// (atomically, `PLUGIN`/`PLUGVER` from this registration); the job keeps the result
    /// rows for [`record`](Self::record). A job of another plugin is refused.
    pub fn analyse(&self, model: &Model, job: &mut dyn Job, settings: WriteSettings) -> Result<()> {
        (self.analyse)(model, job, settings)
    }

    /// Which jobs' tasks have a result in the database, in one query.
    pub fn exists_many(&self, db: &Database, jobs: &[&dyn Job]) -> Result<Vec<bool>> {
        (self.exists_many)(db, jobs)
    }

    /// Which of the task ids (of this plugin's task) have a result, in one query.
    pub fn exists_ids(&self, db: &Database, task_ids: &[&str]) -> Result<Vec<bool>> {
        (self.exists_ids)(db, task_ids)
    }

    /// Which jobs' tasks have no result and a last run that failed, in one query.
    pub fn failed_many(&self, db: &Database, jobs: &[&dyn Job]) -> Result<Vec<bool>> {
        (self.failed_many)(db, jobs)
    }

    /// Sets the status code of the jobs' tasks (the runner marks them
    /// [`StatusCode::Running`] before they run), in one transaction.
    pub fn mark_status(&self, db: &Database, jobs: &[&dyn Job], status: StatusCode) -> Result<()> {
        (self.mark_status)(db, jobs, status)
    }

    /// Records finished jobs in one transaction: the rows of the successful ones, and
    /// the status, duration and message of each.
    pub fn record(&self, db: &Database, runs: &[JobRun]) -> Result<()> {
        (self.record)(db, runs)
    }

    /// Checks an astraSource file written by this plugin whose `TASK_ID` card says
    /// `task_id`: its task is rebuilt from its `TASK_PARAMETERS` table (and must have
    /// that id), then its layout, columns and checksums are checked.
    pub fn verify(&self, path: &Path, task_id: &str) -> Result<()> {
        (self.verify)(path, task_id)
    }
}

/// The job of plugin `P`.
struct TaskJob<P: Plugin> {
    input: PathBuf,
    spectrum: Option<Spectrum>,
    task: P::Task,
    task_id: String,
    output: Option<PathBuf>,
    rows: Option<Vec<<P::Task as AstraTask>::Results>>,
}

impl<P: Plugin> Job for TaskJob<P> {
    fn task_id(&self) -> &str {
        &self.task_id
    }
    fn input(&self) -> &Path {
        &self.input
    }
    fn output(&self) -> Option<&Path> {
        self.output.as_deref()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// A plugin's own error, with the plugin and what it was doing.
fn plugin_error<P: Plugin>(input: &Path, what: &'static str, e: super::BoxError) -> Error {
    Error::PluginFailed {
        plugin: P::NAME,
        what,
        input: input.to_path_buf(),
        message: e.to_string(),
    }
}

fn wrong_job<P: Plugin>() -> Error {
    Error::PluginMismatch {
        plugin: P::NAME,
        reason: "was handed a job or model made by another plugin".into(),
    }
}

fn train<P: Plugin>(set: &TrainingSet, output: &Path) -> Result<()> {
    let missing = P::TRAINING_LABELS
        .iter()
        .find(|l| !set.label_names().iter().any(|n| n == *l));
    if let Some(label) = missing {
        return Err(Error::PluginTraining {
            plugin: P::NAME,
            message: format!("the training set has no label {label:?}"),
        });
    }
    P::train(set, output).map_err(|e| Error::PluginTraining {
        plugin: P::NAME,
        message: e.to_string(),
    })
}

fn load_model<P: Plugin>(source: ModelSource<'_>) -> Result<Model> {
    let model = P::load_model(source).map_err(|e| Error::PluginModel {
        plugin: P::NAME,
        message: e.to_string(),
    })?;
    Ok(Model {
        plugin: P::NAME,
        inner: Box::new(model),
    })
}

fn prepare<P: Plugin>(model: &Model, input: &Path, root: &OutputRoot) -> Result<Box<dyn Job>> {
    let model = model.inner.downcast_ref::<P::Model>().ok_or_else(wrong_job::<P>)?;
    let spectrum = spectrum::read(input)?;
    let task =
        P::task(model, &Input::new(input, &spectrum)).map_err(|e| plugin_error::<P>(input, "building its task", e))?;
    let task_id = task.task_id();
    let output = if P::OUTPUTS.writes_file() {
        Some(task.output_path(root)?)
    } else {
        None
    };
    Ok(Box::new(TaskJob::<P> {
        input: input.to_path_buf(),
        spectrum: Some(spectrum),
        task,
        task_id,
        output,
        rows: None,
    }))
}

fn analyse<P: Plugin>(model: &Model, job: &mut dyn Job, settings: WriteSettings) -> Result<()> {
    let model = model.inner.downcast_ref::<P::Model>().ok_or_else(wrong_job::<P>)?;
    let job = job
        .as_any_mut()
        .downcast_mut::<TaskJob<P>>()
        .ok_or_else(wrong_job::<P>)?;
    let spectrum = job.spectrum.take().ok_or_else(|| Error::PluginMismatch {
        plugin: P::NAME,
        reason: format!("job {} was analysed twice", job.task_id),
    })?;
    let input = Input::new(&job.input, &spectrum);
    let analysis = P::analyse(model, &job.task, &input).map_err(|e| plugin_error::<P>(&job.input, "analysing", e))?;
    analysis.check(P::OUTPUTS).map_err(|reason| Error::PluginMismatch {
        plugin: P::NAME,
        reason,
    })?;
    let (rows, images) = analysis.into_parts();
    if let (Some(path), Some(images)) = (&job.output, images) {
        let options = WriteOptions::default()
            .durable(settings.durable)
            .plugin(P::NAME, P::VERSION);
        AstraSource::at(&job.task, path).write_images(&spectrum, images.as_source_images(), &rows, &options)?;
    }
    job.rows = Some(rows);
    Ok(())
}

fn exists_many<P: Plugin>(db: &Database, jobs: &[&dyn Job]) -> Result<Vec<bool>> {
    let ids: Vec<&str> = jobs.iter().map(|j| j.task_id()).collect();
    db.exists_many::<P::Task>(&ids)
}

fn exists_ids<P: Plugin>(db: &Database, task_ids: &[&str]) -> Result<Vec<bool>> {
    db.exists_many::<P::Task>(task_ids)
}

fn failed_many<P: Plugin>(db: &Database, jobs: &[&dyn Job]) -> Result<Vec<bool>> {
    let ids: Vec<&str> = jobs.iter().map(|j| j.task_id()).collect();
    db.failed_many::<P::Task>(&ids)
}

fn mark_status<P: Plugin>(db: &Database, jobs: &[&dyn Job], status: StatusCode) -> Result<()> {
    let tasks = jobs
        .iter()
        .map(|j| {
            j.as_any()
                .downcast_ref::<TaskJob<P>>()
                .map(|j| &j.task)
                .ok_or_else(wrong_job::<P>)
        })
        .collect::<Result<Vec<_>>>()?;
    db.mark_status(&tasks, status)
}

fn record<P: Plugin>(db: &Database, runs: &[JobRun]) -> Result<()> {
    let mut records = Vec::with_capacity(runs.len());
    for run in runs {
        let job = run
            .job
            .as_any()
            .downcast_ref::<TaskJob<P>>()
            .ok_or_else(wrong_job::<P>)?;
        let record = match (&run.message, &job.rows) {
            (None, Some(rows)) => TaskRun::succeeded(&job.task, rows, run.duration),
            (message, _) => TaskRun::failed(
                &job.task,
                if !run.status.is_failure() {
                    StatusCode::ProcessFailure
                } else {
                    run.status
                },
                run.duration,
                message.as_deref().unwrap_or("the task ended without result rows"),
            ),
        };
        records.push(record);
    }
    db.record_runs(&records)
}

fn verify<P: Plugin>(path: &Path, task_id: &str) -> Result<()> {
    let meta = <P::Task as AstraTask>::META;
    // The table also lists the astra_version_* values, which are no parameters of the
    // task (they are in its id, checked below).
    let mut named = super::provenance::task_parameters(path)?;
    named.retain(|name, _| meta.parameter(name).is_some());
    let params = Params::parse(meta, &named).map_err(|e| Error::Invalid {
        path: path.to_path_buf(),
        reason: format!("its TASK_PARAMETERS do not make a {} task: {e}", P::NAME),
    })?;
    let task = <P::Task as AstraTask>::from_parameters(&params.to_named())?;
    let rebuilt = task.task_id();
    if rebuilt != task_id {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            reason: format!("its TASK_PARAMETERS make the task {rebuilt}, but its TASK_ID card says {task_id}"),
        });
    }
    AstraSource::at(&task, path).verify()
}

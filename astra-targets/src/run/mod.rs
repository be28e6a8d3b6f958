//! The runner: runs a plugin over input files, skipping finished work.
//!
//! A task is complete when its result row is committed and, for a file-writing plugin,
//! its astraSource file is there and whole ([`looks_complete`]). Completeness is decided
//! in bulk: inputs are read in chunks, and each chunk's tasks are checked with one
//! database query ([`PluginDescriptor::exists_many`]) and one `stat` per file.
//!
//! Work runs on [`Runner::workers`] threads. Each task's file is written (atomically)
//! before its row is committed, and rows are committed in batches (every
//! [`BATCH_TASKS`] tasks or [`BATCH_INTERVAL`], whichever comes first) with the status,
//! duration and failure message of every task in the batch, so per-task commits do not
//! cap throughput. A task whose file was written but whose row was not committed (the
//! process was killed between the two) is not complete: the next run redoes it,
//! replacing the file (and removing the temporary files that a killed writer left, from
//! each folder the first time the run writes there). So a killed run loses at most the
//! tasks in flight and in the uncommitted batch, and a committed row never points at a
//! missing file.
//!
//! A failing task (an error of the plugin, or a panic in it) is recorded with its
//! message and does not stop the others. Setting the stop flag
//! ([`Runner::stop_flag`], which the `astra` program sets on SIGINT) stops taking new
//! tasks: tasks in flight finish, the batch is committed, and the report says the run
//! was interrupted; running again resumes.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod check;

use check::{check_threads, output_complete, par_map, stamp};

use crate::Result;
use crate::db::InputMemo;
use crate::db::StatusCode;
use crate::db::blocking::Database;
use crate::fs::clean_temporaries;
use crate::path::OutputRoot;
use crate::plugin::{Job, JobRun, Model, ModelSource, PluginDescriptor, WriteSettings};
use crate::source::looks_complete;

/// The most tasks committed in one transaction.
pub const BATCH_TASKS: usize = 64;
/// The longest a finished task waits for its batch to be committed.
pub const BATCH_INTERVAL: Duration = Duration::from_millis(500);
/// Inputs read and checked together.
const CHUNK: usize = 256;
/// Inputs whose tasks the memo is asked for together.
const BLOCK: usize = 8192;

/// Why a task is to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pending {
    /// The task has no committed result.
    NoResult,
    /// The task has a result row but its astraSource file is missing or incomplete.
    FileMissing,
}

/// A task found by a plan.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PlannedTask {
    /// The input file.
    pub input: PathBuf,
    /// The task id.
    pub task_id: String,
    /// The astraSource file, for a file-writing plugin.
    pub output: Option<PathBuf>,
    /// Why it is to run; `None` when it is complete.
    pub pending: Option<Pending>,
}

/// An input that could not be made into a task (unreadable, or a header the plugin
/// cannot use), with the error's message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BadInput {
    /// The input file.
    pub input: PathBuf,
    /// What went wrong.
    pub message: String,
}

/// What a run would do: the complete tasks, those to run, and the inputs that cannot be
/// used.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Plan {
    /// Complete tasks.
    pub done: Vec<PlannedTask>,
    /// Tasks to run, within the limit.
    pub to_run: Vec<PlannedTask>,
    /// Tasks to run beyond the limit.
    pub beyond_limit: usize,
    /// Tasks whose last run failed, not retried ([`Runner::retry_failed`] off).
    pub failed_before: usize,
    /// Inputs naming a task already seen in this run (the same file given twice).
    pub duplicates: usize,
    /// Inputs that cannot be made into tasks.
    pub bad_inputs: Vec<BadInput>,
}

/// A task that failed in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailedRun {
    /// The input file.
    pub input: PathBuf,
    /// The task id.
    pub task_id: String,
    /// The error's message (also recorded in the database).
    pub message: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RunReport {
    /// Inputs given.
    pub inputs: usize,
    /// Tasks found complete and skipped.
    pub already_done: usize,
    /// Tasks run and committed successfully.
    pub succeeded: usize,
    /// Tasks that failed (recorded with their messages).
    pub failed: Vec<FailedRun>,
    /// Inputs that cannot be made into tasks (not recorded: they have no task).
    pub bad_inputs: Vec<BadInput>,
    /// Tasks not started because of the limit.
    pub beyond_limit: usize,
    /// Tasks whose last run failed, not retried ([`Runner::retry_failed`] off).
    pub failed_before: usize,
    /// Inputs naming a task already seen in this run.
    pub duplicates: usize,
    /// Whether the run was stopped before the end (the stop flag was set).
    pub interrupted: bool,
    /// The run's wall-clock time.
    pub elapsed: Duration,
}

/// Follows a run's progress (the `astra` program draws a progress bar from it).
pub trait Observer: Sync {
    /// The run starts, over `inputs` inputs.
    fn started(&self, inputs: usize) {
        let _ = inputs;
    }
    /// `n` inputs were found complete, duplicated, unusable or beyond the limit: they
    /// will not run.
    fn skipped(&self, n: usize) {
        let _ = n;
    }
    /// A task finished (`ok`: successfully) and was committed.
    fn finished(&self, ok: bool) {
        let _ = ok;
    }
}

/// An observer that does nothing.
struct Quiet;
impl Observer for Quiet {}

/// Runs one plugin over input files: built with [`Runner::new`] and its setters, then
/// [`plan`](Runner::plan) (what would run) or [`run`](Runner::run).
pub struct Runner<'a> {
    plugin: &'static PluginDescriptor,
    db: &'a Database,
    root: OutputRoot,
    workers: usize,
    limit: Option<usize>,
    model: Option<PathBuf>,
    settings: WriteSettings,
    retry_failed: bool,
    stop: Arc<AtomicBool>,
    observer: &'a dyn Observer,
}

impl std::fmt::Debug for Runner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("plugin", &self.plugin.name)
            .field("root", &self.root)
            .field("workers", &self.workers)
            .field("limit", &self.limit)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// A job run on a worker, with the memo entry to record once its row is committed.
struct Finished {
    run: JobRun,
    memo: Option<InputMemo>,
}

/// A prepared job (or why it could not be), with its input's position.
type Prepared = (usize, Result<Box<dyn Job>>);

/// A chunk's tasks, classified.
#[derive(Default)]
struct Classified {
    /// Tasks to run, with their inputs' stamps.
    pending: Vec<(Box<dyn Job>, Pending, Option<String>)>,
    done: Vec<(usize, PlannedTask)>,
    failed_before: usize,
}

/// What the memo tells of a block of inputs.
#[derive(Default)]
struct Known {
    /// Complete tasks, with their inputs' positions in the block.
    done: Vec<(usize, PlannedTask)>,
    /// The inputs to read: positions in the block, with their stamps.
    to_read: Vec<(usize, Option<String>)>,
    /// Inputs naming a task already seen.
    duplicates: usize,
}

impl<'a> Runner<'a> {
    /// A runner of `plugin` writing to `db` and under `root`: one worker, no limit, no
    /// model file, durable files.
    pub fn new(plugin: &'static PluginDescriptor, db: &'a Database, root: OutputRoot) -> Self {
        Runner {
            plugin,
            db,
            root,
            workers: 1,
            limit: None,
            model: None,
            settings: WriteSettings::default(),
            retry_failed: true,
            stop: Arc::new(AtomicBool::new(false)),
            observer: &Quiet,
        }
    }

    /// Runs tasks on `n` threads (at least one).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// Runs at most `n` tasks (complete ones are not counted).
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// Loads the plugin's model from `path`.
    pub fn model(mut self, path: impl Into<PathBuf>) -> Self {
        self.model = Some(path.into());
        self
    }

    /// Whether files are fsync'd before their rename (default: yes).
    pub fn durable(mut self, durable: bool) -> Self {
        self.settings.durable = durable;
        self
    }

    /// Whether tasks whose last run failed are run again (default: yes).
    pub fn retry_failed(mut self, retry: bool) -> Self {
        self.retry_failed = retry;
        self
    }

    /// A flag that stops the run when set: no new task starts, tasks in flight finish and
    /// are committed.
    pub fn stop_flag(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = stop;
        self
    }

    /// Follows the run's progress.
    pub fn observer(mut self, observer: &'a dyn Observer) -> Self {
        self.observer = observer;
        self
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// What, besides an input's content, its task depends on: the plugin's version, the
    /// model file (its path and stamp) and the output root. The input memo is kept per
    /// context.
    fn context(&self) -> String {
        let model = match &self.model {
            Some(p) => format!("{}@{}", p.display(), stamp(p).unwrap_or_default()),
            None => "-".into(),
        };
        format!("{}|{model}|{}", self.plugin.version, self.root.path().display())
    }

    fn load_model(&self) -> Result<Model> {
        let source = match &self.model {
            Some(p) => ModelSource::File(p),
            None => ModelSource::None,
        };
        self.plugin.load_model(source)
    }

    /// What a run would do, changing nothing (the model is loaded: tasks may depend on
    /// it).
    pub fn plan(&self, inputs: &[PathBuf]) -> Result<Plan> {
        let model = self.load_model()?;
        let context = self.context();
        let mut plan = Plan::default();
        let mut seen = HashSet::new();
        let mut budget = self.limit.unwrap_or(usize::MAX);
        for block in inputs.chunks(BLOCK) {
            let known = self.known(&context, block, &mut seen)?;
            plan.duplicates += known.duplicates;
            let mut done = known.done;
            for chunk in known.to_read.chunks(CHUNK) {
                let (classified, bad, duplicates) = self.classify(&model, &context, false, block, chunk, &mut seen)?;
                plan.bad_inputs.extend(bad);
                plan.duplicates += duplicates;
                plan.failed_before += classified.failed_before;
                done.extend(classified.done);
                for (job, why, _) in &classified.pending {
                    if budget == 0 {
                        plan.beyond_limit += 1;
                    } else {
                        budget -= 1;
                        plan.to_run.push(planned(job.as_ref(), Some(*why)));
                    }
                }
            }
            done.sort_by_key(|(i, _)| *i);
            plan.done.extend(done.into_iter().map(|(_, t)| t));
        }
        Ok(plan)
    }

    /// Runs the plugin over `inputs`: complete tasks are skipped, the others run on the
    /// workers and are committed in batches. An error here (the model cannot be loaded,
    /// the database refuses a batch) ends the run; a task's own failure does not.
    pub fn run(&self, inputs: &[PathBuf]) -> Result<RunReport> {
        let start = Instant::now();
        let model = self.load_model()?;
        let context = self.context();
        let mut report = RunReport {
            inputs: inputs.len(),
            ..RunReport::default()
        };
        self.observer.started(inputs.len());
        let cleaned = Mutex::new(HashSet::new());
        let mut seen = HashSet::new();
        let mut budget = self.limit.unwrap_or(usize::MAX);
        'blocks: for block in inputs.chunks(BLOCK) {
            let known = self.known(&context, block, &mut seen)?;
            report.already_done += known.done.len();
            report.duplicates += known.duplicates;
            self.observer.skipped(known.done.len() + known.duplicates);
            for chunk in known.to_read.chunks(CHUNK) {
                if self.stopped() {
                    report.interrupted = true;
                    break 'blocks;
                }
                let (classified, bad, duplicates) = self.classify(&model, &context, true, block, chunk, &mut seen)?;
                report.already_done += classified.done.len();
                report.duplicates += duplicates;
                report.failed_before += classified.failed_before;
                let mut skipped = classified.done.len() + duplicates + bad.len() + classified.failed_before;
                report.bad_inputs.extend(bad);
                let mut jobs = Vec::new();
                for (job, _, input_stamp) in classified.pending {
                    if budget == 0 {
                        report.beyond_limit += 1;
                        skipped += 1;
                    } else {
                        budget -= 1;
                        jobs.push((job, input_stamp));
                    }
                }
                self.observer.skipped(skipped);
                self.analyse_all(&model, &context, jobs, &cleaned, &mut report)?;
            }
        }
        if self.stopped() {
            report.interrupted = true;
        }
        report.elapsed = start.elapsed();
        Ok(report)
    }

    /// The inputs of a block that the memo knows (same plugin version, model and output
    /// root; the file unchanged since it was read) and whose tasks are complete: those
    /// need not be read. One query for the memo and one for the result rows per block,
    /// one `stat` per input and per file. Returns the complete tasks (with their
    /// positions in the block), the positions of the inputs to read with their stamps,
    /// and the number of duplicates.
    fn known(&self, context: &str, block: &[PathBuf], seen: &mut HashSet<String>) -> Result<Known> {
        let threads = check_threads().max(self.workers);
        // The file system and the database answer at once: the inputs' stamps while the
        // memo is read, the files' checks while the result rows are asked for.
        let paths: Vec<Option<&str>> = block.iter().map(|p| p.to_str()).collect();
        let asked: Vec<&str> = paths.iter().flatten().copied().collect();
        let (stamps, memos) = std::thread::scope(|s| {
            let stamps = s.spawn(|| {
                par_map(&paths, threads, |path| {
                    let path = (*path)?;
                    Some((path, stamp(Path::new(path))?))
                })
            });
            let memos = self.db.input_memos(self.plugin.name, context, &asked);
            (joined(stamps), memos)
        });
        let mut memos = memos?.into_iter();
        let mut candidates: Vec<(usize, InputMemo)> = Vec::new();
        for (i, (path, entry)) in paths.iter().zip(&stamps).enumerate() {
            if path.is_none() {
                continue;
            }
            let memo = memos.next().flatten();
            if let (Some((_, stamp)), Some(memo)) = (entry, memo)
                && memo.stamp == *stamp
            {
                candidates.push((i, memo));
            }
        }
        let ids: Vec<&str> = candidates.iter().map(|(_, m)| m.task_id.as_str()).collect();
        let (whole, has_row) = std::thread::scope(|s| {
            let whole = s.spawn(|| par_map(&candidates, threads, |(_, memo)| output_complete(memo)));
            let has_row = self.plugin.exists_ids(self.db, &ids);
            (joined(whole), has_row)
        });
        let with_row: Vec<((usize, InputMemo), bool)> = candidates
            .into_iter()
            .zip(whole)
            .zip(has_row?)
            .filter_map(|(candidate, has_row)| has_row.then_some(candidate))
            .collect();
        let mut read = vec![true; block.len()];
        let mut known = Known::default();
        for ((i, memo), whole) in with_row {
            let output = (!memo.output.is_empty()).then(|| PathBuf::from(&memo.output));
            if whole {
                read[i] = false;
                if seen.insert(memo.task_id.clone()) {
                    let input = block[i].clone();
                    let task_id = memo.task_id;
                    known.done.push((
                        i,
                        PlannedTask {
                            input,
                            task_id,
                            output,
                            pending: None,
                        },
                    ));
                } else {
                    known.duplicates += 1;
                }
            }
        }
        known.to_read = stamps
            .into_iter()
            .enumerate()
            .filter(|(i, _)| read[*i])
            .map(|(i, s)| (i, s.map(|(_, stamp)| stamp)))
            .collect();
        Ok(known)
    }

    /// Reads a chunk of inputs (`(position, stamp)` in `block`) into jobs, on the
    /// workers; records them in the memo when `remember` (a run; a plan changes
    /// nothing); drops duplicates; and sorts them into complete tasks (with their
    /// positions), tasks to run and unusable inputs. One or two queries and one `stat`
    /// per file.
    fn classify(
        &self,
        model: &Model,
        context: &str,
        remember: bool,
        block: &[PathBuf],
        chunk: &[(usize, Option<String>)],
        seen: &mut HashSet<String>,
    ) -> Result<(Classified, Vec<BadInput>, usize)> {
        let mut duplicates = 0;
        let paths: Vec<PathBuf> = chunk.iter().map(|(i, _)| block[*i].clone()).collect();
        let prepared = self.parallel_prepare(model, &paths);
        let mut bad = Vec::new();
        let mut jobs = Vec::with_capacity(prepared.len());
        let mut remembered: Vec<(&str, InputMemo)> = Vec::new();
        for ((i, stamp), result) in chunk.iter().zip(prepared) {
            match result {
                Ok(job) => {
                    if let (Some(stamp), Some(path)) = (stamp, block[*i].to_str()) {
                        let output = job.output().and_then(Path::to_str).unwrap_or_default();
                        remembered.push((path, InputMemo::new(stamp.clone(), job.task_id(), output)));
                    }
                    if seen.insert(job.task_id().to_string()) {
                        jobs.push((*i, job, stamp.clone()));
                    } else {
                        duplicates += 1;
                    }
                }
                Err(e) => bad.push(BadInput {
                    input: block[*i].clone(),
                    message: e.to_string(),
                }),
            }
        }
        if remember && !self.db.is_read_only() {
            self.db.put_input_memos(self.plugin.name, context, &remembered)?;
        }
        let refs: Vec<&dyn Job> = jobs.iter().map(|(_, j, _)| j.as_ref()).collect();
        let rows = self.plugin.exists_many(self.db, &refs)?;
        let failed = if self.retry_failed {
            vec![false; jobs.len()]
        } else {
            self.plugin.failed_many(self.db, &refs)?
        };
        let mut classified = Classified::default();
        for (((i, job, input_stamp), has_row), failed) in jobs.into_iter().zip(rows).zip(failed) {
            if failed {
                classified.failed_before += 1;
                continue;
            }
            let file_ok = job.output().is_none_or(looks_complete);
            match (has_row, file_ok) {
                (true, true) => classified.done.push((i, planned(job.as_ref(), None))),
                (true, false) => classified.pending.push((job, Pending::FileMissing, input_stamp)),
                (false, _) => classified.pending.push((job, Pending::NoResult, input_stamp)),
            }
        }
        Ok((classified, bad, duplicates))
    }

    /// Prepares the jobs of `inputs` on the workers, in input order.
    fn parallel_prepare(&self, model: &Model, inputs: &[PathBuf]) -> Vec<Result<Box<dyn Job>>> {
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Prepared>> = Mutex::new(Vec::with_capacity(inputs.len()));
        std::thread::scope(|s| {
            for _ in 0..self.workers.min(inputs.len()) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(input) = inputs.get(i) else { break };
                        let r = catch_unwind(AssertUnwindSafe(|| self.plugin.prepare(model, input, &self.root)))
                            .unwrap_or_else(|panic| {
                                Err(crate::Error::PluginMismatch {
                                    plugin: self.plugin.name,
                                    reason: format!("panicked reading {input:?}: {}", panic_message(&panic)),
                                })
                            });
                        results.lock().unwrap_or_else(|e| e.into_inner()).push((i, r));
                    }
                });
            }
        });
        let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect()
    }

    /// Analyses the jobs on the workers and commits them in batches from this thread.
    /// `cleaned` holds the output folders already rid of temporary files in this run.
    fn analyse_all(
        &self,
        model: &Model,
        context: &str,
        jobs: Vec<(Box<dyn Job>, Option<String>)>,
        cleaned: &Mutex<HashSet<PathBuf>>,
        report: &mut RunReport,
    ) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let refs: Vec<&dyn Job> = jobs.iter().map(|(j, _)| j.as_ref()).collect();
        self.plugin.mark_status(self.db, &refs, StatusCode::Running)?;
        let queue = Mutex::new(jobs.into_iter());
        let (sender, receiver) = mpsc::channel::<Finished>();
        let abort = AtomicBool::new(false);
        std::thread::scope(|s| {
            for _ in 0..self.workers {
                let sender = sender.clone();
                let (queue, abort) = (&queue, &abort);
                s.spawn(move || {
                    loop {
                        if self.stopped() || abort.load(Ordering::SeqCst) {
                            break;
                        }
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some((mut job, input_stamp)) = next else { break };
                        if let Some(folder) = job.output().and_then(Path::parent) {
                            // Temporary files left there by a killed writer, once per
                            // folder and run: later temporaries are this process's own
                            // (best effort: a folder that cannot be cleaned does not stop
                            // the task).
                            let first = cleaned
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .insert(folder.to_path_buf());
                            if first {
                                let _ = clean_temporaries(folder);
                            }
                        }
                        let started = Instant::now();
                        let outcome = catch_unwind(AssertUnwindSafe(|| {
                            self.plugin.analyse(model, job.as_mut(), self.settings)
                        }));
                        let (status, message) = match outcome {
                            Ok(Ok(())) => (StatusCode::Success, None),
                            Ok(Err(e)) => (StatusCode::ProcessFailure, Some(e.to_string())),
                            Err(panic) => (
                                StatusCode::Broken,
                                Some(format!("the analysis panicked: {}", panic_message(&panic))),
                            ),
                        };
                        // The memo entry of a file-writing task that succeeded, with
                        // its file's stamp, recorded once its row is committed.
                        let memo = match (&status, input_stamp, job.output()) {
                            (StatusCode::Success, Some(input_stamp), Some(output)) => {
                                stamp(output).zip(output.to_str()).map(|(output_stamp, output)| {
                                    InputMemo::new(input_stamp, job.task_id(), output).with_output_stamp(output_stamp)
                                })
                            }
                            _ => None,
                        };
                        let run = Finished {
                            run: JobRun {
                                job,
                                status,
                                duration: started.elapsed().as_secs_f64(),
                                message: message.map(|m| m.replace('\0', " ")),
                            },
                            memo,
                        };
                        if sender.send(run).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            let result = self.commit_loop(context, &receiver, report);
            if result.is_err() {
                abort.store(true, Ordering::SeqCst);
                // Let the workers end: drain what they still send.
                for _ in receiver.iter() {}
            }
            result
        })?;
        // Tasks an interrupted run did not start were never running.
        let left: Vec<Box<dyn Job>> = queue
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .map(|(job, _)| job)
            .collect();
        if !left.is_empty() {
            let refs: Vec<&dyn Job> = left.iter().map(|j| j.as_ref()).collect();
            self.plugin.mark_status(self.db, &refs, StatusCode::Created)?;
        }
        Ok(())
    }

    /// Receives finished jobs and commits them every [`BATCH_TASKS`] tasks or
    /// [`BATCH_INTERVAL`].
    fn commit_loop(&self, context: &str, receiver: &mpsc::Receiver<Finished>, report: &mut RunReport) -> Result<()> {
        let mut batch: Vec<Finished> = Vec::with_capacity(BATCH_TASKS);
        let mut oldest: Option<Instant> = None;
        loop {
            let wait = oldest.map_or(BATCH_INTERVAL, |t| BATCH_INTERVAL.saturating_sub(t.elapsed()));
            match receiver.recv_timeout(wait) {
                Ok(run) => {
                    oldest.get_or_insert_with(Instant::now);
                    batch.push(run);
                    if batch.len() >= BATCH_TASKS {
                        self.commit(context, &mut batch, report)?;
                        oldest = None;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if !batch.is_empty() {
                        self.commit(context, &mut batch, report)?;
                    }
                    oldest = None;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    if !batch.is_empty() {
                        self.commit(context, &mut batch, report)?;
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Commits a batch: the rows, status codes and durations, then the memo entries of
    /// the files written (with their stamps).
    fn commit(&self, context: &str, batch: &mut Vec<Finished>, report: &mut RunReport) -> Result<()> {
        let (runs, memos): (Vec<JobRun>, Vec<Option<InputMemo>>) = batch.drain(..).map(|f| (f.run, f.memo)).unzip();
        self.plugin.record(self.db, &runs)?;
        let inputs: Vec<Option<&str>> = runs.iter().map(|r| r.job.input().to_str()).collect();
        let entries: Vec<(&str, InputMemo)> = inputs
            .into_iter()
            .zip(memos)
            .filter_map(|(input, memo)| Some((input?, memo?)))
            .collect();
        if !entries.is_empty() {
            self.db.put_input_memos(self.plugin.name, context, &entries)?;
        }
        for run in runs {
            let ok = run.message.is_none();
            if ok {
                report.succeeded += 1;
            } else {
                report.failed.push(FailedRun {
                    input: run.job.input().to_path_buf(),
                    task_id: run.job.task_id().to_string(),
                    message: run.message.unwrap_or_default(),
                });
            }
            self.observer.finished(ok);
        }
        Ok(())
    }
}

fn planned(job: &dyn Job, pending: Option<Pending>) -> PlannedTask {
    PlannedTask {
        input: job.input().to_path_buf(),
        task_id: job.task_id().to_string(),
        output: job.output().map(Path::to_path_buf),
        pending,
    }
}

/// The result of a scoped thread, its panic passed on.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

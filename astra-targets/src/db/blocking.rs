//! The database API for code that is not async, as `reqwest::blocking` offers: the same
//! operations as [`db::Database`](super::Database) and
//! [`db::DatabaseTarget`](super::DatabaseTarget), each running to completion on a small
//! current-thread tokio runtime that the [`Database`] owns.
//!
//! ```no_run
//! use astra_targets::db::blocking::Database;
//! # fn f<T: astra_targets::AstraTask>(task: &T, rows: &[T::Results]) -> astra_targets::Result<()>
//! # where T::Results: Sync {
//! let db = Database::connect("sqlite://astra.db")?;
//! let target = db.target(task);
//! if !target.exists()? {
//!     target.write(rows)?;
//! }
//! let query = target.query().columns(["teff"]).build()?;
//! println!("{query}\n{:?}", query.fetch()?);
//! # Ok(()) }
//! ```
//!
//! Use it outside any async runtime: called inside one (where blocking would stall the
//! runtime's thread) every operation fails with [`Error::Blocking`]; use the async API
//! there.

use std::fmt;
use std::future::Future;

use tokio::runtime::Runtime;

use super::options::ConnectOptions;
use super::query::QueryRow;
use super::status::StatusCode;
use super::{DEFAULT_URL, query};
use crate::column::{ColumnMeta, SqlDialect};
use crate::task::AstraTask;
use crate::{Error, Result};

/// A database (SQLite or PostgreSQL) with a runtime of its own: the blocking form of
/// [`db::Database`](super::Database).
pub struct Database {
    db: super::Database,
    /// Always present; taken only when the database is dropped.
    runtime: Option<Runtime>,
}

/// Refuses to block inside an async runtime.
fn outside_runtime() -> Result<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::Blocking {
            reason: "called inside an async runtime, whose thread it would block; \
                     use astra_targets::db::Database there"
                .into(),
        });
    }
    Ok(())
}

impl Database {
    /// Opens the database at `url` with the default options: see
    /// [`db::Database::connect`](super::Database::connect).
    pub fn connect(url: &str) -> Result<Database> {
        Database::connect_with(ConnectOptions::new(url))
    }

    /// Opens the database with options made by
    /// [`db::Database::options`](super::Database::options).
    pub fn connect_with(options: ConnectOptions) -> Result<Database> {
        outside_runtime()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Blocking {
                reason: format!("starting its runtime: {e}"),
            })?;
        let db = runtime.block_on(options.connect())?;
        Ok(Database {
            db,
            runtime: Some(runtime),
        })
    }

    /// Opens the default database, [`DEFAULT_URL`].
    pub fn connect_default() -> Result<Database> {
        Database::connect(DEFAULT_URL)
    }

    /// Runs a future of the async API to completion.
    fn run<R>(&self, f: impl Future<Output = Result<R>>) -> Result<R> {
        outside_runtime()?;
        match &self.runtime {
            Some(runtime) => runtime.block_on(f),
            None => Err(Error::Blocking {
                reason: "the database is being dropped".into(),
            }),
        }
    }

    /// The URL the database was opened from.
    pub fn url(&self) -> &str {
        self.db.url()
    }

    /// Whether the database was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.db.is_read_only()
    }

    /// The backend's SQL dialect.
    pub fn dialect(&self) -> SqlDialect {
        self.db.dialect()
    }

    /// The async database inside.
    pub fn as_async(&self) -> &super::Database {
        &self.db
    }

    /// The target of `task` in this database.
    pub fn target<'a, T: AstraTask>(&'a self, task: &'a T) -> DatabaseTarget<'a, T> {
        DatabaseTarget {
            target: self.db.target(task),
            db: self,
        }
    }

    /// Writes many tasks' results in one transaction: see
    /// [`db::Database::write_many`](super::Database::write_many).
    pub fn write_many<T: AstraTask>(&self, items: &[(&T, &[T::Results])]) -> Result<()>
    where
        T::Results: Sync,
    {
        self.run(self.db.write_many(items))
    }

    /// Which of the task ids (of family `T`) have a result, in the order given.
    pub fn exists_many<T: AstraTask>(&self, task_ids: &[&str]) -> Result<Vec<bool>> {
        self.run(self.db.exists_many::<T>(task_ids))
    }

    /// Records many runs of tasks in one transaction: see
    /// [`db::Database::record_runs`](super::Database::record_runs).
    pub fn record_runs<T: AstraTask>(&self, runs: &[super::TaskRun<'_, T>]) -> Result<()>
    where
        T::Results: Sync,
    {
        self.run(self.db.record_runs(runs))
    }

    /// The input memo of `paths`: see
    /// [`db::Database::input_memos`](super::Database::input_memos).
    pub fn input_memos(&self, plugin: &str, context: &str, paths: &[&str]) -> Result<Vec<Option<super::InputMemo>>> {
        self.run(self.db.input_memos(plugin, context, paths))
    }

    /// Records input memo entries: see
    /// [`db::Database::put_input_memos`](super::Database::put_input_memos).
    pub fn put_input_memos(&self, plugin: &str, context: &str, entries: &[(&str, super::InputMemo)]) -> Result<()> {
        self.run(self.db.put_input_memos(plugin, context, entries))
    }

    /// Sets the status code of tasks: see
    /// [`db::Database::mark_status`](super::Database::mark_status).
    pub fn mark_status<T: AstraTask>(&self, tasks: &[&T], status: super::StatusCode) -> Result<()> {
        self.run(self.db.mark_status(tasks, status))
    }

    /// The number of tasks and their mean duration per family and status code: see
    /// [`db::Database::status_counts`](super::Database::status_counts).
    pub fn status_counts(&self) -> Result<Vec<super::StatusCount>> {
        self.run(self.db.status_counts())
    }

    /// Which of the task ids have no result and a last run that failed: see
    /// [`db::Database::failed_many`](super::Database::failed_many).
    pub fn failed_many<T: AstraTask>(&self, task_ids: &[&str]) -> Result<Vec<bool>> {
        self.run(self.db.failed_many::<T>(task_ids))
    }

    /// The tasks whose last run failed, newest first: see
    /// [`db::Database::failed_tasks`](super::Database::failed_tasks).
    pub fn failed_tasks(&self, limit: usize) -> Result<Vec<super::FailedTask>> {
        self.run(self.db.failed_tasks(limit))
    }

    /// Closes every connection (also done when the database is dropped).
    pub fn close(&self) {
        let _ = self.run(async {
            self.db.close().await;
            Ok(())
        });
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        self.close();
        // Inside an async runtime a runtime may not be dropped the blocking way.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Database").field(&self.db).finish()
    }
}

/// One task's result rows in a blocking [`Database`]: the blocking form of
/// [`db::DatabaseTarget`](super::DatabaseTarget).
pub struct DatabaseTarget<'a, T: AstraTask> {
    target: super::DatabaseTarget<'a, T>,
    db: &'a Database,
}

impl<'a, T: AstraTask> DatabaseTarget<'a, T> {
    /// The task id.
    pub fn task_id(&self) -> &str {
        self.target.task_id()
    }

    /// The task.
    pub fn task(&self) -> &'a T {
        self.target.task()
    }

    /// Whether the task has a result.
    pub fn exists(&self) -> Result<bool> {
        self.db.run(self.target.exists())
    }

    /// The task's result rows, in `row_index` order; a task with no result is an error.
    pub fn read(&self) -> Result<Vec<T::Results>> {
        self.db.run(self.target.read())
    }

    /// Writes the task's result rows: see
    /// [`db::DatabaseTarget::write`](super::DatabaseTarget::write).
    pub fn write(&self, rows: &[T::Results]) -> Result<()>
    where
        T::Results: Sync,
    {
        self.db.run(self.target.write(rows))
    }

    /// Points this task at the other task's output: see
    /// [`db::DatabaseTarget::copy_from`](super::DatabaseTarget::copy_from).
    pub fn copy_from<U: AstraTask>(&self, other: &DatabaseTarget<'_, U>) -> Result<()> {
        self.db.run(self.target.copy_from(&other.target))
    }

    /// Records the status of a run and its duration in seconds.
    pub fn set_status(&self, status: StatusCode, duration: Option<f64>) -> Result<()> {
        self.db.run(self.target.set_status(status, duration))
    }

    /// The task's row in the `task` table, if it has one.
    pub fn task_row(&self) -> Result<Option<super::TaskRow>> {
        self.db.run(self.target.task_row())
    }

    /// The stored parameters of the task, sorted by name.
    pub fn parameters(&self) -> Result<Vec<(String, String)>> {
        self.db.run(self.target.parameters())
    }

    /// A query over the task's result rows, to be built: see
    /// [`db::DatabaseTarget::query`](super::DatabaseTarget::query).
    pub fn query(&self) -> QueryBuilder<'a, T> {
        QueryBuilder {
            builder: self.target.query(),
            db: self.db,
        }
    }

    /// The seed's name of [`query`](Self::query).
    pub fn get_query(&self) -> QueryBuilder<'a, T> {
        self.query()
    }
}

impl<T: AstraTask> fmt::Debug for DatabaseTarget<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.target.fmt(f)
    }
}

/// A blocking query being built: the blocking form of
/// [`db::QueryBuilder`](super::QueryBuilder).
#[must_use = "a query builder does nothing until built or fetched"]
pub struct QueryBuilder<'a, T: AstraTask> {
    builder: query::QueryBuilder<'a, T>,
    db: &'a Database,
}

impl<'a, T: AstraTask> QueryBuilder<'a, T> {
    /// Selects these result columns, in this order.
    pub fn columns<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.builder = self.builder.columns(names);
        self
    }

    /// Selects every result column (the default).
    pub fn all_columns(mut self) -> Self {
        self.builder = self.builder.all_columns();
        self
    }

    /// Returns the task's row with each result row.
    pub fn with_task_row(mut self) -> Self {
        self.builder = self.builder.with_task_row();
        self
    }

    /// The query; unknown column names are refused.
    pub fn build(self) -> Result<ResultQuery<'a, T>> {
        Ok(ResultQuery {
            query: self.builder.build()?,
            db: self.db,
        })
    }

    /// Builds the query and runs it.
    pub fn fetch(self) -> Result<Vec<QueryRow>> {
        self.build()?.fetch()
    }
}

impl<T: AstraTask> fmt::Debug for QueryBuilder<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.builder.fmt(f)
    }
}

/// A blocking query over one task's result rows: shown (SQL and bound values) with
/// `Display`, run with [`fetch`](Self::fetch).
pub struct ResultQuery<'a, T: AstraTask> {
    query: query::ResultQuery<'a, T>,
    db: &'a Database,
}

impl<T: AstraTask> ResultQuery<'_, T> {
    /// The SQL text, with `$n` placeholders.
    pub fn sql(&self) -> &str {
        self.query.sql()
    }

    /// The bound values, in placeholder order.
    pub fn binds(&self) -> &[String] {
        self.query.binds()
    }

    /// The selected result columns.
    pub fn columns(&self) -> &[&'static ColumnMeta] {
        self.query.columns()
    }

    /// Runs the query: the task's result rows in `row_index` order.
    pub fn fetch(&self) -> Result<Vec<QueryRow>> {
        self.db.run(self.query.fetch())
    }
}

impl<T: AstraTask> fmt::Display for ResultQuery<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.query, f)
    }
}

impl<T: AstraTask> fmt::Debug for ResultQuery<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.query, f)
    }
}

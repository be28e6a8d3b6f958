//! Runs of tasks as a runner records them: many tasks' results, status codes, durations
//! and failure messages committed in one transaction, and the summary of the `task`
//! table that `astra status` prints.

use std::collections::BTreeMap;

use super::backend::{Backend, query};
use super::connect::Database;
use super::dialect;
use super::dispatch::dispatch;
use super::error::db_err;
use super::pool::Pools;
use super::retry::with_retry;
use super::status::{FIRST_FAILURE, StatusCode};
use super::values::check_text;
use super::write::{Prepared, prepare, task_params, upsert_tasks, write_in};
use crate::column::SqlDialect;
use crate::task::{AstraTask, TaskMeta};
use crate::{Error, Result};

/// One run of a task to record: its result rows when it succeeded, its status code, its
/// duration in seconds and, when it failed, the error's message.
///
/// ```
/// # use astra_targets::db::{StatusCode, TaskRun};
/// # fn f<T: astra_targets::AstraTask>(ok: &T, rows: &[T::Results], bad: &T) {
/// let runs = [
///     TaskRun::succeeded(ok, rows, 0.25),
///     TaskRun::failed(bad, StatusCode::ProcessFailure, 0.01, "no flux above zero"),
/// ];
/// # }
/// ```
#[derive(Debug)]
pub struct TaskRun<'a, T: AstraTask> {
    task: &'a T,
    rows: Option<&'a [T::Results]>,
    status: StatusCode,
    duration: Option<f64>,
    message: Option<&'a str>,
}

impl<'a, T: AstraTask> TaskRun<'a, T> {
    /// A successful run: its rows replace the task's result, its status becomes
    /// [`StatusCode::Success`] and its message is cleared.
    pub fn succeeded(task: &'a T, rows: &'a [T::Results], duration: f64) -> Self {
        TaskRun {
            task,
            rows: Some(rows),
            status: StatusCode::Success,
            duration: Some(duration),
            message: None,
        }
    }

    /// A failed run: the task's status becomes `status` with the error's `message`; its
    /// result (if an earlier run left one) is not touched.
    pub fn failed(task: &'a T, status: StatusCode, duration: f64, message: &'a str) -> Self {
        TaskRun {
            task,
            rows: None,
            status,
            duration: Some(duration),
            message: Some(message),
        }
    }

    /// The task.
    pub fn task(&self) -> &'a T {
        self.task
    }

    /// The status code recorded.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The tasks of one family with one status code: how many, and their mean duration.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StatusCount {
    /// The task family (`task_module`).
    pub family: String,
    /// The status code as stored (a code Astra does not define is kept as it is).
    pub code: i64,
    /// The number of tasks.
    pub count: i64,
    /// The mean duration in seconds of those with one.
    pub mean_duration: Option<f64>,
}

impl StatusCount {
    /// The status, when the code is one Astra defines.
    pub fn status(&self) -> Option<StatusCode> {
        StatusCode::from_code(self.code)
    }
}

/// A task whose last run failed, with the error's message.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FailedTask {
    /// The task family.
    pub family: String,
    /// The task id.
    pub task_id: String,
    /// The status code as stored.
    pub code: i64,
    /// The duration in seconds of the failed run.
    pub duration: Option<f64>,
    /// The error's message (none when the failure was recorded without one).
    pub message: Option<String>,
    /// When the failure was recorded (UTC).
    pub modified: String,
}

/// A run's status, duration and message, checked before any SQL runs.
struct StatusUpdate<'a> {
    task_id: String,
    status: StatusCode,
    duration: Option<f64>,
    message: Option<&'a str>,
}

impl Database {
    /// Records many runs of tasks of one family in one transaction: the rows of each
    /// successful run are written (as [`write_many`](Database::write_many) does), every
    /// task row is created when missing, and each task's status code, duration and
    /// message are set. Nothing is recorded when any value is refused. A task given twice
    /// is recorded as its last run.
    pub async fn record_runs<T: AstraTask>(&self, runs: &[TaskRun<'_, T>]) -> Result<()>
    where
        T::Results: Sync,
    {
        self.check_writable(|| format!("record {} runs of {}", runs.len(), T::META.family))?;
        if runs.is_empty() {
            return Ok(());
        }
        // The last run of a task wins; tasks in id order.
        let mut by_id: BTreeMap<String, &TaskRun<'_, T>> = BTreeMap::new();
        for run in runs {
            by_id.insert(run.task.task_id(), run);
        }
        let mut written = Vec::new();
        let mut failed = Vec::new();
        let mut updates = Vec::with_capacity(by_id.len());
        for (task_id, run) in &by_id {
            if let Some(message) = run.message {
                check_text(task_id, || "failure message".into(), message)?;
            }
            match run.rows {
                Some(rows) => written.push(prepare(run.task, rows)?),
                None => failed.push((task_id.clone(), task_params(run.task, task_id)?)),
            }
            updates.push(StatusUpdate {
                task_id: task_id.clone(),
                status: run.status,
                duration: run.duration,
                message: run.message,
            });
        }
        if !written.is_empty() {
            self.ensure_results(T::META).await?;
        }
        dispatch!(self, p => with_retry(|| record_once(p, T::META, &written, &failed, &updates)).await)
    }

    /// Sets the status code of tasks of one family (without a duration or message),
    /// creating their task rows (with their parameters) when missing, in one transaction.
    /// The runner marks the tasks it is about to run [`StatusCode::Running`], so `astra
    /// status` shows them, and a task whose run was lost stays marked running (and
    /// incomplete, having no result) until a later run finishes it; tasks an interrupted
    /// run did not start go back to [`StatusCode::Created`].
    pub async fn mark_status<T: AstraTask>(&self, tasks: &[&T], status: StatusCode) -> Result<()> {
        self.check_writable(|| format!("mark {} tasks of {} {}", tasks.len(), T::META.family, status.name()))?;
        if tasks.is_empty() {
            return Ok(());
        }
        let mut by_id: BTreeMap<String, Vec<(&'static str, String)>> = BTreeMap::new();
        for task in tasks {
            let id = task.task_id();
            let params = task_params(*task, &id)?;
            by_id.insert(id, params);
        }
        let ids: Vec<(String, Vec<(&'static str, String)>)> = by_id.into_iter().collect();
        dispatch!(self, p => with_retry(|| mark_status_once(p, T::META.family, &ids, status)).await)
    }

    /// The number of tasks and their mean duration per family and status code, sorted by
    /// family then code.
    pub async fn status_counts(&self) -> Result<Vec<StatusCount>> {
        dispatch!(self, p => status_counts(p).await)
    }

    /// Which of the task ids (of family `T`) have no result and a last run that failed
    /// (status code 40 and above), in the order given; one query per 50,000 ids.
    pub async fn failed_many<T: AstraTask>(&self, task_ids: &[&str]) -> Result<Vec<bool>> {
        if task_ids.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, p => failed_many(p, T::META.family, task_ids).await)
    }

    /// The tasks whose last run failed (status code 40 and above), newest first, at most
    /// `limit` of them.
    pub async fn failed_tasks(&self, limit: usize) -> Result<Vec<FailedTask>> {
        dispatch!(self, p => failed_tasks(p, limit).await)
    }
}

async fn record_once<DB: Backend, R: crate::AstraResults + Sync>(
    p: &Pools<DB>,
    meta: &TaskMeta,
    written: &[Prepared<'_, R>],
    failed: &[(String, Vec<(&'static str, String)>)],
    updates: &[StatusUpdate<'_>],
) -> Result<()> {
    let family = meta.family;
    let mut tx = DB::begin_write(&p.pool)
        .await
        .map_err(db_err("beginning to record task runs"))?;
    let mut keys = if written.is_empty() {
        Default::default()
    } else {
        let sorted: Vec<&Prepared<'_, R>> = written.iter().collect();
        write_in::<DB, R>(&mut tx, meta, &sorted).await?
    };
    if !failed.is_empty() {
        let ids: Vec<(&str, &[(&'static str, String)])> =
            failed.iter().map(|(id, ps)| (id.as_str(), ps.as_slice())).collect();
        keys.extend(upsert_tasks::<DB>(&mut tx, family, &ids).await?);
    }
    let mut rows = Vec::with_capacity(updates.len());
    for u in updates {
        let pk = keys.get(&u.task_id).map(|k| k.pk).ok_or_else(|| Error::Missing {
            task_id: u.task_id.clone(),
            reason: "task row not returned".into(),
        })?;
        rows.push((pk, u));
    }
    for chunk in rows.chunks(STATUS_ROWS) {
        let sql = status_update_sql(DB::DIALECT, chunk.len());
        let mut q = query::<DB>(sql);
        for (pk, u) in chunk {
            q = DB::bind_i64(q, *pk);
            q = DB::bind_i64(q, u.status.code().into());
            q = DB::bind_opt_text(DB::bind_f64(q, u.duration), u.message);
        }
        DB::execute(&mut *tx, q).await.map_err(db_err(format!(
            "recording the status of {} tasks of {family}",
            chunk.len()
        )))?;
    }
    tx.commit()
        .await
        .map_err(db_err(format!("committing {} runs of {family}", updates.len())))
}

/// Task rows whose status one statement sets (four parameters each).
const STATUS_ROWS: usize = 4096;

/// One statement setting the status code, duration and message of `rows` tasks, bound
/// as (pk, status code, duration, message) per task.
fn status_update_sql(d: SqlDialect, rows: usize) -> String {
    let mut values = dialect::tuples(d, rows, 4);
    if d == SqlDialect::Postgres {
        // The first row types the columns of the VALUES list.
        values = values.replacen(
            "($1, $2, $3, $4)",
            "($1::bigint, $2::integer, $3::double precision, $4::text)",
            1,
        );
    }
    format!(
        "UPDATE task SET status_code = v.column2, duration = v.column3, message = v.column4, modified = {} \
         FROM (VALUES {values}) AS v WHERE task.pk = v.column1",
        dialect::now(d)
    )
}

async fn mark_status_once<DB: Backend>(
    p: &Pools<DB>,
    family: &str,
    tasks: &[(String, Vec<(&'static str, String)>)],
    status: StatusCode,
) -> Result<()> {
    let mut tx = DB::begin_write(&p.pool)
        .await
        .map_err(db_err("beginning to set task status codes"))?;
    let ids: Vec<(&str, &[(&'static str, String)])> =
        tasks.iter().map(|(id, ps)| (id.as_str(), ps.as_slice())).collect();
    let keys = upsert_tasks::<DB>(&mut tx, family, &ids).await?;
    let pks: Vec<i64> = keys.values().map(|k| k.pk).collect();
    let sql = format!(
        "UPDATE task SET status_code = {}, duration = NULL, message = NULL, modified = {} \
         WHERE pk IN (SELECT v.c1 FROM {})",
        status.code(),
        dialect::now(DB::DIALECT),
        dialect::list_source(DB::DIALECT, 1, "bigint")
    );
    for chunk in pks.chunks(50_000) {
        let q = DB::bind_i64_list(query::<DB>(sql.clone()), chunk);
        DB::execute(&mut *tx, q).await.map_err(db_err(format!(
            "marking {} tasks of {family} {}",
            chunk.len(),
            status.name()
        )))?;
    }
    tx.commit().await.map_err(db_err(format!(
        "committing the status of {} tasks of {family}",
        tasks.len()
    )))
}

async fn status_counts<DB: Backend>(p: &Pools<DB>) -> Result<Vec<StatusCount>> {
    let sql = "SELECT task_module, CAST(status_code AS BIGINT), CAST(count(*) AS BIGINT), avg(duration) \
               FROM task GROUP BY task_module, status_code ORDER BY task_module, status_code";
    let action = || "counting tasks by status".to_string();
    let mut conn = p.read_conn().await?;
    let rows = DB::fetch_all(&mut conn, query::<DB>(sql.into()))
        .await
        .map_err(db_err(action()))?;
    rows.iter()
        .map(|r| {
            Ok(StatusCount {
                family: DB::get_text(r, 0).map_err(db_err(action()))?.unwrap_or_default(),
                code: DB::get_i64(r, 1).map_err(db_err(action()))?.unwrap_or_default(),
                count: DB::get_i64(r, 2).map_err(db_err(action()))?.unwrap_or_default(),
                mean_duration: DB::get_f64(r, 3).map_err(db_err(action()))?,
            })
        })
        .collect()
}

async fn failed_tasks<DB: Backend>(p: &Pools<DB>, limit: usize) -> Result<Vec<FailedTask>> {
    let sql = format!(
        "SELECT task_module, task_id, CAST(status_code AS BIGINT), duration, message, {} FROM task \
         WHERE status_code >= {} ORDER BY modified DESC, task_id LIMIT $1",
        dialect::timestamp_text(DB::DIALECT, "modified"),
        FIRST_FAILURE
    );
    let action = || "reading failed tasks".to_string();
    let mut conn = p.read_conn().await?;
    let q = DB::bind_i64(query::<DB>(sql), i64::try_from(limit).unwrap_or(i64::MAX));
    let rows = DB::fetch_all(&mut conn, q).await.map_err(db_err(action()))?;
    rows.iter()
        .map(|r| {
            Ok(FailedTask {
                family: DB::get_text(r, 0).map_err(db_err(action()))?.unwrap_or_default(),
                task_id: DB::get_text(r, 1).map_err(db_err(action()))?.unwrap_or_default(),
                code: DB::get_i64(r, 2).map_err(db_err(action()))?.unwrap_or_default(),
                duration: DB::get_f64(r, 3).map_err(db_err(action()))?,
                message: DB::get_text(r, 4).map_err(db_err(action()))?,
                modified: DB::get_text(r, 5).map_err(db_err(action()))?.unwrap_or_default(),
            })
        })
        .collect()
}

async fn failed_many<DB: Backend>(p: &Pools<DB>, family: &str, task_ids: &[&str]) -> Result<Vec<bool>> {
    let mut failed: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut conn = p.read_conn().await?;
    for chunk in task_ids.chunks(50_000) {
        let sql = format!(
            "SELECT task_id FROM task WHERE task_module = $1 AND {} AND output_pk IS NULL AND status_code >= {FIRST_FAILURE}",
            dialect::in_text_list(DB::DIALECT, "task_id", 2)
        );
        let q = DB::bind_text_list(DB::bind_text(query::<DB>(sql), family), chunk);
        let action = || format!("checking which of {} tasks of {family} failed", task_ids.len());
        for row in DB::fetch_all(&mut conn, q).await.map_err(db_err(action()))? {
            if let Some(id) = DB::get_text(&row, 0).map_err(db_err(action()))? {
                failed.insert(id);
            }
        }
    }
    Ok(task_ids.iter().map(|id| failed.contains(*id)).collect())
}

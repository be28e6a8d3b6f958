//! `DatabaseTarget`: one task's result in the database.

use sqlx::Transaction;

use super::backend::{Backend, query};
use super::connect::Database;
use super::dispatch::dispatch;
use super::error::db_err;
use super::pool::Pools;
use super::query::{QueryBuilder, TaskRow, decode_task_row, task_columns};
use super::retry::with_retry;
use super::stages::WriteStages;
use super::status::StatusCode;
use super::write::{prepare, task_params, upsert_tasks, write_tasks};
use super::{dialect, lookup};
use crate::column::AstraResults;
use crate::task::AstraTask;
use crate::{Error, Result};

/// One task's result rows in a [`Database`]: the task row, its parameters and its output.
pub struct DatabaseTarget<'a, T: AstraTask> {
    db: &'a Database,
    task: &'a T,
    task_id: String,
}

impl<'a, T: AstraTask> DatabaseTarget<'a, T> {
    /// The target of `task` in `db`.
    pub fn new(db: &'a Database, task: &'a T) -> Self {
        DatabaseTarget {
            db,
            task,
            task_id: task.task_id(),
        }
    }

    /// The task id.
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// The task.
    pub fn task(&self) -> &'a T {
        self.task
    }

    /// The database.
    pub fn database(&self) -> &'a Database {
        self.db
    }

    /// Whether the task has a result (it was written, or copied from another task).
    pub async fn exists(&self) -> Result<bool> {
        if let Some(found) = self.db.inner.quick_exists(T::META.family, &self.task_id) {
            return Ok(found);
        }
        dispatch!(self.db, p => lookup::exists(p, T::META.family, &self.task_id).await)
    }

    /// The task's result rows, in `row_index` order. A task with no result is an error.
    pub async fn read(&self) -> Result<Vec<T::Results>> {
        let rows = self.query().fetch().await?;
        if rows.is_empty() && !self.exists().await? {
            return Err(Error::Missing {
                task_id: self.task_id.clone(),
                reason: "has no result to read".into(),
            });
        }
        rows.into_iter()
            .map(|r| T::Results::from_values(r.values.into_iter().map(|(_, v)| v).collect()))
            .collect()
    }

    /// Writes the task's result rows: creates the task row when missing (its status stays
    /// as it is; `modified` is updated) and replaces all rows of its output in one
    /// transaction. If the output is shared with another task (after
    /// [`copy_from`](Self::copy_from)), this task first gets a new output, so the other's
    /// result does not change. Writing twice leaves one result.
    pub async fn write(&self, rows: &[T::Results]) -> Result<()>
    where
        T::Results: Sync,
    {
        self.db
            .check_writable(|| format!("write the results of {}", self.task_id))?;
        let prepared = prepare(self.task, rows)?;
        self.db.ensure_results(T::META).await?;
        dispatch!(self.db, p => write_tasks(p, T::META, std::slice::from_ref(&prepared)).await).map(drop)
    }

    /// Points this task at the other task's output: afterwards both read the same rows.
    /// Nothing is copied. Rows of this task's previous output, if no other task points at
    /// it, are deleted. Both tasks must store their results in the same table.
    pub async fn copy_from<U: AstraTask>(&self, other: &DatabaseTarget<'_, U>) -> Result<()> {
        self.db
            .check_writable(|| format!("copy the result of {} to {}", other.task_id, self.task_id))?;
        if T::META.table != U::META.table {
            return Err(Error::TableMismatch {
                task_id: self.task_id.clone(),
                table: T::META.table,
                other_task_id: other.task_id.clone(),
                other_table: U::META.table,
            });
        }
        self.db.ensure_results(T::META).await?;
        let params = task_params(self.task, &self.task_id)?;
        dispatch!(self.db, p => with_retry(|| self.copy_once(p, U::META.family, &other.task_id, &params)).await)
    }

    async fn copy_once<DB: Backend>(
        &self,
        p: &Pools<DB>,
        other_family: &str,
        other_id: &str,
        params: &[(&'static str, String)],
    ) -> Result<()> {
        let mut tx = DB::begin_write(&p.pool).await.map_err(db_err("beginning a copy"))?;
        let keys = upsert_tasks::<DB>(&mut tx, T::META.family, &[(self.task_id.as_str(), params)]).await?;
        let mine = keys[&self.task_id];
        let q = DB::bind_text(
            DB::bind_text(
                query::<DB>("SELECT output_pk FROM task WHERE task_module = $1 AND task_id = $2".into()),
                other_family,
            ),
            other_id,
        );
        let action = || format!("copying {} from {other_id}", self.task_id);
        let row = DB::fetch_optional(&mut *tx, q).await.map_err(db_err(action()))?;
        let source = match row {
            Some(row) => DB::get_i64(&row, 0).map_err(db_err(action()))?,
            None => None,
        };
        let Some(source) = source else {
            return Err(Error::Missing {
                task_id: other_id.to_string(),
                reason: "has no result to copy from".into(),
            });
        };
        let sql = format!(
            "UPDATE task SET output_pk = $1, modified = {} WHERE pk = $2",
            dialect::now(DB::DIALECT)
        );
        DB::execute(&mut *tx, DB::bind_i64(DB::bind_i64(query::<DB>(sql), source), mine.pk))
            .await
            .map_err(db_err(action()))?;
        if let Some(old) = mine.output_pk.filter(|o| *o != source) {
            drop_orphan::<DB>(&mut tx, T::META.table, old).await?;
        }
        tx.commit().await.map_err(db_err(action()))
    }

    /// Records the status of a run and its duration in seconds, creating the task row
    /// when missing.
    pub async fn set_status(&self, status: StatusCode, duration: Option<f64>) -> Result<()> {
        self.db
            .check_writable(|| format!("set the status of {}", self.task_id))?;
        let params = task_params(self.task, &self.task_id)?;
        dispatch!(self.db, p => with_retry(|| self.status_once(p, status, duration, &params)).await)
    }

    async fn status_once<DB: Backend>(
        &self,
        p: &Pools<DB>,
        status: StatusCode,
        duration: Option<f64>,
        params: &[(&'static str, String)],
    ) -> Result<()> {
        let mut tx = DB::begin_write(&p.pool)
            .await
            .map_err(db_err("beginning a status update"))?;
        let keys = upsert_tasks::<DB>(&mut tx, T::META.family, &[(self.task_id.as_str(), params)]).await?;
        let sql = format!(
            "UPDATE task SET status_code = $1, duration = $2, modified = {} WHERE pk = $3",
            dialect::now(DB::DIALECT)
        );
        let q = DB::bind_i64(
            DB::bind_f64(DB::bind_i64(query::<DB>(sql), status.code().into()), duration),
            keys[&self.task_id].pk,
        );
        let action = || format!("setting the status of {}", self.task_id);
        DB::execute(&mut *tx, q).await.map_err(db_err(action()))?;
        tx.commit().await.map_err(db_err(action()))
    }

    /// The task's row in the `task` table, if it has one.
    pub async fn task_row(&self) -> Result<Option<TaskRow>> {
        dispatch!(self.db, p => self.task_row_on(p).await)
    }

    async fn task_row_on<DB: Backend>(&self, p: &Pools<DB>) -> Result<Option<TaskRow>> {
        let sql = format!(
            "SELECT {} FROM task t WHERE t.task_module = $1 AND t.task_id = $2",
            task_columns(DB::DIALECT, "t")
        );
        let mut conn = p.read_conn().await?;
        let q = DB::bind_text(DB::bind_text(query::<DB>(sql), T::META.family), &self.task_id);
        let row = DB::fetch_optional(&mut conn, q)
            .await
            .map_err(db_err(format!("reading the task row of {}", self.task_id)))?;
        row.map(|r| decode_task_row::<DB>(&r, 0)).transpose()
    }

    /// The stored parameters of the task, `(parameter_name, parameter_value)` sorted by
    /// name: one value per name, the latest run's (a run with other values of
    /// insignificant parameters replaces them).
    pub async fn parameters(&self) -> Result<Vec<(String, String)>> {
        dispatch!(self.db, p => self.parameters_on(p).await)
    }

    async fn parameters_on<DB: Backend>(&self, p: &Pools<DB>) -> Result<Vec<(String, String)>> {
        let sql = "SELECT pa.parameter_name, pa.parameter_value FROM task t \
                   JOIN task_parameter tp ON tp.task_pk = t.pk JOIN parameter pa ON pa.pk = tp.parameter_pk \
                   WHERE t.task_module = $1 AND t.task_id = $2 ORDER BY pa.parameter_name, pa.parameter_value";
        let mut conn = p.read_conn().await?;
        let q = DB::bind_text(DB::bind_text(query::<DB>(sql.into()), T::META.family), &self.task_id);
        let action = || format!("reading the parameters of {}", self.task_id);
        let rows = DB::fetch_all(&mut conn, q).await.map_err(db_err(action()))?;
        rows.iter()
            .map(|r| {
                let n = DB::get_text(r, 0).map_err(db_err(action()))?.unwrap_or_default();
                let v = DB::get_text(r, 1).map_err(db_err(action()))?.unwrap_or_default();
                Ok((n, v))
            })
            .collect()
    }

    /// A query over the task's result rows, to be built: every result column unless
    /// [`columns`](QueryBuilder::columns) names some, and the task row with each result
    /// row [`with_task_row`](QueryBuilder::with_task_row).
    pub fn query(&self) -> QueryBuilder<'a, T> {
        QueryBuilder::new(self.db, self.task_id.clone())
    }

    /// The seed's name of [`query`](Self::query): the seed's
    /// `get_query(columns, full_output)` is
    /// `get_query().columns(columns).with_task_row().build()`.
    pub fn get_query(&self) -> QueryBuilder<'a, T> {
        self.query()
    }
}

/// Deletes the rows of an output no task points at any more.
async fn drop_orphan<DB: Backend>(tx: &mut Transaction<'static, DB>, table: &str, output: i64) -> Result<()> {
    let q = DB::bind_i64(query::<DB>("SELECT 1 FROM task WHERE output_pk = $1".into()), output);
    let used = DB::fetch_optional(&mut **tx, q)
        .await
        .map_err(db_err("checking an output's users"))?;
    if used.is_none() {
        super::write::delete_rows::<DB>(tx, table, &[output]).await?;
    }
    Ok(())
}

impl<T: AstraTask> std::fmt::Debug for DatabaseTarget<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseTarget")
            .field("task_id", &self.task_id)
            .field("database", &self.db.url())
            .finish()
    }
}

impl Database {
    /// The target of `task` in this database.
    pub fn target<'a, T: AstraTask>(&'a self, task: &'a T) -> DatabaseTarget<'a, T> {
        DatabaseTarget::new(self, task)
    }

    /// Writes many tasks' results in one transaction: per task, as
    /// [`DatabaseTarget::write`] (task rows created when missing, previous rows replaced,
    /// copy on write for shared outputs). Rows go in statements batched under the
    /// backend's bind limit, or through binary `COPY` on PostgreSQL. When a task appears
    /// twice, its last rows win. Parameters are checked before any SQL runs and rows as
    /// they are inserted; a refused value rolls the whole transaction back, so nothing
    /// is written.
    pub async fn write_many<T: AstraTask>(&self, items: &[(&T, &[T::Results])]) -> Result<()>
    where
        T::Results: Sync,
    {
        self.write_many_timed(items).await.map(drop)
    }

    /// [`write_many`](Self::write_many), saying how long each stage took (task ids and
    /// parameters prepared, task rows, parameters, links, outputs, result rows, commit):
    /// where the time of a large write goes.
    pub async fn write_many_timed<T: AstraTask>(&self, items: &[(&T, &[T::Results])]) -> Result<WriteStages>
    where
        T::Results: Sync,
    {
        self.check_writable(|| format!("write the results of {} tasks of {}", items.len(), T::META.family))?;
        let started = std::time::Instant::now();
        let prepared = items
            .iter()
            .map(|(task, rows)| prepare(*task, rows))
            .collect::<Result<Vec<_>>>()?;
        let prepare_time = started.elapsed();
        self.ensure_results(T::META).await?;
        let mut stages = dispatch!(self, p => write_tasks(p, T::META, &prepared).await)?;
        stages.prepare += prepare_time;
        Ok(stages)
    }

    /// Which of the task ids (of family `T`) have a result, in the order given.
    pub async fn exists_many<T: AstraTask>(&self, task_ids: &[&str]) -> Result<Vec<bool>> {
        if task_ids.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(found) = self.inner.quick_exists_many(T::META.family, task_ids) {
            return Ok(found);
        }
        dispatch!(self, p => lookup::exists_many(p, T::META.family, task_ids).await)
    }
}

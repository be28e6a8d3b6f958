//! The seed's `get_query`: a builder ([`QueryBuilder`]) of a typed query over a task's
//! result rows ([`ResultQuery`]) that can be run and shown.

use std::fmt;
use std::marker::PhantomData;

use super::backend::{Backend, query};
use super::connect::Database;
use super::dialect;
use super::dispatch::dispatch;
use super::error::db_err;
use super::pool::Pools;
use super::status::StatusCode;
use super::values::ident;
use crate::column::ColumnMeta;
use crate::task::AstraTask;
use crate::value::Value;
use crate::{Error, Result};

/// A task's row in the `task` table.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TaskRow {
    /// The task's key.
    pub pk: i64,
    /// The task family.
    pub task_module: String,
    /// The task id.
    pub task_id: String,
    /// The status of the last run.
    pub status: StatusCode,
    /// The output the task points at (`None` before its first write).
    pub output_pk: Option<i64>,
    /// The duration of the last run in seconds, when recorded.
    pub duration: Option<f64>,
    /// When the row was created, ISO 8601 in UTC (`2026-11-24T08:18:12.123Z`).
    pub created: String,
    /// When the row was last modified, ISO 8601 in UTC.
    pub modified: String,
}

/// The `task` columns selected for a [`TaskRow`], in its field order.
pub(crate) fn task_columns(d: crate::column::SqlDialect, alias: &str) -> String {
    format!(
        "{a}.pk, {a}.task_module, {a}.task_id, CAST({a}.status_code AS BIGINT), {a}.output_pk, {a}.duration, {}, {}",
        dialect::timestamp_text(d, &format!("{alias}.created")),
        dialect::timestamp_text(d, &format!("{alias}.modified")),
        a = alias
    )
}

/// Decodes a [`TaskRow`] from the columns [`task_columns`] selected, starting at `at`.
pub(crate) fn decode_task_row<DB: Backend>(row: &DB::Row, at: usize) -> Result<TaskRow> {
    let action = "reading a task row";
    let text = |i| {
        DB::get_text(row, at + i)
            .map(Option::unwrap_or_default)
            .map_err(db_err(action))
    };
    let code = DB::get_i64(row, at + 3).map_err(db_err(action))?.unwrap_or_default();
    let status = StatusCode::from_code(code).ok_or_else(|| Error::Decode {
        table: "task".into(),
        column: "status_code".into(),
        reason: format!("{code} is not one of Astra's status codes (0, 1, 30, 40, 50, 60)"),
    })?;
    Ok(TaskRow {
        pk: DB::get_i64(row, at).map_err(db_err(action))?.unwrap_or_default(),
        task_module: text(1)?,
        task_id: text(2)?,
        status,
        output_pk: DB::get_i64(row, at + 4).map_err(db_err(action))?,
        duration: DB::get_f64(row, at + 5).map_err(db_err(action))?,
        created: text(6)?,
        modified: text(7)?,
    })
}

/// One row of a [`ResultQuery`]: the selected result values, and the task row when the
/// query was built [`with_task_row`](QueryBuilder::with_task_row).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QueryRow {
    /// The task row (only [`with_task_row`](QueryBuilder::with_task_row)).
    pub task: Option<TaskRow>,
    /// The row index within the task's result.
    pub row_index: i64,
    /// The selected columns' values, in the order asked for.
    pub values: Vec<(&'static str, Value)>,
}

impl QueryRow {
    /// The value of a selected column.
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| *n == column).map(|(_, v)| v)
    }
}

/// A query over one task's result rows being built: made by
/// [`DatabaseTarget::query`](super::DatabaseTarget::query) (or its seed name
/// [`get_query`](super::DatabaseTarget::get_query)), every result column unless
/// [`columns`](Self::columns) names some; [`build`](Self::build) makes the
/// [`ResultQuery`], [`fetch`](Self::fetch) builds and runs it.
///
/// ```no_run
/// # async fn f<T: astra_targets::AstraTask>(target: astra_targets::db::DatabaseTarget<'_, T>) -> astra_targets::Result<()> {
/// let query = target.query().columns(["teff", "fe_h"]).with_task_row().build()?;
/// println!("{query}"); // the SQL, with its bound values
/// for row in query.fetch().await? {
///     println!("{} {:?} {:?}", row.row_index, row.get("teff"), row.task);
/// }
/// # Ok(()) }
/// ```
#[must_use = "a query builder does nothing until built or fetched"]
pub struct QueryBuilder<'a, T: AstraTask> {
    db: &'a Database,
    task_id: String,
    columns: Option<Vec<String>>,
    with_task_row: bool,
    task: PhantomData<fn() -> T>,
}

impl<'a, T: AstraTask> QueryBuilder<'a, T> {
    /// A query of every result column of the task `task_id`, without the task row.
    pub(crate) fn new(db: &'a Database, task_id: String) -> Self {
        QueryBuilder {
            db,
            task_id,
            columns: None,
            with_task_row: false,
            task: PhantomData,
        }
    }

    /// Selects these result columns, in this order (unknown names are refused by
    /// [`build`](Self::build)).
    pub fn columns<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(names.into_iter().map(|n| n.as_ref().to_string()).collect());
        self
    }

    /// Selects every result column (the default).
    pub fn all_columns(mut self) -> Self {
        self.columns = None;
        self
    }

    /// Returns the task's row (`task` table) with each result row (the seed's
    /// `full_output`).
    pub fn with_task_row(mut self) -> Self {
        self.with_task_row = true;
        self
    }

    /// The query; a column name that is not a result column of the task is refused.
    pub fn build(self) -> Result<ResultQuery<'a, T>> {
        ResultQuery::new(self.db, self.task_id, self.columns.as_deref(), self.with_task_row)
    }

    /// Builds the query and runs it: the task's result rows in `row_index` order.
    pub async fn fetch(self) -> Result<Vec<QueryRow>> {
        self.build()?.fetch().await
    }
}

impl<T: AstraTask> fmt::Debug for QueryBuilder<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryBuilder")
            .field("task_id", &self.task_id)
            .field("columns", &self.columns)
            .field("with_task_row", &self.with_task_row)
            .finish()
    }
}

/// A query over one task's result rows, made by [`QueryBuilder::build`]: run it with
/// [`fetch`](ResultQuery::fetch); show it (SQL and bound values) with `Display`.
pub struct ResultQuery<'a, T: AstraTask> {
    db: &'a Database,
    sql: String,
    binds: Vec<String>,
    columns: Vec<&'static ColumnMeta>,
    with_task_row: bool,
    task: PhantomData<fn() -> T>,
}

impl<'a, T: AstraTask> ResultQuery<'a, T> {
    /// Builds the query of a task's rows, with the columns asked for (all when `None`).
    fn new(db: &'a Database, task_id: String, columns: Option<&[String]>, with_task_row: bool) -> Result<Self> {
        let meta = T::META;
        let selected: Vec<&'static ColumnMeta> = match columns {
            None => meta.results.iter().collect(),
            Some(names) => names
                .iter()
                .map(|n| {
                    meta.results
                        .iter()
                        .find(|c| c.name == n.as_str())
                        .ok_or_else(|| Error::Column {
                            column: n.to_string(),
                            reason: format!(
                                "is not a result column of {} (columns: {})",
                                meta.family,
                                meta.results.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                            ),
                        })
                })
                .collect::<Result<_>>()?,
        };
        let mut list = Vec::new();
        if with_task_row {
            list.push(task_columns(db.dialect(), "t"));
        }
        list.push("CAST(r.row_index AS BIGINT)".into());
        list.extend(selected.iter().map(|c| format!("r.{}", ident(c.name))));
        let sql = format!(
            "SELECT {} FROM task t JOIN {} r ON r.output_pk = t.output_pk \
             WHERE t.task_module = $1 AND t.task_id = $2 ORDER BY r.row_index",
            list.join(", "),
            ident(meta.table)
        );
        Ok(ResultQuery {
            db,
            sql,
            binds: vec![meta.family.to_string(), task_id],
            columns: selected,
            with_task_row,
            task: PhantomData,
        })
    }

    /// The SQL text, with `$n` placeholders.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The bound values, in placeholder order.
    pub fn binds(&self) -> &[String] {
        &self.binds
    }

    /// The selected result columns.
    pub fn columns(&self) -> &[&'static ColumnMeta] {
        &self.columns
    }

    /// Runs the query: the task's result rows in `row_index` order.
    pub async fn fetch(&self) -> Result<Vec<QueryRow>> {
        if !self.db.ensure_results(T::META).await? {
            // A database opened read-only without the family's table: no rows.
            return Ok(Vec::new());
        }
        dispatch!(self.db, p => self.fetch_on(p).await)
    }

    async fn fetch_on<DB: Backend>(&self, p: &Pools<DB>) -> Result<Vec<QueryRow>> {
        let mut conn = p.read_conn().await?;
        let mut q = query::<DB>(self.sql.clone());
        for b in &self.binds {
            q = DB::bind_text(q, b);
        }
        let rows = DB::fetch_all(&mut conn, q)
            .await
            .map_err(db_err(format!("running {}", self.sql)))?;
        let first = if self.with_task_row { 8 } else { 0 };
        let table = T::META.table;
        rows.iter()
            .map(|row| {
                let task = if self.with_task_row {
                    Some(decode_task_row::<DB>(row, 0)?)
                } else {
                    None
                };
                let row_index = DB::get_i64(row, first)
                    .map_err(db_err("reading row_index"))?
                    .unwrap_or_default();
                let values = self
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        DB::get_value(row, first + 1 + i, c)
                            .map(|v| (c.name, v))
                            .map_err(|reason| Error::Decode {
                                table: table.to_string(),
                                column: c.name.to_string(),
                                reason,
                            })
                    })
                    .collect::<Result<_>>()?;
                Ok(QueryRow {
                    task,
                    row_index,
                    values,
                })
            })
            .collect()
    }
}

impl<T: AstraTask> fmt::Display for ResultQuery<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sql)?;
        for (i, b) in self.binds.iter().enumerate() {
            write!(f, "\n  -- ${} = {b:?}", i + 1)?;
        }
        Ok(())
    }
}

impl<T: AstraTask> fmt::Debug for ResultQuery<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

//! `get_query`: a typed query over a task's result rows that can be run and shown.

use std::fmt;
use std::marker::PhantomData;

use super::backend::{Backend, query};
use super::connect::{Pools, db_err};
use super::dialect;
use super::status::StatusCode;
use super::values::ident;
use crate::column::ColumnMeta;
use crate::task::AstraTask;
use crate::value::Value;
use crate::{Error, Result};

/// A task's row in the `task` table.
#[derive(Debug, Clone, PartialEq)]
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
/// query was made with `full_output`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRow {
    /// The task row (only with `full_output`).
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

/// A query over one task's result rows, made by
/// [`DatabaseTarget::get_query`](super::DatabaseTarget::get_query): run it with
/// [`fetch`](ResultQuery::fetch); show it (SQL and bound values) with `Display`.
pub struct ResultQuery<'a, T: AstraTask> {
    pub(crate) db: &'a super::Database,
    pub(crate) sql: String,
    pub(crate) binds: Vec<String>,
    pub(crate) columns: Vec<&'static ColumnMeta>,
    pub(crate) full_output: bool,
    pub(crate) task: PhantomData<fn() -> T>,
}

impl<'a, T: AstraTask> ResultQuery<'a, T> {
    /// Builds the query of a task's rows, with the columns asked for (all when `None`).
    pub(crate) fn new(
        db: &'a super::Database,
        task_id: String,
        columns: Option<&[&str]>,
        full_output: bool,
    ) -> Result<Self> {
        let meta = T::META;
        let selected: Vec<&'static ColumnMeta> = match columns {
            None => meta.results.iter().collect(),
            Some(names) => names
                .iter()
                .map(|n| {
                    meta.results.iter().find(|c| c.name == *n).ok_or_else(|| Error::Column {
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
        if full_output {
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
            full_output,
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
        self.db.ensure_results(T::META).await?;
        super::dispatch!(self.db, p => self.fetch_on(p).await)
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
        let first = if self.full_output { 8 } else { 0 };
        let table = T::META.table;
        rows.iter()
            .map(|row| {
                let task = if self.full_output {
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

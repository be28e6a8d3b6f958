//! Existence checks: one task (on the connection held for lookups) or many at once.

use std::collections::HashSet;

use super::backend::{Backend, query};
use super::dialect;
use super::error::db_err;
use super::pool::Pools;
use crate::Result;

/// The SQL of one existence check (a constant string: prepared once per connection).
const EXISTS_SQL: &str = "SELECT 1 FROM task WHERE task_module = $1 AND task_id = $2 AND output_pk IS NOT NULL";
/// The same check with anonymous placeholders, for SQLite's C API.
pub(crate) const EXISTS_SQL_ANONYMOUS: &str =
    "SELECT 1 FROM task WHERE task_module = ? AND task_id = ? AND output_pk IS NOT NULL";

/// Whether the task has a result.
pub(crate) async fn exists<DB: Backend>(p: &Pools<DB>, family: &str, task_id: &str) -> Result<bool> {
    let mut conn = p.read_conn().await?;
    let q = DB::bind_text(DB::bind_text(sqlx::query(EXISTS_SQL), family), task_id);
    let row = DB::fetch_optional(&mut conn, q)
        .await
        .map_err(db_err(format!("checking whether {task_id} exists")))?;
    Ok(row.is_some())
}

/// Which of the task ids have a result, in the order given.
pub(crate) async fn exists_many<DB: Backend>(p: &Pools<DB>, family: &str, task_ids: &[&str]) -> Result<Vec<bool>> {
    let mut found: HashSet<String> = HashSet::with_capacity(task_ids.len());
    let mut conn = p.read_conn().await?;
    // One bound list per statement; chunks keep single messages moderate.
    for chunk in task_ids.chunks(50_000) {
        let sql = format!(
            "SELECT task_id FROM task WHERE task_module = $1 AND {} AND output_pk IS NOT NULL",
            dialect::in_text_list(DB::DIALECT, "task_id", 2)
        );
        let q = DB::bind_text_list(DB::bind_text(query::<DB>(sql), family), chunk);
        let action = || format!("checking whether {} tasks of {family} exist", task_ids.len());
        for row in DB::fetch_all(&mut conn, q).await.map_err(db_err(action()))? {
            if let Some(id) = DB::get_text(&row, 0).map_err(db_err(action()))? {
                found.insert(id);
            }
        }
    }
    Ok(task_ids.iter().map(|id| found.contains(*id)).collect())
}

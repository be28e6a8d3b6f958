//! Existence checks: one task (on the connection held for lookups) or many at once.

use super::backend::{Backend, query};
use super::dialect;
use super::error::db_err;
use super::pool::Pools;
use crate::Result;

/// Ids per bound list in [`exists_many`].
const LOOKUP_CHUNK: usize = 50_000;

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
    let mut found = vec![false; task_ids.len()];
    let mut conn = p.read_conn().await?;
    // One bound list per statement; chunks keep single messages moderate. The answer is
    // the positions of the ids that have a result, not the ids themselves.
    let sql = format!(
        "SELECT v.n FROM {} JOIN task t ON t.task_module = $1 AND t.task_id = v.c1 \
         WHERE t.output_pk IS NOT NULL",
        dialect::numbered_text_list(DB::DIALECT, 2)
    );
    let action = || format!("checking whether {} tasks of {family} exist", task_ids.len());
    for (c, chunk) in task_ids.chunks(LOOKUP_CHUNK).enumerate() {
        let q = DB::bind_text_list(DB::bind_text(query::<DB>(sql.clone()), family), chunk);
        for row in DB::fetch_all(&mut conn, q).await.map_err(db_err(action()))? {
            let position = DB::get_i64(&row, 0).map_err(db_err(action()))?.unwrap_or(-1);
            if let Some(slot) = usize::try_from(position)
                .ok()
                .and_then(|i| found.get_mut(c * LOOKUP_CHUNK + i))
            {
                *slot = true;
            }
        }
    }
    Ok(found)
}

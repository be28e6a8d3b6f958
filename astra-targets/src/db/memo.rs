//! The input memo: which task an input file made, so that a run finding its work done
//! need not read the file again.
//!
//! A plugin's task is a function of the input's content, the plugin's version, its
//! model and the output root. The runner records, per plugin and such a *context*, each
//! input path's *stamp* (its size, modification time and inode: the file as it was
//! read), the task id and the astraSource path it made. A later run whose input has the
//! same stamp takes the task from the memo; an input whose stamp changed is read again.
//! The memo only names tasks: whether a task is complete is still decided by its result
//! row and its file. Once a task's row is committed, its entry also holds the stamp of
//! its astraSource file, so a later run checks the file with one `stat`.

use std::collections::HashMap;

use super::backend::{Backend, query};
use super::connect::Database;
use super::dialect;
use super::dispatch::dispatch;
use super::error::db_err;
use super::pool::Pools;
use super::retry::with_retry;
use crate::Result;

/// What the memo holds for one input path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InputMemo {
    /// The input file's stamp when it was read (size, modification time, inode).
    pub stamp: String,
    /// The task id it made.
    pub task_id: String,
    /// The astraSource file of the task (empty for a plugin writing rows only).
    pub output: String,
    /// The astraSource file's stamp when its task's row was committed (empty when not
    /// known): a file with that stamp is the one committed, whole.
    pub output_stamp: String,
}

impl InputMemo {
    /// A memo entry.
    pub fn new(stamp: impl Into<String>, task_id: impl Into<String>, output: impl Into<String>) -> Self {
        InputMemo {
            stamp: stamp.into(),
            task_id: task_id.into(),
            output: output.into(),
            output_stamp: String::new(),
        }
    }

    /// The entry with the astraSource file's stamp at commit.
    pub fn with_output_stamp(mut self, stamp: impl Into<String>) -> Self {
        self.output_stamp = stamp.into();
        self
    }

    // Stamps and task ids hold no tab; the output path comes last, whatever it holds.
    fn pack(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}",
            self.stamp, self.task_id, self.output_stamp, self.output
        )
    }

    fn unpack(text: &str) -> Option<InputMemo> {
        let mut parts = text.splitn(4, '\t');
        let (stamp, task_id, output_stamp, output) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        Some(InputMemo::new(stamp, task_id, output).with_output_stamp(output_stamp))
    }
}

/// Rows per statement.
const CHUNK: usize = 10_000;

impl Database {
    /// The memo entries of `paths` (plugin `plugin`, context `context`), in the order
    /// given; `None` where there is none. One query per 10,000 paths.
    pub async fn input_memos(&self, plugin: &str, context: &str, paths: &[&str]) -> Result<Vec<Option<InputMemo>>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, p => input_memos(p, plugin, context, paths).await)
    }

    /// Records memo entries (replacing those of the same paths), in one transaction.
    /// Text holding NUL bytes cannot be stored: such an entry is left out.
    pub async fn put_input_memos(&self, plugin: &str, context: &str, entries: &[(&str, InputMemo)]) -> Result<()> {
        self.check_writable(|| format!("record {} inputs of {plugin}", entries.len()))?;
        let packed: Vec<(&str, String)> = entries
            .iter()
            .map(|(path, memo)| (*path, memo.pack()))
            .filter(|(path, memo)| !path.contains('\0') && !memo.contains('\0'))
            .collect();
        if packed.is_empty() || plugin.contains('\0') || context.contains('\0') {
            return Ok(());
        }
        dispatch!(self, p => with_retry(|| put_input_memos(p, plugin, context, &packed)).await)
    }
}

async fn input_memos<DB: Backend>(
    p: &Pools<DB>,
    plugin: &str,
    context: &str,
    paths: &[&str],
) -> Result<Vec<Option<InputMemo>>> {
    let mut found: HashMap<String, InputMemo> = HashMap::with_capacity(paths.len());
    let mut conn = p.read_conn().await?;
    let sql = format!(
        "SELECT path, memo FROM astra_input WHERE plugin = $1 AND context = $2 AND {}",
        dialect::in_text_list(DB::DIALECT, "path", 3)
    );
    let action = || format!("reading the input memo of {plugin}");
    for chunk in paths.chunks(CHUNK) {
        let q = DB::bind_text_list(
            DB::bind_text(DB::bind_text(query::<DB>(sql.clone()), plugin), context),
            chunk,
        );
        for row in DB::fetch_all(&mut conn, q).await.map_err(db_err(action()))? {
            let path = DB::get_text(&row, 0).map_err(db_err(action()))?.unwrap_or_default();
            let memo = DB::get_text(&row, 1).map_err(db_err(action()))?.unwrap_or_default();
            if let Some(memo) = InputMemo::unpack(&memo) {
                found.insert(path, memo);
            }
        }
    }
    Ok(paths.iter().map(|p| found.remove(*p)).collect())
}

async fn put_input_memos<DB: Backend>(
    p: &Pools<DB>,
    plugin: &str,
    context: &str,
    entries: &[(&str, String)],
) -> Result<()> {
    let mut tx = DB::begin_write(&p.pool)
        .await
        .map_err(db_err("beginning to record the input memo"))?;
    let sql = format!(
        "INSERT INTO astra_input (plugin, context, path, memo) SELECT $1, $2, v.c1, v.c2 FROM {} WHERE true \
         ON CONFLICT (plugin, context, path) DO UPDATE SET memo = excluded.memo",
        dialect::pair_source(DB::DIALECT, 3, "text")
    );
    for chunk in entries.chunks(CHUNK) {
        let (paths, memos): (Vec<&str>, Vec<&str>) = chunk.iter().map(|(p, m)| (*p, m.as_str())).unzip();
        let q = DB::bind_text_pairs(
            DB::bind_text(DB::bind_text(query::<DB>(sql.clone()), plugin), context),
            &paths,
            &memos,
        );
        DB::execute(&mut *tx, q)
            .await
            .map_err(db_err(format!("recording {} inputs of {plugin}", chunk.len())))?;
    }
    tx.commit()
        .await
        .map_err(db_err(format!("committing the input memo of {plugin}")))
}

//! Writing results: task rows, parameters, outputs (with copy on write) and result rows,
//! for one task or many in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::Transaction;

use super::backend::{Backend, OutputRows, query};
use super::dialect;
use super::error::db_err;
use super::pool::Pools;
use super::retry::with_retry;
use super::stages::{Laps, WriteStages};
use super::values::{check_text, ident};
use crate::column::AstraResults;
use crate::task::{AstraTask, TaskMeta};
use crate::{Error, Result};

/// One task's write: its id and parameters (checked before any SQL runs) and its rows
/// (checked one by one as they are inserted, inside the transaction).
pub(crate) struct Prepared<'a, R> {
    /// The task id.
    pub task_id: String,
    /// `(parameter_name, parameter_value)` pairs, values as Python's `str()`.
    pub params: Vec<(&'static str, String)>,
    /// The result rows, in row order.
    pub rows: &'a [R],
}

/// A task's id and checked parameters, with its rows.
pub(crate) fn prepare<'a, T: AstraTask>(task: &T, rows: &'a [T::Results]) -> Result<Prepared<'a, T::Results>> {
    let task_id = task.task_id();
    let params = task_params(task, &task_id)?;
    Ok(Prepared { task_id, params, rows })
}

/// A task's `(name, value)` parameter pairs, refusing NUL bytes.
pub(crate) fn task_params<T: AstraTask>(task: &T, task_id: &str) -> Result<Vec<(&'static str, String)>> {
    let values = task.parameters();
    let mut out = Vec::with_capacity(values.values().len());
    for (meta, value) in values.iter() {
        let text = value.python_str();
        check_text(task_id, || format!("parameter `{}`", meta.name), &text)?;
        out.push((meta.name, text));
    }
    Ok(out)
}

/// The statements per chunk of `width`-wide tuples under the backend's bind limit.
fn chunk_rows<DB: Backend>(width: usize, cap: usize) -> usize {
    ((DB::BIND_LIMIT - 1) / width).clamp(1, cap)
}

/// A task row as the write found it.
#[derive(Clone, Copy)]
pub(crate) struct TaskKeys {
    pub pk: i64,
    pub output_pk: Option<i64>,
}

/// The number of list elements bound in one statement.
const LIST_CHUNK: usize = 50_000;

/// Inserts the task rows that are missing and touches `modified` of the others (taking
/// their row locks on PostgreSQL), then links their parameters. `tasks` are sorted by id
/// (a consistent lock order among concurrent writers); returns their keys by task id.
pub(crate) async fn upsert_tasks<DB: Backend>(
    tx: &mut Transaction<'static, DB>,
    family: &str,
    tasks: &[(&str, &[(&'static str, String)])],
) -> Result<HashMap<String, TaskKeys>> {
    let keys = insert_tasks::<DB>(tx, family, tasks, None).await?;
    link_parameters::<DB>(tx, tasks, &keys, &mut Laps::new(None)).await?;
    Ok(keys)
}

/// The task rows of [`upsert_tasks`], without their parameters. With `reserved` (one
/// output per task, same order), each task created, or found without an output, is
/// pointed at its reserved output in the same statement; a task with an output keeps
/// it. Returns the keys by task id.
async fn insert_tasks<DB: Backend>(
    tx: &mut Transaction<'static, DB>,
    family: &str,
    tasks: &[(&str, &[(&'static str, String)])],
    reserved: Option<&[i64]>,
) -> Result<HashMap<String, TaskKeys>> {
    let now = dialect::now(DB::DIALECT);
    let action = || format!("creating task rows of {family}");
    let mut keys = HashMap::with_capacity(tasks.len());
    let sql = match reserved {
        None => format!(
            "INSERT INTO task (task_module, task_id, status_code, created, modified) \
             SELECT $1, v.c1, 0, {now}, {now} FROM {} WHERE true \
             ON CONFLICT (task_module, task_id) DO UPDATE SET modified = excluded.modified \
             RETURNING pk, task_id, output_pk",
            dialect::list_source(DB::DIALECT, 2, "text")
        ),
        Some(_) => format!(
            "INSERT INTO task (task_module, task_id, status_code, created, modified, output_pk) \
             SELECT $1, v.c1, 0, {now}, {now}, v.c2 FROM {} WHERE true \
             ON CONFLICT (task_module, task_id) DO UPDATE SET modified = excluded.modified, \
             output_pk = coalesce(task.output_pk, excluded.output_pk) \
             RETURNING pk, task_id, output_pk",
            dialect::text_key_pairs(DB::DIALECT, 2)
        ),
    };
    for (c, chunk) in tasks.chunks(LIST_CHUNK).enumerate() {
        let ids: Vec<&str> = chunk.iter().map(|(id, _)| *id).collect();
        let q = DB::bind_text(query::<DB>(sql.clone()), family);
        let q = match reserved.and_then(|r| r.get(c * LIST_CHUNK..c * LIST_CHUNK + chunk.len())) {
            Some(outputs) => DB::bind_text_key_pairs(q, &ids, outputs),
            None => DB::bind_text_list(q, &ids),
        };
        for row in DB::fetch_all(tx, q).await.map_err(db_err(action()))? {
            let pk = DB::get_i64(&row, 0).map_err(db_err(action()))?.unwrap_or_default();
            let id = DB::get_text(&row, 1).map_err(db_err(action()))?.unwrap_or_default();
            let output_pk = DB::get_i64(&row, 2).map_err(db_err(action()))?;
            keys.insert(id, TaskKeys { pk, output_pk });
        }
    }
    Ok(keys)
}

/// Stores the parameters (deduplicated) and links each task to its own, replacing the
/// links of an earlier run: a task has one value per parameter name, the latest run's.
async fn link_parameters<DB: Backend>(
    tx: &mut Transaction<'static, DB>,
    tasks: &[(&str, &[(&'static str, String)])],
    keys: &HashMap<String, TaskKeys>,
    laps: &mut Laps<'_>,
) -> Result<()> {
    let task_pks: Vec<i64> = tasks.iter().filter_map(|(id, _)| keys.get(*id).map(|k| k.pk)).collect();
    let unlink = format!(
        "DELETE FROM task_parameter WHERE task_pk IN (SELECT v.c1 FROM {})",
        dialect::list_source(DB::DIALECT, 1, "bigint")
    );
    for chunk in task_pks.chunks(LIST_CHUNK) {
        let q = DB::bind_i64_list(query::<DB>(unlink.clone()), chunk);
        DB::execute(tx, q).await.map_err(db_err("replacing task parameters"))?;
    }
    let distinct: Vec<(&str, &str)> = tasks
        .iter()
        .flat_map(|(_, ps)| ps.iter().map(|(n, v)| (*n, v.as_str())))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if distinct.is_empty() {
        laps.lap(|s| &mut s.parameters);
        return Ok(());
    }
    let keys_in_order = DB::parameter_keys(&mut **tx, &distinct).await?;
    let pks: HashMap<(&str, &str), i64> = distinct.iter().copied().zip(keys_in_order).collect();
    let mut links: Vec<(i64, i64)> = Vec::with_capacity(tasks.iter().map(|(_, ps)| ps.len()).sum());
    for (id, ps) in tasks {
        let task_pk = keys[*id].pk;
        for (n, v) in ps.iter() {
            let parameter_pk = pks
                .get(&(*n, v.as_str()))
                .copied()
                .ok_or_else(|| db_err(format!("reading the key of parameter {n} = {v:?}"))(sqlx::Error::RowNotFound))?;
            links.push((task_pk, parameter_pk));
        }
    }
    links.sort_unstable();
    links.dedup();
    laps.lap(|s| &mut s.parameters);
    DB::insert_links(&mut **tx, &links).await?;
    laps.lap(|s| &mut s.links);
    Ok(())
}

/// The keys of `(parameter_name, parameter_value)` pairs, in their order, inserting the
/// missing ones, with the pairs bound as lists ([`dialect::pair_source`]): two statements
/// per 50,000.
pub(crate) async fn parameter_keys_by_lists<DB: Backend>(
    conn: &mut DB::Connection,
    pairs: &[(&str, &str)],
) -> Result<Vec<i64>> {
    let action = "storing task parameters";
    let source = dialect::pair_source(DB::DIALECT, 1, "text");
    let insert = format!(
        "INSERT INTO parameter (parameter_name, parameter_value) SELECT v.c1, v.c2 FROM {source} WHERE true \
         ON CONFLICT (parameter_name, parameter_value) DO NOTHING"
    );
    let select = format!(
        "SELECT p.pk, p.parameter_name, p.parameter_value FROM {source} \
         JOIN parameter p ON p.parameter_name = v.c1 AND p.parameter_value = v.c2"
    );
    let mut pks: HashMap<(String, String), i64> = HashMap::with_capacity(pairs.len());
    for chunk in pairs.chunks(LIST_CHUNK) {
        let names: Vec<&str> = chunk.iter().map(|(n, _)| *n).collect();
        let values: Vec<&str> = chunk.iter().map(|(_, v)| *v).collect();
        let q = DB::bind_text_pairs(query::<DB>(insert.clone()), &names, &values);
        DB::execute(conn, q).await.map_err(db_err(action))?;
        let q = DB::bind_text_pairs(query::<DB>(select.clone()), &names, &values);
        for row in DB::fetch_all(conn, q).await.map_err(db_err(action))? {
            let pk = DB::get_i64(&row, 0).map_err(db_err(action))?.unwrap_or_default();
            let n = DB::get_text(&row, 1).map_err(db_err(action))?.unwrap_or_default();
            let v = DB::get_text(&row, 2).map_err(db_err(action))?.unwrap_or_default();
            pks.insert((n, v), pk);
        }
    }
    pairs
        .iter()
        .map(|(n, v)| {
            pks.get(&(n.to_string(), v.to_string()))
                .copied()
                .ok_or_else(|| db_err(format!("reading the key of parameter {n} = {v:?}"))(sqlx::Error::RowNotFound))
        })
        .collect()
}

/// Inserts `(task_pk, parameter_pk)` links, keeping those already there, with the pairs
/// bound as lists ([`dialect::pair_source`]): one statement per 50,000.
pub(crate) async fn insert_links_by_lists<DB: Backend>(conn: &mut DB::Connection, links: &[(i64, i64)]) -> Result<()> {
    let sql = format!(
        "INSERT INTO task_parameter (task_pk, parameter_pk) SELECT v.c1, v.c2 FROM {} WHERE true \
         ON CONFLICT DO NOTHING",
        dialect::pair_source(DB::DIALECT, 1, "bigint")
    );
    for chunk in links.chunks(LIST_CHUNK) {
        let (t, p): (Vec<i64>, Vec<i64>) = chunk.iter().copied().unzip();
        let q = DB::bind_i64_pairs(query::<DB>(sql.clone()), &t, &p);
        DB::execute(conn, q).await.map_err(db_err("storing task parameters"))?;
    }
    Ok(())
}

/// The outputs among `outputs` that more than one task points at.
pub(crate) async fn shared_outputs<DB: Backend>(
    tx: &mut Transaction<'static, DB>,
    outputs: &[i64],
) -> Result<HashSet<i64>> {
    let mut shared = HashSet::new();
    for chunk in outputs.chunks(chunk_rows::<DB>(1, 10_000)) {
        let sql = format!(
            "SELECT output_pk FROM task WHERE output_pk IN ({}) GROUP BY output_pk HAVING count(*) > 1",
            dialect::placeholders(DB::DIALECT, 1, chunk.len())
        );
        let mut q = query::<DB>(sql);
        for o in chunk {
            q = DB::bind_i64(q, *o);
        }
        for row in DB::fetch_all(tx, q).await.map_err(db_err("checking shared outputs"))? {
            if let Some(o) = DB::get_i64(&row, 0).map_err(db_err("checking shared outputs"))? {
                shared.insert(o);
            }
        }
    }
    Ok(shared)
}

/// Creates `n` new outputs, returning their keys.
pub(crate) async fn new_outputs<DB: Backend>(tx: &mut Transaction<'static, DB>, n: usize) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let q = DB::bind_i64(query::<DB>(dialect::new_outputs(DB::DIALECT).into()), n as i64);
    let rows = DB::fetch_all(tx, q).await.map_err(db_err("creating outputs"))?;
    let mut out = Vec::with_capacity(n);
    for row in rows {
        out.push(
            DB::get_i64(&row, 0)
                .map_err(db_err("creating outputs"))?
                .unwrap_or_default(),
        );
    }
    Ok(out)
}

/// Points tasks at outputs: `(task_pk, output_pk)` pairs.
pub(crate) async fn point_tasks<DB: Backend>(tx: &mut Transaction<'static, DB>, pairs: &[(i64, i64)]) -> Result<()> {
    let sql = format!(
        "UPDATE task SET output_pk = v.c2, modified = {} FROM {} WHERE task.pk = v.c1",
        dialect::now(DB::DIALECT),
        dialect::pair_source(DB::DIALECT, 1, "bigint")
    );
    for chunk in pairs.chunks(LIST_CHUNK) {
        let (t, o): (Vec<i64>, Vec<i64>) = chunk.iter().copied().unzip();
        let q = DB::bind_i64_pairs(query::<DB>(sql.clone()), &t, &o);
        DB::execute(tx, q)
            .await
            .map_err(db_err("pointing tasks at their outputs"))?;
    }
    Ok(())
}

/// Deletes outputs no task points at (reserved for a write and not needed).
async fn delete_outputs<DB: Backend>(tx: &mut Transaction<'static, DB>, outputs: &[i64]) -> Result<()> {
    for chunk in outputs.chunks(chunk_rows::<DB>(1, 10_000)) {
        let sql = format!(
            "DELETE FROM output_interface WHERE pk IN ({})",
            dialect::placeholders(DB::DIALECT, 1, chunk.len())
        );
        let mut q = query::<DB>(sql);
        for o in chunk {
            q = DB::bind_i64(q, *o);
        }
        DB::execute(tx, q)
            .await
            .map_err(db_err("dropping outputs reserved for tasks that kept theirs"))?;
    }
    Ok(())
}

/// Deletes the result rows of outputs from a result table.
pub(crate) async fn delete_rows<DB: Backend>(
    tx: &mut Transaction<'static, DB>,
    table: &str,
    outputs: &[i64],
) -> Result<()> {
    for chunk in outputs.chunks(chunk_rows::<DB>(1, 10_000)) {
        let sql = format!(
            "DELETE FROM {} WHERE output_pk IN ({})",
            ident(table),
            dialect::placeholders(DB::DIALECT, 1, chunk.len())
        );
        let mut q = query::<DB>(sql);
        for o in chunk {
            q = DB::bind_i64(q, *o);
        }
        DB::execute(tx, q)
            .await
            .map_err(db_err(format!("replacing rows of `{table}`")))?;
    }
    Ok(())
}

/// Writes many tasks' results in one transaction (retried on lock conflicts): each task's
/// rows replace its previous rows; a task whose output is shared gets a new output first.
pub(crate) async fn write_tasks<DB: Backend, R: AstraResults + Sync>(
    p: &Pools<DB>,
    meta: &TaskMeta,
    tasks: &[Prepared<'_, R>],
) -> Result<WriteStages> {
    // The last write of a task id wins; tasks in id order.
    let by_id: BTreeMap<&str, &Prepared<'_, R>> = tasks.iter().map(|t| (t.task_id.as_str(), t)).collect();
    if by_id.is_empty() {
        return Ok(WriteStages::default());
    }
    let sorted: Vec<&Prepared<'_, R>> = by_id.into_values().collect();
    with_retry(|| write_once(p, meta, &sorted)).await
}

async fn write_once<DB: Backend, R: AstraResults + Sync>(
    p: &Pools<DB>,
    meta: &TaskMeta,
    tasks: &[&Prepared<'_, R>],
) -> Result<WriteStages> {
    let mut stages = WriteStages::default();
    let mut tx = DB::begin_write(&p.pool).await.map_err(db_err("beginning a write"))?;
    let mut laps = Laps::new(Some(&mut stages));
    write_timed::<DB, R>(&mut tx, meta, tasks, &mut laps).await?;
    tx.commit()
        .await
        .map_err(db_err(format!("committing results of {}", meta.family)))?;
    laps.lap(|s| &mut s.commit);
    Ok(stages)
}

/// Writes tasks' results inside the transaction `tx` (tasks sorted by id, ids distinct);
/// returns the task rows' keys by task id.
pub(crate) async fn write_in<DB: Backend, R: AstraResults + Sync>(
    tx: &mut Transaction<'static, DB>,
    meta: &TaskMeta,
    tasks: &[&Prepared<'_, R>],
) -> Result<HashMap<String, TaskKeys>> {
    write_timed::<DB, R>(tx, meta, tasks, &mut Laps::new(None)).await
}

/// [`write_in`], each stage's time added to `laps`.
async fn write_timed<DB: Backend, R: AstraResults + Sync>(
    tx: &mut Transaction<'static, DB>,
    meta: &TaskMeta,
    tasks: &[&Prepared<'_, R>],
    laps: &mut Laps<'_>,
) -> Result<HashMap<String, TaskKeys>> {
    let family = meta.family;
    let ids: Vec<(&str, &[(&'static str, String)])> = tasks
        .iter()
        .map(|t| (t.task_id.as_str(), t.params.as_slice()))
        .collect();
    // Every task gets an output reserved up front and pointed at in the task insert; a
    // task that already had one keeps it (and its reserved output is dropped) unless
    // another task shares it, then it moves to its reserved output.
    let reserved = new_outputs::<DB>(tx, tasks.len()).await?;
    if reserved.len() != tasks.len() {
        return Err(Error::Missing {
            task_id: tasks.first().map(|t| t.task_id.clone()).unwrap_or_default(),
            reason: format!("{} outputs created for {} tasks", reserved.len(), tasks.len()),
        });
    }
    let keys = insert_tasks::<DB>(tx, family, &ids, Some(&reserved)).await?;
    laps.lap(|s| &mut s.tasks);
    link_parameters::<DB>(tx, &ids, &keys, laps).await?;
    let key = |id: &str| -> Result<TaskKeys> {
        keys.get(id).copied().ok_or_else(|| Error::Missing {
            task_id: id.to_string(),
            reason: "task row not returned".into(),
        })
    };
    // (position, the task's key, its earlier output) of the tasks that kept an output.
    let mut earlier = Vec::new();
    for (i, t) in tasks.iter().enumerate() {
        let k = key(&t.task_id)?;
        match k.output_pk {
            Some(o) if o == reserved[i] => {}
            Some(o) => earlier.push((i, k.pk, o)),
            None => {
                return Err(Error::Missing {
                    task_id: t.task_id.clone(),
                    reason: "the task row has no output after the write".into(),
                });
            }
        }
    }
    let kept: Vec<i64> = earlier.iter().map(|(_, _, o)| *o).collect();
    let shared = shared_outputs::<DB>(tx, &kept).await?;
    let mut output_of: Vec<i64> = reserved.clone();
    let (mut moved, mut reuse, mut unused) = (Vec::new(), Vec::new(), Vec::new());
    for (i, pk, o) in earlier {
        if shared.contains(&o) {
            moved.push((pk, reserved[i]));
        } else {
            reuse.push(o);
            unused.push(reserved[i]);
            output_of[i] = o;
        }
    }
    point_tasks::<DB>(tx, &moved).await?;
    delete_rows::<DB>(tx, meta.table, &reuse).await?;
    delete_outputs::<DB>(tx, &unused).await?;
    let outputs: Vec<OutputRows<'_, R>> = tasks
        .iter()
        .zip(output_of)
        .map(|(t, output_pk)| OutputRows {
            task_id: &t.task_id,
            output_pk,
            rows: t.rows,
        })
        .collect();
    laps.lap(|s| &mut s.outputs);
    DB::insert_rows(&mut **tx, meta.table, meta.results, &outputs).await?;
    laps.lap(|s| &mut s.rows);
    Ok(keys)
}

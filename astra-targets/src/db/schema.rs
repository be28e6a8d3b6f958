//! The schema: the task tables, and one result table per task family generated from its
//! result columns, created when missing and grown when a result struct gains a column.

use super::backend::{Backend, query};
use super::connect::{Pools, db_err, with_retry};
use super::dialect;
use super::values::{ident, is_identifier};
use crate::column::ColumnMeta;
use crate::task::TaskMeta;
use crate::{Error, Result};

/// The tables every database has; result tables may not take these names.
pub(crate) const TASK_TABLES: [&str; 4] = ["output_interface", "task", "parameter", "task_parameter"];

/// The statements creating the task tables.
fn task_tables_ddl<DB: Backend>() -> Vec<String> {
    let d = DB::DIALECT;
    let (pk, ts, dbl) = (dialect::pk_type(d), dialect::timestamp_type(d), dialect::double_type(d));
    vec![
        format!("CREATE TABLE IF NOT EXISTS output_interface (pk {pk})"),
        format!(
            "CREATE TABLE IF NOT EXISTS task (pk {pk}, task_module TEXT NOT NULL, task_id TEXT NOT NULL, \
             status_code INTEGER NOT NULL DEFAULT 0, output_pk BIGINT REFERENCES output_interface (pk), \
             duration {dbl}, created {ts} NOT NULL, modified {ts} NOT NULL, UNIQUE (task_module, task_id))"
        ),
        "CREATE INDEX IF NOT EXISTS task_output_pk ON task (output_pk)".into(),
        format!(
            "CREATE TABLE IF NOT EXISTS parameter (pk {pk}, parameter_name TEXT NOT NULL, \
             parameter_value TEXT NOT NULL, UNIQUE (parameter_name, parameter_value))"
        ),
        "CREATE TABLE IF NOT EXISTS task_parameter (\
         task_pk BIGINT NOT NULL REFERENCES task (pk) ON DELETE CASCADE, \
         parameter_pk BIGINT NOT NULL REFERENCES parameter (pk), PRIMARY KEY (task_pk, parameter_pk))"
            .into(),
        "CREATE INDEX IF NOT EXISTS task_parameter_parameter ON task_parameter (parameter_pk)".into(),
    ]
}

/// Creates the task tables when missing.
pub(crate) async fn create_task_tables<DB: Backend>(p: &Pools<DB>) -> Result<()> {
    with_retry(|| async {
        let mut tx = DB::begin_write(&p.pool)
            .await
            .map_err(db_err("beginning the schema transaction"))?;
        if let Some(lock) = dialect::schema_lock(DB::DIALECT) {
            DB::execute(&mut tx, query::<DB>(lock.into()))
                .await
                .map_err(db_err("locking the schema"))?;
        }
        for sql in task_tables_ddl::<DB>() {
            DB::execute(&mut tx, query::<DB>(sql))
                .await
                .map_err(db_err("creating the task tables"))?;
        }
        tx.commit().await.map_err(db_err("committing the task tables"))
    })
    .await
}

/// A key naming a result table with its declared columns and types.
pub(crate) fn table_key(meta: &TaskMeta) -> String {
    let mut key = meta.table.to_string();
    for c in meta.results {
        key.push_str(&format!(":{}/{:?}/{}", c.name, c.ty, c.shape.len()));
    }
    key
}

/// Checks that the table and column names are plain identifiers not clashing with the
/// task tables or the key columns (the derive checks this too).
fn check_names(meta: &TaskMeta) -> Result<()> {
    let schema_err = |column: &str, reason: &str| Error::Schema {
        table: meta.table.to_string(),
        column: column.to_string(),
        reason: reason.to_string(),
    };
    if !is_identifier(meta.table) || TASK_TABLES.contains(&meta.table.to_ascii_lowercase().as_str()) {
        return Err(schema_err("", "is not a usable result table name"));
    }
    for c in meta.results {
        debug_assert!(is_identifier(c.name), "column name {:?} is not an identifier", c.name);
        if !is_identifier(c.name) || matches!(c.name.to_ascii_lowercase().as_str(), "output_pk" | "row_index") {
            return Err(schema_err(c.name, "is not a usable result column name"));
        }
    }
    Ok(())
}

/// The declared SQL types normalised for comparison.
fn same_type(stored: &str, declared: &str) -> bool {
    stored.trim().eq_ignore_ascii_case(declared)
}

/// Creates the result table of `meta` when missing, adds the columns it lacks, and refuses
/// a column whose stored SQL type differs from the declared one.
pub(crate) async fn ensure_result_table<DB: Backend>(p: &Pools<DB>, meta: &TaskMeta) -> Result<()> {
    check_names(meta)?;
    with_retry(|| async {
        let action = |what: &str| format!("{what} result table `{}`", meta.table);
        let mut tx = DB::begin_write(&p.pool)
            .await
            .map_err(db_err(action("beginning to check")))?;
        if let Some(lock) = dialect::schema_lock(DB::DIALECT) {
            DB::execute(&mut tx, query::<DB>(lock.into()))
                .await
                .map_err(db_err("locking the schema"))?;
        }
        let q = DB::bind_text(query::<DB>(dialect::table_columns(DB::DIALECT).into()), meta.table);
        let rows = DB::fetch_all(&mut tx, q).await.map_err(db_err(action("inspecting")))?;
        let mut existing = Vec::with_capacity(rows.len());
        for row in &rows {
            let name = DB::get_text(row, 0)
                .map_err(db_err(action("inspecting")))?
                .unwrap_or_default();
            let ty = DB::get_text(row, 1)
                .map_err(db_err(action("inspecting")))?
                .unwrap_or_default();
            existing.push((name, ty));
        }
        let statements = if existing.is_empty() {
            vec![create_sql::<DB>(meta)]
        } else {
            alter_sql::<DB>(meta, &existing)?
        };
        for sql in statements {
            DB::execute(&mut tx, query::<DB>(sql))
                .await
                .map_err(db_err(action("creating or growing")))?;
        }
        tx.commit().await.map_err(db_err(action("committing")))
    })
    .await
}

fn column_ddl<DB: Backend>(c: &ColumnMeta) -> String {
    format!("{} {}", ident(c.name), c.sql_type(DB::DIALECT))
}

fn create_sql<DB: Backend>(meta: &TaskMeta) -> String {
    // No foreign key on output_pk: every output key is taken from output_interface in the
    // transaction that writes its rows, and a per-row key check would slow bulk loads.
    let mut cols = vec![
        "output_pk BIGINT NOT NULL".to_string(),
        "row_index INTEGER NOT NULL".to_string(),
    ];
    cols.extend(meta.results.iter().map(column_ddl::<DB>));
    cols.push("PRIMARY KEY (output_pk, row_index)".into());
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({}){}",
        ident(meta.table),
        cols.join(", "),
        dialect::clustered_by_key(DB::DIALECT)
    )
}

fn alter_sql<DB: Backend>(meta: &TaskMeta, existing: &[(String, String)]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for c in meta.results {
        let declared = c.sql_type(DB::DIALECT);
        match existing.iter().find(|(name, _)| name.eq_ignore_ascii_case(c.name)) {
            Some((_, stored)) if !same_type(stored, declared) => {
                return Err(Error::Schema {
                    table: meta.table.to_string(),
                    column: c.name.to_string(),
                    reason: format!(
                        "is stored as {stored} but the result struct {} declares {declared}; \
                         a column's type cannot change (use a new column or table name)",
                        meta.results_type
                    ),
                });
            }
            Some(_) => {}
            None => out.push(format!(
                "ALTER TABLE {} ADD COLUMN {}",
                ident(meta.table),
                column_ddl::<DB>(c)
            )),
        }
    }
    Ok(out)
}

//! The schema: the task tables (a task's `message` column holds the error of its last
//! failed run), and one result table per task family generated from its
//! result columns, created when missing and grown when a result struct gains a column.
//!
//! Each result column's declared type (scalar type and array shape) is kept in the table
//! `astra_column(table_name, column_name, scalar_type, shape)`, so that a change the
//! backend would store alike (`f64` to `f32` are both `REAL` on SQLite; `[f32; 3]` to
//! `[f32; 4]` are one BLOB or array type on both) is refused the same way on both.
//!
//! The named bits of bitmask columns are kept in
//! `astra_flag(table_name, column_name, bit, name, description)`, one row per bit, as the
//! result struct declares them now: each check of a result table replaces the rows of its
//! bitmask columns when they differ from the declaration.

use super::backend::{Backend, query};
use super::dialect;
use super::error::db_err;
use super::pool::Pools;
use super::retry::with_retry;
use super::values::{ident, is_identifier};
use crate::column::ColumnMeta;
use crate::task::TaskMeta;
use crate::{Error, Result};

/// The tables every database has; result tables may not take these names.
pub const TASK_TABLES: [&str; 7] = [
    "output_interface",
    "task",
    "parameter",
    "task_parameter",
    "astra_column",
    "astra_input",
    "astra_flag",
];

/// The key columns that begin every result table, before the result columns: name, SQL
/// type (the same on both backends), Rust type and description.
pub const RESULT_KEY_COLUMNS: [(&str, &str, &str, &str); 2] = [
    (
        "output_pk",
        "BIGINT",
        "i64",
        "Key of the task's output: the task table's output_pk of the task that wrote the row",
    ),
    (
        "row_index",
        "INTEGER",
        "i32",
        "Index of the row among its task's result rows",
    ),
];

/// The statements creating the task tables.
fn task_tables_ddl<DB: Backend>() -> Vec<String> {
    let d = DB::DIALECT;
    let (pk, ts, dbl) = (dialect::pk_type(d), dialect::timestamp_type(d), dialect::double_type(d));
    vec![
        format!("CREATE TABLE IF NOT EXISTS output_interface (pk {pk})"),
        format!(
            "CREATE TABLE IF NOT EXISTS task (pk {pk}, task_module TEXT NOT NULL, task_id TEXT NOT NULL, \
             status_code INTEGER NOT NULL DEFAULT 0, output_pk BIGINT REFERENCES output_interface (pk), \
             duration {dbl}, created {ts} NOT NULL, modified {ts} NOT NULL, message TEXT NULL, \
             UNIQUE (task_module, task_id))"
        ),
        "CREATE INDEX IF NOT EXISTS task_output_pk ON task (output_pk)".into(),
        format!(
            "CREATE TABLE IF NOT EXISTS parameter (pk {pk}, parameter_name TEXT NOT NULL, \
             parameter_value TEXT NOT NULL, UNIQUE (parameter_name, parameter_value))"
        ),
        // No foreign keys: both keys are taken in the transaction that writes the links
        // (keys are never reused, tasks never deleted), and PostgreSQL's two per-row key
        // checks cost more than the rest of a bulk write together.
        "CREATE TABLE IF NOT EXISTS task_parameter (task_pk BIGINT NOT NULL, parameter_pk BIGINT NOT NULL, \
         PRIMARY KEY (task_pk, parameter_pk))"
            .into(),
        "CREATE INDEX IF NOT EXISTS task_parameter_parameter ON task_parameter (parameter_pk)".into(),
        "CREATE TABLE IF NOT EXISTS astra_column (table_name TEXT NOT NULL, column_name TEXT NOT NULL, \
         scalar_type TEXT NOT NULL, shape TEXT NOT NULL, PRIMARY KEY (table_name, column_name))"
            .into(),
        "CREATE TABLE IF NOT EXISTS astra_input (plugin TEXT NOT NULL, context TEXT NOT NULL, \
         path TEXT NOT NULL, memo TEXT NOT NULL, PRIMARY KEY (plugin, context, path))"
            .into(),
        "CREATE TABLE IF NOT EXISTS astra_flag (table_name TEXT NOT NULL, column_name TEXT NOT NULL, \
         bit INTEGER NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL, \
         PRIMARY KEY (table_name, column_name, bit))"
            .into(),
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
        // A task table made before failures carried their message gains the column.
        let task_columns = columns_of::<DB>(&mut tx, "task").await?;
        if !task_columns.iter().any(|(n, _)| n.eq_ignore_ascii_case("message")) {
            DB::execute(
                &mut tx,
                query::<DB>("ALTER TABLE task ADD COLUMN message TEXT NULL".into()),
            )
            .await
            .map_err(db_err("adding the message column to the task table"))?;
        }
        tx.commit().await.map_err(db_err("committing the task tables"))
    })
    .await
}

/// A key naming a result table with its declared columns, types and named bits.
pub(crate) fn table_key(meta: &TaskMeta) -> String {
    let mut key = meta.table.to_string();
    for c in meta.results {
        key.push_str(&format!(":{}/{:?}/{:?}", c.name, c.ty, c.shape));
        for f in c.flags {
            key.push_str(&format!("/{}={}={}", f.bit, f.name, f.description));
        }
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

/// A column's shape as stored in `astra_column.shape`: empty for a scalar, else the
/// dimensions joined by `x` (`3`, `3x3`).
fn shape_text(shape: &[usize]) -> String {
    shape.iter().map(usize::to_string).collect::<Vec<_>>().join("x")
}

/// A declared type in Rust notation (`f64`, `[f32; 3]`, `[[f64; 3]; 3]`) from its stored
/// scalar type and shape.
fn declared_type(scalar: &str, shape: &str) -> String {
    let mut t = scalar.to_string();
    for d in shape
        .split('x')
        .filter(|d| !d.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        t = format!("[{t}; {d}]");
    }
    t
}

/// A column's declared type in Rust notation, without `Option`.
fn declared_of(c: &ColumnMeta) -> String {
    declared_type(c.ty.rust_name(), &shape_text(c.shape))
}

/// What the database holds of a result table: its columns with their SQL types, and the
/// declared types recorded in `astra_column` (`(column, scalar_type, shape)`).
struct Stored {
    columns: Vec<(String, String)>,
    declared: Vec<(String, String, String)>,
}

/// Reads what the database holds of `table`. `astra_column` may be missing only in a
/// database opened read-only (written by an older program).
async fn inspect<DB: Backend>(conn: &mut DB::Connection, table: &str) -> Result<Stored> {
    let action = || format!("inspecting result table `{table}`");
    let columns = columns_of::<DB>(&mut *conn, table).await?;
    let mut declared = Vec::new();
    if !columns.is_empty() && !columns_of::<DB>(&mut *conn, "astra_column").await?.is_empty() {
        let q = DB::bind_text(
            query::<DB>("SELECT column_name, scalar_type, shape FROM astra_column WHERE table_name = $1".into()),
            table,
        );
        for row in DB::fetch_all(conn, q).await.map_err(db_err(action()))? {
            let text = |i| {
                DB::get_text(&row, i)
                    .map(Option::unwrap_or_default)
                    .map_err(db_err(action()))
            };
            declared.push((text(0)?, text(1)?, text(2)?));
        }
    }
    Ok(Stored { columns, declared })
}

/// A table's columns and their SQL types; none when the table does not exist.
async fn columns_of<DB: Backend>(conn: &mut DB::Connection, table: &str) -> Result<Vec<(String, String)>> {
    let action = || format!("inspecting table `{table}`");
    let q = DB::bind_text(query::<DB>(dialect::table_columns(DB::DIALECT).into()), table);
    let rows = DB::fetch_all(conn, q).await.map_err(db_err(action()))?;
    rows.iter()
        .map(|row| {
            let name = DB::get_text(row, 0).map_err(db_err(action()))?.unwrap_or_default();
            let ty = DB::get_text(row, 1).map_err(db_err(action()))?.unwrap_or_default();
            Ok((name, ty))
        })
        .collect()
}

/// What to do to a result table: statements to run and declared types to record.
struct Plan {
    statements: Vec<String>,
    record: Vec<&'static ColumnMeta>,
}

/// Compares the declared columns of `meta` with what is stored: refuses any change of a
/// column's declared type (scalar type or shape), naming both; plans the table's creation,
/// the columns to add and the declared types to record.
fn plan<DB: Backend>(meta: &'static TaskMeta, stored: &Stored) -> Result<Plan> {
    if stored.columns.is_empty() {
        return Ok(Plan {
            statements: vec![create_sql::<DB>(meta)],
            record: meta.results.iter().collect(),
        });
    }
    let mut plan = Plan {
        statements: Vec::new(),
        record: Vec::new(),
    };
    for c in meta.results {
        let declared = c.sql_type(DB::DIALECT);
        let physical = stored.columns.iter().find(|(n, _)| n.eq_ignore_ascii_case(c.name));
        let recorded = stored.declared.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(c.name));
        let changed = |old: String| Error::Schema {
            table: meta.table.to_string(),
            column: c.name.to_string(),
            reason: format!(
                "was {old} but the result struct {} declares {} ({declared}); \
                 a column's declared type cannot change (use a new column or table name)",
                meta.results_type,
                declared_of(c),
            ),
        };
        match (physical, recorded) {
            (Some((_, sql)), Some((_, scalar, shape))) => {
                if scalar != c.ty.rust_name() || *shape != shape_text(c.shape) {
                    return Err(changed(format!(
                        "declared {} (stored as {sql})",
                        declared_type(scalar, shape)
                    )));
                }
            }
            (Some((_, sql)), None) => {
                // A column of a table made before declared types were recorded: its SQL
                // type must match, and its declared type is recorded from now on.
                if !same_type(sql, declared) {
                    return Err(changed(format!("stored as {sql}")));
                }
                plan.record.push(c);
            }
            (None, _) => {
                plan.statements.push(format!(
                    "ALTER TABLE {} ADD COLUMN {}",
                    ident(meta.table),
                    column_ddl::<DB>(c)
                ));
                plan.record.push(c);
            }
        }
    }
    Ok(plan)
}

/// Creates the result table of `meta` when missing, adds the columns it lacks, records
/// the declared types, and refuses a column whose declared type differs from the stored
/// one.
pub(crate) async fn ensure_result_table<DB: Backend>(p: &Pools<DB>, meta: &'static TaskMeta) -> Result<()> {
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
        let stored = inspect::<DB>(&mut tx, meta.table).await?;
        let plan = plan::<DB>(meta, &stored)?;
        for sql in plan.statements {
            DB::execute(&mut tx, query::<DB>(sql))
                .await
                .map_err(db_err(action("creating or growing")))?;
        }
        for c in plan.record {
            let q = query::<DB>(
                "INSERT INTO astra_column (table_name, column_name, scalar_type, shape) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (table_name, column_name) DO NOTHING"
                    .into(),
            );
            let q = DB::bind_text(DB::bind_text(q, meta.table), c.name);
            let q = DB::bind_text(DB::bind_text(q, c.ty.rust_name()), &shape_text(c.shape));
            DB::execute(&mut tx, q)
                .await
                .map_err(db_err(action("recording the column types of")))?;
        }
        record_flags::<DB>(&mut tx, meta).await?;
        tx.commit().await.map_err(db_err(action("committing")))
    })
    .await
}

/// Checks the result table of `meta` in a database opened read-only, changing nothing:
/// `false` when the table does not exist (no task of the family has a result); a changed
/// declared type or a missing column is refused.
pub(crate) async fn check_result_table<DB: Backend>(p: &Pools<DB>, meta: &'static TaskMeta) -> Result<bool> {
    check_names(meta)?;
    let mut conn = p.read_conn().await?;
    let stored = inspect::<DB>(&mut conn, meta.table).await?;
    if stored.columns.is_empty() {
        return Ok(false);
    }
    let plan = plan::<DB>(meta, &stored)?;
    if !plan.statements.is_empty() {
        let missing: Vec<&str> = meta
            .results
            .iter()
            .filter(|c| !stored.columns.iter().any(|(n, _)| n.eq_ignore_ascii_case(c.name)))
            .map(|c| c.name)
            .collect();
        return Err(Error::Schema {
            table: meta.table.to_string(),
            column: missing.join(", "),
            reason: "is not in the database, which is opened read-only, so it cannot be added".into(),
        });
    }
    Ok(true)
}

/// Records the named bits of the bitmask columns of `meta` in `astra_flag`: a column whose
/// recorded bits differ from its declared ones has its rows replaced; a column that is no
/// longer a bitmask keeps none.
async fn record_flags<DB: Backend>(conn: &mut DB::Connection, meta: &'static TaskMeta) -> Result<()> {
    let action = || format!("recording the named bits of result table `{}`", meta.table);
    let q = DB::bind_text(
        query::<DB>(
            "SELECT column_name, name, description, CAST(bit AS TEXT) FROM astra_flag WHERE table_name = $1 \
             ORDER BY column_name, bit"
                .into(),
        ),
        meta.table,
    );
    let mut stored: Vec<(String, String)> = Vec::new();
    for row in DB::fetch_all(&mut *conn, q).await.map_err(db_err(action()))? {
        let text = |i| {
            DB::get_text(&row, i)
                .map(Option::unwrap_or_default)
                .map_err(db_err(action()))
        };
        stored.push((text(0)?, format!("{}:{}:{}", text(3)?, text(1)?, text(2)?)));
    }
    let mut columns: Vec<&str> = stored.iter().map(|(c, _)| c.as_str()).collect();
    columns.extend(meta.results.iter().filter(|c| !c.flags.is_empty()).map(|c| c.name));
    columns.sort_unstable();
    columns.dedup();
    let columns: Vec<String> = columns.into_iter().map(str::to_string).collect();
    for column in columns {
        let declared = meta
            .results
            .iter()
            .find(|c| c.name == column)
            .map_or(&[][..], |c| c.flags);
        let mut want: Vec<String> = declared
            .iter()
            .map(|f| format!("{}:{}:{}", f.bit, f.name, f.description))
            .collect();
        let mut have: Vec<String> = stored
            .iter()
            .filter(|(c, _)| *c == column)
            .map(|(_, bit)| bit.clone())
            .collect();
        want.sort();
        have.sort();
        if want == have {
            continue;
        }
        let q = query::<DB>("DELETE FROM astra_flag WHERE table_name = $1 AND column_name = $2".into());
        DB::execute(&mut *conn, DB::bind_text(DB::bind_text(q, meta.table), &column))
            .await
            .map_err(db_err(action()))?;
        for f in declared {
            let q = query::<DB>(
                "INSERT INTO astra_flag (table_name, column_name, bit, name, description) \
                 VALUES ($1, $2, $3, $4, $5)"
                    .into(),
            );
            let q = DB::bind_text(DB::bind_text(q, meta.table), &column);
            let q = DB::bind_text(DB::bind_i64(q, i64::from(f.bit)), f.name);
            DB::execute(&mut *conn, DB::bind_text(q, f.description))
                .await
                .map_err(db_err(action()))?;
        }
    }
    Ok(())
}

fn column_ddl<DB: Backend>(c: &ColumnMeta) -> String {
    format!("{} {}", ident(c.name), c.sql_type(DB::DIALECT))
}

fn create_sql<DB: Backend>(meta: &TaskMeta) -> String {
    // No foreign key on output_pk: every output key is taken from output_interface in the
    // transaction that writes its rows, and a per-row key check would slow bulk loads.
    let mut cols: Vec<String> = RESULT_KEY_COLUMNS
        .iter()
        .map(|(name, ty, _, _)| format!("{name} {ty} NOT NULL"))
        .collect();
    cols.extend(meta.results.iter().map(column_ddl::<DB>));
    cols.push("PRIMARY KEY (output_pk, row_index)".into());
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({}){}",
        ident(meta.table),
        cols.join(", "),
        dialect::clustered_by_key(DB::DIALECT)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn declared_types_read_as_rust() {
        assert_eq!(super::shape_text(&[3, 3]), "3x3");
        assert_eq!(super::declared_type("f64", ""), "f64");
        assert_eq!(super::declared_type("f32", "3"), "[f32; 3]");
        assert_eq!(super::declared_type("f64", "2x3"), "[[f64; 3]; 2]");
    }
}

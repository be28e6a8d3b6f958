//! Database targets: a task's result rows in SQLite or PostgreSQL.
//!
//! A [`Database`] is opened from a URL alone: `sqlite://astra.db` (the default, a file
//! created when missing, in WAL mode) or `postgres://user@host/db`. It holds the task and
//! result tables of SPEC section 2:
//!
//! - `output_interface(pk)`: one key per result; several tasks may point at one result;
//! - `task(pk, task_module, task_id, status_code, output_pk, duration, created, modified)`,
//!   unique on `(task_module, task_id)`;
//! - `parameter(pk, parameter_name, parameter_value)` (deduplicated) and
//!   `task_parameter(task_pk, parameter_pk)`;
//! - one result table per task family (`TaskMeta::table`), keyed by
//!   `(output_pk, row_index)`, with one column per result column.
//!
//! A [`DatabaseTarget`] is one task's result: [`exists`](DatabaseTarget::exists),
//! [`read`](DatabaseTarget::read), [`write`](DatabaseTarget::write),
//! [`copy_from`](DatabaseTarget::copy_from), [`get_query`](DatabaseTarget::get_query) and
//! [`set_status`](DatabaseTarget::set_status). [`Database::write_many`] and
//! [`Database::exists_many`] do the same for many tasks at once.
//!
//! Values are always bound; identifiers come only from task metadata. Vector columns are
//! PostgreSQL arrays (flattened, row-major) and SQLite little-endian BLOBs. NaN floats are
//! stored as NULL and read back as NaN. Text holding a NUL byte is refused on both
//! backends (PostgreSQL text cannot hold it). Timestamps are UTC; durations are seconds.
//!
//! Concurrency: several processes may write overlapping tasks into one database. SQLite
//! writers take the write lock up front (`BEGIN IMMEDIATE`, WAL journal, a 30 s busy
//! timeout); PostgreSQL writers upsert task rows (`ON CONFLICT`), which locks them, in
//! task-id order. Lock conflicts and deadlocks retry the whole transaction. Either way
//! each task ends with one task row and one result set.
//!
//! Speed: rows go to PostgreSQL through binary `COPY` (500 rows and more) and to SQLite
//! through SQLite's C API on sqlx's own connection (multi-row prepared statements);
//! single `exists` checks on SQLite use a private C-API connection, on PostgreSQL a
//! connection held across lookups. SQLite result tables are `WITHOUT ROWID` (stored in
//! key order). Result tables carry no foreign key on `output_pk` (keys are always taken
//! from `output_interface` in the writing transaction; a per-row check would more than
//! halve bulk-load speed); the `task` and `task_parameter` tables keep theirs.

mod backend;
mod connect;
mod copy;
mod dialect;
mod lookup;
mod query;
mod schema;
mod sqlite_bulk;
mod sqlite_lookup;
mod status;
mod target;
mod values;
mod write;

pub use connect::{DEFAULT_URL, Database};
pub use query::{QueryRow, ResultQuery, TaskRow};
pub use status::StatusCode;
pub use target::DatabaseTarget;

/// Runs `$body` with `$p` bound to the backend's pools (`&Pools<Sqlite>` or
/// `&Pools<Postgres>`): the one place where the backend is chosen.
macro_rules! dispatch {
    ($db:expr, $p:ident => $body:expr) => {
        match &$db.inner {
            $crate::db::connect::Inner::Sqlite($p) => $body,
            $crate::db::connect::Inner::Postgres($p) => $body,
        }
    };
}
pub(crate) use dispatch;

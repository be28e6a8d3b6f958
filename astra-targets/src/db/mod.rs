//! Database targets: a task's result rows in SQLite or PostgreSQL.
//!
//! # Opening
//!
//! A [`Database`] is opened from a URL alone, [`Database::connect`]`(url)`, or with
//! options, [`Database::options`]`(url)` then [`ConnectOptions`]' builder methods
//! ([`connect_timeout`](ConnectOptions::connect_timeout),
//! [`max_connections`](ConnectOptions::max_connections),
//! [`read_only`](ConnectOptions::read_only), [`lock_timeout`](ConnectOptions::lock_timeout))
//! and [`connect`](ConnectOptions::connect):
//!
//! - `sqlite://PATH` (relative) or `sqlite:///ABSOLUTE/PATH` (the default,
//!   [`DEFAULT_URL`]): a file created when missing, in WAL mode. Its folder must exist
//!   (a missing folder is named in the error). Several processes may open one new file
//!   at the same moment: opening waits and retries while another holds the lock, as
//!   writes do. `sqlite::memory:` is one in-memory database shared by the connections
//!   of this `Database` (and gone when it closes); `sqlite:` with no path is refused.
//! - `postgres://user@host/db` (or `postgresql://`): a PostgreSQL server. A server that
//!   refuses the connection fails at once ([`Error::Connect`](crate::Error::Connect),
//!   naming host and port); one that does not answer fails after the connect timeout
//!   (10 s unless set).
//!
//! Opened [`read_only`](ConnectOptions::read_only), nothing is created or changed: a
//! released SQLite file in a folder that cannot be written opens as unchanging
//! (SQLite's `immutable`, no `-wal` or `-shm` file made next to it), and a PostgreSQL
//! session is read-only; reads (`exists`, `read`, queries) work and every write is
//! refused with [`Error::ReadOnly`](crate::Error::ReadOnly).
//!
//! # Async, or blocking
//!
//! The API is async and runs on [tokio](https://docs.rs/tokio): call it inside a tokio
//! runtime that has the time and I/O drivers enabled — `#[tokio::main]` (tokio features
//! `rt-multi-thread` and `macros`), `#[tokio::main(flavor = "current_thread")]` (features
//! `rt` and `macros`), or a runtime built with `Builder::new_multi_thread()` or
//! `Builder::new_current_thread()` and `.enable_all()` (features `rt-multi-thread` or
//! `rt`, plus `time` and `net`, which this crate already enables in tokio). Pipeline code
//! that is not async uses [`blocking`]: the same operations, each run to completion on a
//! small current-thread runtime of its own.
//!
//! # Tables
//!
//! A database holds the task and result tables of SPEC section 2:
//!
//! - `output_interface(pk)`: one key per result; several tasks may point at one result;
//! - `task(pk, task_module, task_id, status_code, output_pk, duration, created, modified,
//!   message)` (`message`: the error of the task's last failed run),
//!   unique on `(task_module, task_id)`;
//! - `parameter(pk, parameter_name, parameter_value)` (deduplicated) and
//!   `task_parameter(task_pk, parameter_pk)`: a task's parameters are one value per name,
//!   the latest run's (a rerun with another value of an insignificant parameter replaces
//!   the task's links);
//! - one result table per task family (`TaskMeta::table`), keyed by
//!   `(output_pk, row_index)`, with one column per result column;
//! - `astra_column(table_name, column_name, scalar_type, shape)`: each result column's
//!   declared type. A result table grows when a result struct gains a column, but a
//!   column's declared type (scalar type or array shape: `f64` to `f32`, `[f32; 3]` to
//!   `[f32; 4]`) never changes: any change is refused the same way on both backends
//!   ([`Error::Schema`](crate::Error::Schema), naming table, column, old and new types).
//! - `astra_flag(table_name, column_name, bit, name, description)`: the named bits of
//!   each bitmask column (`#[astra(flags(...))]`), as the result struct declares them.
//!
//! # Operations
//!
//! A [`DatabaseTarget`] is one task's result: [`exists`](DatabaseTarget::exists),
//! [`read`](DatabaseTarget::read), [`write`](DatabaseTarget::write),
//! [`copy_from`](DatabaseTarget::copy_from), [`set_status`](DatabaseTarget::set_status),
//! and the seed's `get_query` as a builder, [`query`](DatabaseTarget::query) (also named
//! [`get_query`](DatabaseTarget::get_query)):
//! `target.query().columns(["teff", "fe_h"]).with_task_row().build()?` is a
//! [`ResultQuery`] that runs ([`fetch`](ResultQuery::fetch)) and shows its SQL and bound
//! values (`Display`). [`Database::write_many`] and [`Database::exists_many`] do the same
//! for many tasks at once; [`Database::record_runs`] commits many runs ([`TaskRun`]: rows
//! of the successful ones, status code, duration and failure message of each) in one
//! transaction, and [`Database::status_counts`] and [`Database::failed_tasks`] summarise
//! the `task` table.
//!
//! # Values
//!
//! Values are always bound; identifiers come only from task metadata. Vector columns are
//! PostgreSQL arrays (flattened, row-major) and SQLite little-endian BLOBs. Text holding a
//! NUL byte is refused on both backends (PostgreSQL text cannot hold it). Timestamps are
//! UTC; durations are seconds.
//!
//! NaN: a NaN float is stored as NULL on both backends (SQLite cannot store NaN). A plain
//! float column (`f32`, `f64`) reads NULL back as NaN, so NaN round-trips. An `Option`
//! float column reads NULL back as `None`, so `Some(f64::NAN)` reads back as `None` on
//! both backends. In vector columns NaN elements read back as NaN.
//!
//! # Concurrency and speed
//!
//! Several processes may write overlapping tasks into one database. SQLite writers take
//! the write lock up front (`BEGIN IMMEDIATE`, WAL journal, a 30 s busy timeout unless
//! set); PostgreSQL writers upsert task rows (`ON CONFLICT`), which locks them, in
//! task-id order. Lock conflicts and deadlocks retry the whole transaction. Either way
//! each task ends with one task row and one result set.
//!
//! Rows go to PostgreSQL through binary `COPY` (500 rows and more) and to SQLite through
//! SQLite's C API on sqlx's own connection (multi-row prepared statements; task
//! parameters and their links likewise); `exists` and `exists_many` on SQLite probe the
//! index through a private C-API connection, on PostgreSQL a connection held across
//! lookups answers (`exists_many` with the positions of the ids found). SQLite result tables are `WITHOUT ROWID` (stored in key order).
//! Result tables carry no foreign key on `output_pk`, nor `task_parameter` on its two
//! keys: those keys are always taken (from `output_interface`, `task`, `parameter`) in
//! the writing transaction, keys are never reused and the framework deletes no task, and
//! a per-row check would more than halve bulk-load speed (on PostgreSQL the two checks
//! per link took 0.93 s of 1.0 s for 200,000 links). `task.output_pk` keeps its key.
//!
//! # Layout
//!
//! Shared pieces are backend-neutral: `error` (driver errors with context), `retry`,
//! `values` (row checks and BLOB layout), `dialect` (the SQL that differs), `backend`
//! (the trait each backend implements), `pool`, `schema`, `write`, `lookup`. The backends
//! live in `sqlite/` (C-API bulk insert and lookups, opening a file) and `postgres/`
//! (binary `COPY`, opening a pool), importing the shared pieces; `dispatch` is the one
//! module that imports them, and the public types (`connect`, `target`, `query`,
//! `blocking`) reach a backend only through it.

mod backend;
pub mod blocking;
mod connect;
mod dialect;
mod dispatch;
mod error;
mod lookup;
mod memo;
mod options;
mod pool;
mod postgres;
mod query;
mod retry;
mod runs;
mod schema;
mod sqlite;
mod stages;
mod status;
mod target;
mod values;
mod write;

pub use connect::{DEFAULT_URL, Database};
pub use memo::InputMemo;
pub use options::ConnectOptions;
pub use query::{QueryBuilder, QueryRow, ResultQuery, TaskRow};
pub use runs::{FailedTask, StatusCount, TaskRun};
pub use schema::{RESULT_KEY_COLUMNS, TASK_TABLES};
pub use stages::WriteStages;
pub use status::StatusCode;
pub use target::DatabaseTarget;

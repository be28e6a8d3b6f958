//! Database targets: a task's result rows in SQLite or PostgreSQL.

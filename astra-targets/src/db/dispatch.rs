//! The one place that knows every backend: the open connections of a database (SQLite's
//! or PostgreSQL's) and the macro choosing the code for them. Backend-neutral modules
//! reach a backend only through here.

use sqlx::{Postgres, Sqlite};

use super::error::redact;
use super::options::ConnectOptions;
use super::pool::Pools;
use super::{postgres, sqlite};
use crate::column::SqlDialect;
use crate::{Error, Result};

/// The backend's connections.
pub(crate) enum Inner {
    /// A SQLite database, with a C-API connection for existence checks (files opened to
    /// write only).
    Sqlite {
        pools: Pools<Sqlite>,
        lookup: Option<sqlite::lookup::SqliteLookup>,
    },
    /// A PostgreSQL database.
    Postgres { pools: Pools<Postgres> },
}

impl Inner {
    /// Opens the database of `o`, the backend chosen by the URL's scheme.
    pub(crate) async fn open(o: &ConnectOptions) -> Result<Inner> {
        let url = o.url.as_str();
        if url.starts_with("sqlite:") {
            let (pools, lookup) = sqlite::open::open(o).await?;
            Ok(Inner::Sqlite { pools, lookup })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Inner::Postgres {
                pools: postgres::open::open(o).await?,
            })
        } else {
            Err(Error::DatabaseUrl {
                url: redact(url),
                reason: "is neither sqlite://PATH nor postgres://...".into(),
            })
        }
    }

    /// The backend's SQL dialect.
    pub(crate) fn dialect(&self) -> SqlDialect {
        match self {
            Inner::Sqlite { .. } => SqlDialect::Sqlite,
            Inner::Postgres { .. } => SqlDialect::Postgres,
        }
    }

    /// Whether the task has a result, asked the fastest way the backend offers; `None`
    /// when that way is not available now (the caller then asks through the pool).
    pub(crate) fn quick_exists(&self, family: &str, task_id: &str) -> Option<bool> {
        match self {
            Inner::Sqlite { lookup: Some(l), .. } => l.exists(family, task_id),
            _ => None,
        }
    }

    /// Whether each task has a result, asked the fastest way the backend offers; `None`
    /// when that way is not available now (the caller then asks through the pool).
    pub(crate) fn quick_exists_many(&self, family: &str, task_ids: &[&str]) -> Option<Vec<bool>> {
        match self {
            Inner::Sqlite { lookup: Some(l), .. } => l.exists_many(family, task_ids),
            _ => None,
        }
    }

    /// Closes every connection.
    pub(crate) async fn close(&self) {
        match self {
            Inner::Sqlite { pools, lookup } => {
                if let Some(l) = lookup {
                    l.close();
                }
                pools.close().await
            }
            Inner::Postgres { pools } => pools.close().await,
        }
    }
}

/// Runs `$body` with `$p` bound to the backend's pools (`&Pools<Sqlite>` or
/// `&Pools<Postgres>`) of `$db` (a [`Database`](super::Database)): the one place where
/// the backend is chosen for an operation.
macro_rules! dispatch {
    ($db:expr, $p:ident => $body:expr) => {
        match &$db.inner {
            $crate::db::dispatch::Inner::Sqlite { pools: $p, .. } => $body,
            $crate::db::dispatch::Inner::Postgres { pools: $p } => $body,
        }
    };
}
pub(crate) use dispatch;

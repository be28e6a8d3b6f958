//! A backend's connection pool, plus one connection held across lookups.

use std::ops::{Deref, DerefMut};

use sqlx::Pool;
use sqlx::pool::PoolConnection;
use tokio::sync::{Mutex, MutexGuard};

use super::error::db_err;
use crate::Result;

/// A connection pool plus one connection held across lookups (a pool round trip costs
/// more than an indexed lookup).
pub(crate) struct Pools<DB: sqlx::Database> {
    pub pool: Pool<DB>,
    held: Mutex<Option<PoolConnection<DB>>>,
    /// Whether a connection is held across lookups (not in a pool of one connection,
    /// which writes need).
    hold: bool,
}

impl<DB: sqlx::Database> Pools<DB> {
    /// Wraps an open pool of up to `max_connections`.
    pub(crate) fn new(pool: Pool<DB>, max_connections: u32) -> Self {
        Pools {
            pool,
            held: Mutex::new(None),
            hold: max_connections > 1,
        }
    }

    /// A connection for reads: the held one when free, else one from the pool.
    pub(crate) async fn read_conn(&self) -> Result<ReadConn<'_, DB>> {
        match self.held.try_lock() {
            Ok(mut guard) if self.hold => {
                if guard.is_none() {
                    *guard = Some(self.pool.acquire().await.map_err(db_err("acquiring a connection"))?);
                }
                Ok(ReadConn::Held(guard))
            }
            _ => Ok(ReadConn::Pooled(
                self.pool.acquire().await.map_err(db_err("acquiring a connection"))?,
            )),
        }
    }

    /// Returns the held connection and closes every connection.
    pub(crate) async fn close(&self) {
        self.held.lock().await.take();
        self.pool.close().await
    }
}

/// A connection for reading: the held one, or one from the pool.
pub(crate) enum ReadConn<'a, DB: sqlx::Database> {
    Held(MutexGuard<'a, Option<PoolConnection<DB>>>),
    Pooled(PoolConnection<DB>),
}

impl<DB: sqlx::Database> Deref for ReadConn<'_, DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match self {
            ReadConn::Held(g) => g.as_ref().expect("held connection"),
            ReadConn::Pooled(c) => c,
        }
    }
}

impl<DB: sqlx::Database> DerefMut for ReadConn<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            ReadConn::Held(g) => g.as_mut().expect("held connection"),
            ReadConn::Pooled(c) => c,
        }
    }
}

//! Retrying transactions after lock conflicts and deadlocks.

use std::future::Future;
use std::time::Duration;

use crate::{Error, Result};

/// How many times a transaction is retried after a lock conflict or deadlock.
const RETRIES: u32 = 60;

/// Whether a driver error means "try the transaction again": SQLite busy/locked, or a
/// PostgreSQL deadlock or serialization failure.
pub(crate) fn retryable(error: &sqlx::Error) -> bool {
    let Some(db) = error.as_database_error() else {
        return false;
    };
    let Some(code) = db.code() else { return false };
    matches!(&*code, "5" | "6" | "261" | "262" | "517" | "40P01" | "40001")
}

/// The pause before retry number `tries` (1-based): growing, and different per process
/// so that competing processes do not retry in step.
pub(crate) fn pause(tries: u32) -> Duration {
    Duration::from_millis(5 * u64::from(tries.min(20)) + u64::from(std::process::id() % 7))
}

/// Runs a transaction, again after a lock conflict or deadlock (with a growing pause), so
/// concurrent writers all finish.
pub(crate) async fn with_retry<R, F, Fut>(mut attempt: F) -> Result<R>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<R>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(Error::Database { source, .. }) if retryable(&source) && tries < RETRIES => {
                tries += 1;
                tokio::time::sleep(pause(tries)).await;
            }
            other => return other,
        }
    }
}

//! Opening a PostgreSQL database: one connection tried first, within the connect timeout,
//! so that a server that is not there fails at once with what went wrong (the pool alone
//! would retry until its timeout and then say only that it timed out).

use std::str::FromStr;

use sqlx::Connection;
use sqlx::Postgres;
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::db::error::{connect_error, redact};
use crate::db::options::ConnectOptions;
use crate::db::pool::Pools;
use crate::{Error, Result};

/// Opens the pool of the PostgreSQL database of `o`.
pub(crate) async fn open(o: &ConnectOptions) -> Result<Pools<Postgres>> {
    let url = o.url.as_str();
    let mut pg = PgConnectOptions::from_str(url).map_err(|e| Error::DatabaseUrl {
        url: redact(url),
        reason: e.to_string(),
    })?;
    if o.read_only {
        pg = pg.options([("default_transaction_read_only", "on")]);
    }
    let place = match pg.get_socket() {
        Some(socket) => format!("the socket folder {}", socket.display()),
        None => format!("{}:{}", pg.get_host(), pg.get_port()),
    };
    match tokio::time::timeout(o.connect_timeout, PgConnection::connect_with(&pg)).await {
        Err(_) => {
            return Err(connect_error(
                url,
                format!("no answer from {place} within {:?}", o.connect_timeout),
            ));
        }
        Ok(Err(e)) => return Err(unreachable(url, &place, e)),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
        }
    }
    let pool = PoolOptions::<Postgres>::new()
        .max_connections(o.max_connections)
        .acquire_timeout(o.connect_timeout)
        .connect_with(pg)
        .await
        .map_err(|e| unreachable(url, &place, e))?;
    Ok(Pools::new(pool, o.max_connections))
}

/// The error of a first connection that failed: refused or unreachable in plain words,
/// anything the server said (authentication, unknown database) as the driver reports it.
fn unreachable(url: &str, place: &str, error: sqlx::Error) -> Error {
    match &error {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            connect_error(url, format!("connection refused: nothing listens on {place}"))
        }
        sqlx::Error::Io(io) => connect_error(url, format!("cannot reach {place}: {io}")),
        _ => Error::Database {
            action: format!("connecting to {}", redact(url)),
            source: error,
        },
    }
}

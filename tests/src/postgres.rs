//! The throwaway PostgreSQL cluster that `scripts/test.sh` starts.

/// The environment variable holding the cluster's URL.
pub const PG_URL_ENV: &str = "ASTRA_TEST_PG_URL";

/// The URL of the test cluster's `postgres` database as superuser
/// (`postgres://astra@127.0.0.1:PORT/postgres`); tests create their own databases.
/// Panics when `ASTRA_TEST_PG_URL` is not set.
pub fn pg_url() -> String {
    match std::env::var(PG_URL_ENV) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("{PG_URL_ENV} is not set: run scripts/test.sh (it starts a throwaway PostgreSQL 15 cluster)"),
    }
}

//! Opening a database: URLs refused with a clear message, missing folders named, a
//! PostgreSQL server that is not there reported at once, read-only opens, pool sizes.
//! PostgreSQL tests use `ASTRA_TEST_PG_URL` (set by scripts/test.sh).

use std::time::{Duration, Instant};

use astra_targets::Error;
use astra_targets::db::Database;
use astra_targets_tests::db_support::*;

/// `sqlite:` with no path would give every pooled connection an empty database of its
/// own: refused.
#[tokio::test]
async fn sqlite_url_without_a_path_is_refused() {
    for url in ["sqlite:", "sqlite://", "sqlite://?mode=rwc"] {
        let err = Database::connect(url).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::DatabaseUrl { .. }), "{url}: {text}");
        assert!(
            text.contains("names no database file") && text.contains("sqlite::memory:"),
            "{text}"
        );
    }
}

/// A database file in a folder that does not exist: the error names the folder.
#[tokio::test]
async fn sqlite_file_in_a_missing_folder_names_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no").join("such");
    let url = format!("sqlite://{}", missing.join("astra.db").display());
    let err = Database::connect(&url).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Connect { .. }), "{text}");
    assert!(
        text.contains(&format!("the folder {} does not exist", missing.display())),
        "{text}"
    );
    assert!(!missing.exists());
    // A regular file where the folder should be.
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let url = format!("sqlite://{}", file.join("astra.db").display());
    let text = Database::connect(&url).await.unwrap_err().to_string();
    assert!(text.contains("is not a folder"), "{text}");
}

/// A released database in a folder that cannot be written opens read-only and reads,
/// creating nothing (no -wal or -shm file); writes are refused clearly. (Tests may run
/// as root, for whom the folder's mode stops nothing: what is checked is that the
/// read-only open writes nothing at all.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_read_only_open_in_a_read_only_folder() {
    use std::os::unix::fs::PermissionsExt;
    let (url, dir) = fresh_sqlite_database();
    let db = Database::connect(&url).await.unwrap();
    let task = Payne(Star::new(1, "ro"));
    db.target(&task).write(&[payne_row(0), payne_row(1)]).await.unwrap();
    db.close().await;
    let listing = |d: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(listing(dir.path()), ["astra.db"]);
    let file = dir.path().join("astra.db");
    let before = std::fs::read(&file).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();

    let ro = Database::options(&url).read_only().connect().await.unwrap();
    let target = ro.target(&task);
    assert!(target.exists().await.unwrap());
    assert_eq!(target.read().await.unwrap(), [payne_row(0), payne_row(1)]);
    assert_eq!(listing(dir.path()), ["astra.db"], "the read-only open created a file");
    let err = target.write(&[payne_row(2)]).await.unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
    assert!(err.to_string().contains("opened read-only"), "{err}");
    ro.close().await;
    assert_eq!(listing(dir.path()), ["astra.db"]);
    // A URL asking for it is a read-only open too.
    let by_url = Database::connect(&format!("{url}?mode=ro")).await.unwrap();
    assert!(by_url.is_read_only());
    assert!(by_url.target(&task).exists().await.unwrap());
    let err = by_url.target(&task).write(&[payne_row(2)]).await.unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
    by_url.close().await;
    assert_eq!(listing(dir.path()), ["astra.db"]);
    assert_eq!(std::fs::read(&file).unwrap(), before, "the file changed");

    // A read-only open of a file that does not exist creates nothing and says so.
    let missing = format!("sqlite://{}", dir.path().join("other.db").display());
    let err = Database::options(&missing).read_only().connect().await.unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert_eq!(listing(dir.path()), ["astra.db"]);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A port where nothing listens: the open fails at once, saying the connection was
/// refused and naming host and port (not "pool timed out" after 30 s).
#[tokio::test]
async fn postgres_refused_connection_fails_fast() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("postgres://astra:secret@127.0.0.1:{port}/astra");
    let start = Instant::now();
    let err = Database::connect(&url).await.unwrap_err();
    let took = start.elapsed();
    let text = err.to_string();
    assert!(took < Duration::from_secs(5), "took {took:?}: {text}");
    assert!(matches!(err, Error::Connect { .. }), "{text}");
    assert!(
        text.contains("refused") && text.contains(&format!("127.0.0.1:{port}")),
        "{text}"
    );
    assert!(!text.contains("secret"), "the password is shown: {text}");
}

/// A server that accepts the connection but never answers: the open fails after the
/// connect timeout, saying so.
#[tokio::test]
async fn postgres_connect_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("postgres://astra@127.0.0.1:{port}/astra");
    let start = Instant::now();
    let err = Database::options(&url)
        .connect_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap_err();
    let took = start.elapsed();
    let text = err.to_string();
    assert!(took < Duration::from_secs(3), "took {took:?}: {text}");
    assert!(
        text.contains("no answer") && text.contains(&format!("127.0.0.1:{port}")),
        "{text}"
    );
    drop(listener);
}

/// A pool of one connection serves reads and writes in turn on both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_pools() {
    let (sqlite, _dir) = fresh_sqlite_database();
    let pg = fresh_pg_database().await;
    for url in [sqlite, pg] {
        let db = Database::options(&url)
            .max_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .unwrap();
        let task = Payne(Star::new(1, "one"));
        let target = db.target(&task);
        assert!(!target.exists().await.unwrap());
        target.write(&[payne_row(0)]).await.unwrap();
        assert_eq!(target.read().await.unwrap(), [payne_row(0)]);
        assert_eq!(target.query().fetch().await.unwrap().len(), 1);
        target.write(&[payne_row(1)]).await.unwrap();
        assert_eq!(target.read().await.unwrap(), [payne_row(1)]);
        db.close().await;
    }
}

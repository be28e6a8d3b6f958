//! Several processes writing overlapping tasks into one database finish with no error and
//! exactly one task row and one result set per task: on SQLite (one file, WAL) and on
//! PostgreSQL (`ASTRA_TEST_PG_URL`, set by scripts/test.sh).

use std::process::Command;

use astra_targets::db::{Database, StatusCode};
use astra_targets_tests::db_support::*;

const WORKERS: i64 = 4;
const PER_WORKER: i64 = 40;
const OVERLAP: i64 = 20;
const ROWS: usize = 3;

async fn run_workers(url: &str) {
    let exe = env!("CARGO_BIN_EXE_db-worker");
    // Worker w writes tasks [w*20, w*20+40): each task is written by two workers.
    let children: Vec<_> = (0..WORKERS)
        .map(|w| {
            let first = w * (PER_WORKER - OVERLAP);
            Command::new(exe)
                .args([
                    url,
                    &first.to_string(),
                    &(first + PER_WORKER).to_string(),
                    &ROWS.to_string(),
                ])
                .output_spawned()
        })
        .collect();
    for (w, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().expect("worker ran");
        assert!(
            out.status.success(),
            "worker {w} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tasks = (WORKERS - 1) * (PER_WORKER - OVERLAP) + PER_WORKER;
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM task").await, tasks);
    assert_eq!(scalar_i64(url, "SELECT count(DISTINCT task_id) FROM task").await, tasks);
    // One result set per task: every task has an output of its own with ROWS rows, and
    // no other rows remain.
    assert_eq!(
        scalar_i64(url, "SELECT count(DISTINCT output_pk) FROM task").await,
        tasks
    );
    assert_eq!(
        scalar_i64(url, "SELECT count(*) FROM thepayne").await,
        tasks * ROWS as i64
    );
    assert_eq!(
        scalar_i64(
            url,
            "SELECT count(*) FROM thepayne r JOIN task t ON t.output_pk = r.output_pk"
        )
        .await,
        tasks * ROWS as i64
    );
    let db = Database::connect(url).await.unwrap();
    for h in 0..tasks {
        let task = Payne(Star::new(h, &format!("obj-{h}")));
        let target = db.target(&task);
        let rows = target.read().await.unwrap();
        assert_eq!(rows.len(), ROWS);
        // All rows of a task come from one writer.
        let writer = rows[0].name.rsplit("-by-").next().unwrap().to_string();
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r.name, format!("task-{h}-row-{i}-by-{writer}"));
        }
        let row = target.task_row().await.unwrap().unwrap();
        assert_eq!((row.status, row.duration), (StatusCode::Success, Some(0.5)));
    }
    db.close().await;
}

trait SpawnOutput {
    fn output_spawned(&mut self) -> std::process::Child;
}

impl SpawnOutput for Command {
    fn output_spawned(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawning db-worker")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_writers() {
    let (url, _dir) = fresh_sqlite_database();
    // The schema is created by the workers themselves, concurrently.
    run_workers(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_writers() {
    let url = fresh_pg_database().await;
    run_workers(&url).await;
}

/// Several processes opening one new SQLite file at the same moment all succeed (the
/// switch to WAL and the creation of the tables wait for each other), and every task is
/// written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_processes_open_a_new_file_at_once() {
    const OPENERS: i64 = 8;
    let exe = env!("CARGO_BIN_EXE_db-worker");
    for round in 0..6 {
        let (url, _dir) = fresh_sqlite_database();
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 400;
        let children: Vec<_> = (0..OPENERS)
            .map(|w| {
                Command::new(exe)
                    .args(["open", &url, &start.to_string(), &w.to_string()])
                    .output_spawned()
            })
            .collect();
        for (w, child) in children.into_iter().enumerate() {
            let out = child.wait_with_output().expect("worker ran");
            assert!(
                out.status.success(),
                "round {round}, opener {w} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(scalar_i64(&url, "SELECT count(*) FROM task").await, OPENERS);
        assert_eq!(scalar_i64(&url, "SELECT count(*) FROM thepayne").await, 2 * OPENERS);
    }
}

/// A process opening a database file that another process has just created and still
/// holds locked (as happens when several open one new file at once) waits for the lock
/// and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_open_waits_for_a_locked_new_file() {
    use sqlx::Connection;
    let exe = env!("CARGO_BIN_EXE_db-worker");
    let (url, _dir) = fresh_sqlite_database();
    // Another process's view: the file exists, not yet in WAL mode, and is locked.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(url.strip_prefix("sqlite://").unwrap())
        .create_if_missing(true);
    let mut holder = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut holder).await.unwrap();
    sqlx::query("CREATE TABLE IF NOT EXISTS holder (x INTEGER)")
        .execute(&mut holder)
        .await
        .unwrap();
    let child = Command::new(exe).args(["open", &url, "0", "1"]).output_spawned();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    sqlx::query("COMMIT").execute(&mut holder).await.unwrap();
    holder.close().await.unwrap();
    let out = child.wait_with_output().expect("worker ran");
    assert!(
        out.status.success(),
        "the opener failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(scalar_i64(&url, "SELECT count(*) FROM thepayne").await, 2);
}

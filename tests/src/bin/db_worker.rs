//! A worker process of the database concurrency test: writes the results of a range of
//! tasks into one database, in bulk batches and one by one, and exits non-zero on any error.
//!
//! Usage: `db-worker URL FIRST END ROWS_PER_TASK`, or `db-worker open URL START_MS TASK`:
//! wait until the Unix time `START_MS` (milliseconds), then open the database (several
//! workers at the same moment) and write one task.

use astra_targets::db::{Database, StatusCode};
use astra_targets_tests::db_support::{Payne, PayneResults, Star, payne_row};

fn rows(task: i64, n: usize, writer: u32) -> Vec<PayneResults> {
    (0..n)
        .map(|i| {
            let mut r = payne_row(i);
            r.name = format!("task-{task}-row-{i}-by-{writer}");
            r
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 5 && args[1] == "open" {
        let me = std::process::id();
        if let Err(e) = open_at(
            &args[2],
            args[3].parse().expect("START_MS"),
            args[4].parse().expect("TASK"),
        )
        .await
        {
            eprintln!("db-worker {me}: {e}");
            std::process::exit(1);
        }
        return;
    }
    if args.len() != 5 {
        eprintln!("usage: db-worker URL FIRST END ROWS_PER_TASK");
        std::process::exit(2);
    }
    let url = &args[1];
    let first: i64 = args[2].parse().expect("FIRST");
    let end: i64 = args[3].parse().expect("END");
    let per: usize = args[4].parse().expect("ROWS_PER_TASK");
    let me = std::process::id();
    if let Err(e) = run(url, first, end, per, me).await {
        eprintln!("db-worker {me}: {e}");
        std::process::exit(1);
    }
    println!("db-worker {me}: wrote tasks {first}..{end}");
}

async fn run(url: &str, first: i64, end: i64, per: usize, me: u32) -> astra_targets::Result<()> {
    let db = Database::connect(url).await?;
    let tasks: Vec<Payne> = (first..end).map(|h| Payne(Star::new(h, &format!("obj-{h}")))).collect();
    let data: Vec<Vec<PayneResults>> = (first..end).map(|h| rows(h, per, me)).collect();
    // Bulk batches of 8 tasks, twice over (the second pass replaces the first).
    for _ in 0..2 {
        for (ts, ds) in tasks.chunks(8).zip(data.chunks(8)) {
            let items: Vec<(&Payne, &[PayneResults])> = ts.iter().zip(ds).map(|(t, d)| (t, d.as_slice())).collect();
            db.write_many(&items).await?;
        }
    }
    // Then one by one, with a status.
    for (t, d) in tasks.iter().zip(&data) {
        let target = db.target(t);
        target.write(d).await?;
        target.set_status(StatusCode::Success, Some(0.5)).await?;
        assert!(target.exists().await?);
    }
    db.close().await;
    Ok(())
}

/// Opens the database at the given moment and writes one task.
async fn open_at(url: &str, start_ms: u64, task: i64) -> astra_targets::Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    if start_ms > now {
        std::thread::sleep(std::time::Duration::from_millis(start_ms - now));
    }
    let db = Database::connect(url).await?;
    let t = Payne(Star::new(task, &format!("obj-{task}")));
    db.target(&t).write(&rows(task, 2, std::process::id())).await?;
    db.close().await;
    Ok(())
}

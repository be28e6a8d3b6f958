//! The blocking database API (`db::blocking`), from plain threads with no async runtime:
//! a subset of the contract, run against SQLite and PostgreSQL (`ASTRA_TEST_PG_URL`, set
//! by scripts/test.sh).

use astra_targets::Error;
use astra_targets::db::blocking::Database;
use astra_targets::db::{self, StatusCode};
use astra_targets::value::Value;
use astra_targets_tests::db_support::*;

/// A fresh PostgreSQL database, made on a runtime of the test's own.
fn fresh_pg() -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fresh_pg_database())
}

fn contract(url: &str) {
    let db = Database::connect(url).unwrap();
    let (a, b) = (Payne(Star::new(1, "blocking")), PayneAgain(Star::new(2, "blocking")));
    let (ta, tb) = (db.target(&a), db.target(&b));
    assert!(!ta.exists().unwrap());
    let rows: Vec<PayneResults> = (0..4).map(payne_row).collect();
    ta.write(&rows).unwrap();
    assert!(ta.exists().unwrap());
    assert_eq!(ta.read().unwrap(), rows);
    assert_eq!(ta.parameters().unwrap().len(), 4);

    let q = ta.query().columns(["snr"]).with_task_row().build().unwrap();
    assert!(
        q.to_string().starts_with("SELECT ") && q.sql().contains("r.\"snr\""),
        "{q}"
    );
    let got = q.fetch().unwrap();
    assert_eq!(got.len(), 4);
    assert_eq!(got[1].get("snr"), Some(&Value::Float(rows[1].snr)));
    assert_eq!(got[1].task.as_ref().unwrap().task_id, ta.task_id());
    assert_eq!(ta.get_query().fetch().unwrap()[0].values.len(), 6);
    assert!(ta.query().columns(["nope"]).build().is_err());

    ta.set_status(StatusCode::Success, Some(2.5)).unwrap();
    let row = ta.task_row().unwrap().unwrap();
    assert_eq!((row.status, row.duration), (StatusCode::Success, Some(2.5)));

    tb.copy_from(&ta).unwrap();
    assert_eq!(tb.read().unwrap(), rows);

    let many: Vec<Payne> = (10..20).map(|h| Payne(Star::new(h, "many"))).collect();
    let items: Vec<(&Payne, &[PayneResults])> = many.iter().map(|t| (t, &rows[..2])).collect();
    db.write_many(&items).unwrap();
    let ids: Vec<String> = many.iter().map(|t| db.target(t).task_id().to_string()).collect();
    let mut refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    refs.push("ThePayne_00000000");
    let found = db.exists_many::<Payne>(&refs).unwrap();
    assert_eq!(found.iter().filter(|f| **f).count(), 10);
    assert!(!found[10]);
    db.close();
    drop(db);

    // Read-only, through the options.
    let ro = Database::connect_with(db::Database::options(url).read_only()).unwrap();
    assert!(ro.is_read_only());
    assert_eq!(ro.target(&a).read().unwrap(), rows);
    let err = ro.target(&a).write(&rows).unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
}

#[test]
fn sqlite_blocking_contract() {
    let (url, _dir) = fresh_sqlite_database();
    contract(&url);
}

#[test]
fn postgres_blocking_contract() {
    contract(&fresh_pg());
}

/// Inside an async runtime the blocking API refuses to run (it would block the
/// runtime's thread) with an error, not a panic.
#[tokio::test]
async fn blocking_inside_a_runtime_is_an_error() {
    let (url, _dir) = fresh_sqlite_database();
    let err = Database::connect(&url).unwrap_err();
    assert!(matches!(err, Error::Blocking { .. }), "{err}");
    assert!(err.to_string().contains("async runtime"), "{err}");
}

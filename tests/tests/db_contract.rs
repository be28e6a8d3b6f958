//! The database contract: every operation of `DatabaseTarget` and `Database`, written once
//! and run against SQLite and PostgreSQL (`ASTRA_TEST_PG_URL`, set by scripts/test.sh).
//! Each test gets its own database.

use astra_targets::Error;
use astra_targets::db::{Database, StatusCode, TaskRun};
use astra_targets::value::Value;
use astra_targets_tests::db_support::*;

/// A fresh database for one test, and what keeps it alive.
struct Fresh {
    url: String,
    _dir: Option<tempfile::TempDir>,
}

async fn fresh(backend: &str) -> Fresh {
    match backend {
        "sqlite" => {
            let (url, dir) = fresh_sqlite_database();
            Fresh { url, _dir: Some(dir) }
        }
        _ => Fresh {
            url: fresh_pg_database().await,
            _dir: None,
        },
    }
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let f = super::fresh("sqlite").await;
                    super::$name(&f.url).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let f = super::fresh("postgres").await;
                    super::$name(&f.url).await;
                }
            )*
        }
    };
}

contract!(
    write_read_exists,
    write_twice_is_idempotent,
    copy_from_points_and_copy_on_write,
    schema_grows_with_new_columns,
    changed_column_type_is_refused,
    nulls_vectors_and_nan_round_trip,
    hostile_and_unicode_strings,
    nul_bytes_are_refused,
    get_query_runs_and_shows,
    status_and_duration,
    bulk_write_and_exists,
    read_of_missing_task_is_an_error,
    derived_task_round_trip,
    refused_value_in_bulk_rolls_back,
    declared_type_changes_are_refused,
    rerun_keeps_one_value_per_parameter,
    nan_rules,
    read_only_open,
    record_runs_commits_rows_status_and_messages,
    named_bits_are_recorded,
);

fn star(h: i64) -> Star {
    Star::new(h, &format!("2M0000{h}-000012"))
}

async fn write_read_exists(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let task = Payne(star(1));
    let target = db.target(&task);
    assert!(!target.exists().await.unwrap());
    assert!(target.task_row().await.unwrap().is_none());
    let rows: Vec<PayneResults> = (0..5).map(payne_row).collect();
    target.write(&rows).await.unwrap();
    assert!(target.exists().await.unwrap());
    assert_eq!(target.read().await.unwrap(), rows);
    let row = target.task_row().await.unwrap().unwrap();
    assert_eq!(row.task_module, "ThePayne");
    assert_eq!(row.task_id, target.task_id());
    assert_eq!(row.status, StatusCode::Created);
    assert!(row.output_pk.is_some());
    // Every parameter, insignificant ones too, as Python's str().
    let params = target.parameters().await.unwrap();
    let expect = [
        ("healpix", "1"),
        ("n_threads", "4"),
        ("obj", "2M00001-000012"),
        ("telescope", "apo25m"),
    ];
    assert_eq!(params, expect.map(|(n, v)| (n.to_string(), v.to_string())));
    // Parameters are deduplicated: a second task on the same telescope shares that row.
    let other = Payne(star(2));
    db.target(&other).write(&rows[..1]).await.unwrap();
    assert_eq!(
        scalar_i64(url, "SELECT count(*) FROM parameter WHERE parameter_name = 'telescope'").await,
        1
    );
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM task_parameter").await, 8);
    // Another family with the same parameters is another task.
    let again = PayneAgain(star(1));
    assert!(!db.target(&again).exists().await.unwrap());
    db.close().await;
}

async fn write_twice_is_idempotent(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let task = Payne(star(3));
    let target = db.target(&task);
    let first: Vec<PayneResults> = (0..4).map(payne_row).collect();
    target.write(&first).await.unwrap();
    let output = target.task_row().await.unwrap().unwrap().output_pk;
    target.write(&first).await.unwrap();
    assert_eq!(target.read().await.unwrap(), first);
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM thepayne").await, 4);
    // A rewrite with other rows replaces all rows of the output, keeping the output.
    let second: Vec<PayneResults> = (10..12).map(payne_row).collect();
    target.write(&second).await.unwrap();
    assert_eq!(target.read().await.unwrap(), second);
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM thepayne").await, 2);
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM task").await, 1);
    assert_eq!(target.task_row().await.unwrap().unwrap().output_pk, output);
    // The outputs set aside for the rewrites were dropped: one output, the task's.
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM output_interface").await, 1);
    // A reconnecting process sees the same.
    db.close().await;
    let db = Database::connect(url).await.unwrap();
    assert_eq!(db.target(&task).read().await.unwrap(), second);
    db.close().await;
}

async fn copy_from_points_and_copy_on_write(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let (a, b) = (Payne(star(10)), PayneAgain(star(11)));
    let (ta, tb) = (db.target(&a), db.target(&b));
    // Copying from a task with no result is refused, and creates nothing to read.
    let err = tb.copy_from(&ta).await.unwrap_err();
    assert!(matches!(err, Error::Missing { .. }), "{err}");
    assert!(err.to_string().contains(ta.task_id()), "{err}");
    assert!(!tb.exists().await.unwrap());

    let rows_a: Vec<PayneResults> = (0..3).map(payne_row).collect();
    ta.write(&rows_a).await.unwrap();
    tb.copy_from(&ta).await.unwrap();
    assert!(tb.exists().await.unwrap());
    assert_eq!(tb.read().await.unwrap(), rows_a);
    let out_a = ta.task_row().await.unwrap().unwrap().output_pk;
    assert_eq!(tb.task_row().await.unwrap().unwrap().output_pk, out_a);
    // Nothing was copied.
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM thepayne").await, 3);

    // Copy on write: b writes, gets its own output; a's result is unchanged.
    let rows_b: Vec<PayneResults> = (20..22).map(payne_row).collect();
    tb.write(&rows_b).await.unwrap();
    assert_ne!(tb.task_row().await.unwrap().unwrap().output_pk, out_a);
    assert_eq!(ta.read().await.unwrap(), rows_a);
    assert_eq!(tb.read().await.unwrap(), rows_b);
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM thepayne").await, 5);

    // a writes again after sharing: still its own output.
    tb.copy_from(&ta).await.unwrap();
    // b's previous output had no other user: its rows are gone.
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM thepayne").await, 3);
    ta.write(&rows_b).await.unwrap();
    assert_eq!(tb.read().await.unwrap(), rows_a);
    assert_eq!(ta.read().await.unwrap(), rows_b);

    // Copy across tables is refused, naming both tables.
    let o = Other(star(12));
    let err = db.target(&o).copy_from(&ta).await.unwrap_err();
    assert!(matches!(err, Error::TableMismatch { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("other_result") && text.contains("thepayne"), "{text}");
    assert!(!db.target(&o).exists().await.unwrap());
    db.close().await;
}

async fn schema_grows_with_new_columns(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let old = Payne(star(30));
    let old_rows: Vec<PayneResults> = (0..2).map(payne_row).collect();
    db.target(&old).write(&old_rows).await.unwrap();
    db.close().await;

    // A newer program declares one more column on the same table.
    let db = Database::connect(url).await.unwrap();
    let new = PayneV2(star(31));
    let new_rows = vec![
        PayneResultsV2::new(payne_row(5), Some(-0.25)),
        PayneResultsV2::new(payne_row(6), None),
    ];
    db.target(&new).write(&new_rows).await.unwrap();
    assert_eq!(db.target(&new).read().await.unwrap(), new_rows);
    // The old task's rows read through the new struct have NULL in the new column...
    let as_v2 = db.target(&PayneV2(star(30))).read().await.unwrap();
    assert_eq!(as_v2.iter().map(|r| r.x_h).collect::<Vec<_>>(), [None, None]);
    assert_eq!(as_v2.iter().map(PayneResultsV2::v1).collect::<Vec<_>>(), old_rows);
    // ...and the old struct still reads both.
    assert_eq!(
        db.target(&Payne(star(31))).read().await.unwrap(),
        [payne_row(5), payne_row(6)]
    );
    db.close().await;
}

async fn changed_column_type_is_refused(url: &str) {
    let db = Database::connect(url).await.unwrap();
    db.target(&Payne(star(40))).write(&[payne_row(0)]).await.unwrap();
    let db2 = Database::connect(url).await.unwrap();
    let bad = PayneBad(star(41));
    let err = db2
        .target(&bad)
        .write(&[PayneResultsBad { teff: 1.0, snr: 3 }])
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Schema { .. }), "{text}");
    let (old, new) = match db2.dialect() {
        astra_targets::column::SqlDialect::Sqlite => ("REAL", "INTEGER"),
        astra_targets::column::SqlDialect::Postgres => ("double precision", "BIGINT"),
    };
    for part in ["thepayne", "snr", old, new] {
        assert!(text.contains(part), "{text:?} lacks {part:?}");
    }
    // Nothing was written.
    assert!(db2.target(&bad).task_row().await.unwrap().is_none());
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM thepayne").await, 1);
    db.close().await;
    db2.close().await;
}

async fn nulls_vectors_and_nan_round_trip(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let task = Payne(star(50));
    let mut rows: Vec<PayneResults> = (0..3).map(payne_row).collect();
    rows[0].teff = f32::NAN;
    rows[1].snr = f64::NAN;
    rows[1].flag = None;
    rows[2].flag = Some(i32::MIN);
    rows[2].labels = [f32::MIN_POSITIVE, f32::MAX, -0.0];
    rows[2].cov = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, f64::EPSILON]];
    let target = db.target(&task);
    target.write(&rows).await.unwrap();
    // NaN is stored as NULL...
    assert_eq!(
        scalar_i64(url, "SELECT count(*) FROM thepayne WHERE teff IS NULL").await,
        1
    );
    assert_eq!(
        scalar_i64(url, "SELECT count(*) FROM thepayne WHERE snr IS NULL").await,
        1
    );
    assert_eq!(
        scalar_i64(url, "SELECT count(*) FROM thepayne WHERE flag IS NULL").await,
        1
    );
    // ...and read back as NaN.
    let back = target.read().await.unwrap();
    assert!(back[0].teff.is_nan() && back[1].snr.is_nan());
    assert_eq!(back[0].snr, rows[0].snr);
    assert_eq!(back[1].teff, rows[1].teff);
    assert_eq!(back[2], rows[2]);
    assert_eq!(back[2].labels[2].to_bits(), (-0.0f32).to_bits());
    assert_eq!(
        back.iter().map(|r| r.flag).collect::<Vec<_>>(),
        [Some(0), None, Some(i32::MIN)]
    );
    // Vector columns are arrays (PostgreSQL) or little-endian BLOBs (SQLite).
    let size = match db.dialect() {
        astra_targets::column::SqlDialect::Sqlite => {
            scalar_i64(url, "SELECT length(cov) FROM thepayne WHERE row_index = 2").await
        }
        astra_targets::column::SqlDialect::Postgres => {
            scalar_i64(url, "SELECT cardinality(cov)::bigint FROM thepayne WHERE row_index = 2").await
        }
    };
    assert!(size == 72 || size == 9, "cov holds {size}");
    db.close().await;
}

async fn hostile_and_unicode_strings(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let hostile = [
        "O'Brien\"; DROP TABLE task; --",
        "Ωμέγα ✓ 🌟 ñ",
        "back\\slash $1 ? %s",
        "tab\tnew\nline",
        "",
    ];
    for (i, name) in hostile.iter().enumerate() {
        let task = Payne(Star::new(60 + i as i64, name));
        let mut row = payne_row(i);
        row.name = name.to_string();
        let target = db.target(&task);
        target.write(std::slice::from_ref(&row)).await.unwrap();
        assert_eq!(target.read().await.unwrap(), [row]);
        let params = target.parameters().await.unwrap();
        assert!(params.contains(&("obj".to_string(), name.to_string())), "{params:?}");
    }
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM task").await, hostile.len() as i64);
    db.close().await;
}

async fn nul_bytes_are_refused(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let task = Payne(star(70));
    let mut row = payne_row(0);
    row.name = "before\0after".into();
    let err = db.target(&task).write(&[payne_row(1), row]).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Value { .. }), "{text}");
    assert!(text.contains("NUL") && text.contains("column `name` row 1"), "{text}");
    // In a parameter too.
    let nul_task = Payne(Star::new(71, "obj\0x"));
    let err = db.target(&nul_task).write(&[payne_row(0)]).await.unwrap_err();
    assert!(err.to_string().contains("parameter `obj`"), "{err}");
    let err = db
        .target(&nul_task)
        .set_status(StatusCode::ProcessFailure, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");
    // Nothing was written.
    assert!(!db.target(&task).exists().await.unwrap());
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM task").await, 0);
    db.close().await;
}

async fn get_query_runs_and_shows(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let task = Payne(star(80));
    let target = db.target(&task);
    let rows: Vec<PayneResults> = (0..3).map(payne_row).collect();
    target.write(&rows).await.unwrap();

    let q = target.query().columns(["snr", "name"]).build().unwrap();
    let shown = q.to_string();
    assert!(shown.starts_with("SELECT "), "{shown}");
    assert!(
        shown.contains("r.\"snr\"") && shown.contains("r.\"name\"") && !shown.contains("teff"),
        "{shown}"
    );
    assert!(shown.contains("$1 = \"ThePayne\""), "{shown}");
    assert!(shown.contains(&format!("$2 = {:?}", target.task_id())), "{shown}");
    assert_eq!(q.binds(), ["ThePayne".to_string(), target.task_id().to_string()]);
    let got = q.fetch().await.unwrap();
    assert_eq!(got.len(), 3);
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r.row_index, i as i64);
        assert!(r.task.is_none());
        assert_eq!(r.values.len(), 2);
        assert_eq!(r.get("snr"), Some(&Value::Float(rows[i].snr)));
        assert_eq!(r.get("name"), Some(&Value::Text(rows[i].name.clone())));
    }

    let full = target.query().with_task_row().fetch().await.unwrap();
    assert_eq!(full.len(), 3);
    let task_row = full[0].task.as_ref().unwrap();
    assert_eq!(task_row.task_id, target.task_id());
    assert_eq!(Some(task_row), target.task_row().await.unwrap().as_ref());
    assert_eq!(full[0].values.len(), 6);

    let err = target
        .query()
        .columns(["snr", "nope; DROP TABLE task"])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("nope; DROP TABLE task"), "{err}");
    // The seed's name, the seed's arguments as builder calls.
    let seed = target
        .get_query()
        .columns(vec!["teff".to_string()])
        .with_task_row()
        .build()
        .unwrap();
    let got = seed.fetch().await.unwrap();
    assert_eq!(got[2].get("teff"), Some(&Value::Float(f64::from(rows[2].teff))));
    assert!(got[2].task.is_some() && got[2].get("snr").is_none());
    db.close().await;
}

async fn status_and_duration(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let task = Payne(star(90));
    let target = db.target(&task);
    // set_status creates the task row when missing; it has no result yet.
    target.set_status(StatusCode::MissingDependency, None).await.unwrap();
    let row = target.task_row().await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.duration, row.output_pk),
        (StatusCode::MissingDependency, None, None)
    );
    assert!(!target.exists().await.unwrap());
    assert_eq!(target.parameters().await.unwrap().len(), 4);
    // Writing keeps the status.
    target.write(&[payne_row(0)]).await.unwrap();
    assert_eq!(
        target.task_row().await.unwrap().unwrap().status,
        StatusCode::MissingDependency
    );
    target.set_status(StatusCode::Success, Some(12.625)).await.unwrap();
    let row = target.task_row().await.unwrap().unwrap();
    assert_eq!((row.status, row.duration), (StatusCode::Success, Some(12.625)));
    // UTC timestamps, ISO 8601.
    for ts in [&row.created, &row.modified] {
        assert_eq!(ts.len(), 24, "{ts}");
        assert!(ts.ends_with('Z') && &ts[10..11] == "T", "{ts}");
    }
    assert!(row.modified >= row.created);
    for s in StatusCode::ALL {
        target.set_status(s, Some(1.0)).await.unwrap();
        assert_eq!(target.task_row().await.unwrap().unwrap().status, s);
        let code = scalar_i64(url, "SELECT CAST(status_code AS BIGINT) FROM task").await;
        assert_eq!(code, i64::from(s.code()));
    }
    db.close().await;
}

async fn bulk_write_and_exists(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let tasks: Vec<Bench> = (0..300).map(|h| Bench(Star::new(h, "bulk"))).collect();
    let data: Vec<Vec<BenchResults>> = (0..300)
        .map(|h| {
            (0..7)
                .map(|i| BenchResults {
                    spectrum: format!("{h:016x}{i:016x}"),
                    values: std::array::from_fn(|k| (h * 100 + i * 10 + k as i64) as f64),
                })
                .collect()
        })
        .collect();
    let mut items: Vec<(&Bench, &[BenchResults])> = tasks.iter().zip(&data).map(|(t, d)| (t, d.as_slice())).collect();
    // A task listed twice: the last rows win.
    items.push((&tasks[0], &data[1]));
    db.write_many(&items).await.unwrap();
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM bench_result").await, 300 * 7);
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM task").await, 300);
    assert_eq!(db.target(&tasks[0]).read().await.unwrap(), data[1]);
    assert_eq!(db.target(&tasks[299]).read().await.unwrap(), data[299]);
    // Again: same rows, nothing duplicated; every stage of the write took some time.
    let stages = db.write_many_timed(&items[..300]).await.unwrap();
    for (stage, took) in [
        ("tasks", stages.tasks),
        ("parameters", stages.parameters),
        ("links", stages.links),
        ("outputs", stages.outputs),
        ("rows", stages.rows),
        ("commit", stages.commit),
    ] {
        assert!(!took.is_zero(), "{stage} took no time: {stages}");
    }
    assert!(stages.total() >= stages.links + stages.rows, "{stages}");
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM bench_result").await, 300 * 7);
    assert_eq!(db.target(&tasks[0]).read().await.unwrap(), data[0]);
    // The rewritten tasks kept their outputs; none is left without a task.
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM output_interface").await, 300);
    // Large enough for PostgreSQL's COPY path: 1,000 rows in one task.
    let big_task = Bench(Star::new(1000, "big"));
    let big: Vec<BenchResults> = (0..1000)
        .map(|i| BenchResults {
            spectrum: format!("big{i}"),
            values: [i as f64; 30],
        })
        .collect();
    db.write_many(&[(&big_task, big.as_slice())]).await.unwrap();
    assert_eq!(db.target(&big_task).read().await.unwrap(), big);

    let mut ids: Vec<String> = tasks.iter().map(|t| db.target(t).task_id().to_string()).collect();
    ids.extend((0..100).map(|i| format!("Bench_missing{i}")));
    ids.push("Bench_'; DROP TABLE task; --".into());
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let found = db.exists_many::<Bench>(&refs).await.unwrap();
    assert_eq!(found.len(), 401);
    assert!(found[..300].iter().all(|b| *b));
    assert!(found[300..].iter().all(|b| !*b));
    // Past one bound list (50,000 ids), ids repeated and in any order: each answer in
    // its place.
    let mut long: Vec<&str> = vec!["Bench_absent"; 60_000];
    for (i, id) in refs[..300].iter().enumerate() {
        long[i * 199] = id;
        long[59_999 - i] = id;
    }
    let found = db.exists_many::<Bench>(&long).await.unwrap();
    assert_eq!(found.len(), 60_000);
    let expected: Vec<bool> = long.iter().map(|id| *id != "Bench_absent").collect();
    assert!(
        found == expected,
        "{} answers differ",
        found.iter().zip(&expected).filter(|(a, b)| a != b).count()
    );
    // Family matters.
    assert!(db.exists_many::<Payne>(&refs[..3]).await.unwrap().iter().all(|b| !*b));
    assert!(db.exists_many::<Bench>(&[]).await.unwrap().is_empty());
    db.close().await;
}

async fn read_of_missing_task_is_an_error(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let task = Payne(star(99));
    let err = db.target(&task).read().await.unwrap_err();
    assert!(err.to_string().contains(db.target(&task).task_id()), "{err}");
    // A task written with no rows exists and reads as empty.
    db.target(&task).write(&[]).await.unwrap();
    assert!(db.target(&task).exists().await.unwrap());
    assert!(db.target(&task).read().await.unwrap().is_empty());
    let err = Database::connect("mysql://x@y/z").await.unwrap_err();
    assert!(
        matches!(err, Error::DatabaseUrl { .. }) && err.to_string().contains("mysql://x@y/z"),
        "{err}"
    );
    db.close().await;
}

/// Results of a derived task (the declaration a pipeline author writes).
#[derive(Debug, Clone, PartialEq, astra_targets::AstraResults)]
pub struct DerivedResults {
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: f32,
    /// Signal-to-noise ratio per pixel
    pub snr: f64,
    /// Spectrum name
    #[astra(width = 32)]
    pub name: String,
    /// Optional flag (NULL when absent)
    pub flag: Option<i32>,
    /// Labels vector
    pub labels: [f32; 3],
    /// Covariance matrix
    pub cov: [[f64; 3]; 3],
    /// Pixel flags
    pub flags: [bool; 2],
}

/// Estimate stellar labels (a derived test task).
#[derive(Debug, Clone, astra_targets::AstraTask)]
#[astra(family = "DerivedPayne", namespace = "derived", version = "1.0.0", results = DerivedResults, table = "derived_payne")]
pub struct DerivedPayne {
    /// Telescope name
    pub telescope: String,
    /// HEALPix pixel
    pub healpix: i64,
    /// Signal-to-noise cut
    pub snr_cut: f64,
    /// Worker threads
    #[astra(insignificant, default)]
    pub n_threads: u32,
}

async fn derived_task_round_trip(url: &str) {
    use astra_targets::AstraTask;
    let db = Database::connect(url).await.unwrap();
    let task = DerivedPayne {
        telescope: "lco25m".into(),
        healpix: 12345,
        snr_cut: 0.1,
        n_threads: 8,
    };
    let rows: Vec<DerivedResults> = (0..3)
        .map(|i| DerivedResults {
            teff: 5000.0 + i as f32,
            snr: if i == 1 { f64::NAN } else { 20.0 * i as f64 },
            name: format!("★ star {i}"),
            flag: (i != 2).then_some(i),
            labels: [i as f32, 2.5, -1.0],
            cov: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, i as f64]],
            flags: [i % 2 == 0, true],
        })
        .collect();
    let target = db.target(&task);
    assert_eq!(target.task_id(), task.task_id());
    target.write(&rows).await.unwrap();
    let back = target.read().await.unwrap();
    assert_eq!(back.len(), 3);
    assert!(back[1].snr.is_nan());
    assert_eq!((&back[0], &back[2]), (&rows[0], &rows[2]));
    let params = target.parameters().await.unwrap();
    assert!(params.contains(&("snr_cut".into(), "0.1".into())), "{params:?}");
    assert!(params.contains(&("n_threads".into(), "8".into())), "{params:?}");
    assert_eq!(
        db.exists_many::<DerivedPayne>(&[target.task_id(), "DerivedPayne_00000000"])
            .await
            .unwrap(),
        [true, false]
    );
    db.close().await;
}

async fn refused_value_in_bulk_rolls_back(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let tasks: Vec<Payne> = (0..3).map(|h| Payne(star(200 + h))).collect();
    let old: Vec<PayneResults> = (0..4).map(payne_row).collect();
    db.write_many(&[(&tasks[0], old.as_slice())]).await.unwrap();
    // 1,200 rows per task (PostgreSQL's COPY path, SQLite's multi-row statements), with
    // a NUL byte deep in the last task: rows before it were already sent.
    let big: Vec<PayneResults> = (0..1200).map(payne_row).collect();
    let mut bad = big.clone();
    bad[1100].name = "late\0nul".into();
    let err = db
        .write_many(&[
            (&tasks[0], big.as_slice()),
            (&tasks[1], big.as_slice()),
            (&tasks[2], bad.as_slice()),
        ])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("column `name` row 1100"), "{err}");
    // Nothing of it was written: the first task keeps its old rows, the others have none.
    assert_eq!(db.target(&tasks[0]).read().await.unwrap(), old);
    assert!(!db.target(&tasks[1]).exists().await.unwrap());
    assert!(db.target(&tasks[2]).task_row().await.unwrap().is_none());
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM thepayne").await, 4);
    // The connection is usable afterwards.
    db.write_many(&[(&tasks[1], big.as_slice())]).await.unwrap();
    assert_eq!(db.target(&tasks[1]).read().await.unwrap().len(), 1200);
    db.close().await;
}

/// `sqlite::memory:` is one database shared by the pool's connections (SQLite only).
#[tokio::test]
async fn sqlite_in_memory_database() {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    let task = Payne(star(300));
    let rows: Vec<PayneResults> = (0..3).map(payne_row).collect();
    db.target(&task).write(&rows).await.unwrap();
    assert!(db.target(&task).exists().await.unwrap());
    assert_eq!(db.target(&task).read().await.unwrap(), rows);
    assert_eq!(
        db.exists_many::<Payne>(&[db.target(&task).task_id()]).await.unwrap(),
        [true]
    );
    db.close().await;
}

/// A change of a column's declared type that the backend would store alike is refused
/// like any other, naming table, column, old and new declared types; the older program
/// still reads its rows.
async fn declared_type_changes_are_refused(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let old = Payne(star(400));
    db.target(&old).write(&[payne_row(0), payne_row(1)]).await.unwrap();
    db.close().await;

    let db = Database::connect(url).await.unwrap();
    // f64 -> f32 (both REAL on SQLite).
    let narrower = PayneF32(star(401));
    let err = db
        .target(&narrower)
        .write(&[PayneResultsF32 { teff: 1.0, snr: 2.0 }])
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Schema { .. }), "{text}");
    for part in ["thepayne", "`snr`", "declared f64", "declares f32", "PayneResultsF32"] {
        assert!(text.contains(part), "{text:?} lacks {part:?}");
    }
    // [f32; 3] -> [f32; 4] (one BLOB or array type on both backends).
    let wider = PayneWide(star(402));
    let err = db
        .target(&wider)
        .write(&[PayneResultsWide {
            teff: 1.0,
            labels: [1.0, 2.0, 3.0, 4.0],
        }])
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Schema { .. }), "{text}");
    for part in ["thepayne", "`labels`", "[f32; 3]", "[f32; 4]"] {
        assert!(text.contains(part), "{text:?} lacks {part:?}");
    }
    // Reading through the changed struct is refused too, and nothing was written.
    let err = db.target(&PayneWide(star(400))).read().await.unwrap_err();
    assert!(err.to_string().contains("[f32; 4]"), "{err}");
    assert!(db.target(&narrower).task_row().await.unwrap().is_none());
    assert!(db.target(&wider).task_row().await.unwrap().is_none());
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM thepayne").await, 2);
    // The declared types are part of the stored schema.
    assert_eq!(
        scalar_i64(
            url,
            "SELECT count(*) FROM astra_column WHERE table_name = 'thepayne' \
             AND column_name = 'labels' AND scalar_type = 'f32' AND shape = '3'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            url,
            "SELECT count(*) FROM astra_column WHERE table_name = 'thepayne' AND column_name = 'cov' AND shape = '3x3'"
        )
        .await,
        1
    );
    // The older program reads its own rows.
    assert_eq!(db.target(&old).read().await.unwrap(), [payne_row(0), payne_row(1)]);
    db.close().await;
}

/// Rerunning a task with another value of an insignificant parameter (same task id)
/// leaves one value per parameter name: the latest run's.
async fn rerun_keeps_one_value_per_parameter(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let first = Payne(star(410));
    let mut again = first.clone();
    again.0.n_threads = 16;
    assert_eq!(db.target(&first).task_id(), db.target(&again).task_id());
    db.target(&first).write(&[payne_row(0)]).await.unwrap();
    db.target(&again).write(&[payne_row(1)]).await.unwrap();
    let params = db.target(&first).parameters().await.unwrap();
    let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["healpix", "n_threads", "obj", "telescope"], "{params:?}");
    assert!(params.contains(&("n_threads".into(), "16".into())), "{params:?}");
    // The same through set_status and write_many.
    let mut third = first.clone();
    third.0.n_threads = 2;
    db.target(&third).set_status(StatusCode::Success, None).await.unwrap();
    assert!(
        db.target(&first)
            .parameters()
            .await
            .unwrap()
            .contains(&("n_threads".into(), "2".into()))
    );
    db.write_many(&[(&first, &[payne_row(2)][..])]).await.unwrap();
    let params = db.target(&first).parameters().await.unwrap();
    assert_eq!(params.len(), 4, "{params:?}");
    assert!(params.contains(&("n_threads".into(), "4".into())), "{params:?}");
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM task_parameter").await, 4);
    // Another task keeps its own values.
    let other = Payne(star(411));
    db.target(&other).write(&[payne_row(0)]).await.unwrap();
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM task_parameter").await, 8);
    assert_eq!(db.target(&first).parameters().await.unwrap().len(), 4);
    db.close().await;
}

/// NaN is stored as NULL on both backends; a plain float column reads it back as NaN, an
/// `Option` float column as `None` (so `Some(NaN)` reads back as `None`). Checked through
/// every insert path (small writes, and PostgreSQL's COPY from 500 rows on).
async fn nan_rules(url: &str) {
    let db = Database::connect(url).await.unwrap();
    for (h, n) in [(420, 3usize), (421, 600)] {
        let task = NanTask(star(h));
        let rows: Vec<NanResults> = (0..n)
            .map(|i| NanResults {
                x: f64::NAN,
                y: if i % 2 == 0 { Some(f64::NAN) } else { Some(i as f64) },
                z: Some(f32::NAN),
                w: f32::NAN,
                v: [f64::NAN, 1.5],
            })
            .collect();
        let target = db.target(&task);
        target.write(&rows).await.unwrap();
        let back = target.read().await.unwrap();
        assert_eq!(back.len(), n);
        for (i, r) in back.iter().enumerate() {
            assert!(r.x.is_nan() && r.w.is_nan(), "row {i}: {r:?}");
            assert_eq!(r.y, if i % 2 == 0 { None } else { Some(i as f64) }, "row {i}");
            assert_eq!(r.z, None, "row {i}");
            assert!(r.v[0].is_nan() && r.v[1] == 1.5, "row {i}: {r:?}");
        }
        // Stored as NULL.
        let out = target.task_row().await.unwrap().unwrap().output_pk.unwrap();
        assert_eq!(
            scalar_i64(
                url,
                &format!(
                    "SELECT count(*) FROM nan_result WHERE output_pk = {out} AND x IS NULL AND z IS NULL AND w IS NULL"
                )
            )
            .await,
            n as i64
        );
        // Through a query the values are NULL, shown as such.
        let q = target.query().columns(["x", "y"]).fetch().await.unwrap();
        assert_eq!(q[0].get("x"), Some(&Value::Null));
        assert_eq!(q[0].get("y"), Some(&Value::Null));
    }
    // The conversion the rule rests on: NULL in a plain float column is NaN.
    use astra_targets::value::ColumnValue;
    assert!(<f64 as ColumnValue>::from_value(Value::Null).unwrap().is_nan());
    db.close().await;
}

/// A database opened read-only reads (exists, read, queries, parameters, exists_many)
/// and refuses every write with `Error::ReadOnly`; on SQLite it creates nothing next to
/// the file.
async fn read_only_open(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let task = Payne(star(430));
    let rows: Vec<PayneResults> = (0..3).map(payne_row).collect();
    db.target(&task).write(&rows).await.unwrap();
    db.close().await;
    let sidecars = |url: &str| -> Vec<bool> {
        match url.strip_prefix("sqlite://") {
            Some(path) => ["-wal", "-shm", "-journal"]
                .iter()
                .map(|s| std::path::Path::new(&format!("{path}{s}")).exists())
                .collect(),
            None => Vec::new(),
        }
    };
    assert!(sidecars(url).iter().all(|e| !e), "left behind by the writer");

    let ro = Database::options(url).read_only().connect().await.unwrap();
    assert!(ro.is_read_only());
    let target = ro.target(&task);
    assert!(target.exists().await.unwrap());
    assert_eq!(target.read().await.unwrap(), rows);
    assert_eq!(target.query().columns(["snr"]).fetch().await.unwrap().len(), 3);
    assert_eq!(target.parameters().await.unwrap().len(), 4);
    assert_eq!(ro.exists_many::<Payne>(&[target.task_id()]).await.unwrap(), [true]);
    // A family whose table does not exist: nothing to read, and nothing created.
    let other = Other(star(431));
    assert!(!ro.target(&other).exists().await.unwrap());
    let err = ro.target(&other).read().await.unwrap_err();
    assert!(matches!(err, Error::Missing { .. }), "{err}");
    // Every write is refused, saying so.
    let err = target.write(&rows).await.unwrap_err();
    assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
    assert!(
        err.to_string().contains("read-only") && err.to_string().contains(target.task_id()),
        "{err}"
    );
    for err in [
        target.set_status(StatusCode::ProcessFailure, None).await.unwrap_err(),
        ro.target(&PayneAgain(star(430))).copy_from(&target).await.unwrap_err(),
        ro.write_many(&[(&task, rows.as_slice())]).await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
    }
    assert!(sidecars(url).iter().all(|e| !e), "the read-only open created a file");
    ro.close().await;
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM task").await, 1);
    let err = Database::connect(url)
        .await
        .unwrap()
        .target(&other)
        .read()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Missing { .. }), "{err}");
}

async fn record_runs_commits_rows_status_and_messages(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let ok: Vec<Payne> = (0..3).map(|h| Payne(star(200 + h))).collect();
    let bad = Payne(star(299));
    // Marked running first (as the runner does), with their task rows and parameters;
    // then the runs move them to success or a failure.
    let all: Vec<&Payne> = ok.iter().chain([&bad]).collect();
    db.mark_status(&all, StatusCode::Running).await.unwrap();
    let row = db.target(&bad).task_row().await.unwrap().unwrap();
    assert_eq!((row.status, row.duration), (StatusCode::Running, None));
    assert_eq!(db.target(&bad).parameters().await.unwrap().len(), 4);
    assert!(!db.target(&bad).exists().await.unwrap());
    let counts = db.status_counts().await.unwrap();
    assert_eq!((counts[0].code, counts[0].count), (1, 4));
    let rows: Vec<Vec<PayneResults>> = (0..3).map(|i| vec![payne_row(i), payne_row(i + 10)]).collect();
    let mut runs: Vec<TaskRun<'_, Payne>> = ok
        .iter()
        .zip(&rows)
        .map(|(t, r)| TaskRun::succeeded(t, r, 0.5))
        .collect();
    runs.push(TaskRun::failed(
        &bad,
        StatusCode::ProcessFailure,
        0.25,
        "no flux above zero; it's 'quoted'",
    ));
    db.record_runs(&runs).await.unwrap();
    for (t, r) in ok.iter().zip(&rows) {
        let target = db.target(t);
        assert_eq!(target.read().await.unwrap(), *r);
        let row = target.task_row().await.unwrap().unwrap();
        assert_eq!((row.status, row.duration), (StatusCode::Success, Some(0.5)));
    }
    let target = db.target(&bad);
    assert!(!target.exists().await.unwrap());
    let row = target.task_row().await.unwrap().unwrap();
    assert_eq!((row.status, row.duration), (StatusCode::ProcessFailure, Some(0.25)));
    assert_eq!(target.parameters().await.unwrap().len(), 4);

    let ok_target = db.target(&ok[0]);
    let ids = [target.task_id(), ok_target.task_id(), "ThePayne_00000000"];
    assert_eq!(db.failed_many::<Payne>(&ids).await.unwrap(), [true, false, false]);
    let failed = db.failed_tasks(10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].task_id, target.task_id());
    assert_eq!(failed[0].code, 40);
    assert_eq!(failed[0].message.as_deref(), Some("no flux above zero; it's 'quoted'"));

    let counts = db.status_counts().await.unwrap();
    let summary: Vec<(String, i64, i64)> = counts.iter().map(|c| (c.family.clone(), c.code, c.count)).collect();
    assert_eq!(
        summary,
        [("ThePayne".to_string(), 30, 3), ("ThePayne".to_string(), 40, 1)]
    );
    assert_eq!(counts[0].mean_duration, Some(0.5));

    // A later success of the failed task clears its message; a later failure of a
    // succeeded task keeps its result.
    let fixed = [payne_row(7)];
    db.record_runs(&[
        TaskRun::succeeded(&bad, &fixed, 1.0),
        TaskRun::failed(&ok[0], StatusCode::Broken, 2.0, "broken input"),
    ])
    .await
    .unwrap();
    assert_eq!(db.target(&bad).read().await.unwrap(), fixed);
    // A task with a result is not failed, whatever its last status says.
    assert_eq!(db.failed_many::<Payne>(&ids[..2]).await.unwrap(), [false, false]);
    assert!(
        db.failed_tasks(10)
            .await
            .unwrap()
            .iter()
            .all(|f| f.task_id != target.task_id())
    );
    let again = db.failed_tasks(10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].code, again[0].message.as_deref()), (50, Some("broken input")));
    assert_eq!(db.target(&ok[0]).read().await.unwrap(), rows[0]);

    // A NUL byte in a message refuses the whole batch: nothing recorded.
    let other = Payne(star(298));
    let err = db
        .record_runs(&[
            TaskRun::succeeded(&other, &fixed, 1.0),
            TaskRun::failed(&ok[1], StatusCode::ProcessFailure, 1.0, "nul\0byte"),
        ])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");
    assert!(!db.target(&other).exists().await.unwrap());
    assert_eq!(
        db.target(&ok[1]).task_row().await.unwrap().unwrap().status,
        StatusCode::Success
    );
    db.close().await;
}

/// The named bits of a bitmask column are recorded in `astra_flag`, one row per bit, and
/// follow the result struct when its bits change; the flags values round-trip.
async fn named_bits_are_recorded(url: &str) {
    let db = Database::connect(url).await.unwrap();
    let rows = [
        FlaggedResults {
            teff: 5000.0,
            flags: FlaggedResults::FLAGS_LOW_SNR | FlaggedResults::FLAGS_SIGN,
        },
        FlaggedResults { teff: 6000.0, flags: 0 },
    ];
    db.target(&Flagged(star(500))).write(&rows).await.unwrap();
    assert_eq!(db.target(&Flagged(star(500))).read().await.unwrap(), rows);
    let flags = &<FlaggedResults as astra_targets::AstraResults>::COLUMNS[1];
    assert_eq!(flags.flag_names(rows[0].flags), ["LOW_SNR", "SIGN"]);
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM astra_flag").await, 3);
    for (bit, name, description) in [
        (0, "TEFF_EDGE", "teff near the edge of the grid"),
        (1, "LOW_SNR", "signal-to-noise ratio below 20"),
        (63, "SIGN", "the highest bit, for the sign's sake"),
    ] {
        let sql = format!(
            "SELECT count(*) FROM astra_flag WHERE table_name = 'flagged_result' AND column_name = 'flags' \
             AND bit = {bit} AND name = '{name}' AND description = '{}'",
            description.replace('\'', "''")
        );
        assert_eq!(scalar_i64(url, &sql).await, 1, "{sql}");
    }
    // The flags value with bit 63 set is stored as the negative integer it is.
    assert_eq!(
        scalar_i64(url, "SELECT count(*) FROM flagged_result WHERE flags < 0").await,
        1
    );
    // A newer struct renames bit 1 and drops bit 63: the recorded bits follow it.
    db.target(&FlaggedV2(star(501)))
        .write(&[FlaggedResultsV2 {
            teff: 4000.0,
            flags: FlaggedResultsV2::FLAGS_VERY_LOW_SNR,
        }])
        .await
        .unwrap();
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM astra_flag").await, 2);
    assert_eq!(
        scalar_i64(
            url,
            "SELECT count(*) FROM astra_flag WHERE bit = 1 AND name = 'VERY_LOW_SNR' \
             AND description = 'signal-to-noise ratio below 10'"
        )
        .await,
        1
    );
    // Tables without bitmask columns record none.
    db.target(&Payne(star(502))).write(&[payne_row(0)]).await.unwrap();
    assert_eq!(scalar_i64(url, "SELECT count(*) FROM astra_flag").await, 2);
    db.close().await;
}

//! The `apogeenet` plugin through the program: synthetic APOGEE inputs, a table of the
//! network's outputs written here (one input missing from it), `astra run apogeenet`,
//! then the rows, their quality bits and the failure; and a malformed table refused
//! before anything is written.

use std::path::Path;
use std::process::Output;

use astra_apogeenet::plugin::{ApogeeNet, ApogeeNetPlugin, ApogeeNetResults as R};
use astra_targets::AstraResults;
use astra_targets::db::blocking::Database;
use astra_targets::fits::CardValue;
use astra_targets::plugin::{ModelSource, Plugin};
use astra_targets::spectrum::synthetic::{self, Labels};
use astra_targets_tests::program::{self, text};

fn astra(dir: &Path, url: &str, args: &[&str]) -> Output {
    program::run_at(env!("CARGO_BIN_EXE_astra"), dir, url, args)
}

/// Writes `in/apStar-{k}.fits` for each S/N, and returns each input's task (for `md5`).
fn write_inputs(dir: &Path, snrs: &[f64], md5: &str) -> Vec<ApogeeNet> {
    std::fs::create_dir_all(dir.join("in")).unwrap();
    snrs.iter()
        .enumerate()
        .map(|(k, &snr)| {
            let labels = Labels {
                teff: 4800.0 + 100.0 * k as f64,
                logg: 2.5,
                fe_h: -0.2,
            };
            let s = synthetic::apogee(k as u64 + 11, labels, snr, 1).unwrap();
            let path = dir.join(format!("in/apStar-{k}.fits"));
            synthetic::write_apstar(&path, &s).unwrap();
            let card = |key: &str| s.header.iter().find(|c| c.key == key).unwrap().value.clone();
            let (CardValue::Int(healpix), CardValue::Str(obj)) = (card("HEALPIX"), card("OBJID")) else {
                panic!("cards")
            };
            ApogeeNet {
                healpix,
                obj: obj.trim_end().to_string(),
                outputs_md5: md5.to_string(),
            }
        })
        .collect()
}

const HEADER: &str = "# APOGEENet outputs of a test batch\nspectrum,row,teff,u_teff,logg,u_logg,fe_h,u_fe_h,draws\n";

#[test]
fn apogeenet_writes_rows_with_their_bits_and_fails_a_missing_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let table = d.join("batch.csv");
    // apStar-2 has no line: its task fails, the others succeed.
    std::fs::write(
        &table,
        format!(
            "{HEADER}apStar-0.fits,0,4812.5,35.1,2.61,0.05,-0.21,0.03,100\n\
             apStar-1.fits,0,1500,40,2.5,0.05,-0.1,nan,100\n\
             apStar-3.fits,0,5210.25,61,4.4,0.7,0.1,0.04,100\n"
        ),
    )
    .unwrap();
    let md5 = ApogeeNetPlugin::load_model(ModelSource::File(&table)).unwrap().md5;
    let tasks = write_inputs(d, &[100.0, 100.0, 100.0, 4.0], &md5);
    let url = format!("sqlite://{}", d.join("astra.db").display());
    let out = astra(d, &url, &["run", "apogeenet", "in", "--model", "batch.csv"]);
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown}{}", text(&out.stderr));
    assert!(
        shown.contains("4 inputs: 0 already done, 3 succeeded, 1 failed"),
        "{shown}"
    );
    assert!(
        shown.contains("has no line for spectrum row 0 of apStar-2.fits"),
        "{shown}"
    );
    assert!(!d.join("out").exists(), "a rows-only plugin wrote files");

    let db = Database::connect(&url).unwrap();
    let read = |k: usize| {
        let rows = db.target(&tasks[k]).read().unwrap();
        assert_eq!(rows.len(), 1, "input {k}");
        rows[0].clone()
    };
    let flags = R::COLUMNS.iter().find(|c| c.name == "result_flags").unwrap();

    let good = read(0);
    assert_eq!(
        (good.teff, good.u_teff, good.logg, good.u_logg, good.fe_h, good.u_fe_h),
        (4812.5, 35.1, 2.61, 0.05, -0.21, 0.03)
    );
    assert!(good.snr > 30.0, "{good:?}");
    assert_eq!(good.result_flags, 0, "{good:?}");

    let cold = read(1);
    assert!(cold.u_fe_h.is_nan(), "NaN round-trips: {cold:?}");
    assert_eq!(
        cold.result_flags,
        R::RESULT_FLAGS_BAD_OUTPUT | R::RESULT_FLAGS_UNRELIABLE_TEFF | R::RESULT_FLAGS_UNRELIABLE_FE_H
    );
    assert_eq!(
        flags.flag_names(cold.result_flags),
        ["BAD_OUTPUT", "UNRELIABLE_TEFF", "UNRELIABLE_FE_H"]
    );

    let faint = read(3);
    assert!(faint.snr < 10.0, "{faint:?}");
    assert_eq!(flags.flag_names(faint.result_flags), ["LOW_SNR", "LARGE_ERROR"]);
    assert_eq!(faint.result_flags, 16 | 32);

    assert!(!db.target(&tasks[2]).exists().unwrap());
    let failed = db.failed_tasks(10).unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].task_id, db.target(&tasks[2]).task_id());
    let message = failed[0].message.as_deref().unwrap_or_default();
    assert!(
        message.contains("batch.csv") && message.contains("no line for spectrum row 0 of apStar-2.fits"),
        "{message}"
    );

    // The docs list the bits under the column.
    let docs = astra(d, &url, &["docs", "--out", "docs", "--format", "md"]);
    assert!(docs.status.success(), "{}", text(&docs.stderr));
    let page = std::fs::read_to_string(d.join("docs/APOGEENet.md")).unwrap();
    for line in [
        "Bits of `result_flags` (also in the table `astra_flag`",
        "| 0 | 1 | `BAD_OUTPUT` | a value or error is not a finite number |",
        "| 5 | 32 | `LARGE_ERROR` | u_teff > 10% of teff, u_logg or u_fe_h > 0.5 |",
    ] {
        assert!(page.contains(line), "{line:?} not in\n{page}");
    }
}

#[test]
fn a_malformed_table_is_one_error_naming_file_and_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("batch.csv"),
        format!("{HEADER}apStar-0.fits,0,4812.5,35.1,2.61,0.05,-0.21,0.03,100\napStar-1.fits,0,4900,40,2.5\n"),
    )
    .unwrap();
    let tasks = write_inputs(d, &[100.0, 100.0], "unused");
    let url = format!("sqlite://{}", d.join("astra.db").display());
    let out = astra(d, &url, &["run", "apogeenet", "in", "--model", "batch.csv"]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one error: {err}");
    assert!(
        err.contains("batch.csv") && err.contains("line 4") && err.contains("5 fields where the header has 9"),
        "{err}"
    );
    assert!(!text(&out.stdout).contains("succeeded"), "{}", text(&out.stdout));
    if d.join("astra.db").exists() {
        let db = Database::connect(&url).unwrap();
        let counts = db.status_counts().unwrap();
        assert!(counts.is_empty(), "{counts:?}");
        for task in &tasks {
            assert!(db.target(task).task_row().unwrap().is_none());
        }
    }
}

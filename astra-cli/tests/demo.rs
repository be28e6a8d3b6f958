//! `astra demo` as a user runs it: in an empty folder, then again.

use std::path::Path;
use std::process::Output;

use astra_targets::AstraTask;
use astra_targets_tests::program::{self, ok};
use astra_targets_tests::{fitsverify, run_python};
use astra_thecannon::plugin::TheCannon;
use astra_thepayne::plugin::ThePayne;

fn astra(dir: &Path, args: &[&str]) -> Output {
    program::run(env!("CARGO_BIN_EXE_astra"), dir, args)
}

/// The methods of the label table, in the order of its columns.
const METHODS: [&str; 2] = ["The Cannon", "The Payne"];

/// The bias and scatter printed for `label` of `instrument`'s block of the label table,
/// in the columns of `method`.
fn bias_and_scatter(shown: &str, instrument: &str, label: &str, method: &str) -> (f64, f64) {
    let column = 2 * METHODS
        .iter()
        .position(|m| *m == method)
        .expect("a method of the table");
    let mut in_block = false;
    for line in shown.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&instrument) && words.get(2) == Some(&"teff") {
            in_block = true;
        } else if words.len() >= 3 && words[0].chars().all(|c| c.is_ascii_uppercase()) && words[0] != instrument {
            in_block = false;
        }
        if in_block && let Some(at) = words.iter().position(|w| *w == label) {
            let number = |i: usize| words[i].parse::<f64>().unwrap_or_else(|_| panic!("{line}"));
            return (number(at + 1 + column), number(at + 2 + column));
        }
    }
    panic!("no {label} row for {instrument} in\n{shown}");
}

#[test]
fn demo_recovers_the_labels_then_finds_the_work_done() {
    let dir = tempfile::tempdir().unwrap();
    let shown = ok(&astra(dir.path(), &["demo"]));
    let demo = dir.path().join("astra-demo");

    // The analyses work: labels recovered close to the true ones by both methods, on
    // both instruments.
    for method in METHODS {
        for instrument in ["APOGEE", "BOSS"] {
            for (label, max_bias, max_scatter) in [("teff", 60.0, 250.0), ("logg", 0.15, 0.5), ("fe_h", 0.05, 0.15)] {
                let (bias, scatter) = bias_and_scatter(&shown, instrument, label, method);
                assert!(
                    bias.abs() < max_bias && scatter > 0.0 && scatter < max_scatter,
                    "{method}, {instrument} {label}: bias {bias}, scatter {scatter}\n{shown}"
                );
            }
        }
    }
    // Both methods' labels of the first test stars, side by side with the true ones.
    let star = shown
        .lines()
        .find(|l| l.contains("apStar-demo-0160"))
        .unwrap_or_else(|| panic!("no line for the first APOGEE test star\n{shown}"));
    assert_eq!(star.matches(" | ").count(), 6, "{star}");
    for instrument in ["APOGEE", "BOSS"] {
        let line = shown
            .lines()
            .find(|l| l.trim_start().starts_with(instrument) && l.contains("in their true class"))
            .unwrap_or_else(|| panic!("no classifier line for {instrument}\n{shown}"));
        let percent: f64 = line
            .split('(')
            .nth(1)
            .and_then(|s| s.split('%').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        assert!(percent > 80.0, "{line}");
    }
    for method in ["thecannon", "thepayne"] {
        assert_eq!(
            shown
                .lines()
                .filter(|l| l.trim_start().starts_with(method)
                    && l.contains("80 test spectra: 0 already done, 80 run, 0 failed"))
                .count(),
            2,
            "{shown}"
        );
    }
    // The Payne's networks were trained by the program, and saved in The Payne's layout.
    for instrument in ["apogee", "boss"] {
        let network = astra_thepayne::Network::load(demo.join(format!("models/thepayne-{instrument}.npz"))).unwrap();
        assert_eq!(network.n_labels(), 3);
    }

    // Where it went: a SQLite database and 320 astraSource files under the demo's folder.
    assert!(demo.join("astra.db").is_file());
    assert!(shown.contains("(320 files)"), "{shown}");
    let db = astra_targets::db::blocking::Database::connect(&format!("sqlite://{}", demo.join("astra.db").display()))
        .unwrap();
    let counts = db.status_counts().unwrap();
    let total = |family: &str| -> i64 { counts.iter().filter(|c| c.family == family).map(|c| c.count).sum() };
    assert_eq!(
        (total("TheCannon"), total("ThePayne"), total("Classifier")),
        (160, 160, 480),
        "{counts:?}"
    );

    // Its files pass fitsverify and read back in astropy with the declared units and
    // descriptions of each method's results.
    let mut files: Vec<_> = walk(&demo.join("output"));
    files.sort();
    assert_eq!(files.len(), 320);
    for file in files.iter().step_by(40) {
        let (passed, report) = fitsverify(file);
        assert!(passed, "{report}");
    }
    let script = r#"
import sys, warnings
warnings.simplefilter("error")
from astropy.io import fits
with fits.open(sys.argv[1], checksum=True) as h:
    r = h["RESULTS"]
    for i, c in enumerate(r.columns, 1):
        print(c.name, "|", c.unit or "", "|", r.header.get(f"TCOMM{i}", ""), "|", len(r.data))
"#;
    for (namespace, meta) in [("thecannon", TheCannon::META), ("thepayne", ThePayne::META)] {
        let file = files
            .iter()
            .find(|f| f.components().any(|c| c.as_os_str() == namespace))
            .unwrap_or_else(|| panic!("no {namespace} file among {files:?}"));
        let read = run_python(script, &[file.to_str().unwrap()], None);
        for column in meta.results {
            let line = read
                .lines()
                .find(|l| l.split(" | ").next() == Some(column.ttype().as_str()))
                .unwrap_or_else(|| panic!("no column {} in\n{read}", column.name));
            let fields: Vec<&str> = line.split(" | ").collect();
            assert_eq!(fields[1], column.unit, "{line}");
            assert_eq!(fields[2], column.description, "{line}");
            assert_eq!(fields[3], "1", "{line}");
        }
    }

    // A second run finds everything done, runs nothing and prints the table again.
    let again = ok(&astra(dir.path(), &["demo"]));
    assert!(again.contains("Everything was already done"), "{again}");
    assert!(again.contains("80 test spectra: 80 already done, 0 run"), "{again}");
    assert!(again.contains("model already trained"), "{again}");
    for method in METHODS {
        assert_eq!(
            bias_and_scatter(&again, "APOGEE", "teff", method),
            bias_and_scatter(&shown, "APOGEE", "teff", method)
        );
    }
}

fn walk(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

//! `astra ferre-prepare`: FERRE's inputs written for synthetic apStar files, as the
//! `aspcap` plugin reads them back; mistakes are one sentence.

use std::path::Path;
use std::process::Output;

use astra_targets::spectrum::synthetic::{self, Labels};
use astra_targets_tests::program::{self, text};

fn astra(dir: &Path, args: &[&str]) -> Output {
    program::run(env!("CARGO_BIN_EXE_astra"), dir, args)
}

const HEADER: &str = " &SYNTH
 N_OF_DIM = 3
 NPIX = 7514
 LABEL(1) = 'METALS'
 LABEL(2) = 'LOGG'
 LABEL(3) = 'TEFF'
 N_P = 11 9 13
 LLIMITS = -2.5 0.0 3000.0
 STEPS = 0.25 0.5 250.0
 /
";

#[test]
fn ferre_prepare_writes_a_batch_for_input_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    for seed in 1..=2u64 {
        let labels = Labels {
            teff: 4000.0 + 500.0 * seed as f64,
            logg: 2.0,
            fe_h: -0.5,
        };
        let spectrum = synthetic::apogee(seed, labels, 50.0, 1).unwrap();
        synthetic::write_apstar(dir.path().join(format!("in/apStar-{seed}.fits")), &spectrum).unwrap();
    }
    std::fs::write(dir.path().join("grid.hdr"), HEADER).unwrap();

    let out = astra(
        dir.path(),
        &[
            "ferre-prepare",
            "--grid",
            "grid.hdr",
            "--dir",
            "ferre",
            "--freeze",
            "logg",
            "--initial",
            "teff=SYNTEFF",
            "--initial",
            "logg=2.5",
            "--threads",
            "4",
            "in",
        ],
    );
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}{}", text(&out.stderr));
    assert!(
        shown.contains("wrote FERRE's inputs for 2 spectra of 2 files to ferre"),
        "{shown}"
    );
    assert!(shown.contains("--model ferre/input.nml"), "{shown}");

    let read = |name: &str| std::fs::read_to_string(dir.path().join("ferre").join(name)).unwrap();
    let parameters = read("parameter.input");
    let values: Vec<Vec<&str>> = parameters
        .lines()
        .map(|l| l.split_whitespace().skip(1).collect())
        .collect();
    // METALS at the grid's centre, LOGG given, TEFF from the SYNTEFF card.
    assert_eq!(
        values,
        [
            ["-1.25000", "2.50000", "4500.00000"],
            ["-1.25000", "2.50000", "5000.00000"]
        ]
    );
    let nml = read("input.nml");
    assert!(nml.contains(" NOV = 2\n INDV = 1 3\n"), "{nml}");
    assert!(nml.contains(" NTHREADS = 4\n"), "{nml}");
    let grid = std::path::absolute(dir.path().join("grid.hdr")).unwrap();
    assert!(
        nml.contains(&format!(" SYNTHFILE(1) = '{}'\n", grid.display())),
        "{nml}"
    );
    assert_eq!(read("flux.input").lines().count(), 2);

    // A second time: the folder holds a batch.
    let again = astra(
        dir.path(),
        &["ferre-prepare", "--grid", "grid.hdr", "--dir", "ferre", "in"],
    );
    let err = text(&again.stderr);
    assert!(!again.status.success());
    assert!(err.contains("parameter.input: exists"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    for (args, expected) in [
        (
            vec!["--freeze", "vsini"],
            "unknown parameter \"vsini\": ASPCAP's are teff, logg, m_h",
        ),
        (
            vec!["--initial", "teff=NOSUCHCARD"],
            "header card NOSUCHCARD is missing",
        ),
        (vec!["--initial", "teff"], "--initial \"teff\" is not PARAMETER=VALUE"),
    ] {
        let mut all = vec!["ferre-prepare", "--grid", "grid.hdr", "--dir", "other"];
        all.extend(args);
        all.push("in");
        let out = astra(dir.path(), &all);
        let err = text(&out.stderr);
        assert!(!out.status.success());
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!dir.path().join("other/input.nml").exists());
}

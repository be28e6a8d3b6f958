//! `astra train` through the program, as a user runs it: the `astra-test` binary (which
//! links The Cannon, the classifier and two test plugins without training) in a
//! temporary folder, with a label table of synthetic APOGEE inputs.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Output;

use astra_targets::plugin::{ModelSource, Plugin};
use astra_targets::spectrum::synthetic::{self, Labels, Rng};
use astra_targets_tests::program::{self, text};
use astra_thecannon::plugin::TheCannonPlugin;
use astra_thepayne::plugin::ThePaynePlugin;

const BIN: &str = env!("CARGO_BIN_EXE_astra-test");

fn astra(dir: &Path, args: &[&str]) -> Output {
    program::run(BIN, dir, args)
}

/// A user's mistake: non-zero exit, one line on standard error naming what was wrong, no
/// panic, and no model file.
fn assert_refused(dir: &Path, args: &[&str], names: &[&str]) {
    let out = astra(dir, args);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "exit status 0 for a mistake; stderr: {err}");
    assert!(!err.contains("panicked"), "a panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "more than one line: {err}");
    for name in names {
        assert!(err.contains(name), "the message does not name {name:?}: {err}");
    }
    assert!(!dir.join("model.fits").exists(), "a refused training wrote a model");
}

/// `n` synthetic APOGEE inputs in `in/` and the label table `labels.csv` naming them.
fn site(n: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    let mut table = String::from("# true labels\nfile,teff,logg,fe_h,comment\n");
    for seed in 1..=n {
        let mut rng = Rng::new(seed);
        let labels = Labels {
            // Every spectral class (M, K, G, F) in turn, for the classifier.
            teff: [3700.0, 4600.0, 5600.0, 6500.0][seed as usize % 4] + rng.range(-150.0, 150.0),
            logg: rng.range(1.5, 3.5),
            fe_h: rng.range(-0.8, 0.3),
        };
        let s = synthetic::apogee(seed, labels, 100.0, 1).unwrap();
        let name = format!("in/apStar-{seed:02}.fits");
        synthetic::write_apstar(dir.path().join(&name), &s).unwrap();
        writeln!(
            table,
            "{name},{},{},{},star {seed}",
            labels.teff, labels.logg, labels.fe_h
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("labels.csv"), table).unwrap();
    dir
}

#[test]
fn train_writes_a_model_the_plugin_loads() {
    let dir = site(24);
    let out = astra(
        dir.path(),
        &["train", "thecannon", "--labels", "labels.csv", "--output", "model.fits"],
    );
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}{}", text(&out.stderr));
    assert!(
        shown.contains("thecannon: trained on 24 spectra (labels teff, logg, fe_h)"),
        "{shown}"
    );
    let loaded = TheCannonPlugin::load_model(ModelSource::File(&dir.path().join("model.fits"))).unwrap();
    assert_eq!(loaded.model.label_names(), ["teff", "logg", "fe_h"]);
    assert_eq!(loaded.model.n_pixels(), 8575);

    // The model is used by `run`, and an existing model file is never replaced.
    let before = std::fs::read(dir.path().join("model.fits")).unwrap();
    let out = astra(
        dir.path(),
        &["train", "thecannon", "--labels", "labels.csv", "--output", "model.fits"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("model.fits\" exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(dir.path().join("model.fits")).unwrap(), before);

    // The default output is named after the plugin; the classifier trains on teff alone.
    let out = astra(dir.path(), &["train", "classifier", "--labels", "labels.csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("classifier-model.fits").is_file());

    // The Payne's network is a NumPy archive: the default name says so, and it is a
    // network of the plugin's labels on the inputs' pixels and wavelengths.
    let out = astra(dir.path(), &["train", "thepayne", "--labels", "labels.csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let network = ThePaynePlugin::load_model(ModelSource::File(&dir.path().join("thepayne-model.npz"))).unwrap();
    assert_eq!((network.model.n_labels(), network.model.n_pixels()), (3, 8575));
    let wavelength = network.model.wavelength().expect("the inputs' wavelengths");
    assert!((wavelength[0] - 15_100.8).abs() < 1.0, "{}", wavelength[0]);

    let listed = text(&astra(dir.path(), &["plugins"]).stdout);
    assert!(
        listed.contains("trained by `astra train thecannon` on labels: teff, logg, fe_h"),
        "{listed}"
    );
    assert!(
        listed.contains("trained by `astra train classifier` on labels: teff"),
        "{listed}"
    );
    assert!(
        listed.contains("trained by `astra train thepayne` on labels: teff, logg, fe_h"),
        "{listed}"
    );
}

#[test]
fn train_mistakes_are_one_sentence_and_write_nothing() {
    let dir = site(3);
    let p = dir.path();
    let train = |plugin: &'static str, table: &'static str| -> Vec<&'static str> {
        vec!["train", plugin, "--labels", table, "--output", "model.fits"]
    };
    let write = |name: &str, body: &str| std::fs::write(p.join(name), body).unwrap();

    assert_refused(
        p,
        &train("thecannonn", "labels.csv"),
        &["thecannonn", "did you mean \"thecannon\""],
    );
    assert_refused(
        p,
        &train("meanflux", "labels.csv"),
        &["meanflux", "not trained", "classifier, thecannon"],
    );
    assert_refused(p, &train("thecannon", "none.csv"), &["none.csv", "does not exist"]);

    write("no-logg.csv", "file,teff,fe_h\nin/apStar-01.fits,4500,0.0\n");
    assert_refused(
        p,
        &train("thecannon", "no-logg.csv"),
        &["no-logg.csv", "line 1", "\"logg\""],
    );

    write(
        "bad-number.csv",
        "file,teff,logg,fe_h\nin/apStar-01.fits,4500,2.5,0\nin/apStar-02.fits,hot,2.5,0\n",
    );
    assert_refused(
        p,
        &train("thecannon", "bad-number.csv"),
        &["bad-number.csv", "line 3", "teff", "\"hot\""],
    );

    write("nan.csv", "file,teff,logg,fe_h\nin/apStar-01.fits,4500,NaN,0\n");
    assert_refused(
        p,
        &train("thecannon", "nan.csv"),
        &["nan.csv", "line 2", "logg", "\"NaN\""],
    );

    write("short.csv", "file,teff,logg,fe_h\nin/apStar-01.fits,4500,2.5\n");
    assert_refused(
        p,
        &train("thecannon", "short.csv"),
        &["short.csv", "line 2", "3 fields"],
    );

    write(
        "missing-input.csv",
        "file,teff,logg,fe_h\nin/apStar-01.fits,4500,2.5,0\nin/gone.fits,4500,2.5,0\n",
    );
    assert_refused(
        p,
        &train("thecannon", "missing-input.csv"),
        &["missing-input.csv", "line 3", "in/gone.fits"],
    );

    write("empty.csv", "# nothing\n\n");
    assert_refused(p, &train("thecannon", "empty.csv"), &["empty.csv", "empty"]);
    write("header-only.csv", "file,teff,logg,fe_h\n");
    assert_refused(
        p,
        &train("thecannon", "header-only.csv"),
        &["header-only.csv", "no training spectrum"],
    );

    // Too few spectra for a quadratic model in three labels: The Cannon says so.
    assert_refused(p, &train("thecannon", "labels.csv"), &["thecannon", "training"]);

    // One spectrum is no range of labels for The Payne's network.
    write("one.csv", "file,teff,logg,fe_h\nin/apStar-01.fits,4500,2.5,0\n");
    assert_refused(p, &train("thepayne", "one.csv"), &["thepayne", "at least 2"]);

    // A star outside the classifier's classes.
    write("hot.csv", "file,teff,logg,fe_h\nin/apStar-01.fits,8100,4.0,0\n");
    assert_refused(p, &train("classifier", "hot.csv"), &["classifier", "teff 8100"]);
}

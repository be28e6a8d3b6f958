//! The `thecannon` plugin through the program: a model trained on synthetic APOGEE
//! spectra (continuum-normalized as the plugin does), saved, then `astra run thecannon`
//! over other synthetic inputs with known labels.

use std::path::Path;
use std::process::Output;

use astra_targets::AstraTask;
use astra_targets::db::blocking::Database;
use astra_targets::spectrum::synthetic;
use astra_targets_tests::cannon::{cannon_model, labels_of};
use astra_targets_tests::fitsverify;
use astra_targets_tests::program::{self, text};
use astra_thecannon::plugin::TheCannon;

const BIN: &str = env!("CARGO_BIN_EXE_astra-test");

fn astra(dir: &Path, args: &[&str]) -> Output {
    program::run_sqlite(BIN, dir, args)
}

#[test]
fn thecannon_runs_with_a_trained_model() {
    let dir = tempfile::tempdir().unwrap();
    // Training set: 40 spectra with their true labels.
    let model_path = dir.path().join("cannon-model.fits");
    cannon_model(&model_path, 40);

    std::fs::create_dir(dir.path().join("in")).unwrap();
    for seed in 1..=3u64 {
        let s = synthetic::apogee(seed, labels_of(seed), 150.0, 1).unwrap();
        synthetic::write_apstar(dir.path().join(format!("in/apStar-{seed}.fits")), &s).unwrap();
    }

    // Without a model: one sentence naming the option.
    let out = astra(dir.path(), &["run", "thecannon", "in"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--model"), "{}", text(&out.stderr));

    let model_arg = model_path.to_str().unwrap();
    let out = astra(
        dir.path(),
        &["run", "thecannon", "in", "--model", model_arg, "--workers", "2"],
    );
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}{}", text(&out.stderr));
    assert!(
        shown.contains("3 inputs: 0 already done, 3 succeeded, 0 failed"),
        "{shown}"
    );

    let db = Database::connect(&format!("sqlite://{}", dir.path().join("astra.db").display())).unwrap();
    let md5 = {
        use astra_targets::plugin::ModelSource;
        use astra_targets::plugin::Plugin;
        astra_thecannon::plugin::TheCannonPlugin::load_model(ModelSource::File(&model_path))
            .unwrap()
            .md5
    };
    for seed in 1..=3u64 {
        let input = dir.path().join(format!("in/apStar-{seed}.fits"));
        let s = astra_targets::spectrum::read(&input).unwrap();
        let card = |k: &str| s.header.iter().find(|c| c.key == k).unwrap().value.clone();
        let (astra_targets::fits::CardValue::Int(healpix), astra_targets::fits::CardValue::Str(obj)) =
            (card("HEALPIX"), card("OBJID"))
        else {
            panic!("cards")
        };
        let task = TheCannon {
            healpix,
            obj: obj.trim_end().to_string(),
            model_md5: md5.clone(),
        };
        let rows = db.target(&task).read().unwrap();
        assert_eq!(rows.len(), 1);
        let truth = labels_of(seed);
        let r = &rows[0];
        assert!(
            (r.labels[0] - truth.teff).abs() < 400.0,
            "teff {} vs {}",
            r.labels[0],
            truth.teff
        );
        assert!(r.covariance[0][0] > 0.0 && r.chi_sq > 0.0 && r.snr > 10.0, "{r:?}");
        let file = task
            .output_path(&astra_targets::OutputRoot::new(dir.path().join("out")))
            .unwrap();
        let (passed, report) = fitsverify(&file);
        assert!(passed, "{report}");
        let verified = text(&astra(dir.path(), &["verify", file.to_str().unwrap()]).stdout);
        assert!(verified.starts_with("ok "), "{verified}");
    }

    // Another model is other work.
    let retrained = dir.path().join("cannon-model-2.fits");
    // Trained on the first 30 of the same spectra.
    cannon_model(&retrained, 30);
    let plan = text(
        &astra(
            dir.path(),
            &[
                "run",
                "thecannon",
                "in",
                "--model",
                retrained.to_str().unwrap(),
                "--dry-run",
            ],
        )
        .stdout,
    );
    assert!(plan.contains("0 done, 3 would run"), "{plan}");
    let plan = text(
        &astra(
            dir.path(),
            &["run", "thecannon", "in", "--model", model_arg, "--dry-run"],
        )
        .stdout,
    );
    assert!(plan.contains("3 done, 0 would run"), "{plan}");
}

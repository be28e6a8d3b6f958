//! The `classifier` plugin through the program: a model trained on synthetic APOGEE
//! spectra of the four spectral classes (continuum-normalized as the plugin does), then
//! `astra run classifier` over other synthetic inputs: database rows only.

use std::process::Command;

use astra_classifier::Trainer;
use astra_classifier::classes::{spectral_class_of_teff, spectral_classes};
use astra_classifier::plugin::{CONTINUUM_ORDER, ClassifierPlugin, Classify};
use astra_targets::db::blocking::Database;
use astra_targets::ndarray::{Array2, Axis};
use astra_targets::plugin::{ModelSource, Plugin};
use astra_targets::spectrum::synthetic::{self, Labels};
use astra_thecannon::continuum::{APOGEE_CHIPS, Continuum};

const BIN: &str = env!("CARGO_BIN_EXE_astra-test");

/// A star of class `class` (0 M, 1 K, 2 G, 3 F), well inside it.
fn labels(class: usize, seed: u64) -> Labels {
    let mut rng = synthetic::Rng::new(seed);
    let (lo, hi) = [(3300.0, 3850.0), (4250.0, 5000.0), (5350.0, 5850.0), (6250.0, 7300.0)][class];
    Labels {
        teff: rng.range(lo, hi),
        logg: rng.range(3.5, 4.7),
        fe_h: rng.range(-0.5, 0.2),
    }
}

#[test]
fn classifier_writes_rows_only() {
    let dir = tempfile::tempdir().unwrap();
    let continuum = Continuum::new(CONTINUUM_ORDER).regions(APOGEE_CHIPS);
    let n = 48;
    let mut flux = Array2::<f64>::zeros((n, 8575));
    let mut ivar = Array2::<f64>::zeros((n, 8575));
    let mut targets = Vec::new();
    for i in 0..n {
        let l = labels(i % 4, 500 + i as u64);
        targets.push(spectral_class_of_teff(l.teff).unwrap());
        let s = synthetic::apogee(500 + i as u64, l, 100.0, 1).unwrap();
        let f = s.flux.index_axis(Axis(0), 0).mapv(f64::from);
        let w = s.ivar.index_axis(Axis(0), 0).mapv(f64::from);
        let normalized = continuum.normalize(f.view(), w.view()).unwrap();
        flux.row_mut(i).assign(&normalized.flux);
        ivar.row_mut(i).assign(&normalized.ivar);
    }
    let model = Trainer::new(spectral_classes(), &targets, flux.view(), ivar.view())
        .components(6)
        .train()
        .unwrap();
    let model_path = dir.path().join("classifier-model.fits");
    model.save(&model_path).unwrap();

    std::fs::create_dir(dir.path().join("in")).unwrap();
    let classes = [0usize, 1, 2, 3];
    for (k, class) in classes.iter().enumerate() {
        let s = synthetic::apogee(k as u64 + 1, labels(*class, 90 + k as u64), 100.0, 1).unwrap();
        synthetic::write_apstar(dir.path().join(format!("in/apStar-{k}.fits")), &s).unwrap();
    }
    let url = format!("sqlite://{}", dir.path().join("astra.db").display());
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .env("ASTRA_DATABASE_URL", &url)
        .env("ASTRA_OUTPUT_DIR", dir.path().join("out"))
        .args(["run", "classifier", "in", "--model", model_path.to_str().unwrap()])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        shown.contains("4 inputs: 0 already done, 4 succeeded, 0 failed"),
        "{shown}"
    );
    assert!(!dir.path().join("out").exists(), "a rows-only plugin wrote files");

    let md5 = ClassifierPlugin::load_model(ModelSource::File(&model_path))
        .unwrap()
        .md5;
    let db = Database::connect(&url).unwrap();
    let mut right = 0;
    for (k, class) in classes.iter().enumerate() {
        let s = astra_targets::spectrum::read(dir.path().join(format!("in/apStar-{k}.fits"))).unwrap();
        let card = |key: &str| s.header.iter().find(|c| c.key == key).unwrap().value.clone();
        let (astra_targets::fits::CardValue::Int(healpix), astra_targets::fits::CardValue::Str(obj)) =
            (card("HEALPIX"), card("OBJID"))
        else {
            panic!("cards")
        };
        let task = Classify {
            healpix,
            obj: obj.trim_end().to_string(),
            model_md5: md5.clone(),
        };
        let rows = db.target(&task).read().unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert!((r.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{r:?}");
        assert!(r.usable_pixels > 6000, "{r:?}");
        right += usize::from(r.most_probable as usize == *class);
    }
    assert!(right >= 3, "{right} of 4 classified right");
}

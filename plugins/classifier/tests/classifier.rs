//! The classifier trained on labelled synthetic spectra: accuracy on held-out spectra,
//! the probabilities it reports, refused inputs, and the model file.

use astra_classifier::classes::{SPECTRAL_CLASSES, spectral_class_of_teff, spectral_classes};
use astra_classifier::{ClassList, ClassifierError, ClassifierModel, Trainer};
use astra_thecannon::synthetic::SyntheticSpectra;
use ndarray::{Array1, Array2};

const N_PIXELS: usize = 800;
const SNR: f64 = 50.0;
/// Held-out accuracy the model must reach on spectra at S/N 50 (four classes by Teff;
/// stars near a class edge are the ones it may get wrong).
const MIN_ACCURACY: f64 = 0.9;
/// Held-out accuracy for stars 250 K or more from a class edge.
const MIN_FAR_ACCURACY: f64 = 0.97;

/// SplitMix64, for drawing labels and noise reproducibly.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Labelled spectra: Teff uniform in 3400–7400 K, log g in 1–5, [Fe/H] in −1–0.4, flux
/// from The Cannon crate's line model (not this classifier's model), Gaussian noise at
/// S/N 50, classes by [`spectral_class_of_teff`].
struct Set {
    teff: Vec<f64>,
    classes: Vec<usize>,
    flux: Array2<f64>,
    ivar: Array2<f64>,
}

fn labelled(n: usize, seed: u64) -> Set {
    let generator = SyntheticSpectra::new(N_PIXELS);
    let mut rng = Rng(seed);
    let mut flux = Array2::zeros((n, N_PIXELS));
    let mut teff = Vec::new();
    let mut classes = Vec::new();
    for i in 0..n {
        let t = rng.uniform(3400.0, 7400.0);
        let logg = rng.uniform(1.0, 5.0);
        let fe_h = rng.uniform(-1.0, 0.4);
        let clean = generator.flux(t, logg, fe_h);
        for p in 0..N_PIXELS {
            flux[(i, p)] = clean[p] + rng.normal() / SNR;
        }
        teff.push(t);
        classes.push(spectral_class_of_teff(t).unwrap());
    }
    Set {
        teff,
        classes,
        flux,
        ivar: Array2::from_elem((n, N_PIXELS), SNR * SNR),
    }
}

fn trained() -> ClassifierModel {
    let train = labelled(400, 1);
    Trainer::new(spectral_classes(), &train.classes, train.flux.view(), train.ivar.view())
        .components(8)
        .l2(0.1)
        .train()
        .unwrap()
}

fn accuracy(model: &ClassifierModel, set: &Set) -> f64 {
    let results = model.classify_many(set.flux.view(), set.ivar.view()).unwrap();
    let right = results
        .iter()
        .zip(&set.classes)
        .filter(|(r, c)| r.most_probable() == **c)
        .count();
    right as f64 / set.classes.len() as f64
}

#[test]
fn classifies_held_out_spectra_by_temperature_class() {
    let model = trained();
    assert_eq!(model.classes().names(), SPECTRAL_CLASSES);
    let test = labelled(300, 2);
    let accuracy = accuracy(&model, &test);
    eprintln!("held-out accuracy: {accuracy:.3}");
    assert!(accuracy >= MIN_ACCURACY, "accuracy {accuracy} below {MIN_ACCURACY}");
    // Far from any class edge (250 K or more), the class is almost never wrong.
    let results = model.classify_many(test.flux.view(), test.ivar.view()).unwrap();
    let far: Vec<bool> = results
        .iter()
        .zip(&test.classes)
        .zip(&test.teff)
        .filter(|(_, t)| [4000.0, 5200.0, 6000.0].iter().all(|e: &f64| (*t - e).abs() > 250.0))
        .map(|((r, c), _)| r.most_probable() == *c)
        .collect();
    let far_accuracy = far.iter().filter(|ok| **ok).count() as f64 / far.len() as f64;
    eprintln!(
        "accuracy 250 K or more from a class edge: {far_accuracy:.3} of {}",
        far.len()
    );
    assert!(
        far_accuracy >= MIN_FAR_ACCURACY,
        "far-from-edge accuracy {far_accuracy}"
    );
}

#[test]
fn probabilities_sum_to_one_and_agree_with_log_probabilities() {
    let model = trained();
    let test = labelled(50, 3);
    for r in model.classify_many(test.flux.view(), test.ivar.view()).unwrap() {
        assert_eq!(r.probabilities.len(), 4);
        assert_eq!(r.usable_pixels, N_PIXELS);
        let total: f64 = r.probabilities.iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "sum {total}");
        for (p, lp) in r.probabilities.iter().zip(&r.log_probabilities) {
            assert!(lp.is_finite() && *lp <= 0.0, "log probability {lp}");
            assert!((p - lp.exp()).abs() < 1e-15);
            assert!((0.0..=1.0).contains(p));
        }
        let best = r.most_probable();
        assert!(r.probabilities.iter().all(|p| *p <= r.probabilities[best]));
    }
}

#[test]
fn masked_pixels_are_left_out_and_counted() {
    let model = trained();
    let mut test = labelled(200, 4);
    let clean = accuracy(&model, &test);
    // A fifth of the pixels of every spectrum masked, with garbage flux under the mask.
    for i in 0..test.classes.len() {
        for p in 0..N_PIXELS {
            if (p + 7 * i) % 5 == 0 {
                test.ivar[(i, p)] = 0.0;
                test.flux[(i, p)] = f64::NAN;
            }
        }
    }
    let results = model.classify_many(test.flux.view(), test.ivar.view()).unwrap();
    assert!(results.iter().all(|r| r.usable_pixels == N_PIXELS - N_PIXELS / 5));
    assert!(
        results
            .iter()
            .all(|r| r.log_probabilities.iter().all(|l| l.is_finite()))
    );
    let masked = accuracy(&model, &test);
    eprintln!("accuracy with 20% of pixels masked: {masked:.3} (unmasked {clean:.3})");
    assert!(
        masked >= clean - 0.03,
        "accuracy with masked pixels {masked}, unmasked {clean}"
    );

    // A contiguous gap of 30% of the spectrum (as between detector chips).
    let mut gap = labelled(200, 4);
    gap.ivar.slice_mut(ndarray::s![.., 300..540]).fill(0.0);
    let with_gap = accuracy(&model, &gap);
    eprintln!("accuracy with a 30% gap: {with_gap:.3}");
    assert!(
        with_gap >= clean - 0.05,
        "accuracy with a gap {with_gap}, unmasked {clean}"
    );
}

#[test]
fn training_spectra_with_masked_pixels_train_a_good_model() {
    let mut train = labelled(400, 1);
    // A tenth of the pixels of every training spectrum masked, NaN flux under the mask.
    for i in 0..train.classes.len() {
        for p in 0..N_PIXELS {
            if (p * 3 + i) % 10 == 0 {
                train.ivar[(i, p)] = 0.0;
                train.flux[(i, p)] = f64::NAN;
            }
        }
    }
    let model = Trainer::new(spectral_classes(), &train.classes, train.flux.view(), train.ivar.view())
        .components(8)
        .l2(0.1)
        .train()
        .unwrap();
    assert!(model.pca().mean().iter().all(|m| m.is_finite()));
    let test = labelled(300, 2);
    let accuracy = accuracy(&model, &test);
    eprintln!("held-out accuracy, trained with 10% of pixels masked: {accuracy:.3}");
    assert!(accuracy >= MIN_ACCURACY, "accuracy {accuracy}");
}

#[test]
fn bad_spectra_are_refused_naming_the_value() {
    let model = trained();
    let test = labelled(1, 5);
    let flux = test.flux.row(0).to_owned();
    let ivar = test.ivar.row(0).to_owned();
    let classify = |f: &Array1<f64>, v: &Array1<f64>| model.classify(f.view(), v.view()).unwrap_err();

    let mut v = ivar.clone();
    v[17] = -1.0;
    let e = classify(&flux, &v);
    assert!(
        matches!(e, ClassifierError::BadIvar { pixel: 17, value, .. } if value == -1.0),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "ivar at spectrum 0, pixel 17 is -1.0; inverse variances must be finite and >= 0"
    );
    v[17] = f64::NAN;
    assert!(matches!(
        classify(&flux, &v),
        ClassifierError::BadIvar { pixel: 17, .. }
    ));
    v[17] = f64::INFINITY;
    assert!(matches!(
        classify(&flux, &v),
        ClassifierError::BadIvar { pixel: 17, .. }
    ));

    let mut f = flux.clone();
    f[3] = f64::INFINITY;
    let e = classify(&f, &ivar);
    assert!(matches!(e, ClassifierError::BadFlux { pixel: 3, .. }), "{e}");

    f[3] = 1e306;
    let e = classify(&f, &ivar);
    assert!(
        matches!(e, ClassifierError::BadFlux { pixel: 3, value, .. } if value == 1e306),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "flux at spectrum 0, pixel 3 is 1e306 while its ivar is > 0; normalized flux must be finite and within ±1e6"
    );

    let short = Array1::from_elem(N_PIXELS - 1, 1.0);
    let e = classify(&short, &ivar);
    assert!(
        matches!(&e, ClassifierError::Shape { what: "flux", found, expected } if found == &[N_PIXELS - 1] && expected == &[N_PIXELS]),
        "{e}"
    );

    let e = classify(&flux, &Array1::zeros(N_PIXELS));
    assert!(
        matches!(
            e,
            ClassifierError::TooFewPixels {
                usable: 0,
                needed: 400,
                ..
            }
        ),
        "{e}"
    );
    let mut v = ivar.clone();
    v.slice_mut(ndarray::s![..401]).fill(0.0);
    assert!(matches!(
        classify(&flux, &v),
        ClassifierError::TooFewPixels { usable: 399, .. }
    ));

    // A batch names the row that was refused.
    let mut batch_ivar = Array2::from_elem((3, N_PIXELS), SNR * SNR);
    batch_ivar[(2, 5)] = -3.0;
    let batch_flux = Array2::from_elem((3, N_PIXELS), 1.0);
    let e = model.classify_many(batch_flux.view(), batch_ivar.view()).unwrap_err();
    assert!(
        matches!(
            e,
            ClassifierError::BadIvar {
                spectrum: 2,
                pixel: 5,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn degenerate_training_sets_and_settings_are_refused() {
    let set = labelled(60, 6);
    let classes = spectral_classes();
    let train = |targets: &[usize], flux: &Array2<f64>, ivar: &Array2<f64>, k: usize, l2: f64| {
        Trainer::new(classes.clone(), targets, flux.view(), ivar.view())
            .components(k)
            .l2(l2)
            .train()
            .unwrap_err()
    };
    let (flux, ivar, targets) = (&set.flux, &set.ivar, &set.classes[..]);

    let e = train(&targets[1..], flux, ivar, 5, 1.0);
    assert!(
        matches!(
            e,
            ClassifierError::Shape {
                what: "training classes",
                ..
            }
        ),
        "{e}"
    );
    let e = train(targets, flux, &Array2::ones((60, 10)), 5, 1.0);
    assert!(
        matches!(
            e,
            ClassifierError::Shape {
                what: "training ivar",
                ..
            }
        ),
        "{e}"
    );

    let mut bad_targets = targets.to_vec();
    bad_targets[9] = 4;
    let e = train(&bad_targets, flux, ivar, 5, 1.0);
    assert_eq!(
        e.to_string(),
        "training spectrum 9 has class index 4, but there are only 4 classes"
    );

    let no_f: Vec<usize> = targets.iter().map(|&c| c.min(2)).collect();
    let e = train(&no_f, flux, ivar, 5, 1.0);
    assert_eq!(e.to_string(), "class 'F' has no training spectrum");

    for k in [0, 60, N_PIXELS + 1] {
        let e = train(targets, flux, ivar, k, 1.0);
        assert!(
            matches!(
                e,
                ClassifierError::Setting {
                    setting: "components",
                    ..
                }
            ),
            "k={k}: {e}"
        );
    }
    for l2 in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = train(targets, flux, ivar, 5, l2);
        assert!(
            matches!(e, ClassifierError::Setting { setting: "l2", .. }),
            "l2={l2}: {e}"
        );
    }
    let e = Trainer::new(classes.clone(), targets, flux.view(), ivar.view())
        .min_usable_fraction(0.0)
        .train()
        .unwrap_err();
    assert!(
        matches!(
            e,
            ClassifierError::Setting {
                setting: "min_usable_fraction",
                ..
            }
        ),
        "{e}"
    );

    let mut bad_ivar = ivar.clone();
    bad_ivar[(12, 30)] = -0.5;
    let e = train(targets, flux, &bad_ivar, 5, 1.0);
    assert!(
        matches!(
            e,
            ClassifierError::BadIvar {
                what: "training ivar",
                spectrum: 12,
                pixel: 30,
                ..
            }
        ),
        "{e}"
    );
    let mut bad_flux = flux.clone();
    bad_flux[(4, 2)] = f64::NAN;
    let e = train(targets, &bad_flux, ivar, 5, 1.0);
    assert!(
        matches!(
            e,
            ClassifierError::BadFlux {
                what: "training flux",
                spectrum: 4,
                ..
            }
        ),
        "{e}"
    );
    let mut empty_row = ivar.clone();
    empty_row.row_mut(8).fill(0.0);
    let e = train(targets, flux, &empty_row, 5, 1.0);
    assert!(
        matches!(
            e,
            ClassifierError::TooFewPixels {
                what: "training",
                spectrum: 8,
                ..
            }
        ),
        "{e}"
    );

    // Two distinct spectra only: one direction of variance, not 5; identical spectra: none.
    let two = Array2::from_shape_fn((60, N_PIXELS), |(n, _)| if n % 2 == 0 { 1.0 } else { 0.9 });
    let e = train(targets, &two, ivar, 5, 1.0);
    assert!(
        matches!(
            e,
            ClassifierError::DegenerateTrainingSet {
                rank: 1,
                n_components: 5
            }
        ),
        "{e}"
    );
    let same = Array2::from_shape_fn((60, N_PIXELS), |(_, p)| 0.7 + 0.1 * (p % 3) as f64);
    let e = train(targets, &same, ivar, 5, 1.0);
    assert!(
        matches!(
            e,
            ClassifierError::DegenerateTrainingSet {
                rank: 0,
                n_components: 5
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "the training flux varies along only 0 independent directions, 5 principal components were requested"
    );

    assert!(matches!(
        ClassList::new(&["K", "K"]),
        Err(ClassifierError::ClassNames { .. })
    ));
}

#[test]
fn model_file_round_trips() {
    let model = trained();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("classifier.fits");
    model.save(&path).unwrap();
    let back = ClassifierModel::load(&path).unwrap();
    assert_eq!(back, model);
    let test = labelled(20, 7);
    assert_eq!(
        back.classify_many(test.flux.view(), test.ivar.view()).unwrap(),
        model.classify_many(test.flux.view(), test.ivar.view()).unwrap()
    );
    // Saving again replaces the file and leaves no temporary file beside it.
    model.save(&path).unwrap();
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("classifier.fits")]);
}

#[test]
fn wrong_model_files_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("missing.fits");
    assert!(matches!(
        ClassifierModel::load(&missing),
        Err(ClassifierError::Io { .. })
    ));

    let text = dir.path().join("notes.fits");
    std::fs::write(&text, "not a FITS file").unwrap();
    assert!(matches!(
        ClassifierModel::load(&text),
        Err(ClassifierError::Fits { .. })
    ));

    // A model file of another method.
    let cannon = dir.path().join("cannon.fits");
    let set = SyntheticSpectra::new(100).generate(40, 1);
    astra_thecannon::Trainer::new(
        set.label_names.clone(),
        set.labels.view(),
        set.flux.view(),
        set.ivar.view(),
    )
    .train()
    .unwrap()
    .save(&cannon)
    .unwrap();
    let e = ClassifierModel::load(&cannon).unwrap_err();
    assert!(matches!(e, ClassifierError::ModelFile { .. }), "{e}");
    assert!(
        e.to_string()
            .ends_with("FORMAT is 'ASTRA-THECANNON', expected 'ASTRA-CLASSIFIER'"),
        "{e}"
    );

    // A future format version, and a file whose parts disagree.
    let model = trained();
    let newer = dir.path().join("newer.fits");
    model.save(&newer).unwrap();
    set_card(&newer, "FMTVER", 2);
    let e = ClassifierModel::load(&newer).unwrap_err();
    assert!(e.to_string().contains("format version 2 is not supported"), "{e}");
    let inconsistent = dir.path().join("inconsistent.fits");
    model.save(&inconsistent).unwrap();
    set_card(&inconsistent, "NCOMP", 11);
    let e = ClassifierModel::load(&inconsistent).unwrap_err();
    assert!(
        e.to_string().contains("COMPONENTS has 6400 values, expected 8800"),
        "{e}"
    );

    // Saving into a folder that does not exist fails and writes nothing.
    let nowhere = dir.path().join("no/such/folder/model.fits");
    assert!(model.save(&nowhere).is_err());
    assert!(!dir.path().join("no").exists());
}

fn set_card(path: &std::path::Path, name: &str, value: i64) {
    let mut f = fitsio::FitsFile::edit(path).unwrap();
    let primary = f.primary_hdu().unwrap();
    primary.write_key(&mut f, name, value).unwrap();
}

//! The Cannon end to end on synthetic spectra whose generating model is not the
//! Cannon's (see `astra_thecannon::synthetic`).

use astra_thecannon::continuum::Continuum;
use astra_thecannon::synthetic::{SyntheticSet, SyntheticSpectra};
use astra_thecannon::{CannonError, CannonModel, Fitter, Trainer};
use ndarray::{Array1, Array2, s};

const PIXELS: usize = 2000;

fn train(set: &SyntheticSet) -> CannonModel {
    Trainer::new(
        set.label_names.clone(),
        set.labels.view(),
        set.flux.view(),
        set.ivar.view(),
    )
    .train()
    .unwrap()
}

/// Bias and scatter (standard deviation) of fitted minus true, per label.
fn bias_scatter(model: &CannonModel, set: &SyntheticSet) -> Vec<(f64, f64)> {
    let fits = Fitter::new(model).fit_many(set.flux.view(), set.ivar.view()).unwrap();
    let n = fits.len() as f64;
    (0..3)
        .map(|k| {
            let d: Vec<f64> = fits
                .iter()
                .enumerate()
                .map(|(i, f)| f.as_ref().unwrap().labels[k] - set.labels[(i, k)])
                .collect();
            let mean = d.iter().sum::<f64>() / n;
            let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            (mean, var.sqrt())
        })
        .collect()
}

#[test]
fn recovers_labels_of_held_out_spectra_at_snr_100() {
    let generator = SyntheticSpectra::new(PIXELS).snr(100.0);
    let training = generator.generate(250, 11);
    let test = generator.generate(60, 12);
    let model = train(&training);
    assert_eq!(model.n_trained_pixels(), PIXELS);
    let stats = bias_scatter(&model, &test);
    eprintln!(
        "bias/scatter teff {:?} logg {:?} fe_h {:?}",
        stats[0], stats[1], stats[2]
    );
    // Tolerances: Teff 30 K bias / 60 K scatter, log g 0.05 / 0.10 dex, [Fe/H] 0.02 / 0.04 dex.
    let limits = [(30.0, 60.0), (0.05, 0.10), (0.02, 0.04)];
    for (k, ((bias, scatter), (max_bias, max_scatter))) in stats.iter().zip(limits).enumerate() {
        assert!(bias.abs() < max_bias, "label {k}: bias {bias}");
        assert!(*scatter < max_scatter, "label {k}: scatter {scatter}");
    }
}

#[test]
fn fit_reports_every_quantity_consistently() {
    let generator = SyntheticSpectra::new(PIXELS).snr(100.0);
    let model = train(&generator.generate(200, 21));
    let test = generator.generate(3, 22);
    let fitter = Fitter::new(&model);
    for i in 0..3 {
        let fit = fitter.fit(test.flux.row(i), test.ivar.row(i)).unwrap();
        assert_eq!(fit.n_pixels, PIXELS);
        assert!(fit.converged);
        // r_chi_sq is chi_sq over the degrees of freedom; near 1 for a good model.
        assert!((fit.r_chi_sq - fit.chi_sq / (PIXELS - 3) as f64).abs() < 1e-12);
        assert!(fit.r_chi_sq > 0.5 && fit.r_chi_sq < 2.0, "r_chi_sq {}", fit.r_chi_sq);
        // S/N 100 at the continuum, lines make the median a little lower.
        assert!(fit.snr > 80.0 && fit.snr < 101.0, "snr {}", fit.snr);
        // Model flux is the model's prediction at the fitted labels.
        let predicted = model.predict(fit.labels.view()).unwrap();
        assert!((&predicted - &fit.model_flux).iter().all(|d| d.abs() < 1e-12));
        // x0 is one of the documented starting points: median labels, or ±0.5 scale on one axis.
        let scaled: Vec<f64> = (0..3).map(|k| model.scaling().scale(k, fit.x0[k])).collect();
        let nonzero: Vec<f64> = scaled.iter().copied().filter(|v| v.abs() > 1e-9).collect();
        assert!(
            nonzero.is_empty() || (nonzero.len() == 1 && (nonzero[0].abs() - 0.5).abs() < 1e-9),
            "{scaled:?}"
        );
        // chi_sq at the fit is no worse than at the true labels.
        let truth = model.predict(test.labels.row(i)).unwrap();
        let chi_truth: f64 = (0..PIXELS)
            .map(|p| {
                let w = 1.0 / (1.0 / test.ivar[(i, p)] + model.s2()[p]);
                w * (test.flux[(i, p)] - truth[p]).powi(2)
            })
            .sum();
        assert!(fit.chi_sq <= chi_truth + 1e-6, "{} > {}", fit.chi_sq, chi_truth);
    }
}

/// Cholesky-free positive-definiteness check of a small symmetric matrix: all leading
/// principal minors positive (Sylvester), up to 3 x 3.
fn positive_definite(c: &Array2<f64>) -> bool {
    let m1 = c[(0, 0)];
    let m2 = c[(0, 0)] * c[(1, 1)] - c[(0, 1)] * c[(1, 0)];
    let m3 = c[(0, 0)] * (c[(1, 1)] * c[(2, 2)] - c[(1, 2)] * c[(2, 1)])
        - c[(0, 1)] * (c[(1, 0)] * c[(2, 2)] - c[(1, 2)] * c[(2, 0)])
        + c[(0, 2)] * (c[(1, 0)] * c[(2, 1)] - c[(1, 1)] * c[(2, 0)]);
    m1 > 0.0 && m2 > 0.0 && m3 > 0.0
}

#[test]
fn covariance_is_symmetric_positive_definite_and_shrinks_with_snr() {
    let model = train(&SyntheticSpectra::new(PIXELS).snr(200.0).generate(200, 31));
    let mut errors = Vec::new();
    for snr in [20.0, 50.0, 150.0] {
        let set = SyntheticSpectra::new(PIXELS).snr(snr).generate(1, 32);
        let fit = Fitter::new(&model).fit(set.flux.row(0), set.ivar.row(0)).unwrap();
        let c = &fit.covariance;
        assert!(
            (c - &c.t()).iter().all(|d| d.abs() <= 1e-9 * c[(0, 0)].abs()),
            "not symmetric: {c:?}"
        );
        assert!(positive_definite(c), "not positive definite at S/N {snr}: {c:?}");
        let sigma: Vec<f64> = c.diag().iter().map(|v| v.sqrt()).collect();
        // The fit lands within 5 sigma of the truth.
        for (k, sigma_k) in sigma.iter().enumerate() {
            let pull = (fit.labels[k] - set.labels[(0, k)]) / sigma_k;
            assert!(pull.abs() < 5.0, "S/N {snr} label {k}: pull {pull}");
        }
        errors.push(sigma);
    }
    for k in 0..3 {
        assert!(
            errors[0][k] > errors[1][k] && errors[1][k] > errors[2][k],
            "label {k}: {errors:?}"
        );
    }
}

#[test]
fn scatter_is_recovered_where_the_training_spectra_have_extra_noise() {
    let generator = SyntheticSpectra::new(400).snr(200.0);
    let mut set = generator.generate(300, 41);
    // Pixels 100..200 get extra noise of standard deviation 0.02 not in the ivar.
    let mut state = 12345u64;
    for v in set.flux.slice_mut(s![.., 100..200]).iter_mut() {
        // Sum of 12 uniforms minus 6: approximately standard normal.
        let mut z = -6.0;
        for _ in 0..12 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            z += (state >> 11) as f64 / (1u64 << 53) as f64;
        }
        *v += 0.02 * z;
    }
    let model = train(&set);
    let noisy: f64 = model.s2().slice(s![100..200]).mean().unwrap();
    let clean: f64 = model.s2().slice(s![200..300]).mean().unwrap();
    assert!(
        (noisy / 4e-4 - 1.0).abs() < 0.15,
        "mean s2 {noisy}, expected about 4e-4"
    );
    assert!(clean < 4e-5, "mean s2 on clean pixels {clean}");
}

#[test]
fn pixels_without_training_data_are_untrained_and_ignored_by_fits() {
    let generator = SyntheticSpectra::new(300).snr(100.0);
    let mut set = generator.generate(100, 51);
    set.ivar.column_mut(7).fill(0.0);
    set.flux.column_mut(8).fill(f64::NAN);
    let model = train(&set);
    for p in [7, 8] {
        assert_eq!(model.s2()[p], f64::INFINITY);
        assert_eq!(model.theta().row(p).to_vec(), {
            let mut e = vec![0.0; 10];
            e[0] = 1.0;
            e
        });
    }
    assert_eq!(model.n_trained_pixels(), 298);
    let test = generator.generate(1, 52);
    let fit = Fitter::new(&model).fit(test.flux.row(0), test.ivar.row(0)).unwrap();
    assert_eq!(fit.n_pixels, 298);
}

#[test]
fn training_on_threads_gives_the_same_model() {
    let set = SyntheticSpectra::new(500).generate(80, 61);
    let one = train(&set);
    let three = Trainer::new(
        set.label_names.clone(),
        set.labels.view(),
        set.flux.view(),
        set.ivar.view(),
    )
    .threads(3)
    .train()
    .unwrap();
    assert_eq!(one, three);
}

#[test]
fn model_file_round_trips() {
    let set = SyntheticSpectra::new(300).generate(60, 71);
    let mut set2 = set.clone();
    set2.ivar.column_mut(5).fill(0.0);
    let model = train(&set2);
    assert_eq!(model.s2()[5], f64::INFINITY);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cannon.fits");
    model.save(&path).unwrap();
    let back = CannonModel::load(&path).unwrap();
    assert_eq!(back, model);
    // Replacing an existing file works and leaves no temporary file.
    model.save(&path).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn wrong_or_damaged_model_files_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.fits");
    let err = CannonModel::load(&missing).unwrap_err();
    assert!(matches!(err, CannonError::Io { .. }), "{err}");
    assert!(err.to_string().contains("missing.fits"), "{err}");

    let text = dir.path().join("notes.fits");
    std::fs::write(&text, "not a FITS file\n").unwrap();
    let err = CannonModel::load(&text).unwrap_err();
    assert!(matches!(err, CannonError::Fits { .. }), "{err}");

    // A FITS file of another kind: no FORMAT card.
    let other = dir.path().join("other.fits");
    fitsio::FitsFile::create(&other).open().unwrap();
    let err = CannonModel::load(&other).unwrap_err();
    assert!(err.to_string().contains("no FORMAT card"), "{err}");

    // A model file of a later version.
    let model = train(&SyntheticSpectra::new(100).generate(40, 81));
    let newer = dir.path().join("newer.fits");
    model.save(&newer).unwrap();
    {
        let mut f = fitsio::FitsFile::edit(&newer).unwrap();
        let hdu = f.primary_hdu().unwrap();
        hdu.write_key(&mut f, "FMTVER", 2i64).unwrap();
    }
    let err = CannonModel::load(&newer).unwrap_err();
    assert!(err.to_string().contains("format version 2 is not supported"), "{err}");

    // A truncated model file.
    let good = dir.path().join("good.fits");
    model.save(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.fits");
    std::fs::write(&cut, &bytes[..bytes.len() - 2880]).unwrap();
    let err = CannonModel::load(&cut).unwrap_err();
    assert!(
        matches!(err, CannonError::Fits { .. } | CannonError::ModelFile { .. }),
        "{err}"
    );
}

#[test]
fn fitting_bad_spectra_gives_typed_errors() {
    let generator = SyntheticSpectra::new(200);
    let model = train(&generator.generate(60, 91));
    let test = generator.generate(1, 92);
    let fitter = Fitter::new(&model);
    let zeros = Array1::<f64>::zeros(200);
    let err = fitter.fit(test.flux.row(0), zeros.view()).unwrap_err();
    assert!(
        matches!(
            err,
            CannonError::TooFewPixels {
                usable: 0,
                needed: 4,
                ..
            }
        ),
        "{err}"
    );
    let short = test.flux.slice(s![0, ..150]);
    let err = fitter.fit(short, test.ivar.row(0)).unwrap_err();
    assert!(
        err.to_string().contains("flux has shape [150], expected [200]"),
        "{err}"
    );
    let mut negative = test.ivar.row(0).to_owned();
    negative[17] = -3.0;
    let err = fitter.fit(test.flux.row(0), negative.view()).unwrap_err();
    assert!(err.to_string().contains("pixel 17 is -3"), "{err}");
    let nan_flux = Array1::from_elem(200, f64::NAN);
    assert!(matches!(
        fitter.fit(nan_flux.view(), test.ivar.row(0)).unwrap_err(),
        CannonError::TooFewPixels { usable: 0, .. }
    ));
    // One bad spectrum among good ones fails alone.
    let mut ivar = generator.generate(3, 93).ivar;
    ivar.row_mut(1).fill(0.0);
    let flux = generator.generate(3, 93).flux;
    let results = fitter.fit_many(flux.view(), ivar.view()).unwrap();
    assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
    assert!(fitter.clone().max_iterations(0).is_err());
    assert!(fitter.clone().starts(Array2::zeros((1, 2)).view()).is_err());
}

#[test]
fn bad_training_sets_are_refused_naming_the_problem() {
    let set = SyntheticSpectra::new(50).generate(40, 101);
    let names = set.label_names.clone();
    let run = |names: Vec<String>, labels: Array2<f64>, ivar: Array2<f64>| {
        Trainer::new(names, labels.view(), set.flux.view(), ivar.view())
            .train()
            .unwrap_err()
            .to_string()
    };
    let mut nan = set.labels.clone();
    nan[(4, 2)] = f64::NAN;
    assert!(run(names.clone(), nan, set.ivar.clone()).contains("training label fe_h of spectrum 4 is NaN"));
    let mut flat = set.labels.clone();
    flat.column_mut(1).fill(2.5);
    assert!(run(names.clone(), flat, set.ivar.clone()).contains("label logg does not vary"));
    let dup = vec!["teff".to_string(), "teff".to_string(), "fe_h".to_string()];
    assert!(run(dup, set.labels.clone(), set.ivar.clone()).contains("a name appears twice"));
    let mut neg = set.ivar.clone();
    neg[(2, 9)] = -1.0;
    assert!(run(names.clone(), set.labels.clone(), neg).contains("spectrum 2, pixel 9 is -1"));
    assert!(
        run(
            names.clone(),
            set.labels.slice(s![..30, ..]).to_owned(),
            set.ivar.clone()
        )
        .contains("training labels has shape [30, 3], expected [40, 3]")
    );
    let few = Trainer::new(
        names.clone(),
        set.labels.slice(s![..8, ..]),
        set.flux.slice(s![..8, ..]),
        set.ivar.slice(s![..8, ..]),
    )
    .train()
    .unwrap_err();
    assert!(
        matches!(
            few,
            CannonError::DegenerateTrainingSet {
                n_spectra: 8,
                n_terms: 10,
                ..
            }
        ),
        "{few}"
    );
    let err = Trainer::new(names, set.labels.view(), set.flux.view(), set.ivar.view())
        .threads(0)
        .train()
        .unwrap_err();
    assert!(err.to_string().contains("threads = 0"), "{err}");
}

#[test]
fn caller_starting_points_are_used_and_the_best_one_is_reported() {
    let generator = SyntheticSpectra::new(PIXELS).snr(100.0);
    let model = train(&generator.generate(200, 111));
    let test = generator.generate(1, 112);
    // One start far off (a cool dwarf-like corner), one near the truth.
    let near = test.labels.row(0).to_owned() + &ndarray::arr1(&[20.0, 0.02, 0.01]);
    let starts = ndarray::stack![ndarray::Axis(0), ndarray::arr1(&[3800.0, 4.5, -2.0]), near];
    let fit = Fitter::new(&model)
        .starts(starts.view())
        .unwrap()
        .fit(test.flux.row(0), test.ivar.row(0))
        .unwrap();
    let default = Fitter::new(&model).fit(test.flux.row(0), test.ivar.row(0)).unwrap();
    assert!(fit.x0 == starts.row(0) || fit.x0 == starts.row(1), "{:?}", fit.x0);
    // Both searches reach the same minimum.
    assert!(
        (fit.chi_sq - default.chi_sq).abs() <= 1e-6 * default.chi_sq,
        "{} vs {}",
        fit.chi_sq,
        default.chi_sq
    );
    for k in 0..3 {
        assert!((fit.labels[k] - default.labels[k]).abs() <= 1e-4 * default.covariance[(k, k)].sqrt() + 1e-9);
    }
}

/// Each spectrum times its own smooth continuum (a different tilt and curvature per
/// spectrum, a jump between the two halves as between detectors).
fn with_continuum(set: &SyntheticSet, seed: usize) -> (Array2<f64>, Array2<f64>) {
    let (n, p) = set.flux.dim();
    let mut flux = set.flux.clone();
    let mut ivar = set.ivar.clone();
    for i in 0..n {
        let a = 0.2 * (((i + seed) * 37 % 11) as f64 / 10.0 - 0.5);
        let b = 0.1 * (((i + seed) * 53 % 7) as f64 / 6.0 - 0.5);
        for j in 0..p {
            let x = j as f64 / p as f64;
            let c = 500.0 * (1.0 + a * x + b * x * x) * if j < p / 2 { 1.0 } else { 0.7 };
            flux[(i, j)] *= c;
            ivar[(i, j)] /= c * c;
        }
    }
    (flux, ivar)
}

fn normalize_all(flux: &Array2<f64>, ivar: &Array2<f64>) -> (Array2<f64>, Array2<f64>) {
    let p = flux.ncols();
    let continuum = Continuum::new(3).regions([0..p / 2, p / 2..p]);
    let mut out_flux = flux.clone();
    let mut out_ivar = ivar.clone();
    for i in 0..flux.nrows() {
        let norm = continuum.normalize(flux.row(i), ivar.row(i)).unwrap();
        out_flux.row_mut(i).assign(&norm.flux);
        out_ivar.row_mut(i).assign(&norm.ivar);
    }
    (out_flux, out_ivar)
}

#[test]
fn continuum_normalized_spectra_train_and_fit_end_to_end() {
    let generator = SyntheticSpectra::new(PIXELS).snr(100.0);
    let training = generator.generate(250, 121);
    let test = generator.generate(60, 122);
    let (raw_flux, raw_ivar) = with_continuum(&training, 0);
    let (flux, ivar) = normalize_all(&raw_flux, &raw_ivar);
    let model = Trainer::new(
        training.label_names.clone(),
        training.labels.view(),
        flux.view(),
        ivar.view(),
    )
    .train()
    .unwrap();
    let (raw_flux, raw_ivar) = with_continuum(&test, 5);
    let (flux, ivar) = normalize_all(&raw_flux, &raw_ivar);
    let normalized_test = SyntheticSet { flux, ivar, ..test };
    let stats = bias_scatter(&model, &normalized_test);
    eprintln!("after normalization: bias/scatter {stats:?}");
    let limits = [(30.0, 60.0), (0.05, 0.10), (0.02, 0.04)];
    for (k, ((bias, scatter), (max_bias, max_scatter))) in stats.iter().zip(limits).enumerate() {
        assert!(bias.abs() < max_bias, "label {k}: bias {bias}");
        assert!(*scatter < max_scatter, "label {k}: scatter {scatter}");
    }
}

//! Training a network: spectra made by another network (of other hidden sizes, weights
//! unknown to the trainer) are emulated, held-out spectra's labels are recovered by
//! fitting with the trained network, the same seed gives the same network, and bad
//! training data is refused with one error saying what is wrong.

use astra_targets::spectrum::synthetic::Rng;
use astra_thepayne::network::Network;
use astra_thepayne::synthetic::RandomNetwork;
use astra_thepayne::train::emulation_rms;
use astra_thepayne::{Fitter, PayneError, Trainer};
use ndarray::{Array1, Array2};

const P: usize = 1500;

/// The network that makes the spectra: small hidden layers, features a few per cent deep.
fn truth() -> Network {
    RandomNetwork::stellar(Array1::from_shape_fn(P, |i| 15_100.0 * 10f64.powf(6e-6 * i as f64)))
        .build(11)
        .unwrap()
}

/// `n` stars with labels drawn uniformly within the truth's bounds: labels (n, 3), their
/// noisy flux and inverse variance at S/N `snr`.
fn stars(net: &Network, n: usize, snr: f64, seed: u64) -> (Array2<f64>, Array2<f64>, Array2<f64>) {
    let mut rng = Rng::new(seed);
    let mut labels = Array2::zeros((n, 3));
    let mut flux = Array2::zeros((n, P));
    for i in 0..n {
        let scaled = Array1::from_shape_fn(3, |_| rng.range(-0.5, 0.5));
        labels.row_mut(i).assign(&net.unscale(scaled.view()).unwrap());
        let clean = net.predict(scaled.view()).unwrap();
        for (f, c) in flux.row_mut(i).iter_mut().zip(clean.iter()) {
            *f = c + rng.normal() / snr;
        }
    }
    (labels, flux, Array2::from_elem((n, P), snr * snr))
}

#[test]
fn a_trained_network_emulates_unseen_spectra_and_recovers_their_labels() {
    let net = truth();
    let (labels, flux, mut ivar) = stars(&net, 300, 200.0, 1);
    // Some pixels have no weight in some spectra (and wild values there).
    let mut flux = flux;
    for i in (0..300).step_by(7) {
        for j in (i % 50..P).step_by(50) {
            ivar[(i, j)] = 0.0;
            flux[(i, j)] = if i % 2 == 0 { f64::NAN } else { 1e6 };
        }
    }
    let trained = Trainer::new(labels.view(), flux.view(), ivar.view())
        .wavelength(net.wavelength().unwrap().to_owned())
        .train()
        .unwrap();
    assert_eq!(trained.n_pixels(), P);
    assert_eq!(trained.hidden_sizes(), astra_thepayne::train::DEFAULT_HIDDEN);
    // The bounds are the training set's range.
    for l in 0..3 {
        let column = labels.column(l);
        assert_eq!(trained.x_min()[l], column.iter().copied().fold(f64::INFINITY, f64::min));
        assert_eq!(
            trained.x_max()[l],
            column.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        );
    }

    // Spectra it never saw, without noise: emulated to better than the training spectra's
    // noise (0.005 a pixel) and a fraction of how much the spectra differ.
    let (unseen, _, _) = stars(&net, 60, 200.0, 2);
    let clean: Vec<Array1<f64>> = unseen
        .rows()
        .into_iter()
        .map(|l| net.predict(net.scale(l).unwrap().view()).unwrap())
        .collect();
    let clean = Array2::from_shape_fn((60, P), |(i, j)| clean[i][j]);
    let rms = emulation_rms(&trained, unseen.view(), clean.view(), Array2::ones((60, P)).view()).unwrap();
    let spread = clean.std(0.0);
    assert!(
        rms < 0.004 && rms < spread / 5.0,
        "emulation rms {rms}, spectra spread {spread}"
    );

    // Their labels, fitted at S/N 100 with the trained network: near the truth, and the
    // model's residuals the size of the noise.
    let (test_labels, test_flux, test_ivar) = stars(&net, 40, 100.0, 3);
    let fitter = Fitter::new(&trained).v_rad_tolerance(0.0);
    let range = [3000.0, 5.0, 2.5];
    let mut errors = Vec::new();
    for i in 0..40 {
        let truth = test_labels.row(i);
        // Stars outside the training set's range cannot be reached within the bounds.
        if (0..3).any(|l| truth[l] < trained.x_min()[l] || truth[l] > trained.x_max()[l]) {
            continue;
        }
        let fit = fitter.fit(test_flux.row(i), test_ivar.row(i)).unwrap();
        assert!(fit.r_chi_sq < 1.25, "star {i}: reduced chi-squared {}", fit.r_chi_sq);
        errors.push([0, 1, 2].map(|l| (fit.labels[l] - truth[l]).abs() / range[l]));
    }
    assert!(errors.len() >= 30, "{}", errors.len());
    for l in 0..3 {
        let mean = errors.iter().map(|e| e[l]).sum::<f64>() / errors.len() as f64;
        let worst = errors.iter().map(|e| e[l]).fold(0.0, f64::max);
        assert!(
            mean < 0.025 && worst < 0.15,
            "label {l}: errors as fractions of its range, mean {mean}, largest {worst}"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_network_and_another_seed_another() {
    let net = truth();
    let (labels, flux, ivar) = stars(&net, 40, 200.0, 4);
    let train = |seed| {
        Trainer::new(labels.view(), flux.view(), ivar.view())
            .hidden(8, 8)
            .epochs(200)
            .seed(seed)
            .train()
            .unwrap()
    };
    assert_eq!(train(5), train(5));
    assert_ne!(train(5), train(6));
}

#[test]
fn bad_training_data_is_refused_saying_what_is_wrong() {
    let net = truth();
    let (labels, flux, ivar) = stars(&net, 10, 200.0, 5);
    let message = |r: Result<Network, PayneError>| match r {
        Err(e @ PayneError::Training(_)) => e.to_string(),
        other => panic!("expected a training error, got {other:?}"),
    };

    let mut constant = labels.clone();
    constant.column_mut(1).fill(2.5);
    let m = message(Trainer::new(constant.view(), flux.view(), ivar.view()).train());
    assert!(m.contains("label 1 is 2.5 in every training spectrum"), "{m}");

    let mut nan = labels.clone();
    nan[(3, 2)] = f64::NAN;
    let m = message(Trainer::new(nan.view(), flux.view(), ivar.view()).train());
    assert!(m.contains("label 2 of spectrum 3 is NaN"), "{m}");

    let m = message(Trainer::new(labels.view(), flux.view(), ivar.slice(ndarray::s![.., ..10])).train());
    assert!(m.contains("inverse variance (10, 10)"), "{m}");

    let one = labels.slice(ndarray::s![..1, ..]);
    let m = message(Trainer::new(one, flux.slice(ndarray::s![..1, ..]), ivar.slice(ndarray::s![..1, ..])).train());
    assert!(m.contains("1 training spectra; training needs at least 2"), "{m}");

    let m = message(
        Trainer::new(labels.view(), flux.view(), ivar.view())
            .wavelength(Array1::zeros(3))
            .train(),
    );
    assert!(m.contains("3 wavelengths for 1500 pixels"), "{m}");

    let m = message(
        Trainer::new(labels.view(), flux.view(), ivar.view())
            .hidden(0, 4)
            .train(),
    );
    assert!(m.contains("hidden layers of (0, 4) neurons"), "{m}");

    let m = message(
        Trainer::new(labels.view(), flux.view(), ivar.view())
            .learning_rate(-1.0)
            .train(),
    );
    assert!(m.contains("learning rate -1"), "{m}");

    let same = Array2::from_elem((10, P), 1.0);
    let m = message(Trainer::new(labels.view(), same.view(), ivar.view()).train());
    assert!(m.contains("the training spectra are all the same"), "{m}");
}

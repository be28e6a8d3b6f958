//! The Payne's network and fitting step: the `.npz` layout read and written, the
//! Jacobian through the network, labels recovered from noisy spectra the network made
//! at labels it was never fitted to, the bounds, and bad network files refused with one
//! error naming the file and the array.

use std::fs::File;
use std::path::Path;

use astra_targets::spectrum::synthetic::Rng;
use astra_thepayne::network::Network;
use astra_thepayne::synthetic::RandomNetwork;
use astra_thepayne::{Fitter, PayneError};
use ndarray::{Array1, Array2, array};
use ndarray_npy::NpzWriter;

const P: usize = 1500;

fn shape() -> RandomNetwork {
    // A log-linear grid like APOGEE's, 1500 pixels from 15100 Angstrom.
    RandomNetwork::stellar(Array1::from_shape_fn(P, |i| 15_100.0 * 10f64.powf(6e-6 * i as f64)))
}

fn network() -> Network {
    shape().build(7).unwrap()
}

#[test]
fn network_file_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let net = network();
    let path = dir.path().join("net.npz");
    net.save(&path).unwrap();
    let back = Network::load(&path).unwrap();
    assert_eq!(back, net);
    assert_eq!(
        (back.n_labels(), back.n_pixels(), back.hidden_sizes()),
        (3, P, (32, 32))
    );
    let scaled = array![0.1, -0.3, 0.25];
    assert_eq!(
        back.predict(scaled.view()).unwrap(),
        net.predict(scaled.view()).unwrap()
    );
    // Scaling as The Payne scales: x_min -> -0.5, x_max -> 0.5.
    let s = net.scale(array![3500.0, 5.0, -0.75].view()).unwrap();
    assert!(
        (s[0] + 0.5).abs() < 1e-15 && (s[1] - 0.5).abs() < 1e-15 && s[2].abs() < 1e-15,
        "{s}"
    );
    assert!((net.unscale(s.view()).unwrap()[2] + 0.75).abs() < 1e-12);
}

#[test]
fn jacobian_matches_central_differences() {
    let net = network();
    let x = array![0.13, -0.21, 0.34];
    let (flux, jacobian) = net.predict_with_jacobian(x.view()).unwrap();
    assert_eq!(flux, net.predict(x.view()).unwrap());
    let h = 1e-6;
    for k in 0..3 {
        let (mut up, mut down) = (x.clone(), x.clone());
        up[k] += h;
        down[k] -= h;
        let numeric = (net.predict(up.view()).unwrap() - net.predict(down.view()).unwrap()) / (2.0 * h);
        let worst = (&numeric - &jacobian.column(k))
            .mapv(f64::abs)
            .fold(0.0_f64, |a, b| a.max(*b));
        assert!(worst < 1e-6, "label {k}: largest difference {worst}");
        assert!(numeric.mapv(f64::abs).sum() > 1.0, "label {k} changes the spectrum");
    }
}

/// A noisy spectrum the network makes at `scaled` labels, shifted by `v` km/s.
fn observe(net: &Network, scaled: &Array1<f64>, v: f64, sigma: f64, rng: &mut Rng) -> Array1<f64> {
    let exact = Fitter::new(net).model(scaled.view(), v).unwrap();
    exact.mapv(|f| f + sigma * rng.normal())
}

#[test]
fn labels_and_radial_velocity_are_recovered_within_their_errors() {
    let net = network();
    let mut rng = Rng::new(2024);
    let sigma = 0.01; // S/N 100
    let ivar = Array1::from_elem(P, 1.0 / (sigma * sigma));
    let fitter = Fitter::new(&net);
    let mut pulls = Vec::new();
    let (mut largest_teff_error, mut largest_v_error) = (0.0_f64, 0.0_f64);
    for _ in 0..20 {
        let scaled = Array1::from_shape_fn(3, |_| rng.range(-0.4, 0.4));
        let v = rng.range(-3.0, 3.0);
        let truth = net.unscale(scaled.view()).unwrap();
        let flux = observe(&net, &scaled, v, sigma, &mut rng);
        let fit = fitter.fit(flux.view(), ivar.view()).unwrap();
        for k in 0..3 {
            let pull = (fit.labels[k] - truth[k]) / fit.u_labels[k];
            assert!(
                pull.abs() < 4.5,
                "label {k}: fitted {} ± {}, truth {}",
                fit.labels[k],
                fit.u_labels[k],
                truth[k]
            );
            pulls.push(pull);
        }
        let pull = (fit.v_rad - v) / fit.u_v_rad;
        assert!(pull.abs() < 4.5, "v_rad {} ± {}, truth {v}", fit.v_rad, fit.u_v_rad);
        pulls.push(pull);
        largest_teff_error = largest_teff_error.max(fit.u_labels[0]);
        largest_v_error = largest_v_error.max(fit.u_v_rad);
        assert!((fit.r_chi_sq - 1.0).abs() < 0.15, "reduced chi2 {}", fit.r_chi_sq);
        assert!((fit.snr - 100.0).abs() < 10.0, "snr {}", fit.snr);
        assert_eq!(fit.covariance.dim(), (4, 4));
    }
    // The errors describe the scatter: the pulls' RMS is near 1.
    let rms = (pulls.iter().map(|p| p * p).sum::<f64>() / pulls.len() as f64).sqrt();
    assert!((0.6..1.5).contains(&rms), "RMS of the pulls {rms}: {pulls:?}");
    // And the errors are informative, not merely large.
    assert!(
        largest_teff_error < 100.0 && largest_v_error < 1.0,
        "{largest_teff_error} K, {largest_v_error} km/s"
    );
}

#[test]
fn without_a_radial_velocity_the_labels_alone_are_fitted() {
    let net = network();
    let mut rng = Rng::new(5);
    let scaled = array![-0.2, 0.3, 0.1];
    let fitter = Fitter::new(&net).v_rad_tolerance(0.0);
    let flux = fitter
        .model(scaled.view(), 0.0)
        .unwrap()
        .mapv(|f| f + 0.01 * rng.normal());
    let fit = fitter.fit(flux.view(), Array1::from_elem(P, 1e4).view()).unwrap();
    assert_eq!(fit.covariance.dim(), (3, 3));
    assert!(fit.u_v_rad.is_nan() && fit.v_rad == 0.0);
    let truth = net.unscale(scaled.view()).unwrap();
    for k in 0..3 {
        assert!(
            (fit.labels[k] - truth[k]).abs() < 4.5 * fit.u_labels[k],
            "label {k}: {fit:?}"
        );
    }
}

#[test]
fn labels_stay_within_the_training_range() {
    let net = network();
    let fitter = Fitter::new(&net);
    // A spectrum the network extrapolates to, beyond the upper bound of the first label
    // and the radial-velocity bound.
    let flux = fitter.model(array![0.9, 0.0, 0.0].view(), 0.0).unwrap();
    let shifted = Fitter::new(&net)
        .v_rad_tolerance(20.0)
        .model(array![0.9, 0.0, 0.0].view(), 12.0)
        .unwrap();
    for data in [flux, shifted] {
        let fit = fitter.fit(data.view(), Array1::from_elem(P, 1e4).view()).unwrap();
        assert!(fit.labels[0] <= 6500.0 && fit.labels[0] > 6000.0, "{}", fit.labels[0]);
        assert!(
            fit.scaled_labels.iter().all(|s| (-0.5..=0.5).contains(s)),
            "{}",
            fit.scaled_labels
        );
        assert!(fit.v_rad.abs() <= 5.0, "{}", fit.v_rad);
    }
}

#[test]
fn masked_pixels_are_left_out() {
    let net = network();
    let scaled = array![0.05, 0.1, -0.15];
    let fitter = Fitter::new(&net).v_rad_tolerance(0.0);
    let mut flux = fitter.model(scaled.view(), 0.0).unwrap();
    let mut ivar = Array1::from_elem(P, 1e4);
    for i in (0..P).step_by(3) {
        flux[i] = if i % 2 == 0 { f64::NAN } else { 100.0 };
        ivar[i] = if i % 2 == 0 { 1e4 } else { 0.0 };
    }
    let fit = fitter.fit(flux.view(), ivar.view()).unwrap();
    assert!(
        (&fit.scaled_labels - &scaled).mapv(f64::abs).iter().all(|d| *d < 1e-6),
        "{}",
        fit.scaled_labels
    );
    assert!(fit.chi_sq < 1e-6);

    let err = fitter
        .fit(Array1::from_elem(P, f64::NAN).view(), ivar.view())
        .unwrap_err();
    assert!(matches!(err, PayneError::TooFewPixels { usable: 0, .. }), "{err}");
    let err = fitter.fit(flux.slice(ndarray::s![..10]), ivar.view()).unwrap_err();
    assert_eq!(err.to_string(), format!("flux has 10 values, expected {P}"));
}

#[test]
fn a_radial_velocity_needs_a_wavelength_grid() {
    let net = network();
    let flux = net.predict(array![0.0, 0.0, 0.0].view()).unwrap();
    let bare = Network::new(astra_thepayne::network::NetworkArrays {
        weights: [
            Array2::from_elem((2, 3), 0.1),
            Array2::from_elem((2, 2), 0.1),
            Array2::from_elem((P, 2), 0.1),
        ],
        biases: [Array1::zeros(2), Array1::zeros(2), Array1::ones(P)],
        x_min: array![0.0, 0.0, 0.0],
        x_max: array![1.0, 1.0, 1.0],
        wavelength: None,
    })
    .unwrap();
    let err = Fitter::new(&bare).fit(flux.view(), Array1::ones(P).view()).unwrap_err();
    assert!(err.to_string().contains("wavelength"), "{err}");
    let err = Fitter::new(&net)
        .v_rad_tolerance(-1.0)
        .fit(flux.view(), Array1::ones(P).view())
        .unwrap_err();
    assert!(
        err.to_string().starts_with("v_rad_tolerance = -1 is out of range"),
        "{err}"
    );
}

/// Writes an `.npz` with `arrays` (name, data as float64 1-D or 2-D).
fn write_npz(path: &Path, arrays: &[(&str, ndarray::ArrayD<f64>)]) {
    let mut npz = NpzWriter::new(File::create(path).unwrap());
    for (name, a) in arrays {
        npz.add_array(*name, a).unwrap();
    }
    npz.finish().unwrap();
}

fn published_arrays() -> Vec<(&'static str, ndarray::ArrayD<f64>)> {
    let d = |a: Array2<f64>| a.into_dyn();
    let v = |a: Array1<f64>| a.into_dyn();
    vec![
        ("w_array_0", d(Array2::from_elem((4, 3), 0.1))),
        ("w_array_1", d(Array2::from_elem((5, 4), 0.1))),
        ("w_array_2", d(Array2::from_elem((20, 5), 0.1))),
        ("b_array_0", v(Array1::zeros(4))),
        ("b_array_1", v(Array1::zeros(5))),
        ("b_array_2", v(Array1::ones(20))),
        ("x_min", v(array![4000.0, 1.0, -1.0])),
        ("x_max", v(array![6000.0, 4.0, 0.5])),
    ]
}

#[test]
fn bad_network_files_are_refused_naming_the_file_and_the_array() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.npz");
    let shown = path.display().to_string();

    write_npz(&path, &published_arrays());
    let net = Network::load(&path).unwrap();
    assert_eq!((net.n_labels(), net.n_pixels(), net.wavelength()), (3, 20, None));

    // A missing array.
    let mut arrays = published_arrays();
    arrays.retain(|(n, _)| *n != "b_array_1");
    write_npz(&path, &arrays);
    let err = Network::load(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "network file {shown} has no array b_array_1 (it holds w_array_0"
        )),
        "{err}"
    );

    // A bias of the wrong length, a weight matrix of the wrong orientation, a 2-D bias.
    for (name, bad, says) in [
        ("b_array_0", Array1::zeros(3).into_dyn(), "shape [3], expected [4]"),
        (
            "w_array_1",
            Array2::from_elem((4, 5), 0.1).into_dyn(),
            "shape [4, 5], expected [4, 4]",
        ),
        (
            "x_max",
            Array2::zeros((3, 1)).into_dyn(),
            "shape [3, 1], expected 1 dimension",
        ),
        (
            "w_array_2",
            Array2::from_elem((20, 5), f64::NAN).into_dyn(),
            "holds NaN, not a finite number",
        ),
        (
            "x_max",
            array![6000.0, 1.0, 0.5].into_dyn(),
            "label 1: x_max 1 is not above x_min 1",
        ),
    ] {
        let mut arrays = published_arrays();
        arrays.iter_mut().find(|(n, _)| *n == name).unwrap().1 = bad;
        write_npz(&path, &arrays);
        let err = Network::load(&path).unwrap_err().to_string();
        assert_eq!(err, format!("network file {shown}, array {name}: {says}"));
    }

    // A wavelength grid of the wrong length, or not increasing.
    for (bad, says) in [
        (Array1::linspace(15000.0, 16000.0, 19), "shape [19], expected [20]"),
        (
            Array1::linspace(16000.0, 15000.0, 20),
            "not positive and strictly increasing at pixel 1",
        ),
    ] {
        let mut arrays = published_arrays();
        arrays.push(("wavelength", bad.into_dyn()));
        write_npz(&path, &arrays);
        let err = Network::load(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("network file {shown}, array wavelength: {says}")),
            "{err}"
        );
    }

    // Integers are not a network's weights.
    let mut npz = NpzWriter::new(File::create(&path).unwrap());
    for (name, a) in published_arrays() {
        if name == "w_array_0" {
            npz.add_array(name, &a.mapv(|x| x as i64)).unwrap();
        } else {
            npz.add_array(name, &a).unwrap();
        }
    }
    npz.finish().unwrap();
    let err = Network::load(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("network file {shown}, array w_array_0: ")),
        "{err}"
    );
    assert!(err.ends_with("a network's arrays are float32 or float64"), "{err}");

    // Not an archive at all, and no file.
    std::fs::write(&path, b"not a zip").unwrap();
    let err = Network::load(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("network file {shown} is not a readable .npz archive")),
        "{err}"
    );
    let missing = dir.path().join("none.npz");
    let err = Network::load(&missing).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("network file {}: ", missing.display())),
        "{err}"
    );
}

/// A network on its own grid, as The Payne's published one is (the APOGEE detectors
/// only, without the gaps between them; here also offset by half a pixel from the apStar
/// grid): the plugin puts each input on the network's pixels and the model back on the
/// input's, leaving the gaps empty.
#[test]
fn a_network_on_another_grid_fits_apstar_spectra() {
    use astra_targets::plugin::{Input, Plugin};
    use astra_targets::spectrum::WavelengthGrid;
    use astra_targets::spectrum::synthetic::{self, Labels};
    use astra_thecannon::continuum::APOGEE_CHIPS;
    use astra_thepayne::plugin::{LoadedNetwork, ThePayne, ThePaynePlugin};

    let grid = WavelengthGrid::APOGEE;
    let at = |x: f64| 10f64.powf(grid.crval1 + x * grid.cdelt1);
    let pixels: Vec<f64> = APOGEE_CHIPS
        .iter()
        .flat_map(|r| r.clone())
        .map(|i| at(i as f64 + 0.5))
        .collect();
    let network = RandomNetwork::stellar(Array1::from(pixels.clone())).build(9).unwrap();
    let truth = array![5100.0, 2.7, -0.6];
    let v = 1.3;
    let normalized = Fitter::new(&network)
        .model(network.scale(truth.view()).unwrap().view(), v)
        .unwrap();
    let mut spectrum = synthetic::apogee(
        4,
        Labels {
            teff: truth[0],
            logg: truth[1],
            fe_h: truth[2],
        },
        100.0,
        1,
    )
    .unwrap();
    let mut rng = Rng::new(4);
    let continuum = synthetic::continuum(&grid, truth[0], 500.0, 0.04, 0.02);
    for (i, level) in continuum.iter().enumerate() {
        let w = at(i as f64);
        // The network's flux linearly interpolated at the input's pixel, 1 off its grid.
        let j = pixels.partition_point(|p| *p <= w);
        let flux = if j == 0 || j == pixels.len() || pixels[j] / pixels[j - 1] > 1.0001 {
            1.0
        } else {
            let f = (w - pixels[j - 1]) / (pixels[j] - pixels[j - 1]);
            normalized[j - 1] * (1.0 - f) + normalized[j] * f
        };
        let sigma = level / 100.0;
        if spectrum.ivar[(0, i)] > 0.0 {
            spectrum.flux[(0, i)] = (flux * level + sigma * rng.normal()) as f32;
            spectrum.ivar[(0, i)] = (1.0 / (sigma * sigma)) as f32;
        }
    }
    let model = LoadedNetwork {
        model: network,
        md5: "0".repeat(32),
    };
    let input = Input::new(Path::new("in.fits"), &spectrum);
    let task = ThePaynePlugin::task(&model, &input).unwrap();
    assert_eq!(task.v_rad_tolerance, 5.0);
    let analysis = ThePaynePlugin::analyse(&model, &task, &input).unwrap();
    let row = &analysis.result_rows()[0];
    for (name, fitted, error, true_value) in [
        ("teff", row.teff, row.u_teff, truth[0]),
        ("logg", row.logg, row.u_logg, truth[1]),
        ("fe_h", row.fe_h, row.u_fe_h, truth[2]),
        ("v_rel", row.v_rel, row.u_v_rel, v),
    ] {
        assert!(
            (fitted - true_value).abs() < 5.0 * error,
            "{name}: fitted {fitted} ± {error}, truth {true_value}"
        );
    }
    let _: &ThePayne = &task;
    // The model is on the detectors and NaN between them.
    let images = analysis.images().unwrap();
    let checked = astra_targets::source::check_shapes(images.as_source_images(), 1).unwrap();
    let model_flux = checked.model_flux();
    for chip in APOGEE_CHIPS {
        let inner = chip.start + 1..chip.end - 1;
        assert!(inner.clone().all(|i| model_flux[(0, i)].is_finite()), "{chip:?}");
        assert!((model_flux[(0, inner.start)] - 1.0).abs() < 0.3);
    }
    for gap in [3243..3647, 6049..6411] {
        assert!(gap.clone().all(|i| model_flux[(0, i)].is_nan()), "{gap:?}");
    }
    assert!(checked.model_ivar().iter().all(|v| v.is_nan()));
}

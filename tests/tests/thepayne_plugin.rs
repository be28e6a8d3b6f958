//! The `thepayne` plugin against outside judges: a network written by NumPy in The
//! Payne's layout is read and evaluated as NumPy evaluates it, and `astra run thepayne`
//! over synthetic apStar inputs made from a network (with a continuum, a radial velocity
//! and noise) recovers their labels, writing files that pass `fitsverify` and read back
//! in astropy (warnings as errors) with the declared units and descriptions.
//!
//! Needs the test venv's Python and `fitsverify`: run through `scripts/test.sh`.

use std::path::Path;
use std::process::Output;

use astra_targets::db::blocking::Database;
use astra_targets::fits::CardValue;
use astra_targets::ndarray::{Array1, array};
use astra_targets::plugin::{ModelSource, Plugin};
use astra_targets::spectrum::WavelengthGrid;
use astra_targets::spectrum::synthetic::{self, Labels, Rng};
use astra_targets::{AstraTask, OutputRoot};
use astra_targets_tests::program::{self, text};
use astra_targets_tests::{fitsverify, run_python};
use astra_thepayne::network::Network;
use astra_thepayne::plugin::{ThePayne, ThePaynePlugin};
use astra_thepayne::synthetic::RandomNetwork;
use astra_thepayne::{Fitter, PayneError};

const BIN: &str = env!("CARGO_BIN_EXE_astra-test");

/// Writes a random network with NumPy in The Payne's layout (float32 weights as PyTorch
/// saves them, float64 label bounds), then prints the flux NumPy computes for each
/// label set given on stdin (one JSON list per line), as The Payne's
/// `get_spectrum_from_neural_net` defines it.
const NUMPY_NETWORK: &str = r#"
import json, sys
import numpy as np
path, compressed = sys.argv[1], sys.argv[2] == "compressed"
rng = np.random.default_rng(11)
L, H1, H2, P = 3, 9, 7, 60
arrays = dict(
    w_array_0=rng.normal(size=(H1, L)).astype(np.float32),
    w_array_1=rng.normal(size=(H2, H1)).astype(np.float32),
    w_array_2=(0.05 * rng.normal(size=(P, H2))).astype(np.float32),
    b_array_0=rng.normal(size=H1).astype(np.float32),
    b_array_1=rng.normal(size=H2).astype(np.float32),
    b_array_2=np.ones(P, dtype=np.float32),
    x_min=np.array([3500.0, 0.0, -2.0]),
    x_max=np.array([6500.0, 5.0, 0.5]),
)
(np.savez_compressed if compressed else np.savez)(path, **arrays)
t = np.load(path)
def leaky(z):
    return z * (z > 0) + 0.01 * z * (z < 0)
for line in sys.stdin:
    labels = np.array(json.loads(line))
    x = (labels - t["x_min"]) / (t["x_max"] - t["x_min"]) - 0.5
    inside = np.einsum("ij,j->i", t["w_array_0"], x) + t["b_array_0"]
    outside = np.einsum("ij,j->i", t["w_array_1"], leaky(inside)) + t["b_array_1"]
    flux = np.einsum("ij,j->i", t["w_array_2"], leaky(outside)) + t["b_array_2"]
    print(json.dumps([float(v) for v in flux]))
"#;

#[test]
fn a_numpy_network_is_evaluated_as_numpy_evaluates_it() {
    let dir = tempfile::tempdir().unwrap();
    let labels = [
        [4100.0, 1.2, -1.5],
        [5777.0, 4.44, 0.0],
        [6400.0, 3.9, 0.45],
        [3500.0, 0.0, -2.0],
        [7000.0, 5.5, 0.8], // beyond the training range: the network extrapolates
    ];
    let stdin: String = labels
        .iter()
        .map(|l| format!("[{}, {}, {}]\n", l[0], l[1], l[2]))
        .collect();
    for layout in ["stored", "compressed"] {
        let path = dir.path().join(format!("{layout}.npz"));
        let shown = run_python(NUMPY_NETWORK, &[path.to_str().unwrap(), layout], Some(&stdin));
        let network = Network::load(&path).unwrap();
        assert_eq!(
            (network.n_labels(), network.n_pixels(), network.hidden_sizes()),
            (3, 60, (9, 7))
        );
        let mut largest = 0.0_f64;
        for (line, l) in shown.lines().zip(&labels) {
            let numpy: Vec<f64> = serde_json::from_str(line).unwrap();
            let scaled = network.scale(array![l[0], l[1], l[2]].view()).unwrap();
            let rust = network.predict(scaled.view()).unwrap();
            assert_eq!(rust.len(), numpy.len());
            for (a, b) in rust.iter().zip(&numpy) {
                largest = largest.max((a - b).abs());
            }
            // The spectrum depends on the labels: not a constant.
            assert!(rust.iter().any(|v| (v - rust[0]).abs() > 1e-3), "{rust}");
        }
        assert_eq!(shown.lines().count(), labels.len());
        assert!(largest < 1e-6, "{layout}: largest difference from NumPy {largest}");
    }
}

fn astra(dir: &Path, args: &[&str]) -> Output {
    program::run_sqlite(BIN, dir, args)
}

/// A network on the apStar grid, with The Payne's shape.
fn apogee_network() -> Network {
    RandomNetwork::stellar(
        (0..WavelengthGrid::APOGEE.npix)
            .map(|i| WavelengthGrid::APOGEE.wavelength(i))
            .collect(),
    )
    .build(3)
    .unwrap()
}

/// The true labels and radial velocity of input `seed`.
fn truth(network: &Network, seed: u64) -> (Array1<f64>, f64) {
    let mut rng = Rng::new(seed * 7919);
    let scaled = Array1::from_shape_fn(3, |_| rng.range(-0.35, 0.35));
    (network.unscale(scaled.view()).unwrap(), rng.range(-3.0, 3.0))
}

/// An apStar input (header, mask and grid of a synthetic APOGEE spectrum) whose flux is
/// the network's spectrum at `seed`'s labels, shifted, times a smooth continuum, with
/// Gaussian noise at S/N 100 per pixel on the detectors.
fn write_input(network: &Network, seed: u64, path: &Path) {
    let (labels, v) = truth(network, seed);
    let mut spectrum = synthetic::apogee(
        seed,
        Labels {
            teff: labels[0],
            logg: labels[1],
            fe_h: labels[2],
        },
        100.0,
        1,
    )
    .unwrap();
    let normalized = Fitter::new(network)
        .model(network.scale(labels.view()).unwrap().view(), v)
        .unwrap();
    let continuum = synthetic::continuum(&spectrum.grid, labels[0], 800.0, 0.05, -0.03);
    let mut rng = Rng::new(seed + 100);
    for row in 0..spectrum.flux.nrows() {
        for i in 0..spectrum.flux.ncols() {
            if spectrum.ivar[(row, i)] > 0.0 {
                let sigma = continuum[i] / 100.0;
                spectrum.flux[(row, i)] = (normalized[i] * continuum[i] + sigma * rng.normal()) as f32;
                spectrum.ivar[(row, i)] = (1.0 / (sigma * sigma)) as f32;
            }
        }
    }
    synthetic::write_apstar(path, &spectrum).unwrap();
}

/// Checks an astraSource file of the plugin in astropy, warnings as errors: the RESULTS
/// columns' units and descriptions, and the model images.
const ASTROPY_CHECK: &str = r#"
import json, sys, warnings
warnings.simplefilter("error")
import numpy as np
from astropy.io import fits
from astropy.table import Table
with fits.open(sys.argv[1]) as hdul:
    names = [h.name for h in hdul]
    h = hdul["RESULTS"].header
    columns = {}
    for k in range(1, h["TFIELDS"] + 1):
        columns[h[f"TTYPE{k}"]] = dict(unit=h.get(f"TUNIT{k}"), comment=h.get(f"TCOMM{k}"))
    table = Table.read(hdul["RESULTS"])
    units = {c: (str(table[c].unit) if table[c].unit is not None else None) for c in table.colnames}
    model = hdul["MODEL_FLUX"].data
    ivar = hdul["MODEL_IVAR"].data
    print(json.dumps(dict(
        names=names,
        columns=columns,
        units=units,
        teff=float(table["TEFF"][0]),
        plugin=hdul[0].header["PLUGIN"],
        model_finite=int(np.isfinite(model).sum()),
        model_ivar_nan=bool(np.isnan(ivar).all()),
        continuum_finite=int(np.isfinite(hdul["CONTINUUM"].data).sum()),
    )))
"#;

#[test]
fn thepayne_recovers_the_labels_of_apstar_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let network = apogee_network();
    let model_path = dir.path().join("payne.npz");
    network.save(&model_path).unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    for seed in 1..=3u64 {
        write_input(&network, seed, &dir.path().join(format!("in/apStar-{seed}.fits")));
    }

    // Without a network: one sentence naming the option.
    let out = astra(dir.path(), &["run", "thepayne", "in"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--model"), "{}", text(&out.stderr));

    let model_arg = model_path.to_str().unwrap();
    let out = astra(
        dir.path(),
        &["run", "thepayne", "in", "--model", model_arg, "--workers", "2"],
    );
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}{}", text(&out.stderr));
    assert!(
        shown.contains("3 inputs: 0 already done, 3 succeeded, 0 failed"),
        "{shown}"
    );

    let db = Database::connect(&format!("sqlite://{}", dir.path().join("astra.db").display())).unwrap();
    let md5 = ThePaynePlugin::load_model(ModelSource::File(&model_path)).unwrap().md5;
    for seed in 1..=3u64 {
        let input = dir.path().join(format!("in/apStar-{seed}.fits"));
        let s = astra_targets::spectrum::read(&input).unwrap();
        let card = |k: &str| s.header.iter().find(|c| c.key == k).unwrap().value.clone();
        let (CardValue::Int(healpix), CardValue::Str(obj)) = (card("HEALPIX"), card("OBJID")) else {
            panic!("cards")
        };
        let task = ThePayne {
            healpix,
            obj: obj.trim_end().to_string(),
            model_md5: md5.clone(),
            v_rad_tolerance: 5.0,
        };
        let rows = db.target(&task).read().unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        let (labels, v) = truth(&network, seed);
        println!(
            "input {seed}: teff {:.1} ± {:.1} (true {:.1}), logg {:.3} ± {:.3} (true {:.3}), \
             fe_h {:.3} ± {:.3} (true {:.3}), v_rel {:.2} ± {:.2} (true {v:.2}), r_chi_sq {:.3}, snr {:.1}",
            r.teff,
            r.u_teff,
            labels[0],
            r.logg,
            r.u_logg,
            labels[1],
            r.fe_h,
            r.u_fe_h,
            labels[2],
            r.v_rel,
            r.u_v_rel,
            r.r_chi_sq,
            r.snr
        );
        // Within 5 sigma of the truth: the continuum normalization adds a little to the
        // noise the errors describe.
        for (name, fitted, error, true_value) in [
            ("teff", r.teff, r.u_teff, labels[0]),
            ("logg", r.logg, r.u_logg, labels[1]),
            ("fe_h", r.fe_h, r.u_fe_h, labels[2]),
            ("v_rel", r.v_rel, r.u_v_rel, v),
        ] {
            assert!(error > 0.0 && error.is_finite(), "{name}: error {error}");
            assert!(
                (fitted - true_value).abs() < 5.0 * error,
                "{name}: fitted {fitted} ± {error}, truth {true_value}"
            );
        }
        assert!(r.u_teff < 100.0 && r.u_logg < 0.2 && r.u_fe_h < 0.1, "{r:?}");
        assert!(
            (0.8..1.3).contains(&r.r_chi_sq) && (80.0..120.0).contains(&r.snr),
            "{r:?}"
        );

        let file = task.output_path(&OutputRoot::new(dir.path().join("out"))).unwrap();
        let (passed, report) = fitsverify(&file);
        assert!(passed, "{report}");
        let verified = text(&astra(dir.path(), &["verify", file.to_str().unwrap()]).stdout);
        assert!(verified.starts_with("ok "), "{verified}");

        let facts: serde_json::Value =
            serde_json::from_str(&run_python(ASTROPY_CHECK, &[file.to_str().unwrap()], None)).unwrap();
        assert_eq!(facts["plugin"], "thepayne");
        assert!((facts["teff"].as_f64().unwrap() - r.teff).abs() < 1e-9);
        for (column, unit, comment) in [
            ("TEFF", Some("K"), "Effective temperature"),
            ("U_TEFF", Some("K"), "Error of the effective temperature"),
            ("LOGG", None, "Surface gravity, log10(g / cm s-2) (dex)"),
            ("FE_H", None, "Metallicity [Fe/H] (dex)"),
            ("U_FE_H", None, "Error of the metallicity (dex)"),
            (
                "V_REL",
                Some("km/s"),
                "Radial velocity relative to the input's rest frame",
            ),
            ("U_V_REL", Some("km/s"), "Error of the radial velocity"),
            ("SNR", None, "Median signal-to-noise ratio per pixel"),
            ("R_CHI_SQ", None, "Reduced chi-squared of the fit"),
            ("MODEL_MD5", None, "MD5 of the network file"),
        ] {
            let c = &facts["columns"][column];
            assert_eq!(c["unit"].as_str(), unit, "TUNIT of {column}: {facts}");
            assert_eq!(c["comment"].as_str(), Some(comment), "TCOMM of {column}");
            // astropy writes km/s as "km / s".
            let astropy = unit.map(|u| u.replace('/', " / "));
            assert_eq!(
                facts["units"][column].as_str(),
                astropy.as_deref(),
                "astropy's unit of {column}"
            );
        }
        // The model flux covers the detectors; the model ivar is absent (NaN).
        assert!(facts["model_finite"].as_u64().unwrap() > 7000, "{facts}");
        assert!(facts["continuum_finite"].as_u64().unwrap() > 7000, "{facts}");
        assert_eq!(facts["model_ivar_nan"], true);
    }

    // Another network is other work.
    let other = dir.path().join("payne-2.npz");
    RandomNetwork::stellar(network.wavelength().unwrap().to_owned())
        .build(4)
        .unwrap()
        .save(&other)
        .unwrap();
    let plan = text(
        &astra(
            dir.path(),
            &["run", "thepayne", "in", "--model", other.to_str().unwrap(), "--dry-run"],
        )
        .stdout,
    );
    assert!(plan.contains("0 done, 3 would run"), "{plan}");
    let plan = text(
        &astra(
            dir.path(),
            &["run", "thepayne", "in", "--model", model_arg, "--dry-run"],
        )
        .stdout,
    );
    assert!(plan.contains("3 done, 0 would run"), "{plan}");
}

#[test]
fn a_bad_network_file_is_one_sentence_naming_the_file_and_the_array() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    let network = apogee_network();
    write_input(&network, 1, &dir.path().join("in/apStar-1.fits"));

    // A network file without its output layer's biases.
    let path = dir.path().join("broken.npz");
    let script = r#"
import sys
import numpy as np
np.savez(sys.argv[1], w_array_0=np.zeros((4, 3)), w_array_1=np.zeros((4, 4)), w_array_2=np.zeros((8575, 4)),
         b_array_0=np.zeros(4), b_array_1=np.zeros(4), x_min=np.zeros(3), x_max=np.ones(3))
"#;
    run_python(script, &[path.to_str().unwrap()], None);
    let err = Network::load(&path).unwrap_err();
    assert!(
        matches!(err, PayneError::MissingArray { array: "b_array_2", .. }),
        "{err}"
    );
    let out = astra(
        dir.path(),
        &["run", "thepayne", "in", "--model", path.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("network file {} has no array b_array_2", path.display())),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A network with two labels: the results hold three.
    let two = dir.path().join("two.npz");
    let script = r#"
import sys
import numpy as np
np.savez(sys.argv[1], w_array_0=np.ones((4, 2)), w_array_1=np.ones((4, 4)), w_array_2=np.ones((8575, 4)),
         b_array_0=np.zeros(4), b_array_1=np.zeros(4), b_array_2=np.ones(8575), x_min=np.zeros(2), x_max=np.ones(2))
"#;
    run_python(script, &[two.to_str().unwrap()], None);
    let out = astra(dir.path(), &["run", "thepayne", "in", "--model", two.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("has 2 labels; this plugin's results hold 3 (teff, logg, fe_h)"),
        "{stderr}"
    );
}

/// Trains The Payne's network with NumPy (full-batch Adam on the mean squared error, as
/// The Payne's training code minimizes it, labels scaled by the training set's range)
/// on the spectra of argv[1], and saves it in The Payne's layout to argv[2], with the
/// wavelength grid. Prints the validation RMS.
const NUMPY_TRAINING: &str = r#"
import sys
import numpy as np
t = np.load(sys.argv[1])
labels, flux, wavelength = t["labels"], t["flux"], t["wavelength"]
valid = slice(0, 40)
train = slice(40, None)
x_max, x_min = labels[train].max(axis=0), labels[train].min(axis=0)
x = (labels - x_min) / (x_max - x_min) - 0.5
rng = np.random.default_rng(1)
L, H, P = x.shape[1], 32, flux.shape[1]
params = [rng.normal(size=(H, L)) / np.sqrt(L), np.zeros(H),
          rng.normal(size=(H, H)) / np.sqrt(H), np.zeros(H),
          rng.normal(size=(P, H)) * 0.01, flux[train].mean(axis=0)]
def leaky(z):
    return np.where(z > 0, z, 0.01 * z)
def slope(z):
    return np.where(z > 0, 1.0, 0.01)
def forward(p, x):
    z0 = x @ p[0].T + p[1]; a0 = leaky(z0)
    z1 = a0 @ p[2].T + p[3]; a1 = leaky(z1)
    return z0, a0, z1, a1, a1 @ p[4].T + p[5]
m = [np.zeros_like(q) for q in params]
v = [np.zeros_like(q) for q in params]
X, Y = x[train], flux[train]
n = len(X)
for step in range(1, 3001):
    z0, a0, z1, a1, out = forward(params, X)
    d = 2 * (out - Y) / (n * P)
    g4 = d.T @ a1; g5 = d.sum(axis=0)
    d1 = (d @ params[4]) * slope(z1)
    g2 = d1.T @ a0; g3 = d1.sum(axis=0)
    d0 = (d1 @ params[2]) * slope(z0)
    g0 = d0.T @ X; g1 = d0.sum(axis=0)
    lr = 3e-3 if step < 2000 else 1e-3
    for i, g in enumerate([g0, g1, g2, g3, g4, g5]):
        m[i] = 0.9 * m[i] + 0.1 * g
        v[i] = 0.999 * v[i] + 0.001 * g * g
        params[i] -= lr * (m[i] / (1 - 0.9 ** step)) / (np.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8)
np.savez(sys.argv[2], w_array_0=params[0].astype(np.float32), b_array_0=params[1].astype(np.float32),
         w_array_1=params[2].astype(np.float32), b_array_1=params[3].astype(np.float32),
         w_array_2=params[4].astype(np.float32), b_array_2=params[5].astype(np.float32),
         x_min=x_min, x_max=x_max, wavelength=wavelength)
print(float(np.sqrt(np.mean((forward(params, x[valid])[-1] - flux[valid]) ** 2))))
"#;

/// A network trained by NumPy on spectra of the synthetic line model (not a network),
/// 600 APOGEE pixels, recovers the labels of spectra it was not trained on.
#[test]
fn a_network_trained_by_numpy_recovers_labels_of_unseen_spectra() {
    use astra_targets::spectrum::SpectrumKind;
    use astra_targets::spectrum::synthetic::normalized_flux;
    use ndarray_npy::NpzWriter;

    let dir = tempfile::tempdir().unwrap();
    let grid = WavelengthGrid::APOGEE;
    let window = 1000..1600;
    let draw = |rng: &mut Rng| Labels {
        teff: rng.range(4000.0, 6000.0),
        logg: rng.range(1.0, 4.5),
        fe_h: rng.range(-1.5, 0.3),
    };
    // 40 validation spectra, then 260 training spectra.
    let mut rng = Rng::new(77);
    let n = 300;
    let mut labels = astra_targets::ndarray::Array2::<f64>::zeros((n, 3));
    let mut flux = astra_targets::ndarray::Array2::<f64>::zeros((n, window.len()));
    for i in 0..n {
        let l = draw(&mut rng);
        labels.row_mut(i).assign(&array![l.teff, l.logg, l.fe_h]);
        let f = normalized_flux(SpectrumKind::Apogee, &grid, &l);
        flux.row_mut(i).assign(&Array1::from(f[window.clone()].to_vec()));
    }
    let wavelength: Array1<f64> = window.clone().map(|i| grid.wavelength(i)).collect();
    let set = dir.path().join("training.npz");
    let mut npz = NpzWriter::new(std::fs::File::create(&set).unwrap());
    npz.add_array("labels", &labels).unwrap();
    npz.add_array("flux", &flux).unwrap();
    npz.add_array("wavelength", &wavelength).unwrap();
    npz.finish().unwrap();
    let path = dir.path().join("trained.npz");
    let rms: f64 = run_python(NUMPY_TRAINING, &[set.to_str().unwrap(), path.to_str().unwrap()], None)
        .trim()
        .parse()
        .unwrap();
    println!("validation RMS of the trained network: {rms:.5}");
    assert!(rms < 0.01, "the network did not learn the spectra: RMS {rms}");

    let network = Network::load(&path).unwrap();
    let fitter = Fitter::new(&network);
    let sigma = 0.005; // S/N 200
    let ivar = Array1::from_elem(window.len(), 1.0 / (sigma * sigma));
    let mut errors = [Vec::new(), Vec::new(), Vec::new()];
    let mut rng = Rng::new(4242);
    for _ in 0..15 {
        let l = draw(&mut rng);
        let truth = [l.teff, l.logg, l.fe_h];
        // Keep to the training range's inner part (the bounds are the training set's).
        let scaled = network.scale(array![l.teff, l.logg, l.fe_h].view()).unwrap();
        if scaled.iter().any(|s| s.abs() > 0.45) {
            continue;
        }
        let f = normalized_flux(SpectrumKind::Apogee, &grid, &l);
        let observed: Array1<f64> = f[window.clone()].iter().map(|v| v + sigma * rng.normal()).collect();
        let fit = fitter.fit(observed.view(), ivar.view()).unwrap();
        for k in 0..3 {
            errors[k].push(fit.labels[k] - truth[k]);
        }
        assert!(fit.v_rad.abs() < 1.0, "v_rad {}", fit.v_rad);
    }
    let rms = |e: &Vec<f64>| (e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64).sqrt();
    let (teff, logg, fe_h) = (rms(&errors[0]), rms(&errors[1]), rms(&errors[2]));
    println!(
        "{} unseen spectra: RMS error teff {teff:.1} K, logg {logg:.3}, fe_h {fe_h:.3}",
        errors[0].len()
    );
    assert!(errors[0].len() >= 8);
    assert!(
        teff < 150.0 && logg < 0.3 && fe_h < 0.1,
        "teff {teff} K, logg {logg}, fe_h {fe_h}"
    );
    // Not exact: the network emulates the line model, it is not it.
    assert!(teff > 0.1 && fe_h > 1e-4);
}

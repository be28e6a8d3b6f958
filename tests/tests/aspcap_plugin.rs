//! The `aspcap` plugin end to end: FERRE's inputs written for synthetic apStar spectra,
//! FERRE's outputs made here in its formats (lines reordered, one input left out,
//! sentinels and NaN), `astra run aspcap` over them on SQLite, the files it writes
//! passing `fitsverify` and read back in astropy (warnings as errors) with the declared
//! units and descriptions; a truncated output refused with the file and the line,
//! nothing written.
//!
//! Needs the test venv's Python and `fitsverify`: run through `scripts/test.sh`.

use std::path::{Path, PathBuf};
use std::process::Output;

use astra_aspcap::input::names;
use astra_aspcap::plugin::spectrum_name;
use astra_aspcap::{Aspcap, AspcapPlugin, FerreBatch, FerreRun, GridHeader, Parameter, Point};
use astra_targets::db::blocking::Database;
use astra_targets::plugin::{ModelSource, Plugin};
use astra_targets::spectrum::synthetic::{self, Labels};
use astra_targets::{AstraTask, OutputRoot};
use astra_targets_tests::db_support::scalar_i64;
use astra_targets_tests::program::{self, text};
use astra_targets_tests::{fitsverify, run_python};

const BIN: &str = env!("CARGO_BIN_EXE_astra-test");

fn astra(dir: &Path, args: &[&str]) -> Output {
    program::run_sqlite(BIN, dir, args)
}

/// The header of a grid like ASPCAP's giants' grid (seven dimensions, no rotation, in
/// its order), on APOGEE's 7514 detector pixels.
const HEADER: &str = " &SYNTH
 MULTI = 0
 N_OF_DIM = 7
 NPIX = 7514
 LABEL(1) = 'LOG10VDOP'
 LABEL(2) = 'C'
 LABEL(3) = 'N'
 LABEL(4) = 'O Mg Si S Ca Ti'
 LABEL(5) = 'METALS'
 LABEL(6) = 'LOGG'
 LABEL(7) = 'TEFF'
 N_P = 7 9 11 9 11 9 13
 LLIMITS = -0.301030 -1.50 -0.5 -0.75 -2.5 0.0 3000.0
 STEPS = 0.150515 0.25 0.5 0.25 0.25 0.5 250.0
 /
";

/// The labels of input `seed`.
fn labels(seed: u64) -> Labels {
    Labels {
        teff: 4200.0 + 150.0 * seed as f64,
        logg: 1.5 + 0.4 * seed as f64,
        fe_h: -0.9 + 0.2 * seed as f64,
    }
}

/// What FERRE "fits" for a spectrum with initial point `p` (FERRE's order): a shift of
/// each free dimension.
fn fitted(p: &[f64]) -> Vec<f64> {
    let shifts = [0.0, 0.05, -0.1, 0.02, 0.03, -0.04, 25.0];
    p.iter().zip(shifts).map(|(x, s)| x + s).collect()
}

/// Makes FERRE's three outputs for the batch in `run`, as FERRE writes them: the lines in
/// reverse order, the spectrum `left_out` absent from the parameter and normalized-flux
/// outputs, the spectrum `sentinel` with -9999 for its [alpha/M], -999 for its error and
/// a NaN model pixel. The normalized flux is the flux over its mean per detector, the
/// model 0.99 times it.
fn fake_ferre(run: &Path, left_out: &str, sentinel: &str) {
    let read = |name: &str| std::fs::read_to_string(run.join(name)).unwrap();
    let parameters = read(names::PARAMETERS);
    let flux = read(names::FLUX);
    let (mut opfile, mut offile, mut sffile) = (Vec::new(), Vec::new(), Vec::new());
    for (p_line, f_line) in parameters.lines().zip(flux.lines()) {
        let mut words = p_line.split_whitespace();
        let name = words.next().unwrap();
        let initial: Vec<f64> = words.map(|w| w.parse().unwrap()).collect();
        let mut values = fitted(&initial);
        values[0] = initial[0]; // LOG10VDOP is frozen
        let mut errors = vec![0.0, 0.03, 0.05, 0.02, 0.01, 0.06, 31.5];
        if name == sentinel {
            values[3] = -9999.0;
            errors[3] = -999.0;
        }
        let numbers: Vec<String> = values
            .iter()
            .chain(&errors)
            .chain(&[0.987, 4.1, 0.075])
            .map(|x| format!("{x:.5e}").replace('e', "E"))
            .collect();
        opfile.push(format!("{name} {}\n", numbers.join(" ")));

        let pixels: Vec<f64> = f_line.split_whitespace().map(|w| w.parse().unwrap()).collect();
        let mut normalized = Vec::with_capacity(pixels.len());
        for detector in [0..3028, 3028..5523, 5523..7514] {
            let used: Vec<f64> = pixels[detector.clone()].iter().copied().filter(|&x| x > 0.0).collect();
            let mean = used.iter().sum::<f64>() / used.len() as f64;
            normalized.extend(pixels[detector].iter().map(|x| x / mean));
        }
        let mut model: Vec<String> = normalized.iter().map(|x| format!("{:.6}", 0.99 * x)).collect();
        if name == sentinel {
            model[100] = "NaN".into();
        }
        offile.push(format!("{name} {}\n", model.join(" ")));
        let normalized: Vec<String> = normalized.iter().map(|x| format!("{x:.6}")).collect();
        sffile.push(format!("{name} {}\n", normalized.join(" ")));
    }
    let keep = |lines: Vec<String>, drop: bool| -> String {
        lines
            .into_iter()
            .rev()
            .filter(|l| !(drop && l.starts_with(&format!("{left_out} "))))
            .collect()
    };
    std::fs::write(run.join(names::PARAMETER_OUTPUT), keep(opfile, true)).unwrap();
    std::fs::write(run.join(names::MODEL_FLUX_OUTPUT), keep(offile, false)).unwrap();
    std::fs::write(run.join(names::FLUX_OUTPUT), keep(sffile, true)).unwrap();
}

/// Writes three synthetic apStar inputs and FERRE's inputs for them into `ferre/`,
/// starting each from its true labels (`SYNTEFF`, `SYNLOGG`, `SYNFEH`), the
/// microturbulence frozen. Returns the inputs and the control file.
fn setup(dir: &Path) -> (Vec<PathBuf>, PathBuf) {
    std::fs::create_dir_all(dir.join("in")).unwrap();
    let mut inputs = Vec::new();
    for seed in 1..=3u64 {
        let path = dir.join(format!("in/apStar-{seed}.fits"));
        let spectrum = synthetic::apogee(seed, labels(seed), 80.0, 1).unwrap();
        synthetic::write_apstar(&path, &spectrum).unwrap();
        inputs.push(path);
    }
    std::fs::create_dir_all(dir.join("ferre")).unwrap();
    std::fs::write(dir.join("ferre/grid.hdr"), HEADER).unwrap();
    let header = GridHeader::read(&dir.join("ferre/grid.hdr")).unwrap();
    let batch = FerreBatch::new(header)
        .synthfile("grid.hdr")
        .freeze(Parameter::Log10VMicro)
        .n_threads(2);
    let control = astra_aspcap::prepare(batch, &inputs, &dir.join("ferre"), |input| {
        Ok(Point::new()
            .with(Parameter::Teff, input.card_f64("SYNTEFF")?)
            .with(Parameter::Logg, input.card_f64("SYNLOGG")?)
            .with(Parameter::MH, input.card_f64("SYNFEH")?)
            .with(Parameter::Log10VMicro, 0.3))
    })
    .unwrap();
    (inputs, control)
}

fn obj_of(path: &Path) -> (i64, String) {
    let s = astra_targets::spectrum::read(path).unwrap();
    let input = astra_targets::plugin::Input::new(path, &s);
    (input.card_int("HEALPIX").unwrap(), input.card_str("OBJID").unwrap())
}

/// Checks an astraSource file of the plugin in astropy, warnings as errors.
const ASTROPY_CHECK: &str = r#"
import json, sys, warnings
warnings.simplefilter("error")
import numpy as np
from astropy.io import fits
from astropy.table import Table
with fits.open(sys.argv[1]) as hdul:
    h = hdul["RESULTS"].header
    columns = {}
    for k in range(1, h["TFIELDS"] + 1):
        columns[h[f"TTYPE{k}"]] = dict(unit=h.get(f"TUNIT{k}"), comment=h.get(f"TCOMM{k}"))
    table = Table.read(hdul["RESULTS"])
    units = {c: (str(table[c].unit) if table[c].unit is not None else None) for c in table.colnames}
    row = {c: (None if np.ma.is_masked(table[c][0]) else table[c][0].item()) for c in table.colnames}
    row = {c: (None if isinstance(v, float) and np.isnan(v) else v) for c, v in row.items()}
    print(json.dumps(dict(
        names=[x.name for x in hdul],
        columns=columns,
        units=units,
        row=row,
        plugin=hdul[0].header["PLUGIN"],
        model_finite=int(np.isfinite(hdul["MODEL_FLUX"].data).sum()),
        flux_finite=int(np.isfinite(hdul["NORMALIZED_FLUX"].data).sum()),
        continuum_finite=int(np.isfinite(hdul["CONTINUUM"].data).sum()),
        model_ivar_nan=bool(np.isnan(hdul["MODEL_IVAR"].data).all()),
        model_pixel=float(hdul["MODEL_FLUX"].data[0, 246 + 5]),
        flux_pixel=float(hdul["NORMALIZED_FLUX"].data[0, 246 + 5]),
    )))
"#;

#[test]
fn aspcap_reads_ferre_outputs_into_rows_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let (inputs, control) = setup(dir.path());
    let objs: Vec<(i64, String)> = inputs.iter().map(|p| obj_of(p)).collect();

    // FERRE's inputs: one line per spectrum, 7514 pixels, in the inputs' order.
    let parameters = std::fs::read_to_string(dir.path().join("ferre/parameter.input")).unwrap();
    let names: Vec<String> = objs.iter().map(|(_, obj)| spectrum_name(obj, 0)).collect();
    assert_eq!(
        parameters
            .lines()
            .map(|l| l.split_whitespace().next().unwrap())
            .collect::<Vec<_>>(),
        names
    );
    let first: Vec<&str> = parameters.lines().next().unwrap().split_whitespace().collect();
    // LOG10VDOP C N [alpha/M] METALS LOGG TEFF: unset ones at the grid's centre.
    let l = labels(1);
    assert_eq!(
        first[1..],
        [
            "0.30000".to_string(),
            "-0.50000".into(),
            "2.00000".into(),
            "0.25000".into(),
            format!("{:.5}", l.fe_h),
            format!("{:.5}", l.logg),
            format!("{:.5}", l.teff)
        ]
    );
    for file in ["flux.input", "e_flux.input"] {
        let rows = std::fs::read_to_string(dir.path().join("ferre").join(file)).unwrap();
        assert_eq!(rows.lines().count(), 3);
        assert!(rows.lines().all(|r| r.split(' ').count() == 7514), "{file}");
    }
    let nml = std::fs::read_to_string(&control).unwrap();
    assert!(nml.contains(" NDIM = 7\n NOV = 6\n INDV = 2 3 4 5 6 7\n"), "{nml}");

    fake_ferre(&dir.path().join("ferre"), &names[2], &names[1]);

    // Without the FERRE run: one sentence naming the option.
    let out = astra(dir.path(), &["run", "aspcap", "in"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--model"), "{}", text(&out.stderr));

    let out = astra(
        dir.path(),
        &[
            "run",
            "aspcap",
            "in",
            "--model",
            control.to_str().unwrap(),
            "--workers",
            "2",
        ],
    );
    let shown = text(&out.stdout);
    // The input FERRE left out fails; the run goes on.
    assert!(!out.status.success());
    assert!(
        shown.contains("3 inputs: 0 already done, 2 succeeded, 1 failed"),
        "{shown}"
    );
    let failure = shown.lines().find(|l| l.starts_with("failed")).unwrap();
    assert!(
        failure.contains(&format!(
            "spectrum row 0 ({}): FERRE left it out, no line in {}, {}",
            names[2],
            dir.path().join("ferre/parameter.output").display(),
            dir.path().join("ferre/rectified_flux.output").display()
        )),
        "{failure}"
    );
    assert!(!text(&out.stderr).contains("panicked"));

    let db = Database::connect(&format!("sqlite://{}", dir.path().join("astra.db").display())).unwrap();
    let run = AspcapPlugin::load_model(ModelSource::File(&control)).unwrap();
    let task = |k: usize| Aspcap {
        healpix: objs[k].0,
        obj: objs[k].1.clone(),
        grid: "grid.hdr".into(),
        ferre_md5: run.md5().to_string(),
    };

    // The first input: every column.
    let rows = db.target(&task(0)).read().unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    let start = [0.3, -0.5, 2.0, 0.25, l.fe_h, l.logg, l.teff];
    let end = fitted(&start);
    assert_eq!(r.initial_teff, Some(l.teff));
    assert_eq!(r.initial_c_m, Some(-0.5));
    assert_eq!(r.initial_log10_v_micro, Some(0.3));
    let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9 * b.abs().max(1.0));
    assert!(
        close(r.teff, end[6]) && close(r.logg, end[5]) && close(r.m_h, end[4]),
        "{r:?}"
    );
    assert!(
        close(r.alpha_m, end[3]) && close(r.n_m, end[2]) && close(r.c_m, end[1]),
        "{r:?}"
    );
    assert!(close(r.log10_v_micro, 0.3), "{r:?}");
    assert!(
        close(r.u_teff, 31.5) && close(r.u_logg, 0.06) && close(r.u_c_m, 0.03),
        "{r:?}"
    );
    assert_eq!(r.u_log10_v_micro, None); // FERRE's error of a frozen dimension is 0
    assert!(r.flag_log10_v_micro_frozen);
    assert!(!r.flag_teff_frozen && !r.flag_m_h_frozen && !r.flag_alpha_m_frozen);
    // The grid has no rotation.
    assert_eq!(
        (r.initial_log10_v_sini, r.log10_v_sini, r.u_log10_v_sini),
        (None, None, None)
    );
    assert!(!r.flag_log10_v_sini_frozen);
    assert!(close(r.log_snr_sq, 4.1) && close(r.log_chisq_fit, 0.075) && close(r.frac_phot_data_points, 0.987));
    // Lines in reverse order, the third input's left out: the first input is the second line.
    assert_eq!(r.ferre_output_index, 1);

    // The second: FERRE's sentinels are missing values.
    let r2 = &db.target(&task(1)).read().unwrap()[0];
    assert_eq!((r2.alpha_m, r2.u_alpha_m), (None, None));
    assert!(r2.teff.is_some() && r2.initial_alpha_m == Some(0.25));
    assert_eq!(r2.ferre_output_index, 0);
    // The third: no rows.
    assert!(!db.target(&task(2)).exists().unwrap());

    for (k, r) in [(0, r), (1, r2)] {
        let file = task(k).output_path(&OutputRoot::new(dir.path().join("out"))).unwrap();
        let (passed, report) = fitsverify(&file);
        assert!(passed, "{report}");
        let verified = text(&astra(dir.path(), &["verify", file.to_str().unwrap()]).stdout);
        assert!(verified.starts_with("ok "), "{verified}");

        let facts: serde_json::Value =
            serde_json::from_str(&run_python(ASTROPY_CHECK, &[file.to_str().unwrap()], None)).unwrap();
        assert_eq!(facts["plugin"], "aspcap");
        assert!((facts["row"]["TEFF"].as_f64().unwrap() - r.teff.unwrap()).abs() < 1e-9);
        assert_eq!(facts["row"]["FLAG_LOG10_V_MICRO_FROZEN"], true);
        assert_eq!(facts["row"]["LOG10_V_SINI"], serde_json::Value::Null);
        if k == 1 {
            assert_eq!(facts["row"]["ALPHA_M"], serde_json::Value::Null, "{facts}");
        }
        for (column, unit, comment) in [
            ("INITIAL_TEFF", Some("K"), "Initial effective temperature"),
            ("TEFF", Some("K"), "Effective temperature"),
            ("U_TEFF", Some("K"), "Error of the effective temperature"),
            ("LOGG", None, "Surface gravity, log10(g / cm s-2) (dex)"),
            ("M_H", None, "Metallicity [M/H] (dex)"),
            ("U_ALPHA_M", None, "Error of the [alpha/M] (dex)"),
            ("LOG10_V_MICRO", None, "Microturbulence, log10(v_micro / km s-1)"),
            (
                "FLAG_TEFF_FROZEN",
                None,
                "Whether the effective temperature was held at its initial value",
            ),
            ("LOG_SNR_SQ", None, "log10 of the S/N squared, as FERRE computed it"),
            ("LOG_CHISQ_FIT", None, "log10 of the reduced chi-squared of FERRE's fit"),
            (
                "FERRE_MD5",
                None,
                "MD5 of the FERRE run's control, parameter and output files",
            ),
        ] {
            let c = &facts["columns"][column];
            assert_eq!(c["unit"].as_str(), unit, "TUNIT of {column}: {facts}");
            assert_eq!(c["comment"].as_str(), Some(comment), "TCOMM of {column}");
            assert_eq!(facts["units"][column].as_str(), unit, "astropy's unit of {column}");
        }
        // FERRE's 7514 pixels are filled (one NaN model pixel in the second input).
        let model = facts["model_finite"].as_u64().unwrap();
        assert_eq!(model, if k == 1 { 7513 } else { 7514 }, "{facts}");
        assert_eq!(facts["flux_finite"].as_u64().unwrap(), 7514, "{facts}");
        assert!(facts["continuum_finite"].as_u64().unwrap() > 7000, "{facts}");
        assert_eq!(facts["model_ivar_nan"], true);
        let (m, f) = (
            facts["model_pixel"].as_f64().unwrap(),
            facts["flux_pixel"].as_f64().unwrap(),
        );
        assert!((m - 0.99 * f).abs() < 1e-5, "{m} {f}");
    }

    // Other FERRE outputs are other work; the same ones are done.
    let plan = text(
        &astra(
            dir.path(),
            &["run", "aspcap", "in", "--model", control.to_str().unwrap(), "--dry-run"],
        )
        .stdout,
    );
    assert!(plan.contains("2 done, 1 would run"), "{plan}");

    let listing = text(&astra(dir.path(), &["plugins"]).stdout);
    assert!(listing.contains("aspcap 0.1.0 (crate astra-aspcap)"), "{listing}");
}

#[test]
fn a_truncated_ferre_output_is_one_error_naming_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let (_, control) = setup(dir.path());
    let objs: Vec<String> = ["in/apStar-1.fits", "in/apStar-2.fits", "in/apStar-3.fits"]
        .iter()
        .map(|p| spectrum_name(&obj_of(&dir.path().join(p)).1, 0))
        .collect();
    let ferre = dir.path().join("ferre");
    fake_ferre(&ferre, "none", &objs[0]);
    // FERRE stopped while writing: the last line of the model flux is cut short.
    let path = ferre.join(names::MODEL_FLUX_OUTPUT);
    let full = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &full[..full.len() - 5000]).unwrap();
    let err = FerreRun::read(&control).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}, line 3: the spectrum ", path.display())),
        "{err}"
    );
    assert!(err.ends_with("expected 7514 (a truncated file?)"), "{err}");

    let out = astra(
        dir.path(),
        &["run", "aspcap", "in", "--model", control.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("{}, line 3:", path.display())), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Nothing written: no file, no task.
    assert!(!dir.path().join("out").exists());
    let db = dir.path().join("astra.db");
    if db.exists() {
        let url = format!("sqlite://{}", db.display());
        let tasks = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(scalar_i64(&url, "SELECT count(*) FROM task"));
        assert_eq!(tasks, 0);
    }
}

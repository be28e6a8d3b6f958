//! Our readers read apStar- and spec-style files written by astropy (not by our code), and
//! astropy reads the synthetic files our writers make, with no warning.
//!
//! Needs `ASTRA_TEST_PYTHON` (a Python with astropy and numpy; `scripts/test.sh` sets it)
//! and `fitsverify` on PATH.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use astra_targets::fits::CardValue;
use astra_targets::spectrum::synthetic::{self, Labels};
use astra_targets::spectrum::{self, PixelMask, SpectrumKind, WavelengthGrid};

fn python() -> String {
    std::env::var("ASTRA_TEST_PYTHON")
        .expect("ASTRA_TEST_PYTHON is not set: it names a Python with astropy and numpy (run scripts/test.sh)")
}

/// Runs the fixture script; returns its `key value...` lines (a key may repeat).
fn run_script(args: &[&str]) -> HashMap<String, Vec<Vec<String>>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/spectrum_fixtures.py");
    let out = Command::new(python())
        .arg(&script)
        .args(args)
        .output()
        .expect("running ASTRA_TEST_PYTHON");
    assert!(
        out.status.success(),
        "{script:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let mut words = line.split(' ').map(String::from);
        let key = words.next().unwrap();
        map.entry(key).or_default().push(words.collect());
    }
    map
}

fn one(map: &HashMap<String, Vec<Vec<String>>>, key: &str) -> Vec<String> {
    map.get(key).unwrap_or_else(|| panic!("the script reported no {key}"))[0].clone()
}

fn f64_of(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s}"))
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1.0)
}

fn fitsverify(path: &Path) {
    let out = Command::new("fitsverify")
        .arg("-q")
        .arg(path)
        .output()
        .expect("fitsverify is not on PATH (apt-get install fitsverify, or run scripts/test.sh)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("verification OK"),
        "fitsverify {path:?}: {text}"
    );
}

#[test]
fn astropy_written_files_read_as_the_script_reports() {
    let dir = tempfile::tempdir().unwrap();
    let facts = run_script(&["write", dir.path().to_str().unwrap()]);
    let apstar_path = dir.path().join("apStar-fixture.fits");
    let spec_path = dir.path().join("spec-fixture.fits");
    fitsverify(&apstar_path);
    fitsverify(&spec_path);

    let s = spectrum::read(&apstar_path).unwrap();
    assert_eq!(s.kind, SpectrumKind::Apogee);
    let shape = one(&facts, "apstar_shape");
    assert_eq!(s.flux.dim(), (shape[0].parse().unwrap(), shape[1].parse().unwrap()));
    assert_eq!(s.grid, WavelengthGrid::APOGEE);
    let flux_sum: f64 = s.flux.iter().map(|&v| v as f64).sum();
    assert!(
        close(flux_sum, f64_of(&one(&facts, "apstar_flux_sum")[0]), 1e-9),
        "{flux_sum}"
    );
    let ivar_sum: f64 = s.ivar.iter().map(|&v| v as f64).sum();
    assert!(
        close(ivar_sum, f64_of(&one(&facts, "apstar_ivar_sum")[0]), 1e-9),
        "{ivar_sum}"
    );
    let zeros = s.ivar.iter().filter(|&&v| v == 0.0).count();
    assert_eq!(
        zeros.to_string(),
        one(&facts, "apstar_ivar_zero")[0],
        "sigma 0, -1, NaN, inf give ivar 0"
    );
    let PixelMask::Single(mask) = &s.mask else {
        panic!("apStar has one mask")
    };
    let mask_sum: i64 = mask.iter().map(|&m| m as i64).sum();
    assert_eq!(mask_sum.to_string(), one(&facts, "apstar_mask_sum")[0]);
    for px in &facts["apstar_pixel"] {
        let (r, c): (usize, usize) = (px[0].parse().unwrap(), px[1].parse().unwrap());
        assert_eq!(s.flux[(r, c)] as f64, f64_of(&px[2]), "flux[{r}, {c}]");
        assert_eq!(s.ivar[(r, c)] as f64, f64_of(&px[3]), "ivar[{r}, {c}]");
        assert_eq!(mask[(r, c)].to_string(), px[4], "mask[{r}, {c}]");
    }
    let value = |key: &str| s.header.iter().find(|c| c.key == key).map(|c| c.value.clone());
    assert_eq!(value("OBJID"), Some(CardValue::Str("2M00001023-0000126".into())));
    assert_eq!(value("NVISITS"), Some(CardValue::Int(2)));
    assert_eq!(value("SNR"), Some(CardValue::Float(123.25)));
    assert_eq!(value("SYNTHETC"), Some(CardValue::Bool(true)));
    assert_eq!(
        value("SFILE1"),
        Some(CardValue::Str(one(&facts, "apstar_sfile1")[0].clone())),
        "long string joined"
    );
    assert!(
        s.header
            .iter()
            .all(|c| c.key != "CONTINUE" && c.key != "CHECKSUM" && c.key != "NAXIS")
    );
    let history: Vec<&str> = s
        .header
        .iter()
        .filter(|c| c.key == "HISTORY")
        .map(|c| c.comment.as_str())
        .collect();
    assert_eq!(history, ["first history line", "second history line"]);
    let keys: Vec<&str> = s.header.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys[..3], ["TELESCOP", "OBJID", "APOGEEID"], "cards keep their order");

    let b = spectrum::read(&spec_path).unwrap();
    assert_eq!(b.kind, SpectrumKind::Boss);
    let rows: usize = one(&facts, "spec_rows")[0].parse().unwrap();
    assert_eq!(b.flux.dim(), (1, rows));
    assert_eq!(
        b.grid,
        WavelengthGrid::BOSS,
        "3.5523 in steps of 1e-4 from a float32 loglam"
    );
    assert!(close(b.grid.crval1, f64_of(&one(&facts, "spec_loglam0")[0]), 1e-7));
    let flux_sum: f64 = b.flux.iter().map(|&v| v as f64).sum();
    assert!(close(flux_sum, f64_of(&one(&facts, "spec_flux_sum")[0]), 1e-9));
    let ivar_sum: f64 = b.ivar.iter().map(|&v| v as f64).sum();
    assert!(close(ivar_sum, f64_of(&one(&facts, "spec_ivar_sum")[0]), 1e-9));
    let PixelMask::AndOr { and_mask, or_mask } = &b.mask else {
        panic!("spec has AND/OR masks")
    };
    assert_eq!(
        or_mask.iter().map(|&m| m as i64).sum::<i64>().to_string(),
        one(&facts, "spec_or_sum")[0]
    );
    assert_eq!(
        and_mask.iter().map(|&m| m as i64).sum::<i64>().to_string(),
        one(&facts, "spec_and_sum")[0]
    );
    let catid = b.header.iter().find(|c| c.key == "CATID").map(|c| c.value.clone());
    assert_eq!(
        catid,
        Some(CardValue::Int(one(&facts, "spec_catid")[0].parse().unwrap()))
    );
}

#[test]
fn our_synthetic_files_pass_fitsverify_and_astropy() {
    let dir = tempfile::tempdir().unwrap();
    let apstar_path = dir.path().join("apStar-synthetic.fits");
    let spec_path = dir.path().join("spec-synthetic.fits");
    let a = synthetic::apogee(
        21,
        Labels {
            teff: 4500.0,
            logg: 2.0,
            fe_h: -1.0,
        },
        60.0,
        4,
    )
    .unwrap();
    let b = synthetic::boss(
        22,
        Labels {
            teff: 6200.0,
            logg: 4.2,
            fe_h: 0.2,
        },
        30.0,
    )
    .unwrap();
    synthetic::write_apstar(&apstar_path, &a).unwrap();
    synthetic::write_boss_spec(&spec_path, &b).unwrap();
    fitsverify(&apstar_path);
    fitsverify(&spec_path);
    let facts = run_script(&["read", apstar_path.to_str().unwrap(), spec_path.to_str().unwrap()]);

    let image = one(&facts, "image");
    assert_eq!(
        image[1..3],
        ["6".to_string(), "8575".to_string()],
        "two stacks and four visits"
    );
    let flux_sum: f64 = a.flux.iter().map(|&v| v as f64).sum();
    assert!(close(f64_of(&image[3]), flux_sum, 1e-9));
    let PixelMask::Single(mask) = &a.mask else {
        unreachable!()
    };
    assert_eq!(image[4], mask.iter().map(|&m| m as i64).sum::<i64>().to_string());
    assert_eq!(f64_of(&image[5]), 4.179);

    let table = one(&facts, "table");
    assert_eq!(table[1], "4648");
    let flux_sum: f64 = b.flux.iter().map(|&v| v as f64).sum();
    assert!(close(f64_of(&table[2]), flux_sum, 1e-9));
    let PixelMask::AndOr { or_mask, .. } = &b.mask else {
        unreachable!()
    };
    assert_eq!(table[3], or_mask.iter().map(|&m| m as i64).sum::<i64>().to_string());
    assert!(close(f64_of(&table[4]), 3.5523, 1e-7));

    for line in &facts["synthetic"] {
        assert_eq!(line[1], "True", "{line:?}: SYNTHETC = T");
        assert!(
            line[2].parse::<usize>().unwrap() >= 100,
            "{line:?}: about a hundred cards or more"
        );
    }
}

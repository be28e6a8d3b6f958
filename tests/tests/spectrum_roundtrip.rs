//! Synthetic spectra written in the apStar and spec layouts read back identically.

use astra_targets::fits::{Card, CardValue};
use astra_targets::spectrum::synthetic::{self, Labels};
use astra_targets::spectrum::{self, PixelMask, SpectrumKind, WavelengthGrid, apstar, boss};

/// Compares headers card by card, naming the first difference.
fn same_header(a: &[Card], b: &[Card]) {
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x, y);
    }
    assert_eq!(a.len(), b.len());
}

fn card<'a>(s: &'a spectrum::Spectrum, key: &str) -> Option<&'a CardValue> {
    s.header.iter().find(|c| c.key == key).map(|c| &c.value)
}

#[test]
fn apogee_written_then_read_gives_the_same_spectrum() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("apStar-synthetic.fits");
    let labels = Labels {
        teff: 4800.0,
        logg: 2.5,
        fe_h: -0.3,
    };
    let original = synthetic::apogee(11, labels, 80.0, 3).unwrap();
    assert_eq!(original.flux.dim(), (5, 8575), "two stacks then three visits");
    assert!(original.header.len() >= 100, "{} cards", original.header.len());
    synthetic::write_apstar(&path, &original).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );

    for read in [apstar::read(&path).unwrap(), spectrum::read(&path).unwrap()] {
        assert_eq!(read.kind, SpectrumKind::Apogee);
        assert_eq!(read.grid, WavelengthGrid::APOGEE);
        same_header(&read.header, &original.header);
        assert_eq!(read.flux, original.flux);
        assert_eq!(read.mask, original.mask);
        // ivar goes through a float32 sigma and back: equal to a few units in the last place.
        for (a, b) in read.ivar.iter().zip(original.ivar.iter()) {
            assert!((a - b).abs() <= 4.0 * f32::EPSILON * b.abs(), "{a} vs {b}");
        }
    }
}

#[test]
fn boss_written_then_read_gives_the_same_spectrum() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec-synthetic.fits");
    let original = synthetic::boss(5, Labels::SUN, 25.0).unwrap();
    assert_eq!(original.flux.dim(), (1, 4648));
    synthetic::write_boss_spec(&path, &original).unwrap();
    for read in [boss::read(&path).unwrap(), spectrum::read(&path).unwrap()] {
        assert_eq!(read.kind, SpectrumKind::Boss);
        assert_eq!(read.grid, WavelengthGrid::BOSS);
        same_header(&read.header, &original.header);
        assert_eq!(read.flux, original.flux);
        assert_eq!(read.ivar, original.ivar);
        assert_eq!(read.mask, original.mask);
        let PixelMask::AndOr { and_mask, or_mask } = &read.mask else {
            panic!("BOSS has AND/OR masks")
        };
        assert!(or_mask.iter().filter(|&&m| m != 0).count() > 0);
        assert!(
            and_mask.iter().zip(or_mask).all(|(a, o)| a & !o == 0),
            "AND bits are within OR bits"
        );
        let bitmask = read.get_bitmask();
        assert_eq!(bitmask, astra_targets::spectrum::Bitmask::I32(or_mask.view()));
        let astra_targets::spectrum::Bitmask::I32(view) = bitmask else {
            panic!("BOSS bitmasks are 32-bit")
        };
        assert_eq!(view.as_ptr(), or_mask.as_ptr(), "a view of the OR mask, not a copy");
    }
}

#[test]
fn long_strings_and_quotes_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec-long.fits");
    let mut s = synthetic::boss(8, Labels::SUN, 25.0).unwrap();
    let long = format!("apVisit-{}-it''s-{}.fits", "a".repeat(60), "b".repeat(40)).replace("''", "'");
    let extra = [
        Card {
            key: "LONGSTRN".into(),
            value: CardValue::Str("OGIP 1.0".into()),
            comment: "Long strings".into(),
        },
        Card {
            key: "SFILE1".into(),
            value: CardValue::Str(long.clone()),
            comment: String::new(),
        },
        Card {
            key: "QUOTED".into(),
            value: CardValue::Str("it's".into()),
            comment: "a quote".into(),
        },
        Card {
            key: "BIGINT".into(),
            value: CardValue::Int(i64::MAX),
            comment: String::new(),
        },
        Card {
            key: "TINY".into(),
            value: CardValue::Float(-1.25e-300),
            comment: String::new(),
        },
        Card {
            key: "COMMENT".into(),
            value: CardValue::None,
            comment: "  indented comment".into(),
        },
    ];
    s.header.extend(extra.iter().cloned());
    synthetic::write_boss_spec(&path, &s).unwrap();
    let back = boss::read(&path).unwrap();
    same_header(&back.header, &s.header);
    assert!(back.header.iter().any(|c| c.value == CardValue::Str(long.clone())));
}

#[test]
fn synthetic_files_are_labelled_and_deterministic() {
    let a = synthetic::apogee(3, Labels::SUN, 50.0, 1).unwrap();
    let b = synthetic::apogee(3, Labels::SUN, 50.0, 1).unwrap();
    let c = synthetic::apogee(4, Labels::SUN, 50.0, 1).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.flux, c.flux);
    assert_eq!(a.flux.dim(), (1, 8575));
    assert!(a.header.len() >= 100, "{} cards with one visit", a.header.len());
    let b = synthetic::boss(3, Labels::SUN, 50.0).unwrap();
    assert!(b.header.len() >= 100, "{} cards in a BOSS header", b.header.len());
    assert_eq!(card(&a, "SYNTHETC"), Some(&CardValue::Bool(true)));
    assert_eq!(card(&a, "ORIGIN"), Some(&CardValue::Str(synthetic::ORIGIN.into())));
    assert_eq!(card(&a, "NVISITS"), Some(&CardValue::Int(1)));
    assert_eq!(card(&a, "TELESCOP"), Some(&CardValue::Str("apo25m".into())));
    assert!(
        a.header
            .iter()
            .any(|c| c.key == "COMMENT" && c.comment.contains("SYNTHETIC"))
    );
    assert!(a.header.iter().filter(|c| c.key == "HISTORY").count() >= 3);
    let Some(CardValue::Str(id)) = card(&a, "APOGEEID") else {
        panic!("no APOGEEID")
    };
    assert_eq!(id.len(), 18, "{id}");
    assert!(
        id.starts_with("2M") && (id.as_bytes()[10] == b'+' || id.as_bytes()[10] == b'-'),
        "{id}"
    );
    let Some(CardValue::Int(hp)) = card(&a, "HEALPIX") else {
        panic!("no HEALPIX")
    };
    assert!((0..12 * 128 * 128).contains(hp));
}

#[test]
fn labels_change_the_lines_as_the_model_says() {
    // Mean normalized flux (noise-free model) : metal-rich and cool stars have deeper lines.
    let grid = WavelengthGrid::APOGEE;
    let depth = |l: Labels| {
        let m = synthetic::normalized_flux(SpectrumKind::Apogee, &grid, &l);
        1.0 - m.iter().sum::<f64>() / m.len() as f64
    };
    let sun = depth(Labels::SUN);
    assert!(
        depth(Labels {
            fe_h: 0.5,
            ..Labels::SUN
        }) > sun
    );
    assert!(
        depth(Labels {
            fe_h: -1.5,
            ..Labels::SUN
        }) < sun
    );
    assert!(
        depth(Labels {
            teff: 4000.0,
            ..Labels::SUN
        }) > sun
    );
    let m = synthetic::normalized_flux(SpectrumKind::Apogee, &grid, &Labels::SUN);
    assert!(m.iter().all(|&v| v > 0.0 && v <= 1.0));
    // Noise at the stated S/N: flux / model scatter around the continuum as 1/snr.
    let s = synthetic::apogee(9, Labels::SUN, 40.0, 1).unwrap();
    let resid: Vec<f64> = s
        .flux
        .iter()
        .zip(s.ivar.iter())
        .zip(&m)
        .map(|((&f, &v), &model)| {
            let sigma = 1.0 / (v as f64).sqrt();
            let cont = sigma * 40.0;
            (f as f64 - cont * model) / sigma
        })
        .collect();
    let mean = resid.iter().sum::<f64>() / resid.len() as f64;
    let var = resid.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / resid.len() as f64;
    assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.06, "mean {mean} var {var}");
}

#[test]
fn bad_settings_are_refused_with_the_value() {
    let e = synthetic::apogee(
        1,
        Labels {
            teff: f64::NAN,
            ..Labels::SUN
        },
        50.0,
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("teff") && e.contains("NaN"), "{e}");
    let e = synthetic::apogee(1, Labels::SUN, 50.0, 0).unwrap_err().to_string();
    assert!(e.contains("n_visits = 0"), "{e}");
    let e = synthetic::boss(1, Labels::SUN, -1.0).unwrap_err().to_string();
    assert!(e.contains("snr = -1"), "{e}");
    // A BOSS spectrum is not an apStar file, and nothing is written.
    let dir = tempfile::tempdir().unwrap();
    let s = synthetic::boss(1, Labels::SUN, 10.0).unwrap();
    let path = dir.path().join("x.fits");
    let e = synthetic::write_apstar(&path, &s).unwrap_err().to_string();
    assert!(e.contains("x.fits") && e.contains("AND/OR"), "{e}");
    let mut two_rows = synthetic::apogee(1, Labels::SUN, 10.0, 2).unwrap();
    two_rows.kind = SpectrumKind::Boss;
    assert!(synthetic::write_boss_spec(&path, &two_rows).is_err());
    // Cards that are not valid FITS are refused before anything is written.
    let mut bad = synthetic::boss(1, Labels::SUN, 10.0).unwrap();
    bad.header.push(Card {
        key: "OBSERVER".into(),
        value: CardValue::Str("Ångström".into()),
        comment: String::new(),
    });
    let e = synthetic::write_boss_spec(&path, &bad).unwrap_err().to_string();
    assert!(
        e.contains("OBSERVER") && e.contains("printable ASCII") && e.contains("x.fits"),
        "{e}"
    );
    bad.header.pop();
    bad.header.push(Card {
        key: "lower".into(),
        value: CardValue::Int(1),
        comment: String::new(),
    });
    let e = synthetic::write_boss_spec(&path, &bad).unwrap_err().to_string();
    assert!(e.contains("\"lower\"") && e.contains("upper-case"), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

//! astraSource files judged by outside tools: `fitsverify -q` passes with no warnings and
//! astropy (warnings as errors) reads back the arrays, units, descriptions, parameters,
//! null values and checksums that were written. Both spectrum kinds, N = 1 and N = 3.

mod source_support;

use astra_targets::source::{AstraSource, FloatType, SourceImages, WriteOptions, layout::FLUX_UNIT};
use astra_targets::spectrum::{Bitmask, SpectrumKind};
use astra_targets::{AstraTask, OutputRoot};
use astra_targets_tests::fitsverify;
use source_support::*;

fn f32_bits(v: f32) -> String {
    v.to_bits().to_string()
}

fn f64_bits(v: f64) -> String {
    v.to_bits().to_string()
}

/// Writes and checks three files of one layout on this thread, each with other values:
/// the first has a header card in the long-string convention (such files always go
/// through cfitsio); the second, without it, goes through cfitsio too and teaches the
/// thread its layout; the third is assembled from that layout.
fn check_file(kind: SpectrumKind, n: usize, options: &WriteOptions) {
    for round in 0..3 {
        let learnt = astra_targets::source::layouts_learnt();
        check_one(kind, n, options, round);
        let now = astra_targets::source::layouts_learnt();
        match round {
            0 => assert_eq!(now, learnt, "a file with long strings teaches no layout"),
            1 => assert_eq!(now, learnt + 1, "the layout is learnt from the second file"),
            _ => assert_eq!(now, learnt, "the third file is assembled from a known layout"),
        }
    }
}

fn check_one(kind: SpectrumKind, n: usize, options: &WriteOptions, round: u64) {
    let (_dir, root) = output_root();
    let task = task();
    let source = AstraSource::new(&task, &OutputRoot::new(&root)).unwrap();
    assert!(!source.exists());
    let mut spectrum = spectrum(kind, n, 7 + n as u64 + 100 * round);
    if round > 0 {
        spectrum.header.retain(|c| c.key != "OBJNOTE");
    }
    let (_, p) = spectrum.shape();
    let mut noise = Noise::new(99 + round);
    let norm_flux = noise.array((n, p), 0.5, 1.1);
    let norm_ivar = noise.array((n, p), 0.0, 100.0);
    let continuum = noise.array((n, p), 50.0, 150.0);
    let model_flux = noise.array((n, p), 0.5, 1.0);
    let rows = results(n);
    // N = 1 passes 1-D arrays and no model ivar (NaN) to the seed-shaped write; N = 3
    // passes every array through the builder.
    if n == 1 {
        let one = |a: &ndarray::Array2<f32>| a.row(0).to_owned();
        let (f, i, c, m) = (one(&norm_flux), one(&norm_ivar), one(&continuum), one(&model_flux));
        source
            .write(
                &spectrum,
                &f,
                &i,
                Some((&c).into()),
                Some((&m).into()),
                None,
                &rows,
                options,
            )
            .unwrap();
    } else {
        let model_ivar = noise.array((n, p), 1.0, 2.0);
        let images = SourceImages::new(&norm_flux, &norm_ivar)
            .continuum(&continuum)
            .model_flux(&model_flux)
            .model_ivar(&model_ivar);
        source.write_images(&spectrum, images, &rows, options).unwrap();
    }
    let path = source.path().to_path_buf();
    assert!(
        path.starts_with(&root)
            && path
                .to_string_lossy()
                .contains("AstraSource-2M00001023-0000126-sourcefit-")
    );
    assert!(source.exists());
    source.verify().unwrap();
    let siblings = files_below(path.parent().unwrap());
    assert_eq!(siblings, vec![path.clone()], "no temporary file is left");

    let (ok, text) = fitsverify(&path);
    assert!(ok, "fitsverify: {text}");
    assert!(text.contains("verification OK"), "{text}");

    let facts = astropy_facts(&path);
    let names: Vec<&str> = facts.iter().filter(|f| f[0] == "hdu").map(|f| f[2].as_str()).collect();
    assert_eq!(
        names,
        [
            "PRIMARY",
            "NORMALIZED_FLUX",
            "NORMALIZED_IVAR",
            "BITMASK",
            "CONTINUUM",
            "MODEL_FLUX",
            "MODEL_IVAR",
            "TASK_PARAMETERS",
            "RESULTS"
        ]
    );
    for f in facts.iter().filter(|f| f[0] == "hdu") {
        assert_eq!(
            (f[3].as_str(), f[4].as_str()),
            ("1", "1"),
            "astropy checksum and datasum of HDU {}",
            f[2]
        );
    }

    // Primary: input cards without HISTORY, provenance, one HISTORY card per HDU.
    let primary: Vec<&Fact> = facts.iter().filter(|f| f[0] == "key" && f[1] == "0").collect();
    let value = |key: &str| {
        primary
            .iter()
            .find(|f| f[2] == key)
            .map(|f| f[4].clone())
            .unwrap_or_else(|| panic!("no {key}"))
    };
    assert_eq!(
        value("TELESCOP"),
        if kind == SpectrumKind::Apogee {
            "apo25m"
        } else {
            "apo25m_boss"
        }
    );
    assert_eq!(value("RA").parse::<f64>().unwrap(), 123.4567891);
    assert_eq!(value("CAT_ID"), "27021598150204651");
    assert_eq!(value("SYNTHET"), "T");
    if round == 0 {
        assert!(value("OBJNOTE").ends_with("so it needs CONTINUE cards"));
    } else {
        assert!(primary.iter().all(|f| f[2] != "OBJNOTE"));
    }
    assert_eq!(value("ASTRA"), astra_targets::ASTRA_VERSION);
    assert_eq!(value("TASK_ID"), task.task_id());
    assert_eq!(value("PARAMHSH"), task.param_hash());
    assert_eq!(value("PARAMHSH").len(), 32);
    assert_eq!(value("PLUGIN"), options.plugin.clone().unwrap_or("SourceFit".into()));
    assert_eq!(
        value("PLUGVER"),
        options.plugin_version.clone().unwrap_or("1.2.3".into())
    );
    let created = value("CREATED");
    assert_eq!(created.len(), 19, "{created}");
    assert_ne!(created, "2020-01-01T00:00:00", "the input's CREATED is replaced");
    assert_eq!(primary.iter().filter(|f| f[2] == "CREATED").count(), 1);
    let history: Vec<&String> = primary.iter().filter(|f| f[2] == "HISTORY").map(|f| &f[4]).collect();
    assert_eq!(history.len(), 8, "{history:?}");
    assert!(history[0].starts_with("HDU 1 NORMALIZED_FLUX: "), "{history:?}");
    assert!(
        history[2].starts_with("HDU 3 BITMASK: ")
            && history[2].ends_with(&format!(
                "({n}, {p}) {}",
                if kind == SpectrumKind::Apogee { "int16" } else { "int32" }
            )),
        "{history:?}"
    );
    assert!(history.iter().all(|h| h.len() <= 72), "{history:?}");
    assert!(primary.iter().any(|f| f[2] == "COMMENT" && f[4].contains("SYNTHETIC")));
    let input_cards = spectrum.header.iter().filter(|c| c.key.starts_with("INKEY")).count();
    assert_eq!(
        primary.iter().filter(|f| f[2].starts_with("INKEY")).count(),
        input_cards
    );

    // Images: names, units, WCS, values.
    let float = if options.dtype == FloatType::F64 {
        "float64"
    } else {
        "float32"
    };
    let md5_f32 = |a: &ndarray::Array2<f32>| {
        if float == "float64" {
            md5_le(a.iter().map(|&x| f64::from(x)), |x| x.to_le_bytes().to_vec())
        } else {
            md5_le(a.iter().copied(), |x| x.to_le_bytes().to_vec())
        }
    };
    let nan = ndarray::Array2::from_elem((n, p), f32::NAN);
    let model_ivar_expected = if n == 1 {
        nan.clone()
    } else {
        Noise::new(99 + round).skip_arrays((n, p), 4).array((n, p), 1.0, 2.0)
    };
    let expected = [
        (1, "NORMALIZED_FLUX", md5_f32(&norm_flux), float, ""),
        (2, "NORMALIZED_IVAR", md5_f32(&norm_ivar), float, ""),
        (4, "CONTINUUM", md5_f32(&continuum), float, FLUX_UNIT),
        (5, "MODEL_FLUX", md5_f32(&model_flux), float, ""),
        (6, "MODEL_IVAR", md5_f32(&model_ivar_expected), float, ""),
    ];
    let mask_md5 = match spectrum.get_bitmask() {
        Bitmask::I16(a) => (md5_le(a.iter().copied(), |x| x.to_le_bytes().to_vec()), "int16"),
        Bitmask::I32(a) => (md5_le(a.iter().copied(), |x| x.to_le_bytes().to_vec()), "int32"),
    };
    for (i, name, md5, dtype, bunit) in expected.into_iter().chain([(3, "BITMASK", mask_md5.0, mask_md5.1, "")]) {
        let image = facts
            .iter()
            .find(|f| f[0] == "image" && f[1] == i.to_string())
            .unwrap_or_else(|| panic!("no image {i}"));
        assert_eq!(
            (image[2].as_str(), image[3].as_str(), image[4].as_str()),
            (dtype, format!("[{n}, {p}]").as_str(), md5.as_str()),
            "{name}"
        );
        let keys = facts_of(&facts, "key", i);
        assert_eq!(keys["EXTNAME"][4], name);
        assert!(!keys["EXTNAME"][5].is_empty(), "EXTNAME comment of {name}");
        assert_eq!(keys["BUNIT"][4], bunit, "{name}");
        assert_eq!(keys["BUNIT"][3], "str");
        assert_eq!(keys["CRVAL1"][4].parse::<f64>().unwrap(), spectrum.grid.crval1);
        assert_eq!(keys["CDELT1"][4].parse::<f64>().unwrap(), spectrum.grid.cdelt1);
        assert_eq!(keys["CRPIX1"][4].parse::<f64>().unwrap(), spectrum.grid.crpix1);
        assert_eq!(keys["CTYPE1"][4], spectrum.grid.ctype1);
        assert_eq!(keys["DC-FLAG"][4], "1");
        assert!(keys.contains_key("CHECKSUM") && keys.contains_key("DATASUM"));
    }
    let units = facts_of(&facts, "unit", 4);
    assert_eq!(units["BUNIT"][3], FLUX_UNIT, "parsed by astropy as a FITS unit");

    // TASK_PARAMETERS: every parameter, values as Python's str().
    let params = facts_of(&facts, "col", 7);
    assert_eq!(
        params["NAME"][3],
        "'telescope' 'healpix' 'obj' 'tolerance' 'smoothing' 'mask_tellurics' 'label' 'n_threads' 'astra_version_major' 'astra_version_minor'"
    );
    let version = format!(
        "'{}' '{}'",
        astra_targets::ASTRA_VERSION_MAJOR,
        astra_targets::ASTRA_VERSION_MINOR
    );
    assert_eq!(
        params["VALUE"][3],
        format!("'apo25m' '12345' '2M00001023-0000126' '1e-06' '0.1' 'True' 'synthetic run' '4' {version}")
    );
    assert!(params["DESCRIPTION"][3].starts_with("'Telescope name' 'HEALPix pixel' 'Object identifier'"));

    // RESULTS: columns, units, descriptions, nulls, vectors, matrices.
    let cols = facts_of(&facts, "col", 8);
    let keys = facts_of(&facts, "key", 8);
    let ttypes: Vec<String> = (1..=cols.len())
        .map(|k| keys[&format!("TTYPE{k}")][4].clone())
        .collect();
    assert_eq!(
        ttypes,
        [
            "TEFF",
            "LOGG",
            "V_RAD",
            "N_ITER",
            "FLAGS",
            "SOURCE_PK",
            "CONVERGED",
            "CLIPPED",
            "LABELS",
            "COVARIANCE",
            "CHIP_FLAGS",
            "GRID",
            "T_ELAPSED",
            "QUALITY",
            "ASTRA_VERSION_MAJOR",
            "ASTRA_VERSION_MINOR",
            "TELESCOPE",
            "HEALPIX",
            "OBJ",
            "TOLERANCE",
            "SMOOTHING",
            "MASK_TELLURICS",
            "LABEL"
        ]
    );
    let column = |name: &str| ttypes.iter().position(|t| t == name).unwrap() + 1;
    let key = |k: String| keys.get(&k).map(|f| f[4].clone());
    for meta in SourceFit::META.results {
        let k = column(&meta.ttype());
        let comment = &keys[&format!("TTYPE{k}")][5];
        assert!(
            meta.description.starts_with(comment.as_str()) && comment.len() >= meta.description.len().min(50),
            "TTYPE comment of {}: {comment:?}",
            meta.name
        );
        assert_eq!(
            key(format!("TCOMM{k}")).as_deref(),
            Some(meta.description),
            "TCOMM of {}",
            meta.name
        );
        assert_eq!(
            key(format!("TUNIT{k}")),
            (!meta.unit.is_empty()).then(|| meta.unit.to_string()),
            "TUNIT of {}",
            meta.name
        );
        assert_eq!(key(format!("TFORM{k}")), Some(meta.tform()), "TFORM of {}", meta.name);
    }
    assert_eq!(key(format!("TDIM{}", column("COVARIANCE"))).as_deref(), Some("(3,2)"));
    assert_eq!(
        key(format!("TNULL{}", column("N_ITER"))).as_deref(),
        Some("-2147483648")
    );
    assert_eq!(
        key(format!("TNULL{}", column("SOURCE_PK"))).as_deref(),
        Some("-9223372036854775808")
    );
    assert_eq!(key(format!("TUNIT{}", column("V_RAD"))).as_deref(), Some("km/s"));
    assert_eq!(facts_of(&facts, "unit", 8)[&format!("TUNIT{}", column("TEFF"))][3], "K");
    assert_eq!(keys[&format!("TTYPE{}", column("TOLERANCE"))][5], "Optimizer tolerance");
    assert_eq!(
        key(format!("TFORM{}", column("OBJ"))).as_deref(),
        Some("18A"),
        "text parameter columns are sized to the value"
    );

    // The named bits of FLAGS (column 5): a comment, then one card per bit, in bit order,
    // each as the documented model lists them.
    assert_eq!(column("FLAGS"), 5);
    for (bit, name, description) in [
        (0, "CLIPPED_PIXELS", "pixels were clipped"),
        (3, "NO_CONVERGENCE", "the optimizer did not converge"),
        (15, "SIGN", "the highest bit of an i16, set by negatives"),
    ] {
        let card = &keys[&format!("F5_{bit}")];
        assert_eq!((card[4].as_str(), card[5].as_str()), (name, description), "F5_{bit}");
    }
    assert_eq!(keys.keys().filter(|k| k.starts_with("F5_")).count(), 3);
    assert_eq!(
        keys["COMMENT"][4],
        "Bits of column 5 (FLAGS): keyword F5_b names bit b (value 2**b)"
    );
    let doc = astra_targets::docs::model::task_doc(SourceFit::META, None).unwrap();
    let results_doc = &doc.product.as_ref().unwrap().hdus[8];
    let documented: Vec<&str> = results_doc.header.iter().map(|c| c.key.as_str()).collect();
    let mut written: Vec<String> = facts
        .iter()
        .filter(|f| f[0] == "key" && f[1] == "8" && (f[2].starts_with("F5_") || f[2] == "COMMENT"))
        .map(|f| f[2].clone())
        .collect();
    written.sort();
    let mut flag_cards: Vec<&str> = documented
        .iter()
        .copied()
        .filter(|k| k.starts_with("F5_") || *k == "COMMENT")
        .collect();
    flag_cards.sort();
    assert_eq!(
        written, flag_cards,
        "the documented RESULTS header lists the written bit cards"
    );

    let join = |v: Vec<String>| v.join(" ");
    let each = |f: &dyn Fn(&FitResults) -> Vec<String>| join(rows.iter().flat_map(f).collect());
    let expect = [
        ("TEFF", each(&|r| vec![f32_bits(r.teff)])),
        ("LOGG", each(&|r| vec![f64_bits(r.logg)])),
        ("V_RAD", each(&|r| vec![f32_bits(r.v_rad.unwrap_or(f32::NAN))])),
        ("N_ITER", each(&|r| vec![r.n_iter.unwrap_or(i32::MIN).to_string()])),
        ("FLAGS", each(&|r| vec![r.flags.to_string()])),
        (
            "SOURCE_PK",
            each(&|r| vec![r.source_pk.unwrap_or(i64::MIN).to_string()]),
        ),
        (
            "CONVERGED",
            each(&|r| {
                vec![
                    match r.converged {
                        Some(true) => "T",
                        Some(false) => "F",
                        None => "N",
                    }
                    .to_string(),
                ]
            }),
        ),
        (
            "CLIPPED",
            each(&|r| vec![if r.clipped { "T" } else { "F" }.to_string()]),
        ),
        ("LABELS", each(&|r| r.labels.iter().map(|x| f32_bits(*x)).collect())),
        (
            "COVARIANCE",
            each(&|r| r.covariance.iter().flatten().map(|x| f64_bits(*x)).collect()),
        ),
        (
            "CHIP_FLAGS",
            each(&|r| r.chip_flags.iter().map(|x| x.to_string()).collect()),
        ),
        ("GRID", each(&|r| vec![format!("'{}'", r.grid)])),
        ("T_ELAPSED", each(&|r| vec![f64_bits(r.t_elapsed)])),
        ("QUALITY", each(&|r| vec![r.quality.to_string()])),
        (
            "ASTRA_VERSION_MAJOR",
            join(vec![astra_targets::ASTRA_VERSION_MAJOR.to_string(); n]),
        ),
        ("TELESCOPE", join(vec!["'apo25m'".to_string(); n])),
        ("HEALPIX", join(vec!["12345".to_string(); n])),
        ("TOLERANCE", join(vec![f64_bits(1e-6); n])),
        ("SMOOTHING", join(vec![f32_bits(0.1); n])),
        ("MASK_TELLURICS", join(vec!["T".to_string(); n])),
        ("LABEL", join(vec!["'synthetic run'".to_string(); n])),
    ];
    for (name, want) in expect {
        assert_eq!(cols[name][3], want, "RESULTS column {name}");
    }
}

#[test]
fn apogee_single_spectrum() {
    check_file(SpectrumKind::Apogee, 1, &WriteOptions::default());
}

#[test]
fn apogee_three_spectra() {
    check_file(
        SpectrumKind::Apogee,
        3,
        &WriteOptions::default().plugin("thepayne", "0.9.1"),
    );
}

#[test]
fn boss_single_spectrum() {
    check_file(SpectrumKind::Boss, 1, &WriteOptions::default().durable(true));
}

#[test]
fn boss_three_spectra() {
    check_file(SpectrumKind::Boss, 3, &WriteOptions::default().output_verify(true));
}

#[test]
fn float64_images() {
    check_file(SpectrumKind::Apogee, 3, &WriteOptions::default().dtype(FloatType::F64));
}

/// The docs list the named bits of a bitmask column under it (Markdown, HTML, YAML), and
/// the datamodel diff reports a bit that was removed or renamed.
#[test]
fn docs_list_the_named_bits() {
    use astra_targets::docs::{self, ChangeKind, Format};
    let doc = docs::model::task_doc(SourceFit::META, None).unwrap();
    let files = docs::render(std::slice::from_ref(&doc), &Format::ALL);
    let file = |suffix: &str| {
        files
            .iter()
            .find(|(name, _)| name.ends_with(suffix) && !name.starts_with("index.md"))
            .map(|(_, text)| text.clone())
            .unwrap_or_else(|| panic!("no {suffix} in {:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>()))
    };
    let md = file("SourceFit.md");
    for line in [
        "Bits of `flags` (also in the table `astra_flag`; a value is the sum of 2**bit of its set bits):",
        "Bits of `FLAGS`, each named by the card `F5_b` (b the bit):",
        "| 0 | 1 | `CLIPPED_PIXELS` | pixels were clipped |",
        "| 3 | 8 | `NO_CONVERGENCE` | the optimizer did not converge |",
        "| 15 | 32768 | `SIGN` | the highest bit of an i16, set by negatives |",
    ] {
        assert!(md.contains(line), "{line:?} not in\n{md}");
    }
    assert_eq!(
        md.matches("| 3 | 8 | `NO_CONVERGENCE` |").count(),
        2,
        "database and RESULTS"
    );
    let html = file("index.html");
    assert!(html.contains("<td><code>NO_CONVERGENCE</code></td>"), "{html}");
    let yaml = file("SourceFit.yaml");
    assert!(
        yaml.contains(
            "            flags:\n              - bit: 0\n                name: \"CLIPPED_PIXELS\"\n                description: \"pixels were clipped\"\n"
        ),
        "{yaml}"
    );
    assert!(
        yaml.contains("          - key: \"F5_3\"\n            value: \"NO_CONVERGENCE\"\n"),
        "{yaml}"
    );
    // Against itself: no change. A release whose bit 3 had another name: changed.
    let parsed = docs::yaml::parse(&yaml).unwrap();
    let today = docs::diff::model(&parsed).unwrap();
    assert!(docs::diff::diff(&today, &today).is_empty());
    let older_text = yaml.replace("\"NO_CONVERGENCE\"", "\"NOT_CONVERGED\"");
    let older_yaml = docs::yaml::parse(&older_text).unwrap();
    let older = docs::diff::model(&older_yaml).unwrap();
    let changes = docs::diff::diff(&older, &today);
    let lines: Vec<(ChangeKind, &str)> = changes.iter().map(|c| (c.kind, c.line.as_str())).collect();
    assert!(
        lines.contains(&(
            ChangeKind::Changed,
            "SourceFit HDU RESULTS column FLAGS bit 3: changed from \"NOT_CONVERGED\" (\"the optimizer did not converge\") to \"NO_CONVERGENCE\" (\"the optimizer did not converge\")"
        )),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&(
            ChangeKind::Changed,
            "SourceFit HDU RESULTS card F5_3: value changed from \"NOT_CONVERGED\" to \"NO_CONVERGENCE\""
        )),
        "{lines:#?}"
    );
}

//! `#[derive(AstraTask)]` and `#[derive(AstraResults)]` end to end: the metadata they
//! generate, parameter values, ids, registration, and paths parsed back into tasks.

use std::collections::BTreeMap;

use astra_targets::path::OutputRoot;
use astra_targets::{
    AstraParamEnum, AstraResults, AstraTask, Error, ParamEnum, ParamKind, ParamValue, Params, ScalarType, Value,
    registry,
};

#[derive(Debug, Clone, Copy, PartialEq, AstraParamEnum)]
#[astra(rename_all = "lowercase")]
enum Telescope {
    Apo25m,
    Lco25m,
}

/// One spectrum's results.
#[derive(Debug, Clone, PartialEq, AstraResults)]
struct Row {
    /// Effective temperature
    #[astra(unit = "K")]
    teff: f32,
    /// Radial velocity, when measured
    #[astra(unit = "km/s")]
    v_rad: Option<f64>,
    /// Bit flags
    flags: i16,
    /// Fitted labels
    labels: [f32; 3],
    /// Label covariance
    covariance: [[f64; 2]; 3],
    /// Whether the fit converged
    converged: bool,
    /// Model grid name
    #[astra(width = 12, name = "grid_name")]
    grid: String,
}

/// Fit labels to every visit of a star.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "VisitFit",
    namespace = "visitfit",
    version = "2.0.1",
    results = Row,
    path = "{astra_version}/{namespace}/{telescope}/{sdss_id|sdss_id_groups}/{sdss_id}/{healpix|grp:0>3}/{healpix}/Visit-{obj}-{snr_min}-{mask}-{task_short_id}.fits"
)]
struct VisitFit {
    /// Telescope
    #[astra(enum)]
    telescope: Telescope,
    /// SDSS-V catalogue identifier
    sdss_id: i64,
    /// HEALPix pixel
    healpix: u32,
    /// Object name
    obj: String,
    /// Lowest S/N analysed
    snr_min: f64,
    /// Mask telluric pixels
    mask: bool,
    /// Threads
    #[astra(insignificant, default)]
    threads: u16,
}

fn task() -> VisitFit {
    VisitFit {
        telescope: Telescope::Lco25m,
        sdss_id: 54_321_234,
        healpix: 49_152,
        obj: "2M00001023-0000126".into(),
        snr_min: 1e-5,
        mask: true,
        threads: 4,
    }
}

#[test]
fn metadata_comes_from_the_declaration() {
    let meta = VisitFit::META;
    assert_eq!(
        (meta.family, meta.namespace, meta.version),
        ("VisitFit", "visitfit", "2.0.1")
    );
    assert_eq!(meta.description, "Fit labels to every visit of a star.");
    assert_eq!(meta.table, "visit_fit");
    assert!(meta.rust_name.ends_with("::VisitFit"), "{}", meta.rust_name);
    let kinds: Vec<(&str, ParamKind, bool)> = meta
        .parameters
        .iter()
        .map(|p| (p.name, p.kind, p.significant))
        .collect();
    assert_eq!(
        kinds,
        [
            ("telescope", ParamKind::Enum, true),
            ("sdss_id", ParamKind::Int, true),
            ("healpix", ParamKind::UInt, true),
            ("obj", ParamKind::Str, true),
            ("snr_min", ParamKind::F64, true),
            ("mask", ParamKind::Bool, true),
            ("threads", ParamKind::UInt, false),
        ]
    );
    assert_eq!(meta.parameters[1].description, "SDSS-V catalogue identifier");
    let cols = Row::COLUMNS;
    assert_eq!(cols.len(), 7);
    assert!(std::ptr::eq(meta.results, cols));
    assert_eq!((cols[0].name, cols[0].ty, cols[0].unit), ("teff", ScalarType::F32, "K"));
    assert!(cols[1].nullable && cols[1].ty == ScalarType::F64);
    assert_eq!((cols[3].shape, cols[3].tform().as_str()), (&[3usize][..], "3E"));
    assert_eq!(
        (cols[4].shape, cols[4].tdim().as_deref()),
        (&[3usize, 2][..], Some("(2,3)"))
    );
    assert_eq!(
        (cols[6].name, cols[6].width, cols[6].tform().as_str()),
        ("grid_name", 12, "12A")
    );
    assert_eq!(cols[6].description, "Model grid name");
}

#[test]
fn result_rows_round_trip_through_values() {
    let row = Row {
        teff: 4750.5,
        v_rad: None,
        flags: -3,
        labels: [1.0, 2.5, -0.25],
        covariance: [[1.0, 0.5], [0.25, 2.0], [3.0, 4.0]],
        converged: true,
        grid: "kurucz".into(),
    };
    let values = row.to_values();
    assert_eq!(values[1], Value::Null);
    assert_eq!(values[4], Value::Floats(vec![1.0, 0.5, 0.25, 2.0, 3.0, 4.0]));
    assert_eq!(Row::from_values(values).unwrap(), row);
    let mut bad = row.to_values();
    bad[2] = Value::Int(1 << 20);
    match Row::from_values(bad) {
        Err(Error::Column { column, .. }) => assert_eq!(column, "flags"),
        other => panic!("expected a column error, got {other:?}"),
    }
}

#[test]
fn parameters_and_ids() {
    let t = task();
    let params = t.parameters();
    // What the derive builds passes the same check as values given by hand.
    assert_eq!(Params::new(VisitFit::META, params.values().to_vec()).unwrap(), params);
    let values = params.values();
    assert_eq!(values[0], ParamValue::Enum("lco25m".into()));
    assert_eq!(values[4].python_str(), "1e-05");
    let id = t.task_id();
    assert!(id.starts_with("VisitFit_") && id.len() == "VisitFit_".len() + 8, "{id}");
    assert_eq!(t.task_short_id(), format!("visitfit-{}", &id[9..]));
    assert_eq!(t.param_hash()[..8], id[9..]);
    // Insignificant parameters do not change the id; significant ones do.
    assert_eq!(VisitFit { threads: 99, ..task() }.task_id(), id);
    assert_ne!(VisitFit { mask: false, ..task() }.task_id(), id);
    assert_ne!(
        VisitFit {
            telescope: Telescope::Apo25m,
            ..task()
        }
        .task_id(),
        id
    );
    // Rebuilt from named values, with the insignificant default filled in.
    let mut named: BTreeMap<String, ParamValue> = params.to_named();
    named.remove("threads");
    assert_eq!(
        VisitFit::from_parameters(&named).unwrap(),
        VisitFit { threads: 0, ..task() }
    );
    named.remove("obj");
    let err = VisitFit::from_parameters(&named).unwrap_err().to_string();
    assert!(err.contains("`obj`") && err.contains("missing"), "{err}");
    named.insert("obj".into(), ParamValue::Int(3));
    let err = VisitFit::from_parameters(&named).unwrap_err().to_string();
    assert!(err.contains("`obj`") && err.contains("does not fit"), "{err}");
}

#[test]
fn path_renders_and_parses_back_into_the_task() {
    let root = OutputRoot::new("/data/astra");
    let t = task();
    let path = t.output_path(&root).unwrap();
    let expected = format!(
        "/data/astra/{}/visitfit/lco25m/12/34/54321234/049/49152/Visit-2M00001023-0000126-1e-05-True-{}.fits",
        astra_targets::ASTRA_VERSION,
        t.task_short_id()
    );
    assert_eq!(path.to_str().unwrap(), expected);
    let back = VisitFit::from_path(&root, &path).unwrap();
    assert_eq!(
        back,
        VisitFit {
            threads: 0,
            ..t.clone()
        }
    );
    // A path whose short id does not belong to its parameters is not this task's.
    let forged = expected.replace(&t.task_short_id(), "visitfit-00000000");
    assert!(VisitFit::from_path(&root, forged.as_ref()).is_err());
    // A value that would leave its folder is refused, naming the parameter.
    let err = VisitFit {
        obj: "../../etc".into(),
        ..task()
    }
    .output_path(&root)
    .unwrap_err()
    .to_string();
    assert!(err.contains("`obj`") && err.contains("../../etc"), "{err}");
}

#[test]
fn derived_tasks_are_registered() {
    let meta = registry::task("VisitFit").unwrap();
    assert!(std::ptr::eq(meta, VisitFit::META));
    assert!(registry::tasks().unwrap().iter().any(|t| t.family == "VisitFit"));
    let err = registry::task("NoSuchTask").unwrap_err().to_string();
    assert!(err.contains("NoSuchTask") && err.contains("VisitFit"), "{err}");
}

#[test]
fn enum_parameters_are_named_by_their_derive() {
    assert_eq!(Telescope::NAMES, &["apo25m", "lco25m"]);
    assert_eq!(Telescope::Lco25m.name(), "lco25m");
    assert_eq!(Telescope::from_name("apo25m"), Some(Telescope::Apo25m));
    assert_eq!(Telescope::from_name("Apo25m"), None);
    // A name that is no variant is refused when the task is rebuilt.
    let mut named = task().parameters().to_named();
    named.insert("telescope".into(), ParamValue::Enum("keck".into()));
    let err = VisitFit::from_parameters(&named).unwrap_err().to_string();
    assert!(err.contains("`telescope`") && err.contains("keck"), "{err}");
}

/// Variant names: the identifier, `rename_all`, and `rename` on a variant.
#[test]
fn enum_rename_rules() {
    #[derive(Debug, PartialEq, AstraParamEnum)]
    #[astra(rename_all = "kebab-case")]
    enum Mode {
        FastFit,
        #[astra(rename = "SLOW")]
        SlowFit,
    }
    #[derive(Debug, PartialEq, AstraParamEnum)]
    enum Plain {
        Lco25m,
    }
    assert_eq!(Mode::NAMES, &["fast-fit", "SLOW"]);
    assert_eq!(Mode::from_name("SLOW"), Some(Mode::SlowFit));
    assert_eq!(Plain::Lco25m.name(), "Lco25m");
}

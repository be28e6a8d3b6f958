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

/// A serializer that accepts only a unit variant and returns its name: what serde writes
/// for a parameter enum's value, with no data format in between.
struct VariantName;

#[derive(Debug)]
struct NotAName(String);

impl std::fmt::Display for NotAName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a unit variant: {}", self.0)
    }
}

impl std::error::Error for NotAName {}

impl serde::ser::Error for NotAName {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        NotAName(msg.to_string())
    }
}

macro_rules! refuse {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $($arg: $ty),*) -> Result<$ret, NotAName> {
            $(let _ = $arg;)*
            Err(NotAName(stringify!($method).into()))
        }
    )*};
}

impl serde::Serializer for VariantName {
    type Ok = String;
    type Error = NotAName;
    type SerializeSeq = serde::ser::Impossible<String, NotAName>;
    type SerializeTuple = serde::ser::Impossible<String, NotAName>;
    type SerializeTupleStruct = serde::ser::Impossible<String, NotAName>;
    type SerializeTupleVariant = serde::ser::Impossible<String, NotAName>;
    type SerializeMap = serde::ser::Impossible<String, NotAName>;
    type SerializeStruct = serde::ser::Impossible<String, NotAName>;
    type SerializeStructVariant = serde::ser::Impossible<String, NotAName>;

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<String, NotAName> {
        Ok(variant.to_string())
    }

    refuse! {
        serialize_bool(v: bool) -> String;
        serialize_i8(v: i8) -> String;
        serialize_i16(v: i16) -> String;
        serialize_i32(v: i32) -> String;
        serialize_i64(v: i64) -> String;
        serialize_u8(v: u8) -> String;
        serialize_u16(v: u16) -> String;
        serialize_u32(v: u32) -> String;
        serialize_u64(v: u64) -> String;
        serialize_f32(v: f32) -> String;
        serialize_f64(v: f64) -> String;
        serialize_char(v: char) -> String;
        serialize_str(v: &str) -> String;
        serialize_bytes(v: &[u8]) -> String;
        serialize_none() -> String;
        serialize_unit() -> String;
        serialize_unit_struct(name: &'static str) -> String;
        serialize_seq(len: Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(len: usize) -> Self::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize)
            -> Self::SerializeTupleVariant;
        serialize_map(len: Option<usize>) -> Self::SerializeMap;
        serialize_struct(name: &'static str, len: usize) -> Self::SerializeStruct;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize)
            -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: ?Sized + serde::Serialize>(self, _: &T) -> Result<String, NotAName> {
        Err(NotAName("serialize_some".into()))
    }

    fn serialize_newtype_struct<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<String, NotAName> {
        Err(NotAName("serialize_newtype_struct".into()))
    }

    fn serialize_newtype_variant<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, NotAName> {
        Err(NotAName("serialize_newtype_variant".into()))
    }
}

/// Every variant's `ParamEnum::name()` is the string serde writes for it, and serde reads
/// that string back as the same variant; the names are `expected`.
fn assert_serde_names<T>(expected: &[&str])
where
    T: ParamEnum + serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(T::NAMES, expected);
    for name in T::NAMES {
        let variant = T::from_name(name).unwrap();
        assert_eq!(variant.name(), *name);
        assert_eq!(variant.serialize(VariantName).unwrap(), *name);
        let read: T = serde_json::from_str(&format!("\"{name}\"")).unwrap();
        assert_eq!(read, variant);
    }
}

/// Under each of serde's `rename_all` rules, and with `rename` on a variant, the derive
/// names every variant by its serde string.
#[test]
fn enum_names_are_serde_strings() {
    macro_rules! rule {
        ($rule:literal, $expected:expr) => {{
            #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize, AstraParamEnum)]
            #[serde(rename_all = $rule)]
            enum E {
                FastFit,
                APOGEENet,
                Lco25m,
                X,
            }
            assert_serde_names::<E>(&$expected);
        }};
    }
    rule!("lowercase", ["fastfit", "apogeenet", "lco25m", "x"]);
    rule!("UPPERCASE", ["FASTFIT", "APOGEENET", "LCO25M", "X"]);
    rule!("PascalCase", ["FastFit", "APOGEENet", "Lco25m", "X"]);
    rule!("camelCase", ["fastFit", "aPOGEENet", "lco25m", "x"]);
    rule!("snake_case", ["fast_fit", "a_p_o_g_e_e_net", "lco25m", "x"]);
    rule!("SCREAMING_SNAKE_CASE", ["FAST_FIT", "A_P_O_G_E_E_NET", "LCO25M", "X"]);
    rule!("kebab-case", ["fast-fit", "a-p-o-g-e-e-net", "lco25m", "x"]);
    rule!("SCREAMING-KEBAB-CASE", ["FAST-FIT", "A-P-O-G-E-E-NET", "LCO25M", "X"]);

    // `rename` on a variant wins over the enum's rule; a `rename` with the same name both
    // ways is one name; `alias` only adds a name serde reads.
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize, AstraParamEnum)]
    #[serde(rename_all = "kebab-case")]
    enum Pipeline {
        FullSpectrum,
        #[serde(rename = "apogeenet")]
        APOGEENet,
        #[serde(rename(serialize = "payne", deserialize = "payne"), alias = "the-payne")]
        ThePayne,
    }
    assert_serde_names::<Pipeline>(&["full-spectrum", "apogeenet", "payne"]);

    // Only a variant renamed: the others keep their identifiers, as in serde.
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize, AstraParamEnum)]
    enum Telescope {
        #[serde(rename = "apo25m")]
        Apo25m,
        Lco25m,
    }
    assert_serde_names::<Telescope>(&["apo25m", "Lco25m"]);
}

/// A task's parameters serialize as a map of name to value in declaration order, each
/// value its natural scalar (an enum parameter its name).
#[test]
fn params_serialize_as_a_map_in_declaration_order() {
    let json = serde_json::to_string(&task().parameters()).unwrap();
    assert_eq!(
        json,
        r#"{"telescope":"lco25m","sdss_id":54321234,"healpix":49152,"obj":"2M00001023-0000126","snr_min":0.00001,"mask":true,"threads":4}"#
    );
    assert_eq!(serde_json::to_string(&ParamValue::F32(0.1)).unwrap(), "0.1");
    assert_eq!(
        serde_json::to_string(&ParamValue::UInt(u64::MAX)).unwrap(),
        "18446744073709551615"
    );
    assert_eq!(
        serde_json::to_string(&ParamValue::Enum("apo25m".into())).unwrap(),
        r#""apo25m""#
    );
}

/// Values read back by their scalar type, then fitted to their parameters' kinds, give the
/// same parameters (and so the same task id).
#[test]
fn params_read_back_from_their_serialized_form() {
    let params = task().parameters();
    let json = serde_json::to_string(&params).unwrap();
    let read: BTreeMap<String, ParamValue> = serde_json::from_str(&json).unwrap();
    assert_eq!(read["telescope"], ParamValue::Str("lco25m".into()));
    assert_eq!(read["healpix"], ParamValue::Int(49_152));
    let values = VisitFit::META
        .parameters
        .iter()
        .map(|p| read[p.name].clone().into_kind(p.kind).unwrap())
        .collect();
    let back = Params::new(VisitFit::META, values).unwrap();
    assert_eq!(back, params);
    assert_eq!(VisitFit::from_parameters(&back.to_named()).unwrap(), task());

    assert_eq!(
        serde_json::from_str::<ParamValue>("true").unwrap(),
        ParamValue::Bool(true)
    );
    assert_eq!(serde_json::from_str::<ParamValue>("-3").unwrap(), ParamValue::Int(-3));
    assert_eq!(serde_json::from_str::<ParamValue>("2.5").unwrap(), ParamValue::F64(2.5));
    assert_eq!(
        serde_json::from_str::<ParamValue>("18446744073709551615").unwrap(),
        ParamValue::UInt(u64::MAX)
    );
    for bad in ["null", "[1]", r#"{"a":1}"#] {
        let err = serde_json::from_str::<ParamValue>(bad).unwrap_err().to_string();
        assert!(err.contains("a parameter value"), "{bad}: {err}");
    }
}

/// A value fits another kind only when it reads as one without loss.
#[test]
fn values_fit_a_kind_only_without_loss() {
    assert_eq!(
        ParamValue::Str("apo25m".into()).into_kind(ParamKind::Enum),
        Some(ParamValue::Enum("apo25m".into()))
    );
    assert_eq!(ParamValue::Int(7).into_kind(ParamKind::UInt), Some(ParamValue::UInt(7)));
    assert_eq!(ParamValue::Int(-1).into_kind(ParamKind::UInt), None);
    assert_eq!(ParamValue::UInt(u64::MAX).into_kind(ParamKind::Int), None);
    assert_eq!(ParamValue::Int(3).into_kind(ParamKind::F64), Some(ParamValue::F64(3.0)));
    assert_eq!(ParamValue::Int((1 << 53) + 1).into_kind(ParamKind::F64), None);
    assert_eq!(
        ParamValue::F64(0.1).into_kind(ParamKind::F32),
        Some(ParamValue::F32(0.1))
    );
    assert_eq!(ParamValue::F64(0.1000000001).into_kind(ParamKind::F32), None);
    assert_eq!(ParamValue::F64(1.5).into_kind(ParamKind::Int), None);
    assert_eq!(ParamValue::Bool(true).into_kind(ParamKind::Str), None);
}

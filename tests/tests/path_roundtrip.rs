//! Output paths: what a template renders parses back into exactly the parameters it came
//! from, never leaves the output root, and values that would break either are refused.
//!
//! Thousands of generated parameter sets (a seeded generator, so every run checks the
//! same cases) go through several templates built by hand, as `#[derive(AstraTask)]`
//! writes them: the SDSS astraSource layout, one with format specs, one with the
//! `sdss_id_groups` folders, and one of adjacent strings separated by `-`, whose
//! ambiguities are judged by an independent reader written here.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use astra_targets::__private::{Align, PathFunc, PathTemplate, Segment, Source, Spec};
use astra_targets::{AstraTask, Error, OutputRoot, ParamKind, ParamMeta, ParamValue, Params, TaskMeta, path};

// ---------------------------------------------------------------------------------------
// A seeded generator and the values it draws from.

use astra_targets_tests::rng::Rng;

/// Strings that belong in paths, including ones holding the templates' separators.
const GOOD_STR: &[&str] = &[
    "2M00001023-0000126",
    "2M23595980+1528407",
    "apo25m",
    "lco25m",
    "dr17",
    "v6_1_3",
    "a-b",
    "a_b",
    "a.b",
    "é",
    "日本",
    "😀",
    ".hidden",
    "...",
    "x..y",
    "-",
    "_",
    "--",
    "-x-",
    "thepayne",
    "fits",
    "AstraSource",
    "0",
    "-1",
    "star",
    "a b",
    "x.fits",
    "thepayne-0123abcd",
];

/// Values a path must refuse.
const BAD_STR: &[&str] = &["", ".", "..", "/", "a/b", "../x", "x/..", "\0", "a\0b", "/abs", "a\\b"];

/// Characters random strings are made of.
const CHARS: &[char] = &['a', 'Z', '0', '7', '-', '_', '.', '+', ' ', 'é', '日', '😀', 'x', 'q'];

fn good_string(rng: &mut Rng) -> String {
    if rng.chance(40) {
        return rng.pick(GOOD_STR).to_string();
    }
    let len = 1 + rng.below(10);
    let s: String = (0..len).map(|_| *rng.pick(CHARS)).collect();
    if s == "." || s == ".." { "x".into() } else { s }
}

/// A string with no separator of any template here: always renders.
fn plain_string(rng: &mut Rng) -> String {
    const PLAIN: &[char] = &['a', 'Z', '0', '7', 'é', '日', '😀', 'x', 'q', 'M'];
    (0..1 + rng.below(10)).map(|_| *rng.pick(PLAIN)).collect()
}

fn string_value(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => rng.pick(BAD_STR).to_string(),
        1..=3 => plain_string(rng),
        _ => good_string(rng),
    }
}

fn int_value(rng: &mut Rng) -> i64 {
    match rng.below(6) {
        0 => *rng.pick(&[
            0,
            1,
            -1,
            999,
            1000,
            -1000,
            -1001,
            i64::MAX,
            i64::MIN,
            49_151,
            3_145_727,
            12_288,
        ]),
        1 => rng.next() as i64,
        2 => -((rng.next() % 100_000) as i64),
        _ => (rng.next() % 3_200_000) as i64,
    }
}

fn f64_value(rng: &mut Rng) -> f64 {
    match rng.below(4) {
        0 => *rng.pick(&[
            0.0,
            -0.0,
            1e-5,
            -1e-5,
            1e20,
            1e16,
            0.1,
            -2.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            5e-324,
        ]),
        1 => f64::from_bits(rng.next()),
        _ => (rng.next() % 2_000_000) as f64 / 100.0 - 10_000.0,
    }
}

fn f32_value(rng: &mut Rng) -> f32 {
    match rng.below(3) {
        0 => *rng.pick(&[0.1f32, -0.0, 1e-5, 16777216.0, f32::MAX, f32::NAN, 1e-45, -4500.5]),
        1 => f32::from_bits(rng.next() as u32),
        _ => (rng.next() % 100_000) as f32 / 10.0,
    }
}

fn is_bad(s: &str) -> bool {
    BAD_STR.contains(&s) || s.contains(['/', '\0', '\\'])
}

// ---------------------------------------------------------------------------------------
// The templates, as the derive generates them.

const fn field(source: Source) -> Segment {
    Segment::Field {
        source,
        func: None,
        spec: Spec::PLAIN,
    }
}

const fn param_field(i: usize, func: Option<PathFunc>, spec: Spec) -> Segment {
    Segment::Field {
        source: Source::Param(i),
        func,
        spec,
    }
}

const fn p(i: usize) -> Segment {
    param_field(i, None, Spec::PLAIN)
}

const fn pm(name: &'static str, kind: ParamKind, significant: bool) -> ParamMeta {
    ParamMeta {
        name,
        rust_type: "",
        kind,
        significant,
        description: "A parameter.",
    }
}

const fn meta(
    family: &'static str,
    namespace: &'static str,
    parameters: &'static [ParamMeta],
    template: &'static PathTemplate,
) -> TaskMeta {
    TaskMeta {
        family,
        namespace,
        version: "1.0.0",
        description: "A task built by hand for the path test.",
        rust_name: "path_roundtrip::Hand",
        parameters,
        path: Some(template),
        table: "hand",
        results_type: "()",
        results: &[],
    }
}

/// The SDSS astraSource layout.
static SDSS_PATH: PathTemplate = PathTemplate {
    text: "{astra_version}/{namespace}/star/{telescope}/{healpix|grp}/{healpix}/AstraSource-{redux}-{telescope}-{obj}-{task_short_id}.fits",
    segments: &[
        field(Source::AstraVersion),
        Segment::Literal("/"),
        field(Source::Namespace),
        Segment::Literal("/star/"),
        p(1),
        Segment::Literal("/"),
        param_field(2, Some(PathFunc::Grp), Spec::PLAIN),
        Segment::Literal("/"),
        p(2),
        Segment::Literal("/AstraSource-"),
        p(0),
        Segment::Literal("-"),
        p(1),
        Segment::Literal("-"),
        p(3),
        Segment::Literal("-"),
        field(Source::TaskShortId),
        Segment::Literal(".fits"),
    ],
};
static SDSS_PARAMS: [ParamMeta; 5] = [
    pm("redux", ParamKind::Str, true),
    pm("telescope", ParamKind::Str, true),
    pm("healpix", ParamKind::Int, true),
    pm("obj", ParamKind::Str, true),
    pm("n_threads", ParamKind::UInt, false),
];
static SDSS: TaskMeta = meta("ThePayne", "thepayne", &SDSS_PARAMS, &SDSS_PATH);

const ZERO5: Spec = Spec {
    zero: true,
    width: 5,
    ..Spec::PLAIN
};
const ZERO3: Spec = Spec {
    zero: true,
    width: 3,
    ..Spec::PLAIN
};
const FILL0_RIGHT5: Spec = Spec {
    fill: '0',
    align: Align::Right,
    width: 5,
    ..Spec::PLAIN
};
const UNDER_LEFT8: Spec = Spec {
    fill: '_',
    align: Align::Left,
    width: 8,
    ..Spec::PLAIN
};
const PLUS: Spec = Spec {
    plus: true,
    ..Spec::PLAIN
};

/// Format specs: `{run2d:_<8}/{plate:0>5}/spec-{plate:0>5}-{mjd:05}-{fiber:03}-{teff}-{logg:+}-{x}.fits`.
static SPEC_PATH: PathTemplate = PathTemplate {
    text: "{run2d:_<8}/{plate:0>5}/spec-{plate:0>5}-{mjd:05}-{fiber:03}-{teff}-{logg:+}-{x}.fits",
    segments: &[
        param_field(0, None, UNDER_LEFT8),
        Segment::Literal("/"),
        param_field(1, None, FILL0_RIGHT5),
        Segment::Literal("/spec-"),
        param_field(1, None, FILL0_RIGHT5),
        Segment::Literal("-"),
        param_field(2, None, ZERO5),
        Segment::Literal("-"),
        param_field(3, None, ZERO3),
        Segment::Literal("-"),
        p(4),
        Segment::Literal("-"),
        param_field(5, None, PLUS),
        Segment::Literal("-"),
        p(6),
        Segment::Literal(".fits"),
    ],
};
static SPEC_PARAMS: [ParamMeta; 7] = [
    pm("run2d", ParamKind::Str, true),
    pm("plate", ParamKind::Int, true),
    pm("mjd", ParamKind::Int, true),
    pm("fiber", ParamKind::UInt, true),
    pm("teff", ParamKind::F64, true),
    pm("logg", ParamKind::F32, true),
    pm("x", ParamKind::Bool, false),
];
static SPEC: TaskMeta = meta("BossSpec", "boss", &SPEC_PARAMS, &SPEC_PATH);

/// A lossy spec: `{run2d}/snr-{snr:.2}.fits` renders but cannot parse back.
static LOSSY_PATH: PathTemplate = PathTemplate {
    text: "{run2d}/snr-{snr:.2}.fits",
    segments: &[
        p(0),
        Segment::Literal("/snr-"),
        param_field(
            1,
            None,
            Spec {
                precision: Some(2),
                ..Spec::PLAIN
            },
        ),
        Segment::Literal(".fits"),
    ],
};
static LOSSY_PARAMS: [ParamMeta; 2] = [pm("run2d", ParamKind::Str, true), pm("snr", ParamKind::F64, true)];
static LOSSY: TaskMeta = meta("Lossy", "lossy", &LOSSY_PARAMS, &LOSSY_PATH);

/// SDSS id folders: `{namespace}/{sdss_id|sdss_id_groups}/{sdss_id}/mwm-{run}-{flag}-{sdss_id}.fits`.
static SDSS_ID_PATH: PathTemplate = PathTemplate {
    text: "{namespace}/{sdss_id|sdss_id_groups}/{sdss_id}/mwm-{run}-{flag}-{sdss_id}.fits",
    segments: &[
        field(Source::Namespace),
        Segment::Literal("/"),
        param_field(0, Some(PathFunc::SdssIdGroups), Spec::PLAIN),
        Segment::Literal("/"),
        p(0),
        Segment::Literal("/mwm-"),
        p(1),
        Segment::Literal("-"),
        p(2),
        Segment::Literal("-"),
        p(0),
        Segment::Literal(".fits"),
    ],
};
static SDSS_ID_PARAMS: [ParamMeta; 3] = [
    pm("sdss_id", ParamKind::Int, true),
    pm("run", ParamKind::Str, true),
    pm("flag", ParamKind::Bool, true),
];
static SDSS_ID: TaskMeta = meta("MwmStar", "mwm", &SDSS_ID_PARAMS, &SDSS_ID_PATH);

/// Adjacent strings: `{a}-{b}-{c}_{n}.txt`, no id to settle where a value ends.
static ADJ_PATH: PathTemplate = PathTemplate {
    text: "{a}-{b}-{c}_{n}.txt",
    segments: &[
        p(0),
        Segment::Literal("-"),
        p(1),
        Segment::Literal("-"),
        p(2),
        Segment::Literal("_"),
        p(3),
        Segment::Literal(".txt"),
    ],
};
static ADJ_PARAMS: [ParamMeta; 4] = [
    pm("a", ParamKind::Str, true),
    pm("b", ParamKind::Str, true),
    pm("c", ParamKind::Enum, true),
    pm("n", ParamKind::Int, true),
];
static ADJ: TaskMeta = meta("Adjacent", "adj", &ADJ_PARAMS, &ADJ_PATH);

const STAR_CENTER9: Spec = Spec {
    fill: '*',
    align: Align::Center,
    width: 9,
    ..Spec::PLAIN
};
const RIGHT6: Spec = Spec {
    align: Align::Right,
    width: 6,
    ..Spec::PLAIN
};

/// Centred and space-padded values: `{name:*^9}/{n:+}/{v:>6}.dat`.
static CENTER_PATH: PathTemplate = PathTemplate {
    text: "{name:*^9}/{n:+}/{v:>6}.dat",
    segments: &[
        param_field(0, None, STAR_CENTER9),
        Segment::Literal("/"),
        param_field(1, None, PLUS),
        Segment::Literal("/"),
        param_field(2, None, RIGHT6),
        Segment::Literal(".dat"),
    ],
};
static CENTER_PARAMS: [ParamMeta; 3] = [
    pm("name", ParamKind::Str, true),
    pm("n", ParamKind::Int, true),
    pm("v", ParamKind::UInt, true),
];
static CENTER: TaskMeta = meta("Centre", "centre", &CENTER_PARAMS, &CENTER_PATH);

/// A separator that overlaps itself: `{a}--{b}.txt` (`---` holds `--` twice).
static DASHES_PATH: PathTemplate = PathTemplate {
    text: "{a}--{b}.txt",
    segments: &[p(0), Segment::Literal("--"), p(1), Segment::Literal(".txt")],
};
static DASHES_PARAMS: [ParamMeta; 2] = [pm("a", ParamKind::Str, true), pm("b", ParamKind::Str, true)];
static DASHES: TaskMeta = meta("Dashes", "dashes", &DASHES_PARAMS, &DASHES_PATH);

// ---------------------------------------------------------------------------------------
// The checks every rendered path must pass.

/// Floats compare by bits (NaN equals NaN, -0.0 differs from 0.0).
fn same(a: &ParamValue, b: &ParamValue) -> bool {
    match (a, b) {
        (ParamValue::F64(x), ParamValue::F64(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (ParamValue::F32(x), ParamValue::F32(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

fn in_template(meta: &TaskMeta, index: usize) -> bool {
    meta.path
        .unwrap()
        .segments
        .iter()
        .any(|s| matches!(s, Segment::Field { source: Source::Param(i), .. } if *i == index))
}

/// The path stays inside the output root: relative, no `.`/`..`/empty component, no NUL.
fn assert_contained(path: &Path, values: &[ParamValue]) {
    let text = path.to_str().expect("paths are UTF-8");
    assert!(!text.contains('\0'), "NUL in {text:?} from {values:?}");
    assert!(
        !text.starts_with('/') && !path.is_absolute(),
        "absolute path {text:?} from {values:?}"
    );
    for piece in text.split('/') {
        assert!(
            !piece.is_empty() && piece != "." && piece != "..",
            "component {piece:?} in {text:?} from {values:?}"
        );
    }
    assert!(path.components().all(|c| matches!(c, Component::Normal(_))), "{text:?}");
}

/// The parameters of a task of `meta` with these values (checked).
fn params(meta: &'static TaskMeta, values: &[ParamValue]) -> Params {
    Params::new(meta, values.to_vec()).unwrap_or_else(|e| panic!("{values:?}: {e}"))
}

/// Renders, and when that succeeds checks containment and the round trip; returns the
/// result of rendering.
fn render_and_check(meta: &'static TaskMeta, values: &[ParamValue]) -> Result<PathBuf, Error> {
    let rendered = path::relative_path(&params(meta, values));
    if let Ok(path) = &rendered {
        assert_contained(path, values);
        let parsed =
            path::parse(meta, path).unwrap_or_else(|e| panic!("{path:?} from {values:?} does not parse back: {e}"));
        for (i, (param, value)) in meta.parameters.iter().zip(values).enumerate() {
            match parsed.get(param.name) {
                Some(back) => assert!(
                    same(back, value),
                    "{path:?}: `{}` parsed back as {back:?}, was {value:?}",
                    param.name
                ),
                None => assert!(
                    !in_template(meta, i),
                    "{path:?}: `{}` is in the template but was not parsed",
                    param.name
                ),
            }
        }
        assert!(
            parsed.keys().all(|k| meta.parameter(k).is_some()),
            "{path:?} parsed unknown names: {parsed:?}"
        );
    }
    rendered
}

/// A refusal is a `PathValue` error of this task naming one of `names`.
fn assert_refused(result: &Result<PathBuf, Error>, meta: &TaskMeta, names: &[&str], values: &[ParamValue]) {
    match result {
        Err(Error::PathValue { family, name, .. }) => {
            assert_eq!(*family, meta.family);
            assert!(
                names.contains(name),
                "refused naming `{name}`, expected one of {names:?}; values {values:?}: {result:?}"
            );
        }
        other => panic!("values {values:?} should be refused naming one of {names:?}, got {other:?}"),
    }
}

/// Distinct parameter sets never share a path.
#[derive(Default)]
struct Distinct(HashMap<PathBuf, Vec<ParamValue>>);

impl Distinct {
    fn add(&mut self, meta: &TaskMeta, path: PathBuf, values: &[ParamValue]) {
        let significant: Vec<ParamValue> = meta
            .parameters
            .iter()
            .zip(values)
            .enumerate()
            .filter(|(i, _)| in_template(meta, *i))
            .map(|(_, (_, v))| v.clone())
            .collect();
        if let Some(old) = self.0.get(&path) {
            let equal = old.len() == significant.len() && old.iter().zip(&significant).all(|(a, b)| same(a, b));
            assert!(equal, "{path:?} is the path of both {old:?} and {significant:?}");
        }
        self.0.insert(path, significant);
    }
}

// ---------------------------------------------------------------------------------------
// The property tests.

#[test]
fn sdss_layout_round_trips() {
    let mut rng = Rng(1);
    let mut distinct = Distinct::default();
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..2500 {
        let values = vec![
            ParamValue::Str(string_value(&mut rng)),
            ParamValue::Str(string_value(&mut rng)),
            ParamValue::Int(int_value(&mut rng)),
            ParamValue::Str(string_value(&mut rng)),
            ParamValue::UInt(rng.next() % 64),
        ];
        let result = render_and_check(&SDSS, &values);
        let strings: Vec<&str> = [0, 1, 3].iter().map(|i| values[*i].as_str().unwrap()).collect();
        let bad: Vec<&str> = [0, 1, 3]
            .iter()
            .zip(&strings)
            .filter(|(_, s)| is_bad(s))
            .map(|(i, _)| SDSS_PARAMS[*i].name)
            .collect();
        if !bad.is_empty() {
            assert_refused(&result, &SDSS, &bad, &values);
        } else if strings.iter().all(|s| !s.contains('-')) {
            // Nothing holds a separator: the path must render.
            assert!(result.is_ok(), "{values:?} refused: {result:?}");
        }
        match result {
            Ok(path) => {
                ok += 1;
                distinct.add(&SDSS, path, &values);
            }
            Err(_) => refused += 1,
        }
    }
    assert!(
        ok > 1500 && refused > 100,
        "{ok} rendered, {refused} refused: the generator lost its mix"
    );
}

#[test]
fn sdss_layout_reads_an_apogee_id() {
    let values = vec![
        ParamValue::Str("dr17".into()),
        ParamValue::Str("apo25m".into()),
        ParamValue::Int(24_316),
        ParamValue::Str("2M00001023-0000126".into()),
        ParamValue::UInt(8),
    ];
    let path = render_and_check(&SDSS, &values).unwrap();
    let short = astra_targets::identity::task_short_id(&params(&SDSS, &values));
    let want = format!(
        "{}/thepayne/star/apo25m/24/24316/AstraSource-dr17-apo25m-2M00001023-0000126-{short}.fits",
        astra_targets::ASTRA_VERSION
    );
    assert_eq!(path, PathBuf::from(want));
    let parsed = path::parse(&SDSS, &path).unwrap();
    assert!(
        !parsed.contains_key("n_threads"),
        "an insignificant parameter outside the path is not read: {parsed:?}"
    );
}

#[test]
fn a_path_with_another_tasks_id_is_refused() {
    let values = vec![
        ParamValue::Str("dr17".into()),
        ParamValue::Str("apo25m".into()),
        ParamValue::Int(24_316),
        ParamValue::Str("2M00001023-0000126".into()),
        ParamValue::UInt(8),
    ];
    let path = render_and_check(&SDSS, &values).unwrap();
    let text = path.to_str().unwrap();
    let short = astra_targets::identity::task_short_id(&params(&SDSS, &values));
    let hash = &short["thepayne-".len()..];
    let other = if hash == "00000000" { "11111111" } else { "00000000" };
    for tampered in [
        text.replace(hash, other),
        text.replace("/24/", "/25/"),
        text.replace("/24316/", "/024316/"),
        text.replace(astra_targets::ASTRA_VERSION, "9.9.9"),
        text.replace("thepayne/", "other/"),
        text.replace(".fits", ".fit"),
    ] {
        match path::parse(&SDSS, Path::new(&tampered)) {
            Err(Error::PathParse { family: "ThePayne", .. }) => {}
            other => panic!("{tampered:?} should not parse: {other:?}"),
        }
    }
}

#[test]
fn format_specs_round_trip() {
    let mut rng = Rng(2);
    let mut distinct = Distinct::default();
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..2000 {
        let run2d = if rng.chance(30) {
            plain_string(&mut rng)
        } else {
            string_value(&mut rng)
        };
        let values = vec![
            ParamValue::Str(run2d.clone()),
            ParamValue::Int(int_value(&mut rng)),
            ParamValue::Int(int_value(&mut rng)),
            ParamValue::UInt(if rng.chance(50) { rng.next() % 1000 } else { rng.next() }),
            ParamValue::F64(f64_value(&mut rng)),
            ParamValue::F32(f32_value(&mut rng)),
            ParamValue::Bool(rng.chance(50)),
        ];
        let result = render_and_check(&SPEC, &values);
        if let Ok(path) = &result {
            // What Rust's own `format!` writes for the integer and text specs.
            let (ParamValue::Int(plate), ParamValue::Int(mjd), ParamValue::UInt(fiber)) =
                (&values[1], &values[2], &values[3])
            else {
                unreachable!()
            };
            let want = format!("{run2d:_<8}/{plate:0>5}/spec-{plate:0>5}-{mjd:05}-{fiber:03}-");
            assert!(
                path.to_str().unwrap().starts_with(&want),
                "{path:?} should start with {want:?}"
            );
        }
        if is_bad(&run2d) {
            assert_refused(&result, &SPEC, &["run2d"], &values);
        } else if !run2d.contains(['_', '-']) {
            // No value can be read two ways: the float and integer forms hold no `-` that
            // could end them early, and padding is told from digits.
            assert!(result.is_ok(), "{values:?} refused: {result:?}");
        }
        match result {
            Ok(path) => {
                ok += 1;
                distinct.add(&SPEC, path, &values);
            }
            Err(_) => refused += 1,
        }
    }
    assert!(ok > 1200, "{ok} rendered, {refused} refused");
}

#[test]
fn format_specs_pad_as_declared() {
    let values = vec![
        ParamValue::Str("v5".into()),
        ParamValue::Int(15),
        ParamValue::Int(-12),
        ParamValue::UInt(7),
        ParamValue::F64(4500.0),
        ParamValue::F32(2.5),
        ParamValue::Bool(true),
    ];
    let path = render_and_check(&SPEC, &values).unwrap();
    assert_eq!(
        path,
        PathBuf::from("v5______/00015/spec-00015--0012-007-4500.0-+2.5-True.fits")
    );
    // Zero itself, filled with the fill character that is also its only digit.
    let mut zero = values.clone();
    zero[1] = ParamValue::Int(0);
    zero[2] = ParamValue::Int(0);
    zero[3] = ParamValue::UInt(0);
    let path = render_and_check(&SPEC, &zero).unwrap();
    assert_eq!(
        path,
        PathBuf::from("v5______/00000/spec-00000-00000-000-4500.0-+2.5-True.fits")
    );
    // A run2d ending in the fill character cannot be told from its padding.
    let mut under = values.clone();
    under[0] = ParamValue::Str("v5_".into());
    assert_refused(&render_and_check(&SPEC, &under), &SPEC, &["run2d"], &under);
}

#[test]
fn padding_follows_rusts_format_grammar() {
    let mut rng = Rng(8);
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..1500 {
        let name = match rng.below(3) {
            0 => string_value(&mut rng),
            1 => format!("*{}", plain_string(&mut rng)),
            _ => plain_string(&mut rng),
        };
        let (n, v) = (
            int_value(&mut rng),
            if rng.chance(50) { rng.next() % 1000 } else { rng.next() },
        );
        let values = vec![ParamValue::Str(name.clone()), ParamValue::Int(n), ParamValue::UInt(v)];
        let result = render_and_check(&CENTER, &values);
        if is_bad(&name) {
            assert_refused(&result, &CENTER, &["name"], &values);
        } else {
            // What Rust's own `format!` writes for the same specs, and how many names
            // write the same centred text (`*aM` and `****aM***` both write `****aM***`).
            let piece = format!("{name:*^9}");
            let lead = piece.chars().take_while(|c| *c == '*').count();
            let trail = piece.chars().rev().take_while(|c| *c == '*').count();
            let mut names: Vec<String> = Vec::new();
            for l in 0..=lead {
                for t in 0..=trail {
                    let (start, end) = (l, piece.len().saturating_sub(t));
                    if start < end
                        && format!("{:*^9}", &piece[start..end]) == piece
                        && !names.contains(&piece[start..end].to_string())
                    {
                        names.push(piece[start..end].to_string());
                    }
                }
            }
            // The path reads back as the shortest of them (padding is preferred over
            // fill characters in the value): that one renders, the others are refused.
            names.sort_by_key(String::len);
            if names[0] == name {
                let want = format!("{piece}/{n:+}/{v:>6}.dat");
                assert_eq!(
                    result.as_ref().unwrap_or_else(|e| panic!("{values:?}: {e}")),
                    &PathBuf::from(want)
                );
            } else {
                assert_refused(&result, &CENTER, &["name"], &values);
            }
        }
        if result.is_ok() { ok += 1 } else { refused += 1 }
    }
    assert!(ok > 700 && refused > 150, "{ok} rendered, {refused} refused");
}

#[test]
fn lossy_specs_render_but_do_not_parse() {
    let mut rng = Rng(3);
    for _ in 0..500 {
        let x = f64_value(&mut rng);
        let values = vec![ParamValue::Str(plain_string(&mut rng)), ParamValue::F64(x)];
        let path = path::relative_path(&params(&LOSSY, &values)).unwrap_or_else(|e| panic!("{values:?}: {e}"));
        assert_contained(&path, &values);
        let text = path.to_str().unwrap();
        assert!(text.ends_with(&format!("/snr-{x:.2}.fits")), "{text}");
        assert!(matches!(path::parse(&LOSSY, &path), Err(Error::PathParse { .. })));
    }
}

#[test]
fn sdss_id_groups_round_trip() {
    let mut rng = Rng(4);
    let mut distinct = Distinct::default();
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..1500 {
        let id = match rng.below(4) {
            0 => *rng.pick(&[0, 1, 99, 100, 9999, 10_000, 123_456_789, -1, i64::MAX, i64::MIN]),
            1 => -(rng.next() as i64 % 1000).abs(),
            _ => (rng.next() % 200_000_000) as i64,
        };
        let run = string_value(&mut rng);
        let values = vec![
            ParamValue::Int(id),
            ParamValue::Str(run.clone()),
            ParamValue::Bool(rng.chance(50)),
        ];
        let result = render_and_check(&SDSS_ID, &values);
        if id < 0 {
            assert_refused(&result, &SDSS_ID, &["sdss_id"], &values);
        } else if is_bad(&run) {
            assert_refused(&result, &SDSS_ID, &["run"], &values);
        } else {
            let path = result.as_ref().unwrap_or_else(|e| panic!("{values:?}: {e}"));
            let text = path.to_str().unwrap();
            let groups = format!("mwm/{:02}/{:02}/{id}/", (id / 100) % 100, id % 100);
            assert!(text.starts_with(&groups), "{text} should start with {groups}");
        }
        match result {
            Ok(path) => {
                ok += 1;
                distinct.add(&SDSS_ID, path, &values);
            }
            Err(_) => refused += 1,
        }
    }
    assert!(ok > 800 && refused > 50, "{ok} rendered, {refused} refused");
}

/// Every reading of `text` as `{a}-{b}-{c}_{n}.txt`, judged independently of the library:
/// pieces that are values a path may hold (not empty, `.` or `..`, no `/`, NUL or `\`),
/// and `n` in its canonical decimal form.
fn adjacent_readings(text: &str) -> Vec<(String, String, String, i64)> {
    let Some(body) = text.strip_suffix(".txt") else {
        return vec![];
    };
    let mut out = Vec::new();
    let dashes: Vec<usize> = body.match_indices('-').map(|(i, _)| i).collect();
    let unders: Vec<usize> = body.match_indices('_').map(|(i, _)| i).collect();
    for &d1 in &dashes {
        for &d2 in dashes.iter().filter(|d| **d > d1) {
            for &u in unders.iter().filter(|u| **u > d2) {
                let (a, b, c, n) = (&body[..d1], &body[d1 + 1..d2], &body[d2 + 1..u], &body[u + 1..]);
                if [a, b, c, n].iter().any(|s| is_bad(s)) {
                    continue;
                }
                let Ok(n) = n.parse::<i64>() else { continue };
                if n.to_string() != body[u + 1..] {
                    continue;
                }
                out.push((a.to_string(), b.to_string(), c.to_string(), n));
            }
        }
    }
    out
}

#[test]
fn adjacent_strings_render_only_when_unambiguous() {
    let mut rng = Rng(5);
    let mut distinct = Distinct::default();
    let (mut ok, mut ambiguous) = (0, 0);
    for _ in 0..2500 {
        let values = vec![
            ParamValue::Str(string_value(&mut rng)),
            ParamValue::Str(string_value(&mut rng)),
            ParamValue::Enum(string_value(&mut rng)),
            ParamValue::Int(int_value(&mut rng)),
        ];
        let result = render_and_check(&ADJ, &values);
        let strings: Vec<&str> = values[..3].iter().map(|v| v.as_str().unwrap()).collect();
        let bad: Vec<&str> = strings
            .iter()
            .zip(["a", "b", "c"])
            .filter(|(s, _)| is_bad(s))
            .map(|(_, n)| n)
            .collect();
        if !bad.is_empty() {
            assert_refused(&result, &ADJ, &bad, &values);
            continue;
        }
        let ParamValue::Int(n) = values[3] else { unreachable!() };
        let text = format!("{}-{}-{}_{n}.txt", strings[0], strings[1], strings[2]);
        let readings = adjacent_readings(&text);
        assert!(!readings.is_empty(), "the independent reader does not read {text:?}");
        if readings.len() == 1 {
            let path = result.unwrap_or_else(|e| panic!("{text:?} has one reading but was refused: {e}"));
            assert_eq!(path, PathBuf::from(&text));
            ok += 1;
            distinct.add(&ADJ, path, &values);
        } else {
            assert_refused(&result, &ADJ, &["a", "b", "c"], &values);
            ambiguous += 1;
        }
    }
    assert!(ok > 1000 && ambiguous > 100, "{ok} rendered, {ambiguous} ambiguous");
}

#[test]
fn overlapping_separators_are_all_considered() {
    let mut rng = Rng(7);
    let (mut ok, mut ambiguous) = (0, 0);
    for _ in 0..1500 {
        let mut word = || -> String {
            (0..1 + rng.below(4))
                .map(|_| if rng.chance(50) { '-' } else { 'x' })
                .collect()
        };
        let (a, b) = (word(), word());
        let values = vec![ParamValue::Str(a.clone()), ParamValue::Str(b.clone())];
        let result = render_and_check(&DASHES, &values);
        let text = format!("{a}--{b}.txt");
        let body = text.strip_suffix(".txt").unwrap();
        let readings = (0..body.len())
            .filter(|i| body[*i..].starts_with("--") && *i > 0 && i + 2 < body.len())
            .count();
        if readings == 1 {
            assert_eq!(result.unwrap_or_else(|e| panic!("{text:?}: {e}")), PathBuf::from(&text));
            ok += 1;
        } else {
            assert_refused(&result, &DASHES, &["a", "b"], &values);
            assert!(
                matches!(path::parse(&DASHES, Path::new(&text)), Err(Error::PathParse { .. })),
                "{text:?} parsed"
            );
            ambiguous += 1;
        }
    }
    assert!(ok > 200 && ambiguous > 200, "{ok} rendered, {ambiguous} ambiguous");
}

#[test]
fn an_ambiguous_pair_is_refused_both_ways() {
    let one = vec![
        ParamValue::Str("x-y".into()),
        ParamValue::Str("z".into()),
        ParamValue::Enum("c".into()),
        ParamValue::Int(1),
    ];
    let two = vec![
        ParamValue::Str("x".into()),
        ParamValue::Str("y-z".into()),
        ParamValue::Enum("c".into()),
        ParamValue::Int(1),
    ];
    assert_refused(&render_and_check(&ADJ, &one), &ADJ, &["a"], &one);
    assert_refused(&render_and_check(&ADJ, &two), &ADJ, &["b"], &two);
    // The shared text itself reads two ways.
    assert!(matches!(
        path::parse(&ADJ, Path::new("x-y-z-c_1.txt")),
        Err(Error::PathParse { .. })
    ));
}

#[test]
fn paths_holding_refused_values_do_not_parse() {
    for text in [
        "a-..-c_1.txt",
        "a-.-c_1.txt",
        "..-b-c_1.txt",
        "a-b-._1.txt",
        "a-b\\x-c_1.txt",
        "a-b-c_01.txt",
        "a-b-c_+1.txt",
    ] {
        assert!(
            matches!(path::parse(&ADJ, Path::new(text)), Err(Error::PathParse { .. })),
            "{text:?} parsed"
        );
    }
    assert!(path::parse(&ADJ, Path::new("a-b-c_1.txt")).is_ok());
}

#[test]
fn refusals_name_the_parameter_and_value() {
    for bad in BAD_STR {
        let values = vec![
            ParamValue::Str("dr17".into()),
            ParamValue::Str("apo25m".into()),
            ParamValue::Int(1),
            ParamValue::Str(bad.to_string()),
            ParamValue::UInt(1),
        ];
        let err = path::relative_path(&params(&SDSS, &values)).unwrap_err();
        let Error::PathValue { name, value, .. } = &err else {
            panic!("{bad:?}: {err:?}")
        };
        assert_eq!(*name, "obj", "{bad:?}");
        assert!(!value.is_empty() || bad.is_empty());
        let message = err.to_string();
        assert!(message.contains("`obj`") && message.contains("ThePayne"), "{message}");
    }
}

/// A placeholder for a parameter that is not in the path (insignificant ones only).
fn placeholder(kind: ParamKind) -> ParamValue {
    match kind {
        ParamKind::Str => ParamValue::Str("x".into()),
        ParamKind::Enum => ParamValue::Enum("x".into()),
        ParamKind::Int => ParamValue::Int(0),
        ParamKind::UInt => ParamValue::UInt(0),
        ParamKind::F64 => ParamValue::F64(0.0),
        ParamKind::F32 => ParamValue::F32(0.0),
        ParamKind::Bool => ParamValue::Bool(false),
    }
}

/// Whatever `parse` accepts is a path that `render` writes: altered paths either fail to
/// parse or parse into parameters that render to exactly the altered path.
#[test]
fn parse_accepts_only_what_render_writes() {
    let mut rng = Rng(9);
    let templates: [&'static TaskMeta; 5] = [&SDSS, &SPEC, &SDSS_ID, &ADJ, &CENTER];
    let mut accepted = 0;
    for meta in templates {
        let mut rendered = 0;
        while rendered < 300 {
            let values: Vec<ParamValue> = meta
                .parameters
                .iter()
                .map(|p| match p.kind {
                    ParamKind::Str => ParamValue::Str(good_string(&mut rng)),
                    ParamKind::Enum => ParamValue::Enum(good_string(&mut rng)),
                    ParamKind::Int => ParamValue::Int(int_value(&mut rng).rem_euclid(1 << 40)),
                    ParamKind::UInt => ParamValue::UInt(rng.next() % 5000),
                    ParamKind::F64 => ParamValue::F64(f64_value(&mut rng)),
                    ParamKind::F32 => ParamValue::F32(f32_value(&mut rng)),
                    ParamKind::Bool => ParamValue::Bool(rng.chance(50)),
                })
                .collect();
            let Ok(path) = path::relative_path(&params(meta, &values)) else {
                continue;
            };
            rendered += 1;
            let chars: Vec<char> = path.to_str().unwrap().chars().collect();
            for _ in 0..10 {
                let mut altered = chars.clone();
                let at = rng.below(altered.len());
                match rng.below(4) {
                    0 => {
                        altered.remove(at);
                    }
                    1 => altered.insert(at, altered[at]),
                    2 => altered[at] = *rng.pick(&['-', '_', '.', '/', '0', '1', 'a', '*', ' ', '+']),
                    _ => altered.insert(at, *rng.pick(&['-', '_', '.', '/', '0', '*', ' ', '+'])),
                }
                let altered: String = altered.into_iter().collect();
                let Ok(parsed) = path::parse(meta, Path::new(&altered)) else {
                    continue;
                };
                accepted += 1;
                let back: Vec<ParamValue> = meta
                    .parameters
                    .iter()
                    .map(|p| parsed.get(p.name).cloned().unwrap_or_else(|| placeholder(p.kind)))
                    .collect();
                match path::relative_path(&params(meta, &back)) {
                    Ok(again) => assert_eq!(again, PathBuf::from(&altered), "{altered:?} parsed as {parsed:?}"),
                    Err(e) => panic!("{altered:?} parsed as {parsed:?}, which does not render: {e}"),
                }
            }
        }
    }
    assert!(
        accepted > 100,
        "only {accepted} altered paths parsed: the alterations test nothing"
    );
}

// ---------------------------------------------------------------------------------------
// Output roots, and the derive producing the same template.

#[test]
fn output_root_joins_relative_paths() {
    let root = OutputRoot::new("/data/astra");
    assert_eq!(root.path(), Path::new("/data/astra"));
    let values = vec![
        ParamValue::Str("dr17".into()),
        ParamValue::Str("lco25m".into()),
        ParamValue::Int(3_145_727),
        ParamValue::Str("2M23595980+1528407".into()),
        ParamValue::UInt(2),
    ];
    let relative = path::relative_path(&params(&SDSS, &values)).unwrap();
    let full = root.path().join(&relative);
    assert!(full.starts_with("/data/astra"));
    assert_eq!(
        path::parse(&SDSS, full.strip_prefix(root.path()).unwrap())
            .unwrap()
            .get("healpix"),
        Some(&ParamValue::Int(3_145_727))
    );
    assert!(relative.to_str().unwrap().contains("/3145/3145727/"));
}

/// `OutputRoot::from_env` reads `ASTRA_OUTPUT_DIR` once per process, so each case runs in
/// a child process of this test binary.
#[test]
fn output_root_from_env() {
    const CHILD: &str = "ASTRA_PATH_TEST_CHILD";
    if let Ok(want) = std::env::var(CHILD) {
        assert_eq!(OutputRoot::from_env().path(), Path::new(&want));
        // Later changes to the environment are not seen.
        // SAFETY: the child runs this one test on one thread.
        unsafe { std::env::set_var(OutputRoot::ENV, "/elsewhere") };
        assert_eq!(OutputRoot::from_env().path(), Path::new(&want));
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for (env, want) in [
        (Some("/srv/astra-out"), "/srv/astra-out"),
        (None, OutputRoot::DEFAULT),
        (Some(""), OutputRoot::DEFAULT),
    ] {
        let mut cmd = std::process::Command::new(&exe);
        cmd.args(["--exact", "output_root_from_env", "--test-threads=1"])
            .env(CHILD, want);
        match env {
            Some(v) => cmd.env(OutputRoot::ENV, v),
            None => cmd.env_remove(OutputRoot::ENV),
        };
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "ASTRA_OUTPUT_DIR={env:?}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The task the derive generates for the SDSS layout.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "ThePayne",
    namespace = "thepayne",
    version = "1.0.0",
    table = "thepayne",
    path = "{astra_version}/{namespace}/star/{telescope}/{healpix|grp}/{healpix}/AstraSource-{redux}-{telescope}-{obj}-{task_short_id}.fits"
)]
pub struct DerivedPayne {
    /// Data reduction version
    pub redux: String,
    /// Telescope name
    pub telescope: String,
    /// HEALPix pixel
    pub healpix: i64,
    /// Object id
    pub obj: String,
    /// Worker threads
    #[astra(insignificant, default)]
    pub n_threads: u32,
}

#[test]
fn the_derive_renders_the_same_paths() {
    let mut rng = Rng(6);
    let root = OutputRoot::new("/out");
    for _ in 0..300 {
        let task = DerivedPayne {
            redux: good_string(&mut rng),
            telescope: plain_string(&mut rng),
            healpix: int_value(&mut rng),
            obj: good_string(&mut rng),
            n_threads: (rng.next() % 16) as u32,
        };
        let values = task.parameters().into_values();
        let hand = path::relative_path(&params(&SDSS, &values));
        let derived = task.relative_path();
        assert_eq!(format!("{hand:?}"), format!("{derived:?}"), "{task:?}");
        if let Ok(relative) = derived {
            assert_eq!(
                task.task_short_id(),
                astra_targets::identity::task_short_id(&params(&SDSS, &values))
            );
            let back = DerivedPayne::from_path(&root, &task.output_path(&root).unwrap()).unwrap();
            assert_eq!(
                back,
                DerivedPayne {
                    n_threads: 0,
                    ..task.clone()
                },
                "{relative:?}"
            );
        }
    }
    // A file outside the output root, or not of this template, is no task of this kind.
    for outside in [
        "/elsewhere/0.1.0/thepayne/star/a/0/1/AstraSource-b-a-c-thepayne-00000000.fits",
        "/out/notes.txt",
    ] {
        match DerivedPayne::from_path(&root, Path::new(outside)) {
            Err(Error::PathParse { family: "ThePayne", .. }) => {}
            other => panic!("{outside}: {other:?}"),
        }
    }
    let named: BTreeMap<String, ParamValue> = BTreeMap::new();
    assert!(DerivedPayne::from_parameters(&named).is_err());
}

/// A template built by hand that names a parameter the task does not have.
static BROKEN_PATH: PathTemplate = PathTemplate {
    text: "{run2d}/{ghost}.fits",
    segments: &[p(0), Segment::Literal("/"), p(3), Segment::Literal(".fits")],
};
static BROKEN: TaskMeta = meta("Broken", "broken", &LOSSY_PARAMS, &BROKEN_PATH);

/// Values that do not fit the task never reach a template (they are refused when the
/// parameters are built), and a template naming a missing parameter is refused by name
/// when rendering and parsing rather than indexing past the values.
#[test]
fn mismatched_values_and_templates_are_refused_not_panicking() {
    let short = Params::new(&SDSS, vec![ParamValue::Str("v6_1_3".into())]).unwrap_err();
    assert!(
        matches!(&short, Error::Parameter { family: "ThePayne", name, .. } if name == "telescope"),
        "{short:?}"
    );
    let values = vec![ParamValue::Str("v6_1_3".into()), ParamValue::F64(1.5)];
    let err = path::relative_path(&params(&BROKEN, &values)).unwrap_err();
    assert!(
        matches!(&err, Error::PathParse { family: "Broken", .. }) && err.to_string().contains("parameter #3"),
        "{err}"
    );
    let err = path::parse(&BROKEN, Path::new("v6_1_3/x.fits")).unwrap_err();
    assert!(err.to_string().contains("parameter #3"), "{err}");
}

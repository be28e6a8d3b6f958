//! Task ids agree with Python's computation of Astra's rule.
//!
//! Hundreds of parameter sets, generated deterministically over every parameter kind and
//! every hard case of the string forms (float layouts, NaN and infinities, extreme
//! integers, escapes, non-BMP characters), get their task ids from
//! `astra_targets::identity`; one Python process computes the same ids independently from
//! the raw values, with Python's own `str()`, `json.dumps(d, sort_keys=True,
//! separators=(',', ':'))` and `hashlib.md5`. Every id must match.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use astra_targets::identity::{param_hash, param_json, task_id, task_short_id};
use astra_targets::{Error, ParamKind, ParamMeta, ParamValue, Params, TaskMeta};
use astra_targets_tests::run_python;

/// Python's side: reads one parameter set per line, builds the dict itself from the raw
/// values, and prints `index md5 json` per set.
///
/// Raw values arrive losslessly: strings as lists of code points, integers as decimal
/// text, floats as the hex of their IEEE bits. An f32 becomes the Python float of its own
/// shortest decimal form (numpy's `unique=True` digits): the value an author writing
/// `0.1` for an f32 parameter means, so its `str()` is `0.1`.
const PYTHON: &str = r#"
import hashlib, json, struct, sys
import numpy

def value(kind, raw):
    if kind in ("str", "enum"):
        return "".join(map(chr, raw))
    if kind in ("int", "uint"):
        return int(raw)
    if kind == "f64":
        return struct.unpack(">d", bytes.fromhex(raw))[0]
    if kind == "f32":
        x = numpy.float32(struct.unpack(">f", bytes.fromhex(raw))[0])
        return float(numpy.format_float_scientific(x, unique=True))
    if kind == "bool":
        return bool(raw)
    raise ValueError(kind)

for line in sys.stdin:
    case = json.loads(line)
    d = {}
    for name, kind, significant, raw in case["params"]:
        if significant:
            d[name] = str(value(kind, raw))
    d["astra_version_major"] = case["major"]
    d["astra_version_minor"] = case["minor"]
    text = json.dumps(d, sort_keys=True, separators=(",", ":"))
    print(case["index"], hashlib.md5(text.encode("utf-8")).hexdigest(), text)
"#;

use astra_targets_tests::rng::Rng;

// Exact halfway values (…589.25, 2097152.25) are written in full on purpose.
#[allow(clippy::excessive_precision)]
const HARD_F64: &[f64] = &[
    1e20,
    1e-5,
    5e-324,
    -0.0,
    0.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e16,
    1e15,
    9999999999999998.0,
    1442863750845589.25,
    0.1,
    0.0001,
    0.00001234,
    1.0,
    -1.5,
    123.456,
    1e22,
    1e-7,
    2.5e-308,
    f64::MAX,
    f64::MIN_POSITIVE,
    f64::EPSILON,
    12345678.9,
    0.30000000000000004,
    1e100,
    -1e-100,
    4500.0,
    15100.0,
    std::f64::consts::PI,
];

#[allow(clippy::excessive_precision)]
const HARD_F32: &[f32] = &[
    0.1,
    1e-5,
    -0.0,
    0.0,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    1e16,
    1e15,
    1e7,
    16777216.0,
    2097152.25,
    1234567.0,
    0.0001,
    f32::MAX,
    f32::MIN_POSITIVE,
    1e-45,
    3.4e38,
    0.3,
    4500.5,
    -2.5e-7,
    1e20,
    1.0,
    100.0,
];

const HARD_INT: &[i64] = &[
    0,
    1,
    -1,
    i64::MAX,
    i64::MIN,
    1000,
    -1000,
    24316,
    1 << 53,
    -(1 << 53) - 1,
];
const HARD_UINT: &[u64] = &[0, 1, u64::MAX, i64::MAX as u64 + 1, 4_294_967_295, 8];

const HARD_STR: &[&str] = &[
    "",
    "apo25m",
    "2M00001023-0000126",
    "😀",
    "a😀b\u{10ffff}",
    "\u{1}",
    "\n",
    "\t",
    "\u{7f}",
    "\"quoted\"",
    "back\\slash",
    "é",
    "日本",
    "\r\u{8}\u{c}",
    "\u{0}",
    "\u{1f}",
    " ",
    "~",
    "\u{80}",
    "\u{ffff}",
    "\u{2028}",
    "{}",
    "'single'",
    "dr17",
    "a/b",
    "..",
    "True",
];

/// Characters random strings are made of.
const CHARS: &[char] = &[
    'a',
    'Z',
    '0',
    '9',
    '-',
    '_',
    '.',
    ' ',
    '/',
    '"',
    '\\',
    '\'',
    '\n',
    '\t',
    '\r',
    '\u{0}',
    '\u{1}',
    '\u{7f}',
    '\u{80}',
    'é',
    'ß',
    '日',
    '本',
    '😀',
    '𝔸',
    '\u{10ffff}',
    '\u{fffd}',
    '\u{2028}',
    '{',
    '}',
    ':',
    ',',
];

/// Parameter names, including ones whose byte order differs from a case-folded order.
const NAMES: &[&str] = &[
    "a",
    "B",
    "z_1",
    "astra_x",
    "Z",
    "_lead",
    "aa",
    "a_",
    "teff",
    "healpix",
    "obj",
    "telescope",
    "astra",
    "astra_version",
    "snr_min",
    "x9",
    "X9",
    "b",
];

const ENUM_VARIANTS: &[&str] = &["Apogee", "boss", "LCO-25m", "apo_1m", "é-variant", "😀"];

const KINDS: &[ParamKind] = &[
    ParamKind::Str,
    ParamKind::Int,
    ParamKind::UInt,
    ParamKind::F64,
    ParamKind::F32,
    ParamKind::Bool,
    ParamKind::Enum,
];

fn random_f64(rng: &mut Rng) -> f64 {
    match rng.below(6) {
        // Two shortest candidates equally near (ulp 0.25): Python picks the even digit.
        5 => (1u64 << 50 | rng.next() >> 14) as f64 + *rng.pick(&[0.25, 0.75, -0.25]),
        0 => *rng.pick(HARD_F64),
        1 => f64::from_bits(rng.next()),
        2 => (rng.next() % 2_000_000) as f64 / 10f64.powi(rng.below(8) as i32) - 1000.0,
        3 => 10f64.powi(rng.below(60) as i32 - 30),
        _ => (rng.next() as i64 as f64) * 1e-3,
    }
}

fn random_f32(rng: &mut Rng) -> f32 {
    match rng.below(6) {
        5 => (1u32 << 21 | (rng.next() as u32) >> 11) as f32 + *rng.pick(&[0.25f32, 0.75, -0.25]),
        0 => *rng.pick(HARD_F32),
        1 => f32::from_bits(rng.next() as u32),
        2 => ((rng.next() % 2_000_000) as f64 / 10f64.powi(rng.below(8) as i32)) as f32,
        3 => 10f32.powi(rng.below(60) as i32 - 30),
        _ => rng.next() as i32 as f32 * 0.25,
    }
}

fn random_string(rng: &mut Rng) -> String {
    if rng.chance(40) {
        return rng.pick(HARD_STR).to_string();
    }
    (0..rng.below(12)).map(|_| *rng.pick(CHARS)).collect()
}

fn random_value(rng: &mut Rng, kind: ParamKind) -> ParamValue {
    match kind {
        ParamKind::Str => ParamValue::Str(random_string(rng)),
        ParamKind::Enum => ParamValue::Enum(rng.pick(ENUM_VARIANTS).to_string()),
        ParamKind::Int => ParamValue::Int(match rng.below(3) {
            0 => *rng.pick(HARD_INT),
            1 => rng.next() as i64,
            _ => (rng.next() % 2001) as i64 - 1000,
        }),
        ParamKind::UInt => ParamValue::UInt(match rng.below(3) {
            0 => *rng.pick(HARD_UINT),
            1 => rng.next(),
            _ => rng.next() % 1000,
        }),
        ParamKind::F64 => ParamValue::F64(random_f64(rng)),
        ParamKind::F32 => ParamValue::F32(random_f32(rng)),
        ParamKind::Bool => ParamValue::Bool(rng.chance(50)),
    }
}

/// The parameters of a task of `meta` with these values (checked).
fn params(meta: &'static TaskMeta, values: &[ParamValue]) -> Params {
    Params::new(meta, values.to_vec()).unwrap_or_else(|e| panic!("{values:?}: {e}"))
}

/// One parameter set: its task metadata (leaked, as a derive's static would be) and values.
struct Case {
    meta: &'static TaskMeta,
    values: Vec<ParamValue>,
}

fn leak_meta(family: &'static str, namespace: &'static str, params: Vec<ParamMeta>) -> &'static TaskMeta {
    Box::leak(Box::new(TaskMeta {
        family,
        namespace,
        version: "0.0.1",
        description: "A task built by hand for the identity test.",
        rust_name: "identity_python::Hand",
        parameters: Box::leak(params.into_boxed_slice()),
        path: None,
        table: "hand",
        results_type: "()",
        results: &[],
    }))
}

fn param(name: &'static str, kind: ParamKind, significant: bool) -> ParamMeta {
    ParamMeta {
        name,
        rust_type: kind.doc_name(),
        kind,
        significant,
        description: "A parameter.",
    }
}

/// Sets that certainly hold every hard case, one kind at a time.
fn hard_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut one = |kind: ParamKind, values: Vec<ParamValue>| {
        for v in values {
            let meta = leak_meta(
                "Hard",
                "hard",
                vec![param("a", kind, true), param("B", ParamKind::Int, false)],
            );
            cases.push(Case {
                meta,
                values: vec![v, ParamValue::Int(7)],
            });
        }
    };
    one(ParamKind::F64, HARD_F64.iter().map(|x| ParamValue::F64(*x)).collect());
    one(ParamKind::F32, HARD_F32.iter().map(|x| ParamValue::F32(*x)).collect());
    one(ParamKind::Int, HARD_INT.iter().map(|x| ParamValue::Int(*x)).collect());
    one(
        ParamKind::UInt,
        HARD_UINT.iter().map(|x| ParamValue::UInt(*x)).collect(),
    );
    one(
        ParamKind::Str,
        HARD_STR.iter().map(|s| ParamValue::Str(s.to_string())).collect(),
    );
    one(
        ParamKind::Enum,
        ENUM_VARIANTS.iter().map(|s| ParamValue::Enum(s.to_string())).collect(),
    );
    one(ParamKind::Bool, vec![ParamValue::Bool(true), ParamValue::Bool(false)]);
    // Names that sort differently by bytes and by case-folding, all significant.
    let meta = leak_meta(
        "Names",
        "names",
        ["a", "B", "z_1", "astra_x", "Z", "_lead"]
            .iter()
            .map(|n| param(n, ParamKind::Str, true))
            .collect(),
    );
    let values = ["1", "2", "3", "4", "5", "6"]
        .iter()
        .map(|s| ParamValue::Str(s.to_string()))
        .collect();
    cases.push(Case { meta, values });
    // No significant parameter at all: only the version.
    let meta = leak_meta("Empty", "empty", vec![param("n_threads", ParamKind::UInt, false)]);
    cases.push(Case {
        meta,
        values: vec![ParamValue::UInt(4)],
    });
    cases
}

fn random_cases(rng: &mut Rng, count: usize) -> Vec<Case> {
    (0..count)
        .map(|_| {
            let n = 1 + rng.below(8);
            let mut names: Vec<&'static str> = Vec::new();
            while names.len() < n {
                let name = *rng.pick(NAMES);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            let params: Vec<ParamMeta> = names
                .iter()
                .map(|name| param(name, *rng.pick(KINDS), rng.chance(75)))
                .collect();
            let values = params.iter().map(|p| random_value(rng, p.kind)).collect();
            let meta = leak_meta("ThePayne", "thepayne", params);
            Case { meta, values }
        })
        .collect()
}

/// The raw value as JSON that loses nothing.
fn raw_json(value: &ParamValue) -> String {
    let code_points = |s: &str| {
        let list: Vec<String> = s.chars().map(|c| (c as u32).to_string()).collect();
        format!("[{}]", list.join(","))
    };
    match value {
        ParamValue::Str(s) | ParamValue::Enum(s) => code_points(s),
        ParamValue::Int(i) => format!("\"{i}\""),
        ParamValue::UInt(u) => format!("\"{u}\""),
        ParamValue::F64(x) => format!("\"{:016x}\"", x.to_bits()),
        ParamValue::F32(x) => format!("\"{:08x}\"", x.to_bits()),
        ParamValue::Bool(b) => b.to_string(),
    }
}

fn kind_name(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Str => "str",
        ParamKind::Enum => "enum",
        ParamKind::Int => "int",
        ParamKind::UInt => "uint",
        ParamKind::F64 => "f64",
        ParamKind::F32 => "f32",
        ParamKind::Bool => "bool",
    }
}

fn case_line(index: usize, case: &Case) -> String {
    let mut params = Vec::new();
    for (p, v) in case.meta.parameters.iter().zip(&case.values) {
        params.push(format!(
            "[\"{}\",\"{}\",{},{}]",
            p.name,
            kind_name(p.kind),
            p.significant,
            raw_json(v)
        ));
    }
    format!(
        "{{\"index\":{index},\"major\":\"{}\",\"minor\":\"{}\",\"params\":[{}]}}\n",
        astra_targets::ASTRA_VERSION_MAJOR,
        astra_targets::ASTRA_VERSION_MINOR,
        params.join(",")
    )
}

fn describe(case: &Case) -> String {
    let mut out = String::new();
    for (p, v) in case.meta.parameters.iter().zip(&case.values) {
        let _ = writeln!(
            out,
            "    {} ({:?}, significant: {}) = {v:?}",
            p.name, p.kind, p.significant
        );
    }
    out
}

#[test]
fn task_ids_match_python() {
    let mut rng = Rng(0x5eed_a57a_2021_0001);
    let mut cases = hard_cases();
    cases.extend(random_cases(&mut rng, 400));
    assert!(cases.len() >= 200, "only {} parameter sets", cases.len());

    let input: String = cases.iter().enumerate().map(|(i, c)| case_line(i, c)).collect();
    let output = run_python(PYTHON, &[], Some(&input));
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(
        lines.len(),
        cases.len(),
        "python answered {} of {} sets",
        lines.len(),
        cases.len()
    );

    let mut mismatches = Vec::new();
    for (i, (case, line)) in cases.iter().zip(&lines).enumerate() {
        let mut parts = line.splitn(3, ' ');
        let (index, md5, python_json) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        assert_eq!(index, i.to_string(), "python answered out of order");
        let ours_json = param_json(&params(case.meta, &case.values));
        let h = &md5[..8];
        let ok = ours_json == python_json
            && param_hash(&params(case.meta, &case.values)) == md5
            && task_id(&params(case.meta, &case.values)) == format!("{}_{h}", case.meta.family)
            && task_short_id(&params(case.meta, &case.values)) == format!("{}-{h}", case.meta.namespace);
        if !ok {
            mismatches.push(format!(
                "set {i}:\n{}  ours:   {ours_json} -> {}\n  python: {python_json} -> {}_{h}",
                describe(case),
                task_id(&params(case.meta, &case.values)),
                case.meta.family
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} task ids differ from Python's:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn insignificant_parameters_and_declaration_order_do_not_change_the_id() {
    let mut rng = Rng(42);
    for case in random_cases(&mut rng, 300) {
        let id = task_id(&params(case.meta, &case.values));
        // A new value for every insignificant parameter: same id.
        let changed: Vec<ParamValue> = case
            .meta
            .parameters
            .iter()
            .zip(&case.values)
            .map(|(p, v)| {
                if p.significant {
                    v.clone()
                } else {
                    random_value(&mut rng, p.kind)
                }
            })
            .collect();
        assert_eq!(
            task_id(&params(case.meta, &changed)),
            id,
            "insignificant change:\n{}",
            describe(&case)
        );
        // The same parameters declared in reverse order: same id.
        let reversed = leak_meta(
            case.meta.family,
            case.meta.namespace,
            case.meta.parameters.iter().rev().copied().collect(),
        );
        let values: Vec<ParamValue> = case.values.iter().rev().cloned().collect();
        assert_eq!(
            task_id(&params(reversed, &values)),
            id,
            "reversed declaration:\n{}",
            describe(&case)
        );
        // A different value of a significant parameter: a different hash input.
        if let Some(i) = case
            .meta
            .parameters
            .iter()
            .position(|p| p.significant && p.kind == ParamKind::Int)
        {
            let mut other = case.values.clone();
            let ParamValue::Int(n) = other[i] else { unreachable!() };
            other[i] = ParamValue::Int(n.wrapping_add(1));
            assert_ne!(
                param_json(&params(case.meta, &other)),
                param_json(&params(case.meta, &case.values))
            );
            assert_ne!(
                param_hash(&params(case.meta, &other)),
                param_hash(&params(case.meta, &case.values))
            );
        }
    }
}

#[test]
fn known_ids_of_a_thepayne_like_task() {
    // The JSON text of a typical task, spelt out: what Astra hashed.
    let meta = leak_meta(
        "ThePayne",
        "thepayne",
        vec![
            param("telescope", ParamKind::Str, true),
            param("healpix", ParamKind::Int, true),
            param("snr_min", ParamKind::F64, true),
            param("n_threads", ParamKind::UInt, false),
        ],
    );
    let values = vec![
        ParamValue::Str("apo25m".into()),
        ParamValue::Int(24316),
        ParamValue::F64(1e-5),
        ParamValue::UInt(8),
    ];
    let (major, minor) = (astra_targets::ASTRA_VERSION_MAJOR, astra_targets::ASTRA_VERSION_MINOR);
    assert_eq!(
        param_json(&params(meta, &values)),
        format!(
            r#"{{"astra_version_major":"{major}","astra_version_minor":"{minor}","healpix":"24316","snr_min":"1e-05","telescope":"apo25m"}}"#
        )
    );
    let id = task_id(&params(meta, &values));
    assert!(id.starts_with("ThePayne_") && id.len() == "ThePayne_".len() + 8, "{id}");
    assert_eq!(
        task_short_id(&params(meta, &values)),
        format!("thepayne-{}", &id["ThePayne_".len()..])
    );
}

/// A value list that does not fit the task is refused, naming the task and the parameter:
/// no id is computed from fewer (or ill-kinded) values.
#[test]
fn values_that_do_not_fit_the_task_are_refused() {
    let meta = leak_meta(
        "ThePayne",
        "thepayne",
        vec![
            param("telescope", ParamKind::Str, true),
            param("healpix", ParamKind::Int, true),
            param("snr_min", ParamKind::F64, true),
        ],
    );
    let full = vec![
        ParamValue::Str("apo25m".into()),
        ParamValue::Int(24316),
        ParamValue::F64(1e-5),
    ];
    assert!(Params::new(meta, full.clone()).is_ok());

    let short = Params::new(meta, full[..2].to_vec()).unwrap_err();
    assert!(
        matches!(&short, Error::Parameter { family: "ThePayne", name, .. } if name == "snr_min"),
        "{short:?}"
    );
    let text = short.to_string();
    assert!(
        text.contains("ThePayne") && text.contains("`snr_min`") && text.contains("missing"),
        "{text}"
    );

    let mut long = full.clone();
    long.push(ParamValue::Bool(true));
    let text = Params::new(meta, long).unwrap_err().to_string();
    assert!(
        text.contains("ThePayne") && text.contains("4 values") && text.contains("3 parameters"),
        "{text}"
    );

    let mut ill = full.clone();
    ill[1] = ParamValue::Str("24316".into());
    let err = Params::new(meta, ill).unwrap_err();
    assert!(
        matches!(&err, Error::Parameter { name, .. } if name == "healpix"),
        "{err:?}"
    );
    assert!(err.to_string().contains("not a int"), "{err}");

    // Parsing named text goes through the same check.
    let named = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let parsed = Params::parse(
        meta,
        &named(&[("telescope", "apo25m"), ("healpix", "24316"), ("snr_min", "1e-05")]),
    )
    .unwrap();
    assert_eq!(parsed.values(), &full[..]);
    assert_eq!(task_id(&parsed), task_id(&params(meta, &full)));
    let err = Params::parse(meta, &named(&[("telescope", "apo25m"), ("healpix", "24316")])).unwrap_err();
    assert!(err.to_string().contains("`snr_min` is missing"), "{err}");
    let err = Params::parse(
        meta,
        &named(&[("telescope", "apo25m"), ("healpix", "x"), ("snr_min", "1")]),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("`healpix`") && err.to_string().contains("\"x\""),
        "{err}"
    );
}

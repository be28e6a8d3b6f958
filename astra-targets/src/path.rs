//! Output paths: templates over a task's parameters, rendered under an output root and
//! parsed back into parameters.
//!
//! A template such as
//! `{astra_version}/{namespace}/{healpix|grp}/{healpix}/AstraSource-{obj}-{task_short_id}.fits`
//! is parsed and checked by `#[derive(AstraTask)]` at compile time; at run time it exists
//! as a [`PathTemplate`], a list of [`Segment`]s. Syntax: `{name}`, `{name:spec}`,
//! `{name|func}`, `{name|func:spec}`, where `spec` is Rust's format spec restricted to what
//! fits the value's type, and `func` is one of the [`PathFunc`]s.
//!
//! Every rendered value must stay inside its path segment: a value holding `/` or NUL, an
//! empty value, `.` and `..` are refused, so no parameter can write outside the output
//! root. A rendered path is parsed back before it is returned, and a value that would make
//! the path ambiguous (a value holding the template's own separator where nothing else
//! settles where it ends) is refused: every path this module returns parses back into the
//! parameters it came from. A padded value (`{run2d:_<8}`) reads back with as much of
//! the padding removed as possible, so a value whose own edge holds the fill character
//! (`v5_`) is refused rather than read back as another value (`v5`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::meta::{Params, TaskMeta};
use crate::param::{ParamKind, ParamValue};
pub use crate::template::{Align, PathFunc, PathTemplate, Segment, Source, Spec};
use crate::{Error, Result};

/// The folder under which astraSource paths resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRoot(PathBuf);

impl OutputRoot {
    /// The environment variable naming the output root.
    pub const ENV: &'static str = "ASTRA_OUTPUT_DIR";
    /// The output root when nothing else is configured.
    pub const DEFAULT: &'static str = "astra-output";

    /// An output root at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        OutputRoot(path.into())
    }

    /// The output root from `ASTRA_OUTPUT_DIR`, read once per process (later changes to
    /// the environment are not seen), or `./astra-output`.
    pub fn from_env() -> Self {
        static ROOT: OnceLock<PathBuf> = OnceLock::new();
        let root = ROOT.get_or_init(|| match std::env::var_os(Self::ENV) {
            Some(v) if !v.is_empty() => PathBuf::from(v),
            _ => PathBuf::from(Self::DEFAULT),
        });
        OutputRoot(root.clone())
    }

    /// The root folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

/// The value of `kind` that `piece` holds under `spec`, if any: the value that renders to
/// exactly `piece` with the most padding removed.
///
/// Padding can hide where a value begins or ends (`v5` and `v5_` both pad to `v5______`
/// with `_<8`): the reading is the one without fill characters, and rendering refuses a
/// value that would be read otherwise (its path would not parse back).
fn field_reading(kind: ParamKind, spec: &Spec, piece: &str) -> Option<ParamValue> {
    let numeric = matches!(kind, ParamKind::Int | ParamKind::UInt | ParamKind::F64 | ParamKind::F32);
    let mut texts = spec.unpadded(piece, numeric);
    texts.sort_by_key(String::len);
    texts.into_iter().find_map(|text| {
        let text = if spec.plus {
            text.strip_prefix('+').unwrap_or(&text)
        } else {
            text.as_str()
        };
        ParamValue::parse(kind, text).filter(|value| format_value(value, spec) == piece)
    })
}

/// The astraSource path (relative to the output root) of a task with these parameters.
///
/// Refused, naming the parameter and its value, when a value would leave its path segment
/// or the path would not parse back into the same parameters; refused when the task
/// declares no path template.
pub fn relative_path(params: &Params) -> Result<PathBuf> {
    let meta = params.meta();
    let template = meta.path.ok_or(Error::NoPathTemplate(meta.family))?;
    check_indices(meta, template)?;
    render(meta, template, params)
}

/// Every `Source::Param` of the template names a parameter of the task (a template built
/// by hand may not).
fn check_indices(meta: &TaskMeta, template: &PathTemplate) -> Result<()> {
    for segment in template.segments {
        if let Segment::Field {
            source: Source::Param(i),
            ..
        } = segment
            && *i >= meta.parameters.len()
        {
            return Err(Error::PathParse {
                family: meta.family,
                template: template.text,
                path: PathBuf::new(),
                reason: format!(
                    "the template refers to parameter #{i}, but the task has {} parameters",
                    meta.parameters.len()
                ),
            });
        }
    }
    Ok(())
}

fn render(meta: &'static TaskMeta, template: &'static PathTemplate, params: &Params) -> Result<PathBuf> {
    let values = params.values();
    let ids = crate::identity::ids(params);
    let mut out = String::new();
    for segment in template.segments {
        match segment {
            Segment::Literal(text) => out.push_str(text),
            Segment::Field { source, func, spec } => {
                // The raw value is judged too: padding must not turn `.` into a name.
                if let (Source::Param(i), None) = (source, func) {
                    check_segment(meta, meta.parameters[*i].name, &values[*i].python_str(), false)?;
                }
                let (name, text) = render_field(meta, values, &ids, *source, *func, spec)?;
                check_segment(meta, name, &text, func.is_some())?;
                out.push_str(&text);
            }
        }
    }
    // Each value was checked to stay in its segment; this guards the template's own
    // pieces too: the path is relative and every folder a real name.
    if out.starts_with('/') || out.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return Err(Error::PathValue {
            family: meta.family,
            name: "(template)",
            value: out.clone(),
            reason: format!("leaves the output root under the template {:?}", template.text),
        });
    }
    if template.is_lossy() {
        return Ok(PathBuf::from(out));
    }
    let parsed = parse_all(meta, template, &out, 2);
    let faithful = parsed.len() == 1
        && parsed[0]
            .iter()
            .all(|(name, v)| meta.parameter(name).is_some_and(|(i, _)| same(&values[i], v)));
    if !faithful {
        let (name, value, why) = culprit(template, meta, values);
        let reading = if parsed.is_empty() {
            "would not parse back"
        } else {
            "could be read in more than one way"
        };
        return Err(Error::PathValue {
            family: meta.family,
            name,
            value,
            reason: format!(
                "{why}, so the path {out:?} {reading} under the template {:?}",
                template.text
            ),
        });
    }
    Ok(PathBuf::from(out))
}

/// The parameter to blame when a rendered path does not read back uniquely: one whose
/// padding hides where it begins or ends, else a text value holding a separator of the
/// template, else the first text value placed next to another field.
fn culprit(template: &PathTemplate, meta: &TaskMeta, values: &[ParamValue]) -> (&'static str, String, &'static str) {
    for segment in template.segments {
        if let Segment::Field {
            source: Source::Param(i),
            func: None,
            spec,
        } = segment
        {
            let piece = format_value(&values[*i], spec);
            let reading = field_reading(meta.parameters[*i].kind, spec, &piece);
            if !reading.is_some_and(|r| same(&r, &values[*i])) {
                return (
                    meta.parameters[*i].name,
                    values[*i].python_str(),
                    "cannot be told from its padding",
                );
            }
        }
    }
    let separator = meta.parameters.iter().zip(values).find(|(_, v)| {
        v.as_str()
            .is_some_and(|s| template.separators().any(|sep| s.contains(sep)))
    });
    if let Some((p, v)) = separator {
        return (p.name, v.python_str(), "holds a separator of the template");
    }
    let text = template.segments.iter().find_map(|s| match s {
        Segment::Field {
            source: Source::Param(i),
            ..
        } if values[*i].as_str().is_some() => Some(*i),
        _ => None,
    });
    match text {
        Some(i) => (
            meta.parameters[i].name,
            values[i].python_str(),
            "runs into the next field",
        ),
        None => ("(template)", String::new(), "the values run into each other"),
    }
}

/// Floats compare by bits (so NaN equals NaN and -0.0 differs from 0.0).
fn same(a: &ParamValue, b: &ParamValue) -> bool {
    match (a, b) {
        (ParamValue::F64(x), ParamValue::F64(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (ParamValue::F32(x), ParamValue::F32(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

fn render_field(
    meta: &'static TaskMeta,
    values: &[ParamValue],
    ids: &crate::identity::TaskIds,
    source: Source,
    func: Option<PathFunc>,
    spec: &Spec,
) -> Result<(&'static str, String)> {
    let (name, value) = match source {
        Source::Param(i) => (meta.parameters[i].name, values[i].clone()),
        Source::TaskId => ("task_id", ParamValue::Str(ids.task_id.clone())),
        Source::TaskShortId => ("task_short_id", ParamValue::Str(ids.task_short_id.clone())),
        Source::Family => ("family", ParamValue::Str(meta.family.into())),
        Source::Namespace => ("namespace", ParamValue::Str(meta.namespace.into())),
        Source::AstraVersion => ("astra_version", ParamValue::Str(crate::ASTRA_VERSION.into())),
    };
    let refuse = |reason: &str| Error::PathValue {
        family: meta.family,
        name,
        value: value.python_str(),
        reason: reason.into(),
    };
    let value = match func {
        None => value,
        Some(f) => {
            let n = value
                .as_i64()
                .ok_or_else(|| refuse("is not an integer that fits in i64"))?;
            match f {
                PathFunc::Grp => ParamValue::Int(n.div_euclid(1000)),
                PathFunc::SdssIdGroups => {
                    if n < 0 {
                        return Err(refuse("is negative: SDSS ids are not"));
                    }
                    return Ok((name, format!("{:02}/{:02}", (n / 100) % 100, n % 100)));
                }
            }
        }
    };
    Ok((name, format_value(&value, spec)))
}

fn format_value(value: &ParamValue, spec: &Spec) -> String {
    let numeric = matches!(
        value,
        ParamValue::Int(_) | ParamValue::UInt(_) | ParamValue::F64(_) | ParamValue::F32(_)
    );
    let mut text = match (value, spec.precision) {
        (ParamValue::F64(x), Some(p)) => format!("{x:.p$}"),
        (ParamValue::F32(x), Some(p)) => format!("{x:.p$}"),
        (v, _) => v.python_str(),
    };
    if spec.plus && numeric && !text.starts_with('-') {
        text.insert(0, '+');
    }
    spec.apply(text, numeric)
}

fn check_segment(meta: &TaskMeta, name: &'static str, text: &str, from_func: bool) -> Result<()> {
    let reason = if text.is_empty() {
        Some("is empty, which would leave an empty path segment")
    } else if text.contains('\0') {
        Some("holds a NUL character")
    } else if !from_func && text.contains('/') {
        Some("holds '/', which would leave its path segment")
    } else if !from_func && text.contains('\\') {
        Some("holds '\\', which is not allowed in a path segment")
    } else if text == "." || text == ".." {
        Some("is a relative folder name, which would leave the output root")
    } else {
        None
    };
    match reason {
        Some(r) => Err(Error::PathValue {
            family: meta.family,
            name,
            value: text.to_string(),
            reason: r.into(),
        }),
        None => Ok(()),
    }
}

/// Parses a path (relative to the output root) back into the named parameters it holds.
pub fn parse(meta: &'static TaskMeta, relative: &Path) -> Result<BTreeMap<String, ParamValue>> {
    let template = meta.path.ok_or(Error::NoPathTemplate(meta.family))?;
    check_indices(meta, template)?;
    let fail = |reason: String| Error::PathParse {
        family: meta.family,
        template: template.text,
        path: relative.to_path_buf(),
        reason,
    };
    if template.is_lossy() {
        return Err(fail(
            "the template writes a float with a precision, so its paths cannot be read back".into(),
        ));
    }
    let text = relative
        .to_str()
        .ok_or_else(|| fail("the path is not valid UTF-8".into()))?;
    let mut found = parse_all(meta, template, text, 2);
    match found.len() {
        0 => Err(fail("no reading of the path fits the template".into())),
        1 => Ok(found.remove(0).into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
        _ => Err(fail("the path can be read in more than one way".into())),
    }
}

type Bindings = Vec<(&'static str, ParamValue)>;

/// Every distinct reading of `text` by the template, up to `limit`.
fn parse_all(meta: &'static TaskMeta, template: &'static PathTemplate, text: &str, limit: usize) -> Vec<Bindings> {
    let mut state = ParseState {
        meta,
        segments: template.segments,
        out: Vec::new(),
        limit,
        checks: Vec::new(),
    };
    state.walk(0, text, &mut Vec::new());
    state.out
}

struct ParseState<'t> {
    meta: &'static TaskMeta,
    segments: &'static [Segment],
    out: Vec<Bindings>,
    limit: usize,
    /// Pieces of text that must equal what a function or built-in renders to, checked once
    /// every parameter is read.
    checks: Vec<(usize, &'t str)>,
}

impl<'t> ParseState<'t> {
    fn walk(&mut self, index: usize, rest: &'t str, bound: &mut Bindings) {
        if self.out.len() >= self.limit {
            return;
        }
        let Some(segment) = self.segments.get(index) else {
            if rest.is_empty() && self.deferred_checks_pass(bound) && !self.out.contains(bound) {
                self.out.push(bound.clone());
            }
            return;
        };
        match segment {
            Segment::Literal(lit) => {
                if let Some(r) = rest.strip_prefix(lit) {
                    self.walk(index + 1, r, bound);
                }
            }
            Segment::Field { source, func, spec } => {
                for end in self.candidate_ends(index, rest, func.is_some()) {
                    let piece = &rest[..end];
                    if piece.is_empty() {
                        continue;
                    }
                    match (source, func) {
                        (Source::Param(i), None) => {
                            let p = &self.meta.parameters[*i];
                            // Only values that rendering accepts: a path holding `..` as a
                            // value does not parse.
                            let reading = field_reading(p.kind, spec, piece).filter(|v| {
                                check_segment(self.meta, p.name, &v.python_str(), false).is_ok()
                                    && check_segment(self.meta, p.name, piece, false).is_ok()
                            });
                            if let Some(value) = reading {
                                if let Some((_, old)) = bound.iter().find(|(n, _)| *n == p.name) {
                                    if same(old, &value) {
                                        self.walk(index + 1, &rest[end..], bound);
                                    }
                                } else {
                                    bound.push((p.name, value));
                                    self.walk(index + 1, &rest[end..], bound);
                                    bound.pop();
                                }
                            }
                        }
                        _ => {
                            self.checks.push((index, piece));
                            self.walk(index + 1, &rest[end..], bound);
                            self.checks.pop();
                        }
                    }
                }
            }
        }
    }

    /// Where the text of the field at `index` may end: at each occurrence of the next
    /// literal, within the current folder (functions may span folders).
    fn candidate_ends(&self, index: usize, rest: &str, may_span: bool) -> Vec<usize> {
        let limit = if may_span {
            rest.len()
        } else {
            rest.find('/').unwrap_or(rest.len())
        };
        match self.segments.get(index + 1) {
            None => {
                if limit == rest.len() {
                    vec![rest.len()]
                } else {
                    vec![]
                }
            }
            // Every occurrence, overlapping ones too (`--` occurs twice in `---`).
            Some(Segment::Literal(lit)) => (0..=limit.min(rest.len()))
                .filter(|i| rest.is_char_boundary(*i) && rest[*i..].starts_with(lit))
                .collect(),
            Some(Segment::Field { .. }) => (1..=limit).filter(|i| rest.is_char_boundary(*i)).collect(),
        }
    }

    /// Checks built-ins and function outputs against what the read parameters render to.
    /// Ids are checked once every significant parameter is read (insignificant ones do not
    /// change them); a function's output once its parameter is read.
    fn deferred_checks_pass(&self, bound: &Bindings) -> bool {
        let meta = self.meta;
        let lookup = |name: &str| bound.iter().find(|(n, _)| *n == name).map(|b| &b.1);
        let ids_known = meta.significant_parameters().all(|p| lookup(p.name).is_some());
        // Unread parameters get a placeholder: only checks that do not depend on them run.
        let filled: Vec<ParamValue> = meta
            .parameters
            .iter()
            .map(|p| lookup(p.name).cloned().unwrap_or_else(|| placeholder(p.kind)))
            .collect();
        // Every value was read as its parameter's kind, so this is always `Ok`.
        let Ok(params) = Params::new(meta, filled) else {
            return false;
        };
        let ids = crate::identity::ids(&params);
        let filled = params.values();
        self.checks.iter().all(|(index, piece)| {
            let Segment::Field { source, func, spec } = &self.segments[*index] else {
                return false;
            };
            let hex8 = |s: &str| s.len() == crate::identity::HASH_DIGITS && s.bytes().all(|b| b.is_ascii_hexdigit());
            let shape_ok = match source {
                Source::TaskId => piece
                    .strip_prefix(meta.family)
                    .and_then(|r| r.strip_prefix('_'))
                    .is_some_and(hex8),
                Source::TaskShortId => piece
                    .strip_prefix(meta.namespace)
                    .and_then(|r| r.strip_prefix('-'))
                    .is_some_and(hex8),
                _ => true,
            };
            if !shape_ok {
                return false;
            }
            let checkable = match source {
                Source::Param(i) => lookup(meta.parameters[*i].name).is_some(),
                Source::TaskId | Source::TaskShortId => ids_known,
                _ => true,
            };
            if !checkable {
                return true;
            }
            matches!(render_field(meta, filled, &ids, *source, *func, spec), Ok((_, t)) if t == *piece)
        })
    }
}

/// A value of `kind`, standing in for a parameter the path does not hold.
fn placeholder(kind: ParamKind) -> ParamValue {
    match kind {
        ParamKind::Str => ParamValue::Str(String::new()),
        ParamKind::Enum => ParamValue::Enum(String::new()),
        ParamKind::Int => ParamValue::Int(0),
        ParamKind::UInt => ParamValue::UInt(0),
        ParamKind::F64 => ParamValue::F64(0.0),
        ParamKind::F32 => ParamValue::F32(0.0),
        ParamKind::Bool => ParamValue::Bool(false),
    }
}

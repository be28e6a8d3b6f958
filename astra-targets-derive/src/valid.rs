//! Validation of the model: everything that can be checked at compile time is checked
//! here, each error spanned at the attribute or field that caused it.

use proc_macro2::Span;
use quote::ToTokens;
use syn::LitStr;

use crate::ast::{ParamEnum, Results, Task};
use crate::ctxt::Ctxt;
use crate::ident;
use crate::template::{self, Piece, Spec};
use crate::ty::{self, ColumnType, ParamKind, Scalar};
use crate::unit;

/// The longest description that fits a FITS comment (`TCOMMn`).
pub const MAX_DESCRIPTION: usize = 68;

/// The built-in names of path templates.
pub const BUILTINS: &[&str] = &["task_id", "task_short_id", "family", "namespace", "astra_version"];

/// The functions of path templates.
pub const FUNCTIONS: &[&str] = &["grp", "sdss_id_groups"];

/// A validated task: the values the expansion needs.
pub struct ValidTask {
    pub family: String,
    pub namespace: String,
    pub table: String,
    pub path: Option<(String, Vec<Segment>)>,
}

/// A resolved template segment.
pub enum Segment {
    Literal(String),
    Field {
        source: Source,
        func: Option<String>,
        spec: Spec,
    },
}

/// Where a resolved field's value comes from.
pub enum Source {
    Param(usize),
    Builtin(&'static str),
}

/// A validated parameter enum: each variant's name, in declaration order.
pub struct ValidEnum {
    pub names: Vec<String>,
}

/// The `rename_all` rules of `#[astra(...)]`.
const ASTRA_RULES: &[&str] = &[
    "lowercase",
    "UPPERCASE",
    "snake_case",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
];

/// A validated result struct: each column's type and name, and the named bits of each
/// (none for a column that is not a bitmask).
pub struct ValidResults {
    pub columns: Vec<(String, ColumnType)>,
    pub flags: Vec<Vec<ValidFlag>>,
}

/// A validated bit of a bitmask column.
pub struct ValidFlag {
    pub name: String,
    pub bit: u8,
    pub description: String,
    /// The name of the associated constant holding the bit's mask: `{COLUMN}_{NAME}`.
    pub constant: syn::Ident,
}

/// The longest bit name: the value of the bit's FITS card, with room left for the
/// description as the card's comment.
pub const MAX_FLAG_NAME: usize = 18;

/// The longest bit description: the comment of the bit's FITS card, whole.
pub const MAX_FLAG_DESCRIPTION: usize = 47;

/// The number of bits of a bitmask column's integer type; `None` for other types.
fn bit_width(ctype: &ColumnType) -> Option<u32> {
    if !ctype.shape.is_empty() {
        return None;
    }
    match ctype.scalar {
        Scalar::U8 => Some(8),
        Scalar::I16 => Some(16),
        Scalar::I32 => Some(32),
        Scalar::I64 => Some(64),
        _ => None,
    }
}

/// Validates the named bits of column `name` against its type (when it is known).
fn flags(
    cx: &mut Ctxt,
    column: &crate::ast::Column,
    name: &str,
    ctype: Option<&ColumnType>,
    constants: &mut Vec<(String, String)>,
) -> Vec<ValidFlag> {
    let Some((key, bits)) = &column.attrs.flags else {
        return Vec::new();
    };
    let width = match ctype.map(bit_width) {
        Some(Some(w)) => Some(w),
        Some(None) => {
            cx.error_spanned_by(
                key,
                format!(
                    "column `{name}` has named bits but its type is `{}`: `flags` is for integer columns (u8, i16, \
                     i32, i64 or an Option of one)",
                    column.ty.to_token_stream().to_string().replace(' ', ""),
                ),
            );
            None
        }
        None => None,
    };
    if bits.is_empty() {
        cx.error_spanned_by(key, format!("`flags` of column `{name}` names no bit"));
    }
    let mut out: Vec<ValidFlag> = Vec::new();
    let mut fine = true;
    for b in bits {
        let bit_name = match b.name.get_ident() {
            Some(i) => i.to_string(),
            None => {
                cx.error_spanned_by(&b.name, "a bit's name is one identifier");
                fine = false;
                continue;
            }
        };
        let good_name = bit_name.len() <= MAX_FLAG_NAME
            && bit_name.starts_with(|c: char| c.is_ascii_uppercase())
            && bit_name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !good_name {
            cx.error_spanned_by(
                &b.name,
                format!(
                    "bit name `{bit_name}` of column `{name}`: a bit's name is 1 to {MAX_FLAG_NAME} upper-case \
                     letters, digits and `_`, starting with a letter (as `LOW_SNR`)"
                ),
            );
            fine = false;
        }
        let bit = match b.bit.base10_parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                cx.error_spanned_by(
                    &b.bit,
                    format!("bit `{bit_name}`: the bit number is a non-negative integer"),
                );
                fine = false;
                continue;
            }
        };
        if let Some(w) = width
            && bit >= w
        {
            cx.error_spanned_by(
                &b.bit,
                format!(
                    "bit `{bit_name}` is bit {bit}, beyond column `{name}`'s {w} bits (0 to {})",
                    w - 1
                ),
            );
            fine = false;
        }
        let description = b.description.value();
        if description.is_empty() {
            cx.error_spanned_by(&b.description, format!("bit `{bit_name}` needs a description"));
        }
        if let Some(c) = description.chars().find(|c| !(' '..='~').contains(c)) {
            cx.error_spanned_by(
                &b.description,
                format!("the description of bit `{bit_name}` holds {c:?}: FITS text is printable ASCII only"),
            );
        }
        let len = description.chars().count();
        if len > MAX_FLAG_DESCRIPTION {
            cx.error_spanned_by(
                &b.description,
                format!(
                    "the description of bit `{bit_name}` is {len} characters long; the comment of its FITS card \
                     holds at most {MAX_FLAG_DESCRIPTION}"
                ),
            );
        }
        let twice = out.iter().find(|f| f.name == bit_name).map(|f| f.bit);
        if let Some(first) = twice {
            cx.error_spanned_by(
                &b.name,
                format!("column `{name}` names two bits `{bit_name}` (bits {first} and {bit})"),
            );
            fine = false;
        }
        if let Some(first) = out.iter().find(|f| u32::from(f.bit) == bit) {
            cx.error_spanned_by(
                &b.bit,
                format!(
                    "bit {bit} of column `{name}` is named twice: `{}` and `{bit_name}`",
                    first.name
                ),
            );
            fine = false;
        }
        let constant = format!("{}_{bit_name}", name.to_ascii_uppercase());
        if let Some((_, other)) = constants.iter().find(|(c, _)| *c == constant)
            && good_name
            && twice.is_none()
        {
            cx.error_spanned_by(
                &b.name,
                format!(
                    "bit `{bit_name}` of column `{name}` makes the constant `{constant}`, which {other} makes too: \
                     rename one of the two"
                ),
            );
        }
        constants.push((constant.clone(), format!("bit `{bit_name}` of column `{name}`")));
        if good_name && bit < 64 {
            out.push(ValidFlag {
                name: bit_name,
                bit: bit as u8,
                description,
                constant: syn::Ident::new(&constant, b.name.get_ident().map_or_else(Span::call_site, |i| i.span())),
            });
        }
    }
    if !fine {
        out.clear();
    }
    out
}

fn check_description(cx: &mut Ctxt, doc: &str, spanned: impl ToTokens, what: &str) {
    if let Some(c) = doc.chars().find(|c| !(' '..='~').contains(c)) {
        cx.error_spanned_by(
            &spanned,
            format!("the description of {what} holds {c:?}: FITS text is printable ASCII only"),
        );
    }
    let len = doc.chars().count();
    if len > MAX_DESCRIPTION {
        cx.error_spanned_by(
            &spanned,
            format!(
                "the description of {what} is {len} characters long; a FITS comment holds at most {MAX_DESCRIPTION}"
            ),
        );
    }
}

/// Validates a task declaration.
pub fn task(cx: &mut Ctxt, task: &Task) -> ValidTask {
    let name = task.ident.to_string();
    let family = task
        .attrs
        .family
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| name.clone());
    if let Some(lit) = &task.attrs.family
        && (family.is_empty() || !family.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        cx.error_spanned_by(lit, format!("family `{family}` must be ASCII letters, digits and `_`"));
    }
    let namespace = task
        .attrs
        .namespace
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| family.to_ascii_lowercase());
    if let Some(lit) = &task.attrs.namespace
        && (namespace.is_empty()
            || !namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
    {
        cx.error_spanned_by(
            lit,
            format!("namespace `{namespace}` must be ASCII letters, digits, `_`, `-` or `.`"),
        );
    }
    let table = task
        .attrs
        .table
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| ident::snake_case(&family));
    if let Some(problem) = ident::sql_identifier_problem(&table) {
        match &task.attrs.table {
            Some(lit) => cx.error_spanned_by(lit, format!("table name: {problem}")),
            None => cx.error_spanned_by(
                task.ident,
                format!("the default table name: {problem}; set #[astra(table = \"...\")]"),
            ),
        }
    }
    let mut kinds = Vec::new();
    for p in &task.params {
        let field = p.ident.to_string();
        if field == "astra_version_major" || field == "astra_version_minor" {
            cx.error_spanned_by(
                p.ident,
                format!("`{field}` is reserved: the framework adds it to every task id"),
            );
        }
        match ty::param_kind(p.ty, p.attrs.is_enum) {
            Ok(k) => kinds.push(k),
            Err(reason) => {
                cx.error_spanned_by(p.ty, format!("parameter `{field}`: {reason}"));
                kinds.push(ParamKind::Str);
            }
        }
        if let Some(doc) = p.doc_attr {
            check_description(cx, &p.doc, doc, &format!("parameter `{field}`"));
        }
    }
    let path = task
        .attrs
        .path
        .as_ref()
        .map(|lit| (lit.value(), template_segments(cx, task, &kinds, lit)));
    ValidTask {
        family,
        namespace,
        table,
        path,
    }
}

fn template_segments(cx: &mut Ctxt, task: &Task, kinds: &[ParamKind], lit: &LitStr) -> Vec<Segment> {
    let text = lit.value();
    if text.starts_with('/') {
        cx.error_spanned_by(
            lit,
            "the path template must be relative: it resolves under the output root",
        );
    }
    if text.split('/').any(|part| part == ".." || part == ".") {
        cx.error_spanned_by(
            lit,
            "the path template may not hold `.` or `..` folders: paths stay under the output root",
        );
    }
    let pieces = match template::parse(&text) {
        Ok(p) => p,
        Err(e) => {
            cx.error_spanned_by(lit, e);
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut fine = true;
    for piece in pieces {
        let f = match piece {
            Piece::Literal(text) => {
                out.push(Segment::Literal(text));
                continue;
            }
            Piece::Field(f) => f,
        };
        let (source, kind) = match task.params.iter().position(|p| *p.ident == f.name) {
            Some(i) => (Source::Param(i), kinds[i]),
            None => match BUILTINS.iter().find(|b| **b == f.name) {
                Some(b) => (Source::Builtin(b), ParamKind::Str),
                None => {
                    let mut names: Vec<String> = task.params.iter().map(|p| p.ident.to_string()).collect();
                    names.extend(BUILTINS.iter().map(|b| b.to_string()));
                    cx.error_spanned_by(
                        lit,
                        format!(
                            "path template: `{}` names no parameter of {}; known names: {}",
                            f.raw,
                            task.ident,
                            names.join(", ")
                        ),
                    );
                    fine = false;
                    continue;
                }
            },
        };
        let value_kind = match f.func.as_deref() {
            None => kind,
            Some(func) if !FUNCTIONS.contains(&func) => {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "path template: `{}`: unknown function `{func}`; known: {}",
                        f.raw,
                        FUNCTIONS.join(", ")
                    ),
                );
                fine = false;
                continue;
            }
            Some(func) if !kind.is_integer() => {
                cx.error_spanned_by(
                    lit,
                    format!("path template: `{}`: `{func}` takes an integer parameter", f.raw),
                );
                fine = false;
                continue;
            }
            Some("sdss_id_groups") if f.has_spec => {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "path template: `{}`: `sdss_id_groups` writes two fixed folders and takes no format spec",
                        f.raw
                    ),
                );
                fine = false;
                continue;
            }
            Some(_) => ParamKind::Int,
        };
        if let Some(problem) = spec_problem(&f.spec, value_kind) {
            cx.error_spanned_by(lit, format!("path template: `{}`: {problem}", f.raw));
            fine = false;
            continue;
        }
        out.push(Segment::Field {
            source,
            func: f.func,
            spec: f.spec,
        });
    }
    // With a field in error the template is already refused; its holes are not news.
    if fine {
        check_significant_held(cx, task, lit, &out);
    }
    out
}

/// A template without `{task_id}` or `{task_short_id}` must hold every significant
/// parameter as it is (not only through a function): else two tasks that differ in that
/// parameter share one file, and the file does not parse back into the task.
fn check_significant_held(cx: &mut Ctxt, task: &Task, lit: &LitStr, segments: &[Segment]) {
    let has_id = segments.iter().any(|s| {
        matches!(
            s,
            Segment::Field {
                source: Source::Builtin("task_id" | "task_short_id"),
                ..
            }
        )
    });
    if has_id {
        return;
    }
    for (i, p) in task.params.iter().enumerate() {
        if p.attrs.insignificant {
            continue;
        }
        let held = segments
            .iter()
            .any(|s| matches!(s, Segment::Field { source: Source::Param(j), func: None, .. } if *j == i));
        if !held {
            cx.error_spanned_by(
                lit,
                format!(
                    "path template: the significant parameter `{}` of {} is not in the path, and the path holds \
                     neither `{{task_id}}` nor `{{task_short_id}}`: two tasks that differ only in `{}` would \
                     share one file; add `{{{}}}` or `{{task_short_id}}`",
                    p.ident, task.ident, p.ident, p.ident
                ),
            );
        }
    }
}

fn spec_problem(spec: &Spec, kind: ParamKind) -> Option<String> {
    let what = match kind {
        ParamKind::Str | ParamKind::Enum => "a string",
        ParamKind::Bool => "a bool",
        ParamKind::Int | ParamKind::UInt => "an integer",
        ParamKind::F32 | ParamKind::F64 => "a float",
    };
    if spec.precision.is_some() && !kind.is_float() {
        Some(format!("a precision does not fit {what} (only floats take one)"))
    } else if spec.plus && !kind.is_numeric() {
        Some(format!("`+` does not fit {what} (only numbers have a sign)"))
    } else if spec.zero && !kind.is_numeric() {
        Some(format!("`0` padding does not fit {what}; use a fill, as in `0>5`"))
    } else if spec.fill == '/' || spec.fill == '\\' {
        Some(format!("fill {:?} would change the path's folders", spec.fill))
    } else {
        None
    }
}

/// Validates a result-row declaration.
pub fn results(cx: &mut Ctxt, results: &Results) -> ValidResults {
    let mut columns: Vec<(String, ColumnType)> = Vec::new();
    let mut all_flags: Vec<Vec<ValidFlag>> = Vec::new();
    let mut constants: Vec<(String, String)> = Vec::new();
    let mut seen: Vec<(String, Span)> = Vec::new();
    for c in &results.columns {
        let name = c.name();
        let name_tokens: &dyn ToTokens = match &c.attrs.name {
            Some(lit) => lit,
            None => c.ident,
        };
        if let Some(problem) = ident::sql_identifier_problem(&name) {
            let hint = if c.attrs.name.is_none() {
                "; set #[astra(name = \"...\")]"
            } else {
                ""
            };
            cx.error_spanned_by(name_tokens, format!("column name: {problem}{hint}"));
        } else if ident::FRAMEWORK_COLUMNS.contains(&name.as_str()) {
            cx.error_spanned_by(
                name_tokens,
                format!("column name `{name}` is used by the framework in every result table"),
            );
        }
        if seen.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            cx.error_spanned_by(
                name_tokens,
                format!("duplicate column `{name}` (FITS column names are case-insensitive)"),
            );
        }
        seen.push((name.clone(), Span::call_site()));
        match c.doc_attr {
            Some(doc) => check_description(cx, &c.doc, doc, &format!("column `{name}`")),
            None => cx.error_spanned_by(
                c.ident,
                format!("column `{name}` has no description: write a doc comment (`/// ...`, at most {MAX_DESCRIPTION} characters)"),
            ),
        }
        if let Some(u) = &c.attrs.unit
            && let Err(e) = unit::check(&u.value())
        {
            cx.error_spanned_by(u, e);
        }
        let ctype = match ty::column_type(c.ty) {
            Ok(t) => t,
            Err(reason) => {
                cx.error_spanned_by(c.ty, format!("column `{name}`: {reason}"));
                flags(cx, c, &name, None, &mut constants);
                continue;
            }
        };
        all_flags.push(flags(cx, c, &name, Some(&ctype), &mut constants));
        match (&c.attrs.width, ctype.scalar) {
            (None, Scalar::Text) => cx.error_spanned_by(
                c.ident,
                format!(
                    "text column `{name}` needs a width: #[astra(width = N)] (FITS tables have fixed-width strings)"
                ),
            ),
            (Some(w), s) if s != Scalar::Text => cx.push(syn::Error::new(
                w.span,
                format!("`width` is for String columns; `{name}` is not one"),
            )),
            _ => {}
        }
        columns.push((name, ctype));
    }
    ValidResults {
        columns,
        flags: all_flags,
    }
}

/// serde's `rename_all` rules.
const SERDE_RULES: &[&str] = &[
    "lowercase",
    "UPPERCASE",
    "PascalCase",
    "camelCase",
    "snake_case",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
    "SCREAMING-KEBAB-CASE",
];

/// A variant's name under an `#[astra(rename_all)]` rule.
fn astra_rule(rule: &str, ident: &str) -> String {
    match rule {
        "lowercase" => ident.to_ascii_lowercase(),
        "UPPERCASE" => ident.to_ascii_uppercase(),
        "snake_case" => ident::snake_case(ident),
        "SCREAMING_SNAKE_CASE" => ident::snake_case(ident).to_ascii_uppercase(),
        "kebab-case" => ident::snake_case(ident).replace('_', "-"),
        _ => ident.to_string(),
    }
}

/// A variant's name under a `#[serde(rename_all)]` rule, as serde names it: serde's
/// snake case puts `_` before every upper-case letter but the first (`APOGEENet` is
/// `a_p_o_g_e_e_net`), which is not the astra rule's.
fn serde_rule(rule: &str, ident: &str) -> String {
    let snake = || {
        let mut out = String::new();
        for (i, c) in ident.char_indices() {
            if i > 0 && c.is_uppercase() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    };
    match rule {
        "lowercase" => ident.to_ascii_lowercase(),
        "UPPERCASE" => ident.to_ascii_uppercase(),
        "camelCase" => {
            let mut chars = ident.chars();
            match chars.next() {
                Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        }
        "snake_case" => snake(),
        "SCREAMING_SNAKE_CASE" => snake().to_ascii_uppercase(),
        "kebab-case" => snake().replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => snake().to_ascii_uppercase().replace('_', "-"),
        // `PascalCase` (a variant's identifier already is), or no rule.
        _ => ident.to_string(),
    }
}

/// A known serde rule; an unknown one is serde's error to report, and names nothing here.
fn known_serde_rule(lit: Option<&LitStr>) -> Option<String> {
    lit.map(LitStr::value).filter(|r| SERDE_RULES.contains(&r.as_str()))
}

/// Validates a parameter enum: unit variants with distinct, printable names.
///
/// The names are serde's when the enum is named by `#[serde(rename_all)]` or
/// `#[serde(rename)]`: the parameter's value is then the enum's serde string. Otherwise
/// they come from `#[astra(rename_all)]`/`#[astra(rename)]`, or are the identifiers.
pub fn param_enum(cx: &mut Ctxt, e: &ParamEnum) -> ValidEnum {
    let astra_rule_name = e.attrs.rename_all.as_ref().and_then(|lit| {
        let rule = lit.value();
        if ASTRA_RULES.contains(&rule.as_str()) {
            Some(rule)
        } else {
            cx.error_spanned_by(
                lit,
                format!("unknown rename_all rule {rule:?}; known: {}", ASTRA_RULES.join(", ")),
            );
            None
        }
    });
    check_serde_form(cx, e);
    let serde_named = e.serde.naming.key.is_some() || e.variants.iter().any(|v| v.serde.naming.key.is_some());
    if serde_named {
        let astra_names = e
            .attrs
            .rename_all
            .iter()
            .chain(e.variants.iter().filter_map(|v| v.attrs.rename.as_ref()));
        for lit in astra_names {
            cx.error_spanned_by(
                lit,
                format!(
                    "{} is named by its #[serde(rename...)] attributes, so #[astra(rename...)] would name it a second way: \
                     remove the astra attribute (the parameter's value is the serde name)",
                    e.ident
                ),
            );
        }
    }
    let ser_rule = known_serde_rule(e.serde.naming.serialize.as_ref());
    let de_rule = known_serde_rule(e.serde.naming.deserialize.as_ref());
    let mut rule_mismatch_reported = false;
    let mut names: Vec<String> = Vec::new();
    for v in &e.variants {
        if !v.fields.is_empty() {
            cx.error_spanned_by(
                v.fields,
                format!(
                    "variant `{}` of {} carries data: a parameter enum's variants are names only (unit variants)",
                    v.ident, e.ident
                ),
            );
        }
        let ident = v.ident.to_string();
        let (name, spanned): (String, &dyn ToTokens) = if serde_named {
            let naming = &v.serde.naming;
            let direction = |own: Option<&LitStr>, rule: Option<&String>| match (own, rule) {
                (Some(lit), _) => lit.value(),
                (None, Some(rule)) => serde_rule(rule, &ident),
                (None, None) => ident.clone(),
            };
            let ser = direction(naming.serialize.as_ref(), ser_rule.as_ref());
            let de = direction(naming.deserialize.as_ref(), de_rule.as_ref());
            if ser != de {
                let message = format!(
                    "serde names variant `{}` of {} {ser:?} when serializing but {de:?} when deserializing: \
                     a parameter's value must read back as the same variant, so give it one name",
                    v.ident, e.ident
                );
                match &naming.key {
                    Some(key) => cx.error_spanned_by(key, message),
                    None if !rule_mismatch_reported => {
                        rule_mismatch_reported = true;
                        cx.error_spanned_by(&e.serde.naming.key, message);
                    }
                    None => {}
                }
            }
            let spanned: &dyn ToTokens = match &naming.serialize {
                Some(lit) => lit,
                None => v.ident,
            };
            (ser, spanned)
        } else {
            match (&v.attrs.rename, astra_rule_name.as_deref()) {
                (Some(lit), _) => (lit.value(), lit),
                (None, Some(rule)) => (astra_rule(rule, &ident), v.ident),
                (None, None) => (ident, v.ident),
            }
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_graphic() && c != '/' && c != '\\') {
            cx.error_spanned_by(
                spanned,
                format!("variant name {name:?} must be printable ASCII without spaces or slashes"),
            );
        }
        if names.contains(&name) {
            cx.error_spanned_by(spanned, format!("two variants of {} are named {name:?}", e.ident));
        }
        names.push(name);
    }
    ValidEnum { names }
}

/// Refuses serde attributes that make a variant serialize as something other than its
/// name: a parameter enum's value is its variant's serde string.
fn check_serde_form(cx: &mut Ctxt, e: &ParamEnum) {
    for key in &e.serde.refused {
        cx.error_spanned_by(
            key,
            format!(
                "#[serde({})] makes serde write {}'s variants as something other than their names: \
                 a parameter enum's value is its variant's serde string",
                key.to_token_stream(),
                e.ident
            ),
        );
    }
    for v in &e.variants {
        for key in &v.serde.refused {
            cx.error_spanned_by(
                key,
                format!(
                    "#[serde({})] on variant `{}` of {}: serde would not write or read it back as its name, \
                     and a parameter enum's value is its variant's serde string",
                    key.to_token_stream(),
                    v.ident,
                    e.ident
                ),
            );
        }
    }
}

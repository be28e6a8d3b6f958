//! Reading `#[astra(...)]` attributes and doc comments.

use syn::{Attribute, Expr, ExprLit, Lit, LitInt, LitStr, Meta};

use crate::ctxt::Ctxt;

/// A value read from an attribute, with the tokens to span errors at.
pub struct Spanned<T> {
    pub value: T,
    pub span: proc_macro2::Span,
}

/// The attributes of a task struct.
#[derive(Default)]
pub struct TaskAttrs {
    pub family: Option<LitStr>,
    pub namespace: Option<LitStr>,
    pub version: Option<LitStr>,
    pub path: Option<LitStr>,
    pub results: Option<syn::Type>,
    pub table: Option<LitStr>,
}

/// The attributes of a task field (a parameter).
#[derive(Default)]
pub struct ParamAttrs {
    pub insignificant: bool,
    pub default: bool,
    pub is_enum: bool,
}

/// The attributes of a result field (a column).
#[derive(Default)]
pub struct ColumnAttrs {
    pub unit: Option<LitStr>,
    pub width: Option<Spanned<usize>>,
    pub name: Option<LitStr>,
    /// `flags(NAME = (bit, "description"), ...)`: the named bits of a bitmask column, with
    /// the `flags` key to span errors about the column at.
    pub flags: Option<(syn::Path, Vec<FlagAttr>)>,
}

/// One named bit of a bitmask column: `NAME = (bit, "description")`.
pub struct FlagAttr {
    /// The bit's name, as written.
    pub name: syn::Path,
    /// The bit number (0 is the least significant bit).
    pub bit: LitInt,
    /// What the bit means.
    pub description: LitStr,
}

/// The attributes of a parameter enum.
#[derive(Default)]
pub struct EnumAttrs {
    pub rename_all: Option<LitStr>,
}

/// The attributes of a parameter enum's variant.
#[derive(Default)]
pub struct VariantAttrs {
    pub rename: Option<LitStr>,
}

const TASK_KEYS: &str = "family, namespace, version, path, results, table";
const PARAM_KEYS: &str = "insignificant, default, enum";
const COLUMN_KEYS: &str = "unit, width, name, flags";
const ENUM_KEYS: &str = "rename_all";
const VARIANT_KEYS: &str = "rename";

fn astra_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("astra"))
}

fn set_once<T>(cx: &mut Ctxt, slot: &mut Option<T>, value: T, path: &syn::Path) {
    if slot.is_some() {
        cx.error_spanned_by(path, format!("duplicate attribute `{}`", path_name(path)));
    } else {
        *slot = Some(value);
    }
}

fn path_name(path: &syn::Path) -> String {
    path.get_ident().map(|i| i.to_string()).unwrap_or_else(|| "?".into())
}

fn unknown(path: &syn::Path, known: &str) -> syn::Error {
    syn::Error::new_spanned(
        path,
        format!(
            "unknown astra attribute `{}`; expected one of: {known}",
            path_name(path)
        ),
    )
}

/// Reads the struct-level attributes of a task.
pub fn task_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> TaskAttrs {
    let mut out = TaskAttrs::default();
    for attr in astra_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let key = path_name(&meta.path);
            match key.as_str() {
                "family" => set_once(cx, &mut out.family, meta.value()?.parse()?, &meta.path),
                "namespace" => set_once(cx, &mut out.namespace, meta.value()?.parse()?, &meta.path),
                "version" => set_once(cx, &mut out.version, meta.value()?.parse()?, &meta.path),
                "path" => set_once(cx, &mut out.path, meta.value()?.parse()?, &meta.path),
                "table" => set_once(cx, &mut out.table, meta.value()?.parse()?, &meta.path),
                "results" => set_once(cx, &mut out.results, meta.value()?.parse()?, &meta.path),
                _ => return Err(unknown(&meta.path, TASK_KEYS)),
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

/// Reads the attributes of a task field.
pub fn param_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> ParamAttrs {
    let mut out = ParamAttrs::default();
    for attr in astra_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let flag = match path_name(&meta.path).as_str() {
                "insignificant" => &mut out.insignificant,
                "default" => &mut out.default,
                "enum" => &mut out.is_enum,
                _ => return Err(unknown(&meta.path, PARAM_KEYS)),
            };
            if *flag {
                cx.error_spanned_by(&meta.path, format!("duplicate attribute `{}`", path_name(&meta.path)));
            }
            *flag = true;
            Ok(())
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

/// Reads the attributes of a result field.
pub fn column_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> ColumnAttrs {
    let mut out = ColumnAttrs::default();
    for attr in astra_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            match path_name(&meta.path).as_str() {
                "unit" => set_once(cx, &mut out.unit, meta.value()?.parse()?, &meta.path),
                "name" => set_once(cx, &mut out.name, meta.value()?.parse()?, &meta.path),
                "width" => {
                    let lit: LitInt = meta.value()?.parse()?;
                    let value = lit.base10_parse::<usize>()?;
                    if value == 0 || value > 999 {
                        cx.error_spanned_by(
                            &lit,
                            format!("width {value} is out of range: a text column is 1 to 999 characters"),
                        );
                    }
                    set_once(
                        cx,
                        &mut out.width,
                        Spanned {
                            value,
                            span: lit.span(),
                        },
                        &meta.path,
                    );
                }
                "flags" => {
                    let bits = flag_attrs(&meta)?;
                    set_once(cx, &mut out.flags, (meta.path.clone(), bits), &meta.path);
                }
                _ => return Err(unknown(&meta.path, COLUMN_KEYS)),
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

/// Reads the bits of `flags(NAME = (BIT, "description"), ...)`; `flags()` reads as no
/// bit (refused by the validation, which names the column).
fn flag_attrs(meta: &syn::meta::ParseNestedMeta) -> syn::Result<Vec<FlagAttr>> {
    if !meta.input.peek(syn::token::Paren) {
        return Err(syn::Error::new_spanned(
            &meta.path,
            "named bits are written `flags(NAME = (BIT, \"description\"), ...)`",
        ));
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let mut bits = Vec::new();
    while !content.is_empty() {
        let name = content.call(syn::Path::parse_mod_style)?;
        bits.push(flag_attr(name, &content)?);
        if content.is_empty() {
            break;
        }
        content.parse::<syn::Token![,]>()?;
    }
    Ok(bits)
}

/// Reads one bit of `flags(...)` after its name: `= (BIT, "description")`.
fn flag_attr(name: syn::Path, input: syn::parse::ParseStream) -> syn::Result<FlagAttr> {
    let form = || format!("a bit is written `{} = (BIT, \"description\")`", path_name(&name));
    if !input.peek(syn::Token![=]) {
        return Err(input.error(form()));
    }
    input.parse::<syn::Token![=]>()?;
    if !input.peek(syn::token::Paren) {
        return Err(input.error(form()));
    }
    let content;
    syn::parenthesized!(content in input);
    let parsed = (|| -> syn::Result<(LitInt, LitStr)> {
        let bit: LitInt = content.parse()?;
        content.parse::<syn::Token![,]>()?;
        let description: LitStr = content.parse()?;
        if content.peek(syn::Token![,]) {
            content.parse::<syn::Token![,]>()?;
        }
        if !content.is_empty() {
            return Err(content.error("unexpected tokens"));
        }
        Ok((bit, description))
    })();
    let (bit, description) = parsed.map_err(|e| syn::Error::new(e.span(), form()))?;
    Ok(FlagAttr { name, bit, description })
}

/// Reads the attributes of a parameter enum.
pub fn enum_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> EnumAttrs {
    let mut out = EnumAttrs::default();
    for attr in astra_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            match path_name(&meta.path).as_str() {
                "rename_all" => set_once(cx, &mut out.rename_all, meta.value()?.parse()?, &meta.path),
                _ => return Err(unknown(&meta.path, ENUM_KEYS)),
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

/// Reads the attributes of a parameter enum's variant.
pub fn variant_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> VariantAttrs {
    let mut out = VariantAttrs::default();
    for attr in astra_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            match path_name(&meta.path).as_str() {
                "rename" => set_once(cx, &mut out.rename, meta.value()?.parse()?, &meta.path),
                _ => return Err(unknown(&meta.path, VARIANT_KEYS)),
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    out
}

/// How serde names a parameter enum or one of its variants: its `rename_all` (on the
/// enum) or `rename` (on a variant), for each direction, with the key to span errors at.
#[derive(Default)]
pub struct SerdeNaming {
    /// The `rename`/`rename_all` key as written, when present.
    pub key: Option<syn::Path>,
    /// The name (or rule) used when serializing.
    pub serialize: Option<LitStr>,
    /// The name (or rule) used when deserializing.
    pub deserialize: Option<LitStr>,
}

/// What the `#[serde(...)]` attributes of a parameter enum or variant say that matters to
/// its names: how serde names it, and the keys that change its string form.
#[derive(Default)]
pub struct SerdeAttrs {
    pub naming: SerdeNaming,
    /// Keys that make serde write something other than the variant's name.
    pub refused: Vec<syn::Path>,
}

/// The enum's serde keys that make a unit variant serialize as something other than its
/// name (a map, nothing, or another type).
pub const SERDE_ENUM_REFUSED: &[&str] = &["tag", "content", "untagged", "into", "from", "try_from"];

/// The variant's serde keys that make it serialize as something other than its name, or
/// not round-trip through its name.
pub const SERDE_VARIANT_REFUSED: &[&str] = &[
    "untagged",
    "other",
    "skip",
    "skip_serializing",
    "skip_deserializing",
    "serialize_with",
    "deserialize_with",
    "with",
];

/// Reads the serde attributes of a parameter enum (`naming_key` is `rename_all`) or of a
/// variant (`rename`). Other keys are passed over: serde checks them itself and reports
/// malformed attributes, so nothing is reported twice.
pub fn serde_attrs(attrs: &[Attribute], naming_key: &str, refused: &[&str]) -> SerdeAttrs {
    let mut out = SerdeAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        // A malformed serde attribute is serde's error to report.
        let _ = attr.parse_nested_meta(|meta| {
            let key = path_name(&meta.path);
            if key == naming_key {
                read_serde_naming(&meta, &mut out.naming)?;
                out.naming.key = Some(meta.path.clone());
                return Ok(());
            }
            if refused.contains(&key.as_str()) {
                out.refused.push(meta.path.clone());
            }
            skip_meta(&meta)
        });
    }
    out
}

/// Reads `key = "..."` or `key(serialize = "...", deserialize = "...")`.
fn read_serde_naming(meta: &syn::meta::ParseNestedMeta, out: &mut SerdeNaming) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let lit: LitStr = meta.value()?.parse()?;
        out.serialize = Some(lit.clone());
        out.deserialize = Some(lit);
        return Ok(());
    }
    meta.parse_nested_meta(|inner| {
        match path_name(&inner.path).as_str() {
            "serialize" => out.serialize = Some(inner.value()?.parse()?),
            "deserialize" => out.deserialize = Some(inner.value()?.parse()?),
            _ => skip_meta(&inner)?,
        }
        Ok(())
    })
}

/// Passes over one nested item: a bare key, `key = value` or `key(...)`.
fn skip_meta(meta: &syn::meta::ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_meta(&inner))?;
    }
    Ok(())
}

/// The doc comment of an item, its lines trimmed and joined by spaces, with the first
/// doc attribute to span errors at.
pub fn doc(attrs: &[Attribute]) -> (String, Option<&Attribute>) {
    let mut lines = Vec::new();
    let mut first = None;
    for attr in attrs {
        if let Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = &nv.value
        {
            first.get_or_insert(attr);
            lines.push(s.value().trim().to_string());
        }
    }
    let text = lines
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (text, first)
}

//! What the Rust types of fields mean: parameter kinds and column types.

use syn::{Expr, ExprLit, GenericArgument, Lit, PathArguments, Type};

/// The kind of a parameter (mirrors `astra_targets::ParamKind`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParamKind {
    Str,
    Int,
    UInt,
    F64,
    F32,
    Bool,
    Enum,
}

impl ParamKind {
    pub fn is_integer(self) -> bool {
        matches!(self, ParamKind::Int | ParamKind::UInt)
    }

    pub fn is_float(self) -> bool {
        matches!(self, ParamKind::F64 | ParamKind::F32)
    }

    pub fn is_numeric(self) -> bool {
        self.is_integer() || self.is_float()
    }
}

/// The single identifier of a plain type path (`f32`, `String`), if it is one.
fn simple_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            matches!(last.arguments, PathArguments::None).then(|| last.ident.to_string())
        }
        Type::Group(g) => simple_name(&g.elem),
        Type::Paren(p) => simple_name(&p.elem),
        _ => None,
    }
}

/// The `T` of `Option<T>`, if `ty` is an `Option`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

/// Classifies a parameter type; `Err` with the reason when it is not allowed.
pub fn param_kind(ty: &Type, is_enum: bool) -> Result<ParamKind, String> {
    if option_inner(ty).is_some() {
        return Err(
            "`Option` parameters are not allowed: a task id needs every significant value; use a \
                    default value instead"
                .into(),
        );
    }
    if is_enum {
        return Ok(ParamKind::Enum);
    }
    let name = simple_name(ty).unwrap_or_default();
    Ok(match name.as_str() {
        "String" => ParamKind::Str,
        "i8" | "i16" | "i32" | "i64" => ParamKind::Int,
        "u8" | "u16" | "u32" | "u64" => ParamKind::UInt,
        "f64" => ParamKind::F64,
        "f32" => ParamKind::F32,
        "bool" => ParamKind::Bool,
        _ => {
            return Err(
                "unsupported parameter type; supported: String, i8..i64, u8..u64, f32, f64, bool, \
                        and unit-variant enums marked #[astra(enum)]"
                    .into(),
            );
        }
    })
}

/// The element type of a column (mirrors `astra_targets::ScalarType`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scalar {
    Bool,
    U8,
    I16,
    I32,
    I64,
    F32,
    F64,
    Text,
}

impl Scalar {
    pub fn variant(self) -> &'static str {
        match self {
            Scalar::Bool => "Bool",
            Scalar::U8 => "U8",
            Scalar::I16 => "I16",
            Scalar::I32 => "I32",
            Scalar::I64 => "I64",
            Scalar::F32 => "F32",
            Scalar::F64 => "F64",
            Scalar::Text => "Text",
        }
    }
}

/// The type of a column: element, shape of one cell, nullability.
#[derive(Clone, Debug)]
pub struct ColumnType {
    pub scalar: Scalar,
    pub shape: Vec<usize>,
    pub nullable: bool,
}

const COLUMN_TYPES: &str =
    "f32, f64, i16, i32, i64, u8, bool, String, Option<T> of those, [T; L] and [[T; L]; M] of numbers or bools";

/// Classifies a column type; `Err` with the reason when it is not allowed.
pub fn column_type(ty: &Type) -> Result<ColumnType, String> {
    let (nullable, ty) = match option_inner(ty) {
        Some(inner) => (true, inner),
        None => (false, ty),
    };
    let mut shape = Vec::new();
    let mut elem = ty;
    while let Type::Array(a) = elem {
        let len = match &a.len {
            Expr::Lit(ExprLit { lit: Lit::Int(n), .. }) => n.base10_parse::<usize>().map_err(|e| e.to_string())?,
            _ => return Err("array lengths must be integer literals so the column's shape is known".into()),
        };
        if len == 0 {
            return Err("an array column needs at least one element".into());
        }
        shape.push(len);
        elem = &a.elem;
    }
    if shape.len() > 2 {
        return Err("arrays of more than two dimensions are not supported".into());
    }
    if nullable && !shape.is_empty() {
        return Err("`Option` of an array is not supported: use NaN elements for missing values".into());
    }
    let name = simple_name(elem).unwrap_or_default();
    let scalar = match name.as_str() {
        "bool" => Scalar::Bool,
        "u8" => Scalar::U8,
        "i16" => Scalar::I16,
        "i32" => Scalar::I32,
        "i64" => Scalar::I64,
        "f32" => Scalar::F32,
        "f64" => Scalar::F64,
        "String" if shape.is_empty() => Scalar::Text,
        "String" => return Err("arrays of strings are not supported".into()),
        "u64" => {
            return Err("u64 has no portable SQL type (PostgreSQL has no unsigned 64-bit integer); use i64".into());
        }
        _ => return Err(format!("unsupported column type; supported: {COLUMN_TYPES}")),
    };
    Ok(ColumnType {
        scalar,
        shape,
        nullable,
    })
}

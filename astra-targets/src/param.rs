//! Task parameters: their declared kinds, their values, and Python-compatible string forms.

use std::fmt;

/// The kind of a task parameter, as the derive read it from the field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// `String`.
    Str,
    /// A signed integer (`i8`..`i64`).
    Int,
    /// An unsigned integer (`u8`..`u64`).
    UInt,
    /// `f64`.
    F64,
    /// `f32`.
    F32,
    /// `bool`.
    Bool,
    /// An enum that serialises (serde) to a string, marked `#[astra(enum)]`.
    Enum,
}

impl ParamKind {
    /// A short name for documentation: `str`, `int`, `float`, ...
    pub fn doc_name(self) -> &'static str {
        match self {
            ParamKind::Str => "str",
            ParamKind::Int => "int",
            ParamKind::UInt => "int (unsigned)",
            ParamKind::F64 => "float (f64)",
            ParamKind::F32 => "float (f32)",
            ParamKind::Bool => "bool",
            ParamKind::Enum => "enum (str)",
        }
    }
}

/// The static description of one task parameter (one field of a task struct).
#[derive(Debug, Clone, Copy)]
pub struct ParamMeta {
    /// The parameter's name (the field name).
    pub name: &'static str,
    /// The Rust type as written in the declaration, for documentation.
    pub rust_type: &'static str,
    /// The kind of value.
    pub kind: ParamKind,
    /// Whether the parameter takes part in the task id (default `true`).
    pub significant: bool,
    /// The field's doc comment.
    pub description: &'static str,
}

/// The value of one task parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// A string.
    Str(String),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A double-precision float.
    F64(f64),
    /// A single-precision float (its shortest form is its own, not the f64's).
    F32(f32),
    /// A boolean.
    Bool(bool),
    /// An enum variant, by its serde name.
    Enum(String),
}

impl ParamValue {
    /// The value as Python's `str()` writes it: the form hashed into task ids.
    ///
    /// Integers in decimal, floats in their shortest round-trip form laid out as Python's
    /// `repr` (`0.1`, `1.0`, `1e+20`, `1e-05`, `nan`, `inf`), booleans `True`/`False`,
    /// strings and enum names as they are.
    pub fn python_str(&self) -> String {
        match self {
            ParamValue::Str(s) | ParamValue::Enum(s) => s.clone(),
            ParamValue::Int(i) => i.to_string(),
            ParamValue::UInt(u) => u.to_string(),
            ParamValue::F64(x) => python_float_repr(nearest_shortest(*x), x.is_nan(), x.is_infinite(), *x < 0.0),
            ParamValue::F32(x) => python_float_repr(nearest_shortest(*x), x.is_nan(), x.is_infinite(), *x < 0.0),
            ParamValue::Bool(true) => "True".to_string(),
            ParamValue::Bool(false) => "False".to_string(),
        }
    }

    /// The kind of this value.
    pub fn kind(&self) -> ParamKind {
        match self {
            ParamValue::Str(_) => ParamKind::Str,
            ParamValue::Int(_) => ParamKind::Int,
            ParamValue::UInt(_) => ParamKind::UInt,
            ParamValue::F64(_) => ParamKind::F64,
            ParamValue::F32(_) => ParamKind::F32,
            ParamValue::Bool(_) => ParamKind::Bool,
            ParamValue::Enum(_) => ParamKind::Enum,
        }
    }

    /// Parses the text form (as [`python_str`](Self::python_str) or a path segment wrote
    /// it) into a value of `kind`; `None` when the text is not such a value.
    pub fn parse(kind: ParamKind, text: &str) -> Option<ParamValue> {
        Some(match kind {
            ParamKind::Str => ParamValue::Str(text.to_string()),
            ParamKind::Enum => ParamValue::Enum(text.to_string()),
            ParamKind::Int => ParamValue::Int(text.parse().ok()?),
            ParamKind::UInt => ParamValue::UInt(text.parse().ok()?),
            ParamKind::F64 => ParamValue::F64(parse_float(text)?),
            // Read as f32 directly: through f64 a decimal could round twice.
            ParamKind::F32 => ParamValue::F32(text.parse().ok()?),
            ParamKind::Bool => match text {
                "True" | "true" => ParamValue::Bool(true),
                "False" | "false" => ParamValue::Bool(false),
                _ => return None,
            },
        })
    }

    /// The value as a string slice, for string and enum values.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ParamValue::Str(s) | ParamValue::Enum(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer, for integer values that fit in `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ParamValue::Int(i) => Some(*i),
            ParamValue::UInt(u) => i64::try_from(*u).ok(),
            _ => None,
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.python_str())
    }
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        "nan" => Some(f64::NAN),
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// The shortest digits that read back as `x`, in `{:e}` form; among equally short
/// candidates, the one nearest to `x` (ties to the even digit), as Python's `repr` picks.
///
/// Rust's `{:e}` finds the shortest length but may pick another candidate of that length:
/// 1442863750845589.25 (a tie at 16 digits) is `...589.3` in Rust's shortest form and
/// `...589.2` in Python's. Rust's fixed-precision form rounds exactly (ties to even), so
/// at the shortest length it gives the nearest candidate.
fn nearest_shortest<T>(x: T) -> String
where
    T: fmt::LowerExp + std::str::FromStr + PartialEq + Copy,
{
    let shortest = format!("{x:e}");
    let mantissa = shortest.split_once('e').map_or(shortest.as_str(), |(m, _)| m);
    let digits = mantissa.chars().filter(char::is_ascii_digit).count();
    let nearest = format!("{x:.prec$e}", prec = digits.saturating_sub(1));
    match nearest.parse::<T>() {
        Ok(y) if y == x => nearest,
        _ => shortest,
    }
}

/// The sign, the digits (without the point) and the decimal exponent of a float in Rust's
/// `{:e}` form: `-1.25e-5` gives `("-", "125", -5)`. `None` for anything else.
pub(crate) fn sci_parts(sci: &str) -> Option<(&'static str, String, i32)> {
    let (mantissa, exp) = sci.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    Some((sign, mantissa.chars().filter(|c| *c != '.').collect(), exp))
}

/// Digits from [`sci_parts`] written without an exponent and with a decimal point
/// (`0.0000125`, `125.0`, `1.25`), as Python's `repr` and FITS cards write exponents from
/// -4 to 15.
pub(crate) fn positional(sign: &str, digits: &str, exp: i32) -> String {
    let n = digits.len() as i32;
    if exp < 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else if exp + 1 >= n {
        format!("{sign}{digits}{}.0", "0".repeat((exp + 1 - n) as usize))
    } else {
        let (int, frac) = digits.split_at((exp + 1) as usize);
        format!("{sign}{int}.{frac}")
    }
}

/// Lays out the shortest round-trip digits of a float (Rust's `{:e}` form, for example
/// `1.2345e-5`) the way Python's `repr` does: positional for exponents from -4 to 15,
/// scientific with a signed, at least two-digit exponent otherwise.
fn python_float_repr(sci: String, nan: bool, inf: bool, negative: bool) -> String {
    if nan {
        return "nan".into();
    }
    if inf {
        return if negative { "-inf" } else { "inf" }.into();
    }
    let (sign, digits, exp) = sci_parts(&sci).expect("{:e} writes digits and a decimal exponent");
    let digits = match digits.trim_end_matches('0') {
        "" => "0".to_string(),
        significant => significant.to_string(),
    };
    if (-4..16).contains(&exp) {
        positional(sign, &digits, exp)
    } else {
        let (first, rest) = digits.split_at(1);
        let exp_sign = if exp < 0 { '-' } else { '+' };
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        format!("{sign}{mant}e{exp_sign}{:02}", exp.abs())
    }
}

/// Serialises an enum parameter to its serde string (used by the derive's code).
pub fn enum_to_string<T: serde::Serialize>(value: &T) -> String {
    value
        .serialize(EnumNameSerializer)
        .unwrap_or_else(|_| panic!("an #[astra(enum)] parameter must serialise to a plain string"))
}

/// Reads an enum parameter back from its serde string (used by the derive's code).
pub fn enum_from_str<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    use serde::de::IntoDeserializer;
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> = text.into_deserializer();
    T::deserialize(de).ok()
}

/// A serializer that accepts only strings and unit variants: what an enum parameter is.
struct EnumNameSerializer;

#[derive(Debug)]
struct NotAString;
impl fmt::Display for NotAString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a string")
    }
}
impl std::error::Error for NotAString {}
impl serde::ser::Error for NotAString {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotAString
    }
}

macro_rules! refuse {
    ($($name:ident: $t:ty),*) => {
        $(fn $name(self, _: $t) -> Result<String, NotAString> { Err(NotAString) })*
    };
}

impl serde::Serializer for EnumNameSerializer {
    type Ok = String;
    type Error = NotAString;
    type SerializeSeq = serde::ser::Impossible<String, NotAString>;
    type SerializeTuple = serde::ser::Impossible<String, NotAString>;
    type SerializeTupleStruct = serde::ser::Impossible<String, NotAString>;
    type SerializeTupleVariant = serde::ser::Impossible<String, NotAString>;
    type SerializeMap = serde::ser::Impossible<String, NotAString>;
    type SerializeStruct = serde::ser::Impossible<String, NotAString>;
    type SerializeStructVariant = serde::ser::Impossible<String, NotAString>;

    fn serialize_str(self, v: &str) -> Result<String, NotAString> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<String, NotAString> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<String, NotAString> {
        v.serialize(self)
    }
    refuse!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_f32: f32,
        serialize_f64: f64, serialize_char: char, serialize_bytes: &[u8], serialize_unit_struct: &'static str);
    fn serialize_none(self) -> Result<String, NotAString> {
        Err(NotAString)
    }
    fn serialize_some<T: ?Sized + serde::Serialize>(self, _: &T) -> Result<String, NotAString> {
        Err(NotAString)
    }
    fn serialize_unit(self) -> Result<String, NotAString> {
        Err(NotAString)
    }
    fn serialize_newtype_variant<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, NotAString> {
        Err(NotAString)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAString> {
        Err(NotAString)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotAString> {
        Err(NotAString)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, NotAString> {
        Err(NotAString)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAString> {
        Err(NotAString)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotAString> {
        Err(NotAString)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, NotAString> {
        Err(NotAString)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAString> {
        Err(NotAString)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_repr() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.1"),
            (1.0, "1.0"),
            (1e20, "1e+20"),
            (1e-5, "1e-05"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (123.456, "123.456"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (-2.5e-7, "-2.5e-07"),
            (12345678.9, "12345678.9"),
            // Two shortest candidates, equally near: Python picks the even digit.
            (1442863750845589.25, "1442863750845589.2"),
            (-1567878143990492.25, "-1567878143990492.2"),
        ];
        for (x, want) in cases {
            assert_eq!(ParamValue::F64(*x).python_str(), *want, "{x:?}");
        }
        assert_eq!(ParamValue::F32(0.1).python_str(), "0.1");
        assert_eq!(ParamValue::Bool(true).python_str(), "True");
        assert_eq!(ParamValue::Int(i64::MIN).python_str(), "-9223372036854775808");
    }

    #[test]
    fn parse_reads_back_python_str() {
        for v in [
            ParamValue::F64(1e-5),
            ParamValue::F64(-0.0),
            ParamValue::Int(-3),
            ParamValue::Bool(false),
            ParamValue::F32(0.1),
        ] {
            assert_eq!(ParamValue::parse(v.kind(), &v.python_str()), Some(v.clone()));
        }
        assert_eq!(ParamValue::parse(ParamKind::Int, "x"), None);
    }
}

/// Conversion of a task field to and from a [`ParamValue`]; implemented for every type a
/// parameter may have except enums (which go through serde). The derive's code calls it.
pub trait ParamField: Sized {
    /// The field's value.
    fn to_param(&self) -> ParamValue;
    /// The field from a value; `None` when the value does not fit the type.
    fn from_param(value: &ParamValue) -> Option<Self>;
}

impl ParamField for String {
    fn to_param(&self) -> ParamValue {
        ParamValue::Str(self.clone())
    }
    fn from_param(value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
}

macro_rules! int_param {
    ($variant:ident, $wide:ty, [$($t:ty),*]) => {$(
        impl ParamField for $t {
            fn to_param(&self) -> ParamValue { ParamValue::$variant(<$wide>::from(*self)) }
            fn from_param(value: &ParamValue) -> Option<Self> {
                match value {
                    ParamValue::Int(i) => <$t>::try_from(*i).ok(),
                    ParamValue::UInt(u) => <$t>::try_from(*u).ok(),
                    _ => None,
                }
            }
        }
    )*};
}
int_param!(Int, i64, [i8, i16, i32, i64]);
int_param!(UInt, u64, [u8, u16, u32, u64]);

impl ParamField for f64 {
    fn to_param(&self) -> ParamValue {
        ParamValue::F64(*self)
    }
    fn from_param(value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::F64(x) => Some(*x),
            ParamValue::F32(x) => Some(f64::from(*x)),
            _ => None,
        }
    }
}

impl ParamField for f32 {
    fn to_param(&self) -> ParamValue {
        ParamValue::F32(*self)
    }
    fn from_param(value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::F32(x) => Some(*x),
            ParamValue::F64(x) => Some(*x as f32),
            _ => None,
        }
    }
}

impl ParamField for bool {
    fn to_param(&self) -> ParamValue {
        ParamValue::Bool(*self)
    }
    fn from_param(value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

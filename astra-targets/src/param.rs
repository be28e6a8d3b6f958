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
    /// An enum of unit variants ([`ParamEnum`]), marked `#[astra(enum)]`.
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
    /// An enum variant, by its name ([`ParamEnum::name`]).
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
            ParamValue::F64(x) => crate::float::python_repr_f64(*x),
            ParamValue::F32(x) => crate::float::python_repr_f32(*x),
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

/// A value as its natural scalar: a string (strings and enum names), an integer, a float
/// or a boolean. (A format without NaN or infinities, JSON for one, writes those as it
/// writes non-finite floats: `serde_json` writes `null`.)
impl serde::Serialize for ParamValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            ParamValue::Str(s) | ParamValue::Enum(s) => serializer.serialize_str(s),
            ParamValue::Int(i) => serializer.serialize_i64(*i),
            ParamValue::UInt(u) => serializer.serialize_u64(*u),
            ParamValue::F64(x) => serializer.serialize_f64(*x),
            ParamValue::F32(x) => serializer.serialize_f32(*x),
            ParamValue::Bool(b) => serializer.serialize_bool(*b),
        }
    }
}

/// A value from a scalar, by the scalar's own type, as an untagged enum would read it:
/// a string is [`ParamValue::Str`] (an enum name cannot be told from a string without the
/// task's metadata), an integer [`ParamValue::Int`] ([`ParamValue::UInt`] above
/// `i64::MAX`), a float [`ParamValue::F64`], a boolean [`ParamValue::Bool`]. Anything else
/// (a map, a sequence, a null) is refused.
///
/// [`ParamValue::into_kind`] then fits a value to its parameter's kind.
impl<'de> serde::Deserialize<'de> for ParamValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<ParamValue, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl serde::de::Visitor<'_> for ValueVisitor {
    type Value = ParamValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a parameter value (a string, an integer, a float or a boolean)")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> std::result::Result<ParamValue, E> {
        Ok(ParamValue::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<ParamValue, E> {
        Ok(ParamValue::Int(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<ParamValue, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => ParamValue::Int(i),
            Err(_) => ParamValue::UInt(v),
        })
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<ParamValue, E> {
        Ok(ParamValue::F64(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<ParamValue, E> {
        Ok(ParamValue::Str(v.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<ParamValue, E> {
        Ok(ParamValue::Str(v))
    }
}

impl ParamValue {
    /// This value as a value of `kind`, when it is one or reads as one without loss: a
    /// string as an enum name, an integer as the other signedness when it fits, an integer
    /// as a float when exact, an f64 as an f32 when its shortest form reads back as the
    /// same f32. `None` otherwise. For values read by [`Deserialize`](serde::Deserialize),
    /// which cannot know the parameter's kind.
    pub fn into_kind(self, kind: ParamKind) -> Option<ParamValue> {
        if self.kind() == kind {
            return Some(self);
        }
        Some(match (self, kind) {
            (ParamValue::Str(s), ParamKind::Enum) => ParamValue::Enum(s),
            (ParamValue::Enum(s), ParamKind::Str) => ParamValue::Str(s),
            (ParamValue::Int(i), ParamKind::UInt) => ParamValue::UInt(u64::try_from(i).ok()?),
            (ParamValue::UInt(u), ParamKind::Int) => ParamValue::Int(i64::try_from(u).ok()?),
            (ParamValue::Int(i), ParamKind::F64) if i.unsigned_abs() <= 1 << 53 => ParamValue::F64(i as f64),
            (ParamValue::UInt(u), ParamKind::F64) if u <= 1 << 53 => ParamValue::F64(u as f64),
            // Through the shortest text: an f32 written as `0.1` is read as the f64 0.1.
            (ParamValue::F64(x), ParamKind::F32) => {
                let text = crate::float::python_repr_f64(x);
                let y = parse_f32(&text)?;
                (x.is_nan() || crate::float::python_repr_f32(y) == text).then_some(ParamValue::F32(y))?
            }
            _ => return None,
        })
    }
}

fn parse_f32(text: &str) -> Option<f32> {
    match text {
        "nan" => Some(f32::NAN),
        "inf" => Some(f32::INFINITY),
        "-inf" => Some(f32::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// An enum whose unit variants are the values of a task parameter declared
/// `#[astra(enum)]`, each written by its name. Implemented by `#[derive(AstraParamEnum)]`,
/// which refuses variants that carry data: a variant name is all a parameter string holds.
/// When the enum is named by serde's `rename_all`/`rename`, each name is the variant's
/// serde string, so the task id hashes what serde writes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a parameter enum",
    label = "an `#[astra(enum)]` parameter must be a `ParamEnum`",
    note = "add `#[derive(AstraParamEnum)]` to the enum (its variants must not carry data)"
)]
pub trait ParamEnum: Sized + 'static {
    /// The variants' names, in declaration order.
    const NAMES: &'static [&'static str];

    /// The name of this variant: the parameter's text, hashed into task ids.
    fn name(&self) -> &'static str;

    /// The variant named `name`; `None` for any other text.
    fn from_name(name: &str) -> Option<Self>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_str_of_each_kind() {
        assert_eq!(ParamValue::F64(1e-5).python_str(), "1e-05");
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
/// parameter may have except enums (which go through [`ParamEnum`]). The derive's code calls it.
pub trait ParamField: Sized {
    /// The kind of value [`to_param`](Self::to_param) gives.
    const KIND: ParamKind;
    /// The field's value.
    fn to_param(&self) -> ParamValue;
    /// The field from a value; `None` when the value does not fit the type.
    fn from_param(value: &ParamValue) -> Option<Self>;
}

impl ParamField for String {
    const KIND: ParamKind = ParamKind::Str;
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
            const KIND: ParamKind = ParamKind::$variant;
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
    const KIND: ParamKind = ParamKind::F64;
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
    const KIND: ParamKind = ParamKind::F32;
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
    const KIND: ParamKind = ParamKind::Bool;
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

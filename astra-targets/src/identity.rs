//! Task identity, compatible with Astra's.
//!
//! A task id is `{family}_{h}`, where `h` is the first 8 hex digits of the MD5 of the JSON
//! object mapping each significant parameter name (plus `astra_version_major` and
//! `astra_version_minor`) to its value's Python `str()` form, dumped with sorted keys,
//! compact separators and ASCII-only escapes: what Python's
//! `json.dumps(d, sort_keys=True, separators=(',', ':'))` writes.

use md5::{Digest, Md5};

use crate::meta::Params;
use crate::param::ParamValue;
use crate::value::Value;

/// The number of hex digits of the hash in task ids.
pub const HASH_DIGITS: usize = 8;

/// The `(name, str(value))` pairs that are hashed, sorted by name.
pub fn hashed_pairs(params: &Params) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<(&'static str, String)> = params
        .iter()
        .filter(|(p, _)| p.significant)
        .map(|(p, v)| (p.name, v.python_str()))
        .collect();
    pairs.push(("astra_version_major", crate::ASTRA_VERSION_MAJOR.to_string()));
    pairs.push(("astra_version_minor", crate::ASTRA_VERSION_MINOR.to_string()));
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs
}

/// The JSON text that is hashed.
pub fn param_json(params: &Params) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in hashed_pairs(params).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(&mut out, name);
        out.push(':');
        json_string(&mut out, value);
    }
    out.push('}');
    out
}

/// The full MD5 of the parameters, 32 hex digits (the `PARAMHSH` card).
pub fn param_hash(params: &Params) -> String {
    let digest = Md5::digest(param_json(params).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A task's id, short id and full hash, from one MD5 of its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskIds {
    /// The full MD5, 32 hex digits.
    pub param_hash: String,
    /// `{family}_{h}`.
    pub task_id: String,
    /// `{namespace}-{h}`.
    pub task_short_id: String,
}

/// The id, short id and hash of a task with these parameters, hashing once.
pub fn ids(params: &Params) -> TaskIds {
    let meta = params.meta();
    let param_hash = param_hash(params);
    let h = &param_hash[..HASH_DIGITS];
    TaskIds {
        task_id: format!("{}_{h}", meta.family),
        task_short_id: format!("{}-{h}", meta.namespace),
        param_hash,
    }
}

/// The task id, `{family}_{h}`.
pub fn task_id(params: &Params) -> String {
    ids(params).task_id
}

/// The short id used in file names, `{namespace}-{h}`.
pub fn task_short_id(params: &Params) -> String {
    ids(params).task_short_id
}

/// The significant parameters as result-table columns: `astra_version_major`,
/// `astra_version_minor`, then each significant parameter in declaration order.
pub fn significant_columns(params: &Params) -> Vec<(&'static str, Value)> {
    let version = |v: &str| Value::Int(v.parse().unwrap_or_default());
    let mut out = vec![
        ("astra_version_major", version(crate::ASTRA_VERSION_MAJOR)),
        ("astra_version_minor", version(crate::ASTRA_VERSION_MINOR)),
    ];
    for (p, v) in params.iter().filter(|(p, _)| p.significant) {
        let value = match v {
            ParamValue::Str(s) | ParamValue::Enum(s) => Value::Text(s.clone()),
            ParamValue::Int(i) => Value::Int(*i),
            ParamValue::UInt(u) => i64::try_from(*u)
                .map(Value::Int)
                .unwrap_or_else(|_| Value::Text(u.to_string())),
            ParamValue::F64(x) => Value::Float(*x),
            ParamValue::F32(x) => Value::Float(f64::from(*x)),
            ParamValue::Bool(b) => Value::Bool(*b),
        };
        out.push((p.name, value));
    }
    out
}

/// Appends `s` as a JSON string the way Python's `json.dumps` does with `ensure_ascii`:
/// `"` and `\` escaped, `\n \r \t \b \f` short, every other character outside printable
/// ASCII as `\uXXXX` (surrogate pairs beyond the BMP).
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_like_python() {
        let mut s = String::new();
        json_string(&mut s, "a\"b\\c\n\u{1}é😀\u{7f}");
        assert_eq!(s, r#""a\"b\\c\n\u0001\u00e9\ud83d\ude00\u007f""#);
    }
}

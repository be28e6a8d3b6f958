//! Float text in Python's `repr` layout, shared by parameter strings (hashed into task ids)
//! and FITS header cards. Imports nothing else from the crate.

use std::fmt;

/// A float as Python's `repr` writes it: the shortest digits that read back as `x` (the
/// nearest such candidate), positional for exponents from -4 to 15, scientific with a
/// signed, at least two-digit exponent otherwise; `nan`, `inf` and `-inf`.
pub(crate) fn python_repr_f64(x: f64) -> String {
    python_float_repr(nearest_shortest(x), x.is_nan(), x.is_infinite(), x < 0.0)
}

/// [`python_repr_f64`] for an `f32`, with the `f32`'s own shortest digits.
pub(crate) fn python_repr_f32(x: f32) -> String {
    python_float_repr(nearest_shortest(x), x.is_nan(), x.is_infinite(), x < 0.0)
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
/// `1.2345e-5`) the way Python's `repr` does.
fn python_float_repr(sci: String, nan: bool, inf: bool, negative: bool) -> String {
    if nan {
        return "nan".into();
    }
    if inf {
        return if negative { "-inf" } else { "inf" }.into();
    }
    // `{:e}` of a finite float always has digits and an exponent; the fallback keeps a
    // formatting surprise from ever becoming a panic.
    let Some((sign, digits, exp)) = sci_parts(&sci) else {
        return sci;
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // The ties below are written exactly (each is a float), not as their shortest form.
    #[allow(clippy::excessive_precision)]
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
            assert_eq!(python_repr_f64(*x), *want, "{x:?}");
        }
        assert_eq!(python_repr_f32(0.1), "0.1");
    }

    #[test]
    fn positional_places_the_point() {
        assert_eq!(sci_parts("-1.25e-5"), Some(("-", "125".to_string(), -5)));
        assert_eq!(positional("-", "125", -5), "-0.0000125");
        assert_eq!(positional("", "125", 2), "125.0");
        assert_eq!(positional("", "125", 0), "1.25");
        assert_eq!(sci_parts("1.5"), None);
    }
}

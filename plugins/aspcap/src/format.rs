//! Numbers as FERRE's text files hold them.

/// The value FERRE writes for a quantity it could not determine.
pub const SENTINELS: [f64; 2] = [-9999.0, -999.0];

/// Whether `x` is missing: not finite, or one of FERRE's [`SENTINELS`].
pub fn is_missing(x: f64) -> bool {
    !x.is_finite() || SENTINELS.contains(&x)
}

/// `x` unless it is missing ([`is_missing`]).
pub fn present(x: f64) -> Option<f64> {
    (!is_missing(x)).then_some(x)
}

/// `x` in C's `%.4e` form (four decimals, a signed exponent of at least two digits:
/// `1.2346e+03`), as Astra writes FERRE's flux and error files.
pub fn scientific(x: f64) -> String {
    let rust = format!("{x:.4e}");
    let Some((mantissa, exponent)) = rust.split_once('e') else {
        // NaN and the infinities have no exponent; they are never written (the batch
        // replaces them first), but show them as C does.
        return if x.is_nan() {
            "nan".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    };
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exponent),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

/// A number as FERRE (Fortran) or Astra (NumPy) writes it: decimal or exponent form,
/// with `E`, `e`, `D` or `d` before the exponent, or `NaN`/`Infinity` in any case.
pub fn parse_number(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase().replace('d', "e");
    match lower.as_str() {
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => lower.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scientific_matches_c() {
        assert_eq!(scientific(1234.56), "1.2346e+03");
        assert_eq!(scientific(-0.000012345), "-1.2345e-05");
        assert_eq!(scientific(0.0), "0.0000e+00");
        assert_eq!(scientific(1e10), "1.0000e+10");
        assert_eq!(scientific(1e-100), "1.0000e-100");
    }

    #[test]
    fn fortran_numbers_parse() {
        assert_eq!(parse_number("0.1234E+01"), Some(1.234));
        assert_eq!(parse_number("-.5D-1"), Some(-0.05));
        assert!(parse_number("NaN").unwrap().is_nan());
        assert_eq!(parse_number("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_number("*****"), None);
        assert_eq!(parse_number("1.2.3"), None);
        assert!(is_missing(-9999.0) && is_missing(-999.0) && is_missing(f64::NAN));
        assert!(!is_missing(-99.0));
    }
}

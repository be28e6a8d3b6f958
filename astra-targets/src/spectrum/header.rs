//! Header cards in and out of cfitsio: all cards of an HDU in order (with `HISTORY`,
//! `COMMENT` and long strings), and writing [`Card`]s back.
//!
//! Cards that describe the file rather than the spectrum are not kept on reading, and are
//! not written from a card list: the structural keys (`SIMPLE`, `XTENSION`, `BITPIX`,
//! `NAXIS*`, `EXTEND`, `PCOUNT`, `GCOUNT`), the per-HDU `CHECKSUM`/`DATASUM`, and the two
//! `COMMENT` cards cfitsio adds to every primary header citing the FITS paper.

use std::ffi::{CString, c_char, c_int};

use fitsio::sys;

use super::cfitsio::Fits;
use super::{Card, CardValue};
use crate::Result;

/// The two commentary cards cfitsio writes into every primary header it creates.
const CFITSIO_BOILERPLATE: [&str; 2] = [
    "FITS (Flexible Image Transport System) format is defined in 'Astronomy",
    "and Astrophysics', volume 376, page 359; bibcode: 2001A&A...376..359H",
];

/// Whether a key describes the file's structure (and so is not part of a spectrum's header).
pub(crate) fn is_structural(key: &str) -> bool {
    matches!(
        key,
        "SIMPLE" | "XTENSION" | "BITPIX" | "EXTEND" | "PCOUNT" | "GCOUNT" | "CHECKSUM" | "DATASUM" | "END"
    ) || key
        .strip_prefix("NAXIS")
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
}

fn buf_string(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// Parses a FITS quoted string (`'it''s  '`) into its text, without trailing blanks.
fn unquote(raw: &str) -> Option<String> {
    let inner = raw.trim().strip_prefix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                out.push('\'');
            } else {
                return Some(out.trim_end().to_string());
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// Parses a raw value field into a typed value.
fn parse_value(raw: &str) -> CardValue {
    let raw = raw.trim();
    if raw.is_empty() {
        return CardValue::None;
    }
    if raw.starts_with('\'') {
        return unquote(raw)
            .map(CardValue::Str)
            .unwrap_or_else(|| CardValue::Str(raw.to_string()));
    }
    match raw {
        "T" => return CardValue::Bool(true),
        "F" => return CardValue::Bool(false),
        _ => {}
    }
    if let Ok(i) = raw.parse::<i64>() {
        return CardValue::Int(i);
    }
    if let Ok(f) = raw.replace(['D', 'd'], "E").parse::<f64>() {
        return CardValue::Float(f);
    }
    // Complex values and anything else are kept as written.
    CardValue::Str(raw.to_string())
}

/// Reads every card of the current HDU in order, except the structural ones (see the
/// module docs). `CONTINUE` cards are joined onto the long string they continue.
pub(crate) fn read_cards(fits: &mut Fits) -> Result<Vec<Card>> {
    let mut count: c_int = 0;
    let mut more: c_int = 0;
    let mut status = 0;
    unsafe { sys::ffghsp(fits.raw(), &mut count, &mut more, &mut status) };
    fits.check(status, || "counting the header cards".into())?;
    let mut cards: Vec<Card> = Vec::with_capacity(count.max(0) as usize);
    let mut continuing = false;
    for n in 1..=count {
        let mut key = [0 as c_char; 80];
        let mut value = [0 as c_char; 80];
        let mut comment = [0 as c_char; 80];
        unsafe {
            sys::ffgkyn(
                fits.raw(),
                n,
                key.as_mut_ptr(),
                value.as_mut_ptr(),
                comment.as_mut_ptr(),
                &mut status,
            )
        };
        fits.check(status, || format!("reading header card {n}"))?;
        let key = buf_string(&key);
        let value = buf_string(&value);
        let comment = buf_string(&comment).trim_end().to_string();
        if key == "CONTINUE"
            && continuing
            && let (
                Some(part),
                Some(Card {
                    value: CardValue::Str(s),
                    comment: c,
                    ..
                }),
            ) = (continued_part(&comment), cards.last_mut())
        {
            s.pop(); // the '&' that announced this card
            s.push_str(&part.0);
            continuing = s.ends_with('&');
            if !part.1.is_empty() {
                *c = part.1;
            }
            continue;
        }
        if is_structural(&key) {
            continuing = false;
            continue;
        }
        let parsed = match key.as_str() {
            "COMMENT" | "HISTORY" | "" => CardValue::None,
            _ => parse_value(&value),
        };
        if key == "COMMENT" && CFITSIO_BOILERPLATE.iter().any(|b| comment.trim() == *b) {
            continue;
        }
        continuing = matches!(&parsed, CardValue::Str(s) if s.ends_with('&'));
        cards.push(Card {
            key,
            value: parsed,
            comment,
        });
    }
    Ok(cards)
}

/// The string and comment of a `CONTINUE` card's text (`'more text&' / comment`).
fn continued_part(text: &str) -> Option<(String, String)> {
    let text = text.trim_start();
    let s = unquote(text)?;
    // The comment follows the closing quote and a slash.
    let mut quotes = 0usize;
    let mut end = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if quotes > 0 && i + 1 < bytes.len() && bytes[i + 1] == b'\'' {
                i += 2;
                continue;
            }
            quotes += 1;
            if quotes == 2 {
                end = i + 1;
                break;
            }
        }
        i += 1;
    }
    let rest = text.get(end..).unwrap_or("").trim();
    let comment = rest.strip_prefix('/').map(|c| c.trim().to_string()).unwrap_or_default();
    Some((s, comment))
}

/// Formats a float so that it reads back to the same `f64`, in a form FITS accepts.
pub(crate) fn format_float(v: f64) -> String {
    if !v.is_finite() {
        // FITS has no NaN/Inf literal; such cards are written as strings.
        return format!("'{v}'");
    }
    let abs = v.abs();
    if abs == 0.0 || (1e-4..1e15).contains(&abs) {
        let s = format!("{v:?}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{v:E}");
        let (mantissa, exponent) = s.split_once('E').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exponent}")
    }
}

/// What keeps a card from being written as valid FITS, if anything: a key that is not
/// 1-8 upper-case letters, digits, `-` or `_` (or blank for commentary), or text that is
/// not printable ASCII.
pub(crate) fn card_problem(card: &Card) -> Option<String> {
    let key_ok = card.key.len() <= 8
        && card
            .key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !key_ok || (card.key.is_empty() && card.value != CardValue::None) {
        return Some(format!(
            "the key {:?} is not a FITS keyword (1-8 of A-Z, 0-9, - and _)",
            card.key
        ));
    }
    let printable = |s: &str| s.bytes().all(|b| (0x20..=0x7e).contains(&b));
    if let CardValue::Str(v) = &card.value
        && !printable(v)
    {
        return Some(format!("the value of {} ({v:?}) is not printable ASCII", card.key));
    }
    if !printable(&card.comment) {
        return Some(format!(
            "the comment of {} ({:?}) is not printable ASCII",
            card.key, card.comment
        ));
    }
    None
}

/// Writes one card at the end of the current header. Structural keys are skipped.
pub(crate) fn write_card(fits: &mut Fits, card: &Card) -> Result<()> {
    if is_structural(&card.key) {
        return Ok(());
    }
    let key = c_text(&card.key);
    let comment = c_text(&card.comment);
    let mut status = 0;
    let ptr = fits.raw();
    unsafe {
        match (&card.value, card.key.as_str()) {
            (CardValue::None, "HISTORY") => {
                sys::ffphis(ptr, comment.as_ptr(), &mut status);
            }
            (CardValue::None, "COMMENT") => {
                sys::ffpcom(ptr, comment.as_ptr(), &mut status);
            }
            (CardValue::None, k) => {
                let line = if k.is_empty() {
                    format!("        {}", card.comment)
                } else {
                    format!("{k:<8}= / {}", card.comment)
                };
                let line: String = line.chars().take(80).collect();
                sys::ffprec(ptr, c_text(&line).as_ptr(), &mut status);
            }
            (CardValue::Str(s), _) if s.len() > 68 => {
                sys::ffpkls(ptr, key.as_ptr(), c_text(s).as_ptr(), comment.as_ptr(), &mut status);
            }
            (CardValue::Str(s), _) => {
                sys::ffpkys(ptr, key.as_ptr(), c_text(s).as_ptr(), comment.as_ptr(), &mut status);
            }
            (CardValue::Int(i), _) => {
                sys::ffpkyj(ptr, key.as_ptr(), *i, comment.as_ptr(), &mut status);
            }
            (CardValue::Bool(b), _) => {
                sys::ffpkyl(ptr, key.as_ptr(), *b as c_int, comment.as_ptr(), &mut status);
            }
            (CardValue::Float(f), _) => {
                let mut value = c_text(&format_float(*f)).into_bytes_with_nul();
                value.resize(value.len().max(72), 0);
                let mut card_buf = [0 as c_char; 81];
                sys::ffmkky(
                    key.as_ptr(),
                    value.as_mut_ptr() as *mut c_char,
                    comment.as_ptr(),
                    card_buf.as_mut_ptr(),
                    &mut status,
                );
                if status == 0 {
                    sys::ffprec(ptr, card_buf.as_ptr(), &mut status);
                }
            }
        }
    }
    fits.check(status, || format!("writing the header card {}", card.key))
}

/// Writes cards in order (see [`write_card`]).
pub(crate) fn write_cards(fits: &mut Fits, cards: &[Card]) -> Result<()> {
    cards.iter().try_for_each(|c| write_card(fits, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_by_type() {
        assert_eq!(parse_value("'apo25m  '"), CardValue::Str("apo25m".into()));
        assert_eq!(parse_value("'it''s'"), CardValue::Str("it's".into()));
        assert_eq!(parse_value("T"), CardValue::Bool(true));
        assert_eq!(parse_value("42"), CardValue::Int(42));
        assert_eq!(parse_value("1.5D-3"), CardValue::Float(1.5e-3));
        assert_eq!(parse_value(""), CardValue::None);
    }

    #[test]
    fn floats_round_trip_through_their_text() {
        for v in [
            4.179,
            6e-6,
            1.0,
            -0.0,
            1e20,
            123456.789,
            3.5523,
            1e-4,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let s = format_float(v);
            assert!(s.contains('.'), "{s}");
            assert_eq!(s.parse::<f64>().unwrap(), v, "{s}");
        }
    }

    #[test]
    fn structural_keys() {
        for k in ["SIMPLE", "NAXIS", "NAXIS2", "CHECKSUM"] {
            assert!(is_structural(k));
        }
        for k in ["NAXISX", "TELESCOP", "HISTORY"] {
            assert!(!is_structural(k));
        }
    }
}

//! Header cards out of cfitsio: all cards of an HDU in order (with `HISTORY`, `COMMENT`
//! and long strings). (Cards are written by [`crate::fits`].)
//!
//! Cards that describe the file rather than the spectrum are not kept: the keys the FITS
//! writer sets itself ([`crate::fits::card::RESERVED_KEYS`] and `NAXISn`: structure and
//! checksums), and the two `COMMENT` cards cfitsio adds to every primary header citing the
//! FITS paper.

use crate::Result;
use crate::fits::{Card, CardValue};
use crate::fits::{FitsReader, RawCard};

/// The two commentary cards cfitsio writes into every primary header it creates.
const CFITSIO_BOILERPLATE: [&str; 2] = [
    "FITS (Flexible Image Transport System) format is defined in 'Astronomy",
    "and Astrophysics', volume 376, page 359; bibcode: 2001A&A...376..359H",
];

/// Whether a key describes the file's structure or checksums (and so is not part of a
/// spectrum's header): the keys the FITS writer sets itself.
pub(crate) fn is_structural(key: &str) -> bool {
    crate::fits::card::is_reserved(key)
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
pub(crate) fn read_cards(fits: &mut FitsReader) -> Result<Vec<Card>> {
    let count = fits.card_count()?;
    let mut cards: Vec<Card> = Vec::with_capacity(count);
    let mut continuing = false;
    for n in 1..=count {
        let RawCard { key, value, comment } = fits.card(n)?;
        let comment = comment.trim_end().to_string();
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
    fn structural_keys() {
        for k in ["SIMPLE", "NAXIS", "NAXIS2", "CHECKSUM"] {
            assert!(is_structural(k));
        }
        for k in ["NAXISX", "TELESCOP", "HISTORY"] {
            assert!(!is_structural(k));
        }
    }
}

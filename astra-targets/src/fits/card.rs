//! Header cards as FITS 80-character records.
//!
//! Values are laid out as the FITS standard's fixed format (strings from column 11,
//! numbers and logicals right-justified to column 30); floats in their shortest form that
//! reads back to the same `f64` (`123.4567891`, `1.0E-06`). Keys longer than eight
//! characters use the HIERARCH convention. Strings too long for one card go through
//! cfitsio's long-string (`CONTINUE`) writer. Everything must be printable ASCII.

use crate::{Error, Result};

/// One header card: a keyword, a typed value and a comment (the cards of an input
/// spectrum's header, propagated into the astraSource primary header, and the cards every
/// writer sets).
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// The keyword (`TELESCOP`, `HISTORY`, ...).
    pub key: String,
    /// The value, as a typed value.
    pub value: CardValue,
    /// The comment, possibly empty.
    pub comment: String,
}

/// The value of a header card.
#[derive(Debug, Clone, PartialEq)]
pub enum CardValue {
    /// A string value.
    Str(String),
    /// An integer value.
    Int(i64),
    /// A floating-point value.
    Float(f64),
    /// A logical value.
    Bool(bool),
    /// No value (`COMMENT`, `HISTORY`, blank keys): the text is in the comment.
    None,
}

/// The keywords that describe an HDU's structure or checksums: the writer sets them, so
/// copies from an input header are dropped.
pub const RESERVED_KEYS: &[&str] = &[
    "SIMPLE", "XTENSION", "BITPIX", "EXTEND", "PCOUNT", "GCOUNT", "TFIELDS", "BSCALE", "BZERO", "BLANK", "CHECKSUM",
    "DATASUM", "END",
];

/// Whether `key` is set by the writer itself (structure, `NAXISn`, checksums).
pub fn is_reserved(key: &str) -> bool {
    RESERVED_KEYS.contains(&key) || (key.starts_with("NAXIS") && key[5..].bytes().all(|b| b.is_ascii_digit()))
}

/// How a card is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Formatted {
    /// One or more complete 80-character records.
    Records(Vec<String>),
    /// A string value too long for one card: written with the `CONTINUE` convention.
    LongString {
        /// The keyword.
        key: String,
        /// The value.
        value: String,
        /// The comment.
        comment: String,
    },
}

/// Formats a card, refusing keys and text that FITS cannot hold.
pub fn format(card: &Card) -> Result<Formatted> {
    let key = card.key.trim_end();
    let refuse = |reason: String| Error::Card {
        key: card.key.clone(),
        reason,
    };
    check_text(key, &card.comment).map_err(&refuse)?;
    if let CardValue::Str(s) = &card.value {
        check_text(key, s).map_err(&refuse)?;
    }
    let commentary = matches!(key, "COMMENT" | "HISTORY" | "");
    if commentary {
        let text = match &card.value {
            CardValue::None => card.comment.as_str(),
            CardValue::Str(s) if card.comment.is_empty() => s.as_str(),
            _ => return Err(refuse(format!("a {key:?} card holds text, not a value"))),
        };
        return Ok(Formatted::Records(commentary_records(key, text)));
    }
    let hierarch = key.len() > 8;
    let valid_char = |b: u8| {
        b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || (hierarch && (b == b' ' || b == b'.'))
    };
    if key.is_empty() || !key.bytes().all(valid_char) {
        return Err(refuse("keywords are upper-case letters, digits, '-' and '_'".into()));
    }
    let value = match &card.value {
        CardValue::Str(s) => {
            let quoted = quote(s);
            if quoted.len() > 70 - if hierarch { key.len() + 4 } else { 0 } {
                if hierarch {
                    return Err(refuse("a HIERARCH card cannot hold a string this long".into()));
                }
                return Ok(Formatted::LongString {
                    key: key.into(),
                    value: s.clone(),
                    comment: card.comment.clone(),
                });
            }
            format!("{quoted:<20}")
        }
        CardValue::Int(i) => format!("{i:>20}"),
        CardValue::Float(x) => format!(
            "{:>20}",
            float(*x).ok_or_else(|| refuse(format!("{x} has no FITS form")))?
        ),
        CardValue::Bool(b) => format!("{:>20}", if *b { "T" } else { "F" }),
        CardValue::None => " ".repeat(20),
    };
    let mut record = if hierarch {
        format!("HIERARCH {key} = {value}")
    } else {
        format!("{key:<8}= {value}")
    };
    if record.len() > 80 {
        return Err(refuse("the card is longer than 80 characters".into()));
    }
    if !card.comment.is_empty() && record.len() + 3 < 80 {
        record.push_str(" / ");
        let room = 80 - record.len();
        record.push_str(&card.comment[..card.comment.len().min(room)]);
    }
    Ok(Formatted::Records(vec![pad(record)]))
}

/// A string value in quotes, inner quotes doubled, padded to at least 8 characters.
fn quote(s: &str) -> String {
    let inner = s.replace('\'', "''");
    format!("'{inner:<8}'")
}

fn pad(mut record: String) -> String {
    record.truncate(80);
    while record.len() < 80 {
        record.push(' ');
    }
    record
}

/// `COMMENT`, `HISTORY` or blank-key records, the text split over 72-character pieces.
fn commentary_records(key: &str, text: &str) -> Vec<String> {
    if text.is_empty() {
        return vec![pad(key.to_string())];
    }
    text.as_bytes()
        .chunks(72)
        .map(|piece| pad(format!("{key:<8}{}", String::from_utf8_lossy(piece))))
        .collect()
}

fn check_text(key: &str, text: &str) -> std::result::Result<(), String> {
    match text.chars().find(|c| !(' '..='~').contains(c)) {
        None => Ok(()),
        Some(c) => Err(format!(
            "{text:?} holds {c:?}; FITS {} text is printable ASCII",
            if key.is_empty() { "header" } else { key }
        )),
    }
}

/// A float in the shortest form that reads back to the same `f64`, with a decimal point
/// and an upper-case exponent when one is needed (`0.1`, `1.0`, `1.5E+20`, `1.0E-06`);
/// `None` for NaN and infinities, which FITS headers cannot hold.
pub fn float(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    let (sign, digits, exp) = crate::float::sci_parts(&format!("{x:e}"))?;
    Some(if (-4..16).contains(&exp) {
        crate::float::positional(sign, &digits, exp)
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!(
            "{sign}{first}.{rest}E{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    })
}

/// A card with a string value.
pub fn string(key: &str, value: &str, comment: &str) -> Card {
    Card {
        key: key.into(),
        value: CardValue::Str(value.into()),
        comment: comment.into(),
    }
}

/// A card with an integer value.
pub fn int(key: &str, value: i64, comment: &str) -> Card {
    Card {
        key: key.into(),
        value: CardValue::Int(value),
        comment: comment.into(),
    }
}

/// A card with a float value.
pub fn real(key: &str, value: f64, comment: &str) -> Card {
    Card {
        key: key.into(),
        value: CardValue::Float(value),
        comment: comment.into(),
    }
}

/// A `HISTORY` card.
pub fn history(text: &str) -> Card {
    Card {
        key: "HISTORY".into(),
        value: CardValue::None,
        comment: text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(card: Card) -> String {
        match format(&card).unwrap() {
            Formatted::Records(r) => {
                assert_eq!(r.len(), 1);
                assert_eq!(r[0].len(), 80);
                r[0].trim_end().to_string()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn values_are_laid_out_in_fixed_format() {
        assert_eq!(
            one(string("TELESCOP", "apo25m", "Telescope")),
            "TELESCOP= 'apo25m  '           / Telescope"
        );
        assert_eq!(one(int("NAXIS1", 8575, "")), "NAXIS1  =                 8575");
        assert_eq!(
            one(real("CDELT1", 6e-6, "step")),
            "CDELT1  =              6.0E-06 / step"
        );
        assert_eq!(one(string("O", "it's", "")), "O       = 'it''s   '");
        assert_eq!(one(history("HDU 1")), "HISTORY HDU 1");
        assert_eq!(
            one(string("ESO DET CHIP", "x", "")),
            "HIERARCH ESO DET CHIP = 'x       '"
        );
    }

    #[test]
    fn floats_read_back_exactly() {
        for x in [
            0.1,
            1.0,
            4.179,
            6e-6,
            1e-4,
            123.4567891,
            -12.3456789,
            1.5e20,
            -0.0,
            2f64.powi(60),
            1.0 / 3.0,
        ] {
            let text = float(x).unwrap();
            assert_eq!(text.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{text}");
            assert!(text.contains('.'), "{text}");
        }
        assert_eq!(float(1e-6).unwrap(), "1.0E-06");
        assert_eq!(float(f64::NAN), None);
    }

    #[test]
    fn refuses_what_fits_cannot_hold() {
        assert!(format(&string("KEY", "é", "")).is_err());
        assert!(format(&string("lower", "x", "")).is_err());
        assert!(format(&real("X", f64::INFINITY, "")).is_err());
        let long = "x".repeat(100);
        assert!(matches!(
            format(&string("LONG", &long, "")).unwrap(),
            Formatted::LongString { .. }
        ));
        assert_eq!(
            format(&Card {
                key: "COMMENT".into(),
                value: CardValue::None,
                comment: long
            })
            .unwrap(),
            Formatted::Records(vec![
                pad(format!("COMMENT {}", "x".repeat(72))),
                pad(format!("COMMENT {}", "x".repeat(28)))
            ])
        );
    }
}

//! The FITS unit grammar (FITS standard section 4.3), as astropy's `fits` unit format
//! reads it: SI-prefixable base units, a few unprefixable ones, products (`.`, `*`, a
//! space), quotients (`/`), powers (`**n`, `^n`, or a bare integer after a unit, `cm2`,
//! `s-1`), parentheses, and a leading power of ten (`10**-17`).

const PREFIXABLE: &[&str] = &[
    "m", "g", "s", "rad", "sr", "K", "A", "mol", "cd", "Hz", "J", "W", "V", "N", "Pa", "C", "Ohm", "S", "F", "Wb", "T",
    "H", "lm", "lx", "a", "yr", "eV", "pc", "Jy", "mag", "R", "bit", "byte", "G", "barn",
];

const SIMPLE: &[&str] = &[
    "deg", "arcmin", "arcsec", "mas", "min", "h", "d", "Ry", "solMass", "u", "solLum", "solRad", "AU", "lyr", "count",
    "ct", "photon", "ph", "pixel", "pix", "D", "Sun", "chan", "bin", "voxel", "adu", "beam", "erg", "Angstrom",
    "angstrom",
];

const PREFIXES: &[&str] = &[
    "da", "y", "z", "a", "f", "p", "n", "u", "m", "c", "d", "h", "k", "M", "G", "T", "P", "E", "Z", "Y",
];

/// Conventional units that are not FITS units, with advice.
const NOT_FITS: &[(&str, &str)] = &[
    ("dex", "leave the unit empty and say \"in dex\" in the description"),
    (
        "log",
        "logarithmic quantities have no FITS unit: leave the unit empty and name the quantity (e.g. \"log10 of surface gravity in cm/s2\") in the description",
    ),
    (
        "ln",
        "logarithmic quantities have no FITS unit: leave the unit empty and describe the quantity in the description",
    ),
];

/// Whether `word` is a FITS unit symbol.
fn is_unit(word: &str) -> bool {
    if SIMPLE.contains(&word) || PREFIXABLE.contains(&word) {
        return true;
    }
    PREFIXES
        .iter()
        .any(|p| word.strip_prefix(p).is_some_and(|base| PREFIXABLE.contains(&base)))
}

/// Checks a unit string; `Err` says what is wrong.
pub fn check(unit: &str) -> Result<(), String> {
    for (word, advice) in NOT_FITS {
        if unit.split(|c: char| !c.is_ascii_alphabetic()).any(|w| w == *word) {
            return Err(format!("`{unit}` is not a valid FITS unit: {advice}"));
        }
    }
    let mut p = Parser {
        s: unit.as_bytes(),
        i: 0,
        text: unit,
    };
    p.unit_expr()?;
    if p.i != p.s.len() {
        return Err(p.fail("unexpected text"));
    }
    Ok(())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn fail(&self, what: &str) -> String {
        format!(
            "`{}` is not a valid FITS unit: {what} at `{}`",
            self.text,
            &self.text[self.i.min(self.text.len())..]
        )
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.s[self.i..].starts_with(token.as_bytes()) {
            self.i += token.len();
            true
        } else {
            false
        }
    }

    fn unit_expr(&mut self) -> Result<(), String> {
        if self.s.is_empty() {
            return Err("an empty unit: leave the attribute out instead".into());
        }
        if self.s.starts_with(b"10") && (self.s[2..].starts_with(b"**") || self.s[2..].starts_with(b"^")) {
            self.i = 2;
            self.power_op()?;
            if self.i == self.s.len() {
                return Ok(());
            }
            if !(self.eat(" ") || self.eat(".") || self.eat("*")) {
                return Err(self.fail("expected a separator after the power of ten"));
            }
        }
        self.product()
    }

    fn product(&mut self) -> Result<(), String> {
        self.term()?;
        loop {
            match self.peek() {
                Some(b'/') => {
                    self.i += 1;
                    self.term()?;
                }
                Some(b'.') | Some(b' ') => {
                    self.i += 1;
                    self.term()?;
                }
                Some(b'*') if self.s.get(self.i + 1) != Some(&b'*') => {
                    self.i += 1;
                    self.term()?;
                }
                _ => return Ok(()),
            }
        }
    }

    fn term(&mut self) -> Result<(), String> {
        if self.eat("(") {
            self.product()?;
            if !self.eat(")") {
                return Err(self.fail("expected `)`"));
            }
            if matches!(self.peek(), Some(b'*') | Some(b'^')) {
                self.power_op()?;
            }
            return Ok(());
        }
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.fail("expected a unit"));
        }
        let word = &self.text[start..self.i];
        if !is_unit(word) {
            self.i = start;
            return Err(self.fail(&format!("`{word}` is not a FITS unit symbol")));
        }
        match self.peek() {
            Some(b'*') if self.s.get(self.i + 1) == Some(&b'*') => self.power_op(),
            Some(b'^') => self.power_op(),
            Some(b'+') | Some(b'-') | Some(b'0'..=b'9') => self.signed_int(),
            _ => Ok(()),
        }
    }

    fn power_op(&mut self) -> Result<(), String> {
        if !(self.eat("**") || self.eat("^")) {
            return Err(self.fail("expected `**` or `^`"));
        }
        if self.eat("(") {
            self.signed_int()?;
            if self.eat("/") {
                self.signed_int()?;
            }
            if !self.eat(")") {
                return Err(self.fail("expected `)`"));
            }
            Ok(())
        } else {
            self.signed_int()
        }
    }

    fn signed_int(&mut self) -> Result<(), String> {
        if matches!(self.peek(), Some(b'+') | Some(b'-')) {
            self.i += 1;
        }
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if start == self.i {
            Err(self.fail("expected an integer power"))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Units astropy's FITS format accepts, and some it refuses (checked against astropy
    /// by the workspace's tests through the derive).
    pub const GOOD: &[&str] = &[
        "K",
        "km/s",
        "s",
        "10**-17 erg/s/cm**2/Angstrom",
        "m.s-1",
        "cm2",
        "erg/(s.cm2)",
        "mas/yr",
        "deg",
        "10**-17 erg.s**-1.cm**-2.Angstrom**-1",
        "Jy",
        "mag",
        "dam",
        "Myr",
        "solMass",
        "count",
        "km s-1",
        "m**(1/2)",
    ];
    pub const BAD: &[&str] = &[
        "dex",
        "log(cm/s2)",
        "",
        "foo",
        "km//s",
        "km/",
        " K",
        "K ",
        "cm/s^",
        "kms",
    ];

    #[test]
    fn grammar() {
        for u in GOOD {
            assert!(check(u).is_ok(), "{u}: {:?}", check(u));
        }
        for u in BAD {
            assert!(check(u).is_err(), "{u} should be refused");
        }
    }
}

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
        let signed_power = matches!(self.s.get(2), Some(b'+') | Some(b'-'));
        if self.s.starts_with(b"10")
            && (self.s[2..].starts_with(b"**") || self.s[2..].starts_with(b"^") || signed_power)
        {
            self.i = 2;
            if signed_power {
                self.signed_int()?
            } else {
                self.power_op()?
            }
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
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// Units to judge: FITS units astronomers write, conventional non-FITS ones, and
    /// malformed strings.
    const CASES: &[&str] = &[
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
        "dex",
        "log(cm/s2)",
        "foo",
        "km//s",
        "km/",
        "cm/s^",
        "kms",
        "10^-17 erg/s",
        "10**3",
        "m2",
        "s^-1",
        "m/s/s",
        "(m/s)**2",
        "ct/s",
        "pix",
        "Angstrom",
        "angstrom",
        "nm",
        "um",
        "mJy",
        "dyn",
        "Ba",
        "erg",
        "adu",
        "%",
        "Msun",
        "K.s",
        "K*s",
        "km.s**-1",
        "10+3 m",
        "10**(-17) erg",
        "mdeg",
        "kpc",
        "Gyr",
        "yr",
        "a",
        "h",
        "min",
        "kmin",
        "Ohm",
        "uas",
        "ph",
        "photon/cm2/s",
        "d",
        "dd",
        "W/m2/Hz",
        "solLum",
        "beam",
        "ln(K)",
    ];

    /// Where we are deliberately stricter than astropy: surrounding spaces would be
    /// written into `TUNITn` as they are.
    const STRICTER: &[&str] = &[" K", "K ", ""];

    fn python() -> String {
        if let Ok(p) = std::env::var("ASTRA_TEST_PYTHON") {
            return p;
        }
        let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
        assert!(
            std::path::Path::new(venv).exists(),
            "ASTRA_TEST_PYTHON is not set and .venv is missing: run scripts/test.sh (it installs astropy)"
        );
        venv.to_string()
    }

    /// astropy's verdict ("ok"/"no") on each unit, in order.
    fn astropy_verdicts(units: &[&str]) -> Vec<bool> {
        let script = "import sys, warnings\nwarnings.simplefilter('error')\nfrom astropy import units as u\n\
            for line in sys.stdin.read().split('\\x1e'):\n\
            \x20   try:\n        u.Unit(line, format='fits'); print('ok')\n    except Exception:\n        print('no')\n";
        let mut child = Command::new(python())
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start python");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(units.join("\x1e").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "python failed");
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines().map(|l| l == "ok").collect()
    }

    #[test]
    fn grammar_agrees_with_astropy() {
        let verdicts = astropy_verdicts(CASES);
        assert_eq!(verdicts.len(), CASES.len());
        let disagreements: Vec<String> = CASES
            .iter()
            .zip(&verdicts)
            .filter(|(u, ok)| check(u).is_ok() != **ok)
            .map(|(u, ok)| {
                format!(
                    "{u:?}: astropy {}, ours {:?}",
                    if *ok { "accepts" } else { "refuses" },
                    check(u)
                )
            })
            .collect();
        assert!(
            disagreements.is_empty(),
            "FITS unit grammar disagrees with astropy:\n{}",
            disagreements.join("\n")
        );
        assert!(verdicts.iter().filter(|v| **v).count() > 30 && verdicts.iter().any(|v| !v));
    }

    #[test]
    fn stricter_than_astropy_only_where_stated() {
        for (u, ok) in STRICTER.iter().zip(astropy_verdicts(STRICTER)) {
            assert!(ok, "astropy refuses {u:?}: no longer a deliberate difference");
            assert!(check(u).is_err(), "{u:?} should be refused");
        }
    }
}

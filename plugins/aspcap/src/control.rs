//! FERRE's control file, `input.nml`: a Fortran namelist (`&LISTA`) of keywords.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{FerreError, Result};

/// A FERRE control file, read: its keywords (upper case) and their values as written
/// (quotes removed), and where it is (the files it names are relative to its folder).
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    path: PathBuf,
    keywords: BTreeMap<String, String>,
}

impl Control {
    /// Reads the namelist at `path`: the lines between ` &LISTA` and ` /`, each
    /// `KEYWORD = value`.
    pub fn read(path: &Path) -> Result<Control> {
        let text = std::fs::read_to_string(path).map_err(FerreError::io(path))?;
        let mut keywords = BTreeMap::new();
        let mut started = false;
        let mut ended = false;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if !started {
                if trimmed.eq_ignore_ascii_case("&LISTA") {
                    started = true;
                    continue;
                }
                return Err(FerreError::line(
                    path,
                    i + 1,
                    format!("expected the namelist's start &LISTA, found {trimmed:?}"),
                ));
            }
            if trimmed == "/" {
                ended = true;
                break;
            }
            let Some((key, value)) = trimmed.split_once('=') else {
                return Err(FerreError::line(
                    path,
                    i + 1,
                    format!("expected KEYWORD = value, found {trimmed:?}"),
                ));
            };
            let value = value.trim().trim_end_matches(',').trim();
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(value);
            keywords.insert(key.trim().to_ascii_uppercase(), value.to_string());
        }
        if !ended {
            return Err(FerreError::keyword(
                path,
                "the namelist does not end with / (a truncated file?)",
            ));
        }
        Ok(Control {
            path: path.to_path_buf(),
            keywords,
        })
    }

    /// The control file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder the files it names are relative to.
    pub fn dir(&self) -> &Path {
        crate::parent_dir(&self.path)
    }

    /// The value of `keyword` (upper case), if present.
    pub fn get(&self, keyword: &str) -> Option<&str> {
        self.keywords.get(keyword).map(String::as_str)
    }

    /// The value of `keyword`; an error naming the file and the keyword when missing.
    pub fn require(&self, keyword: &str) -> Result<&str> {
        self.get(keyword)
            .ok_or_else(|| FerreError::keyword(&self.path, format!("has no {keyword}")))
    }

    /// The integer value of `keyword`.
    pub fn integer(&self, keyword: &str) -> Result<i64> {
        let value = self.require(keyword)?;
        value
            .parse()
            .map_err(|_| FerreError::keyword(&self.path, format!("{keyword} = {value} is not an integer")))
    }

    /// The integers of `keyword` (separated by blanks or commas).
    pub fn integers(&self, keyword: &str) -> Result<Vec<i64>> {
        let value = self.require(keyword)?;
        value
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse()
                    .map_err(|_| FerreError::keyword(&self.path, format!("{keyword} = {value}: {s} is not an integer")))
            })
            .collect()
    }

    /// The file `keyword` names, relative to the control file's folder unless absolute.
    pub fn file(&self, keyword: &str) -> Result<PathBuf> {
        Ok(self.dir().join(self.require(keyword)?))
    }
}

/// One keyword's value as [`write`] writes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// An integer.
    Int(i64),
    /// A real number (Fortran needs a decimal point).
    Real(f64),
    /// Integers separated by blanks (`INDV`).
    Ints(Vec<i64>),
    /// A quoted string (file names).
    Str(String),
}

/// The namelist text of `keywords`, in their order: ` &LISTA`, one ` KEY = value` line
/// each, ` /` and a newline (FERRE needs the final newline).
pub(crate) fn write(keywords: &[(&str, Value)]) -> String {
    let mut out = String::from(" &LISTA\n");
    for (key, value) in keywords {
        let value = match value {
            Value::Int(i) => i.to_string(),
            Value::Real(x) => {
                let s = format!("{x:?}");
                if s.contains('.') || s.contains('e') {
                    s
                } else {
                    format!("{s}.")
                }
            }
            Value::Ints(list) => list.iter().map(i64::to_string).collect::<Vec<_>>().join(" "),
            Value::Str(s) => format!("'{s}'"),
        };
        out.push_str(&format!(" {key} = {value}\n"));
    }
    out.push_str(" /\n");
    out
}

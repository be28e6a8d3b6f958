//! One input file as a plugin sees it: its path, its spectrum and its header cards.

use std::path::Path;

use crate::fits::{Card, CardValue};
use crate::spectrum::Spectrum;
use crate::{Error, Result};

/// An input spectrum file, read: what [`Plugin::task`](super::Plugin::task) builds a task
/// from and [`Plugin::analyse`](super::Plugin::analyse) analyses.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    path: &'a Path,
    spectrum: &'a Spectrum,
}

impl<'a> Input<'a> {
    /// The input `path`, read into `spectrum`.
    pub fn new(path: &'a Path, spectrum: &'a Spectrum) -> Self {
        Input { path, spectrum }
    }

    /// The file's path.
    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// The spectrum read from it.
    pub fn spectrum(&self) -> &'a Spectrum {
        self.spectrum
    }

    /// Its primary header's cards, in order.
    pub fn header(&self) -> &'a [Card] {
        &self.spectrum.header
    }

    /// The card `key` of the primary header, if present.
    pub fn card(&self, key: &str) -> Option<&'a Card> {
        self.spectrum.header.iter().find(|c| c.key == key)
    }

    fn missing(&self, key: &str, wanted: &str) -> Error {
        let found = match self.card(key).map(|c| &c.value) {
            None => "is missing".to_string(),
            Some(v) => format!("is {v:?}, not {wanted}"),
        };
        Error::SpectrumFile {
            path: self.path.to_path_buf(),
            hdu: 0,
            reason: format!("header card {key} {found}"),
        }
    }

    /// The string value of card `key` (trailing blanks removed); an error naming the
    /// file and the card when it is missing or not a string.
    pub fn card_str(&self, key: &str) -> Result<String> {
        match self.card(key).map(|c| &c.value) {
            Some(CardValue::Str(s)) => Ok(s.trim_end().to_string()),
            _ => Err(self.missing(key, "a string")),
        }
    }

    /// The integer value of card `key`; an error naming the file and the card when it is
    /// missing or not an integer.
    pub fn card_int(&self, key: &str) -> Result<i64> {
        match self.card(key).map(|c| &c.value) {
            Some(CardValue::Int(i)) => Ok(*i),
            _ => Err(self.missing(key, "an integer")),
        }
    }

    /// The floating-point value of card `key` (an integer card is read as a float); an
    /// error naming the file and the card when it is missing or not a number.
    pub fn card_f64(&self, key: &str) -> Result<f64> {
        match self.card(key).map(|c| &c.value) {
            Some(CardValue::Float(x)) => Ok(*x),
            Some(CardValue::Int(i)) => Ok(*i as f64),
            _ => Err(self.missing(key, "a number")),
        }
    }
}

//! The fixed, named list of classes a model assigns probabilities to, and the stellar
//! classes by effective temperature used by the demo.

use crate::error::ClassifierError;

/// Longest class name, in bytes (the model file's `NAME` column width).
pub const MAX_NAME_LEN: usize = 32;

/// The classes of a model, in the order of its probability vectors: at least two,
/// unique, non-empty printable-ASCII names of at most [`MAX_NAME_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassList {
    names: Vec<String>,
}

impl ClassList {
    /// Checks and keeps `names`.
    pub fn new<S: AsRef<str>>(names: &[S]) -> Result<Self, ClassifierError> {
        let names: Vec<String> = names.iter().map(|n| n.as_ref().to_string()).collect();
        let refuse = |reason| {
            Err(ClassifierError::ClassNames {
                names: names.clone(),
                reason,
            })
        };
        if names.len() < 2 {
            return refuse("a classifier needs at least two classes");
        }
        if names.iter().any(|n| n.is_empty()) {
            return refuse("a class name is empty");
        }
        if names.iter().any(|n| !n.bytes().all(|b| (b' '..=b'~').contains(&b))) {
            return refuse("class names must be printable ASCII");
        }
        if names.iter().any(|n| n.trim() != n) {
            return refuse("class names may not begin or end with a space");
        }
        if names.iter().any(|n| n.len() > MAX_NAME_LEN) {
            return refuse("class names are at most 32 bytes");
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return refuse("class names must be unique");
            }
        }
        Ok(Self { names })
    }

    /// The names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Always `false`: a class list has at least two classes.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The index of the class called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The name of class `index`.
    pub fn name(&self, index: usize) -> Option<&str> {
        self.names.get(index).map(String::as_str)
    }
}

/// The demo's stellar classes, in order: `M`, `K`, `G`, `F`.
pub const SPECTRAL_CLASSES: [&str; 4] = ["M", "K", "G", "F"];

/// The demo's class boundaries in effective temperature (K): `M` below 4000 K, `K` from
/// 4000 K up to 5200 K, `G` from 5200 K up to 6000 K, `F` from 6000 K up to 7500 K.
pub const SPECTRAL_CLASS_EDGES: [f64; 4] = [4000.0, 5200.0, 6000.0, 7500.0];

/// The demo's class of a star of effective temperature `teff` (K), as an index into
/// [`SPECTRAL_CLASSES`]: by [`SPECTRAL_CLASS_EDGES`], each class including its lower
/// edge. `None` for 7500 K and hotter, and for a `teff` that is not a positive number.
pub fn spectral_class_of_teff(teff: f64) -> Option<usize> {
    if !(teff > 0.0 && teff.is_finite()) {
        return None;
    }
    SPECTRAL_CLASS_EDGES.iter().position(|&edge| teff < edge)
}

/// [`SPECTRAL_CLASSES`] as a [`ClassList`].
pub fn spectral_classes() -> ClassList {
    ClassList {
        names: SPECTRAL_CLASSES.iter().map(|s| s.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teff_classes_follow_the_documented_edges() {
        assert_eq!(spectral_class_of_teff(3200.0), Some(0));
        assert_eq!(spectral_class_of_teff(3999.9), Some(0));
        assert_eq!(spectral_class_of_teff(4000.0), Some(1));
        assert_eq!(spectral_class_of_teff(5199.0), Some(1));
        assert_eq!(spectral_class_of_teff(5200.0), Some(2));
        assert_eq!(spectral_class_of_teff(6000.0), Some(3));
        assert_eq!(spectral_class_of_teff(7499.0), Some(3));
        assert_eq!(spectral_class_of_teff(7500.0), None);
        assert_eq!(spectral_class_of_teff(f64::NAN), None);
        assert_eq!(spectral_class_of_teff(-10.0), None);
    }

    #[test]
    fn class_lists_are_checked() {
        assert!(ClassList::new(&["a"]).is_err());
        assert!(ClassList::new(&["a", "a"]).is_err());
        assert!(ClassList::new(&["a", ""]).is_err());
        assert!(ClassList::new(&["a", "é"]).is_err());
        assert!(ClassList::new(&["a", " b"]).is_err());
        assert!(ClassList::new(&["a", &"x".repeat(33)]).is_err());
        let list = ClassList::new(&["a", "b"]).unwrap();
        assert_eq!(list.index_of("b"), Some(1));
        assert_eq!(list.name(2), None);
    }
}

//! Every plugin linked into the program, checked, and lookup by name.

use super::descriptor::{PluginDescriptor, PluginRegistration};
use crate::{Error, Result};

/// Whether `name` is a usable plugin name: lower-case ASCII letters, digits and `_`,
/// starting with a letter (a `const fn`, so that registration checks it at compile time).
pub const fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() || !bytes[0].is_ascii_lowercase() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

/// Every plugin linked into this program, sorted by name. Refused when a name is not
/// lower-case ASCII, or when two plugins share a name, a task family or a result table
/// (the error names both crates).
pub fn plugins() -> Result<Vec<&'static PluginDescriptor>> {
    let mut all: Vec<&'static PluginDescriptor> =
        inventory::iter::<PluginRegistration>.into_iter().map(|r| r.0).collect();
    all.sort_by(|a, b| a.name.cmp(b.name).then(a.crate_name.cmp(b.crate_name)));
    check(&all)?;
    Ok(all)
}

/// The plugin named `name`; an unknown name is refused with the known names and the
/// closest of them.
pub fn find(name: &str) -> Result<&'static PluginDescriptor> {
    let all = plugins()?;
    if let Some(found) = all.iter().find(|p| p.name == name) {
        return Ok(found);
    }
    let suggestion = all
        .iter()
        .map(|p| (edit_distance(name, p.name), p.name))
        .filter(|(d, candidate)| *d <= (candidate.len().max(name.len()) / 2).max(1))
        .min()
        .map(|(_, n)| n);
    let known: Vec<&str> = all.iter().map(|p| p.name).collect();
    Err(Error::UnknownPlugin {
        name: name.to_string(),
        known: if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        },
        suggestion: suggestion.map(|s| format!("; did you mean {s:?}?")).unwrap_or_default(),
    })
}

fn check(all: &[&'static PluginDescriptor]) -> Result<()> {
    for p in all {
        if !is_valid_name(p.name) {
            return Err(Error::PluginName {
                name: p.name,
                crate_name: p.crate_name,
            });
        }
    }
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            let clash = if a.name == b.name {
                Some(("name", a.name))
            } else if a.task.family == b.task.family {
                Some(("task family", a.task.family))
            } else if a.task.table == b.task.table {
                Some(("result table", a.task.table))
            } else {
                None
            };
            if let Some((what, shared)) = clash {
                return Err(Error::PluginClash {
                    what,
                    shared: shared.to_string(),
                    first: format!("{} (crate {})", a.name, a.crate_name),
                    second: format!("{} (crate {})", b.name, b.crate_name),
                });
            }
        }
    }
    Ok(())
}

/// Levenshtein distance between two short names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// The plugin named `name`, which the program trains: [`find`]'s errors, or
/// [`Error::NotTrainable`] naming the plugins that are trainable.
pub fn find_trainable(name: &str) -> Result<&'static PluginDescriptor> {
    let found = find(name)?;
    if found.is_trainable() {
        return Ok(found);
    }
    let trainable: Vec<&str> = plugins()?.iter().filter(|p| p.is_trainable()).map(|p| p.name).collect();
    Err(Error::NotTrainable {
        plugin: found.name,
        trainable: if trainable.is_empty() {
            "none".into()
        } else {
            trainable.join(", ")
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case_ascii() {
        for good in ["thecannon", "aspcap", "the_payne", "apogeenet2"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "TheCannon", "2cannon", "the-cannon", "thé", "_x", "a b"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("thecanon", "thecannon"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}

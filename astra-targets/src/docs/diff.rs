//! The changes between two datamodel YAML files of one product: HDUs, header cards and
//! columns added, removed or changed, one line each.

use std::fmt;

use super::yaml::Yaml;

/// What happened to a thing between two datamodels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// New in the newer model.
    Added,
    /// Gone from the newer model.
    Removed,
    /// In both, different.
    Changed,
}

/// One change: what kind, and the line describing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The kind.
    pub kind: ChangeKind,
    /// The product (`general.name`), the HDU, and what changed.
    pub line: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

/// A product's name, release, and HDUs in order.
pub struct Model<'a> {
    /// `general.name`.
    pub name: String,
    release: String,
    hdus: Vec<(String, &'a Yaml)>,
}

/// Reads the parts of a datamodel the diff compares.
pub fn model(y: &Yaml) -> Result<Model<'_>, String> {
    let name = y
        .get("general")
        .and_then(|g| g.get("name"))
        .and_then(Yaml::text)
        .ok_or("it has no general.name")?
        .to_string();
    let Some(Yaml::Map(releases)) = y.get("releases") else {
        return Err("it has no releases".into());
    };
    let (release, body) = releases.first().ok_or("its releases are empty")?;
    let Some(Yaml::Map(hdus)) = body.get("hdus") else {
        return Err(format!("release {release} has no hdus"));
    };
    let hdus = hdus
        .iter()
        .map(|(_, h)| {
            let name = h.get("name").and_then(Yaml::text).ok_or("an HDU has no name")?;
            Ok((name.to_string(), h))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Model {
        name,
        release: release.clone(),
        hdus,
    })
}

/// A value that varies from file to file, written `{...}`.
fn varies(v: &str) -> bool {
    v.starts_with('{') && v.ends_with('}')
}

fn text(y: Option<&Yaml>) -> String {
    match y {
        Some(Yaml::Scalar(s)) => s.clone(),
        Some(_) => "(structured)".into(),
        None => "null".into(),
    }
}

/// The header cards of an HDU as (key with its occurrence for repeated keys, card).
fn cards(h: &Yaml) -> Vec<(String, &Yaml)> {
    let mut out: Vec<(String, &Yaml)> = Vec::new();
    if let Some(Yaml::Seq(items)) = h.get("header") {
        for c in items {
            let key = text(c.get("key"));
            let n = out
                .iter()
                .filter(|(k, _)| k == &key || k.starts_with(&format!("{key}#")))
                .count();
            let id = if n == 0 { key } else { format!("{key}#{}", n + 1) };
            out.push((id, c));
        }
    }
    out
}

fn columns(h: &Yaml) -> Vec<(String, &Yaml)> {
    match h.get("columns") {
        Some(Yaml::Map(entries)) => entries.iter().map(|(k, v)| (k.clone(), v)).collect(),
        _ => Vec::new(),
    }
}

/// The named bits of a column: (bit, (name, description)).
fn bits(c: &Yaml) -> Vec<(String, (String, String))> {
    match c.get("flags") {
        Some(Yaml::Seq(items)) => items
            .iter()
            .map(|b| (text(b.get("bit")), (text(b.get("name")), text(b.get("description")))))
            .collect(),
        _ => Vec::new(),
    }
}

/// The names of `a` that are in `b`, in `a`'s order.
fn common<T>(a: &[(String, T)], b: &[(String, T)]) -> Vec<String> {
    a.iter()
        .filter(|(n, _)| b.iter().any(|(m, _)| m == n))
        .map(|(n, _)| n.clone())
        .collect()
}

/// Whether `name` sits elsewhere among the names both have: a move, not the shift of an
/// addition or removal before it.
fn moved(old_order: &[String], new_order: &[String], name: &str) -> bool {
    old_order.iter().position(|n| n == name) != new_order.iter().position(|n| n == name)
}

/// The changes from `old` to `new` (two models of one product).
pub fn diff(old: &Model<'_>, new: &Model<'_>) -> Vec<Change> {
    let p = &new.name;
    let mut out = Vec::new();
    let mut push = |kind, line: String| out.push(Change { kind, line });
    let (old_order, new_order) = (common(&old.hdus, &new.hdus), common(&new.hdus, &old.hdus));
    for (i, (name, _)) in old.hdus.iter().enumerate() {
        match new.hdus.iter().position(|(n, _)| n == name) {
            None => push(ChangeKind::Removed, format!("{p} HDU {name}: removed (was HDU {i})")),
            Some(j) if moved(&old_order, &new_order, name) => push(
                ChangeKind::Changed,
                format!("{p} HDU {name}: moved from HDU {i} to HDU {j}"),
            ),
            _ => {}
        }
    }
    for (j, (name, _)) in new.hdus.iter().enumerate() {
        if !old.hdus.iter().any(|(n, _)| n == name) {
            push(ChangeKind::Added, format!("{p} HDU {name}: added as HDU {j}"));
        }
    }
    for (name, o) in &old.hdus {
        let Some((_, n)) = new.hdus.iter().find(|(m, _)| m == name) else {
            continue;
        };
        for field in ["is_image", "bunit", "shape", "dtype"] {
            let (a, b) = (text(o.get(field)), text(n.get(field)));
            if a != b {
                push(
                    ChangeKind::Changed,
                    format!("{p} HDU {name}: {field} changed from {a:?} to {b:?}"),
                );
            }
        }
        let (oc, nc) = (cards(o), cards(n));
        for (key, card) in &oc {
            match nc.iter().find(|(k, _)| k == key) {
                None => push(ChangeKind::Removed, format!("{p} HDU {name} card {key}: removed")),
                Some((_, new_card)) => {
                    let (a, b) = (text(card.get("value")), text(new_card.get("value")));
                    let release_value = a == old.release && b == new.release;
                    if a != b && !(varies(&a) && varies(&b)) && !release_value {
                        push(
                            ChangeKind::Changed,
                            format!("{p} HDU {name} card {key}: value changed from {a:?} to {b:?}"),
                        );
                    }
                    let (a, b) = (text(card.get("comment")), text(new_card.get("comment")));
                    if a != b {
                        push(
                            ChangeKind::Changed,
                            format!("{p} HDU {name} card {key}: comment changed from {a:?} to {b:?}"),
                        );
                    }
                }
            }
        }
        for (key, _) in &nc {
            if !oc.iter().any(|(k, _)| k == key) {
                push(ChangeKind::Added, format!("{p} HDU {name} card {key}: added"));
            }
        }
        let (ocol, ncol) = (columns(o), columns(n));
        let (old_order, new_order) = (common(&ocol, &ncol), common(&ncol, &ocol));
        for (i, (col, c)) in ocol.iter().enumerate() {
            let Some(j) = ncol.iter().position(|(k, _)| k == col) else {
                push(ChangeKind::Removed, format!("{p} HDU {name} column {col}: removed"));
                continue;
            };
            if moved(&old_order, &new_order, col) {
                push(
                    ChangeKind::Changed,
                    format!(
                        "{p} HDU {name} column {col}: moved from position {} to {}",
                        i + 1,
                        j + 1
                    ),
                );
            }
            let nc = ncol[j].1;
            for field in ["type", "tform", "tdim", "tnull", "unit", "description"] {
                let (a, b) = (text(c.get(field)), text(nc.get(field)));
                if a != b {
                    push(
                        ChangeKind::Changed,
                        format!("{p} HDU {name} column {col}: {field} changed from {a:?} to {b:?}"),
                    );
                }
            }
            let (obits, nbits) = (bits(c), bits(nc));
            for (bit, old_bit) in &obits {
                match nbits.iter().find(|(b, _)| b == bit) {
                    None => push(
                        ChangeKind::Removed,
                        format!("{p} HDU {name} column {col} bit {bit}: removed (was {})", old_bit.0),
                    ),
                    Some((_, new_bit)) if new_bit != old_bit => push(
                        ChangeKind::Changed,
                        format!(
                            "{p} HDU {name} column {col} bit {bit}: changed from {:?} ({:?}) to {:?} ({:?})",
                            old_bit.0, old_bit.1, new_bit.0, new_bit.1
                        ),
                    ),
                    Some(_) => {}
                }
            }
            for (bit, new_bit) in &nbits {
                if !obits.iter().any(|(b, _)| b == bit) {
                    push(
                        ChangeKind::Added,
                        format!("{p} HDU {name} column {col} bit {bit}: added ({})", new_bit.0),
                    );
                }
            }
        }
        for (col, _) in &ncol {
            if !ocol.iter().any(|(k, _)| k == col) {
                push(ChangeKind::Added, format!("{p} HDU {name} column {col}: added"));
            }
        }
    }
    out
}

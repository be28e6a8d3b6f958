//! Generated documentation of every linked task and plugin (`astra docs`).
//!
//! Everything is built from the metadata the writers themselves use: the tasks'
//! [`TaskMeta`](crate::TaskMeta) (parameters, path rule, result columns with their SQL
//! types and FITS formats), the plugins' registrations, the astraSource layout
//! ([`crate::source::layout`]) and table columns ([`crate::source::tables`]), and the
//! database's key columns ([`crate::db::RESULT_KEY_COLUMNS`]). The model of a task is
//! [`model::TaskDoc`]; the formats render it:
//!
//! - [`Format::Markdown`]: `index.md` and one `{Family}.md` per task;
//! - [`Format::Html`]: one self-contained `index.html` with a filter box;
//! - [`Format::Yaml`]: one `{Family}.yaml` per file-writing task, in the shape of SDSS's
//!   datamodel product.
//!
//! [`diff_against`] compares the YAML of an earlier release with today's.

pub mod diff;
pub mod html;
pub mod md;
pub mod model;
pub mod yaml;

use std::fs;
use std::path::{Path, PathBuf};

pub use diff::{Change, ChangeKind};
pub use model::{TaskDoc, all};

use crate::{Error, Result};

/// An output format of `astra docs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Markdown: an index and a page per task.
    Markdown,
    /// One static HTML page.
    Html,
    /// Datamodel YAML, one file per file-writing task.
    Yaml,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Markdown, Format::Html, Format::Yaml];

    /// The format named `md`, `html` or `yaml`.
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "md" | "markdown" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// Each generated file: its name (relative to the output folder) and its text.
pub fn render(docs: &[TaskDoc], formats: &[Format]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for format in formats {
        match format {
            Format::Markdown => {
                files.push(("index.md".to_string(), md::index(docs)));
                files.extend(docs.iter().map(|d| (md::page_name(d), md::page(d))));
            }
            Format::Html => files.push(("index.html".to_string(), html::page(docs))),
            Format::Yaml => {
                files.extend(
                    docs.iter()
                        .filter_map(|d| Some((yaml::file_name(d), yaml::datamodel(d)?))),
                );
            }
        }
    }
    files
}

/// Writes the documentation of every linked task in `formats` into `out` (created when
/// missing); the files written.
pub fn write(out: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
    let docs = all()?;
    fs::create_dir_all(out).map_err(|source| Error::Io {
        action: "creating the folder",
        path: out.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for (name, text) in render(&docs, formats) {
        let path = out.join(name);
        fs::write(&path, text).map_err(|source| Error::Io {
            action: "writing",
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// The YAML files of `old`: the file itself, or the `.yaml` files of a folder, sorted.
fn yaml_files(old: &Path) -> Result<Vec<PathBuf>> {
    let io = |source| Error::Io {
        action: "reading",
        path: old.to_path_buf(),
        source,
    };
    if !fs::metadata(old).map_err(io)?.is_dir() {
        return Ok(vec![old.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = fs::read_dir(old)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

/// The changes from the datamodel YAML at `old` (a file, or a folder of them) to today's
/// models of the linked tasks. With a folder, a product it lacks is added and a product
/// no longer documented is removed.
pub fn diff_against(old: &Path) -> Result<Vec<Change>> {
    let docs = all()?;
    let today: Vec<(String, yaml::Yaml)> = docs
        .iter()
        .filter_map(|d| Some((d, yaml::datamodel(d)?)))
        .map(|(d, text)| {
            let y = yaml::parse(&text).map_err(|reason| Error::DataModel {
                path: PathBuf::from(yaml::file_name(d)),
                reason: format!("today's model does not read back: {reason}"),
            })?;
            let name = y
                .get("general")
                .and_then(|g| g.get("name"))
                .and_then(yaml::Yaml::text)
                .unwrap_or_default()
                .to_string();
            Ok((name, y))
        })
        .collect::<Result<_>>()?;
    let folder = fs::metadata(old).map(|m| m.is_dir()).unwrap_or(false);
    let mut changes = Vec::new();
    let mut seen = Vec::new();
    for file in yaml_files(old)? {
        let bad = |reason: String| Error::DataModel {
            path: file.clone(),
            reason,
        };
        let text = fs::read_to_string(&file).map_err(|source| Error::Io {
            action: "reading",
            path: file.clone(),
            source,
        })?;
        let parsed = yaml::parse(&text).map_err(bad)?;
        let before = diff::model(&parsed).map_err(bad)?;
        seen.push(before.name.clone());
        match today.iter().find(|(n, _)| *n == before.name) {
            Some((_, now)) => {
                let after = diff::model(now).map_err(bad)?;
                changes.extend(diff::diff(&before, &after));
            }
            None => changes.push(Change {
                kind: ChangeKind::Removed,
                line: format!("{}: product removed (no linked task writes it)", before.name),
            }),
        }
    }
    if folder {
        for (name, _) in &today {
            if !seen.contains(name) {
                changes.push(Change {
                    kind: ChangeKind::Added,
                    line: format!("{name}: product added"),
                });
            }
        }
    }
    Ok(changes)
}

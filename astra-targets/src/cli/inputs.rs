//! The inputs of `astra run`: files, folders, glob patterns and `@list` files.

use std::path::{Path, PathBuf};

use super::{CliError, Result};

/// Expands the command line's inputs, in order: a file as it is; a folder as the FITS
/// files in it (sorted); a pattern with `*`, `?` or `[` as the files it matches (sorted,
/// at least one); `@FILE` as the inputs listed in FILE, one per line (blank lines and
/// lines starting with `#` skipped, relative paths taken from FILE's folder).
pub(crate) fn expand(args: &[String]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for arg in args {
        if let Some(list) = arg.strip_prefix('@') {
            let text = std::fs::read_to_string(list)
                .map_err(|e| CliError::Usage(format!("input list {list:?} cannot be read: {e}")))?;
            let base = Path::new(list).parent().unwrap_or(Path::new(""));
            for line in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                let path = base.join(line);
                if !path.is_file() {
                    return Err(CliError::Usage(format!(
                        "input file {line:?} listed in {list:?} does not exist"
                    )));
                }
                out.push(path);
            }
        } else if arg.contains(['*', '?', '[']) {
            let paths = glob::glob(arg)
                .map_err(|e| CliError::Usage(format!("input pattern {arg:?} is not a valid pattern: {e}")))?;
            let mut matched: Vec<PathBuf> = paths.filter_map(|p| p.ok()).filter(|p| p.is_file()).collect();
            if matched.is_empty() {
                return Err(CliError::Usage(format!("input pattern {arg:?} matches no file")));
            }
            matched.sort();
            out.extend(matched);
        } else {
            let path = PathBuf::from(arg);
            if path.is_dir() {
                let mut found: Vec<PathBuf> = std::fs::read_dir(&path)
                    .map_err(|e| CliError::Usage(format!("input folder {arg:?} cannot be read: {e}")))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file() && is_fits(p))
                    .collect();
                if found.is_empty() {
                    return Err(CliError::Usage(format!("input folder {arg:?} holds no .fits file")));
                }
                found.sort();
                out.extend(found);
            } else if path.is_file() {
                out.push(path);
            } else {
                return Err(CliError::Usage(format!("input file {arg:?} does not exist")));
            }
        }
    }
    Ok(out)
}

fn is_fits(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    name.ends_with(".fits") || name.ends_with(".fits.gz") || name.ends_with(".fit")
}

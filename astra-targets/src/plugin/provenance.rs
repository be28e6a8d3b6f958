//! What an astraSource file says about where it came from: its `PLUGIN` and `TASK_ID`
//! cards and its `TASK_PARAMETERS` table, from which `astra verify` finds its plugin and
//! rebuilds its task.

use std::collections::BTreeMap;
use std::path::Path;

use crate::fits::FitsReader;
use crate::{Error, Result};

/// The provenance cards of an astraSource file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Provenance {
    /// The `PLUGIN` card: the plugin that wrote the file.
    pub plugin: String,
    /// The `PLUGVER` card, when present.
    pub plugin_version: Option<String>,
    /// The `TASK_ID` card.
    pub task_id: String,
}

/// Reads the provenance cards of the primary header of `path`; a file without `PLUGIN` or
/// `TASK_ID` is refused as not an astraSource file.
pub fn provenance(path: &Path) -> Result<Provenance> {
    let invalid = |reason: String| Error::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let mut fits = FitsReader::open(path).map_err(|e| invalid(format!("cannot be opened as FITS ({e})")))?;
    fits.select(0)?;
    let plugin = fits
        .key_str("PLUGIN")?
        .ok_or_else(|| invalid("its primary header has no PLUGIN card".into()))?;
    let task_id = fits
        .key_str("TASK_ID")?
        .ok_or_else(|| invalid("its primary header has no TASK_ID card".into()))?;
    Ok(Provenance {
        plugin: plugin.trim_end().to_string(),
        plugin_version: fits.key_str("PLUGVER")?.map(|v| v.trim_end().to_string()),
        task_id: task_id.trim_end().to_string(),
    })
}

/// The `NAME` and `VALUE` columns of the file's `TASK_PARAMETERS` table.
pub(crate) fn task_parameters(path: &Path) -> Result<BTreeMap<String, String>> {
    let invalid = |reason: String| Error::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let mut file = fitsio::FitsFile::open(path).map_err(|e| invalid(format!("cannot be opened as FITS ({e})")))?;
    let hdu = file
        .hdu("TASK_PARAMETERS")
        .map_err(|e| invalid(format!("has no readable TASK_PARAMETERS table ({e})")))?;
    let names: Vec<String> = hdu
        .read_col(&mut file, "NAME")
        .map_err(|e| invalid(format!("TASK_PARAMETERS column NAME cannot be read ({e})")))?;
    let values: Vec<String> = hdu
        .read_col(&mut file, "VALUE")
        .map_err(|e| invalid(format!("TASK_PARAMETERS column VALUE cannot be read ({e})")))?;
    Ok(names
        .into_iter()
        .zip(values)
        .map(|(n, v)| (n.trim_end().to_string(), v.trim_end().to_string()))
        .collect())
}

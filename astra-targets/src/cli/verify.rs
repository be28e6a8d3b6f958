//! `astra verify FILE...`: each astraSource file checked against the model of the plugin
//! and task its provenance cards name, and its checksums. One line per file; the exit
//! status is non-zero when any file failed.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Result;
use crate::plugin::{find, provenance};

pub(crate) fn verify(files: &[PathBuf]) -> Result<ExitCode> {
    let mut failed = 0;
    for file in files {
        let outcome = provenance(file).and_then(|p| {
            let plugin = find(&p.plugin)?;
            plugin.verify(file, &p.task_id)?;
            Ok(p)
        });
        match outcome {
            Ok(p) => println!("ok      {}  ({} {})", file.display(), p.plugin, p.task_id),
            Err(e) => {
                failed += 1;
                println!("FAILED  {}: {e}", file.display());
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

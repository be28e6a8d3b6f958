//! `astra plugins`: every plugin linked into the program.

use std::process::ExitCode;

use super::Result;
use crate::plugin::{Outputs, plugins};

/// Prints each plugin: name, version, crate, task family and table, what it writes,
/// and the labels of its training when the program trains it.
pub(crate) fn list() -> Result<ExitCode> {
    let all = plugins()?;
    if all.is_empty() {
        println!("no plugin is linked into this program");
    }
    for p in all {
        println!("{} {} (crate {})", p.name, p.version, p.crate_name);
        println!("  {}", p.description);
        let writes = match p.outputs {
            Outputs::Rows => "database rows".to_string(),
            Outputs::RowsAndFile { images } => {
                let mut hdus = vec!["NORMALIZED_FLUX", "NORMALIZED_IVAR"];
                hdus.extend(images.iter().map(|i| i.extname()));
                format!("database rows and an astraSource file ({})", hdus.join(", "))
            }
        };
        println!("  task: {} (table `{}`); writes {writes}", p.task.family, p.task.table);
        if p.is_trainable() {
            println!(
                "  trained by `astra train {}` on labels: {}",
                p.name,
                p.training_labels.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

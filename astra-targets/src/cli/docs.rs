//! `astra docs`: the documentation of every linked task and plugin, or the changes of
//! the products' datamodels against an earlier release's YAML.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{CliError, Result};
use crate::docs::{self, ChangeKind, Format};

/// The arguments of `astra docs`.
#[derive(clap::Args, Debug)]
pub(crate) struct DocsArgs {
    /// The folder to write into (created when missing).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The formats to write: md, html, yaml (repeatable or comma-separated; all by default).
    #[arg(long, value_delimiter = ',')]
    format: Vec<String>,
    /// Compare the products with an earlier release's datamodel YAML (a file or a folder):
    /// one line per HDU, card or column added, removed or changed; the exit status is 1
    /// when something was removed or changed.
    #[arg(long, value_name = "OLD")]
    diff: Option<PathBuf>,
}

pub(crate) fn docs(args: DocsArgs) -> Result<ExitCode> {
    if args.out.is_none() && args.diff.is_none() {
        return Err(CliError::Usage(
            "astra docs needs --out DIR (where to write), --diff OLD (what to compare with), or both".into(),
        ));
    }
    let formats = if args.format.is_empty() {
        Format::ALL.to_vec()
    } else {
        args.format
            .iter()
            .map(|f| {
                Format::parse(f.trim())
                    .ok_or_else(|| CliError::Usage(format!("format {f:?} is not one of md, html, yaml")))
            })
            .collect::<Result<Vec<_>>>()?
    };
    if let Some(out) = &args.out {
        let written = docs::write(out, &formats)?;
        eprintln!("wrote {} files into {}", written.len(), out.display());
    }
    let Some(old) = &args.diff else {
        return Ok(ExitCode::SUCCESS);
    };
    let changes = docs::diff_against(old)?;
    for c in &changes {
        let kind = match c.kind {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        };
        println!("{kind:<8} {}", c.line);
    }
    let breaking = changes.iter().filter(|c| c.kind != ChangeKind::Added).count();
    eprintln!(
        "{} changes against {}: {} added, {breaking} removed or changed",
        changes.len(),
        old.display(),
        changes.len() - breaking
    );
    Ok(if breaking > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

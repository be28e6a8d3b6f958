//! The demo's closing tables, read back from the database: The Cannon's recovered
//! labels against the true ones, and the classifier's classes against the true ones.

use std::path::{Path, PathBuf};

use astra_classifier::classes::{SPECTRAL_CLASSES, spectral_class_of_teff};
use astra_classifier::plugin::ClassifierPlugin;
use astra_targets::OutputRoot;
use astra_targets::cli::Result;
use astra_targets::db::blocking::Database;
use astra_targets::plugin::{Input, ModelSource, Plugin};
use astra_targets::spectrum::{self, synthetic::Labels};
use astra_thecannon::plugin::TheCannonPlugin;
use astra_thecannon::synthetic::LABEL_NAMES;

use super::data::InstrumentData;
use super::failed;

/// The result rows of `P`'s task for each input (an empty list where there is none).
fn rows_of<P: Plugin>(
    db: &Database,
    model: &Path,
    inputs: &[(PathBuf, Labels)],
) -> Result<Vec<Vec<<P::Task as astra_targets::AstraTask>::Results>>> {
    let loaded = P::load_model(ModelSource::File(model)).map_err(|e| failed(format!("loading {model:?}: {e}")))?;
    let mut out = Vec::with_capacity(inputs.len());
    for (path, _) in inputs {
        let s = spectrum::read(path)?;
        let task = P::task(&loaded, &Input::new(path, &s)).map_err(|e| failed(format!("{path:?}: {e}")))?;
        out.push(db.target(&task).read()?);
    }
    Ok(out)
}

fn mean_and_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// The Cannon's recovered labels against the true ones, per instrument and label: bias
/// (mean difference) and scatter (its standard deviation).
pub fn labels(db: &Database, data: &[InstrumentData], models: &[(PathBuf, PathBuf)]) -> Result<()> {
    println!("The Cannon: recovered minus true labels of the test spectra (not used in training)");
    println!(
        "  {:<10} {:>7}  {:<5} {:>10} {:>10}   true range",
        "instrument", "spectra", "label", "bias", "scatter"
    );
    let units = ["K", "dex", "dex"];
    for (d, (model, _)) in data.iter().zip(models) {
        let rows = rows_of::<TheCannonPlugin>(db, model, &d.test)?;
        let found: Vec<(&Labels, [f64; 3])> = d
            .test
            .iter()
            .zip(&rows)
            .filter_map(|((_, truth), rows)| rows.first().map(|r| (truth, r.labels)))
            .collect();
        if found.is_empty() {
            println!("  {:<10} no results", d.instrument.name());
            continue;
        }
        for (k, name) in LABEL_NAMES.iter().enumerate() {
            let truth = |l: &Labels| [l.teff, l.logg, l.fe_h][k];
            let diffs: Vec<f64> = found.iter().map(|(t, r)| r[k] - truth(t)).collect();
            let (bias, scatter) = mean_and_std(&diffs);
            let lo = found.iter().map(|(t, _)| truth(t)).fold(f64::INFINITY, f64::min);
            let hi = found.iter().map(|(t, _)| truth(t)).fold(f64::NEG_INFINITY, f64::max);
            let (instrument, count) = if k == 0 {
                (d.instrument.name().to_string(), found.len().to_string())
            } else {
                (String::new(), String::new())
            };
            let digits = if k == 0 { 1 } else { 3 };
            println!(
                "  {instrument:<10} {count:>7}  {name:<5} {:>+10.digits$} {:>10.digits$}   {lo:.digits$} to {hi:.digits$} {}",
                bias, scatter, units[k]
            );
        }
    }
    Ok(())
}

/// The classifier's most probable class against the true one, per instrument.
pub fn classes(db: &Database, data: &[InstrumentData], models: &[(PathBuf, PathBuf)]) -> Result<()> {
    println!(
        "\nclassifier: most probable class against the true one (M below 4000 K, K below 5200 K, G below 6000 K, F above)"
    );
    for (d, (_, model)) in data.iter().zip(models) {
        let inputs: Vec<(PathBuf, Labels)> = d.train.iter().chain(&d.test).cloned().collect();
        let rows = rows_of::<ClassifierPlugin>(db, model, &inputs)?;
        let mut right = 0;
        let mut total = 0;
        let mut confused = [[0usize; 4]; 4];
        for ((_, truth), rows) in inputs.iter().zip(&rows) {
            let (Some(row), Some(class)) = (rows.first(), spectral_class_of_teff(truth.teff)) else {
                continue;
            };
            total += 1;
            let got = row.most_probable as usize;
            right += usize::from(got == class);
            if let Some(cell) = confused.get_mut(class).and_then(|r| r.get_mut(got)) {
                *cell += 1;
            }
        }
        let wrong: Vec<String> = (0..4)
            .flat_map(|t| (0..4).map(move |g| (t, g)))
            .filter(|&(t, g)| t != g && confused[t][g] > 0)
            .map(|(t, g)| format!("{} {} as {}", confused[t][g], SPECTRAL_CLASSES[t], SPECTRAL_CLASSES[g]))
            .collect();
        println!(
            "  {:<10} {total:>7}  spectra, {right} in their true class ({:.1}%){}",
            d.instrument.name(),
            100.0 * right as f64 / total.max(1) as f64,
            if wrong.is_empty() {
                String::new()
            } else {
                format!("; {}", wrong.join(", "))
            }
        );
    }
    Ok(())
}

/// Where everything went, and what to try next.
pub fn places(dir: &Path, database: &str, root: &OutputRoot, data: &[InstrumentData], models: &[(PathBuf, PathBuf)]) {
    let files = count_files(root.path());
    println!("Where everything went:");
    println!("  inputs          {}", dir.join("inputs").display());
    println!("  label tables    {}", dir.join("labels").display());
    for (d, (cannon, classifier)) in data.iter().zip(models) {
        println!(
            "  models {:<8} {}, {}",
            d.instrument.name(),
            cannon.display(),
            classifier.display()
        );
    }
    println!("  database        {database}");
    println!("  astraSource     {} ({files} files)", root.path().display());
    println!("Next: astra status --database {database}");
    println!(
        "      astra verify {}/...   (checks a file's layout, columns and checksums)",
        root.path().display()
    );
}

fn count_files(folder: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                count_files(&path)
            } else {
                usize::from(path.extension().is_some_and(|x| x == "fits"))
            }
        })
        .sum()
}

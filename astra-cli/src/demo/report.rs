//! The demo's closing tables, read back from the database: The Cannon's and The Payne's
//! recovered labels against the true ones, and the classifier's classes against the
//! true ones.

use std::path::{Path, PathBuf};

use astra_classifier::classes::{SPECTRAL_CLASSES, spectral_class_of_teff};
use astra_classifier::plugin::ClassifierPlugin;
use astra_targets::OutputRoot;
use astra_targets::cli::Result;
use astra_targets::db::blocking::Database;
use astra_targets::plugin::{Input, ModelSource, Plugin};
use astra_targets::spectrum::{self, Spectrum, synthetic::Labels};
use astra_thecannon::plugin::TheCannonPlugin;
use astra_thecannon::synthetic::LABEL_NAMES;
use astra_thepayne::plugin::ThePaynePlugin;

use super::data::InstrumentData;
use super::{Models, failed};

/// The spectra of the inputs, read once for every method's tasks.
fn read_spectra(inputs: &[(PathBuf, Labels)]) -> Result<Vec<Spectrum>> {
    Ok(inputs
        .iter()
        .map(|(path, _)| spectrum::read(path))
        .collect::<astra_targets::Result<_>>()?)
}

/// The result rows of `P`'s task for each input (an empty list where there is none),
/// `spectra` the inputs' spectra in their order.
fn rows_of<P: Plugin>(
    db: &Database,
    model: &Path,
    inputs: &[(PathBuf, Labels)],
    spectra: &[Spectrum],
) -> Result<Vec<Vec<<P::Task as astra_targets::AstraTask>::Results>>> {
    let loaded = P::load_model(ModelSource::File(model)).map_err(|e| failed(format!("loading {model:?}: {e}")))?;
    let mut out = Vec::with_capacity(inputs.len());
    for ((path, _), s) in inputs.iter().zip(spectra) {
        let task = P::task(&loaded, &Input::new(path, s)).map_err(|e| failed(format!("{path:?}: {e}")))?;
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

/// What a method recovered for each test star (`None` where it has no row).
struct Recovered {
    method: &'static str,
    labels: Vec<Option<[f64; 3]>>,
}

/// The Cannon's and The Payne's labels of an instrument's test stars.
fn recovered(db: &Database, d: &InstrumentData, m: &Models) -> Result<[Recovered; 2]> {
    let spectra = read_spectra(&d.test)?;
    let cannon = rows_of::<TheCannonPlugin>(db, &m.cannon, &d.test, &spectra)?;
    let payne = rows_of::<ThePaynePlugin>(db, &m.payne, &d.test, &spectra)?;
    Ok([
        Recovered {
            method: "The Cannon",
            labels: cannon.iter().map(|rows| rows.first().map(|r| r.labels)).collect(),
        },
        Recovered {
            method: "The Payne",
            labels: payne
                .iter()
                .map(|rows| rows.first().map(|r| [r.teff, r.logg, r.fe_h]))
                .collect(),
        },
    ])
}

fn truth(l: &Labels) -> [f64; 3] {
    [l.teff, l.logg, l.fe_h]
}

/// Decimals a label is shown with: Teff in K to 0.1, the others in dex to 0.001.
fn digits(k: usize) -> usize {
    if k == 0 { 1 } else { 3 }
}

/// The Cannon's and The Payne's recovered labels against the true ones, per instrument
/// and label, side by side: bias (mean difference) and scatter (its standard
/// deviation); then the first few test stars' labels from both.
pub fn labels(db: &Database, data: &[InstrumentData], models: &[Models]) -> Result<()> {
    println!("The Cannon and The Payne: recovered minus true labels of the test spectra (not used in training)");
    println!("  {:<25} {:>21}   {:>21}", "", "The Cannon", "The Payne");
    println!(
        "  {:<10} {:>7}  {:<5} {:>10} {:>10}   {:>10} {:>10}   true range",
        "instrument", "spectra", "label", "bias", "scatter", "bias", "scatter"
    );
    let units = ["K", "dex", "dex"];
    let mut all = Vec::new();
    for (d, m) in data.iter().zip(models) {
        let methods = recovered(db, d, m)?;
        for (k, name) in LABEL_NAMES.iter().enumerate() {
            let digits = digits(k);
            let columns: Vec<String> = methods
                .iter()
                .map(|method| {
                    let diffs: Vec<f64> = d
                        .test
                        .iter()
                        .zip(&method.labels)
                        .filter_map(|((_, t), r)| r.map(|r| r[k] - truth(t)[k]))
                        .collect();
                    if diffs.is_empty() {
                        return format!("{:>21}", "no results");
                    }
                    let (bias, scatter) = mean_and_std(&diffs);
                    format!("{bias:>+10.digits$} {scatter:>10.digits$}")
                })
                .collect();
            let lo = d.test.iter().map(|(_, t)| truth(t)[k]).fold(f64::INFINITY, f64::min);
            let hi = d
                .test
                .iter()
                .map(|(_, t)| truth(t)[k])
                .fold(f64::NEG_INFINITY, f64::max);
            let (instrument, count) = if k == 0 {
                (d.instrument.name().to_string(), d.test.len().to_string())
            } else {
                (String::new(), String::new())
            };
            println!(
                "  {instrument:<10} {count:>7}  {name:<5} {}   {}   {lo:.digits$} to {hi:.digits$} {}",
                columns[0], columns[1], units[k]
            );
        }
        all.push(methods);
    }
    println!(
        "\nThe first test stars: true labels | {} | {}",
        all[0][0].method, all[0][1].method
    );
    for (d, methods) in data.iter().zip(&all) {
        for (i, (path, t)) in d.test.iter().enumerate().take(STARS_SHOWN) {
            let star = path.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
            let mut line = format!("  {:<6} {star:<17}", d.instrument.name());
            for (k, name) in LABEL_NAMES.iter().enumerate() {
                let digits = digits(k);
                let width = if k == 0 { 7 } else { 6 };
                let shown = |r: Option<[f64; 3]>| r.map_or_else(|| "-".to_string(), |r| format!("{:.digits$}", r[k]));
                line.push_str(&format!(
                    "  {name} {:>width$.digits$} | {:>width$} | {:>width$}",
                    truth(t)[k],
                    shown(methods[0].labels[i]),
                    shown(methods[1].labels[i])
                ));
            }
            println!("{line}");
        }
    }
    Ok(())
}

/// Test stars per instrument whose labels the demo shows one by one.
const STARS_SHOWN: usize = 3;

/// The classifier's most probable class against the true one, per instrument.
pub fn classes(db: &Database, data: &[InstrumentData], models: &[Models]) -> Result<()> {
    println!(
        "\nclassifier: most probable class against the true one (M below 4000 K, K below 5200 K, G below 6000 K, F above)"
    );
    for (d, m) in data.iter().zip(models) {
        let model = &m.classifier;
        let inputs: Vec<(PathBuf, Labels)> = d.train.iter().chain(&d.test).cloned().collect();
        let rows = rows_of::<ClassifierPlugin>(db, model, &inputs, &read_spectra(&inputs)?)?;
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
pub fn places(dir: &Path, database: &str, root: &OutputRoot, data: &[InstrumentData], models: &[Models]) {
    let files = count_files(root.path());
    println!("Where everything went:");
    println!("  inputs          {}", dir.join("inputs").display());
    println!("  label tables    {}", dir.join("labels").display());
    for (d, m) in data.iter().zip(models) {
        println!(
            "  models {:<8} {}, {}, {}",
            d.instrument.name(),
            m.cannon.display(),
            m.payne.display(),
            m.classifier.display()
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

//! The demo's inputs: synthetic APOGEE and BOSS spectrum files of stars with known
//! labels, and their label tables.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use astra_targets::spectrum::synthetic::{self, Labels, Rng};

/// An instrument of the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instrument {
    /// APOGEE (apStar layout, 8,575 pixels).
    Apogee,
    /// BOSS (spec layout, 4,648 pixels).
    Boss,
}

impl Instrument {
    pub const ALL: [Instrument; 2] = [Instrument::Apogee, Instrument::Boss];

    pub fn name(self) -> &'static str {
        match self {
            Instrument::Apogee => "APOGEE",
            Instrument::Boss => "BOSS",
        }
    }

    /// The lower-case name, for files and folders.
    pub fn key(self) -> &'static str {
        match self {
            Instrument::Apogee => "apogee",
            Instrument::Boss => "boss",
        }
    }

    /// The stated signal-to-noise ratio per pixel of the demo's spectra.
    pub fn snr(self) -> f64 {
        match self {
            Instrument::Apogee => 80.0,
            Instrument::Boss => 40.0,
        }
    }

    fn seed(self, i: usize) -> u64 {
        match self {
            Instrument::Apogee => 100_000 + i as u64,
            Instrument::Boss => 200_000 + i as u64,
        }
    }

    fn file_name(self, i: usize) -> String {
        match self {
            Instrument::Apogee => format!("apStar-demo-{i:04}.fits"),
            Instrument::Boss => format!("spec-demo-{i:04}.fits"),
        }
    }
}

/// The labels of the demo's stars: Teff uniform in 3,700–6,700 K (classes M to F),
/// log g uniform in 1.5–4.7, [Fe/H] uniform in −1.0–+0.4.
pub fn star_labels(seed: u64) -> Labels {
    let mut rng = Rng::new(seed ^ 0x6c61_6265_6c73);
    Labels {
        teff: rng.range(3700.0, 6700.0),
        logg: rng.range(1.5, 4.7),
        fe_h: rng.range(-1.0, 0.4),
    }
}

/// One instrument's inputs: the files, and the label tables of the training and the
/// test spectra.
#[derive(Debug, Clone)]
pub struct InstrumentData {
    pub instrument: Instrument,
    pub train: Vec<(PathBuf, Labels)>,
    pub test: Vec<(PathBuf, Labels)>,
    pub train_table: PathBuf,
    pub test_table: PathBuf,
}

impl InstrumentData {
    /// Every input, training ones first.
    pub fn all_inputs(&self) -> Vec<PathBuf> {
        self.train.iter().chain(&self.test).map(|(p, _)| p.clone()).collect()
    }

    pub fn test_inputs(&self) -> Vec<PathBuf> {
        self.test.iter().map(|(p, _)| p.clone()).collect()
    }
}

/// The layout of the demo's inputs for `n_train + n_test` stars per instrument under
/// `dir` (nothing is written).
pub fn layout(dir: &Path, instrument: Instrument, n_train: usize, n_test: usize) -> InstrumentData {
    let folder = dir.join("inputs").join(instrument.key());
    let star = |i: usize| (folder.join(instrument.file_name(i)), star_labels(instrument.seed(i)));
    let labels = dir.join("labels");
    InstrumentData {
        instrument,
        train: (0..n_train).map(star).collect(),
        test: (n_train..n_train + n_test).map(star).collect(),
        train_table: labels.join(format!("{}-train.csv", instrument.key())),
        test_table: labels.join(format!("{}-test.csv", instrument.key())),
    }
}

/// Whether the inputs are all there: the label tables are written last.
pub fn is_complete(data: &InstrumentData) -> bool {
    data.train_table.is_file() && data.test_table.is_file() && data.all_inputs().iter().all(|p| p.is_file())
}

/// Writes the input files (on `workers` threads) and then the label tables.
pub fn write(data: &InstrumentData, workers: usize) -> Result<(), String> {
    let inputs: Vec<(usize, &PathBuf, Labels)> = data
        .train
        .iter()
        .chain(&data.test)
        .enumerate()
        .map(|(i, (p, l))| (i, p, *l))
        .collect();
    if let Some(folder) = inputs.first().and_then(|(_, p, _)| p.parent()) {
        std::fs::create_dir_all(folder).map_err(|e| format!("creating {folder:?}: {e}"))?;
    }
    let instrument = data.instrument;
    let chunk = inputs.len().div_ceil(workers.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || -> Result<(), String> {
                    for &(i, path, labels) in part {
                        let seed = instrument.seed(i);
                        let written = match instrument {
                            Instrument::Apogee => synthetic::apogee(seed, labels, instrument.snr(), 1)
                                .and_then(|s| synthetic::write_apstar(path, &s)),
                            Instrument::Boss => synthetic::boss(seed, labels, instrument.snr())
                                .and_then(|s| synthetic::write_boss_spec(path, &s)),
                        };
                        written.map_err(|e| format!("writing the synthetic spectrum {path:?}: {e}"))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| "a spectrum writer panicked".to_string())?)
    })?;
    write_table(&data.train_table, &data.train)?;
    write_table(&data.test_table, &data.test)
}

/// A label table (`file,teff,logg,fe_h`, files relative to the table's folder), written
/// through a temporary file and a rename.
fn write_table(path: &Path, rows: &[(PathBuf, Labels)]) -> Result<(), String> {
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(|e| format!("creating {folder:?}: {e}"))?;
    let mut text = String::from("# True labels of synthetic spectra (SYNTHETIC DATA, not SDSS observations)\n");
    text.push_str("file,teff,logg,fe_h\n");
    for (file, l) in rows {
        let file = file.file_name().map(|n| {
            Path::new("../inputs")
                .join(file.parent().and_then(|p| p.file_name()).unwrap_or_default())
                .join(n)
        });
        let Some(file) = file else { continue };
        let _ = writeln!(text, "{},{:.3},{:.4},{:.4}", file.display(), l.teff, l.logg, l.fe_h);
    }
    let temporary = path.with_extension("csv.part");
    std::fs::write(&temporary, text).map_err(|e| format!("writing {temporary:?}: {e}"))?;
    std::fs::rename(&temporary, path).map_err(|e| format!("renaming {temporary:?} to {path:?}: {e}"))
}

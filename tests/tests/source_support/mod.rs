//! Shared by the astraSource tests: a task with every kind of result column, synthetic
//! spectra of both kinds (labelled synthetic; built directly in memory), and the astropy
//! reading of a written file.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use astra_targets::fits::{Card, CardValue};
use astra_targets::spectrum::{PixelMask, Spectrum, SpectrumKind, WavelengthGrid};
use astra_targets::{AstraResults, AstraTask};
use ndarray::Array2;

/// Results of the synthetic fit: scalars, nullable columns, vectors, a matrix, text.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct FitResults {
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: f32,
    /// Surface gravity, log10(g / (cm s-2)) (dex)
    pub logg: f64,
    /// Radial velocity, when measured
    #[astra(unit = "km/s")]
    pub v_rad: Option<f32>,
    /// Optimizer iterations, when the fit ran
    pub n_iter: Option<i32>,
    /// Bit flags
    #[astra(flags(
        CLIPPED_PIXELS = (0, "pixels were clipped"),
        NO_CONVERGENCE = (3, "the optimizer did not converge"),
        SIGN = (15, "the highest bit of an i16, set by negatives"),
    ))]
    pub flags: i16,
    /// Source primary key, when known
    pub source_pk: Option<i64>,
    /// Whether the fit converged (unknown when not run)
    pub converged: Option<bool>,
    /// Whether pixels were clipped
    pub clipped: bool,
    /// Fitted labels
    pub labels: [f32; 3],
    /// Label covariance (2 x 3)
    pub covariance: [[f64; 3]; 2],
    /// Flags per detector chip
    pub chip_flags: [i32; 3],
    /// Model grid name
    #[astra(width = 12)]
    pub grid: String,
    /// Core time spent on this spectrum
    #[astra(unit = "s")]
    pub t_elapsed: f64,
    /// Quality byte
    pub quality: u8,
}

/// Fit synthetic spectra (the astraSource tests' task).
#[derive(Debug, Clone, AstraTask)]
#[astra(
    family = "SourceFit",
    namespace = "sourcefit",
    version = "1.2.3",
    results = FitResults,
    path = "{astra_version}/{namespace}/{telescope}/{healpix|grp}/{healpix}/AstraSource-{obj}-{task_short_id}.fits"
)]
pub struct SourceFit {
    /// Telescope name
    pub telescope: String,
    /// HEALPix pixel
    pub healpix: i64,
    /// Object identifier
    pub obj: String,
    /// Optimizer tolerance
    pub tolerance: f64,
    /// Continuum smoothing scale
    pub smoothing: f32,
    /// Mask telluric pixels
    pub mask_tellurics: bool,
    /// A free-text label
    pub label: String,
    /// Worker threads
    #[astra(insignificant, default)]
    pub n_threads: u32,
}

/// The test task.
pub fn task() -> SourceFit {
    SourceFit {
        telescope: "apo25m".into(),
        healpix: 12345,
        obj: "2M00001023-0000126".into(),
        tolerance: 1e-6,
        smoothing: 0.1,
        mask_tellurics: true,
        label: "synthetic run".into(),
        n_threads: 4,
    }
}

/// A small deterministic pseudo-random generator (xorshift), for synthetic pixels.
pub struct Noise(u64);

impl Noise {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Noise(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// The next value in [0, 1).
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Skips `count` arrays of shape (n, p), as if they had been drawn.
    pub fn skip_arrays(mut self, (n, p): (usize, usize), count: usize) -> Self {
        for _ in 0..count * n * p {
            self.next();
        }
        self
    }
    /// An (n, p) array of values in [lo, hi).
    pub fn array(&mut self, (n, p): (usize, usize), lo: f32, hi: f32) -> Array2<f32> {
        Array2::from_shape_fn((n, p), |_| lo + (hi - lo) * self.next() as f32)
    }
}

/// The primary header of a synthetic input file: about 150 cards of every value type,
/// with HISTORY and COMMENT cards among them.
pub fn input_header(kind: SpectrumKind) -> Vec<Card> {
    let card = |key: &str, value: CardValue, comment: &str| Card {
        key: key.into(),
        value,
        comment: comment.into(),
    };
    let mut cards = vec![
        card("SIMPLE", CardValue::Bool(true), "conforms to FITS standard"),
        card("BITPIX", CardValue::Int(8), ""),
        card("NAXIS", CardValue::Int(0), ""),
        card(
            "COMMENT",
            CardValue::None,
            "SYNTHETIC spectrum made by the astra-targets tests",
        ),
        card("SDSS_ID", CardValue::Int(12_345_678), "SDSS-V catalog identifier"),
        card(
            "CAT_ID",
            CardValue::Int(27_021_598_150_204_651),
            "SDSS-V catalog identifier",
        ),
        card("RA", CardValue::Float(123.4567891), "Right ascension (deg)"),
        card("DEC", CardValue::Float(-12.3456789), "Declination (deg)"),
        card(
            "TELESCOP",
            CardValue::Str(
                if kind == SpectrumKind::Apogee {
                    "apo25m"
                } else {
                    "apo25m_boss"
                }
                .into(),
            ),
            "Telescope",
        ),
        card("SYNTHET", CardValue::Bool(true), "Synthetic data"),
        card("HISTORY", CardValue::None, "reduced by a synthetic pipeline"),
        card(
            "CREATED",
            CardValue::Str("2020-01-01T00:00:00".into()),
            "creation of the input",
        ),
        card(
            "OBJNOTE",
            CardValue::Str("it's a long note that goes past sixty-eight characters, so it needs CONTINUE cards".into()),
            "long",
        ),
    ];
    let mut i = 0;
    while cards.len() < 146 {
        cards.push(card(
            &format!("INKEY{i:03}"),
            CardValue::Float(i as f64 * 1.5 + 0.1),
            &format!("Copied input card {i}"),
        ));
        if i % 40 == 0 {
            cards.push(card("HISTORY", CardValue::None, &format!("history line {i}")));
        }
        i += 1;
    }
    cards
}

/// A synthetic spectrum of `n` rows of the kind's grid.
pub fn spectrum(kind: SpectrumKind, n: usize, seed: u64) -> Spectrum {
    let grid = match kind {
        SpectrumKind::Apogee => WavelengthGrid::APOGEE,
        SpectrumKind::Boss => WavelengthGrid::BOSS,
    };
    let p = grid.npix;
    let mut noise = Noise::new(seed);
    let flux = noise.array((n, p), 50.0, 150.0);
    let ivar = noise.array((n, p), 0.0, 1.0);
    let mut bits = || (noise.next() * 16384.0) as i64;
    let mask = match kind {
        SpectrumKind::Apogee => PixelMask::Single(Array2::from_shape_fn((n, p), |_| bits() as i16)),
        SpectrumKind::Boss => PixelMask::AndOr {
            and_mask: Array2::from_shape_fn((n, p), |_| bits() as i32),
            or_mask: Array2::from_shape_fn((n, p), |_| (bits() as i32) << 12),
        },
    };
    Spectrum {
        kind,
        header: input_header(kind),
        grid,
        flux,
        ivar,
        mask,
    }
}

/// Result rows: row 1 (when there) has every nullable column missing.
pub fn results(n: usize) -> Vec<FitResults> {
    (0..n)
        .map(|i| {
            let x = i as f32;
            let missing = i == 1;
            FitResults {
                teff: 4500.0 + 123.25 * x,
                logg: 2.5 + 0.1 * i as f64,
                v_rad: (!missing).then_some(-12.5 + x),
                n_iter: (!missing).then_some(10 + i as i32),
                flags: -(i as i16) * 3,
                source_pk: (!missing).then_some(1 << 40 | i as i64),
                converged: (!missing).then_some(i % 2 == 0),
                clipped: i % 2 == 1,
                labels: [x, f32::NAN, -x * 0.5],
                covariance: [[1.0, 0.5 + i as f64, 0.25], [0.125, 2.0, f64::from(x) * 1e-9]],
                chip_flags: [i as i32, -1, i32::MAX],
                grid: format!("grid_{i}"),
                t_elapsed: 0.001 * (i + 1) as f64,
                quality: 200 + (i % 50) as u8,
            }
        })
        .collect()
}

/// One fact line of the astropy check script, split on tabs.
pub type Fact = Vec<String>;

/// Reads `file` with astropy (warnings are errors) and returns its fact lines.
pub fn astropy_facts(file: &Path) -> Vec<Fact> {
    let script = std::fs::read_to_string(astra_targets_tests::workspace_root().join("tests/python/check_source.py"))
        .expect("check script");
    let out = astra_targets_tests::run_python(&script, &[file.to_str().unwrap()], None);
    out.lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// The facts of one kind (`key`, `col`, ...) for HDU `index`, keyed by their third field.
pub fn facts_of(facts: &[Fact], kind: &str, index: usize) -> BTreeMap<String, Fact> {
    facts
        .iter()
        .filter(|f| f[0] == kind && f[1] == index.to_string())
        .map(|f| (f[2].clone(), f.clone()))
        .collect()
}

/// A fresh output root.
pub fn output_root() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path().join("out");
    (dir, root)
}

/// Every file below `dir` (recursively).
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// MD5 (hex) of the little-endian bytes of values.
pub fn md5_le<T: Copy>(values: impl Iterator<Item = T>, to_le: impl Fn(T) -> Vec<u8>) -> String {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    for v in values {
        h.update(to_le(v));
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

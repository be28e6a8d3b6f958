//! Writes a nine-HDU astraSource-like product to one fixed path, atomically, over and over
//! until it is killed: the child process of the crash-safety test (tests/crash_safety.rs).
//!
//! Usage: `crash-writer PATH ROWS MODE [once]`. Every write goes to a temporary file beside
//! PATH, is checksummed HDU by HDU and renamed over PATH; MODE says through what:
//! `source` (a real product, `AstraSource::write`, of a synthetic APOGEE spectrum with
//! ROWS - 2 visits, assembled by cfitsio straight into the temporary file),
//! `source-memory` (the same assembled in memory, the default), `atomic` (fitsio and `ffpcks` into an `AtomicPath`) or `target` (the
//! same through `FileTarget::temporary_path_replacing`). In the last two, pixel values are a fixed
//! function of (row, pixel).

use std::path::Path;

use astra_targets::fs::{AtomicPath, Commit, FileTarget};
use astra_targets::source::{AstraSource, SourceImages, Staging, WriteOptions};
use astra_targets::spectrum::{Spectrum, synthetic};
use astra_targets::{AstraResults, AstraTask};
use fitsio::FitsFile;
use fitsio::images::{ImageDescription, ImageType};
use fitsio::tables::{ColumnDataType, ColumnDescription};

/// Pixels per row (APOGEE's grid).
const PIXELS: usize = 8575;
/// The image HDUs, in product order.
const IMAGES: [&str; 6] = [
    "NORMALIZED_FLUX",
    "NORMALIZED_IVAR",
    "BITMASK",
    "CONTINUUM",
    "MODEL_FLUX",
    "MODEL_IVAR",
];

/// The value written at (row, pixel) of image `hdu`.
pub fn pixel(hdu: usize, row: usize, px: usize) -> f32 {
    (hdu * 1000 + row) as f32 + px as f32 * 1e-4
}

fn checksum(f: &mut FitsFile) -> Result<(), String> {
    let mut status = 0;
    unsafe { fitsio::sys::ffpcks(f.as_raw(), &mut status) };
    if status == 0 {
        Ok(())
    } else {
        Err(format!("ffpcks status {status}"))
    }
}

type Failure = Box<dyn std::error::Error>;

/// One spectrum's results in the crash test's products.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct CrashResults {
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: f32,
    /// Signal-to-noise ratio per pixel
    pub snr: f64,
}

/// Write astraSource products until killed (the crash-safety test's task).
#[derive(Debug, Clone, AstraTask)]
#[astra(
    family = "CrashTest",
    namespace = "crashtest",
    version = "1.0.0",
    results = CrashResults,
    path = "{astra_version}/{namespace}/{obj}-{task_short_id}.fits"
)]
pub struct CrashTest {
    /// Object identifier
    pub obj: String,
    /// Visits in the input spectrum
    pub visits: i64,
}

/// Writes one astraSource product of `spectrum` at `path` (atomically, durably), assembled
/// where `staging` says.
fn source_product(path: &Path, spectrum: &Spectrum, staging: Staging) -> Result<(), Failure> {
    let n = spectrum.flux.nrows();
    let task = CrashTest {
        obj: "2M00001023-0000126".into(),
        visits: n as i64 - 2,
    };
    let continuum = spectrum.flux.mapv(|_| 1.0f32);
    let results: Vec<CrashResults> = (0..n)
        .map(|r| CrashResults {
            teff: 5000.0 + r as f32,
            snr: 60.0,
        })
        .collect();
    let images = SourceImages::new(&spectrum.flux, &spectrum.ivar)
        .continuum(&continuum)
        .model_flux(&spectrum.flux);
    let options = WriteOptions::default().staging(staging).durable(true);
    AstraSource::at(&task, path).write_images(spectrum, images, &results, &options)?;
    Ok(())
}

/// Writes one product at `temp` (a new file).
fn product(temp: &Path, rows: usize, iteration: i64) -> Result<(), Failure> {
    {
        let mut f = FitsFile::create(temp).open()?;
        let primary = f.primary_hdu()?;
        primary.write_key(&mut f, "ITER", iteration)?;
        primary.write_key(&mut f, "TASK_ID", "crash_test-0123abcd")?;
        checksum(&mut f)?;
        for (h, name) in IMAGES.iter().enumerate() {
            let hdu = f.create_image(
                *name,
                &ImageDescription {
                    data_type: ImageType::Float,
                    dimensions: &[rows, PIXELS],
                },
            )?;
            let data: Vec<f32> = (0..rows * PIXELS).map(|i| pixel(h, i / PIXELS, i % PIXELS)).collect();
            hdu.write_image(&mut f, &data)?;
            checksum(&mut f)?;
        }
        let params = [
            ColumnDescription::new("NAME")
                .with_type(ColumnDataType::String)
                .that_repeats(32)
                .create()?,
            ColumnDescription::new("VALUE")
                .with_type(ColumnDataType::String)
                .that_repeats(32)
                .create()?,
        ];
        let hdu = f.create_table("TASK_PARAMETERS", &params)?;
        hdu.write_col(&mut f, "NAME", &["rows".to_string(), "iteration".to_string()])?;
        hdu.write_col(&mut f, "VALUE", &[rows.to_string(), iteration.to_string()])?;
        checksum(&mut f)?;
        let results = [
            ColumnDescription::new("TEFF")
                .with_type(ColumnDataType::Float)
                .create()?,
            ColumnDescription::new("SNR")
                .with_type(ColumnDataType::Double)
                .create()?,
        ];
        let hdu = f.create_table("RESULTS", &results)?;
        hdu.write_col(
            &mut f,
            "TEFF",
            &(0..rows).map(|r| 4000.0 + r as f32).collect::<Vec<_>>(),
        )?;
        hdu.write_col(&mut f, "SNR", &(0..rows).map(|r| 10.0 + r as f64).collect::<Vec<_>>())?;
        checksum(&mut f)?;
        let mut status = 0;
        unsafe { fitsio::sys::ffflus(f.as_raw(), &mut status) };
        if status != 0 {
            return Err(format!("flushing: status {status}").into());
        }
    }
    Ok(())
}

/// Writes one product to `path` atomically, the way `mode` says.
fn write(path: &Path, rows: usize, iteration: i64, mode: &str, spectrum: &Spectrum) -> Result<(), Failure> {
    match mode {
        "source" => source_product(path, spectrum, Staging::Disk)?,
        "source-memory" => source_product(path, spectrum, Staging::Auto)?,
        "atomic" => {
            let atomic = AtomicPath::new(path)?;
            product(atomic.temp_path(), rows, iteration)?;
            atomic.commit(Commit::replacing().durable(true))?;
        }
        "target" => {
            FileTarget::new(path).temporary_path_replacing(|temp| product(temp, rows, iteration))?;
        }
        other => return Err(format!("unknown mode {other:?} (source, source-memory, atomic, target)").into()),
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: crash-writer PATH ROWS MODE [once]");
        std::process::exit(2);
    }
    let path = Path::new(&args[1]);
    let Ok(rows) = args[2].parse::<usize>() else {
        eprintln!("ROWS must be a number, not {:?}", args[2]);
        std::process::exit(2);
    };
    let once = args.get(4).is_some_and(|a| a == "once");
    let spectrum = match synthetic::apogee(7, synthetic::Labels::SUN, 60.0, rows.saturating_sub(2).max(1)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("crash-writer: {e}");
            std::process::exit(1);
        }
    };
    for iteration in 0.. {
        if let Err(e) = write(path, rows, iteration, &args[3], &spectrum) {
            eprintln!("crash-writer: {e}");
            std::process::exit(1);
        }
        if once {
            break;
        }
    }
}

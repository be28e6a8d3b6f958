//! The README's tour, runnable: declare a task, write its outputs (database rows and an
//! astraSource file), read them back, and check the file.
//!
//!     cargo run -p astra-targets-examples --example tour [-- OUTPUT_DIR]
//!
//! Everything goes under OUTPUT_DIR (default: a new temporary folder): a SQLite database
//! and the astraSource file. No server is needed.

use astra_targets::db::{Database, StatusCode};
use astra_targets::ndarray::Array2;
use astra_targets::source::{AstraSource, SourceImages, WriteOptions};
use astra_targets::spectrum::{
    Bitmask,
    synthetic::{self, Labels},
};
use astra_targets::{AstraResults, AstraTask, OutputRoot};

/// One spectrum's measurements.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct FluxResults {
    /// Median flux of the spectrum
    #[astra(unit = "10**-17 erg/s/cm**2/Angstrom")]
    pub median_flux: f32,
    /// Median signal-to-noise ratio per pixel
    pub snr: f32,
    /// Number of flagged pixels
    pub n_flagged: i32,
}

/// Measure the median flux and signal-to-noise ratio of each spectrum.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "MedianFlux",
    results = FluxResults,
    path = "{namespace}/{telescope}/{obj}-{task_short_id}.fits"
)]
pub struct MedianFlux {
    /// Telescope that observed the star
    pub telescope: String,
    /// Object identifier
    pub obj: String,
    /// Lowest ivar counted as a good pixel
    pub min_ivar: f64,
}

fn median(mut v: Vec<f32>) -> f32 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f32::NAN;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> astra_targets::Result<()> {
    let dir = match std::env::args().nth(1) {
        Some(d) => std::path::PathBuf::from(d),
        None => tempfile_dir(),
    };
    // An input: a synthetic APOGEE spectrum (two stacks and three visits).
    let spectrum = synthetic::apogee(7, Labels::SUN, 80.0, 3)?;
    let task = MedianFlux {
        telescope: "apo25m".into(),
        obj: "2M00001023-0000126".into(),
        min_ivar: 0.0,
    };

    // The analysis: one result row per spectrum (row) of the input.
    let (n, p) = spectrum.shape();
    let mask = spectrum.get_bitmask(); // a view of the spectrum's mask, not a copy
    let flagged = |i: usize| match &mask {
        Bitmask::I16(m) => m.row(i).iter().filter(|b| **b != 0).count(),
        Bitmask::I32(m) => m.row(i).iter().filter(|b| **b != 0).count(),
    };
    let rows: Vec<FluxResults> = (0..n)
        .map(|i| {
            let flux = spectrum.flux.row(i);
            let ivar = spectrum.ivar.row(i);
            let snr = flux.iter().zip(ivar).map(|(f, iv)| f * iv.sqrt()).collect();
            FluxResults {
                median_flux: median(flux.to_vec()),
                snr: median(snr),
                n_flagged: flagged(i) as i32,
            }
        })
        .collect();
    let continuum = Array2::from_shape_fn((n, p), |(i, _)| rows[i].median_flux);
    let normalized_flux = &spectrum.flux / &continuum;
    let normalized_ivar = &spectrum.ivar * &continuum.mapv(|c| c * c);

    // Database rows: SQLite in a file (postgres://... works the same).
    let url = format!("sqlite://{}", dir.join("astra.db").display());
    let db = Database::connect(&url).await?;
    let target = db.target(&task);
    target.write(&rows).await?;
    target.set_status(StatusCode::Success, Some(0.1)).await?;
    println!("task {} wrote {} rows to {url}", task.task_id(), rows.len());

    // The astraSource file, written atomically with checksums.
    let source = AstraSource::new(&task, &OutputRoot::new(dir.join("astra-output")))?;
    let images = SourceImages::new(&normalized_flux, &normalized_ivar).continuum(&continuum);
    source.write_images(&spectrum, images, &rows, &WriteOptions::default())?;
    println!("astraSource: {}", source.path().display());

    // Read them back.
    let back = target.read().await?;
    assert_eq!(back, rows);
    println!("read back {} rows; first: {:?}", back.len(), back[0]);
    println!("query: {}", target.query().columns(["snr"]).build()?);
    source.verify()?;
    println!("the file's checksums and layout verify");
    db.close().await;
    Ok(())
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("astra-tour-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary folder");
    dir
}

//! A pipeline author's whole declaration of a task: its parameters, its results, its
//! output path. Run with `cargo run -p astra-targets-examples --example declare_task`.

use astra_targets::{AstraResults, AstraTask, OutputRoot};

/// One spectrum's stellar labels from a ThePayne-like fit.
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct LabelResults {
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: f32,
    /// Uncertainty of the effective temperature
    #[astra(unit = "K")]
    pub u_teff: f32,
    /// Surface gravity, log10 of cm/s2
    pub logg: f32,
    /// Metallicity [Fe/H] in dex
    pub fe_h: f32,
    /// Radial velocity
    #[astra(unit = "km/s")]
    pub v_rad: Option<f64>,
    /// Median signal-to-noise ratio per pixel
    pub snr: f32,
    /// Reduced chi-squared of the fit
    pub r_chi_sq: f32,
    /// Fitted labels (teff, logg, fe_h) as one vector
    pub labels: [f32; 3],
    /// Covariance matrix of the fitted labels
    pub covariance: [[f32; 3]; 3],
    /// Name of the model grid used
    #[astra(width = 16)]
    pub grid: String,
}

/// Fit stellar labels to APOGEE spectra with a neural-network emulator.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(
    family = "ThePayne",
    namespace = "thepayne",
    version = "1.2.0",
    results = LabelResults,
    table = "thepayne",
    path = "{astra_version}/{namespace}/star/{telescope}/{healpix|grp}/{healpix}/AstraSource-{release}-{telescope}-{obj}-{task_short_id}.fits"
)]
pub struct ThePayne {
    /// Data release of the input spectra
    pub release: String,
    /// Telescope that observed the star (apo25m, lco25m)
    pub telescope: String,
    /// HEALPix pixel of the star (nside 128)
    pub healpix: i64,
    /// APOGEE object identifier
    pub obj: String,
    /// Lower wavelength bound of the fit, in Angstrom
    pub wavelength_min: f64,
    /// Whether to mask telluric pixels
    pub mask_tellurics: bool,
    /// Worker threads: does not change the result
    #[astra(insignificant, default)]
    pub n_threads: u32,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> astra_targets::Result<()> {
    let task = ThePayne {
        release: "dr17".into(),
        telescope: "apo25m".into(),
        healpix: 24_316,
        obj: "2M00001023-0000126".into(),
        wavelength_min: 15_100.0,
        mask_tellurics: true,
        n_threads: 8,
    };
    let root = OutputRoot::new("astra-output");
    let path = task.output_path(&root)?;
    println!("task id:       {}", task.task_id());
    println!("short id:      {}", task.task_short_id());
    println!("output path:   {}", path.display());
    // The path holds some of the parameters (the short id stands for the rest): they parse back.
    let held = astra_targets::path::parse(ThePayne::META, path.strip_prefix(root.path()).unwrap_or(&path))?;
    println!("parsed back:   {held:?}");
    println!(
        "result table:  {} ({} columns)",
        ThePayne::META.table,
        ThePayne::META.results.len()
    );
    for c in ThePayne::META.results {
        println!(
            "  {:<12} {:<16} {:<6} {:<8} {}",
            c.name,
            c.rust_type(),
            c.tform(),
            c.unit,
            c.description
        );
    }
    Ok(())
}

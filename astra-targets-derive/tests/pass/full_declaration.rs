use astra_targets::{AstraParamEnum, AstraResults, AstraTask};

#[derive(AstraParamEnum)]
enum Telescope {
    #[astra(rename = "apo25m")]
    Apo25m,
}

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Effective temperature
    #[astra(unit = "K")]
    teff: f32,
    /// Flux in physical units
    #[astra(unit = "10**-17 erg/s/cm**2/Angstrom")]
    flux: Option<f64>,
    /// A name
    #[astra(width = 8, name = "star_name")]
    name: String,
    /// Covariance
    cov: [[f64; 2]; 2],
    /// Flags
    flags: [bool; 4],
}

/// A task.
#[derive(AstraTask)]
#[astra(results = Row, path = "{namespace}/{telescope}/{healpix|grp:0>3}/{sdss_id|sdss_id_groups}/{snr:.1}-{task_short_id}.fits")]
struct Fit {
    /// Telescope
    #[astra(enum)]
    telescope: Telescope,
    /// HEALPix
    healpix: u32,
    /// SDSS id
    sdss_id: i64,
    /// Signal to noise
    snr: f32,
    /// Threads
    #[astra(insignificant, default)]
    threads: u8,
}

fn main() {
    assert_eq!(<Fit as AstraTask>::META.table, "fit");
}

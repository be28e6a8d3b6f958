use astra_targets::AstraTask;

/// A task.
#[derive(AstraTask)]
#[astra(path = "{telescope}/{healpix|grp}/spec.fits")]
struct Fit {
    /// Telescope
    telescope: String,
    /// HEALPix
    healpix: i64,
    /// S/N threshold
    snr_min: f64,
    /// Threads
    #[astra(insignificant)]
    threads: u8,
}

/// The same template with the short id: every task has its own file.
#[derive(AstraTask)]
#[astra(path = "{telescope}/{healpix|grp}/spec-{task_short_id}.fits")]
struct WithId {
    /// Telescope
    telescope: String,
    /// HEALPix
    healpix: i64,
}

fn main() {}

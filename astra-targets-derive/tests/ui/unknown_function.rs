use astra_targets::AstraTask;

/// A task.
#[derive(AstraTask)]
#[astra(path = "{healpix|grop}/{obj|grp}/{healpix}-{obj}.fits")]
struct Fit {
    /// HEALPix
    healpix: i64,
    /// Object
    obj: String,
}

fn main() {}

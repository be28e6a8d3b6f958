use astra_targets::AstraTask;

/// A task.
#[derive(AstraTask)]
#[astra(path = "{healpix:.2}/{obj:+}/{flag:05}.fits")]
struct Fit {
    /// HEALPix
    healpix: i64,
    /// Object
    obj: String,
    /// Flag
    flag: bool,
}

fn main() {}

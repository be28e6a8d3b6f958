use astra_targets::AstraTask;

/// A task.
#[derive(AstraTask)]
#[astra(path = "{telescop}/{obj}.fits")]
struct Fit {
    /// Telescope
    telescope: String,
    /// Object
    obj: String,
}

fn main() {}

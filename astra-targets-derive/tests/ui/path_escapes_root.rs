use astra_targets::AstraTask;

/// A task.
#[derive(AstraTask)]
#[astra(path = "/abs/../{obj}{telescope}.fits")]
struct Fit {
    /// Object
    obj: String,
    /// Telescope
    telescope: String,
}

fn main() {}

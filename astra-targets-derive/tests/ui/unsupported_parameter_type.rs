use astra_targets::AstraTask;

/// A task.
#[derive(AstraTask)]
struct Fit {
    /// Pixels
    pixels: Vec<u8>,
    /// Maybe
    maybe: Option<i32>,
}

fn main() {}

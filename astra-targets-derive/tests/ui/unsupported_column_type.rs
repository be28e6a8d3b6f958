use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Count
    count: u64,
    /// Pairs
    pairs: Vec<f32>,
    /// Maybe array
    maybe: Option<[f32; 2]>,
}

fn main() {}

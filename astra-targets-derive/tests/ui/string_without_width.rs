use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Name
    name: String,
    /// Teff
    #[astra(width = 8)]
    teff: f32,
}

fn main() {}

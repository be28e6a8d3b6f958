use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Teff
    teff: f32,
    /// Teff again
    #[astra(name = "teff")]
    teff_2: f32,
}

fn main() {}

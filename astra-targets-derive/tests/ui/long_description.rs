use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// The effective temperature of the photosphere, as fitted by the emulator model
    #[astra(unit = "K")]
    teff: f32,
    /// Température effective
    t2: f32,
}

fn main() {}

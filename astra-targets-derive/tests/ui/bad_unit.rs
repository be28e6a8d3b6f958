use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Metallicity
    #[astra(unit = "dex")]
    fe_h: f32,
    /// Surface gravity
    #[astra(unit = "log(cm/s2)")]
    logg: f32,
    /// Velocity
    #[astra(unit = "kms")]
    v: f32,
}

fn main() {}

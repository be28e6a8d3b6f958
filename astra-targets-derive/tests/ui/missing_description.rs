use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    teff: f32,
}

fn main() {}

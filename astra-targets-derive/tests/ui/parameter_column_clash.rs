use astra_targets::{AstraResults, AstraTask};

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Signal to noise of the spectrum
    snr: f32,
}

/// A task.
#[derive(AstraTask)]
#[astra(results = Row)]
struct Fit {
    /// Minimum signal to noise
    snr: f32,
}

fn main() {}

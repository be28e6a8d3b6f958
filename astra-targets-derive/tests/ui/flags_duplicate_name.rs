use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Quality flags
    #[astra(flags(
        LOW_SNR = (0, "signal-to-noise ratio below 20"),
        LOW_SNR = (1, "signal-to-noise ratio below 10"),
    ))]
    flags: i64,
}

fn main() {
    let _ = Row::FLAGS_LOW_SNR;
}

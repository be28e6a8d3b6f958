use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Quality flags
    #[astra(flags(LOW_SNR = (4)))]
    flags: i64,
}

fn main() {}

/// Results.
#[derive(AstraResults)]
struct Other {
    /// Quality flags
    #[astra(flags(LOW_SNR = 4))]
    flags: i64,
}

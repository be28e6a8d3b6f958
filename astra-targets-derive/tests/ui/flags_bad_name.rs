use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Quality flags
    #[astra(flags(
        low_snr = (0, "signal-to-noise ratio below 20"),
        _HIDDEN = (1, "starts with an underscore"),
        A_NAME_LONGER_THAN_EIGHTEEN = (2, "too long for its FITS card"),
        FINE = (3, "a description too long to be the comment of its FITS card"),
    ))]
    flags: i64,
}

fn main() {}

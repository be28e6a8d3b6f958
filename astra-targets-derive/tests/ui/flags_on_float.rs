use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Quality, a float
    #[astra(flags(LOW_SNR = (0, "signal-to-noise ratio below 20")))]
    quality: f32,
    /// Quality flags of each chip
    #[astra(flags(BAD_CHIP = (0, "a chip was unusable")))]
    chips: [i32; 3],
}

fn main() {
    // The constants of the rejected column are still there: one mistake, one message.
    let _ = Row::QUALITY_LOW_SNR;
}

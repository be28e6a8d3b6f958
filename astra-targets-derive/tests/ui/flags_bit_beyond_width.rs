use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Quality flags, 16 bits
    #[astra(flags(FINE = (15, "the highest bit of an i16"), BEYOND = (16, "one bit too far")))]
    flags: i16,
    /// Quality flags, 8 bits
    #[astra(flags(FAR = (64, "beyond any integer")))]
    small: Option<u8>,
}

fn main() {}

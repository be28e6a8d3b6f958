use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Quality flags with no bit
    #[astra(flags())]
    none: i32,
    /// Quality flags
    #[astra(flags(
        EMPTY = (0, ""),
        ACCENT = (1, "teff près du bord"),
        a::PATH = (2, "a path, not a name"),
        A_B = (3, "its constant is FLAGS_A_B"),
    ))]
    flags: i64,
    /// More quality flags
    #[astra(name = "flags_a", flags(B = (0, "its constant is FLAGS_A_B too")))]
    more: i64,
    /// Quality flags written without a list
    #[astra(flags = 3)]
    other: i64,
}

fn main() {}

use astra_targets::AstraResults;

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Quality flags
    #[astra(flags(
        TEFF_EDGE = (3, "teff near the edge of the grid"),
        LOGG_EDGE = (3, "logg near the edge of the grid"),
    ))]
    flags: i32,
}

fn main() {}

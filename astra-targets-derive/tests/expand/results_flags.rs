// A result row with a bitmask column whose bits are named. Its expansion is in
// results_flags.expanded.rs (see src/snapshots.rs).

/// One spectrum's results.
#[derive(AstraResults)]
pub struct Row {
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: f32,
    /// Quality flags
    #[astra(flags(
        TEFF_EDGE = (0, "teff near the edge of the training set"),
        LOW_SNR = (1, "signal-to-noise ratio below 20"),
    ))]
    pub flags: i64,
}

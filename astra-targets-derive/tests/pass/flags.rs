use astra_targets::{AstraResults, ColumnMeta};

/// Results.
#[derive(AstraResults)]
pub struct Row {
    /// Effective temperature
    #[astra(unit = "K")]
    pub teff: f32,
    /// Quality flags
    #[astra(flags(
        TEFF_EDGE = (0, "teff near the edge of the grid"),
        LOW_SNR = (1, "signal-to-noise ratio below 20"),
        SIGN = (63, "the highest bit"),
    ))]
    pub flags: i64,
    /// Chip flags, when measured
    #[astra(name = "chips", flags(BAD_BLUE = (7, "the blue chip was unusable")))]
    pub chip_flags: Option<u8>,
}

fn main() {
    let flags: &ColumnMeta = &Row::COLUMNS[1];
    assert_eq!(flags.flags.len(), 3);
    assert_eq!(Row::FLAGS_TEFF_EDGE, 1);
    assert_eq!(Row::FLAGS_LOW_SNR, 2);
    assert_eq!(Row::FLAGS_SIGN, i64::MIN);
    let chips: u8 = Row::CHIPS_BAD_BLUE;
    assert_eq!(chips, 128);
    assert_eq!(
        flags.flag_names(Row::FLAGS_LOW_SNR | Row::FLAGS_SIGN),
        ["LOW_SNR", "SIGN"]
    );
    assert!(Row::COLUMNS[0].flags.is_empty());
}

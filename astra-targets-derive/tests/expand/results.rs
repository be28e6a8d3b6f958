// A result row with scalar, optional, array and text columns. Its expansion is in
// results.expanded.rs (see src/snapshots.rs).

/// One spectrum's results.
#[derive(AstraResults)]
struct Row {
    /// Effective temperature
    #[astra(unit = "K")]
    teff: f32,
    /// Radial velocity, when measured
    #[astra(unit = "km/s")]
    v_rad: Option<f64>,
    /// Label covariance
    covariance: [[f64; 2]; 3],
    /// Model grid name
    #[astra(width = 12, name = "grid_name")]
    grid: String,
}

// An enum parameter's type, its variants named by a rule and by a rename. Its expansion is
// in param_enum.expanded.rs (see src/snapshots.rs).

/// The telescope a spectrum was taken with.
#[derive(AstraParamEnum)]
#[astra(rename_all = "lowercase")]
enum Telescope {
    Apo25m,
    Lco25m,
    #[astra(rename = "apo1m")]
    Apo1mSmall,
}

// An enum parameter's type named by serde's attributes: the names are its serde strings.
// Its expansion is in param_enum_serde.expanded.rs (see src/snapshots.rs).

/// The fitting mode.
#[derive(AstraParamEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
enum FitMode {
    FullSpectrum,
    LineWindows,
    #[serde(rename = "apogee-net")]
    APOGEENet,
}

// The expansion of tests/expand/param_enum_serde.rs, written by src/snapshots.rs (ASTRA_BLESS=1 cargo test -p astra-targets-derive snapshots).
const _: () = {
    #[automatically_derived]
    impl ::astra_targets::ParamEnum for FitMode {
        const NAMES: &'static [&'static str] = &["FULL-SPECTRUM", "LINE-WINDOWS", "apogee-net"];
        fn name(&self) -> &'static str {
            match *self {
                FitMode::FullSpectrum => "FULL-SPECTRUM",
                FitMode::LineWindows => "LINE-WINDOWS",
                FitMode::APOGEENet => "apogee-net",
            }
        }
        fn from_name(name: &str) -> ::core::option::Option<Self> {
            match name {
                "FULL-SPECTRUM" => ::core::option::Option::Some(FitMode::FullSpectrum),
                "LINE-WINDOWS" => ::core::option::Option::Some(FitMode::LineWindows),
                "apogee-net" => ::core::option::Option::Some(FitMode::APOGEENet),
                _ => ::core::option::Option::None,
            }
        }
    }
};

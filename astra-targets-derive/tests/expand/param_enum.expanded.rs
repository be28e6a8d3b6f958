// The expansion of tests/expand/param_enum.rs, written by src/snapshots.rs (ASTRA_BLESS=1 cargo test -p astra-targets-derive snapshots).
const _: () = {
    #[automatically_derived]
    impl ::astra_targets::ParamEnum for Telescope {
        const NAMES: &'static [&'static str] = &["apo25m", "lco25m", "apo1m"];
        fn name(&self) -> &'static str {
            match *self {
                Telescope::Apo25m => "apo25m",
                Telescope::Lco25m => "lco25m",
                Telescope::Apo1mSmall => "apo1m",
            }
        }
        fn from_name(name: &str) -> ::core::option::Option<Self> {
            match name {
                "apo25m" => ::core::option::Option::Some(Telescope::Apo25m),
                "lco25m" => ::core::option::Option::Some(Telescope::Lco25m),
                "apo1m" => ::core::option::Option::Some(Telescope::Apo1mSmall),
                _ => ::core::option::Option::None,
            }
        }
    }
};

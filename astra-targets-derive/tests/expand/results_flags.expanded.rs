// The expansion of tests/expand/results_flags.rs, written by src/snapshots.rs (ASTRA_BLESS=1 cargo test -p astra-targets-derive snapshots).
const _: () = {
    #[automatically_derived]
    impl ::astra_targets::AstraResults for Row {
        const COLUMNS: &'static [::astra_targets::ColumnMeta] = &[
            ::astra_targets::ColumnMeta {
                name: "teff",
                ty: ::astra_targets::ScalarType::F32,
                shape: &[],
                nullable: false,
                width: 0usize,
                unit: "K",
                description: "Effective temperature",
                flags: &[],
            },
            ::astra_targets::ColumnMeta {
                name: "flags",
                ty: ::astra_targets::ScalarType::I64,
                shape: &[],
                nullable: false,
                width: 0usize,
                unit: "",
                description: "Quality flags",
                flags: &[
                    ::astra_targets::FlagBit {
                        name: "TEFF_EDGE",
                        bit: 0u8,
                        description: "teff near the edge of the training set",
                    },
                    ::astra_targets::FlagBit {
                        name: "LOW_SNR",
                        bit: 1u8,
                        description: "signal-to-noise ratio below 20",
                    },
                ],
            },
        ];
        fn to_values(&self) -> ::std::vec::Vec<::astra_targets::Value> {
            ::std::vec![
                ::astra_targets::value::ColumnValue::to_value(&self.teff),
                ::astra_targets::value::ColumnValue::to_value(&self.flags)
            ]
        }
        fn from_values(values: ::std::vec::Vec<::astra_targets::Value>) -> ::astra_targets::Result<Self> {
            let mut values = values.into_iter();
            ::core::result::Result::Ok(Self {
                teff: ::astra_targets::__private::column(&mut values, "teff")?,
                flags: ::astra_targets::__private::column(&mut values, "flags")?,
            })
        }
    }
    #[automatically_derived]
    impl Row {
        #[doc = "Bit 0 of `flags`: teff near the edge of the training set."]
        pub const FLAGS_TEFF_EDGE: i64 = 1 << 0u8;
        #[doc = "Bit 1 of `flags`: signal-to-noise ratio below 20."]
        pub const FLAGS_LOW_SNR: i64 = 1 << 1u8;
    }
};

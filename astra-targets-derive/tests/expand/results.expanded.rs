// The expansion of tests/expand/results.rs, written by src/snapshots.rs (ASTRA_BLESS=1 cargo test -p astra-targets-derive snapshots).
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
                name: "v_rad",
                ty: ::astra_targets::ScalarType::F64,
                shape: &[],
                nullable: true,
                width: 0usize,
                unit: "km/s",
                description: "Radial velocity, when measured",
                flags: &[],
            },
            ::astra_targets::ColumnMeta {
                name: "covariance",
                ty: ::astra_targets::ScalarType::F64,
                shape: &[3usize, 2usize],
                nullable: false,
                width: 0usize,
                unit: "",
                description: "Label covariance",
                flags: &[],
            },
            ::astra_targets::ColumnMeta {
                name: "grid_name",
                ty: ::astra_targets::ScalarType::Text,
                shape: &[],
                nullable: false,
                width: 12usize,
                unit: "",
                description: "Model grid name",
                flags: &[],
            },
        ];
        fn to_values(&self) -> ::std::vec::Vec<::astra_targets::Value> {
            ::std::vec![
                ::astra_targets::value::ColumnValue::to_value(&self.teff),
                ::astra_targets::value::ColumnValue::to_value(&self.v_rad),
                ::astra_targets::value::ColumnValue::to_value(&self.covariance),
                ::astra_targets::value::ColumnValue::to_value(&self.grid)
            ]
        }
        fn from_values(values: ::std::vec::Vec<::astra_targets::Value>) -> ::astra_targets::Result<Self> {
            let mut values = values.into_iter();
            ::core::result::Result::Ok(Self {
                teff: ::astra_targets::__private::column(&mut values, "teff")?,
                v_rad: ::astra_targets::__private::column(&mut values, "v_rad")?,
                covariance: ::astra_targets::__private::column(&mut values, "covariance")?,
                grid: ::astra_targets::__private::column(&mut values, "grid_name")?,
            })
        }
    }
};

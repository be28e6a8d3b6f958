// The expansion of tests/expand/task.rs, written by src/snapshots.rs (ASTRA_BLESS=1 cargo test -p astra-targets-derive snapshots).
const _: () = {
    static PARAMETERS: [::astra_targets::ParamMeta; 5usize] = [
        ::astra_targets::ParamMeta {
            name: "telescope",
            rust_type: "Telescope",
            kind: ::astra_targets::ParamKind::Enum,
            significant: true,
            description: "Telescope",
        },
        ::astra_targets::ParamMeta {
            name: "healpix",
            rust_type: "u32",
            kind: <u32 as ::astra_targets::__private::ParamField>::KIND,
            significant: true,
            description: "HEALPix pixel",
        },
        ::astra_targets::ParamMeta {
            name: "obj",
            rust_type: "String",
            kind: <String as ::astra_targets::__private::ParamField>::KIND,
            significant: true,
            description: "Object name",
        },
        ::astra_targets::ParamMeta {
            name: "snr_min",
            rust_type: "f64",
            kind: <f64 as ::astra_targets::__private::ParamField>::KIND,
            significant: true,
            description: "Lowest S/N analysed",
        },
        ::astra_targets::ParamMeta {
            name: "threads",
            rust_type: "u16",
            kind: <u16 as ::astra_targets::__private::ParamField>::KIND,
            significant: false,
            description: "Threads",
        },
    ];
    const ENUM_TELESCOPE: ::astra_targets::__private::EnumConv<Telescope> =
        ::astra_targets::__private::enum_conv::<Telescope>();
    static SEGMENTS: &[::astra_targets::__private::Segment] = &[
        ::astra_targets::__private::Segment::Field {
            source: ::astra_targets::__private::Source::Namespace,
            func: ::core::option::Option::None,
            spec: ::astra_targets::__private::Spec {
                fill: ' ',
                align: ::astra_targets::__private::Align::Default,
                plus: false,
                zero: false,
                width: 0usize,
                precision: ::core::option::Option::None,
            },
        },
        ::astra_targets::__private::Segment::Literal("/"),
        ::astra_targets::__private::Segment::Field {
            source: ::astra_targets::__private::Source::Param(0usize),
            func: ::core::option::Option::None,
            spec: ::astra_targets::__private::Spec {
                fill: ' ',
                align: ::astra_targets::__private::Align::Default,
                plus: false,
                zero: false,
                width: 0usize,
                precision: ::core::option::Option::None,
            },
        },
        ::astra_targets::__private::Segment::Literal("/"),
        ::astra_targets::__private::Segment::Field {
            source: ::astra_targets::__private::Source::Param(1usize),
            func: ::core::option::Option::Some(::astra_targets::__private::PathFunc::Grp),
            spec: ::astra_targets::__private::Spec {
                fill: '0',
                align: ::astra_targets::__private::Align::Right,
                plus: false,
                zero: false,
                width: 3usize,
                precision: ::core::option::Option::None,
            },
        },
        ::astra_targets::__private::Segment::Literal("/"),
        ::astra_targets::__private::Segment::Field {
            source: ::astra_targets::__private::Source::Param(1usize),
            func: ::core::option::Option::None,
            spec: ::astra_targets::__private::Spec {
                fill: ' ',
                align: ::astra_targets::__private::Align::Default,
                plus: false,
                zero: false,
                width: 0usize,
                precision: ::core::option::Option::None,
            },
        },
        ::astra_targets::__private::Segment::Literal("/Visit-"),
        ::astra_targets::__private::Segment::Field {
            source: ::astra_targets::__private::Source::Param(2usize),
            func: ::core::option::Option::None,
            spec: ::astra_targets::__private::Spec {
                fill: ' ',
                align: ::astra_targets::__private::Align::Default,
                plus: false,
                zero: false,
                width: 0usize,
                precision: ::core::option::Option::None,
            },
        },
        ::astra_targets::__private::Segment::Literal("-"),
        ::astra_targets::__private::Segment::Field {
            source: ::astra_targets::__private::Source::TaskShortId,
            func: ::core::option::Option::None,
            spec: ::astra_targets::__private::Spec {
                fill: ' ',
                align: ::astra_targets::__private::Align::Default,
                plus: false,
                zero: false,
                width: 0usize,
                precision: ::core::option::Option::None,
            },
        },
        ::astra_targets::__private::Segment::Literal(".fits"),
    ];
    static TEMPLATE: ::astra_targets::__private::PathTemplate = ::astra_targets::__private::PathTemplate {
        text: "{namespace}/{telescope}/{healpix|grp:0>3}/{healpix}/Visit-{obj}-{task_short_id}.fits",
        segments: SEGMENTS,
    };
    static META: ::astra_targets::TaskMeta = ::astra_targets::TaskMeta {
        family: "VisitFit",
        namespace: "visitfit",
        version: "2.0.1",
        description: "Fit labels to every visit of a star.",
        rust_name: ::core::concat!(::core::module_path!(), "::", "VisitFit"),
        parameters: &PARAMETERS,
        path: ::core::option::Option::Some(&TEMPLATE),
        table: "visit_fit",
        results_type: "Row",
        results: <Row as ::astra_targets::AstraResults>::COLUMNS,
    };
    const _: () = {
        if ::astra_targets::__private::find_column(<Row as ::astra_targets::AstraResults>::COLUMNS, "telescope")
            .is_some()
        {
            ::core::panic!(
                "`telescope` is both a significant parameter of VisitFit and a result column of Row: the RESULTS table would hold two `TELESCOPE` columns"
            );
        }
        if ::astra_targets::__private::find_column(<Row as ::astra_targets::AstraResults>::COLUMNS, "healpix").is_some()
        {
            ::core::panic!(
                "`healpix` is both a significant parameter of VisitFit and a result column of Row: the RESULTS table would hold two `HEALPIX` columns"
            );
        }
        if ::astra_targets::__private::find_column(<Row as ::astra_targets::AstraResults>::COLUMNS, "obj").is_some() {
            ::core::panic!(
                "`obj` is both a significant parameter of VisitFit and a result column of Row: the RESULTS table would hold two `OBJ` columns"
            );
        }
        if ::astra_targets::__private::find_column(<Row as ::astra_targets::AstraResults>::COLUMNS, "snr_min").is_some()
        {
            ::core::panic!(
                "`snr_min` is both a significant parameter of VisitFit and a result column of Row: the RESULTS table would hold two `SNR_MIN` columns"
            );
        }
        if ::astra_targets::__private::find_column(
            <Row as ::astra_targets::AstraResults>::COLUMNS,
            "astra_version_major",
        )
        .is_some()
        {
            ::core::panic!(
                "`astra_version_major` is both a significant parameter of VisitFit and a result column of Row: the RESULTS table would hold two `ASTRA_VERSION_MAJOR` columns"
            );
        }
        if ::astra_targets::__private::find_column(
            <Row as ::astra_targets::AstraResults>::COLUMNS,
            "astra_version_minor",
        )
        .is_some()
        {
            ::core::panic!(
                "`astra_version_minor` is both a significant parameter of VisitFit and a result column of Row: the RESULTS table would hold two `ASTRA_VERSION_MINOR` columns"
            );
        }
    };
    #[automatically_derived]
    impl ::astra_targets::AstraTask for VisitFit {
        type Results = Row;
        const META: &'static ::astra_targets::TaskMeta = &META;
        fn parameters(&self) -> ::astra_targets::Params {
            ::astra_targets::__private::params(
                &META,
                ::std::vec![
                    ::astra_targets::__private::enum_param(&ENUM_TELESCOPE, &self.telescope),
                    ::astra_targets::__private::ParamField::to_param(&self.healpix),
                    ::astra_targets::__private::ParamField::to_param(&self.obj),
                    ::astra_targets::__private::ParamField::to_param(&self.snr_min),
                    ::astra_targets::__private::ParamField::to_param(&self.threads)
                ],
            )
        }
        fn from_parameters(
            values: &::std::collections::BTreeMap<::std::string::String, ::astra_targets::ParamValue>,
        ) -> ::astra_targets::Result<Self> {
            ::core::result::Result::Ok(Self {
                telescope: match ::astra_targets::__private::take_enum(
                    &ENUM_TELESCOPE,
                    "VisitFit",
                    values,
                    "telescope",
                )? {
                    ::core::option::Option::Some(v) => v,
                    ::core::option::Option::None => {
                        return ::core::result::Result::Err(::astra_targets::__private::missing(
                            "VisitFit",
                            "telescope",
                        ));
                    }
                },
                healpix: match ::astra_targets::__private::take::<u32>("VisitFit", values, "healpix")? {
                    ::core::option::Option::Some(v) => v,
                    ::core::option::Option::None => {
                        return ::core::result::Result::Err(::astra_targets::__private::missing("VisitFit", "healpix"));
                    }
                },
                obj: match ::astra_targets::__private::take::<String>("VisitFit", values, "obj")? {
                    ::core::option::Option::Some(v) => v,
                    ::core::option::Option::None => {
                        return ::core::result::Result::Err(::astra_targets::__private::missing("VisitFit", "obj"));
                    }
                },
                snr_min: match ::astra_targets::__private::take::<f64>("VisitFit", values, "snr_min")? {
                    ::core::option::Option::Some(v) => v,
                    ::core::option::Option::None => {
                        return ::core::result::Result::Err(::astra_targets::__private::missing("VisitFit", "snr_min"));
                    }
                },
                threads: match ::astra_targets::__private::take::<u16>("VisitFit", values, "threads")? {
                    ::core::option::Option::Some(v) => v,
                    ::core::option::Option::None => <u16 as ::core::default::Default>::default(),
                },
            })
        }
    }
    ::astra_targets::inventory::submit! { :: astra_targets :: __private :: TaskRegistration (& META) }
};

use astra_targets::AstraParamEnum;

#[derive(AstraParamEnum)]
enum Grid {
    Coarse,
    Fine(u32),
    Custom { step: f64 },
}

fn main() {}

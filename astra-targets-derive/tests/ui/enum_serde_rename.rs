use astra_targets::AstraParamEnum;

#[derive(AstraParamEnum, serde::Serialize)]
enum Telescope {
    #[serde(rename = "apo25m")]
    Apo25m,
}

fn main() {}

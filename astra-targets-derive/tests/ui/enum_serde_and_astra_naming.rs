use astra_targets::AstraParamEnum;

// Named both by serde's attributes and by astra's: the astra ones are refused.
#[derive(AstraParamEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[astra(rename_all = "lowercase")]
enum Telescope {
    Apo25m,
    #[astra(rename = "lco")]
    Lco25m,
}

#[derive(AstraParamEnum, serde::Serialize)]
enum Mode {
    #[serde(rename = "fast")]
    #[astra(rename = "quick")]
    Fast,
}

fn main() {}

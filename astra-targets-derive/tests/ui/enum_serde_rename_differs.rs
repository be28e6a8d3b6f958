use astra_targets::AstraParamEnum;

// serde reads back a different name than it writes: the value would not round-trip.
#[derive(AstraParamEnum, serde::Serialize, serde::Deserialize)]
enum Telescope {
    #[serde(rename(serialize = "apo25m", deserialize = "apo"))]
    Apo25m,
    #[serde(rename(serialize = "lco25m", deserialize = "lco25m"))]
    Lco25m,
}

#[derive(AstraParamEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all(serialize = "lowercase", deserialize = "UPPERCASE"))]
enum Mode {
    Fast,
    Slow,
}

fn main() {}

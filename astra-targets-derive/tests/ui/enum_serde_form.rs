use astra_targets::AstraParamEnum;

// serde would write these variants as something other than their names.
#[derive(AstraParamEnum, serde::Serialize)]
#[serde(tag = "kind")]
enum Telescope {
    Apo25m,
    Lco25m,
}

#[derive(AstraParamEnum, serde::Serialize)]
#[serde(untagged)]
enum Mode {
    Fast,
}

#[derive(AstraParamEnum, serde::Serialize, serde::Deserialize)]
enum Grid {
    Coarse,
    #[serde(skip)]
    Fine,
    #[serde(other)]
    Unknown,
}

fn main() {}

use astra_targets::{AstraResults, AstraTask};

/// Results.
#[derive(AstraResults)]
struct Row {
    /// Ordering
    order: i32,
    /// Teff
    #[astra(name = "Teff")]
    teff: f32,
    /// Key
    output_pk: i64,
}

/// A task.
#[derive(AstraTask)]
#[astra(table = "select", results = Row)]
struct Fit {
    /// Object
    obj: String,
}

fn main() {}

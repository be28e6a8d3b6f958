use astra_targets::AstraTask;

#[derive(serde::Serialize, serde::Deserialize)]
enum Grid {
    Coarse,
    Fine(u32),
}

/// A task.
#[derive(AstraTask)]
struct Fit {
    /// Grid
    #[astra(enum)]
    grid: Grid,
}

fn main() {}

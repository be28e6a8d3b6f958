use astra_targets::AstraTask;

/// A task.
#[derive(AstraTask)]
#[astra(famly = "X")]
struct Fit {
    /// Threads
    #[astra(insignifcant)]
    threads: u8,
}

fn main() {}

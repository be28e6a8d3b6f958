use astra_targets::AstraTask;

/// A task.
#[derive(AstraTask)]
struct Fit {
    /// Clashes with the framework's own id parameter
    astra_version_major: i32,
}

fn main() {}

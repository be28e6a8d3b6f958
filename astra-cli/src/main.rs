//! `astra`: the command-line program of astra-targets, with every task of this workspace
//! linked in. Its logic is the library's `astra_targets::cli`.

#[allow(dead_code)] // The task is declared for its metadata; the demo constructs it.
mod demo;

// Every workspace plugin is named here, so that the linker keeps its registration
// (`tests/program.rs` checks that none is missing).
use astra_classifier as _;
use astra_thecannon as _;

fn main() -> std::process::ExitCode {
    astra_targets::cli::main()
}

//! `astra`: the command-line program of astra-targets, with every task and plugin of
//! this workspace linked in, and the `demo` command. Its logic is the library's
//! `astra_targets::cli`.

mod demo;
mod ferre_prepare;
#[allow(dead_code)] // The task is declared for its metadata (`astra tasks`, `astra path`).
mod line_strength;

// Every workspace plugin is named here, so that the linker keeps its registration
// (`tests/program.rs` checks that none is missing).
use astra_apogeenet as _;
use astra_aspcap as _;
use astra_classifier as _;
use astra_thecannon as _;
use astra_thepayne as _;

fn main() -> std::process::ExitCode {
    astra_targets::cli::Program::new()
        .command(demo::command(), demo::run)
        .command(ferre_prepare::command(), ferre_prepare::run)
        .main()
}

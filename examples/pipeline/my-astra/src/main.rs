//! `my-astra`: the `astra` program (every command of `astra_targets::cli`) with this
//! pipeline's plugins linked in, and no other.

// Each plugin crate is named, so that the linker keeps its registration.
use linewidths as _;

fn main() -> std::process::ExitCode {
    astra_targets::cli::main()
}

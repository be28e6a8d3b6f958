//! The library's default features stay light: plugin crates depend on astra-targets, and
//! the command-line program's dependencies are not theirs to build.

use std::process::Command;

use astra_targets_tests::workspace_root;

/// The packages astra-targets pulls in with its default features, as `cargo tree` lists
/// them.
fn default_dependencies() -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "tree",
            "--offline",
            "-p",
            "astra-targets",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}"])
        .output()
        .expect("running cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn default_features_leave_out_the_programs_dependencies() {
    let deps = default_dependencies();
    assert!(
        deps.iter().any(|d| d == "sqlx"),
        "the listing is not what it seems: {deps:?}"
    );
    assert!(
        deps.iter().any(|d| d == "fitsio"),
        "the listing is not what it seems: {deps:?}"
    );
    for unwanted in ["clap", "anyhow", "indicatif"] {
        assert!(
            !deps.iter().any(|d| d == unwanted),
            "astra-targets' default features pull in {unwanted}"
        );
    }
}

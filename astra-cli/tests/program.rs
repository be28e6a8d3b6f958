//! The `astra` program run as a user runs it: the binary, in a temporary folder.

use astra_targets_tests::program::{self, text};
use std::path::Path;
use std::process::Output;

fn astra(dir: &Path, args: &[&str]) -> Output {
    program::run(env!("CARGO_BIN_EXE_astra"), dir, args)
}

/// A user's mistake: non-zero exit, one line on standard error naming what was wrong,
/// nothing on standard output, no panic.
fn assert_user_error(out: &Output, names: &[&str]) {
    let err = text(&out.stderr);
    assert!(!out.status.success(), "exit status 0 for a mistake; stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "a panic: {err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "more than one line: {err}");
    for name in names {
        assert!(err.contains(name), "the message does not name {name:?}: {err}");
    }
}

const LINE_STRENGTH: &[&str] = &[
    "path",
    "LineStrength",
    "release=dr19",
    "telescope=apo25m",
    "healpix=24316",
    "obj=2M00001023-0000126",
    "continuum_order=3",
    "n_threads=8",
];

#[test]
fn tasks_lists_the_linked_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let out = astra(dir.path(), &["tasks"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    assert!(listing.contains("LineStrength 0.1.0"), "{listing}");
    assert!(listing.contains("equivalent_widths"), "{listing}");
}

#[test]
fn path_resolves_under_the_output_root() {
    let dir = tempfile::tempdir().unwrap();
    let out = astra(dir.path(), LINE_STRENGTH);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    let path_line = shown.lines().find(|l| l.starts_with("path")).unwrap();
    assert!(
        path_line.contains("astra-output/0.1.0/linestrength/star/apo25m/24/24316/"),
        "{shown}"
    );
    assert!(shown.contains("task_id        LineStrength_"), "{shown}");

    let mut args = vec!["--output-dir", "/data/mwm"];
    args.extend_from_slice(LINE_STRENGTH);
    let out = astra(dir.path(), &args);
    assert!(
        text(&out.stdout).contains("/data/mwm/0.1.0/linestrength/"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn mistakes_are_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    assert_user_error(
        &astra(dir.path(), &["path", "NoSuchTask"]),
        &["NoSuchTask", "LineStrength"],
    );

    let mut missing: Vec<&str> = LINE_STRENGTH.to_vec();
    missing.retain(|a| !a.starts_with("healpix="));
    assert_user_error(&astra(dir.path(), &missing), &["healpix", "missing"]);

    let mut bad: Vec<&str> = LINE_STRENGTH.to_vec();
    bad.retain(|a| !a.starts_with("healpix="));
    bad.push("healpix=north");
    assert_user_error(&astra(dir.path(), &bad), &["healpix", "north"]);

    let mut unknown: Vec<&str> = LINE_STRENGTH.to_vec();
    unknown.push("colour=red");
    assert_user_error(&astra(dir.path(), &unknown), &["colour"]);

    let mut twice: Vec<&str> = LINE_STRENGTH.to_vec();
    twice.push("healpix=1");
    assert_user_error(&astra(dir.path(), &twice), &["healpix", "twice"]);

    let mut escaping: Vec<&str> = LINE_STRENGTH.to_vec();
    escaping.retain(|a| !a.starts_with("obj="));
    escaping.push("obj=../../etc");
    assert_user_error(&astra(dir.path(), &escaping), &["obj", "../../etc"]);

    assert_user_error(
        &astra(dir.path(), &["path", "LineStrength", "release"]),
        &["release", "name=value"],
    );
}

#[test]
fn help_and_version_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = astra(dir.path(), &["--version"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("astra 0.1.0"), "{}", text(&out.stdout));
    let out = astra(dir.path(), &["--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("tasks"));
}

/// The package names of the crates under `plugins/`.
fn workspace_plugin_crates() -> Vec<String> {
    let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&plugins).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let name = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or_else(|| panic!("no package name in {manifest:?}"));
        names.push(name.to_string());
    }
    names.sort();
    names
}

/// A plugin crate the program depends on but never names is dropped by the linker, with
/// its registration: every crate under `plugins/` must be listed by the program.
#[test]
fn every_workspace_plugin_is_linked_into_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let out = astra(dir.path(), &["plugins"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    let crates = workspace_plugin_crates();
    assert!(crates.contains(&"astra-thecannon".to_string()), "{crates:?}");
    for name in crates {
        assert!(
            listing.contains(&format!("(crate {name})")),
            "plugin crate {name} is not linked into the program: add it to astra-cli's \
             dependencies and name it in src/main.rs (`use {} as _;`)\n{listing}",
            name.replace('-', "_")
        );
    }
    assert!(listing.contains("thecannon 0.1.0 (crate astra-thecannon)"), "{listing}");
    assert!(listing.contains("thepayne 0.1.0 (crate astra-thepayne)"), "{listing}");
    assert!(listing.contains("apogeenet 0.1.0 (crate astra-apogeenet)"), "{listing}");
    assert!(
        listing.contains("classifier 0.1.0 (crate astra-classifier)"),
        "{listing}"
    );
}

#[test]
fn run_status_and_verify_mistakes_are_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    assert_user_error(
        &astra(dir.path(), &["run", "nosuchplugin", "x.fits"]),
        &["nosuchplugin"],
    );
    // No database yet: status says so, and creates none.
    assert_user_error(&astra(dir.path(), &["status"]), &["astra.db"]);
    assert!(!dir.path().join("astra.db").exists());
    // verify: one line per file, non-zero exit when one fails.
    std::fs::write(dir.path().join("plain.txt"), "not FITS").unwrap();
    let out = astra(dir.path(), &["verify", "plain.txt", "missing.fits"]);
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out.stdout);
    assert_eq!(shown.lines().count(), 2, "{shown}");
    assert!(shown.lines().all(|l| l.starts_with("FAILED ")), "{shown}");
}

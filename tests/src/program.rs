//! An `astra` program run as a user runs it: the binary, in a folder, its output read.

use std::path::Path;
use std::process::{Command, Output};

fn command(bin: &str, dir: &Path) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(dir).env_remove("ASTRA_TEST_DELAY_MS");
    c
}

fn output(bin: &str, mut c: Command) -> Output {
    c.output().unwrap_or_else(|e| panic!("running {bin}: {e}"))
}

/// Runs `bin` with `args` in `dir`, without `ASTRA_DATABASE_URL` or `ASTRA_OUTPUT_DIR`
/// from the environment (so with the program's defaults, `./astra.db` and
/// `./astra-output`, unless the arguments say otherwise).
pub fn run(bin: &str, dir: &Path, args: &[&str]) -> Output {
    let mut c = command(bin, dir);
    c.env_remove("ASTRA_OUTPUT_DIR")
        .env_remove("ASTRA_DATABASE_URL")
        .args(args);
    output(bin, c)
}

/// Runs `bin` with `args` in `dir`, with the database `url` and the output root `dir/out`.
pub fn run_at(bin: &str, dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut c = command(bin, dir);
    c.env("ASTRA_DATABASE_URL", url)
        .env("ASTRA_OUTPUT_DIR", dir.join("out"))
        .args(args);
    output(bin, c)
}

/// [`run_at`] with the SQLite database `dir/astra.db`.
pub fn run_sqlite(bin: &str, dir: &Path, args: &[&str]) -> Output {
    run_at(bin, dir, &format!("sqlite://{}", dir.join("astra.db").display()), args)
}

/// Bytes of a program's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The standard output of a run that succeeded; a run that failed fails the test with
/// its exit status and both streams.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

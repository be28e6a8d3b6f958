//! The runner through the program, as a user runs it: the `astra-test` binary (the
//! `astra` program with two test plugins) in a temporary folder, on synthetic input files
//! written with the library's apStar writer.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use astra_targets::db::StatusCode;
use astra_targets::db::blocking::Database;
use astra_targets::spectrum::synthetic::{self, Labels};
use astra_targets_tests::fitsverify;
use astra_targets_tests::program::{ok, text};

const BIN: &str = env!("CARGO_BIN_EXE_astra-test");

/// A temporary folder with inputs, a database and an output root.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    /// `n` synthetic APOGEE inputs with seeds 1..=n in `in/`.
    fn new(n: u64) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("in")).unwrap();
        let site = Site { dir };
        for seed in 1..=n {
            site.add_input(seed);
        }
        site
    }

    fn add_input(&self, seed: u64) -> PathBuf {
        let labels = Labels {
            teff: 4000.0 + 100.0 * seed as f64,
            logg: 2.5,
            fe_h: -0.5,
        };
        let spectrum = synthetic::apogee(seed, labels, 50.0, 1).unwrap();
        let path = self.input(seed);
        synthetic::write_apstar(&path, &spectrum).unwrap();
        path
    }

    fn input(&self, seed: u64) -> PathBuf {
        self.dir.path().join(format!("in/apStar-synthetic-{seed:03}.fits"))
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.path().join("astra.db").display())
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.path())
            .env("ASTRA_DATABASE_URL", self.url())
            .env("ASTRA_OUTPUT_DIR", self.path().join("out"))
            .env_remove("ASTRA_TEST_DELAY_MS")
            .args(args);
        c
    }

    fn astra(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("running astra-test")
    }

    fn db(&self) -> Database {
        Database::connect(&self.url()).unwrap()
    }

    /// The astraSource files under the output root (not the writer's temporary files).
    fn files(&self) -> Vec<PathBuf> {
        self.all_files()
            .into_iter()
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect()
    }

    /// Every file under the output root.
    fn all_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.path().join("out"), &mut out);
        out.sort();
        out
    }

    /// The number of tasks of `family` with status `code`.
    fn count(&self, family: &str, code: StatusCode) -> i64 {
        self.db()
            .status_counts()
            .unwrap()
            .iter()
            .filter(|c| c.family == family && c.code == i64::from(code.code()))
            .map(|c| c.count)
            .sum()
    }
}

/// A user's mistake: non-zero exit, one line on standard error naming what was wrong, no
/// panic.
fn assert_user_error(out: &Output, names: &[&str]) {
    let err = text(&out.stderr);
    assert!(!out.status.success(), "exit status 0 for a mistake; stderr: {err}");
    assert!(!err.contains("panicked"), "a panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "more than one line: {err}");
    for name in names {
        assert!(err.contains(name), "the message does not name {name:?}: {err}");
    }
}

#[test]
fn plugins_are_listed() {
    let site = Site::new(0);
    let listing = ok(&site.astra(&["plugins"]));
    assert!(
        listing.contains("meanflux 1.2.3 (crate astra-targets-tests)"),
        "{listing}"
    );
    assert!(
        listing.contains("failsome 0.0.1 (crate astra-targets-tests)"),
        "{listing}"
    );
    assert!(
        listing.contains("task: MeanFlux (table `mean_flux`); writes database rows and an astraSource file (NORMALIZED_FLUX, NORMALIZED_IVAR, CONTINUUM)"),
        "{listing}"
    );
    assert!(
        listing.contains("task: FailSome (table `fail_some`); writes database rows\n"),
        "{listing}"
    );
}

#[test]
fn run_rerun_and_dry_run() {
    let site = Site::new(6);
    let out = site.astra(&["run", "meanflux", "in", "--workers", "2"]);
    let shown = ok(&out);
    // No progress bar when standard error is not a terminal.
    assert_eq!(text(&out.stderr), "");
    assert!(
        shown.contains("meanflux: 6 inputs: 0 already done, 6 succeeded, 0 failed"),
        "{shown}"
    );
    let files = site.files();
    assert_eq!(files.len(), 6, "{files:?}");
    for f in &files[..2] {
        let (passed, report) = fitsverify(f);
        assert!(passed, "{f:?}: {report}");
    }
    assert_eq!(site.count("MeanFlux", StatusCode::Success), 6);
    // The PLUGIN/PLUGVER cards come from the registration.
    let verified = ok(&site.astra(&["verify", files[0].to_str().unwrap()]));
    assert!(verified.starts_with("ok "), "{verified}");
    assert!(verified.contains("meanflux MeanFlux_"), "{verified}");

    // A re-run finds everything done.
    let again = ok(&site.astra(&["run", "meanflux", "in/*.fits"]));
    assert!(again.contains("6 inputs: 6 already done, 0 succeeded"), "{again}");

    // A removed file makes its task incomplete: the dry run says so and changes nothing.
    std::fs::remove_file(&files[3]).unwrap();
    site.add_input(7);
    let plan = ok(&site.astra(&["run", "meanflux", "in", "--dry-run"]));
    assert_eq!(plan.lines().filter(|l| l.starts_with("done ")).count(), 5, "{plan}");
    assert!(
        plan.contains("(result row, but its astraSource file is missing)"),
        "{plan}"
    );
    assert!(plan.contains("apStar-synthetic-007.fits  (no result)"), "{plan}");
    assert!(plan.contains("5 done, 2 would run"), "{plan}");
    assert_eq!(site.files().len(), 5);

    // --limit runs only that many; a list file works as inputs.
    std::fs::write(
        site.path().join("list.txt"),
        "# inputs\nin/apStar-synthetic-007.fits\n\n",
    )
    .unwrap();
    let limited = ok(&site.astra(&["run", "meanflux", "in", "--limit", "1"]));
    assert!(
        limited.contains("1 succeeded, 0 failed, 0 unusable, 1 beyond the limit"),
        "{limited}"
    );
    let rest = ok(&site.astra(&["run", "meanflux", "in", "@list.txt"]));
    assert!(
        rest.contains("8 inputs: 6 already done, 1 succeeded, 0 failed, 0 unusable, 0 beyond the limit, 1 duplicate"),
        "{rest}"
    );
    assert_eq!(site.files().len(), 7);
}

#[test]
fn failures_are_recorded_and_the_others_complete() {
    let site = Site::new(8);
    std::fs::write(site.path().join("in/not-a-spectrum.fits"), "hello").unwrap();
    let out = site.astra(&["run", "failsome", "in", "--workers", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("9 inputs: 0 already done, 6 succeeded, 2 failed, 1 unusable"),
        "{shown}"
    );
    assert!(shown.contains("seed 4 is a multiple of 4"), "{shown}");
    assert!(shown.contains("not-a-spectrum.fits"), "{shown}");
    assert_eq!(site.count("FailSome", StatusCode::Success), 6);
    assert_eq!(site.count("FailSome", StatusCode::ProcessFailure), 2);

    let status = ok(&site.astra(&["status"]));
    assert!(status.contains("FailSome"), "{status}");
    assert!(status.contains("process failure (40)"), "{status}");
    assert!(
        status.contains("seed 8 is a multiple of 4, which this method refuses"),
        "{status}"
    );
    let failed = site.db().failed_tasks(10).unwrap();
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|f| f.duration.is_some_and(|d| d >= 0.0)));

    let status_line = status.lines().find(|l| l.contains("process failure (40)")).unwrap();
    assert!(status_line.starts_with("failsome "), "{status}");

    // Told not to, a re-run leaves the failed tasks alone.
    let plan = ok(&site.astra(&["run", "failsome", "in", "--no-retry", "--dry-run"]));
    assert!(plan.contains("6 done, 0 would run"), "{plan}");
    assert!(plan.contains("not retried: 2 tasks whose last run failed"), "{plan}");
    let skipped = site.astra(&["run", "failsome", "in", "--no-retry"]);
    let shown = text(&skipped.stdout);
    assert!(
        shown.contains("6 already done, 0 succeeded, 0 failed, 1 unusable"),
        "{shown}"
    );
    assert!(shown.contains("not retried: 2 tasks"), "{shown}");

    // A re-run retries the failed tasks only.
    let again = site.astra(&["run", "failsome", "in"]);
    let shown = text(&again.stdout);
    assert!(shown.contains("6 already done, 0 succeeded, 2 failed"), "{shown}");
}

/// Starts a slow run (each analysis sleeps), waits until `committed` tasks are committed,
/// then sends `signal` and waits for the program to end.
fn interrupted_run(site: &Site, workers: &str, committed: i64, signal: &str) -> Output {
    let child = site
        .command(&["run", "meanflux", "in", "--workers", workers])
        .env("ASTRA_TEST_DELAY_MS", "250")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while site
        .path()
        .join("astra.db")
        .exists()
        .then(|| site.count("MeanFlux", StatusCode::Success))
        < Some(committed)
    {
        assert!(start.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait_with_output().unwrap()
}

#[test]
fn sigint_finishes_in_flight_tasks_and_says_how_to_resume() {
    let site = Site::new(16);
    let out = interrupted_run(&site, "2", 2, "-INT");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("run the same command again to resume"), "{err}");
    let committed = site.count("MeanFlux", StatusCode::Success);
    assert!((2..16).contains(&committed), "{committed} committed");
    // Tasks in flight finished: every file has its row, every row its file; the tasks
    // not started are back to created, none is left running.
    assert_eq!(site.files().len() as i64, committed);
    assert_eq!(site.count("MeanFlux", StatusCode::Running), 0);
    assert_eq!(site.count("MeanFlux", StatusCode::Created), 16 - committed);

    let resumed = ok(&site.astra(&["run", "meanflux", "in", "--workers", "2"]));
    let expected = format!(
        "16 inputs: {committed} already done, {} succeeded, 0 failed",
        16 - committed
    );
    assert!(resumed.contains(&expected), "{resumed}");
    assert_eq!(site.files().len(), 16);
}

#[test]
fn sigkill_loses_at_most_the_tasks_in_flight() {
    let site = Site::new(16);
    let out = interrupted_run(&site, "2", 2, "-KILL");
    assert!(!out.status.success());
    let committed = site.count("MeanFlux", StatusCode::Success);
    let files = site.files().len() as i64;
    // The tasks of the killed run's chunk that were not committed are left running.
    assert_eq!(site.count("MeanFlux", StatusCode::Running), 16 - committed);
    // Files are written before their rows: no committed row lacks its file; files of
    // uncommitted tasks (in flight or in the batch) may exist, never a partial one.
    assert!(files >= committed, "{files} files, {committed} rows");
    let plan = ok(&site.astra(&["run", "meanflux", "in", "--dry-run"]));
    assert!(!plan.contains("file is missing"), "{plan}");
    assert!(
        plan.contains(&format!("{committed} done, {} would run", 16 - committed)),
        "{plan}"
    );
    for f in site.files() {
        assert!(fitsverify(&f).0, "{f:?} is not a whole file");
    }

    // The next run completes exactly the tasks that were not committed.
    let resumed = ok(&site.astra(&["run", "meanflux", "in", "--workers", "2"]));
    let expected = format!(
        "16 inputs: {committed} already done, {} succeeded, 0 failed",
        16 - committed
    );
    assert!(resumed.contains(&expected), "{resumed}");
    assert_eq!(site.files().len(), 16);
    assert_eq!(site.count("MeanFlux", StatusCode::Success), 16);
    // Temporary files of the killed writer are gone: the tasks redone cleaned their
    // folders.
    assert_eq!(site.all_files(), site.files());
}

#[test]
fn a_rerun_reads_only_inputs_that_changed() {
    let site = Site::new(6);
    let log = site.path().join("tasks.log");
    let lines = || std::fs::read_to_string(&log).unwrap_or_default().lines().count();
    let run = |args: &[&str]| {
        let out = site.command(args).env("ASTRA_TEST_TASK_LOG", &log).output().unwrap();
        ok(&out)
    };
    run(&["run", "meanflux", "in"]);
    assert_eq!(lines(), 6, "the first run builds every task");

    // Done, and known to the input memo: the re-run (and a dry run) read nothing.
    let again = run(&["run", "meanflux", "in"]);
    assert!(again.contains("6 inputs: 6 already done, 0 succeeded"), "{again}");
    let plan = run(&["run", "meanflux", "in", "--dry-run"]);
    assert!(plan.contains("6 done, 0 would run"), "{plan}");
    assert_eq!(lines(), 6, "a re-run read inputs");

    // An input replaced by another star is read again and makes a new task.
    let replaced = site.input(2);
    let spectrum = synthetic::apogee(
        77,
        Labels {
            teff: 5000.0,
            logg: 3.0,
            fe_h: 0.0,
        },
        50.0,
        1,
    )
    .unwrap();
    synthetic::write_apstar(&replaced, &spectrum).unwrap();
    let after = run(&["run", "meanflux", "in"]);
    assert!(after.contains("6 inputs: 5 already done, 1 succeeded"), "{after}");
    assert_eq!(lines(), 7);
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.lines().last().unwrap().ends_with("apStar-synthetic-002.fits"),
        "{log_text}"
    );

    // A deleted astraSource file is found missing, though the memo knows its task.
    let first = site.files()[0].clone();
    std::fs::remove_file(&first).unwrap();
    let redone = run(&["run", "meanflux", "in"]);
    assert!(redone.contains("6 inputs: 5 already done, 1 succeeded"), "{redone}");
    assert!(first.is_file());
}

#[test]
fn verify_finds_good_and_corrupted_files() {
    let site = Site::new(2);
    ok(&site.astra(&["run", "meanflux", "in"]));
    let files = site.files();
    let (good, bad) = (files[0].to_str().unwrap(), files[1].to_str().unwrap());
    let shown = ok(&site.astra(&["verify", good, bad]));
    assert_eq!(shown.lines().filter(|l| l.starts_with("ok ")).count(), 2, "{shown}");

    // One byte changed in the normalized flux's data.
    let mut bytes = std::fs::read(bad).unwrap();
    let at = 2880 * 12 + 100;
    bytes[at] ^= 0x55;
    std::fs::write(bad, bytes).unwrap();
    std::fs::write(site.path().join("plain.txt"), "not FITS").unwrap();
    let out = site.astra(&["verify", good, bad, "plain.txt"]);
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out.stdout);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3, "{shown}");
    assert!(lines[0].starts_with("ok "), "{shown}");
    assert!(lines[1].starts_with("FAILED ") && lines[1].contains(bad), "{shown}");
    assert!(
        lines[2].starts_with("FAILED ") && lines[2].contains("plain.txt"),
        "{shown}"
    );
}

#[test]
fn user_errors_are_one_sentence() {
    let site = Site::new(1);
    assert_user_error(
        &site.astra(&["run", "meanflx", "in"]),
        &["meanflx", "failsome, meanflux", "did you mean \"meanflux\""],
    );
    assert_user_error(
        &site.astra(&["run", "meanflux", "missing.fits"]),
        &["missing.fits", "does not exist"],
    );
    assert_user_error(
        &site.astra(&["run", "meanflux", "in/*.fit"]),
        &["in/*.fit", "matches no file"],
    );
    assert_user_error(&site.astra(&["run", "meanflux", "@nolist.txt"]), &["nolist.txt"]);
    assert_user_error(
        &site.astra(&["run", "meanflux", "in", "--model", "none.model"]),
        &["none.model", "does not exist"],
    );
    let out = site
        .command(&["run", "meanflux", "in"])
        .env("ASTRA_DATABASE_URL", "mysql://localhost/astra")
        .output()
        .unwrap();
    assert_user_error(&out, &["mysql://localhost/astra"]);
    assert_user_error(
        &site.astra(&["--database", "sqlite:///no/such/folder/astra.db", "status"]),
        &["/no/such/folder"],
    );
}

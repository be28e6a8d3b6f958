//! The pipeline of `examples/pipeline/`: a cargo project of its own, outside this
//! workspace, whose program `my-astra` links its own plugin crate `linewidths` and no
//! other. Built with cargo as its users build it (in this workspace's target folder, so
//! the dependencies built for the workspace are reused), then run as they run it, in a
//! temporary folder on synthetic apStar files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use astra_targets::db::StatusCode;
use astra_targets::db::blocking::Database;
use astra_targets::fits::CardValue;
use astra_targets::spectrum::synthetic::{self, Labels};
use astra_targets::spectrum::{SpectrumKind, WavelengthGrid};
use astra_targets_tests::fitsverify;
use astra_targets_tests::program::{ok, text};

/// The workspace's root folder, the parent of this test's package: read when this file is
/// compiled, so that the example built is the one of the checkout this test comes from.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives in the workspace root")
        .to_path_buf()
}

/// The example project's folder.
fn project() -> PathBuf {
    workspace_root().join("examples/pipeline")
}

/// The target folder the workspace is built in: `CARGO_TARGET_DIR` (relative to the
/// workspace root when relative), else `target/` of the workspace.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// Builds the example project once for all tests of this file: the `my-astra` binary, or
/// cargo's report of why it did not build.
fn my_astra() -> &'static Path {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let manifest = project().join("Cargo.toml");
        let start = Instant::now();
        let out = Command::new(env!("CARGO"))
            .args(["build", "--locked", "--manifest-path"])
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", target_dir())
            .output()
            .map_err(|e| format!("running {}: {e}", env!("CARGO")))?;
        if !out.status.success() {
            return Err(format!(
                "`cargo build --locked --manifest-path {}` failed ({}):\n{}",
                manifest.display(),
                out.status,
                text(&out.stderr)
            ));
        }
        eprintln!("built the example pipeline in {:.1} s", start.elapsed().as_secs_f64());
        Ok(target_dir()
            .join("debug")
            .join(format!("my-astra{}", std::env::consts::EXE_SUFFIX)))
    });
    match built {
        Ok(path) => path,
        Err(report) => panic!("{report}"),
    }
}

/// A temporary folder where `my-astra` runs, with its database and output root.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        Site {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.path().join("astra.db").display())
    }

    fn my_astra(&self, args: &[&str]) -> Output {
        Command::new(my_astra())
            .current_dir(self.path())
            .env("ASTRA_DATABASE_URL", self.url())
            .env("ASTRA_OUTPUT_DIR", self.path().join("out"))
            .args(args)
            .output()
            .expect("running my-astra")
    }

    /// The files under the output root.
    fn files(&self) -> Vec<PathBuf> {
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
}

/// The (name, version) of each package in a `Cargo.lock`.
fn locked_packages(path: &Path) -> BTreeSet<(String, String)> {
    let lock = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path:?}: {e}"));
    let value = |line: &str, key: &str| {
        line.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(" = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .map(str::to_string)
    };
    let mut out = BTreeSet::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = value(line, "name") {
            name = Some(n);
        } else if let (Some(v), Some(n)) = (value(line, "version"), name.take()) {
            out.insert((n, v));
        }
    }
    out
}

/// The example's lockfile pins the versions the workspace's does: both build the same
/// dependencies, and the example builds from the crates the workspace downloaded.
#[test]
fn the_example_locks_the_workspace_versions() {
    let workspace = locked_packages(&workspace_root().join("Cargo.lock"));
    let example = locked_packages(&project().join("Cargo.lock"));
    assert!(
        example.len() > 50,
        "{} packages in the example's lockfile",
        example.len()
    );
    let own = ["linewidths", "my-astra"];
    let differing: Vec<_> = example
        .iter()
        .filter(|(name, _)| !own.contains(&name.as_str()))
        .filter(|p| !workspace.contains(p))
        .collect();
    assert!(
        differing.is_empty(),
        "examples/pipeline/Cargo.lock has versions the workspace's Cargo.lock has not (copy the \
         workspace's lockfile there and build once): {differing:?}"
    );
}

/// The plugin crate's own tests (of its measurement) pass, run as its authors run them.
#[test]
fn its_plugin_crate_passes_its_own_tests() {
    let manifest = project().join("Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args(["test", "--locked", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", env!("CARGO")));
    let shown = text(&out.stdout);
    assert!(
        out.status.success(),
        "`cargo test --locked --manifest-path {}` failed ({}):\n{shown}\n{}",
        manifest.display(),
        out.status,
        text(&out.stderr)
    );
    assert!(
        shown.contains("test measure::tests::a_gaussian_line_has_its_analytic_width ... ok"),
        "{shown}"
    );
}

#[test]
fn its_program_lists_its_own_plugin_and_nothing_else() {
    let site = Site::new();
    let plugins = ok(&site.my_astra(&["plugins"]));
    let names: Vec<&str> = plugins.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(names, ["linewidths 0.1.0 (crate linewidths)"], "{plugins}");
    assert!(
        plugins.contains(
            "task: LineWidths (table `line_widths`); writes database rows and an astraSource file \
             (NORMALIZED_FLUX, NORMALIZED_IVAR, CONTINUUM)"
        ),
        "{plugins}"
    );

    let tasks = ok(&site.my_astra(&["tasks"]));
    let families: Vec<&str> = tasks.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(families, ["LineWidths 0.1.0 (linewidths::LineWidths)"], "{tasks}");
    assert!(
        tasks.contains("Angstrom  Equivalent width of Mg I 15765.8 Angstrom"),
        "{tasks}"
    );
}

#[test]
fn its_program_documents_its_own_plugin() {
    let site = Site::new();
    ok(&site.my_astra(&["docs", "--out", "docs"]));
    let docs = site.path().join("docs");
    let index = std::fs::read_to_string(docs.join("index.md")).unwrap();
    let listed: Vec<&str> = index.lines().filter(|l| l.starts_with("| [")).collect();
    assert_eq!(listed.len(), 1, "{index}");
    assert!(
        listed[0].starts_with("| [LineWidths](LineWidths.md) | 0.1.0 | linewidths 0.1.0 |"),
        "{index}"
    );
    let page = std::fs::read_to_string(docs.join("LineWidths.md")).unwrap();
    assert!(
        page.contains("## FITS product") && page.contains("Table `line_widths`"),
        "{page}"
    );
    let yaml = std::fs::read_to_string(docs.join("LineWidths.yaml")).unwrap();
    assert!(yaml.contains("  plugin: \"linewidths\""), "{yaml}");
    let html = std::fs::read_to_string(docs.join("index.html")).unwrap();
    assert!(html.contains("id=\"task-LineWidths\""));
}

/// The equivalent width of the noise-free model within `half_width` of `centre`: what the
/// plugin measures, without noise and with the true continuum.
fn true_width(labels: &Labels, centre: f64, half_width: f64) -> f64 {
    let grid = WavelengthGrid::APOGEE;
    let model = synthetic::normalized_flux(SpectrumKind::Apogee, &grid, labels);
    (0..grid.npix)
        .map(|i| (i, grid.wavelength(i)))
        .filter(|&(_, lambda)| (lambda - centre).abs() <= half_width)
        .map(|(i, lambda)| (1.0 - model[i]) * lambda * std::f64::consts::LN_10 * grid.cdelt1)
        .sum()
}

/// One result row read back: the object id, then (width, uncertainty) per line.
type Widths = (String, [(f64, f64); 4]);

fn result_rows(database: &Path) -> Vec<Widths> {
    use sqlx::{Connection, Row};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = format!("sqlite://{}", database.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let rows = sqlx::query(
            "SELECT p.parameter_value, r.ew_fe_15207, r.e_ew_fe_15207, r.ew_mg_15766, r.e_ew_mg_15766, \
             r.ew_si_15960, r.e_ew_si_15960, r.ew_al_16719, r.e_ew_al_16719 \
             FROM line_widths r JOIN task t ON t.output_pk = r.output_pk \
             JOIN task_parameter tp ON tp.task_pk = t.pk JOIN parameter p ON p.pk = tp.parameter_pk \
             WHERE p.parameter_name = 'obj' ORDER BY p.parameter_value",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        rows.iter()
            .map(|r| {
                let pair = |k: usize| (r.get::<f64, _>(2 * k + 1), r.get::<f64, _>(2 * k + 2));
                (r.get::<String, _>(0), [pair(0), pair(1), pair(2), pair(3)])
            })
            .collect()
    })
}

#[test]
fn its_program_runs_its_plugin_and_finds_the_work_done() {
    let site = Site::new();
    std::fs::create_dir(site.path().join("in")).unwrap();
    // Four stars, from a hot metal-poor dwarf-ish one to a cool metal-rich giant.
    let mut stars = Vec::new();
    for seed in 1..=4u64 {
        let k = seed as f64;
        let labels = Labels {
            teff: 5300.0 - 300.0 * k,
            logg: 3.6 - 0.4 * k,
            fe_h: -0.8 + 0.3 * k,
        };
        let spectrum = synthetic::apogee(seed, labels, 100.0, 1).unwrap();
        let obj = match spectrum.header.iter().find(|c| c.key == "OBJID").map(|c| &c.value) {
            Some(CardValue::Str(s)) => s.trim_end().to_string(),
            other => panic!("OBJID card of the synthetic spectrum: {other:?}"),
        };
        let path = site.path().join(format!("in/apStar-synthetic-{seed}.fits"));
        synthetic::write_apstar(&path, &spectrum).unwrap();
        stars.push((obj, labels));
    }

    let shown = ok(&site.my_astra(&["run", "linewidths", "in"]));
    assert!(
        shown.contains("linewidths: 4 inputs: 0 already done, 4 succeeded, 0 failed"),
        "{shown}"
    );
    let db = Database::connect(&site.url()).unwrap();
    let succeeded: i64 = db
        .status_counts()
        .unwrap()
        .iter()
        .filter(|c| c.family == "LineWidths" && c.code == i64::from(StatusCode::Success.code()))
        .map(|c| c.count)
        .sum();
    assert_eq!(succeeded, 4);
    db.close();

    // One row per star, each width near the noise-free model's.
    let rows = result_rows(&site.path().join("astra.db"));
    assert_eq!(rows.len(), 4, "{rows:?}");
    let lines = [15207.5, 15765.8, 15960.1, 16718.9];
    for (obj, widths) in &rows {
        let labels = &stars
            .iter()
            .find(|(o, _)| o == obj)
            .unwrap_or_else(|| panic!("{obj}"))
            .1;
        for (&centre, &(ew, e_ew)) in lines.iter().zip(widths) {
            let truth = true_width(labels, centre, 2.0);
            assert!(
                e_ew > 0.0 && e_ew < 0.02,
                "{obj} {centre}: uncertainty {e_ew} at S/N 100"
            );
            // The noise, and the weak lines that pull the pseudo-continuum down a little.
            assert!(
                (ew - truth).abs() <= 3.0 * e_ew + 0.01,
                "{obj} {centre}: measured {ew} +- {e_ew}, the noise-free model's {truth}"
            );
        }
    }

    let files = site.files();
    assert_eq!(files.len(), 4, "{files:?}");
    let (passed, report) = fitsverify(&files[0]);
    assert!(passed, "{:?}: {report}", files[0]);
    let verified = ok(&site.my_astra(&["verify", files[0].to_str().unwrap()]));
    assert!(verified.starts_with("ok "), "{verified}");
    assert!(verified.contains("linewidths LineWidths_"), "{verified}");

    let again = ok(&site.my_astra(&["run", "linewidths", "in"]));
    assert!(
        again.contains("linewidths: 4 inputs: 4 already done, 0 succeeded, 0 failed"),
        "{again}"
    );
    assert_eq!(site.files(), files);

    // A BOSS spectrum has none of the lines: its task fails with the plugin's message,
    // which the database records.
    std::fs::create_dir(site.path().join("boss")).unwrap();
    let boss = synthetic::boss(9, Labels::SUN, 30.0).unwrap();
    synthetic::write_boss_spec(site.path().join("boss/spec-synthetic-9.fits"), &boss).unwrap();
    let out = site.my_astra(&["run", "linewidths", "boss"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("0 already done, 0 succeeded, 1 failed"), "{shown}");
    let refusal = "is a BOSS spectrum; linewidths measures lines of APOGEE spectra";
    assert!(shown.contains(refusal), "{shown}");
    let db = Database::connect(&site.url()).unwrap();
    let failed = db.failed_tasks(10).unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].message.as_deref().is_some_and(|m| m.contains(refusal)),
        "{failed:?}"
    );
}

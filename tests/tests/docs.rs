//! `astra docs` against reality, through the `astra-test` program (the workspace's
//! plugins and two test plugins: `meanflux` writes files, `failsome` rows only):
//!
//! - the astraSource files the file-writing plugins actually write, read back with
//!   astropy, match the generated datamodel YAML HDU by HDU, card by card, column by
//!   column (`tests/python/check_datamodel.py`);
//! - the result tables the runner actually creates, on SQLite and on PostgreSQL, have the
//!   documented columns with the documented SQL types (read from the generated Markdown);
//! - every task has its page and HTML section, database-only plugins have no FITS section;
//! - `--diff` reports added, removed and changed columns, cards and HDUs, one line each,
//!   failing only when something was removed or changed;
//! - the committed Markdown of `thecannon` (docs/thecannon/TheCannon.md) is what the
//!   program generates today (`ASTRA_BLESS=1` rewrites it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use astra_targets::spectrum::synthetic;
use astra_targets_tests::cannon::labels_of;
use astra_targets_tests::db_support::{fresh_pg_database, fresh_sqlite_database};
use astra_targets_tests::program::{self, ok, text};
use astra_targets_tests::{run_python, workspace_root};

const BIN: &str = env!("CARGO_BIN_EXE_astra-test");

/// Runs `astra-test` in `dir` with the database `url` and the output root `dir/out`.
fn astra(dir: &Path, url: &str, args: &[&str]) -> Output {
    program::run_at(BIN, dir, url, args)
}

/// Two synthetic APOGEE inputs in `dir/in`.
fn write_inputs(dir: &Path) {
    std::fs::create_dir_all(dir.join("in")).unwrap();
    for seed in 1..=2u64 {
        let s = synthetic::apogee(seed, labels_of(seed), 100.0, 1).unwrap();
        synthetic::write_apstar(dir.join(format!("in/apStar-synthetic-{seed}.fits")), &s).unwrap();
    }
}

/// A Cannon model trained on 30 synthetic spectra, saved in `dir`.
fn cannon_model(dir: &Path) -> PathBuf {
    let path = dir.join("cannon-model.fits");
    astra_targets_tests::cannon::cannon_model(&path, 30);
    path
}

/// The astraSource files under `dir` whose path contains `part`.
fn files_under(dir: &Path, part: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().contains(part) && p.extension().is_some_and(|e| e == "fits") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_file_writing_plugin_writes_what_its_datamodel_says() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = format!("sqlite://{}", d.join("astra.db").display());
    write_inputs(d);
    let model = cannon_model(d);
    ok(&astra(d, &url, &["run", "meanflux", "in"]));
    ok(&astra(
        d,
        &url,
        &["run", "thecannon", "in", "--model", model.to_str().unwrap()],
    ));
    ok(&astra(d, &url, &["docs", "--out", "docs", "--format", "yaml"]));

    // One YAML per file-writing task; none for the database-only plugins.
    for (family, written) in [
        ("MeanFlux", true),
        ("TheCannon", true),
        ("FailSome", false),
        ("Classifier", false),
    ] {
        assert_eq!(
            d.join(format!("docs/{family}.yaml")).exists(),
            written,
            "{family}.yaml written: expected {written}"
        );
    }

    let script = std::fs::read_to_string(workspace_root().join("tests/python/check_datamodel.py")).unwrap();
    for (family, namespace) in [("MeanFlux", "meanflux"), ("TheCannon", "thecannon")] {
        let products = files_under(&d.join("out"), &format!("/{namespace}/"));
        assert_eq!(products.len(), 2, "{family}: {products:?}");
        for product in &products {
            let yaml = d.join(format!("docs/{family}.yaml"));
            // The product's input: its OBJID is the input's, as the plugins read it.
            let input = d.join("in/apStar-synthetic-1.fits");
            let shown = run_python(
                &script,
                &[
                    yaml.to_str().unwrap(),
                    product.to_str().unwrap(),
                    input.to_str().unwrap(),
                ],
                None,
            );
            println!("{family} {}:\n{shown}", product.display());
            let last = shown.lines().last().unwrap_or_default();
            assert!(last.starts_with("checked 9 hdus,"), "{family}: {shown}");
            let numbers: Vec<usize> = last
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            // 9 HDUs; well over a hundred cards; the RESULTS and TASK_PARAMETERS columns.
            assert!(numbers[1] > 100 && numbers[2] >= 8, "{family}: {last}");
        }
    }

    // The check is a real one: a datamodel with another unit is caught.
    let yaml = std::fs::read_to_string(d.join("docs/MeanFlux.yaml")).unwrap();
    let wrong = yaml.replacen("unit: \"10**-17 erg/s/cm**2/Angstrom\"", "unit: \"Jy\"", 1);
    assert_ne!(wrong, yaml);
    std::fs::write(d.join("wrong.yaml"), wrong).unwrap();
    let product = &files_under(&d.join("out"), "/meanflux/")[0];
    let out = Command::new(astra_targets_tests::python())
        .arg("-c")
        .arg(&script)
        .args([
            d.join("wrong.yaml").as_path(),
            product.as_path(),
            d.join("in/apStar-synthetic-1.fits").as_path(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("documented 'Jy'"), "{}", text(&out.stderr));
}

/// The documented columns of a task's result table, from its Markdown page: (name,
/// SQLite type, PostgreSQL type).
fn documented_columns(page: &str) -> Vec<(String, String, String)> {
    let section = page
        .split("## Database")
        .nth(1)
        .expect("the page has a Database section")
        .split("\n## ")
        .next()
        .unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            (
                cells[0].trim_matches('`').to_string(),
                cells[2].to_string(),
                cells[3].to_string(),
            )
        })
        .collect()
}

/// The columns of `table` and their SQL types, as the database reports them.
async fn actual_columns(url: &str, table: &str) -> Vec<(String, String)> {
    use sqlx::{Connection, Row};
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        let q = format!("SELECT name, type FROM pragma_table_info('{table}')");
        sqlx::query(sqlx::AssertSqlSafe(q))
            .fetch_all(&mut c)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect()
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let q = format!(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
             WHERE a.attrelid = '{table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        );
        sqlx::query(sqlx::AssertSqlSafe(q))
            .fetch_all(&mut c)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect()
    }
}

/// Runs `meanflux` and `failsome` on the database `url`, then checks both result tables
/// against the generated Markdown.
fn tables_match(url: &str, postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_inputs(d);
    ok(&astra(d, url, &["run", "meanflux", "in"]));
    // failsome fails on seeds that are multiples of 4: both inputs here succeed.
    ok(&astra(d, url, &["run", "failsome", "in"]));
    ok(&astra(d, url, &["docs", "--out", "docs", "--format", "md"]));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (family, table) in [("MeanFlux", "mean_flux"), ("FailSome", "fail_some")] {
        let page = std::fs::read_to_string(d.join(format!("docs/{family}.md"))).unwrap();
        let documented = documented_columns(&page);
        let actual = rt.block_on(actual_columns(url, table));
        assert!(documented.len() >= 3, "{family}: {documented:?}");
        let names = |v: Vec<&str>| v.into_iter().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            names(actual.iter().map(|(n, _)| n.as_str()).collect()),
            names(documented.iter().map(|(n, _, _)| n.as_str()).collect()),
            "{family}: the table's columns are not the documented ones"
        );
        for ((name, ty), (_, sqlite, pg)) in actual.iter().zip(&documented) {
            let expected = if postgres { pg } else { sqlite };
            assert!(
                ty.eq_ignore_ascii_case(expected),
                "{family}.{name}: the database says {ty}, the docs say {expected}"
            );
        }
    }
}

#[test]
fn sqlite_tables_have_the_documented_columns() {
    let (url, _keep) = fresh_sqlite_database();
    tables_match(&url, false);
}

#[test]
fn postgres_tables_have_the_documented_columns() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = rt.block_on(fresh_pg_database());
    tables_match(&url, true);
}

#[test]
fn every_task_has_its_page_and_section() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = format!("sqlite://{}", d.join("astra.db").display());
    ok(&astra(d, &url, &["docs", "--out", "docs"]));
    let tasks = ok(&astra(d, &url, &["tasks"]));
    let families: Vec<&str> = tasks
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(families.len() >= 4, "{tasks}");
    let index = std::fs::read_to_string(d.join("docs/index.md")).unwrap();
    let html = std::fs::read_to_string(d.join("docs/index.html")).unwrap();
    for family in &families {
        assert!(
            index.contains(&format!("[{family}]({family}.md)")),
            "{family} not in the index"
        );
        assert!(d.join(format!("docs/{family}.md")).exists(), "{family}.md");
        assert!(
            html.contains(&format!("<section class=\"task\" id=\"task-{family}\"")),
            "{family} section"
        );
    }
    let meanflux = std::fs::read_to_string(d.join("docs/MeanFlux.md")).unwrap();
    let failsome = std::fs::read_to_string(d.join("docs/FailSome.md")).unwrap();
    assert!(meanflux.contains("## FITS product") && meanflux.contains("Plugin: `meanflux` 1.2.3"));
    // The worked example's id and path are the program's own: `astra path` agrees.
    let id = meanflux
        .lines()
        .find_map(|l| l.strip_prefix("- task id: `"))
        .unwrap()
        .trim_end_matches('`');
    let path = ok(&astra(
        d,
        &url,
        &["path", "MeanFlux", "healpix=1234", "obj=example_obj"],
    ));
    assert!(path.contains(&format!("task_id        {id}")), "{path}");
    assert!(
        !failsome.contains("## FITS product"),
        "a database-only plugin has no FITS section"
    );
    // No network: nothing in the page is fetched from elsewhere.
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains(" src="));
    // Bad format: one sentence.
    let bad = astra(d, &url, &["docs", "--out", "docs", "--format", "pdf"]);
    assert!(!bad.status.success());
    assert_eq!(
        text(&bad.stderr).trim(),
        "error: format \"pdf\" is not one of md, html, yaml"
    );
}

fn diff(d: &Path, old: &str) -> (bool, Vec<String>, String) {
    let url = format!("sqlite://{}", d.join("astra.db").display());
    let out = astra(d, &url, &["docs", "--diff", old]);
    (
        out.status.success(),
        text(&out.stdout).lines().map(str::to_string).collect(),
        text(&out.stderr),
    )
}

#[test]
fn diff_reports_each_change_and_fails_on_removals_and_changes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = format!("sqlite://{}", d.join("astra.db").display());
    ok(&astra(d, &url, &["docs", "--out", "old", "--format", "yaml"]));

    // Against itself: nothing, success.
    let (success, lines, _) = diff(d, "old");
    assert!(success && lines.is_empty(), "{lines:?}");

    let yaml = std::fs::read_to_string(d.join("old/MeanFlux.yaml")).unwrap();
    // An older release without the SNR column: today's adds it, which alone is fine.
    let start = yaml.find("          \"SNR\":").unwrap();
    let end = start + yaml[start..].find("          \"ASTRA_VERSION_MAJOR\":").unwrap();
    let without_snr = format!("{}{}", &yaml[..start], &yaml[end..]);
    std::fs::write(d.join("added.yaml"), &without_snr).unwrap();
    let (success, lines, stderr) = diff(d, "added.yaml");
    assert!(success, "{lines:?} {stderr}");
    assert_eq!(lines, ["added    MeanFlux HDU RESULTS column SNR: added"]);

    // An older release with another unit, an extra card, another comment and one more HDU.
    let changed = yaml
        .replace(
            "            unit: \"10**-17 erg/s/cm**2/Angstrom\"",
            "            unit: \"erg/s/cm**2/Angstrom\"",
        )
        .replace(
            "          - key: \"DC-FLAG\"",
            "          - key: \"OLDCARD\"\n            value: 1\n            comment: \"\"\n          - key: \"DC-FLAG\"",
        )
        .replacen("comment: \"Continuum-normalized flux\"", "comment: \"Normalized flux\"", 1)
        .replace(
            "    hdus:\n",
            "    hdus:\n      hdu9:\n        name: \"EXTRA\"\n        is_image: true\n        header:\n          - key: \"SIMPLE\"\n            value: true\n            comment: \"\"\n",
        );
    std::fs::write(d.join("changed.yaml"), &changed).unwrap();
    let (success, lines, stderr) = diff(d, "changed.yaml");
    assert!(!success, "removals and changes fail: {lines:?}");
    for expected in [
        "removed  MeanFlux HDU EXTRA: removed (was HDU 0)",
        "removed  MeanFlux HDU NORMALIZED_FLUX card OLDCARD: removed",
        "changed  MeanFlux HDU NORMALIZED_FLUX card EXTNAME: comment changed from \"Normalized flux\" to \"Continuum-normalized flux\"",
        "changed  MeanFlux HDU RESULTS column MEAN_FLUX: unit changed from \"erg/s/cm**2/Angstrom\" to \"10**-17 erg/s/cm**2/Angstrom\"",
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "missing {expected:?} in {lines:#?}"
        );
    }
    // HDUs after the removed one are not reported as moved.
    assert!(!lines.iter().any(|l| l.contains(": moved")), "{lines:#?}");
    assert!(stderr.contains("removed or changed"), "{stderr}");

    // An older release with MEAN_FLUX and SNR the other way round: both moved.
    let mean = yaml.find("          \"MEAN_FLUX\":").unwrap();
    let snr = yaml.find("          \"SNR\":").unwrap();
    let version = yaml.find("          \"ASTRA_VERSION_MAJOR\":").unwrap();
    let swapped = format!(
        "{}{}{}{}",
        &yaml[..mean],
        &yaml[snr..version],
        &yaml[mean..snr],
        &yaml[version..]
    );
    std::fs::write(d.join("swapped.yaml"), &swapped).unwrap();
    let (success, lines, _) = diff(d, "swapped.yaml");
    assert!(!success);
    assert_eq!(
        lines,
        [
            "changed  MeanFlux HDU RESULTS column SNR: moved from position 1 to 2",
            "changed  MeanFlux HDU RESULTS column MEAN_FLUX: moved from position 2 to 1",
        ]
    );

    // A folder with a product no task writes any more: removed.
    std::fs::create_dir(d.join("folder")).unwrap();
    std::fs::write(
        d.join("folder/Gone.yaml"),
        yaml.replace("name: \"MeanFlux\"", "name: \"Gone\""),
    )
    .unwrap();
    let (success, lines, _) = diff(d, "folder");
    assert!(!success);
    assert!(
        lines.contains(&"removed  Gone: product removed (no linked task writes it)".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"added    MeanFlux: product added".to_string()),
        "{lines:#?}"
    );

    // Not a datamodel: one sentence naming the file.
    std::fs::write(d.join("bad.yaml"), "general:\n  short: \"x\"\n").unwrap();
    let out = astra(d, &url, &["docs", "--diff", "bad.yaml"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: \"bad.yaml\" is not a datamodel YAML file") && err.contains("general.name"),
        "{err}"
    );
}

#[test]
fn committed_thecannon_markdown_is_what_the_program_generates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = format!("sqlite://{}", d.join("astra.db").display());
    ok(&astra(d, &url, &["docs", "--out", "docs", "--format", "md"]));
    let generated = std::fs::read_to_string(d.join("docs/TheCannon.md")).unwrap();
    let committed_path = workspace_root().join("docs/thecannon/TheCannon.md");
    if std::env::var_os("ASTRA_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(committed_path.parent().unwrap()).unwrap();
        std::fs::write(&committed_path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path)
        .unwrap_or_else(|e| panic!("{}: {e} (ASTRA_BLESS=1 writes it)", committed_path.display()));
    assert!(
        committed == generated,
        "{} differs from what `astra docs` generates today; rerun this test with ASTRA_BLESS=1 to update it",
        committed_path.display()
    );
}

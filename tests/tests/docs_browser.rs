//! The generated HTML page in a real browser: Debian's `chromium`, headless (installed by
//! scripts/test.sh), on the page opened from `file://` with no server and no network.
//!
//! - `--screenshot` renders the page (`ASTRA_BLESS=1` keeps the picture as
//!   docs/astra-docs.png, the README's);
//! - `--dump-dom` gives the page after its script ran: every task linked into the program
//!   has its section and index entry, all shown;
//! - the filter: headless Chromium has no keyboard, so the test types through the page's
//!   own way in, the address fragment `#filter=TEXT`: the script types it into the filter
//!   box one character at a time, each followed by the `input` event a key press fires,
//!   so only the box's own event handler narrows the page; the test checks in the dumped
//!   DOM that only the matching sections and index entries are left visible.

use std::path::Path;
use std::process::{Command, Output};

use astra_targets_tests::workspace_root;

const BIN: &str = env!("CARGO_BIN_EXE_astra-test");

fn chromium(profile: &Path, args: &[&str]) -> Output {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running chromium (Debian package chromium; scripts/test.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "chromium {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The families of the linked tasks, as `astra-test tasks` lists them.
fn families(dir: &Path) -> Vec<String> {
    let out = Command::new(BIN).current_dir(dir).arg("tasks").output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// Each section's opening tag in the dumped DOM, by family: whether it is hidden.
fn section_hidden(dom: &str, family: &str) -> bool {
    let start = dom
        .find(&format!("<section class=\"task\" id=\"task-{family}\""))
        .unwrap_or_else(|| panic!("no section for {family} in the page"));
    let tag = &dom[start..start + dom[start..].find('>').unwrap()];
    tag.contains(" hidden")
}

fn toc_hidden(dom: &str, family: &str) -> bool {
    let start = dom
        .find(&format!("<li id=\"toc-task-{family}\""))
        .unwrap_or_else(|| panic!("no index entry for {family} in the page"));
    let tag = &dom[start..start + dom[start..].find('>').unwrap()];
    tag.contains(" hidden")
}

#[test]
fn the_html_page_works_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = Command::new(BIN)
        .current_dir(d)
        .args(["docs", "--out", "docs", "--format", "html"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = d.join("docs/index.html");
    let url = format!("file://{}", page.display());
    let profile = d.join("profile");
    let families = families(d);
    assert!(families.len() >= 4, "{families:?}");

    // A screenshot of the page filtered on "cannon": a PNG of the requested size.
    let shot = d.join("shot.png");
    chromium(
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,900",
            &format!("{url}#filter=cannon"),
        ],
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (width, height) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((width, height), (1200, 900));
    assert!(png.len() > 20_000, "a blank page? {} bytes", png.len());
    if std::env::var_os("ASTRA_BLESS").is_some_and(|v| v == "1") {
        std::fs::copy(&shot, workspace_root().join("docs/astra-docs.png")).unwrap();
    }

    // Unfiltered: every task there and shown.
    let dom = String::from_utf8(chromium(&profile, &["--dump-dom", &url]).stdout).unwrap();
    for f in &families {
        assert!(
            !section_hidden(&dom, f) && !toc_hidden(&dom, f),
            "{f} is hidden without a filter"
        );
    }
    assert!(
        dom.contains(&format!("<span id=\"count\">{} shown</span>", families.len())),
        "{dom}"
    );

    // Filtered: "cannon" leaves TheCannon only; "mean_flux" (a table name) MeanFlux only;
    // a text nothing matches hides every task.
    for (filter, visible) in [
        ("cannon", vec!["TheCannon"]),
        ("mean_flux", vec!["MeanFlux"]),
        ("zzz-nothing", vec![]),
    ] {
        let dom =
            String::from_utf8(chromium(&profile, &["--dump-dom", &format!("{url}#filter={filter}")]).stdout).unwrap();
        assert!(
            dom.contains(&format!("<span id=\"count\">{} shown</span>", visible.len())),
            "{filter}"
        );
        for f in &families {
            let shown = visible.contains(&f.as_str());
            assert_eq!(!section_hidden(&dom, f), shown, "filter {filter:?}: section {f}");
            assert_eq!(!toc_hidden(&dom, f), shown, "filter {filter:?}: index entry {f}");
        }
    }
}

//! Expansion snapshots: what each declaration in `tests/expand/*.rs` generates, kept in
//! `tests/expand/*.expanded.rs` so that a reader sees the code a derive writes and a
//! change to it shows in review.
//!
//! Each `tests/expand/NAME.rs` holds one declaration; its `#[derive(...)]` names the
//! derive to run. The expansion is formatted by `rustfmt` (the toolchain's, no nightly
//! needed) and compared with `NAME.expanded.rs`; a difference fails with both texts.
//! `ASTRA_BLESS=1 cargo test -p astra-targets-derive snapshots` writes the files anew.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use proc_macro2::TokenStream;
use syn::DeriveInput;

fn expand(input: &DeriveInput) -> TokenStream {
    let derives: Vec<String> = input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .map(|a| quote::ToTokens::to_token_stream(&a.meta).to_string())
        .collect();
    let derive = derives.join(" ");
    if derive.contains("AstraTask") {
        crate::expand::task(input)
    } else if derive.contains("AstraResults") {
        crate::expand::results(input)
    } else if derive.contains("AstraParamEnum") {
        crate::expand::param_enum(input)
    } else {
        panic!("{}: no astra derive in {derive:?}", input.ident)
    }
}

fn rustfmt(code: &str) -> String {
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running rustfmt (install it with `rustup component add rustfmt`)");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), code.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "rustfmt refused the expansion:\n{}\n{code}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && !p.to_string_lossy().ends_with(".expanded.rs"))
        .collect();
    files.sort();
    files
}

#[test]
fn expansions_match_the_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let bless = std::env::var_os("ASTRA_BLESS").is_some_and(|v| v == "1");
    let files = inputs(&dir);
    assert!(files.len() >= 3, "no declarations in {dir:?}");
    let mut differ = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let input: DeriveInput = syn::parse_str(&text).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let header = format!(
            "// The expansion of tests/expand/{name}.rs, written by src/snapshots.rs \
             (ASTRA_BLESS=1 cargo test -p astra-targets-derive snapshots).\n"
        );
        let got = rustfmt(&format!("{header}{}", expand(&input)));
        let snapshot = dir.join(format!("{name}.expanded.rs"));
        if bless {
            std::fs::write(&snapshot, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if got != want {
            let first = got
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
            differ.push(format!(
                "{snapshot:?} differs from the expansion from line {}:\n--- snapshot\n{}\n+++ expansion\n{}",
                first + 1,
                want.lines().skip(first).take(8).collect::<Vec<_>>().join("\n"),
                got.lines().skip(first).take(8).collect::<Vec<_>>().join("\n"),
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{}\n(if the change is intended: ASTRA_BLESS=1 cargo test -p astra-targets-derive snapshots)",
        differ.join("\n\n")
    );
}

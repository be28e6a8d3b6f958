//! The runtime crate's modules import one way.
//!
//! Every `crate::...`, `super::...` and `self::...` path in `astra-targets/src` is read
//! (comments and string literals left out) and resolved to the module it names. Two
//! checks follow:
//!
//! - top-level modules: each import goes to a module of the same or a lower layer, with
//!   the layers declared below, lowest first;
//! - among the top-level modules, and inside every module folder (`db/`, `fits/`, ...)
//!   among its files: the imports form no circle.
//!
//! The test prints the top-level graph, the source of the README's drawing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use astra_targets_tests::workspace_root;

/// The top-level modules by layer, lowest first. A module imports only from its own layer
/// (without a circle: the other test) and the layers below. `lib.rs` (re-exports) and
/// `__private` (the derives' support, which may reach every layer) are outside the
/// layering.
const LAYERS: &[&[&str]] = &[
    &["error", "float", "civil", "value", "template"],
    &["param", "column"],
    &["meta"],
    &["identity", "path"],
    &["task"],
    &["registry"],
    &["fs", "fits"],
    &["spectrum"],
    &["source", "db"],
    &["plugin", "docs"],
    &["run"],
    &["cli"],
];

const OUTSIDE: &[&str] = &["lib", "private", "bin"];

fn src() -> PathBuf {
    workspace_root().join("astra-targets/src")
}

/// The module path of a source file: `db/sqlite/bulk.rs` -> ["db", "sqlite", "bulk"],
/// `db/mod.rs` -> ["db"].
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {dir:?}: {e}")) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file with comments, string and char literals blanked out.
fn code_only(text: &str) -> String {
    let bytes: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < bytes.len() && bytes[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < bytes.len() {
                if bytes[i] == '/' && bytes.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if bytes[i] == '*' && bytes.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !ident_char(bytes.get(i.wrapping_sub(1)).copied())
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while bytes.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if bytes.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= bytes.len() {
                    break;
                }
                if bytes[j] == '"' && (0..hashes).all(|k| bytes.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < bytes.len() && bytes[i] != '"' {
                if bytes[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && bytes.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            // An escaped char literal: skip to its closing quote.
            let mut j = i + 2;
            while j < bytes.len() && bytes[j] != '\'' {
                j += 1;
            }
            out.push_str("' '");
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Every path that starts at `crate`, `super` or `self`, as segments (groups `{a, b::c}`
/// expanded to one path per item), with the file's module as the starting point.
fn imported_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if ident_char(chars.get(i.wrapping_sub(1)).copied()) || chars.get(i.wrapping_sub(1)) == Some(&'$') {
            i += 1;
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 7)].iter().collect();
        let start = if rest.starts_with("crate::") {
            Some((Vec::new(), 7))
        } else if rest.starts_with("super::") || rest.starts_with("self::") {
            Some((module.to_vec(), 0))
        } else {
            None
        };
        let Some((base, skip)) = start else {
            i += 1;
            continue;
        };
        let (paths, end) = parse_tree(&chars, i + skip, base);
        out.extend(paths);
        i = end.max(i + 1);
    }
    out
}

/// Parses a use tree (or a plain path) at `i`: segments joined by `::`, `super`/`self`
/// applied to `base`, a final `{...}` group expanded.
fn parse_tree(chars: &[char], mut i: usize, mut base: Vec<String>) -> (Vec<Vec<String>>, usize) {
    loop {
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        if chars.get(i) == Some(&'{') {
            let mut paths = Vec::new();
            i += 1;
            loop {
                while chars.get(i).is_some_and(|c| c.is_whitespace() || *c == ',') {
                    i += 1;
                }
                match chars.get(i) {
                    None => return (paths, i),
                    Some('}') => return (paths, i + 1),
                    _ => {}
                }
                let (inner, end) = parse_tree(chars, i, base.clone());
                paths.extend(inner);
                // Skip `as name` and anything else up to the next item.
                i = end;
                while chars.get(i).is_some_and(|c| *c != ',' && *c != '}') {
                    i += 1;
                }
            }
        }
        let start = i;
        while ident_char(chars.get(i).copied()) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        match word.as_str() {
            "" | "*" => return (vec![base], i.max(start)),
            "super" => {
                base.pop();
            }
            "self" => {}
            _ => base.push(word),
        }
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            return (vec![base], i);
        }
    }
}

struct Graph {
    /// module path -> the module paths it imports from.
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
}

fn graph() -> Graph {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let known: BTreeSet<Vec<String>> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(&root).unwrap()))
        .collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let module = module_of(file.strip_prefix(&root).unwrap());
        if module.first().is_some_and(|m| m == "bin") {
            continue;
        }
        let text = fs::read_to_string(file).unwrap();
        let code = code_only(&text);
        let targets = edges.entry(module.clone()).or_default();
        for path in imported_paths(&code, &module) {
            // The longest known module that prefixes the path (items inside a file are
            // dropped: `crate::db::values::ident` -> db/values).
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| known.contains(p));
            if let Some(target) = target
                && target != module
            {
                targets.insert(target);
            }
        }
    }
    Graph { edges }
}

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&top))
}

#[test]
fn top_level_modules_import_only_lower_layers() {
    let graph = graph();
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for (from, targets) in &graph.edges {
        let from_top = from.first().cloned().unwrap_or_else(|| "lib".into());
        if OUTSIDE.contains(&from_top.as_str()) {
            continue;
        }
        let Some(from_layer) = layer_of(&from_top) else {
            wrong.push(format!("module `{from_top}` is in no layer: add it to LAYERS"));
            continue;
        };
        for to in targets {
            let Some(to_top) = to.first() else { continue };
            if *to_top == from_top {
                continue;
            }
            top.entry(from_top.clone()).or_default().insert(to_top.clone());
            match layer_of(to_top) {
                Some(to_layer) if to_layer <= from_layer => {}
                _ => wrong.push(format!(
                    "{} imports {} (layer {} -> {:?})",
                    from.join("::"),
                    to.join("::"),
                    from_layer,
                    layer_of(to_top)
                )),
            }
        }
    }
    println!("The module graph (module -> what it imports):");
    for (from, to) in &top {
        println!("  {from} -> {}", to.iter().cloned().collect::<Vec<_>>().join(", "));
    }
    assert!(
        wrong.is_empty(),
        "upward or unlayered imports:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn no_circle_inside_any_module() {
    let graph = graph();
    // Edges between files of one folder, at the folder's level of nesting.
    let mut circles = Vec::new();
    let folders: BTreeSet<Vec<String>> = graph
        .edges
        .keys()
        .filter(|m| m.len() > 1)
        .map(|m| m[..m.len() - 1].to_vec())
        .collect();
    for folder in folders.iter().chain(std::iter::once(&Vec::new())) {
        let child = |m: &Vec<String>| -> Option<String> {
            (m.len() > folder.len() && m.starts_with(folder)).then(|| m[folder.len()].clone())
        };
        let mut local: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, targets) in &graph.edges {
            let Some(a) = child(from) else { continue };
            if folder.is_empty() && OUTSIDE.contains(&a.as_str()) {
                continue;
            }
            for to in targets {
                if let Some(b) = child(to)
                    && a != b
                {
                    local.entry(a.clone()).or_default().insert(b);
                }
            }
        }
        if let Some(circle) = find_circle(&local) {
            circles.push(format!("in {}/: {}", folder.join("/"), circle.join(" -> ")));
        }
    }
    assert!(circles.is_empty(), "import circles:\n  {}", circles.join("\n  "));
}

fn find_circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(c) = visit(node, edges, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_reader_sees_through_groups_and_comments() {
    let module = vec!["db".to_string(), "sqlite".to_string(), "bulk".to_string()];
    let code = code_only(
        "use crate::{fits::card::{Card, CardValue}, value};\n\
         // use crate::docs;\n\
         let s = \"crate::source\";\n\
         use super::super::values::ident;\n\
         fn f() { crate::path::parse(x) }\n",
    );
    let paths: BTreeSet<String> = imported_paths(&code, &module).iter().map(|p| p.join("::")).collect();
    let expected: BTreeSet<String> = [
        "fits::card::Card",
        "fits::card::CardValue",
        "value",
        "db::values::ident",
        "path::parse",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(paths, expected);
}

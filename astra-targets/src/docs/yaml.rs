//! YAML in the shape of SDSS's datamodel product for a FITS product: `general`,
//! `changelog` and `releases`, the release holding the path template, an example, and the
//! HDUs in order (`hdu0`, `hdu1`, ...) with their header cards (`key`, `value`,
//! `comment`) and their columns (`name`, `type`, `unit`, `description`, plus `tform`,
//! `tdim`, `tnull`). One file per file-writing task.
//!
//! The writer emits block style only, strings double-quoted; [`parse`] reads that subset
//! back (for `astra docs --diff`).

use std::fmt::Write;

use super::model::{CardValueDoc, OUTPUT_ENV, TaskDoc, bits_in_order};

/// A string as a double-quoted YAML scalar.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".into(), quote)
}

/// The file name of a task's YAML.
pub fn file_name(doc: &TaskDoc) -> String {
    format!("{}.yaml", doc.meta.family)
}

/// The datamodel of a file-writing task's product; `None` for a task writing no files.
pub fn datamodel(d: &TaskDoc) -> Option<String> {
    let product = d.product.as_ref()?;
    let m = d.meta;
    let release = crate::ASTRA_VERSION;
    let mut o = String::new();
    o.push_str("general:\n");
    let _ = writeln!(o, "  name: {}", quote(m.family));
    let _ = writeln!(
        o,
        "  short: {}",
        quote(&format!("astraSource file of task {}", m.family))
    );
    let _ = writeln!(o, "  description: {}", quote(m.description));
    o.push_str("  datatype: \"FITS\"\n  filesize: null\n  releases:\n");
    let _ = writeln!(o, "    - {}", quote(release));
    let _ = writeln!(o, "  environments:\n    - {}", quote(OUTPUT_ENV));
    let _ = writeln!(o, "  naming_convention: {}", quote(product.template));
    let _ = writeln!(
        o,
        "  generated_by: {}",
        quote(&format!("astra docs (astra-targets {release})"))
    );
    let _ = writeln!(o, "  task_version: {}", quote(m.version));
    let _ = writeln!(o, "  plugin: {}", opt(d.plugin.map(|p| p.name)));
    let _ = writeln!(o, "  plugin_version: {}", opt(d.plugin.map(|p| p.version)));
    o.push_str("changelog:\n  description: \"Changes are listed by astra docs --diff\"\n");
    o.push_str("releases:\n");
    let _ = writeln!(o, "  {}:", quote(release));
    let _ = writeln!(
        o,
        "    template: {}",
        quote(&format!("${OUTPUT_ENV}/{}", product.template))
    );
    let example = d.example.path.as_deref().unwrap_or_default();
    let _ = writeln!(o, "    example: {}", quote(&format!("${OUTPUT_ENV}/{example}")));
    let _ = writeln!(o, "    location: {}", quote(product.template));
    let _ = writeln!(o, "    environment: {}", quote(OUTPUT_ENV));
    o.push_str("    access:\n      in_sdss_access: false\n");
    o.push_str("    hdus:\n");
    for (i, h) in product.hdus.iter().enumerate() {
        let _ = writeln!(o, "      hdu{i}:");
        let _ = writeln!(o, "        name: {}", quote(h.name));
        let _ = writeln!(o, "        is_image: {}", h.is_image);
        let _ = writeln!(o, "        description: {}", quote(&h.description));
        let _ = writeln!(o, "        bunit: {}", opt(h.bunit));
        let _ = writeln!(o, "        shape: {}", quote(h.shape));
        let _ = writeln!(o, "        dtype: {}", quote(h.dtype));
        o.push_str("        header:\n");
        for c in &h.header {
            let value = match &c.value {
                CardValueDoc::Bool(b) => b.to_string(),
                CardValueDoc::Int(i) => i.to_string(),
                CardValueDoc::Str(s) => quote(s),
                CardValueDoc::Varies(_) => quote(&c.value.text()),
            };
            let _ = writeln!(o, "          - key: {}", quote(&c.key));
            let _ = writeln!(o, "            value: {value}");
            let _ = writeln!(o, "            comment: {}", quote(&c.comment));
        }
        if h.columns.is_empty() {
            continue;
        }
        o.push_str("        columns:\n");
        for c in &h.columns {
            let _ = writeln!(o, "          {}:", quote(&c.name));
            let _ = writeln!(o, "            name: {}", quote(&c.name));
            let _ = writeln!(o, "            type: {}", quote(c.dtype));
            let _ = writeln!(o, "            tform: {}", quote(&c.tform));
            let _ = writeln!(o, "            tdim: {}", opt(c.tdim.as_deref()));
            let _ = writeln!(
                o,
                "            tnull: {}",
                c.tnull.map_or("null".into(), |n| n.to_string())
            );
            let _ = writeln!(o, "            unit: {}", quote(c.unit));
            let _ = writeln!(o, "            description: {}", quote(c.description));
            if !c.flags.is_empty() {
                o.push_str("            flags:\n");
                for f in bits_in_order(c.flags) {
                    let _ = writeln!(o, "              - bit: {}", f.bit);
                    let _ = writeln!(o, "                name: {}", quote(f.name));
                    let _ = writeln!(o, "                description: {}", quote(f.description));
                }
            }
        }
    }
    Some(o)
}

/// A YAML value of the subset the writer emits.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    /// A scalar, as text (strings unquoted; `null`, `true`, numbers as written).
    Scalar(String),
    /// A mapping, in order.
    Map(Vec<(String, Yaml)>),
    /// A sequence.
    Seq(Vec<Yaml>),
}

impl Yaml {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar's text.
    pub fn text(&self) -> Option<&str> {
        match self {
            Yaml::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

/// Parses the block-style YAML the writer emits (mappings, sequences of scalars or of
/// mappings, double-quoted or plain scalars); an error names the line.
pub fn parse(text: &str) -> Result<Yaml, String> {
    let lines: Vec<Line<'_>> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| Line {
            number: i + 1,
            indent: l.len() - l.trim_start().len(),
            text: l.trim(),
        })
        .collect();
    let mut pos = 0;
    let value = block(&lines, &mut pos, 0)?;
    if let Some(l) = lines.get(pos) {
        return Err(format!("line {}: unexpected indentation", l.number));
    }
    Ok(value)
}

fn block(lines: &[Line<'_>], pos: &mut usize, indent: usize) -> Result<Yaml, String> {
    let Some(first) = lines.get(*pos) else {
        return Ok(Yaml::Scalar("null".into()));
    };
    if first.text.starts_with("- ") || first.text == "-" {
        let mut items = Vec::new();
        while let Some(l) = lines.get(*pos) {
            if l.indent != indent || !(l.text.starts_with("- ") || l.text == "-") {
                break;
            }
            let rest = l.text[1..].trim_start();
            if split_key(rest).is_some() {
                // A mapping item: its first entry on the dash's line, the rest below.
                let inner = indent + (l.text.len() - rest.len());
                let mut entries = Vec::new();
                entry(lines, pos, rest, l, inner, &mut entries)?;
                while let Some(next) = lines.get(*pos) {
                    if next.indent != inner {
                        break;
                    }
                    entry(lines, pos, next.text, next, inner, &mut entries)?;
                }
                items.push(Yaml::Map(entries));
            } else {
                items.push(Yaml::Scalar(scalar(rest, l.number)?));
                *pos += 1;
            }
        }
        return Ok(Yaml::Seq(items));
    }
    let mut entries = Vec::new();
    while let Some(l) = lines.get(*pos) {
        if l.indent < indent {
            break;
        }
        if l.indent > indent {
            return Err(format!("line {}: unexpected indentation", l.number));
        }
        entry(lines, pos, l.text, l, indent, &mut entries)?;
    }
    Ok(Yaml::Map(entries))
}

/// Reads one `key: value` (or `key:` and a nested block) at `pos`.
fn entry(
    lines: &[Line<'_>],
    pos: &mut usize,
    text: &str,
    line: &Line<'_>,
    indent: usize,
    entries: &mut Vec<(String, Yaml)>,
) -> Result<(), String> {
    let (key, rest) = split_key(text).ok_or_else(|| format!("line {}: expected `key: value`", line.number))?;
    let key = scalar(key, line.number)?;
    *pos += 1;
    let value = if rest.is_empty() {
        match lines.get(*pos) {
            Some(next) if next.indent > indent => {
                let i = next.indent;
                block(lines, pos, i)?
            }
            // A sequence may sit at its key's indentation.
            Some(next) if next.indent == indent && next.text.starts_with('-') => block(lines, pos, indent)?,
            _ => Yaml::Scalar("null".into()),
        }
    } else {
        Yaml::Scalar(scalar(rest, line.number)?)
    };
    entries.push((key, value));
    Ok(())
}

/// Splits `key: rest` (the key plain or double-quoted).
fn split_key(text: &str) -> Option<(&str, &str)> {
    let end = if text.starts_with('"') {
        let mut escaped = false;
        let mut close = None;
        for (i, c) in text.char_indices().skip(1) {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    close = Some(i + 1);
                    break;
                }
                _ => {}
            }
        }
        close?
    } else {
        text.find(':')?
    };
    let rest = text[end..].strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((&text[..end], rest.trim()))
}

/// A scalar's text: a double-quoted string unescaped, else as written.
fn scalar(text: &str, line: usize) -> Result<String, String> {
    let Some(inner) = text.strip_prefix('"') else {
        return Ok(text.to_string());
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or_else(|| format!("line {line}: unterminated string {text}"))?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let code = u32::from_str_radix(&hex, 16).map_err(|_| format!("line {line}: bad escape \\x{hex}"))?;
                out.push(char::from_u32(code).unwrap_or('?'));
            }
            Some(c) => out.push(c),
            None => return Err(format!("line {line}: string ends in a backslash")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_writes() {
        let text = "a:\n  b: \"x: \\\"y\\\"\"\n  list:\n    - \"one\"\n    - two\n  items:\n    - key: \"K\"\n      value: 3\n    - key: \"L\"\n      value: true\nc: null\n";
        let y = parse(text).unwrap();
        let a = y.get("a").unwrap();
        assert_eq!(a.get("b").unwrap().text(), Some("x: \"y\""));
        assert_eq!(
            a.get("list").unwrap(),
            &Yaml::Seq(vec![Yaml::Scalar("one".into()), Yaml::Scalar("two".into())])
        );
        let Yaml::Seq(items) = a.get("items").unwrap() else {
            panic!()
        };
        assert_eq!(items[1].get("value").unwrap().text(), Some("true"));
        assert_eq!(y.get("c").unwrap().text(), Some("null"));
        assert!(parse("a: 1\n   b: 2\n").is_err());
    }
}

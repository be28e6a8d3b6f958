//! Names that go into SQL and FITS: checked here so that they are safe to put in SQL text.

/// SQL words that cannot name a table or a column without quoting, on SQLite or
/// PostgreSQL.
const RESERVED: &[&str] = &[
    "abort",
    "all",
    "alter",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "between",
    "both",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "cross",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "delete",
    "desc",
    "distinct",
    "do",
    "drop",
    "else",
    "end",
    "except",
    "exists",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "in",
    "index",
    "initially",
    "inner",
    "insert",
    "intersect",
    "into",
    "is",
    "join",
    "key",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "set",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "values",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// Names the framework itself uses in every result table.
pub const FRAMEWORK_COLUMNS: &[&str] = &["output_pk", "row_index"];

/// Why `name` cannot be a SQL identifier (table or column) and FITS name stem, if it
/// cannot.
pub fn sql_identifier_problem(name: &str) -> Option<String> {
    let valid_chars = name
        .bytes()
        .enumerate()
        .all(|(i, b)| b == b'_' || b.is_ascii_lowercase() || (i > 0 && b.is_ascii_digit()));
    if name.is_empty() {
        Some("an empty name is not a valid SQL identifier".into())
    } else if !valid_chars {
        Some(format!(
            "`{name}` is not a valid SQL identifier: use lower-case ASCII letters, digits and `_`, not starting with a digit"
        ))
    } else if name.len() > 63 {
        Some(format!(
            "`{name}` is {} characters long; SQL identifiers are at most 63",
            name.len()
        ))
    } else if RESERVED.contains(&name) {
        Some(format!("`{name}` is a reserved SQL word; choose another name"))
    } else {
        None
    }
}

/// The snake case of a CamelCase name, for default table names.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_ascii_uppercase())) && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(*c);
        } else {
            out.push('_');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake_case("ThePayne"), "the_payne");
        assert_eq!(snake_case("APOGEENet"), "apogee_net");
        assert_eq!(snake_case("FerreV2"), "ferre_v2");
        assert!(sql_identifier_problem("teff").is_none());
        assert!(sql_identifier_problem("order").is_some());
        assert!(sql_identifier_problem("Teff").is_some());
        assert!(sql_identifier_problem("1x").is_some());
    }
}

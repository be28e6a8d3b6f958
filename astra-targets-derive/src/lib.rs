//! `#[derive(AstraTask)]`, `#[derive(AstraResults)]` and `#[derive(AstraParamEnum)]`: the declarations from which
//! astra-targets builds a task's identity, output path, database table, FITS RESULTS
//! table and documentation.
//!
//! Each derive parses its input into a typed model (`ast`, from the attributes read by
//! `attr`), validates it (`valid`) and generates code (`expand`). Every error is
//! collected and reported together, each spanned at what caused it; on error the derive
//! still emits a placeholder implementation (`fallback`) so that one mistake gives one
//! message. Generated items sit in `const _: () = { ... };` blocks, their impls marked
//! `#[automatically_derived]`.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod ident;
#[cfg(test)]
mod snapshots;
mod template;
mod ty;
mod unit;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Declares a task: its parameters (the fields), identity, output path rule and results.
///
/// Struct attributes, in `#[astra(...)]`: `family = "..."` (default: the struct name),
/// `namespace = "..."` (default: the family in lower case), `version = "..."` (default:
/// the crate's version), `path = "..."` (the astraSource path template), `results = Type`
/// (the `#[derive(AstraResults)]` row struct; default none), `table = "..."` (the result
/// table; default: the family in snake case). Field attributes: `insignificant` (not part
/// of the task id), `default` (may be absent when the task is rebuilt from a path),
/// `enum` (an enum parameter, whose type derives `AstraParamEnum`).
///
/// A path template must hold every significant parameter as it is, or `{task_id}` or
/// `{task_short_id}`: else two tasks would share one file.
#[proc_macro_derive(AstraTask, attributes(astra))]
pub fn derive_task(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::task(&input).into()
}

/// Declares a result row: one analysed spectrum's results, one column per field.
///
/// Field attributes, in `#[astra(...)]`: `unit = "..."` (a FITS unit), `width = N` (the
/// FITS width of a `String` column, required for strings), `name = "..."` (the column
/// name, default the field name), `flags(NAME = (BIT, "description"), ...)` (the named
/// bits of a bitmask column). The field's doc comment is the column's description
/// (required, at most 68 printable ASCII characters).
///
/// A bitmask column is an integer column (`u8`, `i16`, `i32`, `i64`, or an `Option` of
/// one) whose bits are named once here: each name is 1 to 18 upper-case letters, digits
/// and `_` (starting with a letter), each bit number fits the type (0 to 63 for `i64`),
/// names and numbers are distinct, and each description is at most 47 printable ASCII
/// characters (the comment of the bit's FITS card). The derive adds to the struct one
/// associated constant per bit, `{COLUMN}_{NAME}` of the column's type, holding its mask
/// (`1 << BIT`); the bits reach `ColumnMeta::flags`, the database's `astra_flag` table,
/// the RESULTS header of the astraSource file and the docs.
#[proc_macro_derive(AstraResults, attributes(astra))]
pub fn derive_results(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::results(&input).into()
}

/// Declares an enum whose variants are the values of a task parameter marked
/// `#[astra(enum)]`: implements `astra_targets::ParamEnum`.
///
/// Every variant must be a unit variant (a parameter's value is a name only). A variant's
/// name is its serde string: when the enum derives serde's traits, name it with serde's
/// own `#[serde(rename_all = "...")]` on the enum (serde's rules: `lowercase`,
/// `UPPERCASE`, `PascalCase`, `camelCase`, `snake_case`, `SCREAMING_SNAKE_CASE`,
/// `kebab-case`, `SCREAMING-KEBAB-CASE`) and `#[serde(rename = "...")]` on a variant, and
/// the derive names the variants exactly as serde does. A name must read back as the same
/// variant, so differing `serialize`/`deserialize` names are refused, as are serde
/// attributes that write a variant as something other than its name (`tag`, `content`,
/// `untagged`, `into`, `from`, `try_from` on the enum; `untagged`, `other`, `skip*`,
/// `*with` on a variant).
///
/// An enum without serde naming is named by its identifiers, by `#[astra(rename = "...")]`
/// on a variant, or by the enum's `#[astra(rename_all = "...")]` (`lowercase`,
/// `UPPERCASE`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`). An enum named both
/// ways is refused.
#[proc_macro_derive(AstraParamEnum, attributes(astra))]
pub fn derive_param_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::param_enum(&input).into()
}

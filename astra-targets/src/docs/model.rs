//! The documentation of one task, as data: built from the task's metadata, its plugin's
//! registration and the writers' own constants (the astraSource layout, the tables'
//! columns, the database's key columns and SQL types), then rendered by the formats.

use crate::Result;
use crate::column::{ColumnMeta, FlagBit, ScalarType, SqlDialect};
use crate::db::RESULT_KEY_COLUMNS;
use crate::fits::CardValue;
use crate::identity;
use crate::meta::{Params, TaskMeta};
use crate::param::{ParamKind, ParamValue};
use crate::plugin::{Outputs, PluginDescriptor};
use crate::source::layout::{FLUX_UNIT, HDUS, PROVENANCE_CARDS, RESULTS, TASK_PARAMETERS, WCS_CARDS};
use crate::source::tables::{TASK_PARAMETER_COLUMNS, VERSION_DESCRIPTIONS, integer_null, results_flag_cards};
use crate::value::Value;

/// The environment variable of the output root, the `$` prefix of documented paths.
pub const OUTPUT_ENV: &str = "ASTRA_OUTPUT_DIR";

/// The documentation of one task (and its plugin, if one is linked).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskDoc {
    /// The task's metadata.
    pub meta: &'static TaskMeta,
    /// The plugin running the task, if one is linked.
    pub plugin: Option<&'static PluginDescriptor>,
    /// The worked example of the task id and path.
    pub example: Example,
    /// The database table of the task's results.
    pub table: TableDoc,
    /// The astraSource product, for a task that writes files.
    pub product: Option<ProductDoc>,
}

/// The task id and path of a task with example parameter values.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Example {
    /// Each parameter's name and example value (Python's `str()` form), in declaration
    /// order.
    pub values: Vec<(&'static str, String)>,
    /// The JSON text that is hashed.
    pub json: String,
    /// The full MD5 of `json`.
    pub param_hash: String,
    /// The task id.
    pub task_id: String,
    /// The short id of file names.
    pub task_short_id: String,
    /// The astraSource path relative to the output root, for a task with a path rule.
    pub path: Option<String>,
}

/// A database table.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TableDoc {
    /// The table's name.
    pub name: &'static str,
    /// Its columns, in order.
    pub columns: Vec<DbColumn>,
}

/// A column of a database table.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DbColumn {
    /// The column name.
    pub name: &'static str,
    /// The declared Rust type.
    pub rust_type: String,
    /// The SQL type on SQLite.
    pub sqlite: &'static str,
    /// The SQL type on PostgreSQL.
    pub postgres: &'static str,
    /// Whether the column may hold NULL.
    pub nullable: bool,
    /// The unit (empty for none).
    pub unit: &'static str,
    /// The description.
    pub description: &'static str,
    /// The named bits of a bitmask column (also in the table `astra_flag`); empty for
    /// other columns.
    pub flags: &'static [FlagBit],
}

/// The astraSource FITS product of a task.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProductDoc {
    /// The path rule, relative to the output root.
    pub template: &'static str,
    /// The HDUs, in file order.
    pub hdus: Vec<HduDoc>,
}

/// One HDU of the product.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HduDoc {
    /// The `EXTNAME` (`PRIMARY` for HDU 0).
    pub name: &'static str,
    /// Whether it is an image HDU (the primary HDU too).
    pub is_image: bool,
    /// What it holds.
    pub description: String,
    /// The `BUNIT` of an image HDU.
    pub bunit: Option<&'static str>,
    /// The shape of the data (`(N, P)`: N spectra of P pixels), `none` or `table`.
    pub shape: &'static str,
    /// The pixel type of an image (`float32`, ...), or `table`.
    pub dtype: &'static str,
    /// The header cards the writer sets, in order (table column cards excepted).
    pub header: Vec<CardDoc>,
    /// The columns of a table HDU, in order.
    pub columns: Vec<FitsColumn>,
}

/// One header card.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CardDoc {
    /// The key.
    pub key: String,
    /// The value.
    pub value: CardValueDoc,
    /// The comment the writer sets (empty when cfitsio sets its own).
    pub comment: String,
}

/// The value of a documented header card.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CardValueDoc {
    /// A logical value.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A value that varies from file to file, described in braces (`{N}`).
    Varies(String),
}

impl CardValueDoc {
    /// The value as text: `T`/`F`, digits, the string, or the braced description.
    pub fn text(&self) -> String {
        match self {
            CardValueDoc::Bool(true) => "T".into(),
            CardValueDoc::Bool(false) => "F".into(),
            CardValueDoc::Int(i) => i.to_string(),
            CardValueDoc::Str(s) => s.clone(),
            CardValueDoc::Varies(what) => format!("{{{what}}}"),
        }
    }
}

/// One column of a FITS binary table.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FitsColumn {
    /// `TTYPEn`.
    pub name: String,
    /// `TFORMn`; `{w}A` for text whose width is that of the longest value written.
    pub tform: String,
    /// `TDIMn` of a matrix column.
    pub tdim: Option<String>,
    /// `TUNITn` (empty for none).
    pub unit: &'static str,
    /// `TNULLn` of a nullable integer column.
    pub tnull: Option<i64>,
    /// The element type (`float32`, `int64`, `char`, ...).
    pub dtype: &'static str,
    /// `TCOMMn` (and the `TTYPEn` comment).
    pub description: &'static str,
    /// The named bits of a bitmask column, each named in a card of the table's header;
    /// empty for other columns.
    pub flags: &'static [FlagBit],
}

/// The documentation of every task linked into the program, by family, each with its
/// plugin if one is linked.
pub fn all() -> Result<Vec<TaskDoc>> {
    let plugins = crate::plugin::plugins()?;
    crate::registry::tasks()?
        .into_iter()
        .map(|meta| {
            let plugin = plugins.iter().copied().find(|p| std::ptr::eq(p.task, meta));
            task_doc(meta, plugin)
        })
        .collect()
}

/// The documentation of one task, run by `plugin` (if any).
pub fn task_doc(meta: &'static TaskMeta, plugin: Option<&'static PluginDescriptor>) -> Result<TaskDoc> {
    let params = example_params(meta)?;
    let ids = identity::ids(&params);
    let path = match meta.path {
        Some(_) => Some(crate::path::relative_path(&params)?.to_string_lossy().into_owned()),
        None => None,
    };
    let example = Example {
        values: params.iter().map(|(p, v)| (p.name, v.python_str())).collect(),
        json: identity::param_json(&params),
        param_hash: ids.param_hash,
        task_id: ids.task_id,
        task_short_id: ids.task_short_id,
        path,
    };
    let writes_file = match plugin {
        Some(p) => p.outputs.writes_file(),
        None => meta.path.is_some(),
    };
    let product = match meta.path {
        Some(template) if writes_file => Some(product(meta, plugin, &params, template.text)),
        _ => None,
    };
    Ok(TaskDoc {
        meta,
        plugin,
        example,
        table: table(meta),
        product,
    })
}

/// An example value of each parameter, by kind: integers 1234, floats 0.5, `True`,
/// strings `example_{name}`, enums the enum's type name.
pub fn example_value(name: &str, kind: ParamKind, rust_type: &str) -> ParamValue {
    match kind {
        ParamKind::Str => ParamValue::Str(format!("example_{name}")),
        ParamKind::Int => ParamValue::Int(1234),
        ParamKind::UInt => ParamValue::UInt(1234),
        ParamKind::F64 => ParamValue::F64(0.5),
        ParamKind::F32 => ParamValue::F32(0.5),
        ParamKind::Bool => ParamValue::Bool(true),
        ParamKind::Enum => ParamValue::Enum(rust_type.rsplit("::").next().unwrap_or(rust_type).to_string()),
    }
}

/// The task's parameters with [`example_value`]s.
pub fn example_params(meta: &'static TaskMeta) -> Result<Params> {
    let values = meta
        .parameters
        .iter()
        .map(|p| example_value(p.name, p.kind, p.rust_type))
        .collect();
    Params::new(meta, values)
}

fn table(meta: &'static TaskMeta) -> TableDoc {
    let mut columns: Vec<DbColumn> = RESULT_KEY_COLUMNS
        .iter()
        .map(|&(name, ty, rust_type, description)| DbColumn {
            name,
            rust_type: rust_type.to_string(),
            sqlite: ty,
            postgres: ty,
            nullable: false,
            unit: "",
            description,
            flags: &[],
        })
        .collect();
    columns.extend(meta.results.iter().map(|c| DbColumn {
        name: c.name,
        rust_type: c.rust_type(),
        sqlite: c.sql_type(SqlDialect::Sqlite),
        postgres: c.sql_type(SqlDialect::Postgres),
        nullable: c.nullable,
        unit: c.unit,
        description: c.description,
        flags: c.flags,
    }));
    TableDoc {
        name: meta.table,
        columns,
    }
}

fn varies(what: &str) -> CardValueDoc {
    CardValueDoc::Varies(what.to_string())
}

fn card(key: &str, value: CardValueDoc, comment: &str) -> CardDoc {
    CardDoc {
        key: key.to_string(),
        value,
        comment: comment.to_string(),
    }
}

fn checksum_cards() -> [CardDoc; 2] {
    [
        card("CHECKSUM", varies("HDU checksum"), ""),
        card("DATASUM", varies("data unit checksum"), ""),
    ]
}

fn product(
    meta: &'static TaskMeta,
    plugin: Option<&'static PluginDescriptor>,
    params: &Params,
    template: &'static str,
) -> ProductDoc {
    let filled = |name: &str| match plugin.map(|p| p.outputs) {
        Some(Outputs::RowsAndFile { images }) => {
            matches!(name, "NORMALIZED_FLUX" | "NORMALIZED_IVAR" | "BITMASK")
                || images.iter().any(|i| i.extname() == name)
        }
        _ => true,
    };
    let ids = identity::ids(params);
    let mut hdus = Vec::with_capacity(HDUS.len());
    for (i, spec) in HDUS.iter().enumerate() {
        let hdu = match i {
            0 => {
                let mut header = vec![
                    card("SIMPLE", CardValueDoc::Bool(true), ""),
                    card("BITPIX", CardValueDoc::Int(8), ""),
                    card("NAXIS", CardValueDoc::Int(0), ""),
                    card("EXTEND", CardValueDoc::Bool(true), ""),
                ];
                for (key, comment) in PROVENANCE_CARDS {
                    let value = match key {
                        "ASTRA" => CardValueDoc::Str(crate::ASTRA_VERSION.into()),
                        "TASK_ID" => varies(&format!("task id, e.g. {}", ids.task_id)),
                        "CREATED" => varies("UTC time, e.g. 2026-11-24T08:18:12.123"),
                        "PLUGIN" => CardValueDoc::Str(plugin.map_or(meta.family, |p| p.name).into()),
                        "PLUGVER" => CardValueDoc::Str(plugin.map_or(meta.version, |p| p.version).into()),
                        _ => varies(&format!("MD5, e.g. {}", ids.param_hash)),
                    };
                    header.push(card(key, value, comment));
                }
                for (j, h) in HDUS.iter().enumerate().skip(1) {
                    header.push(card(
                        "HISTORY",
                        varies(&format!("HDU {j} {}: {}, shape and type", h.name, h.meaning)),
                        "",
                    ));
                }
                header.extend(checksum_cards());
                HduDoc {
                    name: spec.name,
                    is_image: true,
                    description: format!(
                        "{}: the input file's primary header cards (without HISTORY, structural, \
                         checksum and provenance cards), then the provenance cards below",
                        spec.meaning
                    ),
                    bunit: None,
                    shape: "none",
                    dtype: "none",
                    header,
                    columns: Vec::new(),
                }
            }
            TASK_PARAMETERS | RESULTS => {
                let columns = if i == TASK_PARAMETERS {
                    TASK_PARAMETER_COLUMNS
                        .iter()
                        .map(|&(name, description)| FitsColumn {
                            name: name.into(),
                            tform: "{w}A".into(),
                            tdim: None,
                            unit: "",
                            tnull: None,
                            dtype: "char",
                            description,
                            flags: &[],
                        })
                        .collect()
                } else {
                    results_columns(meta, params)
                };
                let rows = if i == RESULTS {
                    varies("N")
                } else {
                    CardValueDoc::Int(meta.parameters.len() as i64 + 2)
                };
                let mut header = vec![
                    card("XTENSION", CardValueDoc::Str("BINTABLE".into()), ""),
                    card("BITPIX", CardValueDoc::Int(8), ""),
                    card("NAXIS", CardValueDoc::Int(2), ""),
                    card("NAXIS1", varies("bytes per row"), ""),
                    card("NAXIS2", rows, ""),
                    card("PCOUNT", CardValueDoc::Int(0), ""),
                    card("GCOUNT", CardValueDoc::Int(1), ""),
                    card("TFIELDS", CardValueDoc::Int(columns.len() as i64), ""),
                    card("EXTNAME", CardValueDoc::Str(spec.name.into()), spec.meaning),
                ];
                if i == RESULTS {
                    header.extend(results_flag_cards(meta).into_iter().map(|c| match c.value {
                        CardValue::Str(value) => card(&c.key, CardValueDoc::Str(value), &c.comment),
                        _ => card(&c.key, CardValueDoc::Str(c.comment), ""),
                    }));
                }
                header.extend(checksum_cards());
                HduDoc {
                    name: spec.name,
                    is_image: false,
                    description: spec.meaning.to_string(),
                    bunit: None,
                    shape: "table",
                    dtype: "table",
                    header,
                    columns,
                }
            }
            _ => {
                let bitmask = spec.name == "BITMASK";
                let bitpix = if bitmask {
                    varies("16 (APOGEE, int16) or 32 (BOSS, int32)")
                } else {
                    CardValueDoc::Int(-32)
                };
                let mut header = vec![
                    card("XTENSION", CardValueDoc::Str("IMAGE".into()), ""),
                    card("BITPIX", bitpix, ""),
                    card("NAXIS", CardValueDoc::Int(2), ""),
                    card("NAXIS1", varies("P"), ""),
                    card("NAXIS2", varies("N"), ""),
                    card("PCOUNT", CardValueDoc::Int(0), ""),
                    card("GCOUNT", CardValueDoc::Int(1), ""),
                    card("EXTNAME", CardValueDoc::Str(spec.name.into()), spec.meaning),
                ];
                if let Some(unit) = spec.bunit {
                    header.push(card(
                        "BUNIT",
                        CardValueDoc::Str(unit.into()),
                        "Unit of the pixel values",
                    ));
                }
                for (key, comment) in WCS_CARDS {
                    let value = match key {
                        "CTYPE1" => CardValueDoc::Str("LOG-LINEAR".into()),
                        "DC-FLAG" => CardValueDoc::Int(1),
                        _ => varies("of the input's wavelength grid"),
                    };
                    header.push(card(key, value, comment));
                }
                header.extend(checksum_cards());
                let mut description = spec.meaning.to_string();
                if !filled(spec.name) {
                    description.push_str(" (not filled by this plugin: NaN)");
                }
                if spec.bunit == Some(FLUX_UNIT) {
                    description.push_str(", in the unit of the input flux");
                }
                HduDoc {
                    name: spec.name,
                    is_image: true,
                    description,
                    bunit: spec.bunit,
                    shape: "(N, P)",
                    dtype: if bitmask {
                        "int16 (APOGEE) or int32 (BOSS)"
                    } else {
                        "float32"
                    },
                    header,
                    columns: Vec::new(),
                }
            }
        };
        hdus.push(hdu);
    }
    ProductDoc { template, hdus }
}

/// The NumPy name of a column's element type.
fn dtype_of(ty: ScalarType) -> &'static str {
    match ty {
        ScalarType::Bool => "bool",
        ScalarType::U8 => "uint8",
        ScalarType::I16 => "int16",
        ScalarType::I32 => "int32",
        ScalarType::I64 => "int64",
        ScalarType::F32 => "float32",
        ScalarType::F64 => "float64",
        ScalarType::Text => "char",
    }
}

/// The RESULTS columns: the result columns, then the significant parameters (the two
/// version columns first), as [`crate::source::tables::results`] writes them.
fn results_columns(meta: &'static TaskMeta, params: &Params) -> Vec<FitsColumn> {
    let mut out: Vec<FitsColumn> = meta.results.iter().map(result_column).collect();
    for (name, value) in identity::significant_columns(params) {
        let param = meta.parameter(name).map(|(_, p)| p);
        let description = param
            .map(|p| p.description)
            .or_else(|| VERSION_DESCRIPTIONS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d))
            .unwrap_or_default();
        let (tform, dtype) = match (value, param.map(|p| p.kind)) {
            (Value::Int(_), _) => ("K", "int64"),
            (Value::Float(_), Some(ParamKind::F32)) => ("E", "float32"),
            (Value::Float(_), _) => ("D", "float64"),
            (Value::Bool(_), _) => ("L", "bool"),
            _ => ("{w}A", "char"),
        };
        out.push(FitsColumn {
            name: name.to_ascii_uppercase(),
            tform: tform.into(),
            tdim: None,
            unit: "",
            tnull: None,
            dtype,
            description,
            flags: &[],
        });
    }
    out
}

fn result_column(c: &ColumnMeta) -> FitsColumn {
    FitsColumn {
        name: c.ttype(),
        tform: c.tform(),
        tdim: c.tdim(),
        unit: c.unit,
        tnull: if c.nullable && c.ty.is_integer() {
            integer_null(c.ty)
        } else {
            None
        },
        dtype: dtype_of(c.ty),
        description: c.description,
        flags: c.flags,
    }
}

/// The named bits of a bitmask column in bit order.
pub fn bits_in_order(flags: &'static [FlagBit]) -> Vec<&'static FlagBit> {
    let mut bits: Vec<&'static FlagBit> = flags.iter().collect();
    bits.sort_by_key(|f| f.bit);
    bits
}

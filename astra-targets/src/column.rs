//! Result columns: the one declaration of a result column's name, type, unit and
//! description (and, for a bitmask column, the names of its bits: [`FlagBit`]), from which
//! the database schema, the FITS RESULTS table and the docs are all built.

use crate::value::Value;

/// The element type of a result column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// `bool`: SQL boolean, FITS `L`.
    Bool,
    /// `u8`: FITS `B`.
    U8,
    /// `i16`: FITS `I`.
    I16,
    /// `i32`: FITS `J`.
    I32,
    /// `i64`: FITS `K`.
    I64,
    /// `f32`: SQL real, FITS `E`.
    F32,
    /// `f64`: SQL double precision, FITS `D`.
    F64,
    /// `String`: SQL text, FITS `A` of the declared width.
    Text,
}

impl ScalarType {
    /// The FITS binary-table type code (`TFORMn` letter).
    pub fn tform_code(self) -> char {
        match self {
            ScalarType::Bool => 'L',
            ScalarType::U8 => 'B',
            ScalarType::I16 => 'I',
            ScalarType::I32 => 'J',
            ScalarType::I64 => 'K',
            ScalarType::F32 => 'E',
            ScalarType::F64 => 'D',
            ScalarType::Text => 'A',
        }
    }

    /// The Rust type name.
    pub fn rust_name(self) -> &'static str {
        match self {
            ScalarType::Bool => "bool",
            ScalarType::U8 => "u8",
            ScalarType::I16 => "i16",
            ScalarType::I32 => "i32",
            ScalarType::I64 => "i64",
            ScalarType::F32 => "f32",
            ScalarType::F64 => "f64",
            ScalarType::Text => "String",
        }
    }

    /// Whether the type is a floating-point type.
    pub fn is_float(self) -> bool {
        matches!(self, ScalarType::F32 | ScalarType::F64)
    }

    /// Whether the type is an integer type.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            ScalarType::U8 | ScalarType::I16 | ScalarType::I32 | ScalarType::I64
        )
    }
}

/// A database backend, for choosing SQL types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlDialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The static description of one result column (one field of a result struct).
#[derive(Debug, Clone, Copy)]
pub struct ColumnMeta {
    /// The column name: the SQL column; its upper case is the FITS `TTYPEn`.
    pub name: &'static str,
    /// The element type.
    pub ty: ScalarType,
    /// The shape of one cell: `[]` for a scalar, `[L]` for `[T; L]`, `[M, L]` for
    /// `[[T; L]; M]` (row-major, as Rust lays it out).
    pub shape: &'static [usize],
    /// Whether the column is an `Option<T>` (SQL NULL, FITS fill value).
    pub nullable: bool,
    /// The width in characters of a text column (FITS `nA`); 0 otherwise.
    pub width: usize,
    /// The FITS unit (`TUNITn`), empty for none.
    pub unit: &'static str,
    /// The description (doc comment): `TTYPEn` comment, `TCOMMn`, SQL comment and docs.
    pub description: &'static str,
    /// The named bits of a bitmask column (`#[astra(flags(...))]`), in declaration order;
    /// empty for other columns.
    pub flags: &'static [FlagBit],
}

/// One named bit of a bitmask column, declared once in the result struct
/// (`#[astra(flags(LOW_SNR = (1, "signal-to-noise ratio below 20")))]`) and recorded in the
/// database (`astra_flag`), the RESULTS header of the astraSource file and the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlagBit {
    /// The bit's name: upper-case letters, digits and `_`, at most 18 characters.
    pub name: &'static str,
    /// The bit number: 0 is the least significant bit.
    pub bit: u8,
    /// What the bit means, at most 47 printable ASCII characters.
    pub description: &'static str,
}

impl FlagBit {
    /// The bit's mask, `1 << bit`, as an `i64` (bit 63 is `i64::MIN`).
    pub fn mask(&self) -> i64 {
        1i64.wrapping_shl(u32::from(self.bit))
    }

    /// Whether the bit is set in `value`.
    pub fn is_set(&self, value: i64) -> bool {
        self.bit < 64 && value & self.mask() != 0
    }
}

impl ColumnMeta {
    /// The number of elements in one cell (1 for scalars).
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }

    /// The FITS `TTYPEn` value: the name in upper case.
    pub fn ttype(&self) -> String {
        self.name.to_ascii_uppercase()
    }

    /// The FITS `TFORMn` value, for example `E`, `20A`, `9E`.
    pub fn tform(&self) -> String {
        match self.ty {
            ScalarType::Text => format!("{}A", self.width.max(1)),
            ty if self.shape.is_empty() => ty.tform_code().to_string(),
            ty => format!("{}{}", self.elements(), ty.tform_code()),
        }
    }

    /// The FITS `TDIMn` value of a matrix column, `(L,M)` in FITS (Fortran) order; `None`
    /// for scalars and vectors.
    pub fn tdim(&self) -> Option<String> {
        (self.shape.len() > 1).then(|| {
            let dims: Vec<String> = self.shape.iter().rev().map(|d| d.to_string()).collect();
            format!("({})", dims.join(","))
        })
    }

    /// The SQL type of the column on a backend.
    ///
    /// Array columns are PostgreSQL arrays and SQLite little-endian BLOBs; floats are
    /// `REAL`/`DOUBLE PRECISION` on PostgreSQL and `REAL` on SQLite (8 bytes there).
    pub fn sql_type(&self, dialect: SqlDialect) -> &'static str {
        let array = !self.shape.is_empty();
        match (dialect, self.ty, array) {
            (SqlDialect::Sqlite, ScalarType::Text, _) => "TEXT",
            (SqlDialect::Sqlite, _, true) => "BLOB",
            (SqlDialect::Sqlite, ScalarType::Bool, false) => "BOOLEAN",
            (SqlDialect::Sqlite, ty, false) if ty.is_integer() => "INTEGER",
            (SqlDialect::Sqlite, _, false) => "REAL",
            (SqlDialect::Postgres, ty, array) => {
                let scalar = match ty {
                    ScalarType::Bool => 0,
                    ScalarType::U8 | ScalarType::I16 => 1,
                    ScalarType::I32 => 2,
                    ScalarType::I64 => 3,
                    ScalarType::F32 => 4,
                    ScalarType::F64 => 5,
                    ScalarType::Text => 6,
                };
                const SCALAR: [&str; 7] = [
                    "BOOLEAN",
                    "SMALLINT",
                    "INTEGER",
                    "BIGINT",
                    "REAL",
                    "DOUBLE PRECISION",
                    "TEXT",
                ];
                const ARRAY: [&str; 7] = [
                    "BOOLEAN[]",
                    "SMALLINT[]",
                    "INTEGER[]",
                    "BIGINT[]",
                    "REAL[]",
                    "DOUBLE PRECISION[]",
                    "TEXT[]",
                ];
                if array { ARRAY[scalar] } else { SCALAR[scalar] }
            }
        }
    }

    /// The named bit called `name`, if the column is a bitmask with such a bit.
    pub fn flag(&self, name: &str) -> Option<&'static FlagBit> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// The named bits set in `value`, in bit order. Set bits without a name are left out
    /// (see [`unnamed_bits`](Self::unnamed_bits)).
    pub fn set_flags(&self, value: i64) -> Vec<&'static FlagBit> {
        let mut set: Vec<&'static FlagBit> = self.flags.iter().filter(|f| f.is_set(value)).collect();
        set.sort_by_key(|f| f.bit);
        set
    }

    /// The names of the named bits set in `value`, in bit order: a flags value decoded
    /// for a reader (`5` is `["TEFF_EDGE", "LARGE_ERROR"]` when those are bits 0 and 2).
    pub fn flag_names(&self, value: i64) -> Vec<&'static str> {
        self.set_flags(value).into_iter().map(|f| f.name).collect()
    }

    /// The bits set in `value` that have no name (0 when every set bit is named).
    pub fn unnamed_bits(&self, value: i64) -> i64 {
        self.flags.iter().fold(value, |rest, f| rest & !f.mask())
    }

    /// A description of the Rust type, for docs: `f32`, `Option<i32>`, `[[f32; 3]; 3]`.
    pub fn rust_type(&self) -> String {
        let mut t = self.ty.rust_name().to_string();
        for d in self.shape.iter().rev() {
            t = format!("[{t}; {d}]");
        }
        if self.nullable { format!("Option<{t}>") } else { t }
    }
}

/// A result-row struct: one analysed spectrum's results, as declared with
/// `#[derive(AstraResults)]`.
pub trait AstraResults: Sized {
    /// The columns, in declaration order.
    const COLUMNS: &'static [ColumnMeta];

    /// The row's values, one per column, in column order.
    fn to_values(&self) -> Vec<Value>;

    /// A row from its values (one per column, in column order).
    fn from_values(values: Vec<Value>) -> crate::Result<Self>;
}

/// Finds a column by name in a list of columns (usable in `const` context, where the
/// derive checks that parameter names do not clash with result columns).
pub const fn find_column(columns: &[ColumnMeta], name: &str) -> Option<usize> {
    let mut i = 0;
    while i < columns.len() {
        if eq_ignore_case(columns[i].name.as_bytes(), name.as_bytes()) {
            return Some(i);
        }
        i += 1;
    }
    None
}

const fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COV: ColumnMeta = ColumnMeta {
        name: "cov",
        ty: ScalarType::F32,
        shape: &[3, 2],
        nullable: false,
        width: 0,
        unit: "",
        description: "",
        flags: &[],
    };

    const FLAGS: ColumnMeta = ColumnMeta {
        name: "flags",
        ty: ScalarType::I64,
        shape: &[],
        nullable: false,
        width: 0,
        unit: "",
        description: "Quality flags",
        flags: &[
            FlagBit {
                name: "LARGE_ERROR",
                bit: 2,
                description: "an error above its limit",
            },
            FlagBit {
                name: "TEFF_EDGE",
                bit: 0,
                description: "teff near the edge of the grid",
            },
            FlagBit {
                name: "SIGN",
                bit: 63,
                description: "the highest bit",
            },
        ],
    };

    #[test]
    fn flags_decode_into_names() {
        assert_eq!(FLAGS.flag_names(0), Vec::<&str>::new());
        assert_eq!(FLAGS.flag_names(5), ["TEFF_EDGE", "LARGE_ERROR"]);
        assert_eq!(FLAGS.flag_names(1 | 2), ["TEFF_EDGE"]);
        assert_eq!(FLAGS.unnamed_bits(1 | 2 | 8), 2 | 8);
        assert_eq!(FLAGS.flag_names(i64::MIN | 4), ["LARGE_ERROR", "SIGN"]);
        assert_eq!(FLAGS.flag("SIGN").map(FlagBit::mask), Some(i64::MIN));
        assert!(FLAGS.flag("NOPE").is_none());
        assert!(COV.flags.is_empty());
    }

    #[test]
    fn tform_and_tdim() {
        assert_eq!(COV.tform(), "6E");
        assert_eq!(COV.tdim().as_deref(), Some("(2,3)"));
        assert_eq!(COV.sql_type(SqlDialect::Postgres), "REAL[]");
        assert_eq!(COV.sql_type(SqlDialect::Sqlite), "BLOB");
        assert_eq!(COV.rust_type(), "[[f32; 2]; 3]");
        assert_eq!(find_column(&[COV], "COV"), Some(0));
    }
}

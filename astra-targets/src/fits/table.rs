//! Binary-table HDUs with units, descriptions, null values and matrix cells.

use std::ffi::{CString, c_char, c_int};

use fitsio::sys;

use super::card;
use super::card::Card;
use super::checksum::Sum32;
use super::file::{FitsWriter, ascii_cstr, cstr, read_only};
use super::image::ExtName;
use crate::{Error, Result};

/// The values of one column, all rows, each row's cell flattened (row-major).
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Logical (`L`): `Some(true)` is `T`, `Some(false)` `F`, `None` the FITS null (a zero
    /// byte).
    Bool(Vec<Option<bool>>),
    /// Unsigned bytes (`B`).
    U8(Vec<u8>),
    /// 16-bit integers (`I`).
    I16(Vec<i16>),
    /// 32-bit integers (`J`).
    I32(Vec<i32>),
    /// 64-bit integers (`K`).
    I64(Vec<i64>),
    /// 32-bit floats (`E`).
    F32(Vec<f32>),
    /// 64-bit floats (`D`).
    F64(Vec<f64>),
    /// Text (`wA`), one string per row, each at most `width` printable ASCII characters.
    Text {
        /// The column width in characters.
        width: usize,
        /// One value per row.
        values: Vec<String>,
    },
}

impl ColumnData {
    fn code(&self) -> char {
        match self {
            ColumnData::Bool(_) => 'L',
            ColumnData::U8(_) => 'B',
            ColumnData::I16(_) => 'I',
            ColumnData::I32(_) => 'J',
            ColumnData::I64(_) => 'K',
            ColumnData::F32(_) => 'E',
            ColumnData::F64(_) => 'D',
            ColumnData::Text { .. } => 'A',
        }
    }

    fn len(&self) -> usize {
        match self {
            ColumnData::Bool(v) => v.len(),
            ColumnData::U8(v) => v.len(),
            ColumnData::I16(v) => v.len(),
            ColumnData::I32(v) => v.len(),
            ColumnData::I64(v) => v.len(),
            ColumnData::F32(v) => v.len(),
            ColumnData::F64(v) => v.len(),
            ColumnData::Text { values, .. } => values.len(),
        }
    }
}

/// One column of a binary table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    /// `TTYPEn`.
    pub name: String,
    /// Elements per cell (1 for scalars; ignored for text, whose width is in the data).
    pub repeat: usize,
    /// `TUNITn`, written when not empty.
    pub unit: String,
    /// The description: the `TTYPEn` comment and `TCOMMn`, written when not empty.
    pub description: String,
    /// `TNULLn`, the integer that stands for a missing value.
    pub tnull: Option<i64>,
    /// `TDIMn`, the cell's dimensions in FITS order (`(3,3)`).
    pub tdim: Option<String>,
    /// The values.
    pub data: ColumnData,
}

impl TableColumn {
    /// The `TFORMn` value.
    pub fn tform(&self) -> String {
        match &self.data {
            ColumnData::Text { width, .. } => format!("{}A", width.max(&1)),
            d if self.repeat == 1 => d.code().to_string(),
            d => format!("{}{}", self.repeat, d.code()),
        }
    }
}

/// Writes a binary-table HDU of `rows` rows.
///
/// Every column must hold `rows * repeat` values (text: `rows` strings of at most its
/// width, printable ASCII); otherwise the table is refused with an error naming the
/// column, before anything is written. The header has, after cfitsio's `TTYPEn`/`TFORMn`/
/// `TUNITn` and `EXTNAME`, each column's description as the `TTYPEn` comment and `TCOMMn`,
/// its `TNULLn` and `TDIMn`, then `header`'s cards and the checksum cards.
pub fn create_table_hdu(
    fits: &mut FitsWriter,
    name: ExtName<'_>,
    rows: usize,
    columns: &[TableColumn],
    header: &[Card],
) -> Result<()> {
    check_table(name.name, rows, columns)?;
    let ttype: Vec<CString> = columns
        .iter()
        .map(|c| ascii_cstr("TTYPE", &c.name))
        .collect::<Result<_>>()?;
    let tform: Vec<CString> = columns.iter().map(|c| cstr(&c.tform())).collect();
    let tunit: Vec<CString> = columns
        .iter()
        .map(|c| ascii_cstr("TUNIT", &c.unit))
        .collect::<Result<_>>()?;
    let ptrs = |v: &[CString]| v.iter().map(|c| c.as_ptr() as *mut c_char).collect::<Vec<_>>();
    let (mut pt, mut pf, mut pu) = (ptrs(&ttype), ptrs(&tform), ptrs(&tunit));
    let extname = ascii_cstr("EXTNAME", name.name)?;
    let mut status = 0;
    // SAFETY: valid handle; the arrays hold `columns.len()` C strings that outlive the call.
    unsafe {
        sys::ffcrtb(
            fits.as_raw(),
            sys::BINARY_TBL as c_int,
            rows as i64,
            columns.len() as c_int,
            pt.as_mut_ptr(),
            pf.as_mut_ptr(),
            pu.as_mut_ptr(),
            extname.as_ptr(),
            &mut status,
        )
    };
    fits.check(status, || format!("creating table {}", name.name))?;
    fits.hdu_created();
    fits.set_comment("EXTNAME", name.comment)?;
    for (i, c) in columns.iter().enumerate() {
        let n = i + 1;
        if !c.description.is_empty() {
            fits.replace_card(&format!("TTYPE{n}"), &compact_ttype(n, &c.name, &c.description))?;
        }
        if !c.description.is_empty() {
            fits.write_card(&card::string(&format!("TCOMM{n}"), &c.description, ""))?;
        }
        if let Some(null) = c.tnull {
            fits.write_card(&card::int(&format!("TNULL{n}"), null, "Value of missing entries"))?;
        }
        if let Some(dim) = &c.tdim {
            fits.write_card(&card::string(&format!("TDIM{n}"), dim, "Dimensions of the cell"))?;
        }
    }
    fits.write_cards(header.iter().filter(|c| !card::is_reserved(&c.key)))?;
    // The data's checksum from the bytes cfitsio is about to write, not read back.
    let datasum = fits.checksum().then(|| {
        let mut bytes = Vec::new();
        table_bytes(rows, columns, &mut bytes);
        let mut sum = Sum32::default();
        sum.add_bytes(&bytes);
        sum
    });
    fits.reserve_checksum(datasum)?;
    if rows > 0 {
        for (i, c) in columns.iter().enumerate() {
            write_column(fits, name.name, i + 1, c)?;
        }
    }
    fits.finish_hdu(true)
}

/// A `TTYPEn` card with its value not padded to column 30, leaving the comment (the
/// description, cut to what fits; `TCOMMn` has it whole) as much room as possible.
fn compact_ttype(n: usize, name: &str, description: &str) -> String {
    let mut record = format!("{:<8}= '{:<8}'", format!("TTYPE{n}"), name.replace('\'', "''"));
    if record.len() + 3 < 80 {
        record.push_str(" / ");
        let room = 80 - record.len();
        record.push_str(&description[..description.len().min(room)]);
    }
    record
}

/// Checks the columns of a table of `rows` rows named `table` as
/// [`create_table_hdu`] does before it writes anything: every column holds `rows * repeat`
/// values, text is printable ASCII and fits its width. Writers call it to refuse a table
/// before they touch anything.
pub fn check_table(table: &str, rows: usize, columns: &[TableColumn]) -> Result<()> {
    columns.iter().try_for_each(|c| check_column(table, rows, c))
}

fn check_column(table: &str, rows: usize, c: &TableColumn) -> Result<()> {
    let refuse = |reason: String| Error::Column {
        column: format!("{table} {}", c.name),
        reason,
    };
    let want = match c.data {
        ColumnData::Text { .. } => rows,
        _ => rows * c.repeat,
    };
    if c.data.len() != want {
        return Err(refuse(format!(
            "{} values given for {rows} rows of {} elements",
            c.data.len(),
            c.repeat
        )));
    }
    if let ColumnData::Text { width, values } = &c.data {
        for v in values {
            if !v.chars().all(|ch| (' '..='~').contains(&ch)) {
                return Err(Error::NonAscii {
                    what: format!("{table} column {}", c.name),
                    value: v.clone(),
                });
            }
            if v.len() > *width {
                return Err(refuse(format!(
                    "value {v:?} is longer than the column's {width} characters"
                )));
            }
        }
    }
    Ok(())
}

fn write_column(fits: &mut FitsWriter, table: &str, n: usize, c: &TableColumn) -> Result<()> {
    let mut status = 0;
    let raw = fits.as_raw();
    let typed = |ty: u32, ptr, len: usize, status: &mut c_int| {
        // SAFETY: `ptr` holds `len` values of type `ty`; cfitsio only reads them.
        unsafe { sys::ffpcl(raw, ty as c_int, n as c_int, 1, 1, len as i64, ptr, status) };
    };
    match &c.data {
        ColumnData::Bool(v) => {
            let mut bytes: Vec<c_char> = v.iter().map(|b| b.map_or(2, c_char::from)).collect();
            // SAFETY: `bytes` holds the values; 2 marks the nulls.
            unsafe {
                sys::ffpcnl(
                    raw,
                    n as c_int,
                    1,
                    1,
                    bytes.len() as i64,
                    bytes.as_mut_ptr(),
                    2,
                    &mut status,
                )
            };
        }
        ColumnData::U8(v) => typed(sys::TBYTE, read_only(v), v.len(), &mut status),
        ColumnData::I16(v) => typed(sys::TSHORT, read_only(v), v.len(), &mut status),
        ColumnData::I32(v) => typed(sys::TINT, read_only(v), v.len(), &mut status),
        ColumnData::I64(v) => typed(sys::TLONGLONG, read_only(v), v.len(), &mut status),
        ColumnData::F32(v) => typed(sys::TFLOAT, read_only(v), v.len(), &mut status),
        ColumnData::F64(v) => typed(sys::TDOUBLE, read_only(v), v.len(), &mut status),
        ColumnData::Text { values, .. } => {
            let strings: Vec<CString> = values.iter().map(|s| cstr(s)).collect();
            let mut ptrs: Vec<*mut c_char> = strings.iter().map(|s| s.as_ptr() as *mut c_char).collect();
            // SAFETY: one C string per row, outliving the call; cfitsio only reads them.
            unsafe { sys::ffpcls(raw, n as c_int, 1, 1, ptrs.len() as i64, ptrs.as_mut_ptr(), &mut status) };
        }
    }
    fits.check(status, || format!("writing column {} of {table}", c.name))
}

/// The bytes of one table row.
pub(crate) fn row_width(columns: &[TableColumn]) -> usize {
    columns.iter().map(cell_width).sum()
}

fn cell_width(c: &TableColumn) -> usize {
    let size = match &c.data {
        ColumnData::Bool(_) | ColumnData::U8(_) => 1,
        ColumnData::I16(_) => 2,
        ColumnData::I32(_) | ColumnData::F32(_) => 4,
        ColumnData::I64(_) | ColumnData::F64(_) => 8,
        ColumnData::Text { width, .. } => return (*width).max(1),
    };
    size * c.repeat
}

/// Appends the rows of a binary table, as cfitsio writes them: numbers big-endian,
/// logicals `T`, `F` or a zero byte, text padded with spaces to the column's width.
pub(crate) fn table_bytes(rows: usize, columns: &[TableColumn], out: &mut Vec<u8>) {
    out.reserve(rows * row_width(columns));
    for row in 0..rows {
        for c in columns {
            let cell = row * c.repeat..(row + 1) * c.repeat;
            match &c.data {
                ColumnData::Bool(v) => out.extend(v[cell].iter().map(|b| match b {
                    Some(true) => b'T',
                    Some(false) => b'F',
                    None => 0,
                })),
                ColumnData::U8(v) => out.extend_from_slice(&v[cell]),
                ColumnData::I16(v) => v[cell].iter().for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
                ColumnData::I32(v) => v[cell].iter().for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
                ColumnData::I64(v) => v[cell].iter().for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
                ColumnData::F32(v) => v[cell].iter().for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
                ColumnData::F64(v) => v[cell].iter().for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
                ColumnData::Text { width, values } => {
                    let text = values[row].as_bytes();
                    let width = (*width).max(1);
                    let n = text.len().min(width);
                    out.extend_from_slice(&text[..n]);
                    out.resize(out.len() + width - n, b' ');
                }
            }
        }
    }
}

//! Files of a known layout assembled without cfitsio's per-card calls.
//!
//! The first file of a layout (the same HDUs, image shapes and types, table columns) is
//! written through cfitsio by [`FitsWriter`](super::FitsWriter). [`Layout::learn`] keeps,
//! for each HDU, the header records cfitsio wrote before the caller's own cards (the
//! structural keywords, `EXTNAME`, column descriptions: the same for every file of the
//! layout) and its `CHECKSUM` record, then assembles that same file again from the
//! caller's cards and data and keeps the layout only if the bytes are identical.
//! [`Layout::assemble_into`] then writes later files of the layout in one pass: the kept
//! records, the file's own cards, `CHECKSUM` and `DATASUM`, `END`, the data in big-endian
//! order, each unit padded to whole 2880-byte blocks, the checksums summed from the bytes
//! being assembled.

use super::card::{self, Formatted};
use super::checksum::{Sum32, encode};
use super::image::{Dtype, ImageData, Pixels, pixels};
use super::table::{TableColumn, row_width, table_bytes};

const RECORD: usize = 80;
const BLOCK: usize = 2880;

/// The data unit of one HDU.
#[derive(Debug, Clone)]
pub(crate) enum DataUnit<'a> {
    /// No data (the primary HDU of an astraSource file).
    Empty,
    /// An image written as `dtype`.
    Image(ImageData<'a>, Dtype),
    /// A binary table of `rows` rows.
    Table(usize, &'a [TableColumn]),
}

/// One HDU as its writer gives it: the cards it adds after cfitsio's own (already
/// formatted) and its data.
#[derive(Debug, Clone)]
pub(crate) struct HduSource<'a> {
    /// The HDU's own cards, written after the structural ones.
    pub cards: &'a [Formatted],
    /// The data.
    pub data: DataUnit<'a>,
}

/// What a layout keeps of one HDU.
#[derive(Debug, Clone)]
struct HduLayout {
    /// The records before the HDU's own cards.
    prefix: Vec<u8>,
    /// The `CHECKSUM` record cfitsio wrote (its value and date are replaced).
    checksum: [u8; RECORD],
    /// Where the date in the `CHECKSUM` record's comment starts.
    date_at: usize,
}

/// The HDUs of a file layout, learnt from a file cfitsio wrote.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    hdus: Vec<HduLayout>,
}

/// The length of a `YYYY-MM-DDTHH:MM:SS` date.
const DATE_LEN: usize = 19;

impl Layout {
    /// Learns the layout of `file` (written by `FitsWriter` with checksums, from `hdus`),
    /// or `None` when the file cannot be assembled again byte for byte (cards in the
    /// long-string convention, an unexpected header).
    pub(crate) fn learn(file: &[u8], hdus: &[HduSource<'_>]) -> Option<Layout> {
        let mut at = 0;
        let mut layout = Layout { hdus: Vec::new() };
        let mut dates = Vec::with_capacity(hdus.len());
        for hdu in hdus {
            let own = own_records(hdu.cards)?;
            let end = find_end(file, at)?;
            let records = (end - at) / RECORD;
            let prefix_len = records.checked_sub(own.len() + 2)?;
            let cut = at + prefix_len * RECORD;
            let checksum: [u8; RECORD] = file.get(cut + own.len() * RECORD..)?.get(..RECORD)?.try_into().ok()?;
            if !checksum.starts_with(b"CHECKSUM= '") {
                return None;
            }
            let date_at = find(&checksum, b"updated ")? + b"updated ".len();
            let found = std::str::from_utf8(checksum.get(date_at..date_at + DATE_LEN)?).ok()?;
            dates.push(found.to_string());
            layout.hdus.push(HduLayout {
                prefix: file[at..cut].to_vec(),
                checksum,
                date_at,
            });
            let header_len = (end + RECORD).div_ceil(BLOCK) * BLOCK - at;
            at += header_len + padded(data_len(&hdu.data));
        }
        let dates: Vec<&str> = dates.iter().map(String::as_str).collect();
        let mut again = Vec::new();
        layout.assemble_dated(hdus, &dates, &mut again)?;
        (again == file).then_some(layout)
    }

    #[cfg(test)]
    pub(crate) fn assemble(&self, hdus: &[HduSource<'_>], date: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.assemble_into(hdus, date, &mut out)?;
        Some(out)
    }

    /// Assembles a file of this layout from `hdus`, dating the checksums `date`
    /// (`YYYY-MM-DDTHH:MM:SS`), into `out` (cleared first; its
    /// capacity is reused), or `None` when the HDUs do not fit the layout (another
    /// number of HDUs, a card in the long-string convention, pixels that cannot be
    /// written as their image's type).
    pub(crate) fn assemble_into(&self, hdus: &[HduSource<'_>], date: &str, out: &mut Vec<u8>) -> Option<()> {
        self.assemble_dated(hdus, &vec![date; hdus.len()], out)
    }

    fn assemble_dated(&self, hdus: &[HduSource<'_>], dates: &[&str], out: &mut Vec<u8>) -> Option<()> {
        out.clear();
        if hdus.len() != self.hdus.len() || dates.iter().any(|d| d.len() != DATE_LEN) {
            return None;
        }
        let mut size = 0;
        for (hdu, layout) in hdus.iter().zip(&self.hdus) {
            size += header_len(layout, hdu.cards)? + padded(data_len(&hdu.data));
        }
        out.reserve(size);
        for ((hdu, layout), date) in hdus.iter().zip(&self.hdus).zip(dates) {
            let start = out.len();
            out.extend_from_slice(&layout.prefix);
            for record in own_records(hdu.cards)? {
                push_record(out, record);
            }
            let checksum_at = out.len();
            let mut checksum = layout.checksum;
            checksum[11..27].copy_from_slice(b"0000000000000000");
            checksum[layout.date_at..layout.date_at + DATE_LEN].copy_from_slice(date.as_bytes());
            out.extend_from_slice(&checksum);
            let datasum_at = out.len();
            out.resize(datasum_at + RECORD, b' ');
            push_record(out, "END");
            out.resize(start + header_len(layout, hdu.cards)?, b' ');
            let data_start = out.len();
            serialize(&hdu.data, out)?;
            let mut datasum = Sum32::default();
            datasum.add_bytes(&out[data_start..]);
            out.resize(data_start + padded(out.len() - data_start), 0);
            let card = card::format(&card::string(
                "DATASUM",
                &datasum.value().to_string(),
                "data unit checksum",
            ))
            .ok()?;
            let mut record = Vec::with_capacity(RECORD);
            push_record(&mut record, own_records(std::slice::from_ref(&card))?.first()?);
            out[datasum_at..datasum_at + RECORD].copy_from_slice(&record);
            let mut sum = Sum32::default();
            sum.add_bytes(&out[start..data_start]);
            sum.add_sum(datasum);
            out[checksum_at + 11..checksum_at + 27].copy_from_slice(encode(sum.value(), true).as_bytes());
        }
        Some(())
    }
}

/// The header's length in bytes, whole blocks: the kept records, the HDU's own,
/// `CHECKSUM`, `DATASUM` and `END`.
fn header_len(layout: &HduLayout, cards: &[Formatted]) -> Option<usize> {
    let records = layout.prefix.len() / RECORD + record_count(cards)? + 3;
    Some(padded(records * RECORD))
}

/// Whether every HDU's own cards are whole records (none in the long-string convention):
/// only such files teach a layout or are assembled.
pub(crate) fn in_records(hdus: &[HduSource<'_>]) -> bool {
    hdus.iter().all(|h| record_count(h.cards).is_some())
}

/// The records of an HDU's own cards, or `None` if one uses the long-string convention.
fn own_records(cards: &[Formatted]) -> Option<Vec<&str>> {
    let mut out = Vec::with_capacity(cards.len());
    for card in cards {
        match card {
            Formatted::Records(records) => out.extend(records.iter().map(String::as_str)),
            Formatted::LongString { .. } => return None,
        }
    }
    Some(out)
}

fn record_count(cards: &[Formatted]) -> Option<usize> {
    cards.iter().try_fold(0, |n, c| match c {
        Formatted::Records(r) => Some(n + r.len()),
        Formatted::LongString { .. } => None,
    })
}

/// Appends one header record as cfitsio's `ffprec` writes it: characters outside
/// printable ASCII become spaces, the keyword (up to `=`, or 8 characters) upper case,
/// the record padded with spaces to 80 characters.
fn push_record(out: &mut Vec<u8>, record: &str) {
    let mut card = [b' '; RECORD];
    for (slot, b) in card.iter_mut().zip(record.bytes()) {
        *slot = if (b' '..=b'~').contains(&b) { b } else { b' ' };
    }
    let commentary = [&b"COMMENT "[..], b"HISTORY ", b"        ", b"CONTINUE"]
        .iter()
        .any(|k| card[..8].eq_ignore_ascii_case(k));
    let key_len = if commentary {
        8
    } else {
        card.iter().position(|&b| b == b'=').unwrap_or(8)
    };
    card[..key_len].make_ascii_uppercase();
    out.extend_from_slice(&card);
}

/// The offset of the `END` record of the header starting at `from`.
fn find_end(file: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at + RECORD <= file.len() {
        let record = &file[at..at + RECORD];
        if record.starts_with(b"END") && record[3..].iter().all(|&b| b == b' ') {
            return Some(at);
        }
        at += RECORD;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn padded(len: usize) -> usize {
    len.div_ceil(BLOCK) * BLOCK
}

/// The bytes of a data unit, before padding.
fn data_len(unit: &DataUnit<'_>) -> usize {
    match unit {
        DataUnit::Empty => 0,
        DataUnit::Image(data, dtype) => {
            let size = match dtype {
                Dtype::I16 => 2,
                Dtype::F32 | Dtype::I32 => 4,
                Dtype::F64 => 8,
            };
            data.shape().iter().product::<usize>() * size
        }
        DataUnit::Table(rows, columns) => rows * row_width(columns),
    }
}

/// Appends a data unit's bytes (unpadded) to `out`, or `None` for pixels that cannot be
/// written as the image's type.
fn serialize(unit: &DataUnit<'_>, out: &mut Vec<u8>) -> Option<()> {
    match unit {
        DataUnit::Empty => {}
        DataUnit::Image(data, dtype) => {
            let p = pixels(data, *dtype, "").ok()?;
            match &p {
                Pixels::F32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
                Pixels::F64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
                Pixels::I16(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
                Pixels::I32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_be_bytes())),
            }
        }
        DataUnit::Table(rows, columns) => table_bytes(*rows, columns, out),
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;
    use crate::fits::card::{Card, CardValue, format, history, int, real, string};
    use crate::fits::table::ColumnData;
    use crate::fits::{ExtName, FitsWriter, create_image_hdu, create_table_hdu};

    /// Everything one test file holds; `seed` changes every value (and the number of
    /// primary cards), not the layout.
    struct Content {
        primary: Vec<Card>,
        wcs: Vec<Card>,
        flux: Array2<f32>,
        mask: Array2<i16>,
        wide: Array2<i32>,
        columns: Vec<TableColumn>,
    }

    fn content(seed: u32) -> Content {
        let s = seed as f32;
        let mut primary = vec![
            string("TELESCOP", &format!("apo25m-{seed}"), "Telescope"),
            int("HEALPIX", 1000 + i64::from(seed), ""),
            real("RA", 123.25 + f64::from(seed), "Right ascension (deg)"),
            Card {
                key: "SYNTHET".into(),
                value: CardValue::Bool(seed.is_multiple_of(2)),
                comment: "Synthetic".into(),
            },
            history("a first history card"),
        ];
        for i in 0..seed * 7 {
            primary.push(int(
                &format!("EXTRA{i}"),
                i64::from(i),
                "one of a varying number of cards",
            ));
        }
        let wcs = vec![
            real(
                "CRVAL1",
                4.179 + f64::from(seed) * 1e-3,
                "Log10 wavelength of the first pixel",
            ),
            real("CDELT1", 6e-6, "Step"),
            string("CTYPE1", "LOG-LINEAR", ""),
        ];
        let flux = Array2::from_shape_fn((2, 37), |(i, j)| {
            if j == 5 {
                f32::NAN
            } else {
                s + i as f32 * 0.5 - j as f32 * 1e-3
            }
        });
        let mask = Array2::from_shape_fn((2, 37), |(i, j)| (i * 37 + j) as i16 * if seed == 1 { -3 } else { 5 });
        let wide = Array2::from_shape_fn((2, 37), |(i, j)| {
            (i as i32 - 1) * (j as i32) * 70_000 * (seed as i32 + 1)
        });
        let column = |name: &str, repeat: usize, data: ColumnData| TableColumn {
            name: name.into(),
            repeat,
            unit: if name == "TEFF" { "K".into() } else { String::new() },
            description: format!("The {name} column"),
            tnull: (name == "N").then_some(-1),
            tdim: (name == "COV").then(|| "(2,2)".to_string()),
            data,
        };
        let columns = vec![
            column("OK", 1, ColumnData::Bool(vec![Some(seed == 1), None, Some(true)])),
            column("B", 1, ColumnData::U8(vec![0, 255, seed as u8])),
            column("N", 1, ColumnData::I16(vec![-1, 2, seed as i16])),
            column("J", 1, ColumnData::I32(vec![i32::MIN, 7, seed as i32])),
            column("K", 1, ColumnData::I64(vec![i64::MIN, -7, i64::from(seed)])),
            column("TEFF", 1, ColumnData::F32(vec![5777.0 + s, f32::NAN, -0.0])),
            column(
                "COV",
                4,
                ColumnData::F64((0..12).map(|i| f64::from(i) * 1.5 - f64::from(seed)).collect()),
            ),
            column(
                "NAME",
                1,
                ColumnData::Text {
                    width: 6,
                    values: vec![String::new(), "abcdef".into(), format!("s{seed}")],
                },
            ),
        ];
        Content {
            primary,
            wcs,
            flux,
            mask,
            wide,
            columns,
        }
    }

    struct OwnCards {
        primary: Vec<Formatted>,
        wcs: Vec<Formatted>,
    }

    fn formatted(c: &Content) -> OwnCards {
        let f = |cards: &[Card]| cards.iter().map(|c| format(c).unwrap()).collect();
        OwnCards {
            primary: f(&c.primary),
            wcs: f(&c.wcs),
        }
    }

    fn sources<'a>(c: &'a Content, f: &'a OwnCards) -> Vec<HduSource<'a>> {
        vec![
            HduSource {
                cards: &f.primary,
                data: DataUnit::Empty,
            },
            HduSource {
                cards: &f.wcs,
                data: DataUnit::Image((&c.flux).into(), Dtype::F32),
            },
            HduSource {
                cards: &f.wcs,
                data: DataUnit::Image((&c.flux).into(), Dtype::F64),
            },
            HduSource {
                cards: &f.wcs,
                data: DataUnit::Image((&c.mask).into(), Dtype::I16),
            },
            HduSource {
                cards: &f.wcs,
                data: DataUnit::Image((&c.wide).into(), Dtype::I32),
            },
            HduSource {
                cards: &[],
                data: DataUnit::Table(3, &c.columns),
            },
        ]
    }

    /// The file written through cfitsio.
    fn written(c: &Content) -> Vec<u8> {
        let mut fits = FitsWriter::create_memory(1 << 16, true).unwrap();
        fits.write_primary(&c.primary).unwrap();
        let name = |name| {
            Some(ExtName {
                name,
                comment: "An image",
            })
        };
        create_image_hdu(&mut fits, &c.flux, &c.wcs, name("FLUX"), Some(Dtype::F32), Some("")).unwrap();
        create_image_hdu(&mut fits, &c.flux, &c.wcs, name("FLUX64"), Some(Dtype::F64), Some("K")).unwrap();
        create_image_hdu(&mut fits, &c.mask, &c.wcs, name("MASK"), None, None).unwrap();
        create_image_hdu(&mut fits, &c.wide, &c.wcs, name("WIDE"), None, Some("")).unwrap();
        let table = ExtName {
            name: "RESULTS",
            comment: "Results",
        };
        create_table_hdu(&mut fits, table, 3, &c.columns, &[]).unwrap();
        fits.into_bytes().unwrap().to_vec()
    }

    /// The date of the first `CHECKSUM` record of a file.
    fn date_of(file: &[u8]) -> String {
        let at = find(file, b"HDU checksum updated ").unwrap() + "HDU checksum updated ".len();
        String::from_utf8(file[at..at + DATE_LEN].to_vec()).unwrap()
    }

    #[test]
    fn files_assembled_from_a_learnt_layout_are_the_ones_cfitsio_writes() {
        let first = content(0);
        let first_formatted = formatted(&first);
        let layout = Layout::learn(&written(&first), &sources(&first, &first_formatted)).expect("a layout");
        for seed in 1..4 {
            let c = content(seed);
            let f = formatted(&c);
            // Written through cfitsio within one second, so that both carry one date.
            let (theirs, date) = loop {
                let theirs = written(&c);
                let date = date_of(&theirs);
                if theirs.windows(DATE_LEN).filter(|w| *w == date.as_bytes()).count() == 6 {
                    break (theirs, date);
                }
            };
            let ours = layout.assemble(&sources(&c, &f), &date).expect("assembled");
            assert_eq!(ours.len(), theirs.len(), "seed {seed}");
            if let Some(at) = ours.iter().zip(&theirs).position(|(a, b)| a != b) {
                let from = at.saturating_sub(40);
                panic!(
                    "seed {seed}: byte {at} differs:\nours   {:?}\ntheirs {:?}",
                    String::from_utf8_lossy(&ours[from..at + 40]),
                    String::from_utf8_lossy(&theirs[from..at + 40])
                );
            }
        }
    }

    #[test]
    fn files_that_do_not_fit_the_layout_are_not_assembled() {
        let c = content(0);
        let f = formatted(&c);
        let layout = Layout::learn(&written(&c), &sources(&c, &f)).expect("a layout");
        let hdus = sources(&c, &f);
        assert!(
            layout.assemble(&hdus[..5], "2026-01-01T00:00:00").is_none(),
            "one HDU fewer"
        );
        assert!(
            layout.assemble(&hdus, "2026-01-01").is_none(),
            "a date of another length"
        );
        let long = vec![format(&string("OBJNOTE", &"x".repeat(100), "")).unwrap()];
        let mut with_long = sources(&c, &f);
        with_long[0].cards = &long;
        assert!(layout.assemble(&with_long, "2026-01-01T00:00:00").is_none());
        // A file with a card in the long-string convention teaches no layout.
        let mut c2 = content(0);
        c2.primary.push(string("OBJNOTE", &"x".repeat(100), ""));
        let f2 = formatted(&c2);
        assert!(Layout::learn(&written(&c2), &sources(&c2, &f2)).is_none());
    }
}

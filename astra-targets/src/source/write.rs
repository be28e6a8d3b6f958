//! Writing an astraSource file: checks first, then the nine HDUs through cfitsio into a
//! temporary file beside the destination, then the rename.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use super::created::now_utc;
use super::layout::{HDUS, PROVENANCE_CARDS, RESULTS, TASK_PARAMETERS, WCS_CARDS};
use super::options::{Staging, WriteOptions};
use super::shapes::Images;
use super::{assembly, tables, verify};
use crate::fits::table::check_table;
use crate::fits::template::{DataUnit, HduSource};
use crate::fits::{
    Card, CardValue, Dtype, FitsWriter, ImageData, TableColumn, card, create_image_hdu, create_table_hdu,
};
use crate::fs::atomic::{io_through, name_destination};
use crate::fs::{AtomicPath, Commit, IfExists};
use crate::spectrum::{Bitmask, Spectrum, SpectrumKind};
use crate::task::AstraTask;
use crate::{Error, Result};

/// Files up to this size are assembled in memory and written in one piece; larger ones
/// are written by cfitsio straight to the temporary file.
pub const MEMORY_LIMIT: usize = 256 << 20;

/// The size of the pieces a durable in-memory file is written in.
const WRITEBACK_PIECE: usize = 16 << 20;

/// The provenance keys the writer sets in the primary header (copies from the input are
/// dropped).
pub const PROVENANCE_KEYS: [&str; 6] = {
    let mut keys = [""; 6];
    let mut i = 0;
    while i < 6 {
        keys[i] = PROVENANCE_CARDS[i].0;
        i += 1;
    }
    keys
};

/// Everything a file holds, checked and converted, before any byte is written.
struct Product<'s, 'i> {
    /// Formatted (and so checked) once, before anything is written.
    primary: Vec<card::Formatted>,
    wcs: Vec<Card>,
    /// The WCS cards formatted (for files assembled without cfitsio).
    wcs_formatted: Vec<card::Formatted>,
    images: &'s Images<'i>,
    bitmask: Bitmask<'s>,
    parameters: Vec<TableColumn>,
    results: Vec<TableColumn>,
    /// The RESULTS header's cards naming the bits of bitmask columns.
    results_header: Vec<Card>,
    /// The `RESULTS` header cards formatted (for files assembled without cfitsio).
    results_header_formatted: Vec<card::Formatted>,
    rows: usize,
}

pub(super) fn write<T: AstraTask>(
    task: &T,
    path: &Path,
    spectrum: &Spectrum,
    images: &Images<'_>,
    results: &[T::Results],
    options: &WriteOptions,
) -> Result<()> {
    let product = prepare(task, spectrum, images, results, options)?;
    if options.if_exists == IfExists::Refuse && fs::symlink_metadata(path).is_ok() {
        return Err(Error::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    let atomic = AtomicPath::new(path)?;
    write_temp(task, &product, atomic.temp_path(), path, options)
        .map_err(|e| name_destination(e, path, atomic.temp_path()))?;
    atomic.commit(
        Commit::replacing()
            .if_exists(options.if_exists)
            .durable(options.durable),
    )
}

/// Writes the checked product at `temp` (for `path`), and checks it when asked.
fn write_temp<T: AstraTask>(
    task: &T,
    product: &Product<'_, '_>,
    temp: &Path,
    path: &Path,
    options: &WriteOptions,
) -> Result<()> {
    let size = estimate_size(product, options);
    let in_memory = match options.staging {
        Staging::Auto => size <= MEMORY_LIMIT,
        Staging::Memory => true,
        Staging::Disk => false,
    };
    if in_memory {
        let write = || {
            let mut fits = FitsWriter::create_memory(size, options.checksum)?;
            write_hdus(&mut fits, product, options, &mut || {})?;
            fits.into_bytes()
        };
        let bytes = if options.checksum {
            let hdus = hdu_sources(product, options);
            assembly::file_bytes(layout_key(product, options), &hdus, &now_utc(), write)?
        } else {
            assembly::FileBytes::Written(write()?)
        };
        let io = |action| io_through(action, path, temp);
        let mut file = File::create_new(temp).map_err(io("creating"))?;
        if options.durable {
            // Each piece starts its way to the disk while the next is copied, so the
            // final fsync waits only for the tail.
            for piece in bytes.chunks(WRITEBACK_PIECE) {
                file.write_all(piece).map_err(io("writing"))?;
                start_writeback(&file);
            }
        } else {
            file.write_all(&bytes).map_err(io("writing"))?;
        }
    } else {
        let mut fits = FitsWriter::create_file(temp, options.checksum)?;
        // When durable, each finished image starts its way to the disk while the next is
        // converted, so the final fsync waits only for the tail.
        let early = if options.durable { File::open(temp).ok() } else { None };
        write_hdus(&mut fits, product, options, &mut || {
            if let Some(f) = &early {
                start_writeback(f);
            }
        })?;
        fits.close()?;
    }
    if options.output_verify {
        let checks = if options.checksum {
            verify::Checks::LayoutAndChecksums
        } else {
            verify::Checks::Layout
        };
        verify::verify_file(task, temp, checks)?;
    }
    Ok(())
}

/// Starts writing a file's dirty pages to the disk without waiting for them (Linux's
/// `sync_file_range(SYNC_FILE_RANGE_WRITE)`; nothing elsewhere). Only a head start: the
/// file is fsync'd afterwards all the same.
fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        unsafe extern "C" {
            fn sync_file_range(
                fd: std::ffi::c_int,
                offset: i64,
                nbytes: i64,
                flags: std::ffi::c_uint,
            ) -> std::ffi::c_int;
        }
        // SAFETY: a valid descriptor; offset 0 and length 0 mean the whole file; flag 2 is
        // SYNC_FILE_RANGE_WRITE. A failure only loses the head start.
        unsafe { sync_file_range(file.as_raw_fd(), 0, 0, 2) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

fn prepare<'s, 'i, T: AstraTask>(
    task: &T,
    spectrum: &'s Spectrum,
    images: &'s Images<'i>,
    results: &[T::Results],
    options: &WriteOptions,
) -> Result<Product<'s, 'i>> {
    let (n, p) = images.shape();
    if results.len() != n {
        return Err(Error::Shape {
            array: "results",
            shape: vec![results.len()],
            expected: format!("the normalized flux's shape is [{n}, {p}]: one result row per spectrum"),
        });
    }
    if spectrum.grid.npix != p {
        return Err(Error::Shape {
            array: "normalized_flux",
            shape: vec![n, p],
            expected: format!("the spectrum's wavelength grid has {} pixels", spectrum.grid.npix),
        });
    }
    let bitmask = spectrum.get_bitmask();
    let (kind, expected) = match spectrum.kind {
        SpectrumKind::Apogee => ("APOGEE", "int16"),
        SpectrumKind::Boss => ("BOSS", "int32"),
    };
    let found = match &bitmask {
        Bitmask::I16(_) => "int16",
        Bitmask::I32(_) => "int32",
    };
    if found != expected {
        return Err(Error::BitmaskType { kind, found, expected });
    }
    let (bn, bp) = bitmask.shape();
    if (bn, bp) != (n, p) {
        return Err(Error::Shape {
            array: "bitmask",
            shape: vec![bn, bp],
            expected: format!("the normalized flux's shape is [{n}, {p}]"),
        });
    }
    let parameters = tables::task_parameters(task)?;
    check_table(HDUS[TASK_PARAMETERS].name, parameter_rows(&parameters), &parameters)?;
    let results = tables::results(task, results)?;
    check_table(HDUS[RESULTS].name, n, &results)?;
    let primary = primary_cards(task, spectrum, options, (n, p), found)
        .iter()
        .map(card::format)
        .collect::<Result<Vec<_>>>()?;
    let wcs = wcs_cards(spectrum);
    let wcs_formatted = wcs.iter().map(card::format).collect::<Result<Vec<_>>>()?;
    let results_header = tables::results_flag_cards(T::META);
    let results_header_formatted = results_header.iter().map(card::format).collect::<Result<Vec<_>>>()?;
    Ok(Product {
        results_header,
        results_header_formatted,
        primary,
        wcs,
        wcs_formatted,
        images,
        bitmask,
        parameters,
        results,
        rows: n,
    })
}

/// The primary header: the input's cards without `HISTORY`, structural, checksum and
/// provenance keys (and without repeats of a valued key), then the provenance cards, then
/// one `HISTORY` card per HDU.
fn primary_cards<T: AstraTask>(
    task: &T,
    spectrum: &Spectrum,
    options: &WriteOptions,
    (n, p): (usize, usize),
    mask: &str,
) -> Vec<Card> {
    let mut seen = std::collections::HashSet::new();
    let mut cards: Vec<Card> = spectrum
        .header
        .iter()
        .filter(|c| {
            let key = c.key.trim_end();
            let commentary = matches!(key, "COMMENT" | "") || matches!(c.value, CardValue::None) && key != "HISTORY";
            key != "HISTORY"
                && key != "EXTNAME"
                && !card::is_reserved(key)
                && !PROVENANCE_KEYS.contains(&key)
                && (commentary || seen.insert(key.to_string()))
        })
        .cloned()
        .collect();
    let meta = T::META;
    let [astra, task_id, created, plugin, plugver, paramhsh] = PROVENANCE_CARDS;
    cards.push(card::string(astra.0, crate::ASTRA_VERSION, astra.1));
    cards.push(card::string(task_id.0, &task.task_id(), task_id.1));
    cards.push(card::string(created.0, &now_utc(), created.1));
    cards.push(card::string(
        plugin.0,
        options.plugin.as_deref().unwrap_or(meta.family),
        plugin.1,
    ));
    cards.push(card::string(
        plugver.0,
        options.plugin_version.as_deref().unwrap_or(meta.version),
        plugver.1,
    ));
    cards.push(card::string(paramhsh.0, &task.param_hash(), paramhsh.1));
    let float = options.dtype.dtype().name();
    for (i, hdu) in HDUS.iter().enumerate().skip(1) {
        let what = match i {
            3 => format!("({n}, {p}) {mask}"),
            TASK_PARAMETERS | RESULTS => "table".to_string(),
            _ => format!("({n}, {p}) {float}"),
        };
        // The shape is left out when the card would be too long for one record.
        let text = format!("HDU {i} {}: {}, {what}", hdu.name, hdu.meaning);
        let text = if text.len() <= 72 {
            text
        } else {
            format!(
                "HDU {i} {}: {}, {}",
                hdu.name,
                hdu.meaning,
                what.rsplit(' ').next().unwrap_or_default()
            )
        };
        cards.push(card::history(&text));
    }
    cards
}

/// The spectral world-coordinate cards of the images.
fn wcs_cards(spectrum: &Spectrum) -> Vec<Card> {
    let g = &spectrum.grid;
    let [crval1, cdelt1, crpix1, ctype1, dc_flag] = WCS_CARDS;
    vec![
        card::real(crval1.0, g.crval1, crval1.1),
        card::real(cdelt1.0, g.cdelt1, cdelt1.1),
        card::real(crpix1.0, g.crpix1, crpix1.1),
        card::string(ctype1.0, g.ctype1, ctype1.1),
        card::int(dc_flag.0, g.dc_flag, dc_flag.1),
    ]
}

/// Writes the nine HDUs; `after_image` runs after each image HDU.
fn write_hdus(
    fits: &mut FitsWriter,
    product: &Product<'_, '_>,
    options: &WriteOptions,
    after_image: &mut dyn FnMut(),
) -> Result<()> {
    fits.write_primary_formatted(&product.primary)?;
    let float = Some(options.dtype.dtype());
    let images = product.images;
    let spec = |i: usize| {
        Some(crate::fits::ExtName {
            name: HDUS[i].name,
            comment: HDUS[i].meaning,
        })
    };
    create_image_hdu(
        fits,
        images.normalized_flux(),
        &product.wcs,
        spec(1),
        float,
        HDUS[1].bunit,
    )?;
    after_image();
    create_image_hdu(
        fits,
        images.normalized_ivar(),
        &product.wcs,
        spec(2),
        float,
        HDUS[2].bunit,
    )?;
    after_image();
    let bitmask: ImageData<'_> = match &product.bitmask {
        Bitmask::I16(a) => a.view().into(),
        Bitmask::I32(a) => a.view().into(),
    };
    create_image_hdu(fits, bitmask, &product.wcs, spec(3), None, HDUS[3].bunit)?;
    after_image();
    create_image_hdu(fits, images.continuum(), &product.wcs, spec(4), float, HDUS[4].bunit)?;
    after_image();
    create_image_hdu(fits, images.model_flux(), &product.wcs, spec(5), float, HDUS[5].bunit)?;
    after_image();
    create_image_hdu(fits, images.model_ivar(), &product.wcs, spec(6), float, HDUS[6].bunit)?;
    after_image();
    let rows = parameter_rows(&product.parameters);
    let name = |i: usize| crate::fits::ExtName {
        name: HDUS[i].name,
        comment: HDUS[i].meaning,
    };
    create_table_hdu(fits, name(TASK_PARAMETERS), rows, &product.parameters, &[])?;
    create_table_hdu(
        fits,
        name(RESULTS),
        product.rows,
        &product.results,
        &product.results_header,
    )
}

/// The nine HDUs as [`write_hdus`] writes them, for files assembled without cfitsio.
fn hdu_sources<'p>(product: &'p Product<'_, '_>, options: &WriteOptions) -> Vec<HduSource<'p>> {
    let float = options.dtype.dtype();
    let images = product.images;
    let image = |data: ImageData<'p>, dtype: Dtype| HduSource {
        cards: &product.wcs_formatted,
        data: DataUnit::Image(data, dtype),
    };
    let bitmask: ImageData<'p> = match &product.bitmask {
        Bitmask::I16(a) => a.view().into(),
        Bitmask::I32(a) => a.view().into(),
    };
    let bitmask_type = bitmask.dtype();
    vec![
        HduSource {
            cards: &product.primary,
            data: DataUnit::Empty,
        },
        image(images.normalized_flux().into(), float),
        image(images.normalized_ivar().into(), float),
        image(bitmask, bitmask_type),
        image(images.continuum().into(), float),
        image(images.model_flux().into(), float),
        image(images.model_ivar().into(), float),
        HduSource {
            cards: &[],
            data: DataUnit::Table(parameter_rows(&product.parameters), &product.parameters),
        },
        HduSource {
            cards: &product.results_header_formatted,
            data: DataUnit::Table(product.rows, &product.results),
        },
    ]
}

/// What makes two products' files the same layout: the image shape and types and each
/// table's rows and column descriptions (the HDU names and units never change).
fn layout_key(product: &Product<'_, '_>, options: &WriteOptions) -> String {
    use std::fmt::Write as _;
    let (n, p) = product.images.shape();
    let mask = match product.bitmask {
        Bitmask::I16(_) => 16,
        Bitmask::I32(_) => 32,
    };
    let mut key = format!("{n}x{p}/{}/{mask}", options.dtype.dtype().bitpix());
    let tables = [
        (parameter_rows(&product.parameters), &product.parameters),
        (product.rows, &product.results),
    ];
    for (rows, columns) in tables {
        let _ = write!(key, "|{rows}");
        for c in columns {
            let _ = write!(
                key,
                "|{}\t{}\t{}\t{}\t{:?}\t{:?}",
                c.name,
                c.tform(),
                c.unit,
                c.description,
                c.tnull,
                c.tdim
            );
        }
    }
    key
}

/// The number of rows of the `TASK_PARAMETERS` table (one per parameter).
fn parameter_rows(parameters: &[TableColumn]) -> usize {
    parameters.first().map_or(0, |c| match &c.data {
        crate::fits::ColumnData::Text { values, .. } => values.len(),
        _ => 0,
    })
}

/// An upper estimate of the file size, for sizing the in-memory file.
fn estimate_size(product: &Product<'_, '_>, options: &WriteOptions) -> usize {
    let (n, p) = product.images.shape();
    let float = if options.dtype == super::FloatType::F64 { 8 } else { 4 };
    let block = |bytes: usize| bytes.div_ceil(2880) * 2880;
    let mask = match product.bitmask {
        Bitmask::I16(_) => 2,
        Bitmask::I32(_) => 4,
    };
    let images = 5 * block(n * p * float) + block(n * p * mask) + 6 * 2 * 2880;
    let primary = block((product.primary.len() + 16) * 80 * 2);
    let table = |cols: &[TableColumn], rows: usize| {
        let width = crate::fits::table::row_width(cols);
        block(rows * width) + block((cols.len() * 6 + 20) * 80)
    };
    images + primary + table(&product.parameters, 64) + table(&product.results, n) + 4 * 2880
}

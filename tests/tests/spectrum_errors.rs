//! Bad spectrum files give one clear error naming the file, the HDU and what is wrong;
//! never a panic.

use std::path::{Path, PathBuf};

use astra_targets::spectrum::synthetic::{self, Labels};
use astra_targets::spectrum::{self, apstar, boss};
use fitsio::FitsFile;
use fitsio::images::{ImageDescription, ImageType};
use fitsio::tables::{ColumnDataType, ColumnDescription};

/// An apStar-like file with HDUs 1-3 of the given types and shapes, with WCS cards on HDU 1
/// (`wcs` = (CRVAL1, CTYPE1), or none at all).
fn images(path: &Path, hdus: &[(ImageType, &[usize])], wcs: Option<(f64, &str)>) {
    let mut f = FitsFile::create(path).open().unwrap();
    for (i, (kind, shape)) in hdus.iter().enumerate() {
        let hdu = f
            .create_image(
                format!("HDU{i}"),
                &ImageDescription {
                    data_type: *kind,
                    dimensions: shape,
                },
            )
            .unwrap();
        if let (0, Some((crval, ctype))) = (i, wcs) {
            hdu.write_key(&mut f, "CRVAL1", crval).unwrap();
            hdu.write_key(&mut f, "CDELT1", 6e-6).unwrap();
            hdu.write_key(&mut f, "CTYPE1", ctype).unwrap();
        }
        let n: usize = shape.iter().product();
        match kind {
            ImageType::Float => hdu.write_image(&mut f, &vec![1.0f32; n]).unwrap(),
            _ => hdu.write_image(&mut f, &vec![0i16; n]).unwrap(),
        }
    }
}

/// A spec-like file whose COADD table has `columns` (name, repeat) filled from `loglam`.
fn table(path: &Path, columns: &[(&str, usize)], loglam: &[f64]) {
    let mut f = FitsFile::create(path).open().unwrap();
    let descs: Vec<_> = columns
        .iter()
        .map(|(name, repeat)| {
            let typ = if name.to_lowercase().ends_with("mask") {
                ColumnDataType::Int
            } else {
                ColumnDataType::Double
            };
            ColumnDescription::new(*name)
                .with_type(typ)
                .that_repeats(*repeat)
                .create()
                .unwrap()
        })
        .collect();
    let hdu = f.create_table("COADD", &descs).unwrap();
    for (name, repeat) in columns {
        if name.to_lowercase().ends_with("mask") {
            hdu.write_col(&mut f, *name, &vec![0i32; loglam.len() * repeat])
                .unwrap();
        } else {
            let v: Vec<f64> = loglam.iter().flat_map(|&x| std::iter::repeat_n(x, *repeat)).collect();
            hdu.write_col(&mut f, *name, &v).unwrap();
        }
    }
}

const SPEC_COLUMNS: [(&str, usize); 5] = [("flux", 1), ("loglam", 1), ("ivar", 1), ("and_mask", 1), ("or_mask", 1)];

fn uniform(n: usize) -> Vec<f64> {
    (0..n).map(|i| 3.5523 + 1e-4 * i as f64).collect()
}

/// Reads with `read`, expects an error mentioning the file name and every one of `words`.
fn refused(read: fn(&Path) -> astra_targets::Result<spectrum::Spectrum>, path: &Path, words: &[&str]) {
    let message = match read(path) {
        Ok(_) => panic!("{path:?} was accepted"),
        Err(e) => e.to_string(),
    };
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(message.contains(name), "{message:?} does not name {name}");
    for w in words {
        assert!(message.contains(w), "{message:?} does not say {w:?}");
    }
}

fn any(p: &Path) -> astra_targets::Result<spectrum::Spectrum> {
    spectrum::read(p)
}
fn ap(p: &Path) -> astra_targets::Result<spectrum::Spectrum> {
    apstar::read(p)
}
fn bo(p: &Path) -> astra_targets::Result<spectrum::Spectrum> {
    boss::read(p)
}

fn file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn files_that_are_not_spectra() {
    let dir = tempfile::tempdir().unwrap();
    let text = file(&dir, "notes.fits");
    std::fs::write(&text, "not a FITS file at all\n".repeat(200)).unwrap();
    refused(any, &text, &["opening", "cfitsio error"]);
    refused(any, &file(&dir, "missing.fits"), &["opening"]);
    let primary_only = file(&dir, "primary.fits");
    FitsFile::create(&primary_only).open().unwrap();
    refused(any, &primary_only, &["1 HDU(s)"]);
    refused(ap, &primary_only, &["HDU 0", "flux, an error and a mask image"]);
    refused(bo, &primary_only, &["COADD table"]);
    let spec = file(&dir, "spec.fits");
    table(&spec, &SPEC_COLUMNS, &uniform(50));
    refused(ap, &spec, &["HDUs 1-3"]);
}

#[test]
fn apstar_layout_errors() {
    let dir = tempfile::tempdir().unwrap();
    use ImageType::{Float, Short};
    let wcs = Some((4.179, "LOG-LINEAR"));
    let p = file(&dir, "apStar-shape.fits");
    images(&p, &[(Float, &[3, 10]), (Float, &[2, 10]), (Short, &[3, 10])], wcs);
    refused(ap, &p, &["HDU 2", "error image has shape (2, 10)", "(3, 10)"]);
    let p = file(&dir, "apStar-floatmask.fits");
    images(&p, &[(Float, &[3, 10]), (Float, &[3, 10]), (Float, &[3, 10])], wcs);
    refused(ap, &p, &["HDU 3", "BITPIX = -32"]);
    let p = file(&dir, "apStar-nowcs.fits");
    images(&p, &[(Float, &[3, 10]), (Float, &[3, 10]), (Short, &[3, 10])], None);
    refused(ap, &p, &["HDU 1", "CRVAL1"]);
    let p = file(&dir, "apStar-3d.fits");
    images(&p, &[(Float, &[2, 3, 10]), (Float, &[3, 10]), (Short, &[3, 10])], wcs);
    refused(ap, &p, &["HDU 1", "[2, 3, 10]"]);
    let p = file(&dir, "apStar-linear.fits");
    images(
        &p,
        &[(Float, &[3, 10]), (Float, &[3, 10]), (Short, &[3, 10])],
        Some((15000.0, "WAVE")),
    );
    refused(ap, &p, &["CTYPE1", "WAVE"]);
    // A 1-D image is one spectrum.
    let p = file(&dir, "apStar-1d.fits");
    images(&p, &[(Float, &[10]), (Float, &[10]), (Short, &[10])], wcs);
    let s = apstar::read(&p).unwrap();
    assert_eq!(s.flux.dim(), (1, 10));
    assert_eq!(s.ivar[(0, 0)], 1.0);
}

#[test]
fn truncated_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = file(&dir, "apStar-cut.fits");
    synthetic::write_apstar(&a, &synthetic::apogee(1, Labels::SUN, 20.0, 2).unwrap()).unwrap();
    let b = file(&dir, "spec-cut.fits");
    synthetic::write_boss_spec(&b, &synthetic::boss(1, Labels::SUN, 20.0).unwrap()).unwrap();
    for path in [a, b] {
        let bytes = std::fs::read(&path).unwrap();
        for cut in [100, 2880, 2880 * 20, bytes.len() / 2, bytes.len() - 2880] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            refused(any, &path, &[]);
        }
    }
}

/// Writes `huge` into the value of the first `NAXIS2` card of the file.
fn announce(path: &Path, huge: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes
        .windows(10)
        .position(|w| w == b"NAXIS2  = ")
        .expect("an NAXIS2 card");
    bytes[at + 10..at + 30].copy_from_slice(format!("{huge:>20}").as_bytes());
    std::fs::write(path, &bytes).unwrap();
}

#[test]
fn headers_announcing_more_data_than_the_file_holds() {
    let dir = tempfile::tempdir().unwrap();
    // The flux image (the primary has no data): the following HDUs are then out of reach.
    let path = file(&dir, "apStar-huge.fits");
    synthetic::write_apstar(&path, &synthetic::apogee(2, Labels::SUN, 20.0, 1).unwrap()).unwrap();
    announce(&path, 4_000_000_000_000);
    refused(any, &path, &[]);
    refused(ap, &path, &[]);
    // The COADD table, the last HDU: no allocation of 4e12 values.
    let path = file(&dir, "spec-huge.fits");
    synthetic::write_boss_spec(&path, &synthetic::boss(2, Labels::SUN, 20.0).unwrap()).unwrap();
    announce(&path, 4_000_000_000_000);
    refused(any, &path, &["HDU 1", "4000000000000 values, more than the file's"]);
}

#[test]
fn spec_layout_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(&dir, "spec-nomask.fits");
    table(&p, &SPEC_COLUMNS[..4], &uniform(50));
    refused(bo, &p, &["HDU 1", "no column `or_mask`"]);
    let p = file(&dir, "spec-vector.fits");
    table(
        &p,
        &[("flux", 3), ("loglam", 1), ("ivar", 1), ("and_mask", 1), ("or_mask", 1)],
        &uniform(50),
    );
    refused(bo, &p, &["column `flux` holds 3 values per row"]);
    let p = file(&dir, "spec-gap.fits");
    let mut gap = uniform(50);
    gap[30] += 5e-5;
    table(&p, &SPEC_COLUMNS, &gap);
    refused(bo, &p, &["not a uniform grid", "loglam[30]"]);
    let p = file(&dir, "spec-down.fits");
    let mut down = uniform(50);
    down.reverse();
    table(&p, &SPEC_COLUMNS, &down);
    refused(bo, &p, &["does not increase"]);
    let p = file(&dir, "spec-short.fits");
    table(&p, &SPEC_COLUMNS, &uniform(1));
    refused(bo, &p, &["1 row(s)"]);
    // Upper-case column names and a double-precision loglam are fine.
    let p = file(&dir, "spec-upper.fits");
    table(
        &p,
        &[("FLUX", 1), ("LOGLAM", 1), ("IVAR", 1), ("AND_MASK", 1), ("OR_MASK", 1)],
        &uniform(4648),
    );
    let s = boss::read(&p).unwrap();
    assert_eq!(s.grid, spectrum::WavelengthGrid::BOSS);
}

#[test]
fn corrupted_bytes_give_a_spectrum_or_an_error_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = synthetic::Rng::new(0xC0FFEE);
    let a = file(&dir, "apStar-orig.fits");
    synthetic::write_apstar(&a, &synthetic::apogee(3, Labels::SUN, 20.0, 2).unwrap()).unwrap();
    let b = file(&dir, "spec-orig.fits");
    synthetic::write_boss_spec(&b, &synthetic::boss(3, Labels::SUN, 20.0).unwrap()).unwrap();
    let (mut ok, mut refused) = (0, 0);
    for original in [a, b] {
        let bytes = std::fs::read(&original).unwrap();
        // Headers are where corruption changes meaning: mostly hit the header blocks.
        let header_end = bytes.windows(4).rposition(|w| w == b"END ").unwrap_or(bytes.len()) + 80;
        for i in 0..150 {
            let mut damaged = bytes.clone();
            for _ in 0..1 + rng.below(8) {
                let at = if rng.uniform() < 0.8 {
                    rng.below(header_end as u64)
                } else {
                    rng.below(bytes.len() as u64)
                };
                damaged[at as usize] = match rng.below(3) {
                    0 => rng.below(256) as u8,
                    1 => b"0123456789"[rng.below(10) as usize],
                    _ => b' ',
                };
            }
            let path = file(&dir, &format!("damaged-{i}.fits"));
            std::fs::write(&path, &damaged).unwrap();
            match spectrum::read(&path) {
                Ok(s) => {
                    assert_eq!(s.flux.dim(), s.ivar.dim());
                    ok += 1;
                }
                Err(e) => {
                    assert!(e.to_string().contains(&format!("damaged-{i}.fits")), "{e}");
                    refused += 1;
                }
            }
        }
    }
    println!("corrupted files: {ok} read, {refused} refused");
    assert!(refused > 0);
}

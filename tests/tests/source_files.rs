//! The astraSource file on disk: both ways of assembling it, damage found by `verify`,
//! `copy_from` as a link or a copy, the file-system operations of `fs()`, and
//! `create_image_hdu` for plugins' own files.

mod source_support;

use std::os::unix::fs::PermissionsExt;

use astra_targets::fits::{Dtype, ExtName, FitsWriter, card, create_image_hdu};
use astra_targets::fs::{CopyMode, IfExists};
use astra_targets::source::{AstraSource, SourceImages, Staging, WriteOptions};
use astra_targets::spectrum::SpectrumKind;
use astra_targets::{Error, OutputRoot};
use astra_targets_tests::fitsverify;
use ndarray::{Array2, Array3};
use source_support::*;

fn write(source: &AstraSource<'_, SourceFit>, kind: SpectrumKind, n: usize, options: &WriteOptions) {
    let spectrum = spectrum(kind, n, 11);
    let p = spectrum.grid.npix;
    let mut noise = Noise::new(1);
    let (f, i) = (noise.array((n, p), 0.0, 1.0), noise.array((n, p), 0.0, 1.0));
    let images = SourceImages::new(&f, &i).continuum(&spectrum.flux);
    source.write_images(&spectrum, images, &results(n), options).unwrap();
}

fn image_md5s(path: &std::path::Path) -> Vec<String> {
    astropy_facts(path)
        .into_iter()
        .filter(|f| f[0] == "image")
        .map(|f| f[4].clone())
        .collect()
}

#[test]
fn memory_and_disk_staging_write_the_same_valid_file() {
    let task = task();
    let (_dir, root) = output_root();
    let memory = AstraSource::at(&task, root.join("memory.fits"));
    let disk = AstraSource::at(&task, root.join("disk.fits"));
    write(
        &memory,
        SpectrumKind::Boss,
        3,
        &WriteOptions::default().staging(Staging::Memory),
    );
    write(
        &disk,
        SpectrumKind::Boss,
        3,
        &WriteOptions::default().staging(Staging::Disk).durable(true),
    );
    for s in [&memory, &disk] {
        s.verify().unwrap();
        let (ok, text) = fitsverify(s.path());
        assert!(ok, "{text}");
    }
    let (a, b) = (
        std::fs::read(memory.path()).unwrap(),
        std::fs::read(disk.path()).unwrap(),
    );
    assert_eq!(a.len(), b.len());
    // Only the CREATED card (and so the primary CHECKSUM) may differ (a second apart).
    let differing: Vec<usize> = a
        .chunks(80)
        .zip(b.chunks(80))
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(k, _)| k)
        .collect();
    for k in &differing {
        let card = String::from_utf8_lossy(&a[k * 80..k * 80 + 8]).to_string();
        assert!(
            card.starts_with("CREATED") || card.starts_with("CHECKSUM"),
            "card {k} differs: {card}"
        );
    }
    assert_eq!(image_md5s(memory.path()), image_md5s(disk.path()));
}

#[test]
fn large_files_are_valid_both_ways_and_durable() {
    // 200 APOGEE spectra make a file of about 38 MB: written in pieces when durable from
    // memory, converted image by image with early writeback when on disk.
    let task = task();
    let (_dir, root) = output_root();
    let source = AstraSource::at(&task, root.join("big.fits"));
    write(
        &source,
        SpectrumKind::Apogee,
        200,
        &WriteOptions::default().durable(true),
    );
    assert!(std::fs::metadata(source.path()).unwrap().len() > 16 << 20);
    source.verify().unwrap();
    let (ok, text) = fitsverify(source.path());
    assert!(ok, "{text}");
    write(
        &source,
        SpectrumKind::Apogee,
        200,
        &WriteOptions::default().durable(true).staging(Staging::Disk),
    );
    source.verify().unwrap();
    let (ok, text) = fitsverify(source.path());
    assert!(ok, "{text}");
}

#[test]
fn damage_is_found_by_verify() {
    let task = task();
    let (_dir, root) = output_root();
    let source = AstraSource::new(&task, &OutputRoot::new(&root)).unwrap();
    write(&source, SpectrumKind::Apogee, 1, &WriteOptions::default());
    source.verify().unwrap();
    let good = std::fs::read(source.path()).unwrap();

    // One flipped bit in the pixels of NORMALIZED_IVAR (HDU 2).
    let mut bad = good.clone();
    let offset = find_extname(&good, "NORMALIZED_IVAR") + 2880 + 100;
    bad[offset] ^= 0x10;
    std::fs::write(source.path(), &bad).unwrap();
    assert!(source.exists(), "the cheap check does not read the data");
    let err = source.verify().expect_err("damage found");
    assert!(
        matches!(&err, Error::Invalid { reason, .. } if reason.contains("HDU 2 (NORMALIZED_IVAR)") && reason.contains("wrong")),
        "{err}"
    );

    // A truncated file neither exists nor verifies.
    std::fs::write(source.path(), &good[..good.len() - 2880]).unwrap();
    let err = source.verify().expect_err("truncation found");
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
    std::fs::write(source.path(), &good[..good.len() - 100]).unwrap();
    assert!(!source.exists());

    // A file without checksums does not verify.
    write(
        &source,
        SpectrumKind::Apogee,
        1,
        &WriteOptions::default().checksum(false),
    );
    let text = String::from_utf8_lossy(&std::fs::read(source.path()).unwrap()).to_string();
    assert!(!text.contains("CHECKSUM=") && !text.contains("DATASUM ="));
    let err = source.verify().expect_err("no checksums");
    assert!(err.to_string().contains("missing"), "{err}");
    let (ok, out) = fitsverify(source.path());
    assert!(ok, "{out}");
    // Its layout and columns verify without the checksums; damage to them is found.
    source.verify_layout().unwrap();
    let other = OtherFit {
        telescope: "apo25m".into(),
    };
    let err = AstraSource::at(&other, source.path())
        .verify_layout()
        .expect_err("another model");
    assert!(err.to_string().contains("RESULTS has 23 columns"), "{err}");
    let unsummed = std::fs::read(source.path()).unwrap();
    let offset = find_extname(&unsummed, "TASK_PARAMETERS");
    std::fs::write(source.path(), &unsummed[..offset]).unwrap();
    let err = source.verify_layout().expect_err("missing HDUs");
    assert!(err.to_string().contains("7 HDUs instead of 9"), "{err}");
    // A checksummed file verifies both ways.
    write(&source, SpectrumKind::Apogee, 1, &WriteOptions::default());
    source.verify().unwrap();
    source.verify_layout().unwrap();
}

fn find_extname(bytes: &[u8], name: &str) -> usize {
    let card = format!("EXTNAME = '{name}'");
    bytes
        .chunks(80)
        .position(|c| c.starts_with(card.as_bytes()))
        .expect("EXTNAME card")
        * 80
        / 2880
        * 2880
}

#[test]
fn copy_from_links_or_copies_replacing_atomically() {
    let task = task();
    let (_dir, root) = output_root();
    let original = AstraSource::at(&task, root.join("a/original.fits"));
    write(&original, SpectrumKind::Boss, 1, &WriteOptions::default());
    std::fs::set_permissions(original.path(), std::fs::Permissions::from_mode(0o640)).unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    std::fs::File::open(original.path()).unwrap().set_modified(old).unwrap();

    let linked = AstraSource::at(&task, root.join("b/linked.fits"));
    std::fs::create_dir_all(root.join("b")).unwrap();
    std::fs::write(linked.path(), b"an old file in the way").unwrap();
    linked.copy_from(original.path(), CopyMode::Symlink).unwrap();
    let target = std::fs::read_link(linked.path()).unwrap();
    assert!(
        target.is_absolute() && target.ends_with("a/original.fits"),
        "{target:?}"
    );
    linked.verify().unwrap();
    assert!(linked.exists());

    let copied = AstraSource::at(&task, root.join("c/copied.fits"));
    copied.copy_from(&original, CopyMode::Copy).unwrap();
    let meta = std::fs::symlink_metadata(copied.path()).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert_eq!(meta.modified().unwrap(), old);
    assert_eq!(
        std::fs::read(copied.path()).unwrap(),
        std::fs::read(original.path()).unwrap()
    );
    for dir in ["b", "c"] {
        assert_eq!(files_below(&root.join(dir)).len(), 1, "no temporary file in {dir}");
    }
    let missing = AstraSource::at(&task, root.join("d/x.fits"));
    assert!(matches!(
        missing.copy_from(root.join("nope.fits"), CopyMode::Copy),
        Err(Error::Io { .. })
    ));
}

#[test]
fn create_image_hdu_writes_any_image_for_plugins() {
    let (_dir, root) = output_root();
    std::fs::create_dir_all(&root).unwrap();
    let path = root.join("plugin.fits");
    let mut fits = FitsWriter::create_file(&path, true).unwrap();
    fits.write_primary(&[card::string("PLUGIN", "example", "Who wrote this")])
        .unwrap();
    let counts = Array3::<i16>::from_shape_fn((2, 3, 5), |(a, b, c)| (a * 100 + b * 10 + c) as i16 - 50);
    let header = [
        card::real("CRVAL1", 4.179, "start"),
        card::real("CDELT1", 6e-6, "step"),
        card::real("CRPIX1", 1.0, "reference pixel"),
        card::string("CTYPE1", "LOG-LINEAR", "axis"),
        card::string("BUNIT", "ignored", "BUNIT is given apart"),
    ];
    create_image_hdu(
        &mut fits,
        &counts,
        &header,
        Some(ExtName {
            name: "COUNTS",
            comment: "Counts per cell",
        }),
        Some(Dtype::F32),
        Some("s"),
    )
    .unwrap();
    let plain = Array2::<f64>::from_shape_fn((2, 4), |(a, b)| a as f64 * 0.5 - b as f64);
    create_image_hdu(&mut fits, &plain, &[], Some("PLAIN".into()), None, None).unwrap();
    let lossy =
        create_image_hdu(&mut fits, &plain, &[], None, Some(Dtype::I16), None).expect_err("float to int refused");
    assert!(
        lossy.to_string().contains("float64") && lossy.to_string().contains("int16"),
        "{lossy}"
    );
    drop(fits);
    std::fs::remove_file(&path).unwrap();

    let mut fits = FitsWriter::create_file(&path, true).unwrap();
    fits.write_primary(&[]).unwrap();
    create_image_hdu(
        &mut fits,
        &counts,
        &header,
        Some(ExtName {
            name: "COUNTS",
            comment: "Counts per cell",
        }),
        Some(Dtype::F32),
        Some("s"),
    )
    .unwrap();
    create_image_hdu(&mut fits, &plain, &[], Some("PLAIN".into()), None, None).unwrap();
    fits.close().unwrap();
    let (ok, text) = fitsverify(&path);
    assert!(ok, "{text}");
    let facts = astropy_facts(&path);
    let f32s: Vec<f32> = counts.iter().map(|&x| f32::from(x)).collect();
    let image = |i: &str| facts.iter().find(|f| f[0] == "image" && f[1] == i).unwrap().clone();
    assert_eq!(
        image("1")[2..],
        [
            "float32".to_string(),
            "[2, 3, 5]".into(),
            md5_le(f32s.into_iter(), |x| x.to_le_bytes().to_vec())
        ]
    );
    assert_eq!(
        image("2")[2..],
        [
            "float64".to_string(),
            "[2, 4]".into(),
            md5_le(plain.iter().copied(), |x| x.to_le_bytes().to_vec())
        ]
    );
    let keys = facts_of(&facts, "key", 1);
    assert_eq!(
        (keys["EXTNAME"][4].as_str(), keys["EXTNAME"][5].as_str()),
        ("COUNTS", "Counts per cell")
    );
    assert_eq!(keys["BUNIT"][4], "s");
    assert_eq!(keys["CRVAL1"][4], "4.179");
    assert!(
        facts
            .iter()
            .filter(|f| f[0] == "hdu")
            .all(|f| f[3] == "1" && f[4] == "1"),
        "checksums"
    );
}

/// Results of another task, to check files against the wrong model.
#[derive(Debug, Clone, PartialEq, astra_targets::AstraResults)]
struct OtherResults {
    /// Signal-to-noise ratio
    snr: f32,
}

/// Another task, with other result columns.
#[derive(Debug, Clone, astra_targets::AstraTask)]
#[astra(family = "OtherFit", namespace = "otherfit", version = "0.1.0", results = OtherResults)]
struct OtherFit {
    /// Telescope name
    telescope: String,
}

#[test]
fn verify_checks_the_layout_and_the_results_model() {
    let task = task();
    let (_dir, root) = output_root();
    let source = AstraSource::at(&task, root.join("x.fits"));
    write(&source, SpectrumKind::Boss, 1, &WriteOptions::default());
    source.verify().unwrap();
    let other = OtherFit {
        telescope: "apo25m".into(),
    };
    let err = AstraSource::at(&other, source.path())
        .verify()
        .expect_err("another model");
    assert!(
        err.to_string().contains("RESULTS has 23 columns; the model has 4"),
        "{err}"
    );

    // A valid, checksummed FITS file whose HDUs are not the astraSource layout.
    let path = root.join("other-layout.fits");
    let mut fits = FitsWriter::create_file(&path, true).unwrap();
    fits.write_primary(&[]).unwrap();
    let image = Array2::<f32>::zeros((1, 10));
    for name in ["NORMALIZED_FLUX", "MODEL_FLUX"] {
        create_image_hdu(&mut fits, &image, &[], Some(name.into()), None, Some("")).unwrap();
    }
    fits.close().unwrap();
    let (ok, text) = fitsverify(&path);
    assert!(ok, "{text}");
    let err = AstraSource::at(&task, &path).verify().expect_err("wrong layout");
    assert!(err.to_string().contains("3 HDUs instead of 9"), "{err}");
}

#[test]
fn threads_write_files_side_by_side() {
    let (_dir, root) = output_root();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let root = root.clone();
            scope.spawn(move || {
                let task = task();
                for i in 0..5 {
                    let kind = if (t + i) % 2 == 0 {
                        SpectrumKind::Apogee
                    } else {
                        SpectrumKind::Boss
                    };
                    let source = AstraSource::at(&task, root.join(format!("t{t}/f{i}.fits")));
                    write(&source, kind, 1 + i % 3, &WriteOptions::default());
                    source.verify().unwrap();
                }
            });
        }
    });
    assert_eq!(files_below(&root).len(), 20);
    let (ok, text) = fitsverify(root.join("t3/f4.fits"));
    assert!(ok, "{text}");
}

#[test]
fn file_operations_work_on_the_astrasource_path() {
    let task = task();
    let (_dir, root) = output_root();
    let source = AstraSource::at(&task, root.join("a/source.fits"));
    write(&source, SpectrumKind::Apogee, 2, &WriteOptions::default());
    let bytes = std::fs::read(source.path()).unwrap();

    // copy, refused the second time with IfExists::Refuse
    let copy = AstraSource::at(&task, root.join("b/copy.fits"));
    source.fs().copy(copy.path(), IfExists::Refuse).unwrap();
    copy.verify().unwrap();
    match source.fs().copy(copy.path(), IfExists::Refuse) {
        Err(Error::AlreadyExists { path }) => assert_eq!(path, copy.path()),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }

    // move: the old path is empty, the new one holds the same bytes
    let moved = AstraSource::at(&task, root.join("c/moved.fits"));
    source.fs().move_to(moved.path(), IfExists::Replace).unwrap();
    assert!(!source.exists() && !source.fs().exists());
    assert!(moved.exists());
    assert_eq!(std::fs::read(moved.path()).unwrap(), bytes);
    moved.verify().unwrap();

    // remove
    copy.fs().remove().unwrap();
    assert!(!copy.path().exists());
    assert!(!copy.exists());

    // FileTarget::exists is anything at the path; AstraSource::exists a complete file
    std::fs::write(source.path(), b"not FITS").unwrap();
    assert!(source.fs().exists());
    assert!(!source.exists());
    assert_eq!(source.fs().path(), source.path());
}

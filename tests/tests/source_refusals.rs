//! Every refusal of the astraSource writer: one clear error naming the thing and its
//! value, nothing written (no file, no temporary file, not even a folder), and an existing
//! file left untouched.

mod source_support;

use std::path::Path;

use astra_targets::fs::IfExists;
use astra_targets::source::{AstraSource, SourceImages, WriteOptions};
use astra_targets::spectrum::{PixelMask, Spectrum, SpectrumKind, WavelengthGrid};
use astra_targets::{Error, OutputRoot};
use ndarray::{Array1, Array2, Array3};
use source_support::*;

/// Inputs of one write, to be spoiled by each case.
struct Inputs {
    spectrum: Spectrum,
    flux: Array2<f32>,
    ivar: Array2<f32>,
    model: Array2<f32>,
    rows: Vec<FitResults>,
    task: SourceFit,
}

fn inputs(n: usize) -> Inputs {
    let spectrum = spectrum(SpectrumKind::Apogee, n, 3);
    let p = spectrum.grid.npix;
    let mut noise = Noise::new(5);
    Inputs {
        flux: noise.array((n, p), 0.0, 1.0),
        ivar: noise.array((n, p), 0.0, 1.0),
        model: noise.array((n, p), 0.0, 1.0),
        rows: results(n),
        spectrum,
        task: task(),
    }
}

fn write_default(source: &AstraSource<'_, SourceFit>, i: &Inputs) -> astra_targets::Result<()> {
    let images = SourceImages::new(&i.flux, &i.ivar).model_flux(&i.model);
    source.write_images(&i.spectrum, images, &i.rows, &WriteOptions::default())
}

/// Runs `attempt` twice: with no file at the destination (nothing may appear below the
/// output root), and over a good file (which must keep its bytes). Returns the error.
fn refused(
    spoil: impl Fn(&mut Inputs),
    attempt: impl Fn(&AstraSource<'_, SourceFit>, &Inputs) -> astra_targets::Result<()>,
) -> Error {
    let mut bad = inputs(3);
    spoil(&mut bad);
    let (_dir, root) = output_root();
    let source = AstraSource::new(&bad.task, &OutputRoot::new(&root)).unwrap();
    let err = attempt(&source, &bad).expect_err("the write must be refused");
    assert!(!root.exists(), "nothing written, not even a folder, for {err}");

    // Over an existing good file (of the same path when the task is unchanged).
    let good = inputs(3);
    let (_dir2, root2) = output_root();
    let good_source = AstraSource::new(&good.task, &OutputRoot::new(&root2)).unwrap();
    write_default(&good_source, &good).unwrap();
    let before = std::fs::read(good_source.path()).unwrap();
    let bad_source = AstraSource::at(&bad.task, good_source.path());
    let again = attempt(&bad_source, &bad).expect_err("refused again");
    assert_eq!(again.to_string(), err.to_string());
    assert_eq!(
        std::fs::read(good_source.path()).unwrap(),
        before,
        "the existing file is untouched"
    );
    assert_eq!(
        files_below(&root2),
        vec![good_source.path().to_path_buf()],
        "no temporary file left"
    );
    err
}

fn shape_error(err: Error) -> (&'static str, Vec<usize>, String, String) {
    let text = err.to_string();
    match err {
        Error::Shape { array, shape, expected } => (array, shape, expected, text),
        other => panic!("expected a shape error, got {other:?}"),
    }
}

#[test]
fn ivar_of_another_shape() {
    let (array, shape, expected, text) = shape_error(refused(|i| i.ivar = Array2::zeros((2, 8575)), write_default));
    assert_eq!((array, shape), ("normalized_ivar", vec![2, 8575]));
    assert!(expected.contains("[3, 8575]"), "{text}");
    assert!(
        text.contains("normalized_ivar") && text.contains("[2, 8575]") && text.contains("[3, 8575]"),
        "{text}"
    );
}

#[test]
fn model_flux_continuum_and_model_ivar_of_another_shape() {
    let (array, shape, ..) = shape_error(refused(|i| i.model = Array2::zeros((3, 100)), write_default));
    assert_eq!((array, shape), ("model_flux", vec![3, 100]));
    let bad = Array2::<f32>::zeros((3, 10));
    let (array, ..) = shape_error(refused(
        |_| {},
        |s, i| {
            let images = SourceImages::new(&i.flux, &i.ivar).continuum(&bad).model_flux(&i.model);
            s.write_images(&i.spectrum, images, &i.rows, &WriteOptions::default())
        },
    ));
    assert_eq!(array, "continuum");
    let (array, ..) = shape_error(refused(
        |_| {},
        |s, i| {
            let images = SourceImages::new(&i.flux, &i.ivar)
                .model_flux(&i.model)
                .model_ivar(&bad);
            s.write_images(&i.spectrum, images, &i.rows, &WriteOptions::default())
        },
    ));
    assert_eq!(array, "model_ivar");
    // The seed-shaped write: continuum, model flux, model inverse variance, in that order.
    let (array, ..) = shape_error(refused(
        |_| {},
        |s, i| {
            s.write(
                &i.spectrum,
                &i.flux,
                &i.ivar,
                Some((&bad).into()),
                None,
                None,
                &i.rows,
                &WriteOptions::default(),
            )
        },
    ));
    assert_eq!(array, "continuum");
    let (array, ..) = shape_error(refused(
        |_| {},
        |s, i| {
            s.write(
                &i.spectrum,
                &i.flux,
                &i.ivar,
                None,
                None,
                Some((&bad).into()),
                &i.rows,
                &WriteOptions::default(),
            )
        },
    ));
    assert_eq!(array, "model_ivar");
}

#[test]
fn more_spectra_than_pixels() {
    let t = Array2::<f32>::zeros((8575, 3));
    let (array, shape, expected, _) = shape_error(refused(
        |_| {},
        |s, i| s.write(&i.spectrum, &t, &t, None, None, None, &i.rows, &WriteOptions::default()),
    ));
    assert_eq!((array, shape), ("normalized_flux", vec![8575, 3]));
    assert!(expected.contains("N > P"), "{expected}");
}

#[test]
fn three_dimensional_arrays() {
    let cube = Array3::<f32>::zeros((1, 3, 8575));
    let (array, shape, ..) = shape_error(refused(
        |_| {},
        |s, i| {
            s.write(
                &i.spectrum,
                &i.flux,
                &cube,
                None,
                None,
                None,
                &i.rows,
                &WriteOptions::default(),
            )
        },
    ));
    assert_eq!((array, shape), ("normalized_ivar", vec![1, 3, 8575]));
}

#[test]
fn results_of_another_length() {
    let (array, shape, expected, _) = shape_error(refused(|i| i.rows.truncate(2), write_default));
    assert_eq!((array, shape), ("results", vec![2]));
    assert!(expected.contains("[3, 8575]"));
    // A single 1-D spectrum with two result rows.
    let one = Array1::<f32>::zeros(8575);
    let (array, ..) = shape_error(refused(
        |_| {},
        |s, i| {
            s.write(
                &i.spectrum,
                &one,
                &one,
                None,
                None,
                None,
                &i.rows[..2],
                &WriteOptions::default(),
            )
        },
    ));
    assert_eq!(array, "results");
}

#[test]
fn a_grid_of_another_length() {
    let (array, _, expected, _) = shape_error(refused(|i| i.spectrum.grid = WavelengthGrid::BOSS, write_default));
    assert_eq!(array, "normalized_flux");
    assert!(expected.contains("4648"), "{expected}");
}

#[test]
fn bitmask_of_the_wrong_type_or_shape() {
    let err = refused(
        |i| {
            let m = Array2::<i32>::zeros((3, 8575));
            i.spectrum.mask = PixelMask::AndOr {
                and_mask: m.clone(),
                or_mask: m,
            };
        },
        write_default,
    );
    assert!(
        matches!(
            err,
            Error::BitmaskType {
                kind: "APOGEE",
                found: "int32",
                expected: "int16"
            }
        ),
        "{err:?}"
    );
    let (array, shape, ..) = shape_error(refused(
        |i| i.spectrum.mask = PixelMask::Single(Array2::zeros((2, 8575))),
        write_default,
    ));
    assert_eq!((array, shape), ("bitmask", vec![2, 8575]));
}

#[test]
fn non_ascii_parameter_value() {
    let err = refused(|i| i.task.label = "naïve fit".into(), write_default);
    match &err {
        Error::NonAscii { what, value } => {
            assert!(what.contains("label"), "{what}");
            assert_eq!(value, "naïve fit");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_ascii_or_too_long_text_column() {
    let err = refused(|i| i.rows[2].grid = "grille_é".into(), write_default);
    match &err {
        Error::NonAscii { what, value } => {
            assert!(what.contains("RESULTS column GRID"), "{what}");
            assert_eq!(value, "grille_é");
        }
        other => panic!("{other:?}"),
    }
    let err = refused(|i| i.rows[0].grid = "a_name_longer_than_twelve".into(), write_default);
    assert!(
        matches!(&err, Error::Column { column, .. } if column.contains("GRID")),
        "{err:?}"
    );
    assert!(err.to_string().contains("a_name_longer_than_twelve"), "{err}");
}

#[test]
fn a_value_equal_to_the_null_stand_in() {
    let err = refused(|i| i.rows[0].n_iter = Some(i32::MIN), write_default);
    assert!(
        matches!(&err, Error::Column { column, .. } if column == "N_ITER"),
        "{err:?}"
    );
    assert!(err.to_string().contains("TNULL"), "{err}");
}

#[test]
fn existing_file_refused_with_if_exists_refuse() {
    let i = inputs(3);
    let (_dir, root) = output_root();
    let source = AstraSource::new(&i.task, &OutputRoot::new(&root)).unwrap();
    write_default(&source, &i).unwrap();
    let before = std::fs::read(source.path()).unwrap();
    let no = WriteOptions::default().if_exists(IfExists::Refuse);
    let err = source
        .write(&i.spectrum, &i.flux, &i.ivar, None, None, None, &i.rows, &no)
        .expect_err("refused");
    assert!(
        matches!(&err, Error::AlreadyExists { path: p } if p == source.path()),
        "{err:?}"
    );
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read(source.path()).unwrap(), before);
    assert_eq!(files_below(&root), vec![source.path().to_path_buf()]);
    // Replacing (the default) replaces it; refusing, a new path is written.
    source
        .write(
            &i.spectrum,
            &i.flux,
            &i.ivar,
            None,
            None,
            None,
            &i.rows,
            &WriteOptions::default(),
        )
        .unwrap();
    assert_ne!(std::fs::read(source.path()).unwrap(), before);
    let other = AstraSource::at(&i.task, source.path().with_file_name("new.fits"));
    other
        .write(&i.spectrum, &i.flux, &i.ivar, None, None, None, &i.rows, &no)
        .unwrap();
    other.verify().unwrap();
    assert_eq!(files_below(Path::new(source.path().parent().unwrap())).len(), 2);
}

#[test]
fn too_long_text_is_refused_before_any_folder_is_made() {
    let i = inputs(3);
    let (_dir, root) = output_root();
    let source = AstraSource::new(&i.task, &OutputRoot::new(&root)).unwrap();
    let mut rows = i.rows.clone();
    rows[1].grid = "x".repeat(40);
    let images = SourceImages::new(&i.flux, &i.ivar);
    let err = source
        .write_images(&i.spectrum, images, &rows, &WriteOptions::default())
        .expect_err("refused");
    assert!(
        matches!(&err, Error::Column { column, .. } if column.contains("GRID")),
        "{err:?}"
    );
    assert!(!root.exists(), "no folder tree left behind: {:?}", files_below(&root));
}

#[test]
fn a_file_in_the_way_of_the_folder_is_named_plainly() {
    let i = inputs(1);
    let (_dir, root) = output_root();
    std::fs::create_dir_all(&root).unwrap();
    let blocker = root.join("thepayne");
    std::fs::write(&blocker, b"a file").unwrap();
    let source = AstraSource::at(&i.task, blocker.join("star/AstraSource.fits"));
    let err = source
        .write_images(
            &i.spectrum,
            SourceImages::new(&i.flux, &i.ivar),
            &i.rows,
            &WriteOptions::default(),
        )
        .expect_err("refused");
    match &err {
        Error::NotAFolder { path, .. } => assert_eq!(path, &blocker),
        other => panic!("expected NotAFolder, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains(&format!("{blocker:?} is a file, not a folder")),
        "{err}"
    );
    assert_eq!(files_below(&root), vec![blocker]);
}

#[test]
fn an_input_header_card_fits_cannot_hold() {
    let err = refused(
        |i| {
            i.spectrum.header.push(astra_targets::fits::Card {
                key: "OBSERVER".into(),
                value: astra_targets::fits::CardValue::Str("Ångström".into()),
                comment: String::new(),
            })
        },
        write_default,
    );
    assert!(matches!(&err, Error::Card { key, .. } if key == "OBSERVER"), "{err:?}");
}

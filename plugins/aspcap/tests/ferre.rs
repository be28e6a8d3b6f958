//! FERRE's files: a batch written in FERRE's formats, checked to the character, and
//! FERRE-format outputs (made here, as FERRE writes them) read back, matched by name
//! through missing and reordered lines, with sentinels and NaN as missing values, and
//! truncated or malformed files refused with the file and the line.

use std::path::Path;

use astra_aspcap::input::names;
use astra_aspcap::{ContinuumFit, FerreBatch, FerreError, FerreRun, GridHeader, Parameter, Point};

/// A grid header as FERRE's grids have them (with keys this crate does not use), of four
/// dimensions and five pixels.
const HEADER: &str = " &SYNTH
 MULTI = 0
 ID = 'test grid'
 N_OF_DIM = 4
 NPIX = 5
 LABEL(1) = 'LOG10VDOP'
 LABEL(2) = 'METALS'
 LABEL(3) = 'LOGG'
 LABEL(4) = 'TEFF'
 N_P = 5 9 11 13
 LLIMITS = -0.301030 -2.50 0.0 3500.0
 STEPS = 0.301030 0.25 0.5 250.0
 WAVE = 4.179 6e-06
 LOGW = 1
 RESOLUTION = 22500.0
 /
";

fn write_header(dir: &Path) -> GridHeader {
    let path = dir.join("grid.hdr");
    std::fs::write(&path, HEADER).unwrap();
    GridHeader::read(&path).unwrap()
}

#[test]
fn a_grid_header_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let header = write_header(dir.path());
    assert_eq!(
        header.parameters(),
        [Parameter::Log10VMicro, Parameter::MH, Parameter::Logg, Parameter::Teff]
    );
    assert_eq!((header.n_dim(), header.npix()), (4, 5));
    assert_eq!(header.limits(3), (3500.0, 6500.0));
    assert_eq!(header.dimension(Parameter::CM), None);

    let bad = dir.path().join("bad.hdr");
    std::fs::write(&bad, HEADER.replace("'METALS'", "'FE_H'")).unwrap();
    let err = GridHeader::read(&bad).unwrap_err().to_string();
    assert!(
        err.contains("bad.hdr, line 7: LABEL(2) = 'FE_H' is not one of ASPCAP's parameters"),
        "{err}"
    );
}

fn batch(dir: &Path) -> FerreBatch {
    let header = write_header(dir);
    let mut batch = FerreBatch::new(header)
        .synthfile("grid.hdr")
        .freeze(Parameter::Log10VMicro)
        .freeze(Parameter::CM) // not in the grid: ignored
        .n_threads(4);
    batch
        .push(
            "2M00001023-0000126_0",
            &Point::new()
                .with(Parameter::Teff, 4800.0)
                .with(Parameter::Logg, 2.5)
                .with(Parameter::MH, -0.75)
                .with(Parameter::Log10VMicro, 0.3),
            &[1000.0, 950.5, f32::NAN, 1012.25, 1e-3],
            &[1e-4, 4e-4, 1.0, 0.0, 1e6],
        )
        .unwrap();
    // Teff beyond the grid's edge, logg unset (the grid's centre), metallicity on the edge.
    batch
        .push(
            "2M00001023-0000126_1",
            &Point::new().with(Parameter::Teff, 9000.0).with(Parameter::MH, -2.5),
            &[1.0; 5],
            &[f32::INFINITY, -1.0, 1.0, 1.0, 4.0],
        )
        .unwrap();
    batch
}

#[test]
fn a_batch_is_written_in_ferres_formats() {
    let dir = tempfile::tempdir().unwrap();
    let batch = batch(dir.path());
    let control = batch.write(&dir.path().join("run")).unwrap();
    assert_eq!(control, dir.path().join("run/input.nml"));
    let read = |name: &str| std::fs::read_to_string(dir.path().join("run").join(name)).unwrap();

    assert_eq!(
        read(names::PARAMETERS),
        "2M00001023-0000126_0                         0.30000    -0.75000     2.50000  4800.00000\n\
         2M00001023-0000126_1                         0.30103    -2.48000     2.50000  6470.00000\n"
    );
    assert_eq!(
        read(names::FLUX),
        "1.0000e+03 9.5050e+02 0.0000e+00 0.0000e+00 1.0000e-03\n\
         0.0000e+00 0.0000e+00 1.0000e+00 1.0000e+00 1.0000e+00\n"
    );
    assert_eq!(
        read(names::ERRORS),
        "1.0000e+02 5.0000e+01 1.0000e+10 1.0000e+10 1.0000e-03\n\
         1.0000e+10 1.0000e+10 1.0000e+00 1.0000e+00 5.0000e-01\n"
    );
    assert_eq!(
        read(names::CONTROL),
        " &LISTA
 NDIM = 4
 NOV = 3
 INDV = 2 3 4
 SYNTHFILE(1) = 'grid.hdr'
 PFILE = 'parameter.input'
 FFILE = 'flux.input'
 ERFILE = 'e_flux.input'
 OPFILE = 'parameter.output'
 OFFILE = 'rectified_model_flux.output'
 SFFILE = 'rectified_flux.output'
 ERRBAR = 1
 INIT = 0
 ALGOR = 3
 NRUNS = 1
 NTHREADS = 4
 COVPRINT = 0
 INTER = 3
 F_FORMAT = 1
 F_ACCESS = 0
 CONT = 1
 NCONT = 4
 REJECTCONT = 0.3
 OBSCONT = 1
 /
"
    );
    // Only the four files: no temporary left behind.
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("run"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["e_flux.input", "flux.input", "input.nml", "parameter.input"]);

    // A batch is written once: the folder is refused the second time, and left as it was.
    let err = batch.write(&dir.path().join("run")).unwrap_err().to_string();
    assert!(err.contains("parameter.input: exists"), "{err}");
    assert_eq!(read(names::FLUX).lines().count(), 2);

    // Without continuum normalization, with the covariance printed.
    let plain = batch.clone().continuum(ContinuumFit::None).print_covariance();
    let text = plain.control_text();
    assert!(text.contains(" COVPRINT = 1\n") && !text.contains("CONT"), "{text}");
}

#[test]
fn bad_spectra_and_settings_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut batch = batch(dir.path());
    let p = Point::new();
    let cases: [(&str, &[f32], &str); 4] = [
        (
            "2M00001023-0000126_0",
            &[1.0; 5],
            "the batch already has a spectrum of this name",
        ),
        ("a b", &[1.0; 5], "the name has the character ' '"),
        (
            &"x".repeat(41),
            &[1.0; 5],
            "the name has 41 characters, FERRE's files hold at most 40",
        ),
        ("short", &[1.0; 4], "4 flux and 4 inverse variance values"),
    ];
    for (name, flux, expected) in cases {
        let err = batch.push(name, &p, flux, flux).unwrap_err();
        assert!(matches!(err, FerreError::Spectrum { .. }), "{err}");
        assert!(err.to_string().contains(expected), "{err}");
    }
    let err = batch
        .push(
            "nan",
            &Point::new().with(Parameter::Teff, f64::NAN),
            &[1.0; 5],
            &[1.0; 5],
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "spectrum nan: the initial teff is NaN");
    assert_eq!(batch.len(), 2);

    let err = batch.clone().interpolation_order(5).write(dir.path()).unwrap_err();
    assert_eq!(err.to_string(), "INTER = 5 is out of range: 0 to 4");
    let all_frozen = [Parameter::Teff, Parameter::Logg, Parameter::MH]
        .into_iter()
        .fold(batch.clone(), FerreBatch::freeze);
    let err = all_frozen.write(dir.path()).unwrap_err();
    assert!(err.to_string().starts_with("INDV = (empty) is out of range"), "{err}");
    // Nothing was written.
    assert!(!dir.path().join("input.nml").exists());
}

/// Writes FERRE-format outputs for the batch of [`batch`] in `dir/run`: the second
/// spectrum first (FERRE writes them as its threads finish), with the given extra lines.
fn write_outputs(run: &Path, opfile: &str, offile: &str, sffile: &str) {
    std::fs::write(run.join(names::PARAMETER_OUTPUT), opfile).unwrap();
    std::fs::write(run.join(names::MODEL_FLUX_OUTPUT), offile).unwrap();
    std::fs::write(run.join(names::FLUX_OUTPUT), sffile).unwrap();
}

const OPFILE: &str = "\
2M00001023-0000126_1 0.3 -2.1 -9999. 6400.5 0.0 0.05 -999.0 35.2 0.95 3.1 NaN
2M00001023-0000126_0  .30000E+00 -.4912E+00 0.2611E+01 0.4811E+04 0. 0.012 0.031 12.5 1.0 4.3 0.12
";
const OFFILE: &str = "\
2M00001023-0000126_1 1.0 0.99 NaN 0.97 -9999.
2M00001023-0000126_0 0.98 0.97 0.96 0.95 0.94
";
const SFFILE: &str = "\
2M00001023-0000126_0 1.01 0.96 0.0 0.95 0.93
2M00001023-0000126_1 1.0 1.0 1.0 1.0 1.0
";

#[test]
fn outputs_are_matched_by_name_with_missing_values() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let control = batch(dir.path()).write(&run_dir).unwrap();
    std::fs::copy(dir.path().join("grid.hdr"), run_dir.join("grid.hdr")).unwrap();
    write_outputs(&run_dir, OPFILE, OFFILE, SFFILE);
    let run = FerreRun::read(&control).unwrap();
    assert_eq!(run.input_names(), ["2M00001023-0000126_0", "2M00001023-0000126_1"]);
    assert!(!run.is_free(0) && run.is_free(1) && run.is_free(3));
    assert_eq!(run.md5().len(), 32);

    let first = run.fit("2M00001023-0000126_0").unwrap();
    assert_eq!(first.output_index, 1);
    assert_eq!(first.initial, [0.3, -0.75, 2.5, 4800.0]);
    assert_eq!(first.values, [Some(0.3), Some(-0.4912), Some(2.611), Some(4811.0)]);
    // An error of 0 is no error.
    assert_eq!(first.errors, [None, Some(0.012), Some(0.031), Some(12.5)]);
    assert_eq!(
        (first.frac_phot_data_points, first.log_snr_sq, first.log_chisq_fit),
        (Some(1.0), Some(4.3), Some(0.12))
    );

    let second = run.fit("2M00001023-0000126_1").unwrap();
    assert_eq!(second.output_index, 0);
    // -9999 (logg) and -999 (an error) are missing, as is the NaN chi-squared.
    assert_eq!(second.values, [Some(0.3), Some(-2.1), None, Some(6400.5)]);
    assert_eq!(second.errors, [None, Some(0.05), None, Some(35.2)]);
    assert_eq!(second.log_chisq_fit, None);
    let model = run.model_flux("2M00001023-0000126_1").unwrap();
    assert_eq!(model[..2], [1.0, 0.99]);
    assert!(model[2].is_nan() && model[4].is_nan());
    assert_eq!(run.normalized_flux("2M00001023-0000126_0").unwrap()[0], 1.01);
    assert!(run.fit("other").is_none());
}

#[test]
fn a_spectrum_ferre_left_out_is_missing_from_the_files_that_lack_it() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let control = batch(dir.path()).write(&run_dir).unwrap();
    std::fs::copy(dir.path().join("grid.hdr"), run_dir.join("grid.hdr")).unwrap();
    let only_first = |text: &str| -> String {
        text.lines()
            .filter(|l| l.contains("_0 "))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    write_outputs(&run_dir, &only_first(OPFILE), OFFILE, &only_first(SFFILE));
    let run = FerreRun::read(&control).unwrap();
    assert!(run.fit("2M00001023-0000126_0").is_some());
    assert!(run.fit("2M00001023-0000126_1").is_none());
    assert!(run.model_flux("2M00001023-0000126_1").is_some());
    assert_eq!(
        run.missing_from("2M00001023-0000126_1"),
        [run_dir.join("parameter.output"), run_dir.join("rectified_flux.output")]
    );
}

#[test]
fn truncated_and_malformed_outputs_name_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let control = batch(dir.path()).write(&run_dir).unwrap();
    std::fs::copy(dir.path().join("grid.hdr"), run_dir.join("grid.hdr")).unwrap();
    let cases = [
        // FERRE stopped while writing the second line.
        (
            &OPFILE[..OPFILE.rfind(" 12.5").unwrap()],
            OFFILE,
            SFFILE,
            format!(
                "{}, line 2: the spectrum 2M00001023-0000126_0 has 7 values, expected 11 (a truncated file?)",
                run_dir.join("parameter.output").display()
            ),
        ),
        (
            OPFILE,
            "2M00001023-0000126_1 1.0 0.99 NaN 0.97 -9999.\n2M00001023-0000126_0 0.98 0.97",
            SFFILE,
            format!(
                "{}, line 2: the spectrum 2M00001023-0000126_0 has 2 values, expected 5 (a truncated file?)",
                run_dir.join("rectified_model_flux.output").display()
            ),
        ),
        (
            OPFILE,
            OFFILE,
            "2M00001023-0000126_0 1.01 0.96 ***** 0.95 0.93\n",
            format!(
                "{}, line 1: value 3 of 2M00001023-0000126_0, \"*****\", is not a number",
                run_dir.join("rectified_flux.output").display()
            ),
        ),
        (
            OPFILE,
            OFFILE,
            "2M00001023-0000126_0 1 1 1 1 1\n\n2M00001023-0000126_0 1 1 1 1 1\n",
            format!(
                "{}: the spectrum 2M00001023-0000126_0 appears on lines 1 and 3",
                run_dir.join("rectified_flux.output").display()
            ),
        ),
        (
            &OPFILE.replace("_1 ", "_7 "),
            OFFILE,
            SFFILE,
            format!(
                "{}, line 1: the spectrum 2M00001023-0000126_7 is not in the parameter input {}",
                run_dir.join("parameter.output").display(),
                run_dir.join("parameter.input").display()
            ),
        ),
    ];
    for (opfile, offile, sffile, expected) in cases {
        write_outputs(&run_dir, opfile, offile, sffile);
        let err = FerreRun::read(&control).unwrap_err();
        assert_eq!(err.to_string(), expected);
    }

    // A missing output file, and a control file cut short.
    std::fs::remove_file(run_dir.join(names::FLUX_OUTPUT)).unwrap();
    let err = FerreRun::read(&control).unwrap_err();
    assert!(matches!(err, FerreError::Io { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with(&run_dir.join("rectified_flux.output").display().to_string())
    );
    let cut = dir.path().join("cut.nml");
    let text = std::fs::read_to_string(&control).unwrap();
    std::fs::write(&cut, &text[..text.len() - 3]).unwrap();
    let err = FerreRun::read(&cut).unwrap_err().to_string();
    assert!(err.contains("cut.nml: the namelist does not end with /"), "{err}");
}

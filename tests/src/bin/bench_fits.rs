//! `bench-fits`: our astraSource writer against the Python references, in one run.
//!
//!     cargo run --release -p astra-targets-tests --bin bench-fits [-- --quick] [--reference DIR]
//!
//! The product is the one of `reference/product.py`: N spectra of P pixels (APOGEE 8575,
//! BOSS 4648), five float32 images and a bitmask (int16 for APOGEE, int32 for BOSS), a
//! TASK_PARAMETERS table of 12 rows, a RESULTS table of 30 columns and a primary header of
//! about 150 cards. Every writer checksums every HDU and writes a temporary file that it
//! renames. Prints files/s for N = 1 (APOGEE and BOSS), seconds for N = 1000 (without and
//! with fsync), the ratios, a breakdown of where our time goes, and `fitsverify -q` on
//! our timed files. Needs `$ASTRA_TEST_PYTHON` (or .venv) and `fitsverify`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use astra_targets::fits::checksum::Sum32;
use astra_targets::fits::{Card, CardValue, FitsWriter, create_image_hdu};
use astra_targets::source::{AstraSource, SourceImages, Staging, WriteOptions};
use astra_targets::spectrum::{PixelMask, Spectrum, SpectrumKind, WavelengthGrid};
use astra_targets::{AstraResults, AstraTask};
use astra_targets_tests::rng::Rng;
use ndarray::Array2;

/// One spectrum's results (the reference's 25 analysis columns).
#[derive(Debug, Clone, AstraResults)]
struct BenchResults {
    /// Unique source primary key
    source_pk: i64,
    /// Unique spectrum primary key
    spectrum_pk: i64,
    /// Task primary key
    task_pk: i64,
    /// Effective temperature
    #[astra(unit = "K")]
    teff: f32,
    /// Error on effective temperature
    #[astra(unit = "K")]
    e_teff: f32,
    /// Surface gravity, log10(g / (cm s-2))
    logg: f32,
    /// Error on surface gravity (dex)
    e_logg: f32,
    /// Metallicity [Fe/H] (dex)
    fe_h: f32,
    /// Error on metallicity
    e_fe_h: f32,
    /// Microturbulence
    #[astra(unit = "km/s")]
    v_micro: f32,
    /// Error on microturbulence
    #[astra(unit = "km/s")]
    e_v_micro: f32,
    /// Projected rotational velocity
    #[astra(unit = "km/s")]
    v_sini: f32,
    /// Error on projected rotational velocity
    #[astra(unit = "km/s")]
    e_v_sini: f32,
    /// Carbon abundance [C/M]
    c_m: f32,
    /// Error on [C/M]
    e_c_m: f32,
    /// Nitrogen abundance [N/M]
    n_m: f32,
    /// Error on [N/M]
    e_n_m: f32,
    /// Alpha abundance [alpha/M]
    alpha_m: f32,
    /// Error on [alpha/M]
    e_alpha_m: f32,
    /// Correlation coefficient TEFF-LOGG
    rho_teff_logg: f32,
    /// Correlation coefficient TEFF-FE_H
    rho_teff_fe_h: f32,
    /// Chi-squared
    chi_sq: f64,
    /// Reduced chi-squared
    r_chi_sq: f64,
    /// Number of optimizer iterations
    n_iterations: i32,
    /// Result flags (bitfield)
    result_flags: i64,
}

/// The benchmark's task: the reference's parameters, three of them significant.
#[derive(Debug, Clone, AstraTask)]
#[astra(family = "BenchFit", namespace = "benchfit", version = "1.0.0", results = BenchResults)]
struct BenchFit {
    /// Data release of the input spectrum
    #[astra(insignificant)]
    release: String,
    /// APOGEE reduction version
    #[astra(insignificant)]
    apred: String,
    /// Telescope that took the spectrum
    #[astra(insignificant)]
    telescope: String,
    /// HEALPix pixel of the source (nside 128)
    #[astra(insignificant)]
    healpix: i64,
    /// Object identifier
    #[astra(insignificant)]
    obj: String,
    /// Order of the continuum polynomial
    continuum_order: i16,
    /// Optimizer iteration cap
    max_iterations: i32,
    /// Optimizer tolerance
    tolerance: f64,
    /// Model grid name
    #[astra(insignificant)]
    grid: String,
    /// Worker threads (does not change results)
    #[astra(insignificant)]
    n_threads: u32,
}

fn task() -> BenchFit {
    BenchFit {
        release: "dr19".into(),
        apred: "1.3".into(),
        telescope: "apo25m".into(),
        healpix: 12345,
        obj: "2M00001023-0000126".into(),
        continuum_order: 3,
        max_iterations: 100,
        tolerance: 1e-6,
        grid: "apo25m_a_GKg".into(),
        n_threads: 8,
    }
}

/// The reference's input header: 138 copied cards, then the task cards (the writer
/// replaces CREATED and PARAMHSH with its own provenance cards).
fn header(n: usize, p: usize) -> Vec<Card> {
    let c = |key: &str, value: CardValue, comment: &str| Card {
        key: key.into(),
        value,
        comment: comment.into(),
    };
    let mut cards = vec![
        c("SDSS_ID", CardValue::Int(12345678), "SDSS-V catalog identifier"),
        c("CAT_ID", CardValue::Int(27021598150204651), "SDSS-V catalog identifier"),
        c("GAIA_DR3", CardValue::Int(4295806720), "Gaia DR3 source id"),
        c("RA", CardValue::Float(123.4567891), "Right ascension (deg)"),
        c("DEC", CardValue::Float(-12.3456789), "Declination (deg)"),
        c("TELESCOP", CardValue::Str("apo25m".into()), "Telescope"),
        c("HEALPIX", CardValue::Int(12345), "HEALPix (nside=128)"),
    ];
    let mut i = 0;
    while cards.len() < 150 - 12 {
        cards.push(c(
            &format!("INKEY{i:03}"),
            CardValue::Float(i as f64 * 1.5),
            &format!("Copied input card {i}"),
        ));
        i += 1;
    }
    cards.extend([
        c(
            "PIPELINE",
            CardValue::Str("ASPCAP".into()),
            "Pipeline that produced this file",
        ),
        c("TASK", CardValue::Str("aspcap.ferre".into()), "Task name"),
        c("TASK_PK", CardValue::Int(99887766), "Task primary key"),
        c("V_ASTRA", CardValue::Str("0.6.0".into()), "Framework version"),
        c(
            "CREATED",
            CardValue::Str("2024-01-01T00:00:00".into()),
            "File creation time (UTC)",
        ),
        c(
            "PARAMHSH",
            CardValue::Str("0f1e2d3c4b5a69788796a5b4c3d2e1f0".into()),
            "Task parameter hash",
        ),
        c("CONTORD", CardValue::Int(3), "Task parameter: continuum order"),
        c("MAXITER", CardValue::Int(100), "Task parameter: max iterations"),
        c("TOL", CardValue::Float(1e-6), "Task parameter: tolerance"),
        c("N_SPEC", CardValue::Int(n as i64), "Number of spectra"),
        c("N_PIX", CardValue::Int(p as i64), "Number of pixels"),
        c(
            "GRID",
            CardValue::Str("apo25m_a_GKg".into()),
            "Task parameter: grid name",
        ),
    ]);
    cards
}

/// The inputs of one product.
struct Product {
    spectrum: Spectrum,
    images: [Array2<f32>; 5],
    rows: Vec<BenchResults>,
}

fn product(kind: SpectrumKind, n: usize) -> Product {
    let grid = if kind == SpectrumKind::Apogee {
        WavelengthGrid::APOGEE
    } else {
        WavelengthGrid::BOSS
    };
    let p = grid.npix;
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let bits = |rng: &mut Rng| ((rng.uniform() as f32) * 16384.0) as i32;
    let mask = match kind {
        SpectrumKind::Apogee => PixelMask::Single(Array2::from_shape_fn((n, p), |_| bits(&mut rng) as i16)),
        SpectrumKind::Boss => {
            let or_mask = Array2::from_shape_fn((n, p), |_| bits(&mut rng));
            PixelMask::AndOr {
                and_mask: or_mask.clone(),
                or_mask,
            }
        }
    };
    let spectrum = Spectrum {
        kind,
        header: header(n, p),
        grid,
        flux: Array2::zeros((n, p)),
        ivar: Array2::zeros((n, p)),
        mask,
    };
    let images = [
        rng.array((n, p)),
        rng.array((n, p)),
        rng.array((n, p)),
        rng.array((n, p)),
        rng.array((n, p)),
    ];
    let rows = (0..n)
        .map(|i| {
            let mut f = || rng.uniform() as f32;
            BenchResults {
                source_pk: i as i64,
                spectrum_pk: 2 * i as i64,
                task_pk: 7,
                teff: f(),
                e_teff: f(),
                logg: f(),
                e_logg: f(),
                fe_h: f(),
                e_fe_h: f(),
                v_micro: f(),
                e_v_micro: f(),
                v_sini: f(),
                e_v_sini: f(),
                c_m: f(),
                e_c_m: f(),
                n_m: f(),
                e_n_m: f(),
                alpha_m: f(),
                e_alpha_m: f(),
                rho_teff_logg: f(),
                rho_teff_fe_h: f(),
                chi_sq: f64::from(f()),
                r_chi_sq: f64::from(f()),
                n_iterations: i as i32,
                result_flags: 0,
            }
        })
        .collect();
    Product { spectrum, images, rows }
}

fn write(task: &BenchFit, path: &Path, p: &Product, options: &WriteOptions) {
    let [nf, ni, c, mf, mi] = &p.images;
    let images = SourceImages::new(nf, ni).continuum(c).model_flux(mf).model_ivar(mi);
    AstraSource::at(task, path)
        .write_images(&p.spectrum, images, &p.rows, options)
        .expect("write");
}

unsafe extern "C" {
    fn sync();
}

fn sync_all() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { sync() };
}

fn warm_cpu(seconds: f64) {
    let t = Instant::now();
    let mut x = 0u64;
    while t.elapsed().as_secs_f64() < seconds {
        x = x.wrapping_add(1);
    }
    std::hint::black_box(x);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Files per second writing `count` files of one product.
fn many_ours(dir: &Path, kind: SpectrumKind, count: usize, options: &WriteOptions) -> (f64, PathBuf) {
    let task = task();
    let p = product(kind, 1);
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    write(&task, &dir.join("warmup.fits"), &p, options);
    std::fs::remove_file(dir.join("warmup.fits")).unwrap();
    sync_all();
    let t = Instant::now();
    for i in 0..count {
        write(&task, &dir.join(format!("astraSource-{i:07}.fits")), &p, options);
    }
    (
        count as f64 / t.elapsed().as_secs_f64(),
        dir.join("astraSource-0000000.fits"),
    )
}

/// Median seconds of writing one product of `n` APOGEE spectra, removed and synced first.
fn single(path: &Path, p: &Product, repeat: usize, mut run: impl FnMut(&Path, &Product)) -> f64 {
    run(path, p);
    let mut ts = Vec::new();
    for _ in 0..repeat {
        let _ = std::fs::remove_file(path);
        sync_all();
        let t = Instant::now();
        run(path, p);
        ts.push(t.elapsed().as_secs_f64());
    }
    median(ts)
}

fn python() -> PathBuf {
    astra_targets_tests::python()
}

/// Runs the reference driver; returns the number under `key` in its JSON line.
fn reference(refdir: &Path, out: &Path, args: &[String], key: &str) -> f64 {
    let script = astra_targets_tests::workspace_root().join("tests/python/bench_refs.py");
    let output = Command::new(python())
        .arg(script)
        .arg(refdir)
        .arg(out)
        .args(args)
        .output()
        .expect("running python");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "reference {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let at = text
        .find(&format!("\"{key}\": "))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        + key.len()
        + 4;
    text[at..].split([',', '}']).next().unwrap().trim().parse().unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--only small|big|memory|breakdown` runs one part (for profiling); `--profile K` writes the
    // N = 1000 product K times and nothing else.
    let only = args.iter().position(|a| a == "--only").map(|i| args[i + 1].clone());
    let part = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if let Some(i) = args.iter().position(|a| a == "--profile") {
        let k: usize = args[i + 1].parse().expect("--profile K");
        let staging = match args.get(i + 2).map(String::as_str) {
            Some("memory") => Staging::Memory,
            Some("disk") => Staging::Disk,
            _ => Staging::Auto,
        };
        let n = if args.iter().any(|a| a == "small") { 1 } else { 1000 };
        let kind = if args.iter().any(|a| a == "boss") {
            SpectrumKind::Boss
        } else {
            SpectrumKind::Apogee
        };
        let big = product(kind, n);
        let dir = tempfile::tempdir_in(astra_targets_tests::workspace_root().join("target")).unwrap();
        let durable = args.iter().any(|a| a == "durable");
        let o = WriteOptions::default().staging(staging).durable(durable);
        let mut total = 0.0;
        for _ in 0..k {
            let _ = std::fs::remove_file(dir.path().join("p.fits"));
            if n > 1 {
                sync_all();
            }
            let t = Instant::now();
            write(&task(), &dir.path().join("p.fits"), &big, &o);
            total += t.elapsed().as_secs_f64();
        }
        println!("{:.3} ms a file", 1e3 * total / k as f64);
        return;
    }
    let refdir = args
        .iter()
        .position(|a| a == "--reference")
        .map(|i| PathBuf::from(&args[i + 1]))
        .unwrap_or_else(|| astra_targets_tests::workspace_root().join("../shared/reference"));
    assert!(
        refdir.join("product.py").exists(),
        "no reference writers in {} (use --reference DIR)",
        refdir.display()
    );
    let work = tempfile::Builder::new()
        .prefix("bench-fits-")
        .tempdir_in(astra_targets_tests::workspace_root().join("target"))
        .unwrap();
    let out = work.path();
    let (count_ours, count_astropy, count_fitsio, count_raw) = if quick {
        (200, 20, 60, 500)
    } else {
        (1000, 60, 300, 2000)
    };
    let repeat = if quick { 3 } else { 5 };
    let big_n = 1000;
    let options = WriteOptions::default();
    warm_cpu(1.5);
    let mut verify_these = Vec::new();

    println!("astraSource writing: ours (cfitsio through astra-targets) against the Python references");
    println!("(every writer: checksums on every HDU, temporary file then rename; one run, compare ratios)\n");
    for (kind, p, bm) in [(SpectrumKind::Apogee, 8575, "i2"), (SpectrumKind::Boss, 4648, "i4")] {
        if !part("small") {
            break;
        }
        let (ours, file) = many_ours(&out.join(format!("many_{kind:?}")), kind, count_ours, &options);
        verify_these.push(file);
        let many = |writer: &str, count: usize| {
            reference(
                &refdir,
                out,
                &[s("many"), s(writer), s("1"), p.to_string(), s(bm), count.to_string()],
                "files_per_s",
            )
        };
        let (astropy, fitsio, raw) = (
            many("astropy", count_astropy),
            many("fitsio", count_fitsio),
            many("raw", count_raw),
        );
        println!(
            "N=1 {kind:?} (P={p}), files/s: ours {ours:8.0} | astropy {astropy:6.1} ({:5.1}x) | python fitsio {fitsio:6.1} ({:5.1}x) | raw bytes (Python) {raw:7.0} ({:4.2}x of raw)",
            ours / astropy,
            ours / fitsio,
            ours / raw
        );
    }

    let task = task();
    let big = product(SpectrumKind::Apogee, big_n);
    let path = out.join("single_ours.fits");
    println!();
    for durable in [false, true] {
        if !part("big") {
            break;
        }
        let o = options.clone().durable(durable);
        let ours = single(&path, &big, repeat, |path, p| write(&task, path, p, &o));
        let one = |writer: &str| {
            reference(
                &refdir,
                out,
                &[
                    s("single"),
                    s(writer),
                    big_n.to_string(),
                    s("8575"),
                    s("i2"),
                    repeat.to_string(),
                    s(if durable { "1" } else { "0" }),
                ],
                "median_s",
            )
        };
        let (astropy, fitsio, raw) = (one("astropy"), one("fitsio"), one("raw"));
        let bytes = std::fs::read(&path).unwrap();
        let raw_rust = single(&out.join("raw_rust.fits"), &big, repeat, |path, _| {
            let mut f = std::fs::File::create(path).unwrap();
            std::io::Write::write_all(&mut f, &bytes).unwrap();
            if durable {
                f.sync_all().unwrap();
            }
        });
        println!(
            "N={big_n} APOGEE ({:.0} MB), {}: ours {ours:6.3} s | astropy {astropy:6.3} s ({:4.2}x faster) | python fitsio {fitsio:6.3} s ({:4.2}x faster) | raw bytes: Python {raw:6.3} s, Rust {raw_rust:6.3} s (ours {:4.2}x Python raw, {:4.2}x Rust raw)",
            bytes.len() as f64 / 1e6,
            if durable { "fsync   " } else { "no fsync" },
            astropy / ours,
            fitsio / ours,
            ours / raw,
            ours / raw_rust,
        );
    }
    if part("big") {
        verify_these.push(path.clone());
    }
    if part("memory") {
        memory_figures(out, &task, &big, &options);
    }
    if !part("breakdown") {
        return report_fitsverify(&verify_these);
    }

    println!("\nWhere our time goes (N={big_n} APOGEE, no fsync, medians of {repeat}):");
    let t = |o: WriteOptions| single(&path, &big, repeat, |path, p| write(&task, path, p, &o));
    let full = t(options.clone());
    let no_checksum = t(options.clone().checksum(false));
    let memory = t(options.clone().staging(Staging::Memory));
    let disk = t(options.clone().staging(Staging::Disk));
    let sums = {
        let t0 = Instant::now();
        let mut s = Sum32::default();
        for image in &big.images {
            s.add_f32(image.as_slice().unwrap());
        }
        std::hint::black_box(s.value());
        t0.elapsed().as_secs_f64()
    };
    // The images through cfitsio into a memory file (conversion to big-endian, headers,
    // checksums), without any file: what our writer adds to the raw write.
    let assemble = {
        let mut ts = Vec::new();
        for _ in 0..repeat {
            let t0 = Instant::now();
            let mut fits = FitsWriter::create_memory(200 << 20, true).unwrap();
            fits.write_primary(&big.spectrum.header).unwrap();
            for (i, image) in big.images.iter().enumerate() {
                let name = format!("IMAGE{i}");
                create_image_hdu(&mut fits, image, &[], Some(name.as_str().into()), None, Some("")).unwrap();
            }
            std::hint::black_box(fits.into_bytes().unwrap().len());
            ts.push(t0.elapsed().as_secs_f64());
        }
        median(ts)
    };
    // A write after the kept buffer was released: the first large file of a process.
    let first = {
        let mut ts = Vec::new();
        for _ in 0..repeat {
            astra_targets::fits::release_kept_memory();
            let _ = std::fs::remove_file(&path);
            sync_all();
            let t0 = Instant::now();
            write(&task, &path, &big, &options);
            ts.push(t0.elapsed().as_secs_f64());
        }
        median(ts)
    };
    let nan = {
        let t0 = Instant::now();
        std::hint::black_box(Array2::<f32>::from_elem((big_n, 8575), f32::NAN));
        t0.elapsed().as_secs_f64()
    };
    println!("  whole write (default staging)        {full:7.3} s");
    println!(
        "  without checksums                    {no_checksum:7.3} s  (checksums cost {:+.3} s)",
        full - no_checksum
    );
    println!("  DATASUM of the five float images     {sums:7.3} s  (summed from memory, no read-back)");
    println!("  staged in memory, one write          {memory:7.3} s");
    println!(
        "    of which cfitsio assembling the 5 float images in memory {assemble:.3} s; the rest is the write() of the bytes"
    );
    println!("  first large file of a process        {first:7.3} s  (fresh buffer: page faults; later files reuse it)");
    println!("  staged on disk by cfitsio            {disk:7.3} s");
    println!("  (one NaN image allocation, for scale {nan:7.3} s)");

    report_fitsverify(&verify_these);
}

/// A field of `/proc/self/status` in MB (`VmRSS`: resident now, `VmHWM`: the peak since
/// the last [`reset_peak`]).
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets the peak resident size to the current one (Linux `clear_refs` 5).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The writer's memory beyond the data the caller holds: its peak while writing an N = 1
/// and an N = 1000 file (a fresh process state: the kept buffer released first), what it
/// keeps resident after the large file, and after one small file that follows it.
fn memory_figures(out: &Path, task: &BenchFit, big: &Product, options: &WriteOptions) {
    let small = product(SpectrumKind::Apogee, 1);
    let path = out.join("memory.fits");
    let peak_of = |p: &Product| {
        astra_targets::fits::release_kept_memory();
        let _ = std::fs::remove_file(&path);
        let before = status_mb("VmRSS");
        reset_peak();
        write(task, &path, p, options);
        // Peaks below the resident size before the write (pages given back) count as 0.
        ((status_mb("VmHWM") - before).max(0.0), status_mb("VmRSS") - before)
    };
    let (small_peak, _) = peak_of(&small);
    let (big_peak, big_kept) = peak_of(big);
    let before_small = status_mb("VmRSS");
    let _ = std::fs::remove_file(&path);
    write(task, &path, &small, options);
    let after_small = status_mb("VmRSS");
    let file_mb = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6);
    let big_file_mb = {
        write(task, &path, big, options);
        std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1e6)
    };
    println!(
        "\nMemory of the writer beyond the caller's data (VmHWM and VmRSS from /proc, peak reset before each write):"
    );
    println!("  N=1 APOGEE ({file_mb:.2} MB file)       peak {small_peak:7.1} MB");
    println!(
        "  N=1000 APOGEE ({big_file_mb:.0} MB file)     peak {big_peak:7.1} MB, resident after it {big_kept:7.1} MB (the kept buffer)"
    );
    println!(
        "  one N=1 file after it                 resident {:+7.1} MB (the kept buffer shrinks to what the last file needed)",
        after_small - before_small
    );
}

fn report_fitsverify(files: &[PathBuf]) {
    println!("\nfitsverify -q on our timed files:");
    for f in files {
        let (ok, text) = astra_targets_tests::fitsverify(f);
        println!("  {} {}", if ok { "OK  " } else { "FAIL" }, text.trim());
        assert!(ok, "fitsverify failed on {}", f.display());
    }
}

fn s(x: &str) -> String {
    x.to_string()
}

//! Synthetic input spectra in the two SDSS layouts, clearly labelled as synthetic.
//!
//! SDSS data are not reachable from tests and demos, so they make their own inputs here.
//! [`apogee`] and [`boss`] build a [`Spectrum`] from a seed and stellar labels;
//! [`write_apstar`] and [`write_boss_spec`] write it as an apStar-style or a BOSS
//! spec-style file (through cfitsio, atomically), which [`super::apstar`] and
//! [`super::boss`] read back.
//!
//! ```
//! use astra_targets::spectrum::{self, synthetic::{self, Labels}};
//!
//! # fn main() -> astra_targets::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! let star = Labels { teff: 4750.0, logg: 2.6, fe_h: -0.4 };
//! let made = synthetic::apogee(42, star, 100.0, 3)?; // two stacks, then three visits
//! let path = dir.path().join("apStar-synthetic.fits");
//! synthetic::write_apstar(&path, &made)?;
//! let read = spectrum::read(&path)?;
//! assert_eq!(read.flux, made.flux);
//! assert_eq!(read.flux.dim(), (5, 8575));
//! # Ok(())
//! # }
//! ```
//!
//! # The model
//! - **Continuum** `C(lambda)`: a black body of the star's Teff scaled to a level set by a
//!   drawn magnitude, times a gentle quadratic instrument response `1 + a1 x + a2 x^2`
//!   (x from -1 to 1 across the grid, `|a1|, |a2| <= 0.05`, drawn from the seed).
//! - **Lines**: a fixed line list per instrument ([`line_list`]): named strong lines
//!   (APOGEE: Brackett H I, Fe I, Mg I, Si I, Al I, K I, Ca I, Ti I, OH, CO; BOSS: Ca II
//!   H & K, Balmer, G band, Fe I, Mg b, Na D, K I, TiO, the Ca II triplet) plus a forest of
//!   weak metal lines at fixed wavelengths. Each line has a central optical depth
//!   `tau = strength * 10^[Fe/H] (metal lines only) * (5772 / Teff)^t * 10^(g (log g - 4.44))`
//!   ([`central_depth`]): positive `t` for metal and molecular lines (stronger in cool
//!   stars), negative for hydrogen; `g != 0` for gravity-sensitive lines (Mg I, Mg b, Na D
//!   stronger in dwarfs; CO and the Ca II triplet stronger in giants). Gaussian profiles of
//!   the instrument's resolution (R = 22,500 APOGEE, 2,000 BOSS) and an intrinsic width, so
//!   the normalized flux is `exp(-sum tau_k phi_k(lambda))` ([`normalized_flux`]): lines
//!   saturate instead of going below zero.
//! - **Noise**: Gaussian, `sigma = C / snr` per pixel at the stated S/N, from a seeded
//!   SplitMix64 ([`Rng`]): the same seed gives the same spectrum everywhere.
//! - **Rows** (APOGEE): with one visit, one row; with `n > 1` visits, two stacked rows (an
//!   inverse-variance-weighted mean, and a mean weighted by each visit's S/N) and then the
//!   `n` visits, whose S/N values combine in quadrature to the stated S/N.
//! - **Masks**: a few pixels per visit flagged with APOGEE pixel bits (bad pixel, cosmic
//!   ray, saturation, persistence, sky line...; stacks carry the OR of their visits); for
//!   BOSS, pixels of bright sky lines flagged `BRIGHTSKY` in both masks (with three times
//!   the noise) and a few random pixels flagged in the OR mask (some also in the AND mask).
//! - **Header**: about a hundred cards with the keys of real files (TELESCOP, object id,
//!   RA/DEC, HEALPIX, SNR, NVISITS or NEXP, MJDs, per-visit cards, photometry), plus
//!   `ORIGIN`, `SYNTHETC = T`, a COMMENT saying the data are synthetic, the true labels
//!   (`SYNTEFF`, `SYNLOGG`, `SYNFEH`), the seed and a few HISTORY cards.

mod cards;
mod model;
mod rng;
mod write;

use ndarray::Array2;

pub use cards::{ORIGIN, SYNTHETIC_COMMENT, Star, healpix_ring, two_mass_id};
pub use model::{Line, central_depth, continuum, line_list, normalized_flux, resolving_power};
pub use rng::Rng;
pub use write::{write_apstar, write_boss_spec};

use super::{PixelMask, Spectrum, SpectrumKind, WavelengthGrid};
use crate::{Error, Result};
use cards::{Cards, mjd_to_date, round};

/// The stellar labels a synthetic spectrum is made from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Labels {
    /// Effective temperature (K), 2500 to 50000.
    pub teff: f64,
    /// Surface gravity log10(g / cm s^-2), -1 to 6.
    pub logg: f64,
    /// Metallicity [Fe/H] (dex), -5 to 1.5.
    pub fe_h: f64,
}

impl Labels {
    /// The Sun's labels.
    pub const SUN: Labels = Labels {
        teff: 5772.0,
        logg: 4.44,
        fe_h: 0.0,
    };

    fn check(&self) -> Result<()> {
        in_range("teff", self.teff, 2500.0, 50_000.0)?;
        in_range("logg", self.logg, -1.0, 6.0)?;
        in_range("fe_h", self.fe_h, -5.0, 1.5)
    }
}

fn in_range(name: &'static str, value: f64, lo: f64, hi: f64) -> Result<()> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(Error::Synthetic {
            name,
            value: value.to_string(),
            reason: format!("is outside [{lo}, {hi}]"),
        })
    }
}

/// APOGEE pixel-mask bits used for flagged pixels (bad pixel, cosmic ray, saturated,
/// unfixable, persistence high/medium/low, significant sky line, significant telluric).
const APOGEE_FLAG_BITS: [u32; 9] = [0, 1, 2, 3, 9, 10, 11, 12, 13];
/// BOSS mask bits used for flagged pixels (FULLREJECT, PARTIALREJ, LOWFLAT, COMBINEREJ,
/// BADSKYCHI).
const BOSS_FLAG_BITS: [u32; 5] = [16, 17, 22, 25, 27];
/// The BOSS `BRIGHTSKY` bit.
const BOSS_BRIGHTSKY: u32 = 23;
/// Bright night-sky emission lines (Angstrom, vacuum) in the BOSS range.
const SKY_LINES: [f64; 4] = [5578.9, 5891.6, 6302.0, 6365.5];

/// A synthetic APOGEE spectrum (apStar layout: stacks then visits) of a star with `labels`,
/// at S/N `snr` per pixel (of the first stack), observed in `n_visits` visits (1 to 99).
pub fn apogee(seed: u64, labels: Labels, snr: f64, n_visits: usize) -> Result<Spectrum> {
    labels.check()?;
    in_range("snr", snr, 1e-3, 1e6)?;
    if !(1..=99).contains(&n_visits) {
        return Err(Error::Synthetic {
            name: "n_visits",
            value: n_visits.to_string(),
            reason: "is outside [1, 99]".into(),
        });
    }
    let mut rng = Rng::new(seed);
    let star = Star::draw(&mut rng);
    let grid = WavelengthGrid::APOGEE;
    let p = grid.npix;
    let model = normalized_flux(SpectrumKind::Apogee, &grid, &labels);
    let level = 200.0 * 10f64.powf(-0.4 * (star.h_mag - 11.0));
    let cont = continuum(
        &grid,
        labels.teff,
        level,
        rng.range(-0.05, 0.05),
        rng.range(-0.05, 0.05),
    );
    // Visit S/N values that add in quadrature to the stated S/N.
    let factors: Vec<f64> = (0..n_visits)
        .map(|_| if n_visits == 1 { 1.0 } else { rng.range(0.7, 1.3) })
        .collect();
    let norm = factors.iter().map(|f| f * f).sum::<f64>().sqrt();
    let visit_snr: Vec<f64> = factors.iter().map(|f| snr * f / norm).collect();
    let mut visits = Vec::with_capacity(n_visits);
    for &s in &visit_snr {
        let mut flux = vec![0f32; p];
        let mut ivar = vec![0f32; p];
        let mut mask = vec![0i16; p];
        for i in 0..p {
            let sigma = cont[i] / s;
            flux[i] = (cont[i] * model[i] + sigma * rng.normal()) as f32;
            ivar[i] = (1.0 / (sigma * sigma)) as f32;
        }
        for _ in 0..3 + rng.below(6) {
            let i = rng.below(p as u64) as usize;
            mask[i] |= 1 << APOGEE_FLAG_BITS[rng.below(APOGEE_FLAG_BITS.len() as u64) as usize];
        }
        visits.push((flux, ivar, mask));
    }
    let mut rows = Vec::new();
    if n_visits > 1 {
        rows.push(stack(&visits, |_, ivar| ivar as f64));
        let w: Vec<f64> = visit_snr.clone();
        rows.push(stack(&visits, |k, _| w[k]));
    }
    rows.extend(visits);
    let n = rows.len();
    let mut flux = Array2::zeros((n, p));
    let mut ivar = Array2::zeros((n, p));
    let mut mask = Array2::zeros((n, p));
    for (r, (f, v, m)) in rows.into_iter().enumerate() {
        flux.row_mut(r).assign(&ndarray::ArrayView1::from(&f));
        ivar.row_mut(r).assign(&ndarray::ArrayView1::from(&v));
        mask.row_mut(r).assign(&ndarray::ArrayView1::from(&m));
    }
    let header = apogee_header(seed, &mut rng, &star, &labels, snr, &visit_snr);
    Ok(Spectrum {
        kind: SpectrumKind::Apogee,
        header,
        grid,
        flux,
        ivar,
        mask: PixelMask::Single(mask),
    })
}

type Row = (Vec<f32>, Vec<f32>, Vec<i16>);

/// A weighted mean of visits; `weight(k, ivar)` is visit k's weight at a pixel. The stack's
/// inverse variance is propagated from the visits', its mask is the OR of theirs.
fn stack(visits: &[Row], weight: impl Fn(usize, f32) -> f64) -> Row {
    let p = visits[0].0.len();
    let mut out = (vec![0f32; p], vec![0f32; p], vec![0i16; p]);
    for i in 0..p {
        let (mut sw, mut swf, mut sw2v) = (0.0, 0.0, 0.0);
        for (k, (f, v, m)) in visits.iter().enumerate() {
            let w = weight(k, v[i]);
            sw += w;
            swf += w * f[i] as f64;
            sw2v += w * w / v[i] as f64;
            out.2[i] |= m[i];
        }
        out.0[i] = (swf / sw) as f32;
        out.1[i] = (sw * sw / sw2v) as f32;
    }
    out
}

fn apogee_header(
    seed: u64,
    rng: &mut Rng,
    star: &Star,
    labels: &Labels,
    snr: f64,
    visit_snr: &[f64],
) -> Vec<super::Card> {
    let mut c = Cards::default();
    let first_mjd = 59_000 + rng.below(1500) as i64;
    let mjds: Vec<i64> = (0..visit_snr.len() as i64)
        .map(|k| first_mjd + 3 * k + rng.below(3) as i64)
        .collect();
    let last_mjd = *mjds.last().unwrap_or(&first_mjd);
    let vhelio = rng.range(-150.0, 150.0);
    c.s(
        "DATE",
        mjd_to_date(last_mjd + 2),
        "Creation date of this file (synthetic)",
    );
    cards::provenance(&mut c, seed, labels, snr);
    c.s("V_APRED", "synthetic", "Reduction version (synthetic)")
        .s("APRED", "synthetic", "APOGEE reduction version")
        .i("HEALPIX", star.healpix, "HEALPix pixel (nside 128, RING)")
        .s("OBJID", &star.apogee_id, "Object identifier")
        .s("APOGEEID", &star.apogee_id, "APOGEE (2MASS-style) identifier")
        .s("TELESCOP", "apo25m", "Telescope")
        .s("INSTRUME", "APOGEE-N", "Instrument")
        .s("OBSERVAT", "APO", "Observatory")
        .f("RA", round(star.ra, 6), "[deg] Right ascension (ICRS)")
        .f("DEC", round(star.dec, 6), "[deg] Declination (ICRS)")
        .s("RADESYS", "ICRS", "Celestial reference system")
        .f("EQUINOX", 2000.0, "Equinox of the coordinates")
        .s("FIELD", format!("{}", 100_000 + rng.below(9000)), "Field name")
        .i(
            "CATID",
            20_000_000_000 + rng.below(10_000_000_000) as i64,
            "SDSS-V catalogid",
        )
        .i("SDSS_ID", 1 + rng.below(120_000_000) as i64, "SDSS identifier");
    cards::targeting(&mut c, rng, "MWM", "mwm_synthetic_apogee");
    cards::photometry(&mut c, rng, star);
    for t in 1..=4 {
        c.i(
            &format!("TARG{t}"),
            (rng.next_u64() & 0x7fff_ffff) as i64,
            "Targeting bitmask",
        );
    }
    c.i("NVISITS", visit_snr.len() as i64, "Number of visits in this file")
        .f("SNR", round(snr, 3), "Median S/N per pixel of the stack")
        .i("STARFLAG", 0, "Flag for the star (OR of visits)")
        .i("ANDFLAG", 0, "Flag for the star (AND of visits)")
        .f("VHELIO", round(vhelio, 3), "[km/s] Mean heliocentric velocity")
        .f(
            "VSCATTER",
            round(rng.range(0.05, 0.5), 3),
            "[km/s] Scatter of visit velocities",
        )
        .f(
            "VERR",
            round(rng.range(0.02, 0.2), 3),
            "[km/s] Error of the mean velocity",
        )
        .f(
            "RVTEFF",
            round(labels.teff + rng.range(-150.0, 150.0), 1),
            "[K] Teff of the RV template",
        )
        .f(
            "RVLOGG",
            round(labels.logg + rng.range(-0.3, 0.3), 2),
            "log g of the RV template",
        )
        .f(
            "RVFEH",
            round(labels.fe_h + rng.range(-0.2, 0.2), 2),
            "[Fe/H] of the RV template",
        )
        .f(
            "VMACRO",
            round(rng.range(2.0, 8.0), 2),
            "[km/s] Macroturbulence of the RV fit",
        )
        .f("VSINI", round(rng.range(0.0, 10.0), 2), "[km/s] Rotation of the RV fit")
        .f(
            "CHISQ",
            round(rng.range(0.8, 3.0), 3),
            "Reduced chi-square of the RV fit",
        )
        .f(
            "CCPFWHM",
            round(rng.range(15.0, 25.0), 3),
            "[km/s] FWHM of the cross-correlation peak",
        )
        .f(
            "AUTOFWHM",
            round(rng.range(15.0, 25.0), 3),
            "[km/s] FWHM of the autocorrelation",
        )
        .i("N_COMPON", 1, "Number of RV components")
        .i("NCOMBINE", visit_snr.len() as i64, "Number of visits combined")
        .f(
            "MINSN",
            round(visit_snr.iter().copied().fold(f64::INFINITY, f64::min), 3),
            "Lowest visit S/N",
        )
        .f(
            "MAXSN",
            round(visit_snr.iter().copied().fold(0.0, f64::max), 3),
            "Highest visit S/N",
        )
        .f("EXPTIME", 1000.0 * visit_snr.len() as f64, "[s] Total exposure time")
        .i("MEANFIB", 150, "Mean fiber of the visits")
        .f("SIGFIB", 0.0, "Scatter of the visits' fibers")
        .s("STACKS", "pixel-weighted, global-weighted", "Rows 1-2 when NVISITS > 1")
        .s("APSTRVER", "synthetic", "apStar version")
        .i("MJDBEG", first_mjd, "First MJD of the visits")
        .i("MJDEND", last_mjd, "Last MJD of the visits")
        .i("MJD", last_mjd, "MJD of the last visit")
        .i("NWAVE", WavelengthGrid::APOGEE.npix as i64, "Number of pixels")
        .f(
            "WAVE0",
            WavelengthGrid::APOGEE.crval1,
            "log10 wavelength of the first pixel",
        )
        .f("DWAVE", WavelengthGrid::APOGEE.cdelt1, "log10 wavelength step");
    for (k, (&s, &mjd)) in visit_snr.iter().zip(&mjds).enumerate() {
        let n = k + 1;
        let fiber = 1 + rng.below(300) as i64;
        c.s(
            &format!("SFILE{n}"),
            format!("apVisit-synthetic-{mjd}-{fiber:03}.fits"),
            "Visit file",
        )
        .s(
            &format!("DATE{n}"),
            format!("{}T{:02}:{:02}:00", mjd_to_date(mjd), 2 + rng.below(8), rng.below(60)),
            "Visit date (UTC)",
        )
        .f(
            &format!("JD{n}"),
            round(mjd as f64 + 2_400_000.5 + rng.range(0.0, 0.4), 5),
            "Visit Julian date",
        )
        .i(&format!("FIBER{n}"), fiber, "Visit fiber")
        .f(
            &format!("BC{n}"),
            round(rng.range(-30.0, 30.0), 3),
            "[km/s] Visit barycentric correction",
        )
        .f(
            &format!("VRAD{n}"),
            round(vhelio + rng.range(-1.0, 1.0), 3),
            "[km/s] Visit radial velocity",
        )
        .f(&format!("SNR{n}"), round(s, 3), "Visit S/N per pixel")
        .i(&format!("FLAG{n}"), 0, "Visit star flag");
    }
    c.history("apStar-style file made by the astra-targets synthetic generator")
        .history("Rows: stacked spectra first, then the individual visits")
        .history("HDU1: flux; HDU2: 1-sigma flux error; HDU3: pixel mask")
        .history(&format!(
            "Model: black-body continuum x {}-line list, Gaussian noise",
            line_list(SpectrumKind::Apogee).len()
        ));
    c.0
}

/// A synthetic BOSS spectrum (spec layout: one coadded row) of a star with `labels`, at
/// S/N `snr` per pixel.
pub fn boss(seed: u64, labels: Labels, snr: f64) -> Result<Spectrum> {
    labels.check()?;
    in_range("snr", snr, 1e-3, 1e6)?;
    let mut rng = Rng::new(seed);
    let star = Star::draw(&mut rng);
    let grid = WavelengthGrid::BOSS;
    let p = grid.npix;
    let model = normalized_flux(SpectrumKind::Boss, &grid, &labels);
    let g_mag = star.h_mag + 2.0 + 4.0 * rng.uniform();
    let level = 30.0 * 10f64.powf(-0.4 * (g_mag - 17.0));
    let cont = continuum(
        &grid,
        labels.teff,
        level,
        rng.range(-0.05, 0.05),
        rng.range(-0.05, 0.05),
    );
    let mut flux = Array2::zeros((1, p));
    let mut ivar = Array2::zeros((1, p));
    let mut and_mask = Array2::<i32>::zeros((1, p));
    let mut or_mask = Array2::<i32>::zeros((1, p));
    for i in 0..p {
        let lambda = grid.wavelength(i);
        let bright_sky = SKY_LINES
            .iter()
            .any(|&l| (lambda - l).abs() < 1.5 * lambda * grid.cdelt1 * std::f64::consts::LN_10);
        let sigma = cont[i] / snr * if bright_sky { 3.0 } else { 1.0 };
        flux[(0, i)] = (cont[i] * model[i] + sigma * rng.normal()) as f32;
        ivar[(0, i)] = (1.0 / (sigma * sigma)) as f32;
        if bright_sky {
            and_mask[(0, i)] |= 1 << BOSS_BRIGHTSKY;
            or_mask[(0, i)] |= 1 << BOSS_BRIGHTSKY;
        }
    }
    for _ in 0..4 + rng.below(8) {
        let i = rng.below(p as u64) as usize;
        let bit = 1 << BOSS_FLAG_BITS[rng.below(BOSS_FLAG_BITS.len() as u64) as usize];
        or_mask[(0, i)] |= bit;
        if rng.uniform() < 0.3 {
            and_mask[(0, i)] |= bit;
        }
    }
    let header = boss_header(seed, &mut rng, &star, &labels, snr, g_mag);
    Ok(Spectrum {
        kind: SpectrumKind::Boss,
        header,
        grid,
        flux,
        ivar,
        mask: PixelMask::AndOr { and_mask, or_mask },
    })
}

fn boss_header(seed: u64, rng: &mut Rng, star: &Star, labels: &Labels, snr: f64, g_mag: f64) -> Vec<super::Card> {
    let mut c = Cards::default();
    let mjd = 59_000 + rng.below(1500) as i64;
    let nexp = 3 + rng.below(3) as i64;
    c.s("DATE", mjd_to_date(mjd + 1), "Creation date of this file (synthetic)");
    cards::provenance(&mut c, seed, labels, snr);
    c.s("RUN2D", "synthetic", "Spectro-2D reduction name")
        .s("RUN1D", "synthetic", "Spectro-1D reduction name")
        .s("TELESCOP", "SDSS 2-5m", "Telescope")
        .s("OBSERVAT", "APO", "Observatory")
        .s("INSTRUME", "BOSS", "Instrument")
        .i("FIELD", 100_000 + rng.below(9000) as i64, "Field id")
        .i("MJD", mjd, "MJD of the observation")
        .i("FIBERID", 1 + rng.below(500) as i64, "Fiber id")
        .i(
            "CATID",
            20_000_000_000 + rng.below(10_000_000_000) as i64,
            "SDSS-V catalogid",
        )
        .i("SDSS_ID", 1 + rng.below(120_000_000) as i64, "SDSS identifier")
        .s("OBJID", &star.apogee_id, "Object identifier (2MASS-style)")
        .i("HEALPIX", star.healpix, "HEALPix pixel (nside 128, RING)")
        .f("RA", round(star.ra, 6), "[deg] Right ascension (ICRS)")
        .f("DEC", round(star.dec, 6), "[deg] Declination (ICRS)")
        .f("PLUG_RA", round(star.ra, 6), "[deg] RA of the fiber position")
        .f("PLUG_DEC", round(star.dec, 6), "[deg] DEC of the fiber position")
        .s("RADESYS", "ICRS", "Celestial reference system")
        .f("EQUINOX", 2000.0, "Equinox of the coordinates")
        .s("OBJTYPE", "SCIENCE", "Fiber type")
        .s("CLASS", "STAR", "Spectroscopic class")
        .s("SUBCLASS", "synthetic", "Spectroscopic subclass")
        .f("Z", round(rng.range(-0.0005, 0.0005), 7), "Redshift")
        .f("Z_ERR", round(rng.range(1e-6, 1e-5), 8), "Redshift error")
        .f("SNR", round(snr, 3), "Median S/N per pixel")
        .f("SN_MEDIA", round(snr, 3), "Median S/N over all pixels")
        .f("SPEC1_G", round(snr * rng.range(0.8, 1.1), 3), "S/N per pixel in g")
        .f("SPEC1_R", round(snr * rng.range(0.9, 1.2), 3), "S/N per pixel in r")
        .f("SPEC1_I", round(snr * rng.range(0.9, 1.2), 3), "S/N per pixel in i")
        .f(
            "WAVEMIN",
            round(WavelengthGrid::BOSS.wavelength(0), 2),
            "[Angstrom] Shortest wavelength",
        )
        .f(
            "WAVEMAX",
            round(WavelengthGrid::BOSS.wavelength(WavelengthGrid::BOSS.npix - 1), 2),
            "[Angstrom] Longest wavelength",
        )
        .f(
            "WCOVERAG",
            round(WavelengthGrid::BOSS.cdelt1 * WavelengthGrid::BOSS.npix as f64, 4),
            "Coverage in log10 wavelength",
        )
        .i("ZWARNING", 0, "Redshift warning flags")
        .f(
            "RCHI2",
            round(rng.range(0.9, 1.3), 4),
            "Reduced chi-square of the redshift fit",
        )
        .i(
            "DOF",
            WavelengthGrid::BOSS.npix as i64 - 10,
            "Degrees of freedom of the redshift fit",
        )
        .f("AIRMASS", round(rng.range(1.0, 1.6), 3), "Mean airmass")
        .f("SEEING50", round(rng.range(1.0, 2.0), 2), "[arcsec] Median seeing")
        .f("EXPTIME", 900.0 * nexp as f64, "[s] Total exposure time")
        .i("NEXP", nexp, "Number of exposures")
        .f("G_MAG", round(g_mag, 3), "g magnitude")
        .f("R_MAG", round(g_mag - rng.range(0.2, 0.8), 3), "r magnitude")
        .f("I_MAG", round(g_mag - rng.range(0.4, 1.2), 3), "i magnitude");
    cards::targeting(&mut c, rng, "MWM", "mwm_synthetic_boss");
    cards::photometry(&mut c, rng, star);
    for t in 1..=4 {
        c.i(
            &format!("SDSSV_T{t}"),
            (rng.next_u64() & 0x7fff_ffff) as i64,
            "Targeting bitmask",
        );
    }
    c.i("NWAVE", WavelengthGrid::BOSS.npix as i64, "Number of pixels")
        .f(
            "COEFF0",
            WavelengthGrid::BOSS.crval1,
            "log10 wavelength of the first pixel",
        )
        .f("COEFF1", WavelengthGrid::BOSS.cdelt1, "log10 wavelength step");
    for n in 1..=nexp {
        let id = 300_000 + rng.below(100_000) as i64;
        c.s(
            &format!("EXPID{n:02}"),
            format!("b1-{id:08}-{id:08}-{id:08}"),
            "Exposure id",
        )
        .f(
            &format!("EXPSN{n:02}"),
            round(snr / (nexp as f64).sqrt() * rng.range(0.8, 1.2), 3),
            "Exposure S/N",
        )
        .f(
            &format!("EXPAM{n:02}"),
            round(rng.range(1.0, 1.6), 3),
            "Exposure airmass",
        )
        .i(&format!("EXPMJ{n:02}"), mjd, "Exposure MJD");
    }
    c.history("spec-style file made by the astra-targets synthetic generator")
        .history("HDU1 (COADD): flux, loglam, ivar, and_mask, or_mask per pixel")
        .history(&format!(
            "Model: black-body continuum x {}-line list, Gaussian noise",
            line_list(SpectrumKind::Boss).len()
        ));
    c.0
}

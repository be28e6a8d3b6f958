//! Primary headers of synthetic spectra: the keys real apStar and spec files carry
//! (telescope, object id, position, HEALPix pixel, S/N, visits or exposures, dates), with
//! synthetic values, plus the cards that label them as synthetic.

use super::Labels;
use super::rng::Rng;
use crate::fits::{Card, CardValue};

/// What the generator says about itself in `ORIGIN`.
pub const ORIGIN: &str = "astra-targets synthetic spectrum generator";

/// The comment line every synthetic header carries.
pub const SYNTHETIC_COMMENT: &str = "SYNTHETIC DATA made by astra-targets: not an SDSS observation";

/// A simulated star: where it is and what it is called.
#[derive(Debug, Clone, PartialEq)]
pub struct Star {
    /// Right ascension (degrees, ICRS).
    pub ra: f64,
    /// Declination (degrees, ICRS).
    pub dec: f64,
    /// The 2MASS-style identifier of the position, e.g. `2M00001023-0000126`.
    pub apogee_id: String,
    /// HEALPix pixel (nside 128, RING scheme) of the position.
    pub healpix: i64,
    /// A 2MASS-like H magnitude.
    pub h_mag: f64,
}

impl Star {
    /// Draws a position uniformly on the sky and a magnitude.
    pub fn draw(rng: &mut Rng) -> Star {
        let ra = rng.range(0.0, 360.0);
        let dec = rng.range(-1.0, 1.0).asin().to_degrees();
        Star {
            ra,
            dec,
            apogee_id: two_mass_id(ra, dec),
            healpix: healpix_ring(128, ra, dec),
            h_mag: rng.range(7.0, 12.0),
        }
    }
}

/// The 2MASS designation `2MhhmmssSS±ddmmssS` of a position (truncated, as 2MASS does).
pub fn two_mass_id(ra: f64, dec: f64) -> String {
    let centi_seconds = (ra.rem_euclid(360.0) / 15.0 * 360_000.0).floor() as i64;
    let (h, rest) = (centi_seconds / 360_000, centi_seconds % 360_000);
    let (m, s) = (rest / 6000, rest % 6000);
    let sign = if dec < 0.0 { '-' } else { '+' };
    let deci_arcsec = (dec.abs() * 36_000.0).floor() as i64;
    let (d, rest) = (deci_arcsec / 36_000, deci_arcsec % 36_000);
    let (dm, ds) = (rest / 600, rest % 600);
    format!("2M{h:02}{m:02}{s:04}{sign}{d:02}{dm:02}{ds:03}")
}

/// The HEALPix pixel (RING scheme) holding a position (Gorski et al. 2005).
pub fn healpix_ring(nside: i64, ra: f64, dec: f64) -> i64 {
    let z = dec.to_radians().sin();
    let za = z.abs();
    let tt = ra.rem_euclid(360.0) / 90.0; // in [0, 4)
    let ncap = 2 * nside * (nside - 1);
    let npix = 12 * nside * nside;
    if za <= 2.0 / 3.0 {
        let t1 = nside as f64 * (0.5 + tt);
        let t2 = nside as f64 * z * 0.75;
        let jp = (t1 - t2).floor() as i64;
        let jm = (t1 + t2).floor() as i64;
        let ir = nside + 1 + jp - jm;
        let kshift = 1 - (ir & 1);
        let ip = ((jp + jm - nside + kshift + 1) / 2).rem_euclid(4 * nside);
        ncap + (ir - 1) * 4 * nside + ip
    } else {
        let tp = tt - tt.floor();
        let tmp = nside as f64 * (3.0 * (1.0 - za)).sqrt();
        let jp = (tp * tmp).floor() as i64;
        let jm = ((1.0 - tp) * tmp).floor() as i64;
        let ir = jp + jm + 1;
        let ip = ((tt * ir as f64).floor() as i64).rem_euclid(4 * ir);
        if z > 0.0 {
            2 * ir * (ir - 1) + ip
        } else {
            npix - 2 * ir * (ir + 1) + ip
        }
    }
}

/// A card list under construction.
#[derive(Default)]
pub(crate) struct Cards(pub(crate) Vec<Card>);

impl Cards {
    fn push(&mut self, key: &str, value: CardValue, comment: &str) -> &mut Self {
        self.0.push(Card {
            key: key.to_string(),
            value,
            comment: comment.to_string(),
        });
        self
    }
    pub(crate) fn s(&mut self, key: &str, v: impl Into<String>, comment: &str) -> &mut Self {
        self.push(key, CardValue::Str(v.into()), comment)
    }
    pub(crate) fn i(&mut self, key: &str, v: i64, comment: &str) -> &mut Self {
        self.push(key, CardValue::Int(v), comment)
    }
    pub(crate) fn f(&mut self, key: &str, v: f64, comment: &str) -> &mut Self {
        self.push(key, CardValue::Float(v), comment)
    }
    pub(crate) fn b(&mut self, key: &str, v: bool, comment: &str) -> &mut Self {
        self.push(key, CardValue::Bool(v), comment)
    }
    pub(crate) fn history(&mut self, text: &str) -> &mut Self {
        self.push("HISTORY", CardValue::None, text)
    }
    pub(crate) fn comment(&mut self, text: &str) -> &mut Self {
        self.push("COMMENT", CardValue::None, text)
    }
}

/// Rounds to `digits` decimals (header values read like an archive's, not like noise).
pub(crate) fn round(v: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

/// A calendar date `YYYY-MM-DD` of a Modified Julian Date.
pub(crate) fn mjd_to_date(mjd: i64) -> String {
    // MJD 40587 is 1970-01-01.
    let (y, m, d) = crate::civil::civil_date(mjd - 40587);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The cards that label a header as synthetic, with the true labels and the seed.
pub(crate) fn provenance(c: &mut Cards, seed: u64, labels: &Labels, snr: f64) {
    c.s("ORIGIN", ORIGIN, "SYNTHETIC data")
        .b("SYNTHETC", true, "Synthetic spectrum, not observed")
        .comment(SYNTHETIC_COMMENT)
        .i("SYNSEED", seed as i64, "Seed of the synthetic generator")
        .f("SYNTEFF", labels.teff, "[K] True Teff of the synthetic star")
        .f("SYNLOGG", labels.logg, "True log10(g / cm s-2) of the synthetic star")
        .f("SYNFEH", labels.fe_h, "True [Fe/H] of the synthetic star")
        .f("SYNSNR", snr, "Stated S/N per pixel of the synthetic spectrum");
}

/// Targeting keys (SDSS-V carton and program), with synthetic values.
pub(crate) fn targeting(c: &mut Cards, rng: &mut Rng, mapper: &str, carton: &str) {
    c.s("MAPPER", mapper, "SDSS-V mapper")
        .s(
            "PROGRAM",
            format!("{}_synthetic", mapper.to_lowercase()),
            "SDSS-V program",
        )
        .s("CARTON", carton, "SDSS-V carton")
        .i("CARTONPK", 1 + rng.below(900) as i64, "Carton primary key")
        .i("PRIORITY", 2000 + rng.below(4000) as i64, "Target priority")
        .s("CADENCE", "bright_2x1", "Observing cadence")
        .f("VALUE", 1.0, "Target value")
        .i("INSTRPK", 0, "Instrument primary key")
        .s("SURVEY", "SDSS-V", "Survey")
        .s("RELEASE", "synthetic", "Data release (none: synthetic)")
        .s("FILETYPE", "synthetic", "SDSS file type")
        .s(
            "HASHKEY",
            format!("{:016x}", rng.next_u64()),
            "Content hash (synthetic)",
        );
}

/// Keys of a star's photometry and astrometry (2MASS, WISE, Gaia-like), with synthetic
/// values.
pub(crate) fn photometry(c: &mut Cards, rng: &mut Rng, star: &Star) {
    let h = star.h_mag;
    let j = h + rng.range(0.2, 0.9);
    let k = h - rng.range(0.0, 0.3);
    c.f("J", round(j, 3), "2MASS J magnitude")
        .f("J_ERR", round(rng.range(0.02, 0.04), 3), "2MASS J magnitude error")
        .f("H", round(h, 3), "2MASS H magnitude")
        .f("H_ERR", round(rng.range(0.02, 0.04), 3), "2MASS H magnitude error")
        .f("K", round(k, 3), "2MASS Ks magnitude")
        .f("K_ERR", round(rng.range(0.02, 0.04), 3), "2MASS Ks magnitude error")
        .s("SRC_H", "2MASS", "Source of the H magnitude")
        .f("W1", round(k - rng.range(0.0, 0.1), 3), "WISE W1 magnitude")
        .f("W2", round(k - rng.range(0.0, 0.15), 3), "WISE W2 magnitude")
        .f(
            "AK_TARG",
            round(rng.range(0.0, 0.3), 3),
            "Ks extinction used for targeting",
        )
        .s("AK_METH", "RJCE_WISE", "Method of the targeting extinction")
        .f("SFD_EBV", round(rng.range(0.0, 0.5), 3), "SFD E(B-V) at the position")
        .i(
            "GAIAID",
            1_000_000_000_000 + rng.below(6_000_000_000_000_000_000) as i64,
            "Gaia DR3 source_id",
        )
        .f("PLX", round(rng.range(0.05, 5.0), 4), "[mas] Gaia parallax")
        .f("PLX_ERR", round(rng.range(0.01, 0.1), 4), "[mas] Gaia parallax error")
        .f(
            "PMRA",
            round(rng.range(-20.0, 20.0), 3),
            "[mas/yr] Gaia proper motion in RA",
        )
        .f(
            "PMDEC",
            round(rng.range(-20.0, 20.0), 3),
            "[mas/yr] Gaia proper motion in DEC",
        )
        .f("GAIA_G", round(h + rng.range(1.0, 3.0), 3), "Gaia G magnitude")
        .f("GAIA_BP", round(h + rng.range(1.5, 4.0), 3), "Gaia BP magnitude")
        .f("GAIA_RP", round(h + rng.range(0.5, 2.0), 3), "Gaia RP magnitude");
}

#[cfg(test)]
mod date_tests {
    #[test]
    fn mjd_dates() {
        assert_eq!(super::mjd_to_date(40587), "1970-01-01");
        assert_eq!(super::mjd_to_date(51544), "2000-01-01");
        assert_eq!(super::mjd_to_date(51603), "2000-02-29");
    }
}

//! The quality bits of a result and the signal-to-noise ratio they use.

use astra_targets::ndarray::ArrayView1;

use crate::plugin::ApogeeNetResults as R;
use crate::table::NetworkRow;

/// Below this median S/N per pixel, `LOW_SNR` is set.
pub const LOW_SNR: f64 = 10.0;

/// The range of teff (K) outside which `UNRELIABLE_TEFF` is set.
pub const TEFF_RANGE: (f64, f64) = (1700.0, 100_000.0);

/// The range of logg outside which `UNRELIABLE_LOGG` is set.
pub const LOGG_RANGE: (f64, f64) = (-1.0, 6.0);

/// The range of fe_h outside which `UNRELIABLE_FE_H` is set (also set below
/// [`FE_H_MIN_TEFF`] and above [`FE_H_MAX_LOGG`]).
pub const FE_H_RANGE: (f64, f64) = (-4.0, 2.0);

/// Below this teff (K), `UNRELIABLE_FE_H` is set.
pub const FE_H_MIN_TEFF: f64 = 3200.0;

/// Above this logg, `UNRELIABLE_FE_H` is set.
pub const FE_H_MAX_LOGG: f64 = 5.0;

/// `LARGE_ERROR` is set when u_teff exceeds this fraction of teff.
pub const LARGE_U_TEFF: f64 = 0.1;

/// `LARGE_ERROR` is set when u_logg or u_fe_h exceeds this.
pub const LARGE_U_DEX: f64 = 0.5;

/// The median signal-to-noise ratio per pixel of a spectrum row: the median of
/// `flux * sqrt(ivar)` over the pixels with a positive inverse variance and a finite
/// flux; NaN when there is none.
pub fn snr(flux: ArrayView1<'_, f32>, ivar: ArrayView1<'_, f32>) -> f64 {
    let mut values: Vec<f64> = flux
        .iter()
        .zip(ivar.iter())
        .filter(|(f, w)| f.is_finite() && w.is_finite() && **w > 0.0)
        .map(|(f, w)| f64::from(*f) * f64::from(*w).sqrt())
        .collect();
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn outside(x: f64, (lo, hi): (f64, f64)) -> bool {
    x < lo || x > hi
}

/// The quality bits of a network row and its spectrum's S/N (`result_flags`).
///
/// A NaN value sets `BAD_OUTPUT` and no range bit of its own; a NaN S/N (no usable
/// pixel) sets `LOW_SNR`.
pub fn flags(n: &NetworkRow, snr: f64) -> i64 {
    let mut bits = 0;
    let values = [n.teff, n.u_teff, n.logg, n.u_logg, n.fe_h, n.u_fe_h];
    if values.iter().any(|x| !x.is_finite()) {
        bits |= R::RESULT_FLAGS_BAD_OUTPUT;
    }
    if outside(n.teff, TEFF_RANGE) {
        bits |= R::RESULT_FLAGS_UNRELIABLE_TEFF;
    }
    if outside(n.logg, LOGG_RANGE) {
        bits |= R::RESULT_FLAGS_UNRELIABLE_LOGG;
    }
    if n.teff < FE_H_MIN_TEFF || n.logg > FE_H_MAX_LOGG || outside(n.fe_h, FE_H_RANGE) {
        bits |= R::RESULT_FLAGS_UNRELIABLE_FE_H;
    }
    if snr.is_nan() || snr < LOW_SNR {
        bits |= R::RESULT_FLAGS_LOW_SNR;
    }
    if n.u_teff > LARGE_U_TEFF * n.teff || n.u_logg > LARGE_U_DEX || n.u_fe_h > LARGE_U_DEX {
        bits |= R::RESULT_FLAGS_LARGE_ERROR;
    }
    bits
}

#[cfg(test)]
mod tests {
    use astra_targets::AstraResults;
    use astra_targets::ndarray::array;

    use super::*;

    fn row(teff: f64, logg: f64, fe_h: f64) -> NetworkRow {
        NetworkRow {
            teff,
            u_teff: 50.0,
            logg,
            u_logg: 0.05,
            fe_h,
            u_fe_h: 0.03,
        }
    }

    fn names(bits: i64) -> Vec<&'static str> {
        let column = R::COLUMNS.iter().find(|c| c.name == "result_flags").unwrap();
        column.flag_names(bits)
    }

    #[test]
    fn each_bit_is_set_by_its_rule() {
        assert!(names(flags(&row(4800.0, 2.5, -0.2), 80.0)).is_empty());
        assert_eq!(
            names(flags(&row(1600.0, 2.5, -0.2), 80.0)),
            ["UNRELIABLE_TEFF", "UNRELIABLE_FE_H"]
        );
        assert_eq!(
            names(flags(&row(4800.0, 6.5, -0.2), 80.0)),
            ["UNRELIABLE_LOGG", "UNRELIABLE_FE_H"]
        );
        assert_eq!(names(flags(&row(4800.0, 5.2, -0.2), 80.0)), ["UNRELIABLE_FE_H"]);
        assert_eq!(names(flags(&row(4800.0, 2.5, -4.5), 80.0)), ["UNRELIABLE_FE_H"]);
        assert_eq!(names(flags(&row(4800.0, 2.5, -0.2), 9.0)), ["LOW_SNR"]);
        assert_eq!(names(flags(&row(4800.0, 2.5, -0.2), f64::NAN)), ["LOW_SNR"]);
        let mut wide = row(4800.0, 2.5, -0.2);
        wide.u_teff = 500.0;
        assert_eq!(names(flags(&wide, 80.0)), ["LARGE_ERROR"]);
        wide.u_teff = 50.0;
        wide.u_fe_h = 0.6;
        assert_eq!(names(flags(&wide, 80.0)), ["LARGE_ERROR"]);
        let mut none = row(4800.0, 2.5, -0.2);
        none.logg = f64::NAN;
        assert_eq!(names(flags(&none, 80.0)), ["BAD_OUTPUT"]);
    }

    #[test]
    fn snr_is_the_median_over_usable_pixels() {
        let flux = array![10.0f32, 20.0, 30.0, f32::NAN, 40.0];
        let ivar = array![1.0f32, 1.0, 4.0, 1.0, 0.0];
        // 10, 20, 60 (the NaN flux and the zero ivar are left out).
        assert_eq!(snr(flux.view(), ivar.view()), 20.0);
        assert!(snr(flux.view(), astra_targets::ndarray::Array1::<f32>::zeros(5).view()).is_nan());
    }
}

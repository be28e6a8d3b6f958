//! Continuum normalization of one spectrum.
//!
//! Method: in each region (for APOGEE the three detector chips, [`APOGEE_CHIPS`]; by
//! default the whole spectrum) the continuum is a Chebyshev series of degree `order` in
//! the pixel index mapped to [−1, 1], fitted by least squares weighted by the inverse
//! variance (normal equations, faer Cholesky) over the continuum pixels (all pixels, or a
//! mask) that are usable (finite flux, finite positive ivar). The fit is iterated with
//! asymmetric sigma clipping: a pixel whose residual `(flux − continuum) · sqrt(ivar)` is
//! below `−low` or above `+high` (defaults 2 and 3: absorption lines pull flux down) is
//! left out of the next fit, until the kept set stops changing or after `iterations`
//! rounds (default 5).
//!
//! Output: `flux / continuum` and `ivar · continuum²`. Pixels outside every region, and
//! pixels of a region that could not be fitted (fewer usable pixels than `order + 1`) or
//! where the continuum is not positive, get normalized flux 1 and ivar 0 (no
//! information) and a NaN continuum.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use astra_targets::spectrum::WavelengthGrid;
use ndarray::{Array1, ArrayView1};

use crate::error::CannonError;
use crate::linalg::Cholesky;

/// The pixel ranges of APOGEE's three detectors on the 8,575-pixel apStar grid (blue,
/// green, red; the gaps between them hold no data).
pub const APOGEE_CHIPS: [Range<usize>; 3] = [322..3242, 3648..6048, 6412..8306];

/// Settings of the continuum fit; see the module documentation.
#[derive(Debug, Clone)]
pub struct Continuum {
    order: usize,
    regions: Option<Vec<Range<usize>>>,
    mask: Option<Vec<bool>>,
    low: f64,
    high: f64,
    iterations: usize,
}

/// A normalized spectrum.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Normalized {
    /// `flux / continuum` (1 where there is no continuum).
    pub flux: Array1<f64>,
    /// `ivar · continuum²` (0 where there is no continuum).
    pub ivar: Array1<f64>,
    /// The fitted continuum (NaN outside the fitted regions).
    pub continuum: Array1<f64>,
    /// Pixels left out of the final fit by sigma clipping.
    pub clipped: usize,
    /// Regions that could not be fitted.
    pub failed_regions: usize,
}

impl Continuum {
    /// The normalization of Chebyshev degree `order` for spectra on `grid`: per APOGEE
    /// detector ([`APOGEE_CHIPS`]) on the apStar grid, over the whole spectrum otherwise.
    pub fn for_grid(order: usize, grid: &WavelengthGrid) -> Self {
        if *grid == WavelengthGrid::APOGEE {
            Continuum::new(order).regions(APOGEE_CHIPS)
        } else {
            Continuum::new(order)
        }
    }

    /// A Chebyshev continuum of degree `order` over the whole spectrum.
    pub fn new(order: usize) -> Self {
        Self {
            order,
            regions: None,
            mask: None,
            low: 2.0,
            high: 3.0,
            iterations: 5,
        }
    }

    /// Fit each of these pixel ranges separately (e.g. [`APOGEE_CHIPS`]).
    pub fn regions(mut self, regions: impl IntoIterator<Item = Range<usize>>) -> Self {
        self.regions = Some(regions.into_iter().collect());
        self
    }

    /// Fit only pixels marked `true` (known continuum pixels); one entry per pixel.
    pub fn continuum_pixels(mut self, mask: Vec<bool>) -> Self {
        self.mask = Some(mask);
        self
    }

    /// Clip pixels more than `low` sigma below or `high` sigma above the continuum
    /// (both > 0).
    pub fn clip(mut self, low: f64, high: f64) -> Self {
        self.low = low;
        self.high = high;
        self
    }

    /// At most this many fits per region (1 = no clipping).
    pub fn iterations(mut self, iterations: usize) -> Self {
        self.iterations = iterations;
        self
    }

    /// Normalizes `flux` with inverse variance `ivar` (same length).
    pub fn normalize(&self, flux: ArrayView1<'_, f64>, ivar: ArrayView1<'_, f64>) -> Result<Normalized, CannonError> {
        let n = flux.len();
        self.check(n, ivar)?;
        let regions = self.regions.clone().unwrap_or_else(|| std::iter::once(0..n).collect());
        let mut continuum = Array1::from_elem(n, f64::NAN);
        let mut clipped = 0;
        let mut failed_regions = 0;
        let k = self.order + 1;
        let mut chol = Cholesky::new(k);
        for region in regions {
            match self.fit_region(&mut chol, region.clone(), flux, ivar) {
                Some((values, c)) => {
                    continuum.slice_mut(ndarray::s![region]).assign(&values);
                    clipped += c;
                }
                None => failed_regions += 1,
            }
        }
        let mut out_flux = Array1::ones(n);
        let mut out_ivar = Array1::zeros(n);
        for p in 0..n {
            let c = continuum[p];
            if c.is_finite() && c > 0.0 && flux[p].is_finite() && ivar[p].is_finite() {
                out_flux[p] = flux[p] / c;
                out_ivar[p] = ivar[p] * c * c;
            } else {
                continuum[p] = f64::NAN;
            }
        }
        Ok(Normalized {
            flux: out_flux,
            ivar: out_ivar,
            continuum,
            clipped,
            failed_regions,
        })
    }

    fn check(&self, n: usize, ivar: ArrayView1<'_, f64>) -> Result<(), CannonError> {
        let setting = |setting, value: String, reason| Err(CannonError::Setting { setting, value, reason });
        if ivar.len() != n {
            return Err(CannonError::Shape {
                what: "ivar",
                found: vec![ivar.len()],
                expected: vec![n],
            });
        }
        if let Some(mask) = &self.mask
            && mask.len() != n
        {
            return Err(CannonError::Shape {
                what: "continuum pixel mask",
                found: vec![mask.len()],
                expected: vec![n],
            });
        }
        if self.order > 20 {
            return setting(
                "order",
                self.order.to_string(),
                "the Chebyshev degree must be at most 20",
            );
        }
        if !(self.low > 0.0 && self.high > 0.0) {
            return setting(
                "clip",
                format!("({}, {})", self.low, self.high),
                "both limits must be > 0",
            );
        }
        if self.iterations == 0 {
            return setting("iterations", "0".into(), "at least one fit is needed");
        }
        if let Some(regions) = &self.regions
            && let Some(r) = regions.iter().find(|r| r.start >= r.end || r.end > n)
        {
            return setting(
                "regions",
                format!("{r:?}"),
                "a region must be a non-empty range within the spectrum",
            );
        }
        if let Some((p, v)) = ivar.iter().enumerate().find(|(_, v)| **v < 0.0) {
            return Err(CannonError::NegativeIvar {
                what: "ivar",
                spectrum: 0,
                pixel: p,
                value: *v,
            });
        }
        Ok(())
    }

    /// The continuum over `region` and the number of clipped pixels; `None` if too few
    /// pixels are usable.
    ///
    /// The normal matrix of a Chebyshev basis is a sum of moments: `T_a·T_b =
    /// (T_{a+b} + T_{|a−b|}) / 2`, so `Σ w·T_a·T_b` comes from the `2k − 1` moments
    /// `Σ w·T_m`. They are summed once over the kept pixels and then only corrected for
    /// the pixels that clipping adds or removes (summed again from scratch when many
    /// change at once).
    fn fit_region(
        &self,
        chol: &mut Cholesky,
        region: Range<usize>,
        flux: ArrayView1<'_, f64>,
        ivar: ArrayView1<'_, f64>,
    ) -> Option<(Array1<f64>, usize)> {
        let k = self.order + 1;
        let m = 2 * k - 1;
        let len = region.len();
        // Chebyshev basis T_0..T_{2k-2}, one column of len values each.
        let basis = chebyshev_basis(len, m);
        let column = |j: usize| &basis[j * len..(j + 1) * len];
        let f: Vec<f64> = region.clone().map(|p| flux[p]).collect();
        let w: Vec<f64> = region.clone().map(|p| ivar[p]).collect();
        let usable: Vec<bool> = region
            .clone()
            .zip(f.iter().zip(&w))
            .map(|(p, (f, w))| f.is_finite() && w.is_finite() && *w > 0.0 && self.mask.as_ref().is_none_or(|m| m[p]))
            .collect();
        let mut keep = usable.clone();
        let mut kept = keep.iter().filter(|b| **b).count();
        // The weights of the kept pixels (0 for the others): w and w·f.
        let weight = |i: usize, kept: bool| if kept { (w[i], w[i] * f[i]) } else { (0.0, 0.0) };
        let (mut wk, mut wfk): (Vec<f64>, Vec<f64>) = (0..len).map(|i| weight(i, keep[i])).unzip();
        // Σ w·T_j over the kept pixels (j < 2k − 1) and Σ w·f·T_a (a < k).
        let mut moments = vec![0.0; m];
        let mut rhs = vec![0.0; k];
        let sum_all = |wk: &[f64], wfk: &[f64], moments: &mut [f64], rhs: &mut [f64]| {
            for (j, s) in moments.iter_mut().enumerate() {
                *s = dot(wk, column(j));
            }
            for (a, s) in rhs.iter_mut().enumerate() {
                *s = dot(wfk, column(a));
            }
        };
        sum_all(&wk, &wfk, &mut moments, &mut rhs);
        let sigma_w: Vec<f64> = w.iter().map(|w| w.sqrt()).collect();
        let mut values = vec![0.0; len];
        let mut packed = vec![0.0; k * (k + 1) / 2];
        let mut coefficients = vec![0.0; k];
        let mut changes: Vec<(usize, bool)> = Vec::new();
        for _ in 0..self.iterations {
            if kept < k {
                return None;
            }
            // The packed upper triangle of Σ w·b·bᵀ from the moments.
            let mut q = 0;
            for a in 0..k {
                for b in a..k {
                    packed[q] = 0.5 * (moments[a + b] + moments[b - a]);
                    q += 1;
                }
            }
            coefficients.copy_from_slice(&rhs);
            if !chol.factor_packed(&packed) {
                return None;
            }
            chol.solve(&mut coefficients);
            values.iter_mut().for_each(|v| *v = 0.0);
            for (a, c) in coefficients.iter().enumerate() {
                values.iter_mut().zip(column(a)).for_each(|(v, b)| *v += c * b);
            }
            changes.clear();
            for i in (0..len).filter(|i| usable[*i]) {
                let z = (f[i] - values[i]) * sigma_w[i];
                let k_new = z >= -self.low && z <= self.high;
                if k_new != keep[i] {
                    keep[i] = k_new;
                    changes.push((i, k_new));
                    kept = if k_new { kept + 1 } else { kept - 1 };
                    (wk[i], wfk[i]) = weight(i, k_new);
                }
            }
            if changes.is_empty() {
                break;
            }
            if changes.len() > len / 8 {
                sum_all(&wk, &wfk, &mut moments, &mut rhs);
            } else {
                for &(i, added) in &changes {
                    let sign = if added { 1.0 } else { -1.0 };
                    let (wi, wfi) = (sign * w[i], sign * w[i] * f[i]);
                    for (j, s) in moments.iter_mut().enumerate() {
                        *s += wi * basis[j * len + i];
                    }
                    for (a, s) in rhs.iter_mut().enumerate() {
                        *s += wfi * basis[a * len + i];
                    }
                }
            }
        }
        let clipped = usable.iter().zip(&keep).filter(|(u, k)| **u && !**k).count();
        Some((Array1::from(values), clipped))
    }
}

/// A basis kept for reuse, by `(len, m)`.
type KeptBasis = ((usize, usize), Rc<Vec<f64>>);

/// The Chebyshev polynomials `T_0..T_{m-1}` at `len` points spread evenly over
/// [−1, 1], one column of `len` values after the other; kept per thread for the last few
/// shapes asked (a spectrum's regions are the same from one spectrum to the next).
fn chebyshev_basis(len: usize, m: usize) -> Rc<Vec<f64>> {
    const KEPT: usize = 8;
    thread_local! {
        static BASES: RefCell<Vec<KeptBasis>> = const { RefCell::new(Vec::new()) };
    }
    if let Some(found) = BASES.with(|b| {
        b.borrow()
            .iter()
            .find(|(key, _)| *key == (len, m))
            .map(|(_, v)| v.clone())
    }) {
        return found;
    }
    let half = 0.5 * (len.max(2) - 1) as f64;
    let mut basis = vec![1.0; m * len];
    if m > 1 {
        for (i, b) in basis[len..2 * len].iter_mut().enumerate() {
            *b = i as f64 / half - 1.0;
        }
    }
    for j in 2..m {
        // T_j = 2x·T_{j-1} − T_{j-2}, a column at a time.
        let (done, rest) = basis.split_at_mut(j * len);
        let (x, previous, before) = (&done[len..2 * len], &done[(j - 1) * len..], &done[(j - 2) * len..]);
        for (i, t) in rest[..len].iter_mut().enumerate() {
            *t = 2.0 * x[i] * previous[i] - before[i];
        }
    }
    let basis = Rc::new(basis);
    BASES.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() >= KEPT {
            b.remove(0);
        }
        b.push(((len, m), basis.clone()));
    });
    basis
}

/// `Σ a·b` over two slices of one length, in eight independent partial sums (which the
/// compiler keeps in vector registers).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    const LANES: usize = 8;
    let mut sums = [0.0; LANES];
    let (ac, bc) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = ac.remainder().iter().zip(bc.remainder()).map(|(a, b)| a * b).sum();
    for (a, b) in ac.zip(bc) {
        for l in 0..LANES {
            sums[l] += a[l] * b[l];
        }
    }
    sums.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::SyntheticSpectra;

    #[test]
    fn recovers_a_smooth_continuum_under_absorption_lines() {
        let set = SyntheticSpectra::new(8575).snr(200.0).generate(1, 3);
        let n = 8575;
        let truth: Array1<f64> = (0..n)
            .map(|p| {
                let x = p as f64 / n as f64;
                1000.0 * (1.0 + 0.3 * x - 0.2 * x * x) * if p < 3400 { 1.0 } else { 0.8 }
            })
            .collect();
        let flux = &set.flux.row(0) * &truth;
        let ivar = &set.ivar.row(0) / &(&truth * &truth);
        let norm = Continuum::new(3)
            .regions(APOGEE_CHIPS)
            .normalize(flux.view(), ivar.view())
            .unwrap();
        assert_eq!(norm.failed_regions, 0);
        assert!(norm.clipped > 100, "lines must be clipped: {}", norm.clipped);
        for chip in APOGEE_CHIPS {
            for p in chip {
                let rel = norm.continuum[p] / truth[p] - 1.0;
                assert!(rel.abs() < 0.01, "pixel {p}: continuum off by {rel}");
                assert!((norm.ivar[p] / set.ivar[(0, p)] - (norm.continuum[p] / truth[p]).powi(2)).abs() < 1e-9);
            }
        }
        // Outside the chips: no information.
        assert_eq!(norm.ivar[0], 0.0);
        assert_eq!(norm.flux[0], 1.0);
        assert!(norm.continuum[0].is_nan());
    }

    #[test]
    fn the_clipped_fit_equals_a_fresh_fit_on_the_pixels_it_kept() {
        // The clipping loop zeroes and restores the weights of pixels as it goes; a
        // single fit over the pixels it ended with must give the same continuum.
        let set = SyntheticSpectra::new(8575).snr(50.0).generate(1, 11);
        let flux = set.flux.row(0).mapv(|f| 800.0 * f);
        let ivar = set.ivar.row(0).mapv(|w| w / (800.0 * 800.0));
        let clipped = Continuum::new(3)
            .regions(APOGEE_CHIPS)
            .iterations(50)
            .normalize(flux.view(), ivar.view())
            .unwrap();
        assert!(clipped.clipped > 100, "lines must be clipped: {}", clipped.clipped);
        let kept: Vec<bool> = (0..8575)
            .map(|p| {
                let z = (flux[p] - clipped.continuum[p]) * ivar[p].sqrt();
                ivar[p] > 0.0 && (-2.0..=3.0).contains(&z)
            })
            .collect();
        let fresh = Continuum::new(3)
            .regions(APOGEE_CHIPS)
            .continuum_pixels(kept)
            .iterations(1)
            .normalize(flux.view(), ivar.view())
            .unwrap();
        for chip in APOGEE_CHIPS {
            for p in chip {
                let rel = fresh.continuum[p] / clipped.continuum[p] - 1.0;
                assert!(rel.abs() < 1e-10, "pixel {p}: {rel}");
            }
        }
    }

    #[test]
    fn a_region_without_data_fails_alone() {
        let flux = Array1::from_elem(100, 2.0);
        let mut ivar = Array1::from_elem(100, 1.0);
        ivar.slice_mut(ndarray::s![50..]).fill(0.0);
        let norm = Continuum::new(2)
            .regions([0..50, 50..100])
            .normalize(flux.view(), ivar.view())
            .unwrap();
        assert_eq!(norm.failed_regions, 1);
        assert!((norm.flux[10] - 1.0).abs() < 1e-12 && (norm.ivar[10] - 4.0).abs() < 1e-9);
        assert_eq!((norm.flux[70], norm.ivar[70]), (1.0, 0.0));
    }

    #[test]
    fn bad_settings_and_inputs_are_named() {
        let flux = Array1::from_elem(10, 1.0);
        let ivar = Array1::from_elem(10, 1.0);
        let err = Continuum::new(1)
            .regions(std::iter::once(5..20))
            .normalize(flux.view(), ivar.view())
            .unwrap_err();
        assert!(err.to_string().contains("regions = 5..20"), "{err}");
        let err = Continuum::new(1)
            .normalize(flux.view(), ivar.slice(ndarray::s![..5]))
            .unwrap_err();
        assert!(matches!(err, CannonError::Shape { what: "ivar", .. }), "{err}");
        let mut neg = ivar.clone();
        neg[3] = -1.0;
        let err = Continuum::new(1).normalize(flux.view(), neg.view()).unwrap_err();
        assert!(err.to_string().contains("pixel 3 is -1"), "{err}");
    }
}

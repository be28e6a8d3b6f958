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
        let flux = contiguous(flux);
        let ivar = contiguous(ivar);
        let everything = 0..n;
        let whole = std::slice::from_ref(&everything);
        let regions = self.regions.as_deref().unwrap_or(whole);
        let mut continuum = vec![f64::NAN; n];
        let mut clipped = 0;
        let mut failed_regions = 0;
        let k = self.order + 1;
        let mut chol = Cholesky::new(k);
        for region in regions {
            let values = &mut continuum[region.clone()];
            match self.fit_region(&mut chol, region.clone(), &flux, &ivar, values) {
                Some(c) => clipped += c,
                None => {
                    values.iter_mut().for_each(|v| *v = f64::NAN);
                    failed_regions += 1;
                }
            }
        }
        let mut out_flux = vec![1.0; n];
        let mut out_ivar = vec![0.0; n];
        for (((c, (&f, &v)), of), ov) in continuum
            .iter_mut()
            .zip(flux.iter().zip(ivar.iter()))
            .zip(out_flux.iter_mut())
            .zip(out_ivar.iter_mut())
        {
            if c.is_finite() && *c > 0.0 && f.is_finite() && v.is_finite() {
                *of = f / *c;
                *ov = v * *c * *c;
            } else {
                *c = f64::NAN;
            }
        }
        let (flux, ivar, continuum) = (out_flux.into(), out_ivar.into(), continuum.into());
        Ok(Normalized {
            flux,
            ivar,
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

    /// The continuum over `region` (written into `values`, one per pixel of the region)
    /// and the number of clipped pixels; `None` if too few pixels are usable.
    ///
    /// The normal matrix of a Chebyshev basis is a sum of moments: `T_a·T_b =
    /// (T_{a+b} + T_{|a−b|}) / 2`, so `Σ w·T_a·T_b` comes from the `2k − 1` moments
    /// `Σ w·T_m`. They are summed once over the kept pixels and then only corrected for
    /// the pixels that clipping adds or removes (summed again from scratch when many
    /// change at once). Each round is one pass for the continuum (a column at a time)
    /// and one branch-free pass for the clipping decision.
    fn fit_region(
        &self,
        chol: &mut Cholesky,
        region: Range<usize>,
        flux: &[f64],
        ivar: &[f64],
        values: &mut [f64],
    ) -> Option<usize> {
        let k = self.order + 1;
        let m = 2 * k - 1;
        let len = region.len();
        // Chebyshev basis T_0..T_{2k-2}, one column of len values each.
        let basis = chebyshev_basis(len, m);
        let column = |j: usize| &basis[j * len..(j + 1) * len];
        let (f, w) = (&flux[region.clone()], &ivar[region.clone()]);
        let mask = self.mask.as_ref().map(|m| &m[region]);
        // Per pixel: usable (0/1), kept (0/1), sqrt(w) (0 when unusable), and the kept
        // weights w and w·f (0 for pixels not kept).
        let mut usable = vec![0u8; len];
        let mut sigma_w = vec![0.0; len];
        let (mut wk, mut wfk) = (vec![0.0; len], vec![0.0; len]);
        let mut kept = 0;
        for i in 0..len {
            let ok = f[i].is_finite() && w[i].is_finite() && w[i] > 0.0 && mask.is_none_or(|m| m[i]);
            if ok {
                usable[i] = 1;
                sigma_w[i] = w[i].sqrt();
                (wk[i], wfk[i]) = (w[i], w[i] * f[i]);
                kept += 1;
            }
        }
        let mut keep = usable.clone();
        let mut next = vec![0u8; len];
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
        let mut packed = vec![0.0; k * (k + 1) / 2];
        let mut coefficients = vec![0.0; k];
        let (low, high) = (-self.low, self.high);
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
            let x = if k > 1 { column(1) } else { &basis[..0] };
            let pixels = Pixels {
                flux: f,
                sigma_w: &sigma_w,
                usable: &usable,
                keep: &keep,
            };
            let changed = evaluate_and_clip(&coefficients, x, &pixels, &mut next, values, (low, high));
            if changed == 0 {
                break;
            }
            let whole = changed > len / 8;
            for i in 0..len {
                if next[i] == keep[i] {
                    continue;
                }
                let added = next[i] == 1;
                kept = if added { kept + 1 } else { kept - 1 };
                (wk[i], wfk[i]) = if added { (w[i], w[i] * f[i]) } else { (0.0, 0.0) };
                if !whole {
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
            std::mem::swap(&mut keep, &mut next);
            if whole {
                sum_all(&wk, &wfk, &mut moments, &mut rhs);
            }
        }
        Some(usable.iter().zip(&keep).filter(|(u, k)| **u == 1 && **k == 0).count())
    }
}

/// A region's pixels as one clipping round reads them.
struct Pixels<'a> {
    flux: &'a [f64],
    /// `sqrt(ivar)`, 0 for pixels that are not usable.
    sigma_w: &'a [f64],
    /// 1 for a usable pixel.
    usable: &'a [u8],
    /// 1 for a pixel the round's fit kept.
    keep: &'a [u8],
}

/// One clipping round in one pass: the continuum `Σ c_a T_a(x)` at every pixel (by
/// Clenshaw's recurrence, four pixels at a time) into `values`, and into `next` whether
/// each usable pixel lies within `(low, high)` sigma of it. Returns how many pixels
/// `next` changes. `x` holds the pixels' abscissae in [−1, 1] (unused for a constant).
fn evaluate_and_clip(
    c: &[f64],
    x: &[f64],
    pixels: &Pixels<'_>,
    next: &mut [u8],
    values: &mut [f64],
    (low, high): (f64, f64),
) -> usize {
    const LANES: usize = 4;
    let c0 = c.first().copied().unwrap_or(0.0);
    let higher = c.get(1..).unwrap_or(&[]);
    let constant = x.is_empty();
    let decide = |v: f64, f: f64, sw: f64, usable: u8| {
        let z = (f - v) * sw;
        u8::from(z >= low) & u8::from(z <= high) & usable
    };
    let single = |x: f64| {
        let (mut b1, mut b2) = (0.0, 0.0);
        for &ca in higher.iter().rev() {
            (b1, b2) = (ca + 2.0 * x * b1 - b2, b1);
        }
        c0 + x * b1 - b2
    };
    let mut changed = 0usize;
    let n = values.len();
    let whole = if constant { 0 } else { n / LANES * LANES };
    for (((((xc, fc), sc), (uc, kc)), nc), vc) in x[..whole]
        .chunks_exact(LANES)
        .zip(pixels.flux.chunks_exact(LANES))
        .zip(pixels.sigma_w.chunks_exact(LANES))
        .zip(pixels.usable.chunks_exact(LANES).zip(pixels.keep.chunks_exact(LANES)))
        .zip(next.chunks_exact_mut(LANES))
        .zip(values[..whole].chunks_exact_mut(LANES))
    {
        let (mut b1, mut b2) = ([0.0; LANES], [0.0; LANES]);
        for &ca in higher.iter().rev() {
            for l in 0..LANES {
                let t = ca + 2.0 * xc[l] * b1[l] - b2[l];
                b2[l] = b1[l];
                b1[l] = t;
            }
        }
        for l in 0..LANES {
            let v = c0 + xc[l] * b1[l] - b2[l];
            vc[l] = v;
            let inside = decide(v, fc[l], sc[l], uc[l]);
            nc[l] = inside;
            changed += usize::from(inside != kc[l]);
        }
    }
    for i in whole..n {
        let v = if constant { c0 } else { single(x[i]) };
        values[i] = v;
        let inside = decide(v, pixels.flux[i], pixels.sigma_w[i], pixels.usable[i]);
        next[i] = inside;
        changed += usize::from(inside != pixels.keep[i]);
    }
    changed
}

/// The values of `a`, borrowed when they are contiguous.
fn contiguous<'a>(a: ArrayView1<'a, f64>) -> std::borrow::Cow<'a, [f64]> {
    match a.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.to_vec()),
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

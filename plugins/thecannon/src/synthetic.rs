//! Labelled synthetic spectra for tests, demos and benchmarks, from a line model that is
//! deliberately *not* the Cannon's quadratic one.
//!
//! A spectrum of `n_pixels` pixels is `exp(−Σ_k τ_k φ_k(x))` (continuum 1), a sum of
//! Gaussian absorption lines `φ_k` (one per 25 pixels on average, widths 1.2–2.5 pixels,
//! at fixed positions) whose optical depths depend on the labels through
//! excitation-like, abundance and gravity factors:
//!
//! `τ_k = τ0_k · 10^(β_k [Fe/H]) · 10^(−χ_k (5040/Teff − 5040/4600)) · 10^(γ_k (log g − 2.5))`
//!
//! with per-line constants drawn once (`τ0` log-uniform in 0.03–1.5, `β` in 0.6–1.2,
//! `χ` in −2–2, `γ` in −0.4–0.4). Saturation (`exp`) and the exponentials make the flux
//! a non-polynomial function of the labels. Labels are red-giant-like: Teff uniform in
//! 4000–5200 K, log g following Teff (`2.5 + 1.3 (Teff − 4600)/600`) with a 0.25 dex
//! spread, clipped to 0.8–3.8, [Fe/H] uniform in −1.0–0.4. Noise is Gaussian with
//! standard deviation `1/snr` at every pixel, and `ivar = snr²`.
//!
//! Everything is reproducible: the line list from a fixed seed, each set from the seed
//! given to [`SyntheticSpectra::generate`].

use ndarray::{Array1, Array2};

/// The label names of synthetic spectra, in order.
pub const LABEL_NAMES: [&str; 3] = ["teff", "logg", "fe_h"];

/// A generator of synthetic spectra on a grid of `n_pixels` pixels.
#[derive(Debug, Clone)]
pub struct SyntheticSpectra {
    n_pixels: usize,
    snr: f64,
    lines: Vec<Line>,
}

#[derive(Debug, Clone)]
struct Line {
    center: f64,
    width: f64,
    tau0: f64,
    beta: f64,
    chi: f64,
    gamma: f64,
}

/// A set of labelled synthetic spectra.
#[derive(Debug, Clone)]
pub struct SyntheticSet {
    /// `teff`, `logg`, `fe_h`.
    pub label_names: Vec<String>,
    /// True labels, `n_spectra x 3` (K, dex, dex).
    pub labels: Array2<f64>,
    /// Normalized flux with noise, `n_spectra x n_pixels`.
    pub flux: Array2<f64>,
    /// Inverse variance, `n_spectra x n_pixels` (`snr²`, or a large constant when the
    /// generator is noiseless).
    pub ivar: Array2<f64>,
}

impl SyntheticSpectra {
    /// A generator for `n_pixels` pixels at S/N 100.
    pub fn new(n_pixels: usize) -> Self {
        let mut rng = Rng::new(0x5eed_11e5);
        let n_lines = n_pixels / 25;
        let lines = (0..n_lines)
            .map(|_| Line {
                center: rng.uniform(0.0, n_pixels as f64),
                width: rng.uniform(1.2, 2.5),
                tau0: 10f64.powf(rng.uniform(0.03f64.log10(), 1.5f64.log10())),
                beta: rng.uniform(0.6, 1.2),
                chi: rng.uniform(-2.0, 2.0),
                gamma: rng.uniform(-0.4, 0.4),
            })
            .collect();
        Self {
            n_pixels,
            snr: 100.0,
            lines,
        }
    }

    /// Per-pixel signal-to-noise ratio at the continuum; `f64::INFINITY` for noiseless
    /// spectra (their ivar is then 1e12).
    pub fn snr(mut self, snr: f64) -> Self {
        self.snr = snr;
        self
    }

    /// Number of pixels.
    pub fn n_pixels(&self) -> usize {
        self.n_pixels
    }

    /// The noiseless flux at `teff` (K), `logg`, `fe_h` (dex).
    pub fn flux(&self, teff: f64, logg: f64, fe_h: f64) -> Array1<f64> {
        let mut tau = vec![0.0; self.n_pixels];
        let theta = 5040.0 / teff - 5040.0 / 4600.0;
        for line in &self.lines {
            let depth = line.tau0 * 10f64.powf(line.beta * fe_h - line.chi * theta + line.gamma * (logg - 2.5));
            let reach = 5.0 * line.width;
            let lo = (line.center - reach).floor().max(0.0) as usize;
            let hi = ((line.center + reach).ceil() as usize).min(self.n_pixels);
            for (p, t) in tau.iter_mut().enumerate().take(hi).skip(lo) {
                let d = (p as f64 - line.center) / line.width;
                *t += depth * (-0.5 * d * d).exp();
            }
        }
        tau.into_iter().map(|t| (-t).exp()).collect()
    }

    /// `n_spectra` spectra with labels drawn as documented, noise from `seed`.
    pub fn generate(&self, n_spectra: usize, seed: u64) -> SyntheticSet {
        let mut rng = Rng::new(seed);
        let mut labels = Array2::zeros((n_spectra, 3));
        let mut flux = Array2::zeros((n_spectra, self.n_pixels));
        let noiseless = !self.snr.is_finite();
        let ivar_value = if noiseless { 1e12 } else { self.snr * self.snr };
        let ivar = Array2::from_elem((n_spectra, self.n_pixels), ivar_value);
        for n in 0..n_spectra {
            let teff = rng.uniform(4000.0, 5200.0);
            let logg = (2.5 + 1.3 * (teff - 4600.0) / 600.0 + 0.25 * rng.normal()).clamp(0.8, 3.8);
            let fe_h = rng.uniform(-1.0, 0.4);
            labels[(n, 0)] = teff;
            labels[(n, 1)] = logg;
            labels[(n, 2)] = fe_h;
            let clean = self.flux(teff, logg, fe_h);
            for (p, f) in clean.iter().enumerate() {
                flux[(n, p)] = if noiseless { *f } else { f + rng.normal() / self.snr };
            }
        }
        SyntheticSet {
            label_names: LABEL_NAMES.iter().map(|s| s.to_string()).collect(),
            labels,
            flux,
            ivar,
        }
    }
}

/// SplitMix64: a small, fast, reproducible generator (statistical quality is ample for
/// drawing test data).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

//! A Cannon model trained on synthetic APOGEE spectra, for the tests that run the
//! `thecannon` plugin.

use std::path::Path;

use astra_targets::ndarray::{Array2, Axis, arr1};
use astra_targets::spectrum::WavelengthGrid;
use astra_targets::spectrum::synthetic::{self, Labels};
use astra_thecannon::Trainer;
use astra_thecannon::plugin::continuum_for;

/// The labels of the synthetic spectrum of `seed`: a giant with teff 4200-5200 K, logg
/// 1.5-3.5, [Fe/H] -1.0-0.2.
pub fn labels_of(seed: u64) -> Labels {
    let mut rng = synthetic::Rng::new(seed);
    Labels {
        teff: rng.range(4200.0, 5200.0),
        logg: rng.range(1.5, 3.5),
        fe_h: rng.range(-1.0, 0.2),
    }
}

/// Trains The Cannon on `n` synthetic spectra (S/N 150, seeds 1000 on), each
/// continuum-normalized as the plugin normalizes, and saves the model at `path`.
pub fn cannon_model(path: &Path, n: usize) {
    let continuum = continuum_for(&WavelengthGrid::APOGEE);
    let p = WavelengthGrid::APOGEE.npix;
    let mut flux = Array2::<f64>::zeros((n, p));
    let mut ivar = Array2::<f64>::zeros((n, p));
    let mut labels = Array2::<f64>::zeros((n, 3));
    for i in 0..n {
        let seed = 1000 + i as u64;
        let l = labels_of(seed);
        let s = synthetic::apogee(seed, l, 150.0, 1).unwrap();
        let f = s.flux.index_axis(Axis(0), 0).mapv(f64::from);
        let w = s.ivar.index_axis(Axis(0), 0).mapv(f64::from);
        let normalized = continuum.normalize(f.view(), w.view()).unwrap();
        flux.row_mut(i).assign(&normalized.flux);
        ivar.row_mut(i).assign(&normalized.ivar);
        labels.row_mut(i).assign(&arr1(&[l.teff, l.logg, l.fe_h]));
    }
    let names = vec!["teff".to_string(), "logg".to_string(), "fe_h".to_string()];
    let model = Trainer::new(names, labels.view(), flux.view(), ivar.view())
        .train()
        .unwrap();
    model.save(path).unwrap();
}

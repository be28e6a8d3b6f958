//! The pixels of an input spectrum FERRE sees: ASPCAP's grids cover APOGEE's three
//! detectors only, so on the apStar grid FERRE's spectra are those 7514 of the 8575
//! pixels; on any other grid, every pixel.

use std::ops::Range;

use astra_targets::spectrum::WavelengthGrid;

/// The apStar pixels of APOGEE's three detectors: the first pixel of each (from its
/// first log10 wavelength, 4.180476, 4.200510 and 4.217064, on the apStar grid) and
/// their number of pixels, 3028, 2495 and 1991.
pub const APOGEE_DETECTORS: [Range<usize>; 3] = [246..3274, 3585..6080, 6344..8335];

/// Which pixels of an input spectrum FERRE sees, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FerrePixels {
    npix: usize,
    ranges: Vec<Range<usize>>,
}

impl FerrePixels {
    /// The pixels ASPCAP's grids cover on `grid`: [`APOGEE_DETECTORS`] on the apStar
    /// grid, every pixel otherwise.
    pub fn for_grid(grid: &WavelengthGrid) -> FerrePixels {
        let ranges = if *grid == WavelengthGrid::APOGEE {
            APOGEE_DETECTORS.to_vec()
        } else {
            std::iter::once(0..grid.npix).collect()
        };
        FerrePixels {
            npix: grid.npix,
            ranges,
        }
    }

    /// How many pixels FERRE sees.
    pub fn len(&self) -> usize {
        self.ranges.iter().map(|r| r.len()).sum()
    }

    /// Whether FERRE sees no pixel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pixels of an input row FERRE sees.
    pub fn select<T: Copy>(&self, row: impl Fn(usize) -> T) -> Vec<T> {
        self.ranges.iter().flat_map(|r| r.clone()).map(row).collect()
    }

    /// An input-length row from FERRE's pixel values, `fill` at the pixels FERRE does
    /// not see. `values` must have [`len`](Self::len) values.
    pub fn unmask<T: Copy>(&self, values: &[T], fill: T) -> Vec<T> {
        let mut out = vec![fill; self.npix];
        let mut k = 0;
        for r in &self.ranges {
            for i in r.clone() {
                if let Some(&v) = values.get(k) {
                    out[i] = v;
                }
                k += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detectors_are_astras_segments() {
        let pixels = FerrePixels::for_grid(&WavelengthGrid::APOGEE);
        assert_eq!(pixels.len(), 7514);
        let g = WavelengthGrid::APOGEE;
        for (r, start) in APOGEE_DETECTORS.iter().zip([4.180476, 4.20051, 4.217064]) {
            assert_eq!(((start - g.crval1) / g.cdelt1).round() as usize, r.start);
        }
        let row: Vec<usize> = pixels.select(|i| i);
        assert_eq!((row[0], row[3028], row[7513]), (246, 3585, 8334));
        let back = pixels.unmask(&row, usize::MAX);
        assert_eq!(
            (back[245], back[246], back[8334], back[8335]),
            (usize::MAX, 246, 8334, usize::MAX)
        );
    }
}

//! The FITS checksum (FITS standard, appendix J): the 32-bit ones'-complement sum of a
//! data unit's big-endian 32-bit words (`DATASUM`), and its 16-character ASCII encoding
//! (`CHECKSUM`).
//!
//! The data sums here are taken from the values being written, in memory, instead of
//! reading the written file back: a big-endian word of a `float32` image is the value's
//! bit pattern, so no byte swapping is needed. Fill bytes are zeros and add nothing.

/// A running ones'-complement sum of 32-bit words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sum32(u64);

/// Words summed before the 64-bit accumulator is folded (far from overflowing).
const FOLD_EVERY: usize = 1 << 28;

impl Sum32 {
    /// Adds words given as `u64`s below 2^32 each, in blocks the accumulator can hold.
    fn add_words<I: Iterator<Item = u64>>(&mut self, words: I) {
        self.0 = fold64(self.0 + words.sum::<u64>());
    }

    /// Adds the words of `float32` values.
    pub fn add_f32(&mut self, values: &[f32]) {
        for chunk in values.chunks(FOLD_EVERY) {
            self.add_words(chunk.iter().map(|x| u64::from(x.to_bits())));
        }
    }

    /// Adds the words of `int32` values.
    pub fn add_i32(&mut self, values: &[i32]) {
        for chunk in values.chunks(FOLD_EVERY) {
            self.add_words(chunk.iter().map(|x| u64::from(*x as u32)));
        }
    }

    /// Adds the words of `float64` values (two words each).
    pub fn add_f64(&mut self, values: &[f64]) {
        for chunk in values.chunks(FOLD_EVERY / 2) {
            self.add_words(chunk.iter().map(|x| {
                let b = x.to_bits();
                (b >> 32) + (b & 0xFFFF_FFFF)
            }));
        }
    }

    /// Adds the words of `int16` values (two values a word; an odd last value is padded
    /// with a zero half-word). Must be given a whole data unit or an even-length part.
    pub fn add_i16(&mut self, values: &[i16]) {
        for chunk in values.chunks(FOLD_EVERY) {
            let pairs = chunk.chunks_exact(2);
            let rest = pairs.remainder();
            self.add_words(pairs.map(|p| (u64::from(p[0] as u16) << 16) | u64::from(p[1] as u16)));
            if let [last] = rest {
                self.add_words(std::iter::once(u64::from(*last as u16) << 16));
            }
        }
    }

    /// Adds big-endian bytes (a multiple of 4 long, or the end of the data unit: a short
    /// last word is padded with zeros).
    pub fn add_bytes(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(FOLD_EVERY * 4) {
            let words = chunk.chunks_exact(4);
            let rest = words.remainder();
            self.add_words(words.map(|w| u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]))));
            if !rest.is_empty() {
                let mut w = [0u8; 4];
                w[..rest.len()].copy_from_slice(rest);
                self.add_words(std::iter::once(u64::from(u32::from_be_bytes(w))));
            }
        }
    }

    /// Adds another sum.
    pub fn add_sum(&mut self, other: Sum32) {
        self.0 = fold64(self.0 + other.0);
    }

    /// The 32-bit ones'-complement sum.
    pub fn value(self) -> u32 {
        fold64(self.0) as u32
    }
}

/// Folds the carries above bit 31 back into the low word (end-around carry).
fn fold64(mut x: u64) -> u64 {
    while x >> 32 != 0 {
        x = (x & 0xFFFF_FFFF) + (x >> 32);
    }
    x
}

/// The 16-character ASCII encoding of a checksum (appendix J); with `complement`, of its
/// complement, which is what a `CHECKSUM` card holds so that the whole HDU sums to -0.
pub fn encode(sum: u32, complement: bool) -> String {
    const EXCLUDE: [u8; 13] = [
        0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60,
    ];
    let value = if complement { !sum } else { sum };
    let mut asc = [0u8; 16];
    for i in 0..4 {
        let byte = (value >> (24 - 8 * i)) & 0xFF;
        let quotient = (byte / 4 + 0x30) as u8;
        let remainder = (byte % 4) as u8;
        let mut ch = [quotient; 4];
        ch[0] += remainder;
        loop {
            let mut changed = false;
            for j in (0..4).step_by(2) {
                if EXCLUDE.contains(&ch[j]) || EXCLUDE.contains(&ch[j + 1]) {
                    ch[j] += 1;
                    ch[j + 1] -= 1;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for j in 0..4 {
            asc[4 * j + i] = ch[j];
        }
    }
    (0..16).map(|i| asc[(i + 15) % 16] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be_bytes_f32(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_be_bytes()).collect()
    }

    #[test]
    fn typed_sums_equal_the_sum_of_the_big_endian_bytes() {
        let f: Vec<f32> = (0..1001).map(|i| (i as f32).sin() * 1e3).collect();
        let (mut a, mut b) = (Sum32::default(), Sum32::default());
        a.add_f32(&f);
        b.add_bytes(&be_bytes_f32(&f));
        assert_eq!(a.value(), b.value());

        let s: Vec<i16> = (0..1001).map(|i| (i * 37 - 9000) as i16).collect();
        let (mut a, mut b) = (Sum32::default(), Sum32::default());
        a.add_i16(&s);
        b.add_bytes(&s.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<_>>());
        assert_eq!(a.value(), b.value());

        let d: Vec<f64> = (0..333).map(|i| (i as f64).cos() * -7.5e10).collect();
        let (mut a, mut b) = (Sum32::default(), Sum32::default());
        a.add_f64(&d);
        b.add_bytes(&d.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<_>>());
        assert_eq!(a.value(), b.value());
    }

    #[test]
    fn carries_wrap_around() {
        let mut s = Sum32::default();
        s.add_i32(&[-1, -1, 2]);
        // 0xFFFFFFFF + 0xFFFFFFFF = 0x1_FFFF_FFFE -> 0xFFFF_FFFF; + 2 -> 0x1_0000_0001 -> 2.
        assert_eq!(s.value(), 2);
    }

    #[test]
    fn encoding_matches_cfitsio_and_cancels_the_sum() {
        let mod_ = |x: u32| if x == 0xFFFF_FFFF { 0 } else { x };
        for sum in [0u32, 1, 0x1234_5678, 0xFFFF_FFFE, 2_833_463_453] {
            let text = encode(sum, true);
            let mut c = [0 as std::ffi::c_char; 17];
            // SAFETY: ffesum writes 16 characters and a NUL.
            unsafe { fitsio::sys::ffesum(sum as _, 1, c.as_mut_ptr()) };
            let theirs: String = c[..16].iter().map(|&b| b as u8 as char).collect();
            assert_eq!(text, theirs);
            // In a card the value starts at byte 11 (3 mod 4): replacing the zero
            // placeholder by the encoding adds the complement of the sum.
            let aligned = |t: &[u8]| [&[0u8; 3][..], t, &[0u8]].concat();
            let mut with = Sum32(u64::from(sum));
            with.add_bytes(&aligned(text.as_bytes()));
            let mut zeros = Sum32::default();
            zeros.add_bytes(&aligned(&[b'0'; 16]));
            zeros.add_sum(Sum32(0xFFFF_FFFF));
            assert_eq!(mod_(with.value()), mod_(zeros.value()), "{sum:#x} -> {text}");
        }
    }
}

//! The quadratic-in-labels vectorizer: the terms a pixel's flux is a linear combination of.
//!
//! For `L` (scaled) labels `l` the terms are, in this order: `1`, then `l_0 .. l_{L-1}`,
//! then `l_i * l_j` for every `i <= j` in row-major order (`l_0²`, `l_0 l_1`, …,
//! `l_1²`, …). Three labels give 1 + 3 + 6 = 10 terms.

/// The quadratic vectorizer for a fixed number of labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuadraticVectorizer {
    n_labels: usize,
}

impl QuadraticVectorizer {
    /// A vectorizer over `n_labels` labels.
    pub fn new(n_labels: usize) -> Self {
        Self { n_labels }
    }

    /// Number of labels.
    pub fn n_labels(&self) -> usize {
        self.n_labels
    }

    /// Number of terms: `1 + L + L (L + 1) / 2`.
    pub fn n_terms(&self) -> usize {
        let l = self.n_labels;
        1 + l + l * (l + 1) / 2
    }

    /// Writes the terms at `labels` (scaled) into `out` (length [`n_terms`](Self::n_terms)).
    ///
    /// Both slices must have the lengths named above; shorter ones are filled as far as
    /// they go.
    pub fn terms_into(&self, labels: &[f64], out: &mut [f64]) {
        let l = self.n_labels;
        let mut k = 0;
        if let Some(o) = out.get_mut(0) {
            *o = 1.0;
        }
        k += 1;
        for i in 0..l {
            if let (Some(o), Some(x)) = (out.get_mut(k), labels.get(i)) {
                *o = *x;
            }
            k += 1;
        }
        for i in 0..l {
            for j in i..l {
                if let (Some(o), Some(a), Some(b)) = (out.get_mut(k), labels.get(i), labels.get(j)) {
                    *o = a * b;
                }
                k += 1;
            }
        }
    }

    /// The terms at `labels` (scaled) as a new vector.
    pub fn terms(&self, labels: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n_terms()];
        self.terms_into(labels, &mut out);
        out
    }

    /// Writes the derivatives of the terms with respect to the labels into `out`, a
    /// row-major `n_terms x n_labels` matrix: `out[t * L + k] = d term_t / d l_k`.
    pub fn jacobian_into(&self, labels: &[f64], out: &mut [f64]) {
        let l = self.n_labels;
        out.iter_mut().for_each(|o| *o = 0.0);
        let mut set = |t: usize, k: usize, v: f64| {
            if let Some(o) = out.get_mut(t * l + k) {
                *o += v;
            }
        };
        for i in 0..l {
            set(1 + i, i, 1.0);
        }
        let mut t = 1 + l;
        for i in 0..l {
            for j in i..l {
                let li = labels.get(i).copied().unwrap_or(0.0);
                let lj = labels.get(j).copied().unwrap_or(0.0);
                // d(l_i l_j)/d l_i = l_j, d/d l_j = l_i; for i == j both add up to 2 l_i.
                set(t, i, lj);
                set(t, j, li);
                t += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_labels_have_ten_terms_in_documented_order() {
        let v = QuadraticVectorizer::new(3);
        assert_eq!(v.n_terms(), 10);
        let t = v.terms(&[2.0, 3.0, 5.0]);
        assert_eq!(t, vec![1.0, 2.0, 3.0, 5.0, 4.0, 6.0, 10.0, 9.0, 15.0, 25.0]);
    }

    #[test]
    fn jacobian_matches_finite_differences() {
        let v = QuadraticVectorizer::new(3);
        let x = [0.3, -1.2, 0.7];
        let mut jac = vec![0.0; 30];
        v.jacobian_into(&x, &mut jac);
        let h = 1e-6;
        for k in 0..3 {
            let mut xp = x;
            let mut xm = x;
            xp[k] += h;
            xm[k] -= h;
            let (tp, tm) = (v.terms(&xp), v.terms(&xm));
            for t in 0..10 {
                let fd = (tp[t] - tm[t]) / (2.0 * h);
                assert!((fd - jac[t * 3 + k]).abs() < 1e-8, "term {t} label {k}");
            }
        }
    }
}

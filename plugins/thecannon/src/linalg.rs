//! Small symmetric positive-definite solves through faer's Cholesky factorization, with
//! the workspace allocated once and reused (training and fitting solve many tiny
//! systems; allocating per solve would cost more than the arithmetic).

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt;
use faer::{MatMut, MatRef, Par};

/// A reusable `n x n` Cholesky factorization `A = L Lᵀ`.
pub(crate) struct Cholesky {
    n: usize,
    /// Column-major `n x n`; the lower triangle holds `L` after [`Self::factor`].
    factor: Vec<f64>,
    buffer: MemBuffer,
}

impl Cholesky {
    /// Workspace for `n x n` systems.
    pub(crate) fn new(n: usize) -> Self {
        let req = llt::factor::cholesky_in_place_scratch::<f64>(n, Par::Seq, Default::default())
            .or(llt::solve::solve_in_place_scratch::<f64>(n, 1, Par::Seq));
        Self {
            n,
            factor: vec![0.0; n * n],
            buffer: MemBuffer::new(req),
        }
    }

    /// Factors the symmetric matrix whose upper triangle is given packed row by row
    /// (`a00, a01, …, a0n, a11, …`). `false` if it is not numerically positive definite.
    pub(crate) fn factor_packed(&mut self, packed: &[f64]) -> bool {
        let n = self.n;
        let mut k = 0;
        for i in 0..n {
            for j in i..n {
                let v = packed[k];
                // column-major: (row j, col i) is the lower triangle.
                self.factor[i * n + j] = v;
                self.factor[j * n + i] = v;
                k += 1;
            }
        }
        self.factor_current()
    }

    /// Factors the symmetric matrix given in full, row- or column-major (`n * n` values).
    pub(crate) fn factor_full(&mut self, full: &[f64]) -> bool {
        self.factor.copy_from_slice(&full[..self.n * self.n]);
        self.factor_current()
    }

    fn factor_current(&mut self) -> bool {
        if self.factor.iter().any(|v| !v.is_finite()) {
            return false;
        }
        let a = MatMut::from_column_major_slice_mut(&mut self.factor, self.n, self.n);
        let stack = MemStack::new(&mut self.buffer);
        llt::factor::cholesky_in_place(a, Default::default(), Par::Seq, stack, Default::default()).is_ok()
    }

    /// Solves `A x = rhs` in place with the last successful factorization.
    pub(crate) fn solve(&mut self, rhs: &mut [f64]) {
        let n = self.n;
        let l = MatRef::from_column_major_slice(&self.factor, n, n);
        let x = MatMut::from_column_major_slice_mut(&mut rhs[..n], n, 1);
        let stack = MemStack::new(&mut self.buffer);
        llt::solve::solve_in_place(l, x, Par::Seq, stack);
    }

    /// The inverse `A⁻¹`, row-major (`n * n` values), from the last factorization.
    pub(crate) fn inverse(&mut self) -> Vec<f64> {
        let n = self.n;
        let mut out = vec![0.0; n * n];
        let mut col = vec![0.0; n];
        for j in 0..n {
            col.iter_mut().for_each(|c| *c = 0.0);
            col[j] = 1.0;
            self.solve(&mut col);
            for i in 0..n {
                out[i * n + j] = col[i];
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_inverts_a_small_spd_system() {
        // A = [[4, 2, 0], [2, 3, 1], [0, 1, 2]]
        let mut c = Cholesky::new(3);
        assert!(c.factor_packed(&[4.0, 2.0, 0.0, 3.0, 1.0, 2.0]));
        let mut x = vec![2.0, 6.0, 5.0];
        c.solve(&mut x);
        // A * [0, 1, 2] = [2, 5, 5]; check the residual instead of a hand solution.
        let a = [[4.0, 2.0, 0.0], [2.0, 3.0, 1.0], [0.0, 1.0, 2.0]];
        for i in 0..3 {
            let r: f64 = (0..3).map(|j| a[i][j] * x[j]).sum();
            assert!((r - [2.0, 6.0, 5.0][i]).abs() < 1e-12);
        }
        let inv = c.inverse();
        for i in 0..3 {
            for j in 0..3 {
                let e: f64 = (0..3).map(|k| a[i][k] * inv[k * 3 + j]).sum();
                assert!((e - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn refuses_an_indefinite_matrix() {
        let mut c = Cholesky::new(2);
        assert!(!c.factor_packed(&[1.0, 2.0, 1.0]));
        assert!(!c.factor_packed(&[f64::NAN, 0.0, 1.0]));
    }
}

//! Matrix products. Every product of the library goes through [`sgemm`], so the
//! backend is chosen in one place.

/// A row-major or transposed view of a matrix stored in a flat slice.
#[derive(Clone, Copy, Debug)]
pub enum Layout {
    /// Stored as written: element (i, j) at `i * cols + j`.
    Normal,
    /// The transpose of what is stored: element (i, j) at `j * rows + i`.
    Transposed,
}

/// `c = alpha * op(a) · op(b) + beta * c`, with `op(a)` of shape `m × k`,
/// `op(b)` of shape `k × n`, and `c` a row-major `m × n` matrix.
///
/// `beta = 0` overwrites `c` (its old content, even NaN, is ignored).
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: &[f32],
    la: Layout,
    b: &[f32],
    lb: Layout,
    beta: f32,
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "sgemm: slice too short");
    let (rsa, csa) = match la {
        Layout::Normal => (k as isize, 1),
        Layout::Transposed => (1, m as isize),
    };
    let (rsb, csb) = match lb {
        Layout::Normal => (n as isize, 1),
        Layout::Transposed => (1, k as isize),
    };
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // matrixmultiply handles k == 0 by scaling c; keep beta = 0 exact.
        c[..m * n].iter_mut().for_each(|v| *v = if beta == 0.0 { 0.0 } else { *v * beta });
        return;
    }
    // SAFETY: the asserts above keep every index the strides reach inside the slices.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, k: usize, n: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    fn transpose(r: usize, c: usize, x: &[f32]) -> Vec<f32> {
        let mut t = vec![0.0; r * c];
        for i in 0..r {
            for j in 0..c {
                t[j * r + i] = x[i * c + j];
            }
        }
        t
    }

    #[test]
    fn matches_naive_in_every_layout() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.71).cos()).collect();
        let want = naive(m, k, n, &a, &b);
        let at = transpose(m, k, &a);
        let bt = transpose(k, n, &b);
        for (aa, la) in [(&a, Layout::Normal), (&at, Layout::Transposed)] {
            for (bb, lb) in [(&b, Layout::Normal), (&bt, Layout::Transposed)] {
                let mut c = vec![f32::NAN; m * n];
                sgemm(m, k, n, 1.0, aa, la, bb, lb, 0.0, &mut c);
                for (x, y) in c.iter().zip(&want) {
                    assert!((x - y).abs() < 1e-5, "{la:?} {lb:?}: {x} vs {y}");
                }
            }
        }
    }
}

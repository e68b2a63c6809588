//! What the layers of the form `activation(affine(x))` (Dense, Conv2D)
//! share in training: keeping the pre-activation for the backward pass only
//! when the activation is not linear, the pre-activation's gradient, and
//! the bias gradient.

use super::scratch;
use crate::kernels::simd::{dispatch_body, Body};
use crate::kernels::ActivationFn;

/// The training-mode forward pass: `affine` writes the pre-activation,
/// into `y` directly for a linear `A` or one whose derivative needs only
/// `y` (then applied in place), else into `z` (kept for
/// [`pre_activation_gradient`]) from which `A` writes `y` (rows of `width`).
pub(crate) fn forward<A: ActivationFn>(z: &mut Vec<f32>, y: &mut [f32], width: usize, affine: impl FnOnce(&mut [f32])) {
    if A::LINEAR || A::FROM_OUTPUT {
        affine(y);
        A::apply(y, width);
    } else {
        let z = scratch(z, y.len());
        affine(z);
        A::apply_to(z, y, width);
    }
}

/// The gradient with respect to the pre-activation `z` kept by [`forward`]
/// (not read when `A::FROM_OUTPUT`): `dy` itself for a linear `A`, else
/// computed into `buf`.
pub(crate) fn pre_activation_gradient<'a, A: ActivationFn>(
    z: &[f32],
    buf: &'a mut Vec<f32>,
    y: &[f32],
    dy: &'a [f32],
    width: usize,
) -> &'a [f32] {
    if A::LINEAR {
        return dy;
    }
    let dz = scratch(buf, dy.len());
    A::backward(&kept::<A>(z, y)[..dy.len()], y, dy, dz, width);
    dz
}

/// What `A`'s derivative is taken at: the kept pre-activation `z`, or the
/// output `y` itself when `A::FROM_OUTPUT` (then nothing was kept).
pub(crate) fn kept<'a, A: ActivationFn>(z: &'a [f32], y: &'a [f32]) -> &'a [f32] {
    if A::FROM_OUTPUT {
        y
    } else {
        z
    }
}

/// The bias gradient: the sum of `dz`'s rows of `width`, into `db`.
pub(crate) fn bias_gradient(db: &mut Vec<f32>, dz: &[f32], width: usize) {
    let db = scratch(db, width);
    db.fill(0.0);
    add_rows(db, dz);
}

/// Adds each of `dz`'s rows (of `db.len()` values) onto `db`, in row order.
pub(crate) fn add_rows(db: &mut [f32], dz: &[f32]) {
    dispatch_body(AddRows { db, dz })
}

/// Columns of [`add_rows`] summed at a time in registers (four AVX-512
/// registers), so that no row waits for the last one's stores.
const SUM_LANES: usize = 64;

/// Rows of [`add_rows`] at a time, so that a block of rows is read once per
/// column block from cache.
const SUM_ROWS: usize = 64;

/// [`add_rows`]'s loop, compiled per instruction set.
struct AddRows<'a> {
    db: &'a mut [f32],
    dz: &'a [f32],
}

impl Body for AddRows<'_> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let w = self.db.len();
        if w == 0 {
            return;
        }
        for rows in self.dz.chunks(SUM_ROWS * w) {
            let mut at = 0;
            while w - at >= SUM_LANES {
                sum_columns::<SUM_LANES>(self.db, rows, w, at);
                at += SUM_LANES;
            }
            // The rest in whole registers where it is (a convolution's 32
            // filters), else one column at a time.
            match w - at {
                0 => {}
                16 => sum_columns::<16>(self.db, rows, w, at),
                32 => sum_columns::<32>(self.db, rows, w, at),
                48 => sum_columns::<48>(self.db, rows, w, at),
                _ => {
                    for row in rows.chunks_exact(w) {
                        self.db[at..].iter_mut().zip(&row[at..]).for_each(|(d, g)| *d += g);
                    }
                }
            }
        }
    }
}

/// Adds columns `at..at + L` of each row of `rows` (rows of `w` floats)
/// onto `db`'s, summed in registers, in row order.
#[inline(always)]
fn sum_columns<const L: usize>(db: &mut [f32], rows: &[f32], w: usize, at: usize) {
    let db: &mut [f32; L] = (&mut db[at..at + L]).try_into().expect("L columns");
    let mut acc = *db;
    for row in rows.chunks_exact(w) {
        let g: &[f32; L] = row[at..at + L].try_into().expect("L columns");
        acc = core::array::from_fn(|l| acc[l] + g[l]);
    }
    *db = acc;
}

#[cfg(test)]
mod tests {
    /// `add_rows` equals adding the rows one by one, in the same order (so
    /// bit for bit), for widths in and out of whole registers.
    #[test]
    fn add_rows_sums_every_column_in_row_order() {
        for w in [1, 10, 16, 32, 48, 64, 80, 100, 128, 300] {
            for rows in [1, 63, 64, 65, 200] {
                let dz: Vec<f32> = (0..w * rows).map(|i| ((i * 7919) % 1000) as f32 / 997.0 - 0.4).collect();
                let mut want: Vec<f32> = (0..w).map(|j| j as f32 * 0.25).collect();
                let mut got = want.clone();
                for row in dz.chunks_exact(w) {
                    want.iter_mut().zip(row).for_each(|(d, g)| *d += g);
                }
                super::add_rows(&mut got, &dz);
                assert_eq!(got, want, "width {w}, {rows} rows");
            }
        }
    }
}

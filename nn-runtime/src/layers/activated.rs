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
            let mut db = self.db.chunks_exact_mut(SUM_LANES);
            for (j, db) in (&mut db).enumerate() {
                let mut acc: [f32; SUM_LANES] = (&*db).try_into().expect("whole lanes");
                for row in rows.chunks_exact(w) {
                    let g: &[f32; SUM_LANES] = row[j * SUM_LANES..][..SUM_LANES].try_into().expect("whole lanes");
                    acc = core::array::from_fn(|l| acc[l] + g[l]);
                }
                db.copy_from_slice(&acc);
            }
            let rest = db.into_remainder();
            let at = w - rest.len();
            for row in rows.chunks_exact(w) {
                rest.iter_mut().zip(&row[at..]).for_each(|(d, g)| *d += g);
            }
        }
    }
}

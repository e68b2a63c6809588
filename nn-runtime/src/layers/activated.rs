//! What the layers of the form `activation(affine(x))` (Dense, Conv2D)
//! share in training: keeping the pre-activation for the backward pass only
//! when the activation is not linear, the pre-activation's gradient, and
//! the bias gradient.

use super::scratch;
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

/// Adds each of `dz`'s rows (of `db.len()` values) onto `db`.
pub(crate) fn add_rows(db: &mut [f32], dz: &[f32]) {
    for row in dz.chunks_exact(db.len()) {
        db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
    }
}

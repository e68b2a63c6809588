//! Keras's `ELU` layer: `alpha * (exp(x) - 1)` below zero (alpha 1.0 by default).

use super::Layer;
#[cfg(feature = "std")]
use super::Train;
use crate::kernels::activation::elu;
#[cfg(feature = "std")]
use crate::kernels::activation::elu_grad;
use crate::kernels::simd::dispatch;

/// ELU over `N` values per sample.
#[derive(Debug, Clone, Copy)]
pub struct Elu<const N: usize> {
    /// Scale of the negative part.
    pub alpha: f32,
}

impl<const N: usize> Elu<N> {
    /// The layer with the given `alpha`.
    pub const fn new(alpha: f32) -> Self {
        Elu { alpha }
    }
}

impl<const N: usize> Layer for Elu<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        let alpha = self.alpha;
        dispatch(|| y.iter_mut().zip(x).for_each(|(y, &x)| *y = elu(x, alpha)));
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for Elu<N> {
    type State = ();

    fn backward(&mut self, _: &mut (), x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            let alpha = self.alpha;
            dispatch(|| {
                for ((dx, &dy), &x) in dx.iter_mut().zip(dy).zip(x) {
                    *dx = dy * elu_grad(x, alpha);
                }
            });
        }
    }
}

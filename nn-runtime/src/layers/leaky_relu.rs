//! Keras's `LeakyReLU` layer: slope `alpha` (default 0.3) below zero.

use super::Layer;
#[cfg(feature = "std")]
use super::Train;
use crate::kernels::activation::leaky_relu;
#[cfg(feature = "std")]
use crate::kernels::activation::leaky_relu_grad;

/// Leaky ReLU over `N` values per sample.
#[derive(Debug, Clone, Copy)]
pub struct LeakyRelu<const N: usize> {
    /// Slope for negative inputs (Keras 3's `negative_slope`).
    pub alpha: f32,
}

impl<const N: usize> LeakyRelu<N> {
    /// The layer with slope `alpha`.
    pub const fn new(alpha: f32) -> Self {
        LeakyRelu { alpha }
    }
}

impl<const N: usize> Layer for LeakyRelu<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        y.iter_mut().zip(x).for_each(|(y, &x)| *y = leaky_relu(x, self.alpha));
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for LeakyRelu<N> {
    type State = ();

    fn backward(&mut self, _: &mut (), x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            for ((dx, &dy), &x) in dx.iter_mut().zip(dy).zip(x) {
                *dx = dy * leaky_relu_grad(x, self.alpha);
            }
        }
    }
}

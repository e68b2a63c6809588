//! Keras's `GaussianNoise`: in training adds noise drawn from N(0, stddev²)
//! to every value; identity at inference (a regularizer).

#[cfg(feature = "std")]
use rand_distr::{Distribution as _, StandardNormal};

use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use crate::Rng;

/// Additive Gaussian noise over `N` values per sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct GaussianNoise<const N: usize> {
    /// Standard deviation of the noise.
    pub stddev: f32,
}

impl<const N: usize> GaussianNoise<N> {
    /// The layer with noise of standard deviation `stddev`.
    pub const fn new(stddev: f32) -> Self {
        GaussianNoise { stddev }
    }
}

impl<const N: usize> Layer for GaussianNoise<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        y.copy_from_slice(x);
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for GaussianNoise<N> {
    type State = ();

    fn forward(&mut self, _: &mut (), x: &[f32], y: &mut [f32], rng: &mut Rng) {
        // Keras adds noise only when `stddev > 0`.
        if self.stddev > 0.0 {
            for (y, &x) in y.iter_mut().zip(x) {
                let z: f32 = StandardNormal.sample(rng);
                *y = x + self.stddev * z;
            }
        } else {
            y.copy_from_slice(x);
        }
    }

    fn backward(&mut self, _: &mut (), _: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            dx.copy_from_slice(dy);
        }
    }
}

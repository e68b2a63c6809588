//! Keras's `GaussianDropout`: in training multiplies every value by noise
//! drawn from N(1, rate / (1 - rate)); identity at inference, except in
//! [`predict_mc`](crate::model::predict_mc)'s passes.

#[cfg(feature = "std")]
use rand_distr::{Distribution as _, StandardNormal};

use super::dropping::Stream;
#[cfg(feature = "std")]
use super::scratch;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(not(feature = "std"))]
use crate::kernels::CoreMath as _;
#[cfg(feature = "std")]
use crate::Rng;

/// Multiplicative Gaussian noise over `N` values per sample.
#[derive(Debug, Clone, Default)]
pub struct GaussianDropout<const N: usize> {
    /// Keras's drop probability, in `[0, 1)`: the noise's variance is `rate / (1 - rate)`.
    pub rate: f32,
    stream: Stream,
}

impl<const N: usize> GaussianDropout<N> {
    /// The layer with the given `rate`.
    pub const fn new(rate: f32) -> Self {
        GaussianDropout { rate, stream: Stream::new(0) }
    }

    /// The same layer with inference seed `seed`, from which it draws its
    /// masks in [`predict_mc`](crate::model::predict_mc)'s passes
    /// (`sequential!`'s `seeded` gives each dropout layer one).
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.stream = Stream::new(seed);
        self
    }

    /// The noise's standard deviation, `sqrt(rate / (1 - rate))`.
    pub fn stddev(&self) -> f32 {
        (self.rate / (1.0 - self.rate)).sqrt()
    }
}

impl<const N: usize> Layer for GaussianDropout<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        // (`predict_mc` needs `std`.)
        #[cfg(feature = "std")]
        if crate::model::mc_pass() && self.rate > 0.0 {
            return self.stream.scale_by_noise(self.stddev(), x, y);
        }
        y.copy_from_slice(x);
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for GaussianDropout<N> {
    /// The noise of the last training pass, for the backward pass.
    type State = Vec<f32>;

    fn forward(&mut self, noise: &mut Vec<f32>, x: &[f32], y: &mut [f32], rng: &mut Rng) {
        let noise = scratch(noise, x.len());
        // Keras draws noise only when `rate > 0`.
        if self.rate > 0.0 {
            let s = self.stddev();
            noise.iter_mut().for_each(|m| {
                let z: f32 = StandardNormal.sample(rng);
                *m = 1.0 + s * z;
            });
        } else {
            noise.fill(1.0);
        }
        for ((y, &x), &m) in y.iter_mut().zip(x).zip(noise.iter()) {
            *y = x * m;
        }
    }

    fn backward(&mut self, noise: &mut Vec<f32>, _: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            for ((dx, &dy), &m) in dx.iter_mut().zip(dy).zip(noise.iter()) {
                *dx = dy * m;
            }
        }
    }
}

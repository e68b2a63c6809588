//! Keras's `SpatialDropout1D` and `SpatialDropout2D` (channels last): in
//! training, each channel of each sample is kept with probability
//! `1 - rate` for all its steps or pixels at once (Keras's noise shape
//! `(batch, 1, channels)` / `(batch, 1, 1, channels)`), kept values scaled
//! by `1 / (1 - rate)` as [`Dropout`](super::Dropout)'s; identity at
//! inference, except in [`predict_mc`](crate::model::predict_mc)'s passes.

#[cfg(feature = "std")]
use rand::Rng as _;

use super::dropping::{Rule, Stream};
#[cfg(feature = "std")]
use super::scratch;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use crate::Rng;

/// Channel dropout over `N` values per sample, `C` channels on the last axis.
#[derive(Debug, Clone, Default)]
pub struct SpatialDropout<const N: usize, const C: usize> {
    /// Probability of dropping a channel, in `[0, 1)`.
    pub rate: f32,
    stream: Stream,
    /// The gradient factor of each sample's channels (the scale, or 0) in the last training pass.
    #[cfg(feature = "std")]
    mask: Vec<f32>,
}

impl<const N: usize, const C: usize> SpatialDropout<N, C> {
    /// The layer with the given `rate`.
    pub const fn new(rate: f32) -> Self {
        SpatialDropout {
            rate,
            stream: Stream::new(0),
            #[cfg(feature = "std")]
            mask: Vec::new(),
        }
    }

    /// The same layer with inference seed `seed`, from which it draws its
    /// masks in [`predict_mc`](crate::model::predict_mc)'s passes
    /// (`sequential!`'s `seeded` gives each dropout layer one).
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.stream = Stream::new(seed);
        self
    }
}

impl<const N: usize, const C: usize> Layer for SpatialDropout<N, C> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        match crate::model::mc_pass() {
            true => self.stream.drop_channels(&Rule::inverted(self.rate), N, C, x, y),
            false => y.copy_from_slice(x),
        }
    }
}

#[cfg(feature = "std")]
impl<const N: usize, const C: usize> Train for SpatialDropout<N, C> {
    type State = ();

    fn forward(&mut self, _: &mut (), x: &[f32], y: &mut [f32], rng: &mut Rng) {
        let rule = Rule::inverted(self.rate);
        let n = x.len() / N;
        let mask = scratch(&mut self.mask, n * C);
        for m in mask.iter_mut() {
            *m = if rng.random::<f32>() < rule.keep { rule.slope } else { 0.0 };
        }
        for ((xs, ys), ms) in x.chunks_exact(N).zip(y.chunks_exact_mut(N)).zip(mask.chunks_exact(C)) {
            for (xr, yr) in xs.chunks_exact(C).zip(ys.chunks_exact_mut(C)) {
                for ((y, &x), &m) in yr.iter_mut().zip(xr).zip(ms) {
                    *y = rule.apply(x, m != 0.0);
                }
            }
        }
    }

    fn backward(&mut self, _: &mut (), _: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        let Some(dx) = dx else { return };
        for ((dxs, dys), ms) in dx.chunks_exact_mut(N).zip(dy.chunks_exact(N)).zip(self.mask.chunks_exact(C)) {
            for (dxr, dyr) in dxs.chunks_exact_mut(C).zip(dys.chunks_exact(C)) {
                for ((dx, &dy), &m) in dxr.iter_mut().zip(dyr).zip(ms) {
                    *dx = dy * m;
                }
            }
        }
    }
}

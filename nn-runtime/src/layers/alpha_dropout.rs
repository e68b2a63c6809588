//! Keras's `AlphaDropout`: dropout for SELU networks that keeps the mean and
//! variance: dropped values are set to SELU's negative saturation, then an
//! affine map restores the moments. Identity at inference, except in
//! [`predict_mc`](crate::model::predict_mc)'s passes.

#[cfg(feature = "std")]
use super::dropping;
use super::dropping::{Rule, Stream};
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use crate::Rng;

/// Alpha dropout over `N` values per sample.
#[derive(Debug, Clone, Default)]
pub struct AlphaDropout<const N: usize> {
    /// Probability of dropping a value, in `[0, 1)`.
    pub rate: f32,
    stream: Stream,
    #[cfg(feature = "std")]
    mask: Vec<f32>,
}

impl<const N: usize> AlphaDropout<N> {
    /// The layer with the given `rate`.
    pub const fn new(rate: f32) -> Self {
        AlphaDropout {
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

impl<const N: usize> Layer for AlphaDropout<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        match crate::model::mc_pass() {
            true => self.stream.drop_values(&Rule::alpha(self.rate), x, y),
            false => y.copy_from_slice(x),
        }
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for AlphaDropout<N> {
    type State = ();

    fn forward(&mut self, _: &mut (), x: &[f32], y: &mut [f32], rng: &mut Rng) {
        dropping::forward(&Rule::alpha(self.rate), &mut self.mask, x, y, rng);
    }

    fn backward(&mut self, _: &mut (), _: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        dropping::backward(&self.mask, dy, dx);
    }
}

//! Monte Carlo dropout (Gal & Ghahramani 2016; *Hands-On Machine Learning*,
//! chapter 11): [`McDropout`] and [`McAlphaDropout`] drop values at inference
//! too, as the book's `MCDropout` (a `keras.layers.Dropout` always called
//! with `training=True`). Averaging many predictions
//! ([`predict_mc`](crate::model::predict_mc)) gives a better estimate and its
//! spread an uncertainty.
//!
//! In training they are exactly [`Dropout`](super::Dropout) and
//! [`AlphaDropout`](super::AlphaDropout) (masks from the training generator).
//! Inference takes `&self`, so its masks come from a counter-based generator
//! inside the layer: the mask of a call is a hash of the layer's seed, the
//! number of inference calls the layer has made, and the position of each
//! value, so every call draws new masks and the same program gives the same
//! numbers on every run. The seed is drawn from the model's initialization
//! generator ([`McDropout::seeded`]), so it follows the model's seed; a
//! batch that `predict` infers as two halves on two threads gets the same
//! masks whichever half starts first.

use core::marker::PhantomData;

#[cfg(feature = "std")]
use rand::Rng as _;

#[cfg(feature = "std")]
use super::dropping;
use super::dropping::{Rule, Stream};
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use crate::Rng;

/// Which dropout an MC layer is: its formula for a given rate.
pub trait DropKind {
    /// Keras's formula at `rate`.
    fn rule(rate: f32) -> Rule;
}

/// Keras's `Dropout` formula (for [`McDropout`]).
#[derive(Debug, Clone, Copy)]
pub struct Inverted;

/// Keras's `AlphaDropout` formula (for [`McAlphaDropout`]).
#[derive(Debug, Clone, Copy)]
pub struct Alpha;

impl DropKind for Inverted {
    fn rule(rate: f32) -> Rule {
        Rule::inverted(rate)
    }
}

impl DropKind for Alpha {
    fn rule(rate: f32) -> Rule {
        Rule::alpha(rate)
    }
}

/// Dropout of kind `K` that stays on at inference, over `N` values per sample.
#[derive(Debug, Clone)]
pub struct Mc<K, const N: usize> {
    /// Probability of dropping a value, in `[0, 1)`.
    pub rate: f32,
    stream: Stream,
    #[cfg(feature = "std")]
    mask: Vec<f32>,
    kind: PhantomData<K>,
}

/// The book's `MCDropout`: Keras's `Dropout`, also at inference.
pub type McDropout<const N: usize> = Mc<Inverted, N>;

/// `MCAlphaDropout`: Keras's `AlphaDropout`, also at inference.
pub type McAlphaDropout<const N: usize> = Mc<Alpha, N>;

impl<K: DropKind, const N: usize> Mc<K, N> {
    /// The layer with the given `rate` and inference seed 0 (for `const`
    /// models with embedded weights; [`seeded`](Self::seeded) follows the model's seed).
    pub const fn new(rate: f32) -> Self {
        Mc {
            rate,
            stream: Stream::new(0),
            #[cfg(feature = "std")]
            mask: Vec::new(),
            kind: PhantomData,
        }
    }

    /// The layer with its inference seed drawn from `rng`, the model's
    /// initialization generator (what `sequential!`'s `seeded` passes).
    #[cfg(feature = "std")]
    pub fn seeded(rate: f32, rng: &mut Rng) -> Self {
        let mut layer = Self::new(rate);
        layer.set_seed(rng.random());
        layer
    }

    /// Restarts the inference generator from `seed`.
    pub fn set_seed(&mut self, seed: u64) {
        self.stream = Stream::new(seed);
    }

    /// The inference generator's seed.
    pub fn seed(&self) -> u64 {
        self.stream.seed()
    }
}

impl<K: DropKind, const N: usize> Layer for Mc<K, N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        self.stream.drop_values(&K::rule(self.rate), x, y);
    }
}

/// In training, exactly Keras's `Dropout` / `AlphaDropout`.
#[cfg(feature = "std")]
impl<K: DropKind, const N: usize> Train for Mc<K, N> {
    type State = ();

    fn forward(&mut self, _: &mut (), x: &[f32], y: &mut [f32], rng: &mut Rng) {
        dropping::forward(&K::rule(self.rate), &mut self.mask, x, y, rng);
    }

    fn backward(&mut self, _: &mut (), _: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        dropping::backward(&self.mask, dy, dx);
    }
}

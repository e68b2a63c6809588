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

use core::sync::atomic::{AtomicU64, Ordering};

#[cfg(feature = "std")]
use rand::Rng as _;

#[cfg(feature = "std")]
use super::scratch;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
use crate::kernels::activation::{SELU_ALPHA, SELU_SCALE};
#[cfg(feature = "std")]
use crate::Rng;

/// The layer's inference generator: a seed and a call counter.
#[derive(Debug)]
struct Stream {
    seed: u64,
    calls: AtomicU64,
}

impl Stream {
    const fn new(seed: u64) -> Self {
        Stream { seed, calls: AtomicU64::new(0) }
    }

    /// The key of this inference call. A call on one half of a batch split
    /// over two threads counts 1 (the two halves make one pass, told apart by
    /// their part), any other call counts 2, so the pass number does not
    /// depend on which thread comes first.
    fn next_key(&self) -> u64 {
        let part = crate::model::infer_part();
        let step = if part.is_some() { 1 } else { 2 };
        let pass = self.calls.fetch_add(step, Ordering::Relaxed) / 2;
        mix(mix(self.seed ^ 0x6d63_5f64_726f_706f) ^ pass)
            ^ (part.unwrap_or(0) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
}

impl Clone for Stream {
    /// The clone continues from the same call count.
    fn clone(&self) -> Self {
        Stream { seed: self.seed, calls: AtomicU64::new(self.calls.load(Ordering::Relaxed)) }
    }
}

/// SplitMix64's finalizer.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform number in `[0, 1)` for value `i` of the call with `key` (24 random bits).
#[inline]
fn uniform(key: u64, i: usize) -> f32 {
    (mix(key ^ (i as u64).wrapping_mul(0xd1b5_4a32_d192_ed03)) >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
}

/// Dropout that stays on at inference, over `N` values per sample.
#[derive(Debug, Clone)]
pub struct McDropout<const N: usize> {
    /// Probability of dropping a value, in `[0, 1)`.
    pub rate: f32,
    stream: Stream,
    #[cfg(feature = "std")]
    mask: Vec<f32>,
}

impl<const N: usize> McDropout<N> {
    /// The layer with the given `rate` and inference seed 0 (for `const`
    /// models with embedded weights; [`seeded`](Self::seeded) follows the model's seed).
    pub const fn new(rate: f32) -> Self {
        McDropout {
            rate,
            stream: Stream::new(0),
            #[cfg(feature = "std")]
            mask: Vec::new(),
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
        self.stream.seed
    }
}

impl<const N: usize> Layer for McDropout<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        let key = self.stream.next_key();
        let keep = 1.0 - self.rate;
        let scale = 1.0 / keep;
        for (i, (y, &x)) in y.iter_mut().zip(x).enumerate() {
            *y = if uniform(key, i) < keep { x * scale } else { 0.0 };
        }
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for McDropout<N> {
    type State = ();

    fn forward(&mut self, _: &mut (), x: &[f32], y: &mut [f32], rng: &mut Rng) {
        // Keras's Dropout in training (as super::Dropout).
        let keep = 1.0 - self.rate;
        let scale = 1.0 / keep;
        let mask = scratch(&mut self.mask, x.len());
        for ((m, y), &x) in mask.iter_mut().zip(y.iter_mut()).zip(x) {
            *m = if rng.random::<f32>() < keep { scale } else { 0.0 };
            *y = x * *m;
        }
    }

    fn backward(&mut self, _: &mut (), _: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            for ((dx, &dy), &m) in dx.iter_mut().zip(dy).zip(&self.mask) {
                *dx = dy * m;
            }
        }
    }
}

/// Alpha dropout that stays on at inference, over `N` values per sample
/// (Keras's `AlphaDropout` formula, for SELU networks).
#[derive(Debug, Clone)]
pub struct McAlphaDropout<const N: usize> {
    /// Probability of dropping a value, in `[0, 1)`.
    pub rate: f32,
    stream: Stream,
    #[cfg(feature = "std")]
    mask: Vec<f32>,
}

impl<const N: usize> McAlphaDropout<N> {
    /// The layer with the given `rate` and inference seed 0 (see [`McDropout::new`]).
    pub const fn new(rate: f32) -> Self {
        McAlphaDropout {
            rate,
            stream: Stream::new(0),
            #[cfg(feature = "std")]
            mask: Vec::new(),
        }
    }

    /// The layer with its inference seed drawn from `rng` (see [`McDropout::seeded`]).
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
        self.stream.seed
    }

    /// Keras's constants: `(alpha_p, a, b)`.
    fn affine(&self) -> (f32, f32, f32) {
        let alpha_p = -SELU_ALPHA * SELU_SCALE;
        let r = self.rate;
        let base = (1.0 - r) * (1.0 + r * alpha_p * alpha_p);
        // As super::AlphaDropout computes it.
        #[cfg(feature = "std")]
        let a = base.powf(-0.5);
        #[cfg(not(feature = "std"))]
        let a = libm::powf(base, -0.5);
        let b = -a * alpha_p * r;
        (alpha_p, a, b)
    }
}

impl<const N: usize> Layer for McAlphaDropout<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        let key = self.stream.next_key();
        let (alpha_p, a, b) = self.affine();
        let keep = 1.0 - self.rate;
        for (i, (y, &x)) in y.iter_mut().zip(x).enumerate() {
            *y = if uniform(key, i) < keep { a * x + b } else { a * alpha_p + b };
        }
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for McAlphaDropout<N> {
    type State = ();

    fn forward(&mut self, _: &mut (), x: &[f32], y: &mut [f32], rng: &mut Rng) {
        // Keras's AlphaDropout in training (as super::AlphaDropout).
        let (alpha_p, a, b) = self.affine();
        let keep = 1.0 - self.rate;
        let mask = scratch(&mut self.mask, x.len());
        for ((m, y), &x) in mask.iter_mut().zip(y.iter_mut()).zip(x) {
            let kept = rng.random::<f32>() < keep;
            *m = if kept { a } else { 0.0 };
            *y = if kept { a * x + b } else { a * alpha_p + b };
        }
    }

    fn backward(&mut self, _: &mut (), _: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            for ((dx, &dy), &m) in dx.iter_mut().zip(dy).zip(&self.mask) {
                *dx = dy * m;
            }
        }
    }
}

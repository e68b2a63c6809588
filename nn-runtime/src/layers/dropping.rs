//! Keras's dropout formulas, written once: what [`Dropout`](super::Dropout)
//! and [`AlphaDropout`](super::AlphaDropout) do to a value they keep or
//! drop in training, which their Monte Carlo variants
//! ([`McDropout`](super::McDropout), [`McAlphaDropout`](super::McAlphaDropout))
//! also do at inference; and the inference generator ([`Stream`]) with
//! which those, and every dropout layer in
//! [`predict_mc`](crate::model::predict_mc)'s passes, draw their masks.

use core::sync::atomic::{AtomicU64, Ordering};

#[cfg(feature = "std")]
use rand::Rng as _;

#[cfg(feature = "std")]
use super::scratch;
use crate::kernels::activation::{SELU_ALPHA, SELU_SCALE};
#[cfg(not(feature = "std"))]
use crate::kernels::CoreMath as _;
#[cfg(feature = "std")]
use crate::Rng;

/// A dropout formula: each value is kept with probability `keep`; then
/// `y = slope · x + shift` if kept, `y = 0 · x + dropped` if not (so that
/// NaN stays NaN, as Keras's products keep it).
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Probability of keeping a value, `1 - rate`.
    pub keep: f32,
    /// The factor of a kept value (and its gradient).
    pub slope: f32,
    /// Added to a kept value.
    pub shift: f32,
    /// What a dropped value becomes.
    pub dropped: f32,
}

impl Rule {
    /// Keras's `Dropout`: kept values scaled by `1 / (1 - rate)`, dropped ones 0.
    pub fn inverted(rate: f32) -> Rule {
        let keep = 1.0 - rate;
        Rule { keep, slope: 1.0 / keep, shift: 0.0, dropped: 0.0 }
    }

    /// Keras's `AlphaDropout`: dropped values at SELU's negative saturation,
    /// then the affine map `a · x + b` that keeps the mean and variance.
    pub fn alpha(rate: f32) -> Rule {
        let alpha_p = -SELU_ALPHA * SELU_SCALE;
        let a = ((1.0 - rate) * (1.0 + rate * alpha_p * alpha_p)).powf(-0.5);
        let b = -a * alpha_p * rate;
        Rule { keep: 1.0 - rate, slope: a, shift: b, dropped: a * alpha_p + b }
    }

    /// The output for `x`, kept or dropped.
    #[inline]
    pub fn apply(&self, x: f32, kept: bool) -> f32 {
        if kept {
            x * self.slope + self.shift
        } else {
            x * 0.0 + self.dropped
        }
    }
}

/// A dropout layer's inference generator: a seed and a call counter. The
/// mask of a call is a hash of the seed, the number of calls so far and
/// each value's position, so every call draws new masks and a program gives
/// the same numbers on every run.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    seed: u64,
    calls: AtomicU64,
}

impl Stream {
    /// A generator that has made no call yet.
    pub(crate) const fn new(seed: u64) -> Self {
        Stream { seed, calls: AtomicU64::new(0) }
    }

    /// Its seed.
    pub(crate) fn seed(&self) -> u64 {
        self.seed
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

    /// One inference call of `rule` on every value: `y` from `x`.
    pub(crate) fn drop_values(&self, rule: &Rule, x: &[f32], y: &mut [f32]) {
        let key = self.next_key();
        for (i, (y, &x)) in y.iter_mut().zip(x).enumerate() {
            *y = rule.apply(x, uniform(key, i) < rule.keep);
        }
    }

    /// One inference call of `rule` on whole channels (the last axis, `c`
    /// wide) of samples of `n` values: one draw per sample and channel.
    pub(crate) fn drop_channels(&self, rule: &Rule, n: usize, c: usize, x: &[f32], y: &mut [f32]) {
        let key = self.next_key();
        for (b, (xs, ys)) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)).enumerate() {
            for (xr, yr) in xs.chunks_exact(c).zip(ys.chunks_exact_mut(c)) {
                for (j, (y, &x)) in yr.iter_mut().zip(xr).enumerate() {
                    *y = rule.apply(x, uniform(key, b * c + j) < rule.keep);
                }
            }
        }
    }

    /// One inference call of multiplicative noise `1 + stddev · z`, `z`
    /// standard normal (Box-Muller over two draws a value).
    #[cfg(feature = "std")]
    pub(crate) fn scale_by_noise(&self, stddev: f32, x: &[f32], y: &mut [f32]) {
        let key = self.next_key();
        for (i, (y, &x)) in y.iter_mut().zip(x).enumerate() {
            let (u1, u2) = (1.0 - uniform(key, 2 * i), uniform(key, 2 * i + 1));
            let z = (-2.0 * u1.ln()).sqrt() * (core::f32::consts::TAU * u2).cos();
            *y = x * (1.0 + stddev * z);
        }
    }
}

impl Clone for Stream {
    /// The clone continues from the same call count.
    fn clone(&self) -> Self {
        Stream { seed: self.seed, calls: AtomicU64::new(self.calls.load(Ordering::Relaxed)) }
    }
}

/// The inference seed of the dropout layer `name` of a model seeded with
/// `seed` (what `sequential!`'s `seeded` gives each one, without drawing
/// from the weights' generator; `embedded` models use seed 0).
pub const fn layer_seed(seed: u64, name: &str) -> u64 {
    let (bytes, mut h, mut i) = (name.as_bytes(), mix(seed ^ 0x6c61_7965_725f_7365), 0);
    while i < bytes.len() {
        h = mix(h ^ bytes[i] as u64);
        i += 1;
    }
    h
}

/// SplitMix64's finalizer.
#[inline]
const fn mix(mut z: u64) -> u64 {
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

/// A training pass: a keep drawn from `rng` per value; `mask` gets each
/// value's gradient factor (the slope, or 0) for [`backward`].
#[cfg(feature = "std")]
pub fn forward(rule: &Rule, mask: &mut Vec<f32>, x: &[f32], y: &mut [f32], rng: &mut Rng) {
    let mask = scratch(mask, x.len());
    // The generator's words a block at a time (the same stream as one
    // `random::<f32>()` per value: the top 24 bits of a word, over 2^24).
    const BLOCK: usize = 64;
    let mut words = [0u32; BLOCK];
    for ((m, y), x) in mask.chunks_mut(BLOCK).zip(y.chunks_mut(BLOCK)).zip(x.chunks(BLOCK)) {
        let words = &mut words[..x.len()];
        rng.fill(words);
        for (((m, y), &x), &w) in m.iter_mut().zip(y.iter_mut()).zip(x).zip(&*words) {
            let kept = (w >> 8) as f32 * (1.0 / (1u32 << 24) as f32) < rule.keep;
            *m = if kept { rule.slope } else { 0.0 };
            *y = rule.apply(x, kept);
        }
    }
}

/// The backward pass of [`forward`]: `dx = dy · mask`.
#[cfg(feature = "std")]
pub fn backward(mask: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
    if let Some(dx) = dx {
        for ((dx, &dy), &m) in dx.iter_mut().zip(dy).zip(mask) {
            *dx = dy * m;
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The masks are those of one `random::<f32>()` per value, as before
    /// the words were drawn a block at a time (runs of other lengths too).
    #[test]
    fn blocks_of_words_draw_the_stream_of_one_float_per_value() {
        let rule = Rule::inverted(0.3);
        for n in [1, 63, 64, 65, 200] {
            let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
            let (mut mask, mut y) = (Vec::new(), vec![0.0; n]);
            forward(&rule, &mut mask, &x, &mut y, &mut Rng::seed_from_u64(7));
            let mut r = Rng::seed_from_u64(7);
            let want: Vec<f32> = (0..n).map(|_| if r.random::<f32>() < rule.keep { rule.slope } else { 0.0 }).collect();
            assert_eq!(mask[..n], want[..], "n = {n}");
        }
    }
}

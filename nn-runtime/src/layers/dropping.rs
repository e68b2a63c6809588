//! Keras's dropout formulas, written once: what [`Dropout`](super::Dropout)
//! and [`AlphaDropout`](super::AlphaDropout) do to a value they keep or
//! drop in training, which their Monte Carlo variants
//! ([`McDropout`](super::McDropout), [`McAlphaDropout`](super::McAlphaDropout))
//! also do at inference.

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

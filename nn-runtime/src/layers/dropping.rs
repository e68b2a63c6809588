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
    for ((m, y), &x) in mask.iter_mut().zip(y.iter_mut()).zip(x) {
        let kept = rng.random::<f32>() < rule.keep;
        *m = if kept { rule.slope } else { 0.0 };
        *y = rule.apply(x, kept);
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

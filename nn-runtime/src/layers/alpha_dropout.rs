//! Keras's `AlphaDropout`: dropout for SELU networks that keeps the mean and
//! variance: dropped values are set to SELU's negative saturation, then an
//! affine map restores the moments. Identity at inference.

#[cfg(feature = "std")]
use rand::Rng as _;

#[cfg(feature = "std")]
use super::scratch;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
#[cfg(feature = "std")]
use crate::kernels::activation::{SELU_ALPHA, SELU_SCALE};
#[cfg(feature = "std")]
use crate::Rng;

/// Alpha dropout over `N` values per sample.
#[derive(Debug, Clone, Default)]
pub struct AlphaDropout<const N: usize> {
    /// Probability of dropping a value, in `[0, 1)`.
    pub rate: f32,
    #[cfg(feature = "std")]
    mask: Vec<f32>,
}

impl<const N: usize> AlphaDropout<N> {
    /// The layer with the given `rate`.
    pub const fn new(rate: f32) -> Self {
        AlphaDropout {
            rate,
            #[cfg(feature = "std")]
            mask: Vec::new(),
        }
    }

    /// Keras's constants: `(alpha_p, a, b)`.
    #[cfg(feature = "std")]
    fn affine(&self) -> (f32, f32, f32) {
        let alpha_p = -SELU_ALPHA * SELU_SCALE;
        let r = self.rate;
        let a = ((1.0 - r) * (1.0 + r * alpha_p * alpha_p)).powf(-0.5);
        let b = -a * alpha_p * r;
        (alpha_p, a, b)
    }
}

impl<const N: usize> Layer for AlphaDropout<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        y.copy_from_slice(x);
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for AlphaDropout<N> {
    type State = ();

    fn forward(&mut self, _: &mut (), x: &[f32], y: &mut [f32], rng: &mut Rng) {
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

//! Randomized leaky ReLU (PyTorch's `RReLU`; Keras has none): in training each
//! negative value gets a slope drawn uniformly from `[lower, upper]`; at
//! inference the mean slope `(lower + upper) / 2`.

#[cfg(feature = "std")]
use rand::Rng as _;

#[cfg(feature = "std")]
use super::scratch;
use super::Layer;
#[cfg(feature = "std")]
use super::Train;
use crate::kernels::activation::leaky_relu;
#[cfg(feature = "std")]
use crate::Rng;

/// Randomized leaky ReLU over `N` values per sample.
#[derive(Debug, Clone, Default)]
pub struct RRelu<const N: usize> {
    /// Smallest slope (PyTorch's default 1/8).
    pub lower: f32,
    /// Largest slope (PyTorch's default 1/3).
    pub upper: f32,
    #[cfg(feature = "std")]
    slopes: Vec<f32>,
}

impl<const N: usize> RRelu<N> {
    /// The layer with slopes drawn from `[lower, upper]`.
    pub const fn new(lower: f32, upper: f32) -> Self {
        RRelu {
            lower,
            upper,
            #[cfg(feature = "std")]
            slopes: Vec::new(),
        }
    }
}

impl<const N: usize> Layer for RRelu<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        let a = (self.lower + self.upper) / 2.0;
        y.iter_mut().zip(x).for_each(|(y, &x)| *y = leaky_relu(x, a));
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for RRelu<N> {
    type State = ();

    fn forward(&mut self, _: &mut (), x: &[f32], y: &mut [f32], rng: &mut Rng) {
        let (lo, hi) = (self.lower, self.upper);
        let slopes = scratch(&mut self.slopes, x.len());
        for ((s, y), &x) in slopes.iter_mut().zip(y.iter_mut()).zip(x) {
            *s = if x >= 0.0 { 1.0 } else { lo + (hi - lo) * rng.random::<f32>() };
            *y = x * *s;
        }
    }

    fn backward(&mut self, _: &mut (), _: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            for ((dx, &dy), &s) in dx.iter_mut().zip(dy).zip(&self.slopes) {
                *dx = dy * s;
            }
        }
    }
}

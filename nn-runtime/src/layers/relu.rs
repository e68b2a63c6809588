//! Keras's `ReLU` layer: `max(x, 0)` capped at `max_value`, with
//! `negative_slope · (x - threshold)` below `threshold`, exactly as Keras's
//! `activations.relu` computes it (also for NaN: it propagates, except that
//! with a threshold and no slope Keras's `x > threshold` test maps NaN to 0).

use super::Layer;
#[cfg(feature = "std")]
use super::Train;

/// Keras's `ReLU` over `N` values per sample.
#[derive(Debug, Clone, Copy)]
pub struct Relu<const N: usize> {
    /// The ceiling (`f32::INFINITY` for Keras's `max_value = None`).
    pub max_value: f32,
    /// The slope below `threshold`.
    pub negative_slope: f32,
    /// Below it the output is `negative_slope · (x - threshold)`.
    pub threshold: f32,
}

impl<const N: usize> Default for Relu<N> {
    fn default() -> Self {
        Relu::new(f32::INFINITY, 0.0, 0.0)
    }
}

impl<const N: usize> Relu<N> {
    /// The layer with Keras's `max_value`, `negative_slope` and `threshold`.
    pub const fn new(max_value: f32, negative_slope: f32, threshold: f32) -> Self {
        Relu { max_value, negative_slope, threshold }
    }

    /// The output and its derivative at `x`.
    #[inline]
    fn eval(&self, x: f32) -> (f32, f32) {
        let (t, s, m) = (self.threshold, self.negative_slope, self.max_value);
        // The positive part: `x` above the threshold (relu when it is 0).
        let (mut pos, mut dpos) = if t != 0.0 {
            if x > t {
                (x, 1.0)
            } else {
                (0.0, 0.0)
            }
        } else if x <= 0.0 {
            (0.0, 0.0)
        } else {
            (x, 1.0)
        };
        if pos > m {
            (pos, dpos) = (m, 0.0);
        }
        if s == 0.0 {
            return (pos, dpos);
        }
        // The negative part: `relu(threshold - x)`, scaled by the slope.
        let d = t - x;
        if d <= 0.0 {
            (pos, dpos)
        } else {
            (pos - s * d, dpos + s)
        }
    }
}

impl<const N: usize> Layer for Relu<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn infer(&self, x: &[f32], y: &mut [f32], _: &mut [f32]) {
        y.iter_mut().zip(x).for_each(|(y, &x)| *y = self.eval(x).0);
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Train for Relu<N> {
    type State = ();

    fn backward(&mut self, _: &mut (), x: &[f32], _: &[f32], dy: &[f32], dx: Option<&mut [f32]>) {
        if let Some(dx) = dx {
            for ((dx, &dy), &x) in dx.iter_mut().zip(dy).zip(x) {
                *dx = dy * self.eval(x).1;
            }
        }
    }
}

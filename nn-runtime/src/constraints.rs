//! Keras's weight constraints (`keras.constraints.MaxNorm`, `NonNeg`,
//! `UnitNorm`, `MinMaxNorm`): a projection applied to a weight tensor after
//! every optimizer step.
//!
//! A constraint lives on the tensor it constrains ([`Param::constraint`](crate::Param::constraint));
//! `sequential!`'s `kernel_constraint = max_norm(1.0)` sets it, and so does
//! [`set_constraint`](crate::model::set_constraint). As Keras 3's optimizer
//! does (`variable.assign(constraint(variable))` after applying the
//! gradients), training applies it to every trainable tensor after each step.
//!
//! The norms are taken along `axis` of the tensor's shape (Keras's layout:
//! a Dense kernel is `[in, out]`, so axis 0 is each unit's incoming weights),
//! with Keras's `epsilon()` of `1e-7` (keras/src/constraints/constraints.py).
//!
//! ```
//! use nn_runtime::constraints::Constraint;
//!
//! // A [2, 2] kernel whose first column has norm 5.
//! let mut w = [3.0, 0.1, 4.0, 0.1];
//! Constraint::max_norm(1.0).apply(&mut w, &[2, 2]);
//! assert!((w[0] - 0.6).abs() < 1e-6 && (w[2] - 0.8).abs() < 1e-6);
//! assert!((w[1] - 0.1).abs() < 1e-6); // norm 0.14: kept (up to epsilon)
//! ```

#[cfg(not(feature = "std"))]
use crate::kernels::CoreMath as _;

/// Keras's `backend.epsilon()`, added to every norm before dividing.
pub const EPSILON: f32 = 1e-7;

/// One of Keras's weight constraints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Constraint {
    /// Keras's `MaxNorm(max_value, axis)`: `w * clip(n, 0, max_value) / (eps + n)`.
    MaxNorm {
        /// Largest norm allowed (Keras's default 2).
        max_value: f32,
        /// Axis the norms are taken along (Keras's default 0).
        axis: usize,
    },
    /// Keras's `NonNeg`: `max(w, 0)`.
    NonNeg,
    /// Keras's `UnitNorm(axis)`: `w / (eps + n)`.
    UnitNorm {
        /// Axis the norms are taken along (Keras's default 0).
        axis: usize,
    },
    /// Keras's `MinMaxNorm(min_value, max_value, rate, axis)`:
    /// `w * (rate * clip(n, min_value, max_value) + (1 - rate) * n) / (eps + n)`.
    MinMaxNorm {
        /// Smallest norm (Keras's default 0).
        min_value: f32,
        /// Largest norm (Keras's default 1).
        max_value: f32,
        /// How far to move the norm into the interval per step (1: all the way, Keras's default).
        rate: f32,
        /// Axis the norms are taken along (Keras's default 0).
        axis: usize,
    },
}

impl Constraint {
    /// Keras's `max_norm(max_value)`, axis 0 (Keras's default `max_value` is 2.0).
    pub const fn max_norm(max_value: f32) -> Self {
        Constraint::MaxNorm { max_value, axis: 0 }
    }

    /// Keras's `non_neg()`.
    pub const fn non_neg() -> Self {
        Constraint::NonNeg
    }

    /// Keras's `unit_norm()`, axis 0.
    pub const fn unit_norm() -> Self {
        Constraint::UnitNorm { axis: 0 }
    }

    /// Keras's `min_max_norm(min_value, max_value)`, rate 1.0, axis 0.
    pub const fn min_max_norm(min_value: f32, max_value: f32) -> Self {
        Constraint::MinMaxNorm { min_value, max_value, rate: 1.0, axis: 0 }
    }

    /// The same constraint with norms along `axis` (no effect on `NonNeg`).
    pub const fn with_axis(self, axis: usize) -> Self {
        match self {
            Constraint::MaxNorm { max_value, .. } => Constraint::MaxNorm { max_value, axis },
            Constraint::NonNeg => Constraint::NonNeg,
            Constraint::UnitNorm { .. } => Constraint::UnitNorm { axis },
            Constraint::MinMaxNorm { min_value, max_value, rate, .. } => {
                Constraint::MinMaxNorm { min_value, max_value, rate, axis }
            }
        }
    }

    /// The same `MinMaxNorm` with another `rate` (no effect on the others).
    pub const fn with_rate(self, rate: f32) -> Self {
        match self {
            Constraint::MinMaxNorm { min_value, max_value, axis, .. } => {
                Constraint::MinMaxNorm { min_value, max_value, rate, axis }
            }
            other => other,
        }
    }

    /// The axis the norms are taken along (`None` for `NonNeg`).
    pub const fn axis(&self) -> Option<usize> {
        match self {
            Constraint::MaxNorm { axis, .. } | Constraint::UnitNorm { axis } | Constraint::MinMaxNorm { axis, .. } => {
                Some(*axis)
            }
            Constraint::NonNeg => None,
        }
    }

    /// Projects `w` (row-major, of `shape`) in place, as Keras computes it;
    /// allocates nothing. A tensor of rank 0 is taken as one vector.
    ///
    /// # Panics
    ///
    /// If `axis` is not an axis of `shape` (Keras raises too).
    pub fn apply(&self, w: &mut [f32], shape: &[usize]) {
        let axis = match self {
            Constraint::NonNeg => {
                for v in w.iter_mut() {
                    // `ops.maximum(w, 0)`: NaN stays NaN.
                    if *v < 0.0 {
                        *v = 0.0;
                    }
                }
                return;
            }
            other => other.axis().unwrap_or(0),
        };
        let (outer, len, inner) = if shape.is_empty() {
            (1, w.len(), 1)
        } else {
            assert!(axis < shape.len(), "constraint axis {axis} is not an axis of a tensor of shape {shape:?}");
            let outer: usize = shape[..axis].iter().product();
            let inner: usize = shape[axis + 1..].iter().product();
            (outer, shape[axis], inner)
        };
        debug_assert_eq!(outer * len * inner, w.len(), "constraint: tensor length vs shape");
        for o in 0..outer {
            let base = o * len * inner;
            for i in 0..inner {
                let at = |j: usize| base + j * inner + i;
                let sq: f32 = (0..len).map(|j| w[at(j)] * w[at(j)]).sum();
                let n = sq.sqrt();
                let factor = match *self {
                    Constraint::MaxNorm { max_value, .. } => n.clamp_keras(0.0, max_value) / (EPSILON + n),
                    Constraint::UnitNorm { .. } => 1.0 / (EPSILON + n),
                    Constraint::MinMaxNorm { min_value, max_value, rate, .. } => {
                        (rate * n.clamp_keras(min_value, max_value) + (1.0 - rate) * n) / (EPSILON + n)
                    }
                    Constraint::NonNeg => 1.0,
                };
                if let Constraint::UnitNorm { .. } = self {
                    // Keras divides: `w / (eps + n)`.
                    let d = EPSILON + n;
                    for j in 0..len {
                        w[at(j)] /= d;
                    }
                } else {
                    for j in 0..len {
                        w[at(j)] *= factor;
                    }
                }
            }
        }
    }
}

/// `ops.clip(x, lo, hi)`: `min(max(x, lo), hi)`, NaN propagating.
trait ClampKeras {
    fn clamp_keras(self, lo: f32, hi: f32) -> f32;
}

impl ClampKeras for f32 {
    #[inline]
    fn clamp_keras(self, lo: f32, hi: f32) -> f32 {
        if self.is_nan() {
            return self;
        }
        let v = if self < lo { lo } else { self };
        if v > hi {
            hi
        } else {
            v
        }
    }
}

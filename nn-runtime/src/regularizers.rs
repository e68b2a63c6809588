//! Keras's weight regularizers (`keras.regularizers.l1`, `l2`, `l1_l2`): a
//! penalty on a weight tensor that training adds to the loss.
//!
//! A regularizer lives on the tensor it penalizes ([`Param::regularizer`](crate::Param::regularizer));
//! `sequential!`'s `kernel_regularizer = l2(0.01)` sets it, and so does
//! [`set_regularizer`](crate::model::set_regularizer). As in Keras 3, the
//! penalties of every *trainable* tensor are part of the loss that
//! `train_on_batch`, `fit` and `evaluate` report, and their gradients are part
//! of the gradient (before clipping and the optimizer).
//!
//! ```
//! use nn_runtime::regularizers::Regularizer;
//!
//! let r = Regularizer::l1_l2(0.01, 0.1);
//! let w = [1.0, -2.0];
//! // Keras: l1 * sum(|w|) + l2 * sum(w²)
//! assert!((r.penalty(&w) - (0.01 * 3.0 + 0.1 * 5.0)).abs() < 1e-6);
//! let mut g = [0.0, 0.0];
//! r.add_gradient(&w, &mut g);
//! assert!((g[0] - (0.01 + 0.2)).abs() < 1e-6 && (g[1] - (-0.01 - 0.4)).abs() < 1e-6);
//! ```

/// Keras 3's `L1L2` (and its shortcuts `L1`, `L2`): the penalty
/// `l1 * sum(|w|) + l2 * sum(w²)` (keras/src/regularizers/regularizers.py).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Regularizer {
    /// The L1 factor (Keras's `l1`).
    pub l1: f32,
    /// The L2 factor (Keras's `l2`).
    pub l2: f32,
}

impl Regularizer {
    /// Keras's `l1(l1)`: `l1 * sum(|w|)`.
    pub const fn l1(l1: f32) -> Self {
        Regularizer { l1, l2: 0.0 }
    }

    /// Keras's `l2(l2)`: `l2 * sum(w²)`.
    pub const fn l2(l2: f32) -> Self {
        Regularizer { l1: 0.0, l2 }
    }

    /// Keras's `l1_l2(l1, l2)`: both penalties.
    pub const fn l1_l2(l1: f32, l2: f32) -> Self {
        Regularizer { l1, l2 }
    }

    /// The penalty of `w`: `l1 * sum(|w|) + l2 * sum(w²)`, each term only
    /// when its factor is not 0 (as Keras skips it); the sums in `f64`.
    pub fn penalty(&self, w: &[f32]) -> f32 {
        let mut total = 0.0f32;
        if self.l1 != 0.0 {
            let s: f64 = w.iter().map(|&v| f64::from(v.abs())).sum();
            total += self.l1 * s as f32;
        }
        if self.l2 != 0.0 {
            let s: f64 = w.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
            total += self.l2 * s as f32;
        }
        total
    }

    /// Adds the penalty's gradient to `g`: `l1 * sign(w) + 2 * l2 * w`
    /// (`sign(0) = 0`, TensorFlow's gradient of `abs` at 0).
    pub fn add_gradient(&self, w: &[f32], g: &mut [f32]) {
        debug_assert_eq!(w.len(), g.len(), "regularizer gradient: tensor and gradient lengths");
        let (l1, l2x2) = (self.l1, 2.0 * self.l2);
        if self.l1 != 0.0 {
            for (g, &w) in g.iter_mut().zip(w) {
                let sign = if w > 0.0 {
                    1.0
                } else if w < 0.0 {
                    -1.0
                } else {
                    w // 0 (keeping its sign bit) or NaN
                };
                *g += l1 * sign;
            }
        }
        if self.l2 != 0.0 {
            for (g, &w) in g.iter_mut().zip(w) {
                *g += l2x2 * w;
            }
        }
    }
}

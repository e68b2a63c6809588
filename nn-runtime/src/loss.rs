//! Keras 3's losses, each a unit struct implementing [`Loss`].
//!
//! A loss reduces like Keras's default `"sum_over_batch_size"`: the per-row
//! value (a row is one vector along the output's last axis) is summed over
//! that axis for the cross-entropies and averaged over it for the others,
//! then averaged over every row of the batch. The gradient it writes is the
//! gradient of that batch mean.
//!
//! Cross-entropies on probabilities clip them to `[1e-7, 1 - 1e-7]` where
//! Keras clips. When the model ends in softmax, the training loop asks for
//! the *fused* gradient ([`Loss::compute`] with `logits = true`): the
//! gradient with respect to the softmax's input, `p * sum(t) - t`, which is
//! what Keras 3's TensorFlow backend differentiates (it computes the
//! cross-entropy from the logits the softmax cached, unclipped).
//!
//! ```
//! use nn_runtime::loss::{Loss, SparseCategoricalCrossentropy};
//!
//! let p = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1];
//! let mut grad = [0.0; 6];
//! let loss = SparseCategoricalCrossentropy.compute(&p, &[0, 1], 3, false, Some(&mut grad));
//! let expected = -(0.7f32.ln() + 0.8f32.ln()) / 2.0;
//! assert!((loss - expected).abs() < 1e-6);
//! ```

use std::fmt::Debug;

use crate::{Error, Result};

/// Keras's `epsilon()`: probabilities are clipped to `[EPSILON, 1 - EPSILON]`.
pub const EPSILON: f32 = 1e-7;

/// How accuracy is measured for a loss (Keras's `"accuracy"` metric resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accuracy {
    /// The target class index equals the arg-max of the output.
    Sparse,
    /// The arg-max of the one-hot target equals the arg-max of the output.
    Categorical,
    /// The output thresholded at 0.5 equals the target, averaged over the last axis.
    Binary,
}

/// A loss: the batch-mean value and its gradient with respect to the model's output.
pub trait Loss {
    /// Element type of the targets: `usize` class indices or `f32` values.
    type Elem: Copy + Debug + Send + Sync + 'static;
    /// Keras's name for the loss (`"sparse_categorical_crossentropy"`).
    const NAME: &'static str;
    /// Whether targets are class indices (no last axis) rather than arrays
    /// shaped like the output.
    const SPARSE: bool;
    /// Whether, after a softmax, the gradient can be taken with respect to the
    /// softmax's input (the cross-entropies).
    const FUSES_SOFTMAX: bool;
    /// Whether `fit` and `evaluate` report an accuracy with this loss: the
    /// classification losses do (the book compiles them with
    /// `metrics=["accuracy"]`); the regression losses do not, so, as Keras
    /// without an accuracy metric, only their loss is logged.
    const HAS_ACCURACY: bool = true;

    /// The accuracy metric that goes with this loss for outputs `width` wide.
    fn accuracy_kind(&self, width: usize) -> Accuracy;

    /// Checks the target values of a batch whose rows are `width` wide (a
    /// class index in range, a finite value); the error names the value and
    /// its sample (`rows_per_sample` rows make one sample).
    fn check_targets(&self, y: &[Self::Elem], width: usize, rows_per_sample: usize) -> Result<()>;

    /// The mean loss over the rows of `p` (rows of `width` outputs) against
    /// targets `y`; when `grad` is given, writes the gradient of that mean
    /// with respect to `p` into it, or with respect to the softmax's input
    /// when `logits` is true (only asked when [`FUSES_SOFTMAX`](Loss::FUSES_SOFTMAX)
    /// and the model ends in softmax, so `p` is a softmax output).
    ///
    /// Allocates nothing. `grad`, when given, has `p.len()` elements.
    fn compute(&self, p: &[f32], y: &[Self::Elem], width: usize, logits: bool, grad: Option<&mut [f32]>) -> f32;

    /// The number of correct rows of `p` against `y` (a fraction per row for
    /// binary accuracy), as [`accuracy_kind`](Loss::accuracy_kind) measures it;
    /// NaN when an output is NaN.
    fn correct(&self, p: &[f32], y: &[Self::Elem], width: usize) -> f64 {
        let kind = self.accuracy_kind(width);
        correct_rows(kind, p, width, |row, j| self.target_at(y, width, row, j))
    }

    /// The target of row `row` as a class index (sparse) or element `j` of it
    /// (dense), for the accuracy metrics.
    #[doc(hidden)]
    fn target_at(&self, y: &[Self::Elem], width: usize, row: usize, j: usize) -> TargetAt;
}

/// One target, as the accuracy metrics read it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum TargetAt {
    /// A class index.
    Class(usize),
    /// A value.
    Value(f32),
}

/// Index of the first maximum of `row` (as `argmax` in TensorFlow).
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best
}

/// The correct rows of `p` (see [`Loss::correct`]); a row with a NaN output
/// makes the count NaN: an arg-max over NaN names no class, and a plausible
/// accuracy must not hide a broken model.
fn correct_rows(kind: Accuracy, p: &[f32], width: usize, target: impl Fn(usize, usize) -> TargetAt) -> f64 {
    let mut total = 0.0f64;
    for (r, row) in p.chunks_exact(width).enumerate() {
        if row.iter().any(|v| v.is_nan()) {
            return f64::NAN;
        }
        total += match kind {
            Accuracy::Sparse => match target(r, 0) {
                TargetAt::Class(c) => f64::from(u8::from(argmax(row) == c)),
                TargetAt::Value(v) => f64::from(u8::from(argmax(row) as f32 == v)),
            },
            Accuracy::Categorical => {
                // argmax of the target row.
                let mut best = 0;
                let mut best_v = f32::NEG_INFINITY;
                for j in 0..width {
                    let v = match target(r, j) {
                        TargetAt::Value(v) => v,
                        TargetAt::Class(c) => f32::from(u8::from(c == j)),
                    };
                    if v > best_v {
                        best_v = v;
                        best = j;
                    }
                }
                f64::from(u8::from(argmax(row) == best))
            }
            Accuracy::Binary => {
                let hits = row
                    .iter()
                    .enumerate()
                    .filter(|&(j, &v)| {
                        let pred = if v > 0.5 { 1.0 } else { 0.0 };
                        match target(r, j) {
                            TargetAt::Value(t) => t == pred,
                            TargetAt::Class(c) => c as f32 == pred,
                        }
                    })
                    .count();
                hits as f64 / width as f64
            }
        };
    }
    total
}

/// Checks that every `f32` target is finite.
fn check_finite_targets(y: &[f32], width: usize, rows_per_sample: usize) -> Result<()> {
    match y.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::Invalid(format!(
            "target {} at sample {} (element {} of its row) is not finite",
            y[i],
            i / width / rows_per_sample.max(1),
            i % width
        ))),
    }
}

/// `1 / rows` of a batch of `len` outputs `width` wide.
fn inv_rows(len: usize, width: usize) -> f32 {
    1.0 / (len / width).max(1) as f32
}

/// `ln(p)` for the fused (logits) path, where Keras's value is unclipped
/// `log_softmax`: floored at the smallest normal so it stays finite, except
/// that NaN stays NaN (`p.max(..)` would make it `-ln(MIN_POSITIVE)` = 87.34).
fn ln_unclipped(p: f32) -> f32 {
    if p < f32::MIN_POSITIVE {
        f32::MIN_POSITIVE.ln()
    } else {
        p.ln()
    }
}

/// Keras's `clip_by_value(p, eps, 1 - eps)` and whether `p` was inside (its
/// gradient passes); NaN stays NaN, as TensorFlow's clip leaves it.
fn clip(p: f32) -> (f32, bool) {
    if p < EPSILON {
        (EPSILON, false)
    } else if p > 1.0 - EPSILON {
        (1.0 - EPSILON, false)
    } else {
        (p, true)
    }
}

/// `SparseCategoricalCrossentropy`: targets are class indices, one per row.
///
/// Keras 3: `-log(clip(p)[y] / sum(clip(p)))` (its TensorFlow backend takes
/// `log(clip(p))` as logits), or from the softmax's logits when fused.
#[derive(Debug, Clone, Copy, Default)]
pub struct SparseCategoricalCrossentropy;

impl Loss for SparseCategoricalCrossentropy {
    type Elem = usize;
    const NAME: &'static str = "sparse_categorical_crossentropy";
    const SPARSE: bool = true;
    const FUSES_SOFTMAX: bool = true;

    fn accuracy_kind(&self, _: usize) -> Accuracy {
        Accuracy::Sparse
    }

    fn check_targets(&self, y: &[usize], width: usize, rows_per_sample: usize) -> Result<()> {
        match y.iter().position(|&c| c >= width) {
            None => Ok(()),
            Some(i) => Err(Error::Invalid(format!(
                "label {} at sample {} is out of range for {} classes (labels must be in 0..{})",
                y[i],
                i / rows_per_sample.max(1),
                width,
                width
            ))),
        }
    }

    fn compute(&self, p: &[f32], y: &[usize], width: usize, logits: bool, mut grad: Option<&mut [f32]>) -> f32 {
        let scale = inv_rows(p.len(), width);
        let mut total = 0.0f64;
        for (r, (row, &c)) in p.chunks_exact(width).zip(y).enumerate() {
            let g = grad.as_deref_mut().map(|g| &mut g[r * width..(r + 1) * width]);
            if logits {
                total += f64::from(-ln_unclipped(row[c]));
                if let Some(g) = g {
                    for (j, (g, &p)) in g.iter_mut().zip(row).enumerate() {
                        *g = (p - f32::from(u8::from(j == c))) * scale;
                    }
                }
            } else {
                let sum: f32 = row.iter().map(|&p| clip(p).0).sum();
                let (pc, _) = clip(row[c]);
                total += f64::from(sum.ln() - pc.ln());
                if let Some(g) = g {
                    // d/dp_j [log(sum clip p) - log(clip p_c)], through the clip.
                    for (j, (g, &p)) in g.iter_mut().zip(row).enumerate() {
                        let (cp, inside) = clip(p);
                        let d = 1.0 / sum - if j == c { 1.0 / cp } else { 0.0 };
                        *g = if inside { d * scale } else { 0.0 };
                    }
                }
            }
        }
        (total * f64::from(scale)) as f32
    }

    fn target_at(&self, y: &[usize], _: usize, row: usize, _: usize) -> TargetAt {
        TargetAt::Class(y[row])
    }
}

/// `CategoricalCrossentropy`: one-hot (or soft) targets shaped like the output.
///
/// Keras 3: `-sum(t * log(clip(p / sum(p))))`, or from the softmax's logits when fused.
#[derive(Debug, Clone, Copy, Default)]
pub struct CategoricalCrossentropy;

impl Loss for CategoricalCrossentropy {
    type Elem = f32;
    const NAME: &'static str = "categorical_crossentropy";
    const SPARSE: bool = false;
    const FUSES_SOFTMAX: bool = true;

    fn accuracy_kind(&self, _: usize) -> Accuracy {
        Accuracy::Categorical
    }

    fn check_targets(&self, y: &[f32], width: usize, rows_per_sample: usize) -> Result<()> {
        check_finite_targets(y, width, rows_per_sample)
    }

    fn compute(&self, p: &[f32], y: &[f32], width: usize, logits: bool, mut grad: Option<&mut [f32]>) -> f32 {
        let scale = inv_rows(p.len(), width);
        let mut total = 0.0f64;
        for (r, (row, t)) in p.chunks_exact(width).zip(y.chunks_exact(width)).enumerate() {
            let g = grad.as_deref_mut().map(|g| &mut g[r * width..(r + 1) * width]);
            if logits {
                let tsum: f32 = t.iter().sum();
                let v: f32 = row.iter().zip(t).map(|(&p, &t)| if t == 0.0 { 0.0 } else { -t * ln_unclipped(p) }).sum();
                total += f64::from(v);
                if let Some(g) = g {
                    for ((g, &p), &t) in g.iter_mut().zip(row).zip(t) {
                        *g = (p * tsum - t) * scale;
                    }
                }
            } else {
                let s: f32 = row.iter().sum();
                let mut v = 0.0f32;
                let mut dot = 0.0f32; // sum_j dL/dq_j * q_j
                for (&p, &t) in row.iter().zip(t) {
                    let q = p / s;
                    let (c, inside) = clip(q);
                    v -= t * c.ln();
                    if inside {
                        dot += -t / c * q;
                    }
                }
                total += f64::from(v);
                if let Some(g) = g {
                    // q = p / s: dL/dp_k = (dL/dq_k - sum_j dL/dq_j q_j) / s.
                    for ((g, &p), &t) in g.iter_mut().zip(row).zip(t) {
                        let (c, inside) = clip(p / s);
                        let dq = if inside { -t / c } else { 0.0 };
                        *g = (dq - dot) / s * scale;
                    }
                }
            }
        }
        (total * f64::from(scale)) as f32
    }

    fn target_at(&self, y: &[f32], width: usize, row: usize, j: usize) -> TargetAt {
        TargetAt::Value(y[row * width + j])
    }
}

/// `BinaryCrossentropy`: targets in `[0, 1]` shaped like the output (sigmoid outputs).
///
/// Keras 3: `mean(-(t * log(clip(p)) + (1 - t) * log(1 - clip(p))))` over the last axis.
#[derive(Debug, Clone, Copy, Default)]
pub struct BinaryCrossentropy;

impl Loss for BinaryCrossentropy {
    type Elem = f32;
    const NAME: &'static str = "binary_crossentropy";
    const SPARSE: bool = false;
    const FUSES_SOFTMAX: bool = false;

    fn accuracy_kind(&self, _: usize) -> Accuracy {
        Accuracy::Binary
    }

    fn check_targets(&self, y: &[f32], width: usize, rows_per_sample: usize) -> Result<()> {
        check_finite_targets(y, width, rows_per_sample)
    }

    fn compute(&self, p: &[f32], y: &[f32], width: usize, _: bool, mut grad: Option<&mut [f32]>) -> f32 {
        let scale = inv_rows(p.len(), width) / width as f32;
        let mut total = 0.0f64;
        for (i, (&p, &t)) in p.iter().zip(y).enumerate() {
            let (c, inside) = clip(p);
            total -= f64::from(t * c.ln() + (1.0 - t) * (1.0 - c).ln());
            if let Some(g) = grad.as_deref_mut() {
                g[i] = if inside { (-t / c + (1.0 - t) / (1.0 - c)) * scale } else { 0.0 };
            }
        }
        (total * f64::from(scale)) as f32
    }

    fn target_at(&self, y: &[f32], width: usize, row: usize, j: usize) -> TargetAt {
        TargetAt::Value(y[row * width + j])
    }
}

/// Keras's `"accuracy"` for a regression loss: binary for one output,
/// categorical otherwise (what `metrics=["accuracy"]` would measure; `fit`
/// and `evaluate` report none, see [`Loss::HAS_ACCURACY`]).
fn regression_accuracy(width: usize) -> Accuracy {
    if width == 1 {
        Accuracy::Binary
    } else {
        Accuracy::Categorical
    }
}

/// An elementwise loss `f(e)` of the error `e = p - t`, averaged over the
/// last axis then over the rows; `df` is its derivative.
fn elementwise(
    p: &[f32],
    y: &[f32],
    width: usize,
    mut grad: Option<&mut [f32]>,
    f: impl Fn(f32) -> f32,
    df: impl Fn(f32) -> f32,
) -> f32 {
    let scale = inv_rows(p.len(), width) / width as f32;
    let mut total = 0.0f64;
    for (i, (&p, &t)) in p.iter().zip(y).enumerate() {
        let e = p - t;
        total += f64::from(f(e));
        if let Some(g) = grad.as_deref_mut() {
            g[i] = df(e) * scale;
        }
    }
    (total * f64::from(scale)) as f32
}

macro_rules! regression_loss {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $f:expr, $df:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $ty;

        impl Loss for $ty {
            type Elem = f32;
            const NAME: &'static str = $name;
            const SPARSE: bool = false;
            const FUSES_SOFTMAX: bool = false;
            const HAS_ACCURACY: bool = false;

            fn accuracy_kind(&self, width: usize) -> Accuracy {
                regression_accuracy(width)
            }

            fn check_targets(&self, y: &[f32], width: usize, rows_per_sample: usize) -> Result<()> {
                check_finite_targets(y, width, rows_per_sample)
            }

            fn compute(&self, p: &[f32], y: &[f32], width: usize, _: bool, grad: Option<&mut [f32]>) -> f32 {
                elementwise(p, y, width, grad, $f, $df)
            }

            fn target_at(&self, y: &[f32], width: usize, row: usize, j: usize) -> TargetAt {
                TargetAt::Value(y[row * width + j])
            }
        }
    };
}

regression_loss!(
    /// `MeanSquaredError`: `mean((p - t)^2)` over the last axis.
    MeanSquaredError,
    "mean_squared_error",
    |e| e * e,
    |e| 2.0 * e
);

regression_loss!(
    /// `MeanAbsoluteError`: `mean(|p - t|)` over the last axis (gradient 0 at 0, as TensorFlow's `sign`).
    MeanAbsoluteError,
    "mean_absolute_error",
    |e: f32| e.abs(),
    |e: f32| if e > 0.0 {
        1.0
    } else if e < 0.0 {
        -1.0
    } else {
        0.0
    }
);

regression_loss!(
    /// `Huber` with Keras's `delta = 1.0`: `e^2 / 2` where `|e| <= 1`, else `|e| - 1/2`, averaged over the last axis.
    Huber,
    "huber",
    |e: f32| if e.abs() <= 1.0 { 0.5 * e * e } else { e.abs() - 0.5 },
    |e: f32| e.clamp(-1.0, 1.0)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_gradient_is_p_minus_onehot_over_rows() {
        let p = [0.2, 0.5, 0.3, 0.1, 0.1, 0.8];
        let mut g = [0.0; 6];
        SparseCategoricalCrossentropy.compute(&p, &[1, 2], 3, true, Some(&mut g));
        let want = [0.1, -0.25, 0.15, 0.05, 0.05, -0.1];
        for (a, b) in g.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{g:?}");
        }
    }

    #[test]
    fn label_out_of_range_names_it() {
        let err = SparseCategoricalCrossentropy.check_targets(&[1, 2, 3, 12], 10, 1).unwrap_err();
        assert_eq!(err.to_string(), "label 12 at sample 3 is out of range for 10 classes (labels must be in 0..10)");
    }

    #[test]
    fn huber_matches_keras() {
        // keras.losses.Huber()([[0., 1.]], [[0.5, 3.]]) = mean(0.125, 1.5) = 0.8125
        let v = Huber.compute(&[0.5, 3.0], &[0.0, 1.0], 2, false, None);
        assert!((v - 0.8125).abs() < 1e-7);
    }
}

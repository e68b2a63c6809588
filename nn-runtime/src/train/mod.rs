//! Training: one step ([`train_on_batch`]), [`evaluate`] and Keras's [`fit`]
//! loop with its [`History`], progress bar and [`callbacks`].
//!
//! These generic functions are what the `train_on_batch`, `evaluate` and
//! `fit` methods that `sequential!` generates delegate to.
//!
//! A training step is one training-mode forward pass, the loss and its
//! gradient (fused with the softmax when the model ends in one and the loss
//! is a cross-entropy, as Keras 3 does), the backward pass and one optimizer
//! update of every trainable tensor; a batch whose activations would overflow
//! the cache runs in chunks of samples whose gradients are summed
//! ([`training_chunk`]), the same step up to
//! rounding. As in Keras 3, the loss includes the
//! penalty of every trainable tensor's [regularizer](crate::regularizers)
//! (also in `evaluate`), its gradient is added before clipping, and each
//! tensor's [constraint](crate::constraints) is applied after its update. It allocates nothing once warmed up: the
//! model's workspace lives in its [`Slot`](crate::model::Slot) and the loss
//! gradient in a per-thread buffer.
//!
//! A step that fails leaves the model as it was: shapes, labels and inputs are
//! checked before anything moves, and a non-finite loss or gradient undoes the
//! forward pass's changes (BatchNorm's moving statistics, the dropout
//! generator) before the optimizer is touched.

pub mod callbacks;
mod checkpoint;
mod fit;
mod history;
mod plot;
mod progress;

use std::cell::RefCell;

use ndarray::ArrayViewD;

pub use callbacks::{
    py_float, Callback, Context, CsvLogger, EarlyStopping, EpochLogs, LearningRateScheduler, Mode, ModelCheckpoint,
    MonitorState, ReduceLROnPlateau, TerminateOnNaN,
};
pub use checkpoint::{load_checkpoint, optimizer_path, resume_from_checkpoint, save_checkpoint, ResumePoint};
pub use fit::{fit, FitOptions};
pub use history::{History, StopReason};

use crate::error::shape_string;
use crate::layers::scratch;
use crate::loss::Loss;
use crate::model::{check_input, chunks, regularization_loss, training_chunk, visit_trainable, Model};
use crate::optim::{ModelTensors, Optimizer};
use crate::{rng, Error, Result};

/// What [`evaluate`] returns: Keras's `model.evaluate` values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean loss over the samples.
    pub loss: f32,
    /// Accuracy over the samples, as the loss's metric measures it (sparse
    /// categorical, categorical or binary). NaN for a loss without an
    /// accuracy (the regression losses, [`Loss::HAS_ACCURACY`] false), for
    /// which Keras's `evaluate` returns the loss alone; NaN too when an
    /// output is NaN.
    pub accuracy: f32,
}

/// Buffers a training step reuses: the loss gradient and a copy of the
/// moving statistics (to undo a failed step).
#[derive(Default)]
struct Scratch {
    grad: Vec<f32>,
    moving: Vec<f32>,
    /// The gradients summed over a step's chunks.
    sum: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch buffers (fresh ones if they are in use).
fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    let mut f = Some(f);
    let shared = SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => Some((f.take().expect("called once"))(&mut s)),
        Err(_) => None,
    });
    match shared {
        Some(v) => v,
        None => (f.take().expect("called once"))(&mut Scratch::default()),
    }
}

/// Width of the output's last axis (the rows a loss reduces over).
fn width<M: Model>() -> usize {
    M::OUTPUT_SHAPE.last().copied().unwrap_or(1).max(1)
}

/// Rows (vectors along the last axis) per output sample.
fn rows_per_sample<M: Model>() -> usize {
    (M::OUT / width::<M>()).max(1)
}

/// Targets per sample: one class index per row for sparse losses, else the whole output.
fn targets_per_sample<M: Model, L: Loss>() -> usize {
    if L::SPARSE {
        rows_per_sample::<M>()
    } else {
        M::OUT
    }
}

/// Checks `x` against the model's input shape and `y` against the loss's
/// target shape; returns the number of samples (at least one).
fn check_xy<M: Model, L: Loss>(what: &str, x: &ArrayViewD<'_, f32>, y: &ArrayViewD<'_, L::Elem>) -> Result<usize> {
    let n = check_input::<M>("input x", x)?;
    if n == 0 {
        return Err(Error::Invalid(format!("{what}: empty input, x has 0 samples (shape {:?})", x.shape())));
    }
    let ys = y.shape();
    let out = M::OUTPUT_SHAPE;
    let lead = &out[..out.len().saturating_sub(1)];
    let inner = ys.get(1..).unwrap_or(&[]);
    // Keras takes class indices with or without a last axis of 1, and
    // `(N,)` targets for an `(N, 1)` output: the values are the same.
    let fits = if L::SPARSE {
        inner == lead || (inner.len() == out.len() && &inner[..lead.len()] == lead && inner[lead.len()] == 1)
    } else {
        inner == out || (out.last() == Some(&1) && inner == lead)
    };
    if ys.is_empty() || !fits {
        let expected =
            if L::SPARSE { format!("{} of class indices", shape_string(None, lead)) } else { shape_string(None, out) };
        return Err(Error::Shape {
            what: "targets y",
            expected: format!("{expected} for {} on a model with output {}", L::NAME, shape_string(None, out)),
            found: format!("{ys:?}").replace('[', "(").replace(']', ")"),
        });
    }
    if ys[0] != n {
        return Err(Error::Invalid(format!("{what}: x has {n} samples but y has {} (they must match)", ys[0])));
    }
    Ok(n)
}

/// Checks that every input value is finite; the error names the first that is not.
fn check_finite_input(x: &[f32], per_sample: usize) -> Result<()> {
    // A vectorized scan first; the position only when something is wrong.
    if !crate::kernels::simd::any_non_finite(x) {
        return Ok(());
    }
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite(format!(
            "input value {} at sample {} (element {} of {}) is not finite",
            x[i],
            i / per_sample,
            i % per_sample,
            per_sample
        ))),
    }
}

/// Checks, before anything changes, that `opt` can step `m`: its
/// hyper-parameters ([`Optimizer::validate`]) and that its state is this
/// model's ([`Optimizer::check_model`]). Allocates nothing once bound.
fn check_optimizer<M: Model, O: Optimizer + ?Sized>(m: &M, opt: &mut O) -> Result<()> {
    opt.validate()?;
    let visit = |f: &mut dyn FnMut(&str, &str, &[usize])| visit_trainable(m, &mut |l, w, p| f(l, w, p.shape()));
    opt.check_model(&ModelTensors::new(&visit))
}

/// The `<layer>.<weight>` name of trainable tensor `index` (see [`visit_trainable`]).
fn trainable_name<M: Model>(m: &M, index: usize) -> String {
    let (mut i, mut name) = (0, format!("trainable tensor #{index}"));
    visit_trainable(m, &mut |layer, weight, _| {
        if i == index {
            name = format!("{layer}.{weight}");
        }
        i += 1;
    });
    name
}

/// One training step on a batch: a training-mode forward pass, the loss and
/// its gradient, the backward pass and one optimizer step. Returns the
/// batch's mean loss before the step.
///
/// `x` is the batch first, then `M::INPUT_SHAPE`; `y` holds class indices
/// (`(batch,)`) for sparse losses, else arrays shaped like the output. On any
/// error (a shape, an empty batch, a label out of range, a non-finite input,
/// loss or gradient, an invalid hyper-parameter, an optimizer whose state
/// belongs to another model) the model and the optimizer are unchanged.
/// Allocates nothing once warmed up, for contiguous (standard-layout) arrays.
pub fn train_on_batch<M: Model, L: Loss, O: Optimizer + ?Sized>(
    m: &mut M,
    x: ArrayViewD<'_, f32>,
    y: ArrayViewD<'_, L::Elem>,
    loss: &L,
    opt: &mut O,
) -> Result<f32> {
    check_xy::<M, L>("train_on_batch", &x, &y)?;
    let x = x.as_standard_layout();
    let y = y.as_standard_layout();
    let (xs, ys) = (x.as_slice().expect("standard layout"), y.as_slice().expect("standard layout"));
    check_finite_input(xs, M::IN)?;
    loss.check_targets(ys, width::<M>(), rows_per_sample::<M>())?;
    step(m, xs, ys, None, loss, opt).map(|(l, _)| l)
}

/// The loss of a batch with per-sample weights, reduced as Keras 3's
/// `"sum_over_batch_size"`: `sum(loss_row * weight) / rows`, each sample's
/// weight on each of its `rps` rows; writes the gradient of that into `grad`
/// when given.
#[allow(clippy::too_many_arguments)]
fn weighted_loss<L: Loss>(
    loss: &L,
    out: &[f32],
    y: &[L::Elem],
    weights: &[f32],
    w: usize,
    rps: usize,
    logits: bool,
    grad: Option<&mut [f32]>,
) -> f32 {
    let rows = out.len() / w;
    let tpr = if L::SPARSE { 1 } else { w };
    if let Some(grad) = grad {
        // The gradient of the plain mean, each row's scaled by its weight.
        loss.compute(out, y, w, logits, Some(grad));
        for (r, g) in grad.chunks_exact_mut(w).enumerate() {
            let sw = weights[r / rps];
            g.iter_mut().for_each(|g| *g *= sw);
        }
    }
    let mut sum = 0.0f64;
    for r in 0..rows {
        let l = loss.compute(&out[r * w..(r + 1) * w], &y[r * tpr..(r + 1) * tpr], w, logits, None);
        sum += f64::from(l * weights[r / rps]);
    }
    (sum / rows.max(1) as f64) as f32
}

/// Adds the gradients of the last backward pass onto `sum` (all of them,
/// one after the other), or copies them there if `first`.
fn sum_grads<M: Model>(m: &mut M, ws: &mut M::Workspace, sum: &mut Vec<f32>, first: bool) {
    let mut at = 0;
    m.visit_grads(ws, &mut |_, g| {
        if first {
            sum.truncate(at);
            sum.extend_from_slice(g);
        } else {
            sum[at..at + g.len()].iter_mut().zip(&*g).for_each(|(a, b)| *a += b);
        }
        at += g.len();
    });
}

/// A training step on flat checked data (the optimizer is checked here);
/// returns the mean loss and the number of correct rows of the
/// training-mode output.
fn step<M: Model, L: Loss, O: Optimizer + ?Sized>(
    m: &mut M,
    x: &[f32],
    y: &[L::Elem],
    weights: Option<&[f32]>,
    loss: &L,
    opt: &mut O,
) -> Result<(f32, f64)> {
    check_optimizer(m, opt)?;
    let w = width::<M>();
    let logits = M::SOFTMAX_OUTPUT && L::FUSES_SOFTMAX;
    let slot = m.slot();
    let mut ws = slot.workspace.take().unwrap_or_default();
    let seed = slot.seed;
    let mut gen = slot.rng.take().unwrap_or_else(|| rng::seeded(seed));
    let saved_gen = gen.clone();

    let result = with_scratch(|s| {
        s.moving.clear();
        m.visit_weights(&mut |_, _, p| {
            if p.is_statistic() {
                s.moving.extend_from_slice(p);
            }
        });
        // Keras 3 adds the regularization penalties (of the weights before the step) to the loss.
        let penalty = regularization_loss(m);
        // The batch in chunks of samples (one unless its activations
        // overflow the cache), each chunk's gradients summed in `s.sum`.
        let n = x.len() / M::IN;
        let (chunk, tps) = (training_chunk::<M>(n), targets_per_sample::<M, L>());
        let (mut mean, mut correct, mut failure, mut split) = (0.0f64, 0.0f64, None, false);
        for r in chunks(n, chunk) {
            let (s0, k) = (r.start, r.len());
            let (xc, yc) = (&x[s0 * M::IN..(s0 + k) * M::IN], &y[s0 * tps..(s0 + k) * tps]);
            let out = m.forward(&mut ws, xc, &mut gen);
            let grad = scratch(&mut s.grad, out.len());
            let part = match weights {
                None => loss.compute(out, yc, w, logits, Some(grad)),
                Some(sw) => {
                    weighted_loss(loss, out, yc, &sw[s0..s0 + k], w, rows_per_sample::<M>(), logits, Some(grad))
                }
            };
            if L::HAS_ACCURACY {
                correct += loss.correct(out, yc, w);
            }
            if !(part + penalty).is_finite() {
                failure = Some(format!("the loss is {}", part + penalty));
                break;
            }
            // The chunk's share of the batch's mean.
            mean += f64::from(part) * (k as f64 / n as f64);
            split |= k < n;
            if split {
                let share = k as f32 / n as f32;
                grad.iter_mut().for_each(|g| *g *= share);
            }
            m.backward(&mut ws, xc, grad, logits);
            if split {
                sum_grads(m, &mut ws, &mut s.sum, s0 == 0);
            }
        }
        // More than one chunk (a batch just over a chunk is one).
        if split && failure.is_none() {
            let mut at = 0;
            m.visit_grads(&mut ws, &mut |_, g| {
                g.copy_from_slice(&s.sum[at..at + g.len()]);
                at += g.len();
            });
        }
        let value = mean as f32 + penalty;
        let failure = if failure.is_none() {
            let (mut index, mut bad) = (0usize, None);
            m.visit_grads(&mut ws, &mut |p, g| {
                if let (Some(r), true) = (p.regularizer, p.trainable) {
                    // The penalty's gradient is part of the loss's, before clipping (Keras 3).
                    r.add_gradient(p.as_slice(), g);
                }
                if bad.is_none() && p.trainable && crate::kernels::simd::any_non_finite_par(g) {
                    bad = Some((index, p.shape()));
                }
                index += 1;
            });
            bad.map(|(i, shape)| {
                let name = trainable_name(m, i);
                format!("the gradient of `{name}` (shape {shape:?}) is not finite (loss {value})")
            })
        } else {
            failure
        };
        if let Some(reason) = failure {
            // Undo the forward pass: put the moving statistics back.
            let mut at = 0;
            let saved = &s.moving;
            m.visit_weights_mut(&mut |_, _, p| {
                if p.is_statistic() {
                    let n = p.len();
                    p.as_mut_slice().copy_from_slice(&saved[at..at + n]);
                    at += n;
                }
            });
            return Err(Error::NonFinite(reason));
        }
        opt.begin_step();
        let mut index = 0usize;
        m.visit_grads(&mut ws, &mut |p, g| {
            if p.trainable {
                opt.update(index, p.as_mut_slice(), g);
                if let Some(c) = p.constraint {
                    // Keras 3: `variable.assign(constraint(variable))` after applying the gradients.
                    let shape = p.shape();
                    c.apply(p.as_mut_slice(), shape);
                }
            }
            index += 1;
        });
        Ok((value, correct))
    });

    let slot = m.slot();
    slot.workspace = Some(ws);
    slot.rng = Some(if result.is_ok() { gen } else { saved_gen });
    result
}

/// Mean loss and accuracy of the model on `x` and `y` in inference mode
/// (BatchNorm's moving statistics, no dropout), as Keras's `evaluate`.
pub fn evaluate<M: Model, L: Loss>(
    m: &M,
    x: ArrayViewD<'_, f32>,
    y: ArrayViewD<'_, L::Elem>,
    loss: &L,
) -> Result<Evaluation> {
    let n = check_xy::<M, L>("evaluate", &x, &y)?;
    let x = x.as_standard_layout();
    let y = y.as_standard_layout();
    let (xs, ys) = (x.as_slice().expect("standard layout"), y.as_slice().expect("standard layout"));
    check_finite_input(xs, M::IN)?;
    loss.check_targets(ys, width::<M>(), rows_per_sample::<M>())?;
    Ok(evaluate_flat(m, xs, ys, None, loss, n))
}

/// [`evaluate`] on checked flat data of `n` samples, each weighted by
/// `weights` when given (Keras's weighted mean, as in training); the
/// regularization penalties are added, as Keras 3's `compute_loss` does.
fn evaluate_flat<M: Model, L: Loss>(
    m: &M,
    x: &[f32],
    y: &[L::Elem],
    weights: Option<&[f32]>,
    loss: &L,
    n: usize,
) -> Evaluation {
    const CHUNK: usize = 1024;
    let (w, tps) = (width::<M>(), targets_per_sample::<M, L>());
    let logits = M::SOFTMAX_OUTPUT && L::FUSES_SOFTMAX;
    let mut out = vec![0.0f32; CHUNK.min(n) * M::OUT];
    let (mut loss_sum, mut correct) = (0.0f64, 0.0f64);
    for (c, (xc, yc)) in x.chunks(CHUNK * M::IN).zip(y.chunks(CHUNK * tps)).enumerate() {
        let k = xc.len() / M::IN;
        let o = &mut out[..k * M::OUT];
        m.infer(xc, o);
        let l = match weights {
            None => loss.compute(o, yc, w, logits, None),
            Some(sw) => {
                weighted_loss(loss, o, yc, &sw[c * CHUNK..c * CHUNK + k], w, rows_per_sample::<M>(), logits, None)
            }
        };
        loss_sum += f64::from(l) * k as f64;
        if L::HAS_ACCURACY {
            correct += loss.correct(o, yc, w);
        }
    }
    let accuracy = if L::HAS_ACCURACY { (correct / (n * rows_per_sample::<M>()) as f64) as f32 } else { f32::NAN };
    Evaluation { loss: (loss_sum / n as f64) as f32 + regularization_loss(m), accuracy }
}

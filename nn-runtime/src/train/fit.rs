//! Keras's `fit`: epochs of shuffled mini-batches, validation, progress,
//! callbacks and the [`History`].

use ndarray::{ArrayView1, ArrayViewD, AsArray, Dimension};
use rand::Rng as _;

use super::callbacks::{Callback, Context, EpochLogs};
use super::progress::Progress;
use super::{
    check_finite_input, check_xy, evaluate_flat, rows_per_sample, step, targets_per_sample, width, History, StopReason,
};
use crate::loss::Loss;
use crate::model::Model;
use crate::optim::Optimizer;
use crate::{rng, Error, Result};

/// The options of [`fit`], with Keras's defaults; write
/// `FitOptions { epochs: 10, ..Default::default() }`.
///
/// `T` is the element type of the targets: `usize` class indices (the
/// default) or `f32`.
pub struct FitOptions<'a, T = usize> {
    /// Number of epochs to train for (default 1). With `initial_epoch`, the
    /// index of the last epoch, as in Keras.
    pub epochs: usize,
    /// Epoch to start from, counted from 0 (default 0); for resuming from a
    /// checkpoint, pass what `load_checkpoint` returned.
    pub initial_epoch: usize,
    /// Batches of `initial_epoch` already trained (default 0), for resuming
    /// from a checkpoint taken mid-epoch (`ModelCheckpoint::save_freq`): pass
    /// what `resume_from_checkpoint` returned. That epoch's logged loss and
    /// accuracy average only the batches trained after the resume.
    pub initial_batch: usize,
    /// Samples per gradient step (default 32).
    pub batch_size: usize,
    /// Shuffle the training samples before each epoch (default true).
    pub shuffle: bool,
    /// Seed of the shuffling; `None` (the default) uses the model's seed. The
    /// order of epoch `e` depends only on the seed and `e`, so a run resumed
    /// from a checkpoint sees the same batches.
    pub seed: Option<u64>,
    /// Fraction of the samples, taken from the end before shuffling, held out
    /// for validation (default 0, as Keras).
    pub validation_split: f32,
    /// Validation inputs and targets (takes precedence over `validation_split`, as in Keras).
    pub validation_data: Option<(ArrayViewD<'a, f32>, ArrayViewD<'a, T>)>,
    /// 0: silent, 1: progress bar (default), 2: one line per epoch.
    pub verbose: u8,
    /// Called at the start and end of training and of every epoch.
    pub callbacks: Vec<Box<dyn Callback + 'a>>,
    /// One weight per training sample (Keras's `sample_weight`): each
    /// sample's loss is multiplied by it and a batch's loss is
    /// `sum(loss * weight) / batch_size`, Keras's `"sum_over_batch_size"`.
    /// With `validation_split`, the held-out samples' weights weight the
    /// validation loss, as in Keras. Weights must be finite and `>= 0`.
    pub sample_weight: Option<ArrayView1<'a, f32>>,
    /// One weight per class index (Keras's `class_weight`, as a list): a
    /// training sample's weight is that of its target class (the class index,
    /// the arg-max of a one-hot target, or the rounded target of a one-unit
    /// output). At least one weight per class of the output; not together
    /// with `sample_weight` (Keras refuses both). Validation is unweighted.
    pub class_weight: Option<Vec<f32>>,
    /// Validate after every `validation_freq`-th epoch only (default 1, every
    /// epoch); the other epochs log no `val_` metrics, as in Keras.
    pub validation_freq: usize,
    /// Batches per epoch (Keras's `steps_per_epoch`; default `None`: one
    /// pass over the data). As Keras 3 does with arrays, an epoch takes the
    /// next `steps_per_epoch` batches of the current pass over the
    /// (shuffled) data, and ends early when the pass runs out; the next epoch
    /// starts a new pass.
    pub steps_per_epoch: Option<usize>,
}

impl<T> Default for FitOptions<'_, T> {
    /// Keras's defaults: 1 epoch, batches of 32, shuffled, verbose 1, no validation.
    fn default() -> Self {
        FitOptions {
            epochs: 1,
            initial_epoch: 0,
            initial_batch: 0,
            batch_size: 32,
            shuffle: true,
            seed: None,
            validation_split: 0.0,
            validation_data: None,
            verbose: 1,
            callbacks: Vec::new(),
            sample_weight: None,
            class_weight: None,
            validation_freq: 1,
            steps_per_epoch: None,
        }
    }
}

impl<'a, T> FitOptions<'a, T> {
    /// Sets `validation_data` from arrays of any rank (views or references).
    pub fn with_validation<D1: Dimension, D2: Dimension>(
        mut self,
        x: impl AsArray<'a, f32, D1>,
        y: impl AsArray<'a, T, D2>,
    ) -> Self
    where
        T: 'a,
    {
        self.validation_data = Some((x.into().into_dyn(), y.into().into_dyn()));
        self
    }
}

impl<T> std::fmt::Debug for FitOptions<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitOptions")
            .field("epochs", &self.epochs)
            .field("initial_epoch", &self.initial_epoch)
            .field("initial_batch", &self.initial_batch)
            .field("batch_size", &self.batch_size)
            .field("shuffle", &self.shuffle)
            .field("seed", &self.seed)
            .field("validation_split", &self.validation_split)
            .field(
                "validation_data",
                &self.validation_data.as_ref().map(|(x, y)| (x.shape().to_vec(), y.shape().to_vec())),
            )
            .field("verbose", &self.verbose)
            .field("callbacks", &self.callbacks.len())
            .field("sample_weight", &self.sample_weight.as_ref().map(|w| w.len()))
            .field("class_weight", &self.class_weight)
            .field("validation_freq", &self.validation_freq)
            .field("steps_per_epoch", &self.steps_per_epoch)
            .finish()
    }
}

/// Flat inputs, targets and the number of samples of a data split.
type Split<'a, T> = (&'a [f32], &'a [T], usize);

/// Runs `f` on every callback with a context over the model and optimizer; stops at the first error.
fn each<M: Model, O: Optimizer>(
    callbacks: &mut [Box<dyn Callback + '_>],
    m: &mut M,
    opt: &mut O,
    verbose: u8,
    steps: usize,
    mut f: impl FnMut(&mut dyn Callback, &mut Context<'_>) -> Result<()>,
) -> Result<Option<String>> {
    let mut ctx = Context { model: m, optimizer: opt, stop: None, verbose, steps, lr_logged: false };
    for c in callbacks.iter_mut() {
        f(c.as_mut(), &mut ctx)?;
        // Keras's ReduceLROnPlateau writes `learning_rate` into the logs the later callbacks see.
        ctx.lr_logged |= c.logs_learning_rate();
    }
    Ok(ctx.stop)
}

/// Whether every weight of the model is finite.
fn weights_finite<M: Model>(m: &M) -> bool {
    let mut ok = true;
    m.visit_weights(&mut |_, _, p| ok &= p.iter().all(|v| v.is_finite()));
    ok
}

/// Keras's `fit`: trains on `x` and `y` for `options.epochs` epochs of
/// mini-batches and returns the [`History`].
///
/// Each epoch shuffles the training samples (unless `shuffle` is false),
/// takes a training step per batch (the last one smaller when the batch size
/// does not divide the samples), then evaluates the validation data in
/// inference mode. The logged loss and accuracy (for a loss that has one,
/// [`Loss::HAS_ACCURACY`]) are means over the epoch's samples of the
/// training-mode values before each step, as Keras logs them.
/// Every input and target is checked before the first step; the error names
/// what is wrong. A non-finite loss stops with an error naming the epoch and
/// batch, unless a callback such as `TerminateOnNaN` takes it: then the
/// History ends with the interrupted epoch, its metrics NaN, and
/// `History::stopped` says where and why.
pub fn fit<M: Model, L: Loss, O: Optimizer>(
    m: &mut M,
    x: ArrayViewD<'_, f32>,
    y: ArrayViewD<'_, L::Elem>,
    loss: &L,
    opt: &mut O,
    options: FitOptions<'_, L::Elem>,
) -> Result<History> {
    let FitOptions {
        epochs,
        initial_epoch,
        initial_batch,
        batch_size,
        shuffle,
        seed,
        validation_split,
        validation_data,
        verbose,
        mut callbacks,
        sample_weight,
        class_weight,
        validation_freq,
        steps_per_epoch,
    } = options;
    if validation_freq == 0 {
        return Err(Error::Invalid("fit: validation_freq must be at least 1, got 0".to_string()));
    }
    if steps_per_epoch == Some(0) {
        return Err(Error::Invalid("fit: steps_per_epoch must be at least 1, got 0".to_string()));
    }
    let n = check_xy::<M, L>("fit", &x, &y)?;
    if batch_size == 0 {
        return Err(Error::Invalid("fit: batch_size must be at least 1, got 0".to_string()));
    }
    if !(0.0..1.0).contains(&validation_split) {
        return Err(Error::Invalid(format!("fit: validation_split must be in [0, 1), got {validation_split}")));
    }
    let (w, rps, tps) = (width::<M>(), rows_per_sample::<M>(), targets_per_sample::<M, L>());
    let x = x.as_standard_layout();
    let y = y.as_standard_layout();
    let (xs, ys) = (x.as_slice().expect("standard layout"), y.as_slice().expect("standard layout"));
    check_finite_input(xs, M::IN)?;
    loss.check_targets(ys, w, rps)?;
    let weights = sample_weights::<M, L>(loss, ys, n, sample_weight, class_weight.as_deref())?;

    // Keras: the validation split is the last fraction of the data, before shuffling.
    let n_train = if validation_data.is_none() && validation_split > 0.0 {
        let split_at = (n as f64 * (1.0 - f64::from(validation_split))).ceil() as usize;
        if split_at == 0 || split_at == n {
            return Err(Error::Invalid(format!(
                "fit: validation_split {validation_split} of {n} samples leaves {} for training and {} for validation",
                split_at,
                n - split_at
            )));
        }
        split_at
    } else {
        n
    };
    let (x_train, y_train) = (&xs[..n_train * M::IN], &ys[..n_train * tps]);
    let w_train = weights.as_deref().map(|sw| &sw[..n_train]);
    // Keras weights the held-out samples too (`sample_weight` is split with
    // the data); `class_weight` only ever weights training.
    let w_val = match (&validation_data, &weights) {
        (None, Some(sw)) if n_train < n && class_weight.is_none() => Some(&sw[n_train..]),
        _ => None,
    };
    let val_owned = match &validation_data {
        Some((vx, vy)) => {
            let nv = check_xy::<M, L>("fit validation_data", vx, vy)?;
            let (vx, vy) = (vx.as_standard_layout(), vy.as_standard_layout());
            Some((vx.into_owned(), vy.into_owned(), nv))
        }
        None => None,
    };
    let val: Option<Split<'_, L::Elem>> = match &val_owned {
        Some((vx, vy, nv)) => {
            let (vx, vy) = (vx.as_slice().expect("standard layout"), vy.as_slice().expect("standard layout"));
            check_finite_input(vx, M::IN)?;
            loss.check_targets(vy, w, rps)?;
            Some((vx, vy, *nv))
        }
        None if n_train < n => Some((&xs[n_train * M::IN..], &ys[n_train * tps..], n - n_train)),
        None => None,
    };

    // The optimizer too, before any callback can act on it.
    super::check_optimizer(m, opt)?;

    let seed = seed.unwrap_or(m.slot().seed);
    // Batches in a pass over the data, and epochs per pass: one, unless
    // `steps_per_epoch` cuts a pass into several epochs (Keras 3).
    let batches = n_train.div_ceil(batch_size);
    let steps = steps_per_epoch.map_or(batches, |s| s.min(batches));
    let epochs_per_pass = batches.div_ceil(steps);
    if initial_batch > 0 && initial_batch >= steps {
        return Err(Error::Invalid(format!(
            "fit: initial_batch {initial_batch} is not less than the {steps} batches of an epoch"
        )));
    }
    let mut order: Vec<usize> = (0..n_train).collect();
    let mut xb = vec![0.0f32; batch_size.min(n_train) * M::IN];
    let mut yb: Vec<L::Elem> = y_train[..batch_size.min(n_train) * tps].to_vec();
    let mut wb = vec![0.0f32; if w_train.is_some() { batch_size.min(n_train) } else { 0 }];
    let mut history = History::default();
    let mut progress = Progress::new(verbose);
    // A stop asked for at the end of a batch takes effect at the end of the epoch.
    let mut batch_stop = None;

    each(&mut callbacks, m, opt, verbose, steps, |c, ctx| c.on_train_begin(ctx))?;
    'epochs: for epoch in initial_epoch..epochs {
        if let Some(reason) = each(&mut callbacks, m, opt, verbose, steps, |c, ctx| c.on_epoch_begin(epoch, ctx))? {
            history.stopped = Some(StopReason { epoch, batch: None, reason });
            break;
        }
        let lr = opt.learning_rate();
        let (pass, first_batch) = (epoch / epochs_per_pass, (epoch % epochs_per_pass) * steps);
        let epoch_batches = steps.min(batches - first_batch);
        order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
        if shuffle {
            // Fisher-Yates with a generator that depends only on (seed, pass);
            // a pass is an epoch unless `steps_per_epoch` is set.
            let mut gen = rng::seeded(seed);
            gen.set_stream(pass as u64);
            for i in (1..n_train).rev() {
                order.swap(i, gen.random_range(0..=i));
            }
        }
        // The weights at the start of the epoch (one copy per epoch, not per
        // batch), to fall back on if a step leaves them non-finite.
        let mut snapshot = Vec::new();
        m.visit_weights(&mut |_, _, p| snapshot.push(p.to_vec()));

        progress.epoch_begin(epoch, epochs, epoch_batches);
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0.0f64, 0usize);
        let skip = if epoch == initial_epoch { initial_batch } else { 0 };
        let this_epoch = order.chunks(batch_size).skip(first_batch).take(epoch_batches);
        for (b, idx) in this_epoch.enumerate().skip(skip) {
            let k = idx.len();
            for (j, &i) in idx.iter().enumerate() {
                xb[j * M::IN..(j + 1) * M::IN].copy_from_slice(&x_train[i * M::IN..(i + 1) * M::IN]);
                yb[j * tps..(j + 1) * tps].copy_from_slice(&y_train[i * tps..(i + 1) * tps]);
                if let Some(sw) = w_train {
                    wb[j] = sw[i];
                }
            }
            let batch_weights = w_train.map(|_| &wb[..k]);
            match step(m, &xb[..k * M::IN], &yb[..k * tps], batch_weights, loss, opt) {
                Ok((l, c)) => {
                    loss_sum += f64::from(l) * k as f64;
                    correct += c;
                    seen += k;
                    let accuracy = L::HAS_ACCURACY.then(|| correct / (seen * rps) as f64);
                    progress.batch_end(b + 1, loss_sum / seen as f64, accuracy);
                    if !callbacks.is_empty() {
                        let stop =
                            each(&mut callbacks, m, opt, verbose, steps, |c, ctx| c.on_train_batch_end(epoch, b, ctx))?;
                        batch_stop = batch_stop.or(stop);
                    }
                }
                Err(Error::NonFinite(reason)) => {
                    progress.abort();
                    // Every callback hears of it, not only the first that takes it.
                    let mut handled = false;
                    for c in callbacks.iter_mut() {
                        handled |= c.on_non_finite(epoch, b, &reason);
                    }
                    if !weights_finite(m) {
                        let mut it = snapshot.iter();
                        m.visit_weights_mut(&mut |_, _, p| {
                            if let Some(w) = it.next() {
                                p.as_mut_slice().copy_from_slice(w);
                            }
                        });
                    }
                    if !handled {
                        return Err(Error::NonFinite(format!("fit: epoch {}, batch {}: {reason}", epoch + 1, b + 1)));
                    }
                    // Keras records the interrupted epoch too: its mean loss
                    // includes the bad batch, so it is NaN, and so is every
                    // other metric of an epoch that did not finish. No
                    // callback sees it as a finished epoch.
                    let nan = |present: bool| present.then_some(f32::NAN);
                    let logs = EpochLogs {
                        loss: f32::NAN,
                        accuracy: nan(L::HAS_ACCURACY),
                        val_loss: nan(val.is_some() && (epoch + 1).is_multiple_of(validation_freq)),
                        val_accuracy: nan(val.is_some()
                            && (epoch + 1).is_multiple_of(validation_freq)
                            && L::HAS_ACCURACY),
                        learning_rate: lr,
                    };
                    history.push(epoch, &logs);
                    history.stopped = Some(StopReason { epoch, batch: Some(b), reason });
                    break 'epochs;
                }
                Err(e) => {
                    progress.abort();
                    return Err(e);
                }
            }
        }
        // Keras: validate when (epoch + 1) is a multiple of validation_freq.
        let validate = (epoch + 1).is_multiple_of(validation_freq);
        let (val_loss, val_accuracy) = match val.filter(|_| validate) {
            Some((vx, vy, nv)) => {
                let e = evaluate_flat(m, vx, vy, w_val, loss, nv);
                (Some(e.loss), L::HAS_ACCURACY.then_some(e.accuracy))
            }
            None => (None, None),
        };
        let logs = EpochLogs {
            loss: (loss_sum / seen.max(1) as f64) as f32,
            accuracy: L::HAS_ACCURACY.then(|| (correct / (seen.max(1) * rps) as f64) as f32),
            val_loss,
            val_accuracy,
            learning_rate: lr,
        };
        progress.epoch_end(&logs);
        history.push(epoch, &logs);
        let stop = each(&mut callbacks, m, opt, verbose, steps, |c, ctx| c.on_epoch_end(epoch, &logs, ctx))?;
        if let Some(reason) = stop.or(batch_stop.take()) {
            history.stopped = Some(StopReason { epoch, batch: None, reason });
            break;
        }
    }
    each(&mut callbacks, m, opt, verbose, steps, |c, ctx| c.on_train_end(ctx))?;
    Ok(history)
}

/// The per-sample weights of `fit`'s `sample_weight` or `class_weight`
/// (checked: one finite weight `>= 0` per sample or per class), or `None`.
fn sample_weights<M: Model, L: Loss>(
    loss: &L,
    y: &[L::Elem],
    n: usize,
    sample_weight: Option<ArrayView1<'_, f32>>,
    class_weight: Option<&[f32]>,
) -> Result<Option<Vec<f32>>> {
    let check = |what: &str, w: &[f32]| -> Result<()> {
        match w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
            Some(i) => {
                Err(Error::Invalid(format!("fit: {what}[{i}] is {}; every weight must be a finite number >= 0", w[i])))
            }
            None => Ok(()),
        }
    };
    match (sample_weight, class_weight) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(Error::Invalid(
            "fit: sample_weight and class_weight cannot be given together (as in Keras)".to_string(),
        )),
        (Some(sw), None) => {
            if sw.len() != n {
                return Err(Error::Invalid(format!(
                    "fit: sample_weight has {} weights but x has {n} samples (one weight per sample)",
                    sw.len()
                )));
            }
            let sw = sw.to_vec();
            check("sample_weight", &sw)?;
            Ok(Some(sw))
        }
        (None, Some(cw)) => {
            let (w, rps) = (width::<M>(), rows_per_sample::<M>());
            if rps != 1 {
                return Err(Error::Invalid(format!(
                    "fit: class_weight needs one target per sample, but the output {:?} has {rps} rows per sample",
                    M::OUTPUT_SHAPE
                )));
            }
            let classes = if w == 1 { 2 } else { w };
            if cw.len() < classes {
                return Err(Error::Invalid(format!(
                    "fit: class_weight has {} weights but the output has {classes} classes (one weight per class)",
                    cw.len()
                )));
            }
            check("class_weight", cw)?;
            let class_of = |s: usize| -> usize {
                use crate::loss::TargetAt;
                match loss.target_at(y, w, s, 0) {
                    TargetAt::Class(c) => c,
                    // One unit: the rounded target (Keras's `np.round`).
                    TargetAt::Value(v) if w == 1 => v.round().max(0.0) as usize,
                    TargetAt::Value(_) => {
                        // Keras's arg-max of the one-hot target (the first maximum).
                        let mut best = (0, f32::NEG_INFINITY);
                        for j in 0..w {
                            if let TargetAt::Value(v) = loss.target_at(y, w, s, j) {
                                if v > best.1 {
                                    best = (j, v);
                                }
                            }
                        }
                        best.0
                    }
                }
            };
            (0..n)
                .map(|s| {
                    let c = class_of(s);
                    cw.get(c).copied().ok_or_else(|| {
                        Error::Invalid(format!(
                            "fit: sample {s} has class {c}, but class_weight has {} weights",
                            cw.len()
                        ))
                    })
                })
                .collect::<Result<Vec<f32>>>()
                .map(Some)
        }
    }
}

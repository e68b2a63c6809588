//! Keras's training callbacks: [`EarlyStopping`], [`ModelCheckpoint`],
//! [`TerminateOnNaN`], [`LearningRateScheduler`], [`ReduceLROnPlateau`] and
//! [`CsvLogger`], and the [`Callback`] trait to write others.
//!
//! ```no_run
//! use nn_runtime::train::{EarlyStopping, FitOptions, LearningRateScheduler, ModelCheckpoint, TerminateOnNaN};
//!
//! let options: FitOptions = FitOptions {
//!     epochs: 100,
//!     callbacks: vec![
//!         Box::new(EarlyStopping { patience: 5, restore_best_weights: true, ..Default::default() }),
//!         Box::new(ModelCheckpoint::new("out/best.safetensors").save_best_only(true)),
//!         Box::new(TerminateOnNaN),
//!         Box::new(LearningRateScheduler(|epoch, lr| if epoch < 10 { lr } else { lr * 0.9 })),
//!     ],
//!     ..Default::default()
//! };
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;

use super::checkpoint::{save_dyn, DynModel};
use crate::optim::{check, Optimizer, Range};
use crate::{io, Error, Result};

/// The metrics of one finished epoch, as Keras's `logs` dictionary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochLogs {
    /// Mean training loss over the epoch's samples.
    pub loss: f32,
    /// Training accuracy over the epoch's samples (`None` for a loss without
    /// an accuracy, [`Loss::HAS_ACCURACY`](crate::loss::Loss::HAS_ACCURACY)).
    pub accuracy: Option<f32>,
    /// Validation loss, when there is validation data.
    pub val_loss: Option<f32>,
    /// Validation accuracy, when there is validation data.
    pub val_accuracy: Option<f32>,
    /// The learning rate the epoch trained with.
    pub learning_rate: f32,
}

impl EpochLogs {
    /// The value Keras logs under `name` (`"loss"`, `"accuracy"`, `"val_loss"`,
    /// `"val_accuracy"`, `"learning_rate"`), if this epoch has it.
    pub fn get(&self, name: &str) -> Option<f32> {
        match name {
            "loss" => Some(self.loss),
            "accuracy" => self.accuracy,
            "val_loss" => self.val_loss,
            "val_accuracy" => self.val_accuracy,
            "learning_rate" => Some(self.learning_rate),
            _ => None,
        }
    }

    /// The value of `monitor`, or an error naming it and what is available.
    fn monitored(&self, callback: &str, monitor: &str) -> Result<f32> {
        self.get(monitor).ok_or_else(|| {
            let names = ["loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"];
            let available: Vec<&str> = names.into_iter().filter(|n| self.get(n).is_some()).collect();
            let note = if self.val_loss.is_some() { "" } else { " (no validation data)" };
            Error::Invalid(format!(
                "{callback} monitors `{monitor}`, which fit does not log; available: {}{note}",
                available.join(", ")
            ))
        })
    }
}

/// What a callback may act on during `fit`: the model's weights, the
/// optimizer, and whether training goes on.
pub struct Context<'a> {
    pub(super) model: &'a mut dyn DynModel,
    pub(super) optimizer: &'a mut dyn Optimizer,
    pub(super) stop: Option<String>,
    pub(super) verbose: u8,
    pub(super) steps: usize,
    pub(super) lr_logged: bool,
}

impl Context<'_> {
    /// Asks `fit` to stop after this epoch (Keras's `model.stop_training = True`); `reason` goes to the History.
    pub fn stop_training(&mut self, reason: impl Into<String>) {
        self.stop = Some(reason.into());
    }

    /// The optimizer's current learning rate.
    pub fn learning_rate(&self) -> f32 {
        self.optimizer.learning_rate()
    }

    /// Sets the optimizer's learning rate.
    pub fn set_learning_rate(&mut self, lr: f32) {
        self.optimizer.set_learning_rate(lr);
    }

    /// A copy of every weight (Keras's `get_weights`, moving statistics included), in Keras's order.
    pub fn weights(&self) -> Vec<Vec<f32>> {
        let mut out = Vec::new();
        self.model.visit(&mut |_, _, p| out.push(p.to_vec()));
        out
    }

    /// Restores weights taken by [`weights`](Context::weights).
    pub fn set_weights(&mut self, weights: &[Vec<f32>]) {
        let mut it = weights.iter();
        self.model.visit_mut(&mut |_, _, p| {
            if let Some(w) = it.next() {
                p.as_mut_slice().copy_from_slice(w);
            }
        });
    }

    /// Saves a checkpoint: the weights at `path`, the optimizer state, the
    /// dropout generator and `epochs_done` beside it (see [`super::save_checkpoint`]).
    pub fn save_checkpoint(&mut self, path: &std::path::Path, epochs_done: usize) -> Result<()> {
        save_dyn(self.model, self.optimizer, path, epochs_done, 0)
    }

    /// Whether an earlier callback of the list adds `learning_rate` to the
    /// epoch's logs (Keras's `ReduceLROnPlateau` does, so a `CSVLogger` after
    /// it writes that column).
    pub fn learning_rate_logged(&self) -> bool {
        self.lr_logged
    }

    /// The `verbose` level `fit` runs with.
    pub fn verbose(&self) -> u8 {
        self.verbose
    }

    /// The number of batches (gradient steps) in an epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.steps
    }

    /// Saves a checkpoint taken after `batches_done` batches of epoch `epoch`
    /// (counted from 0); `resume_from_checkpoint` returns that position.
    pub fn save_checkpoint_mid_epoch(
        &mut self,
        path: &std::path::Path,
        epoch: usize,
        batches_done: usize,
    ) -> Result<()> {
        save_dyn(self.model, self.optimizer, path, epoch, batches_done)
    }
}

/// Hooks `fit` calls; every method has a default that does nothing.
/// Epochs are counted from 0, as Keras's callbacks see them.
pub trait Callback {
    /// Before the first epoch.
    fn on_train_begin(&mut self, ctx: &mut Context<'_>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Before each epoch.
    fn on_epoch_begin(&mut self, epoch: usize, ctx: &mut Context<'_>) -> Result<()> {
        let _ = (epoch, ctx);
        Ok(())
    }

    /// After each epoch, with its metrics.
    fn on_epoch_end(&mut self, epoch: usize, logs: &EpochLogs, ctx: &mut Context<'_>) -> Result<()> {
        let _ = (epoch, logs, ctx);
        Ok(())
    }

    /// After each successful training step (batch counted from 0 within the
    /// epoch). A stop asked for here takes effect at the end of the epoch.
    fn on_train_batch_end(&mut self, epoch: usize, batch: usize, ctx: &mut Context<'_>) -> Result<()> {
        let _ = (epoch, batch, ctx);
        Ok(())
    }

    /// After the last epoch (also after an early stop).
    fn on_train_end(&mut self, ctx: &mut Context<'_>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Whether this callback adds `learning_rate` to the logs that the
    /// callbacks after it see (Keras's `ReduceLROnPlateau` does); default `false`.
    fn logs_learning_rate(&self) -> bool {
        false
    }

    /// A batch's loss or gradient was not finite (the step was undone). Return
    /// `true` to stop training cleanly instead of `fit` returning the error.
    fn on_non_finite(&mut self, epoch: usize, batch: usize, reason: &str) -> bool {
        let _ = (epoch, batch, reason);
        false
    }
}

/// Whether `monitor` improves upward (`mode = "auto"`: accuracies up, the rest down).
fn maximizes(monitor: &str) -> bool {
    monitor.contains("acc")
}

/// Keras's `EarlyStopping`: stops when `monitor` has not improved by more
/// than `min_delta` for `patience` epochs; with `restore_best_weights`, the
/// weights of the best epoch are restored at the end of training (Keras 3).
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    /// The logged value to watch (Keras's default `"val_loss"`).
    pub monitor: String,
    /// Smallest change that counts as an improvement; its absolute value is
    /// used, as in Keras. Must be finite (checked when training begins).
    pub min_delta: f32,
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// Restore the weights of the best epoch when training ends.
    pub restore_best_weights: bool,
    /// Epochs to wait before watching at all (Keras's `start_from_epoch`).
    pub start_from_epoch: usize,
    /// What the callback has seen so far (reset when training begins); leave it at its default.
    pub state: MonitorState,
}

/// What a monitoring callback has seen so far: the best value, for
/// `EarlyStopping` the epochs waited and the best weights, for
/// `ModelCheckpoint` the batches since the last save. Reset when training
/// begins.
#[derive(Debug, Clone, Default)]
pub struct MonitorState {
    best: Option<f32>,
    best_weights: Option<Vec<Vec<f32>>>,
    wait: usize,
    /// Batches since the last save (`ModelCheckpoint::save_freq`).
    batches: usize,
}

impl MonitorState {
    /// The best monitored value so far.
    pub fn best(&self) -> Option<f32> {
        self.best
    }
}

impl Default for EarlyStopping {
    /// Keras's defaults: `monitor = "val_loss"`, `min_delta = 0`, `patience = 0`.
    fn default() -> Self {
        EarlyStopping {
            monitor: "val_loss".to_string(),
            min_delta: 0.0,
            patience: 0,
            restore_best_weights: false,
            start_from_epoch: 0,
            state: MonitorState::default(),
        }
    }
}

impl EarlyStopping {
    /// Watches `monitor` with `patience`, other settings at Keras's defaults.
    pub fn new(monitor: &str, patience: usize) -> Self {
        EarlyStopping { monitor: monitor.to_string(), patience, ..Default::default() }
    }

    /// Sets `restore_best_weights`.
    pub fn restore_best_weights(mut self, restore: bool) -> Self {
        self.restore_best_weights = restore;
        self
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, _: &mut Context<'_>) -> Result<()> {
        check("EarlyStopping", "min_delta", f64::from(self.min_delta), Range::Finite)?;
        self.state = MonitorState::default();
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &EpochLogs, ctx: &mut Context<'_>) -> Result<()> {
        let current = logs.monitored("EarlyStopping", &self.monitor)?;
        if epoch < self.start_from_epoch || current.is_nan() {
            return Ok(());
        }
        self.state.wait += 1;
        let delta = self.min_delta.abs();
        let improved = match self.state.best {
            None => true,
            Some(best) if maximizes(&self.monitor) => current - delta > best,
            Some(best) => current + delta < best,
        };
        if improved {
            self.state.best = Some(current);
            self.state.wait = 0;
            if self.restore_best_weights {
                self.state.best_weights = Some(ctx.weights());
            }
            return Ok(());
        }
        if self.state.wait >= self.patience && epoch > 0 {
            ctx.stop_training(format!(
                "EarlyStopping: `{}` did not improve on {} for {} epochs",
                self.monitor,
                self.state.best.unwrap_or(f32::NAN),
                self.state.wait
            ));
        }
        Ok(())
    }

    fn on_train_end(&mut self, ctx: &mut Context<'_>) -> Result<()> {
        if self.restore_best_weights {
            if let Some(w) = self.state.best_weights.take() {
                if ctx.verbose() > 0 {
                    println!(
                        "Restoring model weights from the end of the best epoch ({} = {}).",
                        self.monitor,
                        self.state.best.unwrap_or(f32::NAN)
                    );
                }
                ctx.set_weights(&w);
            }
        }
        Ok(())
    }
}

/// Keras's `ModelCheckpoint`: saves a checkpoint at the end of each epoch (or
/// only when `monitor` improves, with `save_best_only`), or every `save_freq`
/// batches.
///
/// A checkpoint is the weights file at `path` (loadable by `load_weights`)
/// plus, beside it, `<stem>.opt.safetensors` with the optimizer state, the
/// dropout generator and the epoch count, so that
/// [`load_checkpoint`](super::load_checkpoint) and `FitOptions::initial_epoch`
/// resume training exactly. `{epoch}` in the path is replaced by the epoch
/// number, counted from 1 as Keras names files.
///
/// With [`save_freq`](ModelCheckpoint::save_freq)`(n)` (Keras's integer
/// `save_freq`), a checkpoint is saved after every `n` batches, counted
/// across epochs, instead of at the end of each epoch; one taken mid-epoch
/// resumes with [`resume_from_checkpoint`](super::resume_from_checkpoint)
/// and `FitOptions::initial_batch`. `save_best_only` applies to per-epoch
/// saving only.
#[derive(Debug, Clone)]
pub struct ModelCheckpoint {
    /// Where the weights go; `{epoch}` is replaced by the epoch number.
    pub path: PathBuf,
    /// The logged value that decides "best" (Keras's default `"val_loss"`).
    pub monitor: String,
    /// Save only when `monitor` improves.
    pub save_best_only: bool,
    /// Save every this many batches instead of every epoch (`None`, the
    /// default: Keras's `save_freq = "epoch"`).
    pub save_freq: Option<usize>,
    /// The best value so far and the batches since the last save (reset
    /// when training begins); leave it at its default.
    pub state: MonitorState,
}

impl Default for ModelCheckpoint {
    /// Keras's defaults, saving to `checkpoints/epoch_{epoch}.safetensors`.
    fn default() -> Self {
        ModelCheckpoint::new("checkpoints/epoch_{epoch}.safetensors")
    }
}

impl ModelCheckpoint {
    /// Saves to `path` after every epoch, monitoring `"val_loss"` for `save_best_only`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ModelCheckpoint {
            path: path.into(),
            monitor: "val_loss".to_string(),
            save_best_only: false,
            save_freq: None,
            state: MonitorState::default(),
        }
    }

    /// Saves every `batches` batches instead of at the end of every epoch
    /// (Keras's integer `save_freq`); 0 is taken as 1.
    pub fn save_freq(mut self, batches: usize) -> Self {
        self.save_freq = Some(batches.max(1));
        self
    }

    /// Sets `save_best_only`.
    pub fn save_best_only(mut self, yes: bool) -> Self {
        self.save_best_only = yes;
        self
    }

    /// Sets the monitored value.
    pub fn monitor(mut self, monitor: &str) -> Self {
        self.monitor = monitor.to_string();
        self
    }

    /// The path for a given epoch, its directory created.
    fn prepared_path(&self, epoch: usize) -> Result<PathBuf> {
        let path = self.path_for(epoch);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        }
        Ok(path)
    }

    /// The path for a given epoch (counted from 0).
    fn path_for(&self, epoch: usize) -> PathBuf {
        let s = self.path.to_string_lossy();
        if s.contains("{epoch}") {
            PathBuf::from(s.replace("{epoch}", &format!("{:02}", epoch + 1)))
        } else {
            self.path.clone()
        }
    }
}

impl Callback for ModelCheckpoint {
    fn on_train_begin(&mut self, _: &mut Context<'_>) -> Result<()> {
        self.state = MonitorState::default();
        Ok(())
    }

    fn on_train_batch_end(&mut self, epoch: usize, batch: usize, ctx: &mut Context<'_>) -> Result<()> {
        let Some(freq) = self.save_freq else { return Ok(()) };
        self.state.batches += 1;
        if self.state.batches < freq {
            return Ok(());
        }
        self.state.batches = 0;
        let path = self.prepared_path(epoch)?;
        if batch + 1 >= ctx.steps_per_epoch() {
            // The last batch of the epoch: the position is the next epoch's start.
            ctx.save_checkpoint(&path, epoch + 1)
        } else {
            ctx.save_checkpoint_mid_epoch(&path, epoch, batch + 1)
        }
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &EpochLogs, ctx: &mut Context<'_>) -> Result<()> {
        if self.save_freq.is_some() {
            return Ok(());
        }
        if self.save_best_only {
            let current = logs.monitored("ModelCheckpoint", &self.monitor)?;
            let improved = match self.state.best {
                None => !current.is_nan(),
                Some(best) if maximizes(&self.monitor) => current > best,
                Some(best) => current < best,
            };
            if !improved {
                return Ok(());
            }
            self.state.best = Some(current);
        }
        let path = self.prepared_path(epoch)?;
        ctx.save_checkpoint(&path, epoch + 1)
    }
}

/// Keras's `TerminateOnNaN`: when a batch's loss (or gradient) is not
/// finite, training stops cleanly, with the weights of the last finite step;
/// the History ends with the interrupted epoch (its loss NaN, as Keras
/// records it) and `History::stopped` names the epoch, the batch and the
/// reason. Without it, `fit` returns the error instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct TerminateOnNaN;

impl Callback for TerminateOnNaN {
    fn on_non_finite(&mut self, epoch: usize, batch: usize, reason: &str) -> bool {
        println!("Epoch {}, batch {}: invalid loss ({reason}), terminating training", epoch + 1, batch + 1);
        true
    }
}

/// Keras's `LearningRateScheduler`: before each epoch, sets the learning rate
/// to `schedule(epoch, current_lr)` (epochs counted from 0). A rate that is
/// not a finite number `>= 0` stops `fit` with an error naming the epoch,
/// before that epoch's first step.
#[derive(Debug, Clone, Copy)]
pub struct LearningRateScheduler(pub fn(usize, f32) -> f32);

impl Callback for LearningRateScheduler {
    fn on_epoch_begin(&mut self, epoch: usize, ctx: &mut Context<'_>) -> Result<()> {
        let lr = (self.0)(epoch, ctx.learning_rate());
        check(
            &format!("LearningRateScheduler (epoch {epoch})"),
            "the learning rate the schedule returned",
            f64::from(lr),
            Range::NonNegative,
        )?;
        ctx.set_learning_rate(lr);
        Ok(())
    }
}

/// Which way a monitored value improves (Keras's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Accuracies up, losses down (Keras's `"auto"`, the default).
    #[default]
    Auto,
    /// Lower is better (`"min"`).
    Min,
    /// Higher is better (`"max"`).
    Max,
}

/// Keras's `ReduceLROnPlateau`: when `monitor` has not improved by more than
/// `min_delta` for `patience` epochs, multiplies the learning rate by
/// `factor` (never below `min_lr`), then waits `cooldown` epochs before
/// counting again.
///
/// Exactly Keras 3's bookkeeping (keras/src/callbacks/reduce_lr_on_plateau.py):
/// at each epoch end, in cooldown the counter goes down and `wait` is reset;
/// an improvement (`current - min_delta > best` for `max`, `current +
/// min_delta < best` for `min`, in `f64`) becomes the best and resets
/// `wait`; otherwise, out of cooldown, `wait` grows and at `patience` the rate
/// becomes `max(lr * factor, min_lr)` if `lr > min_lr`, starting the cooldown.
/// An epoch that does not log `monitor` (no validation that epoch) is
/// skipped, as Keras warns and skips it. Like Keras, it adds
/// `learning_rate` to the logs the callbacks after it see ([`CsvLogger`]).
///
/// ```
/// use nn_runtime::train::ReduceLROnPlateau;
///
/// let cb = ReduceLROnPlateau::new("val_loss").factor(0.5).patience(5);
/// assert_eq!((cb.factor, cb.patience, cb.min_delta, cb.cooldown, cb.min_lr), (0.5, 5, 1e-4, 0, 0.0));
/// ```
#[derive(Debug, Clone)]
pub struct ReduceLROnPlateau {
    /// The logged value to watch (Keras's default `"val_loss"`).
    pub monitor: String,
    /// The factor the rate is multiplied by, in `[0, 1)` (Keras's default 0.1).
    pub factor: f64,
    /// Epochs without improvement before reducing (default 10).
    pub patience: usize,
    /// Which way `monitor` improves (default [`Mode::Auto`]).
    pub mode: Mode,
    /// Smallest change that counts as an improvement (default 1e-4; its absolute value, as Keras).
    pub min_delta: f64,
    /// Epochs after a reduction before `wait` counts again (default 0).
    pub cooldown: usize,
    /// The rate is never reduced below this (default 0).
    pub min_lr: f64,
    /// Print a line at each reduction (Keras's `verbose`, default 0).
    pub verbose: u8,
    best: Option<f64>,
    wait: usize,
    cooldown_counter: usize,
}

impl Default for ReduceLROnPlateau {
    /// Keras's defaults, monitoring `"val_loss"`.
    fn default() -> Self {
        ReduceLROnPlateau::new("val_loss")
    }
}

impl ReduceLROnPlateau {
    /// Watches `monitor`, every other setting at Keras's defaults.
    pub fn new(monitor: &str) -> Self {
        ReduceLROnPlateau {
            monitor: monitor.to_string(),
            factor: 0.1,
            patience: 10,
            mode: Mode::Auto,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            verbose: 0,
            best: None,
            wait: 0,
            cooldown_counter: 0,
        }
    }

    /// Sets `factor`.
    #[must_use]
    pub fn factor(mut self, factor: impl Into<f64>) -> Self {
        self.factor = factor.into();
        self
    }

    /// Sets `patience`.
    #[must_use]
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// Sets `mode`.
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets `min_delta`.
    #[must_use]
    pub fn min_delta(mut self, min_delta: impl Into<f64>) -> Self {
        self.min_delta = min_delta.into();
        self
    }

    /// Sets `cooldown`.
    #[must_use]
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Sets `min_lr`.
    #[must_use]
    pub fn min_lr(mut self, min_lr: impl Into<f64>) -> Self {
        self.min_lr = min_lr.into();
        self
    }

    /// Sets `verbose`.
    #[must_use]
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }

    /// The best monitored value so far.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Whether `current` improves on the best so far.
    fn is_improvement(&self, current: f64) -> bool {
        let Some(best) = self.best else { return true };
        let max = match self.mode {
            Mode::Max => true,
            Mode::Min => false,
            Mode::Auto => maximizes(&self.monitor),
        };
        let delta = self.min_delta.abs();
        if max {
            current - delta > best
        } else {
            current + delta < best
        }
    }

    /// One epoch's bookkeeping on the monitored value; returns the new
    /// learning rate when it is reduced. (What `on_epoch_end` does, without
    /// a model: for testing the schedule of rates on a scripted sequence.)
    pub fn observe(&mut self, current: f32, lr: f32) -> Option<f32> {
        let current = f64::from(current);
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if self.is_improvement(current) {
            self.best = Some(current);
            self.wait = 0;
            return None;
        }
        if self.cooldown_counter > 0 {
            return None;
        }
        self.wait += 1;
        if self.wait < self.patience {
            return None;
        }
        // Keras: `if old_lr > np.float32(min_lr)`, the product in Python's f64.
        if lr > self.min_lr as f32 {
            let new_lr = (f64::from(lr) * self.factor).max(self.min_lr) as f32;
            self.cooldown_counter = self.cooldown;
            self.wait = 0;
            return Some(new_lr);
        }
        None
    }

    /// Resets what the callback has seen (Keras's `_reset`).
    pub fn reset(&mut self) {
        self.best = None;
        self.wait = 0;
        self.cooldown_counter = 0;
    }

    fn validate(&self) -> Result<()> {
        const NAME: &str = "ReduceLROnPlateau";
        check(NAME, "factor", self.factor, Range::NonNegative)?;
        if self.factor >= 1.0 {
            return Err(Error::Invalid(format!(
                "{NAME} does not support a factor >= 1.0 (as Keras), got {}",
                self.factor
            )));
        }
        check(NAME, "min_delta", self.min_delta, Range::Finite)?;
        check(NAME, "min_lr", self.min_lr, Range::NonNegative)
    }
}

/// The names `fit` logs (see [`EpochLogs::get`]).
const LOGGED: [&str; 5] = ["loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"];

impl Callback for ReduceLROnPlateau {
    fn on_train_begin(&mut self, _: &mut Context<'_>) -> Result<()> {
        self.validate()?;
        self.reset();
        Ok(())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &EpochLogs, ctx: &mut Context<'_>) -> Result<()> {
        let Some(current) = logs.get(&self.monitor) else {
            if LOGGED.contains(&self.monitor.as_str()) {
                // Not logged this epoch (no validation): Keras warns and skips it.
                return Ok(());
            }
            return logs.monitored("ReduceLROnPlateau", &self.monitor).map(|_| ());
        };
        if let Some(lr) = self.observe(current, ctx.learning_rate()) {
            ctx.set_learning_rate(lr);
            if self.verbose > 0 {
                println!(
                    "\nEpoch {}: ReduceLROnPlateau reducing learning rate to {}.",
                    epoch + 1,
                    py_float(f64::from(lr))
                );
            }
        }
        Ok(())
    }

    fn logs_learning_rate(&self) -> bool {
        true
    }
}

/// Keras's `CSVLogger`: a header, then one row per epoch, appended to the
/// file and flushed as each epoch ends, so the rows of finished epochs
/// survive the process being killed.
///
/// The layout is Keras 3's (keras/src/callbacks/csv_logger.py): the columns
/// are `epoch` (counted from 0) and the first epoch's logged names, sorted
/// (`accuracy`, `loss`, then `val_accuracy`, `val_loss`; `learning_rate`
/// when a [`ReduceLROnPlateau`] comes earlier in the callback list); when the
/// first epoch has no `val_` value, a `val_` column is added for each name and
/// the values missing in a row are `NA`. Numbers are written as Python
/// writes Keras's floats (`repr`: `0.7451978921890259`, `1e-05`), rows end in
/// `\r\n` (Python's `csv.excel` dialect). Without [`append`](CsvLogger::append)
/// the file is replaced when training begins; with it, rows are added after
/// the existing ones and the header is written only if the file is empty.
///
/// Every write replaces the file atomically (the crate's one writer,
/// [`io::write_atomic`]), so a killed process leaves every finished epoch's
/// row and never a torn one.
#[derive(Debug, Clone)]
pub struct CsvLogger {
    /// The file the rows go to.
    pub path: PathBuf,
    /// The field separator (Keras's default `,`).
    pub separator: char,
    /// Append to an existing file instead of replacing it (Keras's default `false`).
    pub append: bool,
    text: String,
    keys: Option<Vec<&'static str>>,
    header: bool,
}

impl CsvLogger {
    /// Logs to `path`, with Keras's defaults (separator `,`, not appending).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CsvLogger { path: path.into(), separator: ',', append: false, text: String::new(), keys: None, header: true }
    }

    /// Sets the field separator.
    #[must_use]
    pub fn separator(mut self, separator: char) -> Self {
        self.separator = separator;
        self
    }

    /// Sets `append`.
    #[must_use]
    pub fn append(mut self, append: bool) -> Self {
        self.append = append;
        self
    }

    /// Writes the whole text, replacing the file atomically.
    fn flush(&self) -> Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        }
        io::write_atomic(&self.path, |w| w.write_all(self.text.as_bytes()))
    }

    /// One field, quoted as Python's `csv` quotes it (when it holds the separator, a quote or a line break).
    fn field(&self, value: &str) -> String {
        if value.contains(self.separator) || value.contains('"') || value.contains('\n') || value.contains('\r') {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value.to_string()
        }
    }
}

impl Callback for CsvLogger {
    fn on_train_begin(&mut self, _: &mut Context<'_>) -> Result<()> {
        self.keys = None;
        self.text.clear();
        self.header = true;
        if self.append && self.path.exists() {
            let mut file = io::open_regular(&self.path)?;
            std::io::Read::read_to_string(&mut file, &mut self.text)
                .map_err(|source| Error::Io { path: self.path.clone(), source })?;
            // Keras: the header only if the first line is empty.
            self.header = self.text.lines().next().is_none_or(str::is_empty);
        }
        // Keras opens the file here ("w" truncates it).
        self.flush()
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &EpochLogs, ctx: &mut Context<'_>) -> Result<()> {
        let lr_logged = ctx.learning_rate_logged();
        let has = |name: &str| if name == "learning_rate" { lr_logged } else { logs.get(name).is_some() };
        if self.keys.is_none() {
            let mut keys: Vec<&'static str> = LOGGED.into_iter().filter(|k| has(k)).collect();
            keys.sort_unstable();
            if !keys.iter().any(|k| k.starts_with("val_")) && !keys.is_empty() {
                let val: Vec<&'static str> = keys
                    .iter()
                    .map(|k| match *k {
                        "loss" => "val_loss",
                        "accuracy" => "val_accuracy",
                        _ => "val_learning_rate",
                    })
                    .collect();
                keys.extend(val);
            }
            let sep = self.separator.to_string();
            if self.header {
                let mut names = vec!["epoch".to_string()];
                names.extend(keys.iter().map(|k| self.field(k)));
                self.text.push_str(&names.join(&sep));
                self.text.push_str("\r\n");
            }
            self.keys = Some(keys);
        }
        let keys = self.keys.as_deref().unwrap_or(&[]);
        let mut row = format!("{epoch}");
        for k in keys {
            let value = match logs.get(k) {
                Some(v) if *k != "learning_rate" || lr_logged => py_float(f64::from(v)),
                _ => "NA".to_string(),
            };
            row.push(self.separator);
            row.push_str(&self.field(&value));
        }
        row.push_str("\r\n");
        self.text.push_str(&row);
        self.flush()
    }
}

/// A float as Python's `repr` writes it: the shortest text that reads back
/// the same, in fixed notation for exponents -4 to 15 (`0.0001`, `1.0`) and
/// scientific notation otherwise (`1e-05`, `1.5e+16`); `nan`, `inf`, `-inf`.
pub fn py_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let sci = format!("{v:e}"); // shortest digits: "-1.5e-5"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let mut s = format!("{v}");
        if !s.contains('.') {
            s.push_str(".0");
        }
        s
    } else {
        let mut s = String::new();
        let _ = write!(s, "{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        s
    }
}

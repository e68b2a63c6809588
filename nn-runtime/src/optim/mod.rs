//! Keras's optimizers.
//!
//! The training loop calls [`Optimizer::begin_step`] once per batch, then
//! [`Optimizer::update`] for each trainable tensor in a fixed order, so an
//! optimizer keeps its per-tensor state (momenta, accumulators) by index and
//! allocates only on the first step.

use crate::Result;

/// An optimizer: Keras's update rule for one tensor at a time.
pub trait Optimizer {
    /// Starts a step: advances the iteration count (and the learning-rate schedule).
    fn begin_step(&mut self);

    /// Updates tensor number `index` from its gradient (which clipping may change in place).
    fn update(&mut self, index: usize, param: &mut [f32], grad: &mut [f32]);

    /// The learning rate the next step uses.
    fn learning_rate(&self) -> f32;

    /// Replaces the learning rate (and any schedule) by a constant (Keras's `LearningRateScheduler`).
    fn set_learning_rate(&mut self, lr: f32);

    /// Everything needed to resume exactly: the iteration count and every
    /// per-tensor slot, as named flat tensors (`"iterations"`, `"m.3"`, ...).
    fn state(&self) -> Vec<(String, Vec<f32>)>;

    /// Restores what [`state`](Optimizer::state) returned; an unknown or
    /// misshaped entry is an error and leaves the optimizer unchanged.
    fn load_state(&mut self, state: &[(String, Vec<f32>)]) -> Result<()>;
}
